"""Unchecked array kernels over batches of normal-form payoff tensors.

Batch-first arrays, no checks: the hot loops of :mod:`negsim.solvers.dynamics` and
:mod:`negsim.solvers.qre` use them; :mod:`negsim.solvers.normal_regret` is the checked
public equivalent over games.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["LETTERS", "nash_conv_batch", "payoff_vectors", "player_payoffs"]

LETTERS = "abcdefghijklmnopqrstuvwxy"
"""einsum subscripts for the players (``z`` is the batch axis): at most 25 players."""


def payoff_vectors(payoffs: np.ndarray, profile: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``u_p[b, j]``: payoff of each pure strategy ``j`` of each player ``p`` against the others.

    Parameters
    ----------
    payoffs : ndarray, shape (B, n, a_1, ..., a_n)
        A batch of payoff tensors.
    profile : sequence of ndarray, shape (B, a_p)
        One mixed strategy per player and game.

    Returns
    -------
    list of ndarray, shape (B, a_p)

    Examples
    --------
    >>> pd = np.array([[[[3, 0], [5, 1]], [[3, 5], [0, 1]]]], float)  # prisoners' dilemma
    >>> [u.tolist() for u in payoff_vectors(pd, [np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])])]
    [[[3.0, 5.0]], [[1.5, 3.0]]]
    """
    return [player_payoffs(payoffs, profile, p) for p in range(len(profile))]


def player_payoffs(payoffs: np.ndarray, profile: Sequence[np.ndarray], p: int) -> np.ndarray:
    """``u_p[b, j]`` of one player ``p`` (see :func:`payoff_vectors`)."""
    n = len(profile)
    letters = LETTERS[:n]
    others = [q for q in range(n) if q != p]
    spec = "z" + letters + "".join(f",z{letters[q]}" for q in others) + "->z" + letters[p]
    return np.einsum(spec, payoffs[:, p], *(profile[q] for q in others))


def nash_conv_batch(payoffs: np.ndarray, profile: Sequence[np.ndarray]) -> np.ndarray:
    """NashConv ``[B]`` of a batch of mixed profiles: sum over players of the best-response gain.

    Examples
    --------
    >>> pennies = np.array([[[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]]], float)
    >>> nash_conv_batch(pennies, [np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])])
    array([1.])
    """
    total = np.zeros(payoffs.shape[0])
    for p, u in enumerate(payoff_vectors(payoffs, profile)):
        total += u.max(-1) - (u * profile[p]).sum(-1)
    return np.maximum(total, 0.0)
