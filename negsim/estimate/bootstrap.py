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
    model: Any, start: np.ndarray, weights: np.ndarray, *, tol: float = 1e-8, max_iter: int = 40, refresh: int = 8
) -> np.ndarray:
    """Maximize R weighted log-likelihoods at once by damped (chord) Newton steps.

    All replicates first share the Hessian at ``start[0]`` scaled by their total weight
    (the chord method: one evaluation of the likelihood and score per iteration, and the
    bootstrap Hessians differ from the full-sample one by O(1/sqrt(N))); replicates still
    running after ``refresh`` iterations get their own Hessians.

    Parameters
    ----------
    model : StrategicModel
    start : ndarray, shape (R, K)
    weights : ndarray, shape (R, N)
    tol : float
        Convergence when the Newton decrement ``g' H^-1 g / 2`` falls below ``tol``.
    max_iter : int
    refresh : int
        Iterations between fresh per-replicate Hessians.

    Returns
    -------
    ndarray, shape (R, K)
        NaN rows for replicates that did not converge (with a warning).
    """
    theta = start.copy()
    ll, grad = model.loglike_batch(theta, weights)
    n = weights.shape[1]
    neg_hess = np.repeat(-model.hessian(start[0])[None], len(theta), axis=0) * (weights.sum(axis=1) / n)[:, None, None]
    active = np.ones(len(theta), dtype=bool)
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        if it and it % refresh == 0:
            neg_hess[idx] = -model.hessian_batch(theta[idx], weights[idx])
        step, decrement = _newton_step(neg_hess[idx], grad[idx])
        done = decrement < tol
        active[idx[done]] = False
        idx, step = idx[~done], step[~done]
        if idx.size == 0:
            break
        new_theta, new_ll, new_grad = _halve_until_better(model, theta[idx], weights[idx], ll[idx], step)
        theta[idx], ll[idx], grad[idx] = new_theta, new_ll, new_grad
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


def _halve_until_better(model, theta, weights, ll, step, max_halvings: int = 12):
    new_theta = theta + step
    new_ll, new_grad = model.loglike_batch(new_theta, weights)
    scale = np.ones(len(theta))
    for _ in range(max_halvings):
        worse = ~(new_ll >= ll - 1e-12)
        if not worse.any():
            break
        scale[worse] *= 0.5
        new_theta[worse] = theta[worse] + scale[worse, None] * step[worse]
        new_ll[worse], new_grad[worse] = model.loglike_batch(new_theta[worse], weights[worse])
    return new_theta, new_ll, new_grad
