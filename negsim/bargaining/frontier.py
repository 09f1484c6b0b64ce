r"""The Pareto frontier of a finite set of outcomes.

Pareto frontier
    Outcome ``k`` with utilities ``u_k`` is *dominated* when some ``u_j >= u_k`` in every
    coordinate and ``>`` in one. :func:`pareto_frontier` keeps the undominated outcomes
    (equal outcomes do not dominate each other, so duplicates are all kept). Two players:
    a sort and a running maximum, ``O(K log K)``; more: pairwise comparisons by
    broadcasting, in chunks, ``O(K^2 n)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from negsim.bargaining._common import _outcomes

__all__ = ["pareto_frontier"]

# Pairwise dominance checks materialize [B, chunk, K, n] booleans; keep them near 16 MB.
_CHUNK_ELEMENTS = 1 << 24


def pareto_frontier(utilities: ArrayLike, *, mask: ArrayLike | None = None) -> np.ndarray:
    """Which outcomes are Pareto-efficient: no other outcome is at least as good for all and better for one.

    Parameters
    ----------
    utilities : array_like, shape (K, n) or (B, K, n)
        Utility of each of ``K`` outcomes to each of ``n`` players; a leading batch axis
        holds ``B`` outcome sets of the same size (pad smaller ones and mask the padding).
    mask : array_like of bool, shape (K,) or (B, K), optional
        Which outcomes exist. Masked outcomes neither dominate nor are efficient, and may
        hold any value (NaN too).

    Returns
    -------
    ndarray of bool, shape (K,) or (B, K)
        True for the efficient outcomes; equal outcomes are all kept.
        ``np.flatnonzero(result)`` gives their indices.

    Raises
    ------
    SolverError
        If the utilities have the wrong shape or are not finite.

    Notes
    -----
    Two players: a lexicographic sort and a running maximum, ``O(K log K)`` per problem.
    More players: all pairs compared by broadcasting, ``O(K^2 n)`` time, in chunks of
    about 16 million comparisons.

    Examples
    --------
    >>> u = [[3, 1], [1, 3], [2, 2], [1, 1], [2, 2], [3, 0]]
    >>> pareto_frontier(u)
    array([ True,  True,  True, False,  True, False])
    >>> pareto_frontier(u, mask=[False, True, True, True, True, True])
    array([False,  True,  True, False,  True,  True])
    """
    u, valid, batched = _outcomes(utilities, mask)
    efficient = _pareto_two(u, valid) if u.shape[2] == 2 else _pareto_pairwise(u, valid)
    return efficient if batched else efficient[0]


def _pareto_two(u: np.ndarray, valid: np.ndarray) -> np.ndarray:
    B, K, _ = u.shape
    x = np.where(valid, u[..., 0], -np.inf)
    y = np.where(valid, u[..., 1], -np.inf)
    # best first in u_1, then in u_2: outcome k is dominated by an earlier group with
    # u_2 >= y_k, or within its own group of equal u_1 by a larger u_2
    order = np.lexsort((-y, -x), axis=-1)
    sx = np.take_along_axis(x, order, axis=-1)
    sy = np.take_along_axis(y, order, axis=-1)
    new_group = np.ones((B, K), bool)
    new_group[:, 1:] = sx[:, 1:] != sx[:, :-1]
    start = np.maximum.accumulate(np.where(new_group, np.arange(K), 0), axis=-1)
    group_top = np.take_along_axis(sy, start, axis=-1)
    running = np.maximum.accumulate(sy, axis=-1)
    earlier = np.where(start > 0, np.take_along_axis(running, np.maximum(start - 1, 0), axis=-1), -np.inf)
    keep = ~((earlier >= sy) | (sy < group_top))
    efficient = np.empty_like(keep)
    np.put_along_axis(efficient, order, keep, axis=-1)
    return efficient & valid


def _pareto_pairwise(u: np.ndarray, valid: np.ndarray) -> np.ndarray:
    B, K, n = u.shape
    efficient = np.empty((B, K), bool)
    step = max(1, _CHUNK_ELEMENTS // max(1, B * K * n))
    for lo in range(0, K, step):
        hi = min(K, lo + step)
        candidate = u[:, lo:hi, None, :]
        other = u[:, None, :, :]
        dominates = (other >= candidate).all(-1) & (other > candidate).any(-1) & valid[:, None, :]
        efficient[:, lo:hi] = valid[:, lo:hi] & ~dominates.any(-1)
    return efficient
