"""Bootstrap replicates of a strategic model, all fitted as one batch.

A replicate resamples the N observations with replacement, which is the same as giving
each observation a multinomial count as its weight. All R replicates share the tree and
the design, so their log-likelihoods, scores and Hessians are one batched evaluation of
the model (:meth:`~negsim.estimate.model.StrategicModel.loglike_batch`,
:meth:`~negsim.estimate.model.StrategicModel.hessian_batch`) over ``[R, N]`` observations.
Each replicate takes Newton steps from the full-sample estimate (close to its own maximum),
halving a step that would lower its likelihood; the loop runs over iterations, never over
replicates. A replicate that has not converged after ``max_iter`` steps is reported as NaN
with a warning.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from negsim.errors import NegsimWarning

__all__ = ["bootstrap_fits", "newton_batch"]


def bootstrap_fits(
    model: Any, params: np.ndarray, replicates: int, *, seed: int | None = 0, chunk: int = 250
) -> np.ndarray:
    """Fit ``replicates`` bootstrap samples of ``model``, started at ``params``.

    Parameters
    ----------
    model : StrategicModel
    params : ndarray, shape (K,)
        The full-sample estimate.
    replicates : int
    seed : int, optional
    chunk : int
        Replicates per batch (bounds memory: a batch holds ``chunk * N`` observations).

    Returns
    -------
    ndarray, shape (replicates, K)

    Examples
    --------
    >>> import negsim.estimate as est
    >>> fit = est.egame12(["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"],
    ...                   data=est.load_war1800(), outcome="outcome")
    >>> reps = bootstrap_fits(fit.model, fit.params.to_numpy(), 20, seed=1)
    >>> reps.shape
    (20, 10)
    """
    rng = np.random.default_rng(seed)
    n = model.exog.shape[0]
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=replicates).astype(float)
    out = np.empty((replicates, params.size))
    for lo in range(0, replicates, chunk):
        w = weights[lo : lo + chunk]
        out[lo : lo + chunk] = newton_batch(model, np.tile(params, (len(w), 1)), w)
    return out


def newton_batch(
    model: Any,
    start: np.ndarray,
    weights: np.ndarray,
    *,
    tol: float = 1e-8,
    max_iter: int = 60,
    refresh: int = 4,
    every: int = 3,
    escape: float = 20.0,
) -> np.ndarray:
    """Maximize R weighted log-likelihoods at once by damped Newton steps.

    Each replicate first uses its own Hessian at ``start[0]`` (the full-sample estimate),
    which is the weighted sum of the observations' Hessians there, computed once for all
    replicates: a chord method, one evaluation of the likelihood and score per iteration,
    converging fast because most replicates' maxima are O(1/sqrt(N)) from the start.
    Replicates still running after ``refresh`` iterations get the Hessian at their current
    point every ``every`` iterations (near Newton's method). Steps are damped Levenberg-Marquardt style
    (``(-H + mu I) s = g``, ``mu`` shrinking after a step that raised the likelihood and
    growing after one that did not), so that every iteration is exactly one batched
    evaluation of the replicates still running.

    Parameters
    ----------
    model : StrategicModel
    start : ndarray, shape (R, K)
    weights : ndarray, shape (R, N)
    tol : float
        Convergence when the Newton decrement ``g' H^-1 g / 2`` falls below ``tol``.
    max_iter : int
    refresh, every : int
        After ``refresh`` iterations the replicates still running get fresh Hessians, then
        every ``every`` iterations.
    escape : float
        A replicate whose parameters exceed ``escape`` times the largest start value has run
        off (its likelihood keeps rising towards a boundary).

    Returns
    -------
    ndarray, shape (R, K)
        NaN rows (with a warning) for replicates that did not converge, whose parameters ran
        off beyond ``escape`` times the largest start value (the likelihood rises towards a
        boundary: no finite maximum), or whose Hessian is singular at the end (no unique
        maximum).
    """
    theta = start.copy()
    ll, grad = model.loglike_batch(theta, weights)
    neg_hess = -np.einsum("rn,nkl->rkl", weights, model.observation_hessians(start[0]))
    mu = np.zeros(len(theta))
    limit = escape * max(1.0, float(np.abs(start[0]).max()))
    state = np.zeros(len(theta), dtype=np.int8)  # 0 running, 1 converged, 2 ran away
    for it in range(max_iter):
        idx = np.flatnonzero(state == 0)
        away = np.abs(theta[idx]).max(axis=1) > limit
        state[idx[away]] = 2
        idx = idx[~away]
        if idx.size == 0:
            break
        if it >= refresh and (it - refresh) % every == 0:
            neg_hess[idx] = -model.hessian_batch(theta[idx], weights[idx])
        step, decrement = _damped_step(neg_hess[idx], grad[idx], mu[idx])
        done = decrement < tol
        state[idx[done]] = 1
        idx, step = idx[~done], step[~done]
        if idx.size == 0:
            break
        trial = theta[idx] + step
        new_ll, new_grad = model.loglike_batch(trial, weights[idx])
        better = new_ll >= ll[idx] - 1e-12
        good, bad = idx[better], idx[~better]
        theta[good], ll[good], grad[good] = trial[better], new_ll[better], new_grad[better]
        mu[good] /= 3.0
        scale = np.abs(np.diagonal(neg_hess[bad], axis1=1, axis2=2)).mean(axis=1)
        mu[bad] = np.maximum(4.0 * mu[bad], 1e-3 * scale)
    singular = (state == 1) & ~_negative_definite(neg_hess)
    _warn_failures(state, singular)
    theta[(state != 1) | singular] = np.nan
    return theta


def _damped_step(neg_hess: np.ndarray, grad: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``(-H + shift I) s = g``, the shift at least ``mu`` and enough to make the matrix definite."""
    eig = np.linalg.eigvalsh(neg_hess)
    floor = 1e-8 * np.maximum(1.0, np.abs(eig).max(axis=1))
    shift = np.maximum(mu, np.where(eig[:, 0] > floor, 0.0, floor - eig[:, 0]))
    k = grad.shape[1]
    step = np.linalg.solve(neg_hess + shift[:, None, None] * np.eye(k), grad[:, :, None])[:, :, 0]
    return step, 0.5 * np.einsum("rk,rk->r", step, grad)


def _negative_definite(neg_hess: np.ndarray) -> np.ndarray:
    eig = np.linalg.eigvalsh(neg_hess)
    return eig[:, 0] > 1e-8 * np.maximum(1.0, np.abs(eig).max(axis=1))


def _warn_failures(state: np.ndarray, singular: np.ndarray) -> None:
    counts = {
        "did not converge": int(np.sum(state == 0)),
        "ran off (no finite maximum)": int(np.sum(state == 2)),
        "have a singular Hessian (no unique maximum)": int(np.sum(singular)),
    }
    told = [f"{n} {what}" for what, n in counts.items() if n]
    if told:
        warnings.warn(
            f"of {len(state)} bootstrap replicates, " + ", ".join(told) + "; they are NaN",
            NegsimWarning,
            stacklevel=3,
        )
