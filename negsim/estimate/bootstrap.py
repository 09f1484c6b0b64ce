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
    model: Any, start: np.ndarray, weights: np.ndarray, *, tol: float = 1e-8, max_iter: int = 80, refresh: int = 6
) -> np.ndarray:
    """Maximize R weighted log-likelihoods at once by damped (chord) Newton steps.

    Each replicate first uses its own Hessian at ``start[0]`` (the full-sample estimate),
    which is the weighted sum of the observations' Hessians there, computed once for all
    replicates: a chord method, one evaluation of the likelihood and score per iteration,
    converging fast because each replicate's maximum is O(1/sqrt(N)) from the start.
    Replicates still running after ``refresh`` iterations get Hessians at their current
    point.

    Parameters
    ----------
    model : StrategicModel
    start : ndarray, shape (R, K)
    weights : ndarray, shape (R, N)
    tol : float
        Convergence when the Newton decrement ``g' H^-1 g / 2`` falls below ``tol``.
    max_iter : int
    refresh : int
        Iterations after which the replicates still running get fresh Hessians (then
        every third iteration).

    Returns
    -------
    ndarray, shape (R, K)
        NaN rows for replicates that did not converge or whose parameters ran off beyond
        100 times the largest start value (with a warning).
    """
    theta = start.copy()
    ll, grad = model.loglike_batch(theta, weights)
    neg_hess = -np.einsum("rn,nkl->rkl", weights, model.observation_hessians(start[0]))
    # a trust radius per replicate: one trial step per iteration, so every iteration is
    # exactly one batched evaluation of the replicates still running
    radius = np.full(len(theta), max(1.0, float(np.abs(start[0]).max())))
    escape = 100.0 * max(1.0, float(np.abs(start[0]).max()))
    active = np.ones(len(theta), dtype=bool)
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        # replicates that run away have no finite maximum (their likelihood rises towards a
        # boundary, as in a separated logit): stop them
        away = np.abs(theta[idx]).max(axis=1) > escape
        active[idx[away]] = False
        idx = idx[~away]
        if idx.size == 0:
            break
        if it >= refresh and (it - refresh) % 3 == 0:
            neg_hess[idx] = -model.hessian_batch(theta[idx], weights[idx])
        step, decrement = _newton_step(neg_hess[idx], grad[idx])
        done = decrement < tol
        active[idx[done]] = False
        idx, step = idx[~done], step[~done]
        if idx.size == 0:
            break
        length = np.linalg.norm(step, axis=1)
        step *= np.minimum(1.0, radius[idx] / length)[:, None]
        length = np.minimum(length, radius[idx])
        trial = theta[idx] + step
        new_ll, new_grad = model.loglike_batch(trial, weights[idx])
        better = new_ll >= ll[idx] - 1e-12
        good = idx[better]
        theta[good], ll[good], grad[good] = trial[better], new_ll[better], new_grad[better]
        radius[good] = np.maximum(radius[good], 2.0 * length[better])
        radius[idx[~better]] = 0.25 * length[~better]
    if active.any():
        warnings.warn(
            f"{int(active.sum())} of {len(theta)} bootstrap replicates did not converge; they are NaN",
            NegsimWarning,
            stacklevel=3,
        )
        theta[active] = np.nan
    return theta


def _newton_step(neg_hess: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        step = np.linalg.solve(neg_hess, grad[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        step = np.full_like(grad, np.nan)
    # a replicate whose Hessian is not negative definite takes a scaled gradient step
    bad = ~np.all(np.isfinite(step), axis=1) | (np.einsum("rk,rk->r", step, grad) <= 0)
    step[bad] = grad[bad] / max(1.0, float(np.abs(grad[bad]).max(initial=0.0)))
    decrement = 0.5 * np.einsum("rk,rk->r", step, grad)
    return step, decrement
