"""Regret of mixed profiles in normal-form games: deviation gains and NashConv.

For a mixed profile ``x = (x_1, ..., x_n)`` of a game with payoff tensor
``u[p, s_1, ..., s_n]``, the payoff of player ``p``'s pure strategy ``k`` against the
others is

    U_p[k] = sum over s with s_p = k of u[p, s] * prod_{q != p} x_q[s_q],

one tensor contraction (:func:`numpy.einsum`) per player. Player ``p``'s *deviation gain*
is ``max_k U_p[k] - x_p . U_p``: what switching to a best pure strategy would gain (no
mixed deviation gains more). *NashConv* is the sum of the gains over players; it is 0
exactly at a Nash equilibrium (Nash 1951). OpenSpiel's *exploitability* is NashConv
divided by the number of players.

Everything works for ``n`` players and for batches: a batched game
(``payoffs[B, n, a_1, ..., a_n]``) and/or batched strategies (``[B, a_p]``) are
contracted in the same calls, with the batch axis first.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from negsim.errors import SolverError
from negsim.games.normal import NormalFormGame
from negsim.games.profile import MixedProfile

__all__ = ["strategy_payoffs", "deviation_gains_normal", "nash_conv_normal"]


def _prepare(
    game: NormalFormGame, profile: MixedProfile | Sequence[Any]
) -> tuple[np.ndarray, list[np.ndarray], bool]:
    if not isinstance(game, NormalFormGame):
        raise SolverError(f"expected a NormalFormGame, got {type(game).__name__}")
    probs = profile.probabilities if isinstance(profile, MixedProfile) else profile
    n = game.num_players
    if len(probs) != n:
        raise SolverError(f"a profile needs one strategy per player ({n}), got {len(probs)}")
    strategies = [np.asarray(x, np.float64) for x in probs]
    for p, x in enumerate(strategies):
        if x.ndim not in (1, 2) or x.shape[-1] != game.shape[p]:
            raise SolverError(
                f"strategy of {game.players[p]} must have shape ({game.shape[p]},) or (B, {game.shape[p]}), "
                f"got {x.shape}"
            )
    sizes = {x.shape[0] for x in strategies if x.ndim == 2}
    if game.batch_size is not None:
        sizes.add(game.batch_size)
    if len(sizes) > 1:
        raise SolverError(f"batch sizes of the game and the profile differ: {sorted(sizes)}")
    batched = bool(sizes)
    payoffs = game.payoffs
    if batched:
        size = sizes.pop()
        payoffs = np.broadcast_to(payoffs, (size,) + payoffs.shape[-1 - n :])
        strategies = [np.broadcast_to(x, (size, x.shape[-1])) for x in strategies]
    return payoffs, strategies, batched


def _payoff_vectors(payoffs: np.ndarray, strategies: list[np.ndarray], batched: bool) -> list[np.ndarray]:
    n = len(strategies)
    if n > 25:
        raise SolverError("normal-form regret handles at most 25 players")
    letters = string.ascii_lowercase[:n]
    lead = "z" if batched else ""
    out = []
    for p in range(n):
        tensor = payoffs[:, p] if batched else payoffs[p]
        terms = [lead + letters] + [lead + letters[q] for q in range(n) if q != p]
        spec = ",".join(terms) + "->" + lead + letters[p]
        others = [strategies[q] for q in range(n) if q != p]
        out.append(np.einsum(spec, tensor, *others, optimize=n > 2))
    return out


def strategy_payoffs(game: NormalFormGame, profile: MixedProfile | Sequence[Any]) -> tuple[np.ndarray, ...]:
    """Each player's payoff from each pure strategy when the others play ``profile``.

    Parameters
    ----------
    game : NormalFormGame
        Any number of players, single or batched.
    profile : MixedProfile or sequence of array_like
        One probability vector per player, shape ``(a_p,)`` or ``(B, a_p)``. A single
        profile may be evaluated in a batch of games and a batch of profiles in a single
        game.

    Returns
    -------
    tuple of ndarray
        ``U_p`` of shape ``(a_p,)`` or ``(B, a_p)`` for each player ``p``.

    Raises
    ------
    SolverError
        If the profile does not fit the game.

    Examples
    --------
    >>> from negsim.games import library
    >>> pd = library.prisoners_dilemma()
    >>> row, column = strategy_payoffs(pd, [[0.5, 0.5], [1.0, 0.0]])  # Column cooperates
    >>> row  # Row's payoff from cooperating and from defecting
    array([3., 5.])
    >>> column  # Column's, against Row's 50:50 mix
    array([1.5, 3. ])
    """
    payoffs, strategies, batched = _prepare(game, profile)
    return tuple(_payoff_vectors(payoffs, strategies, batched))


def deviation_gains_normal(game: NormalFormGame, profile: MixedProfile | Sequence[Any]) -> np.ndarray:
    """What each player gains by switching to a best pure strategy: ``[n]`` or ``[B, n]``.

    Parameters and errors are those of :func:`strategy_payoffs`.

    Examples
    --------
    >>> from negsim.games import library
    >>> pennies = library.matching_pennies()
    >>> deviation_gains_normal(pennies, [[1.0, 0.0], [0.5, 0.5]])
    array([0., 1.])
    """
    payoffs, strategies, batched = _prepare(game, profile)
    vectors = _payoff_vectors(payoffs, strategies, batched)
    gains = [u.max(axis=-1) - np.einsum("...k,...k->...", u, x) for u, x in zip(vectors, strategies, strict=True)]
    return np.stack(gains, axis=-1)


def nash_conv_normal(game: NormalFormGame, profile: MixedProfile | Sequence[Any]) -> float | np.ndarray:
    """NashConv of a mixed profile: the sum over players of their gain from a pure deviation.

    Parameters
    ----------
    game : NormalFormGame
        Any number of players, single or batched.
    profile : MixedProfile or sequence of array_like
        One probability vector per player, ``(a_p,)`` or ``(B, a_p)``.

    Returns
    -------
    float or ndarray of shape (B,)
        A float when neither the game nor the profile is batched.

    Raises
    ------
    SolverError
        If the profile does not fit the game.

    Examples
    --------
    >>> from negsim.games import library
    >>> bos = library.battle_of_the_sexes()
    >>> nash_conv_normal(bos, [[1.0, 0.0], [1.0, 0.0]])
    0.0
    >>> round(nash_conv_normal(library.matching_pennies(), [[1.0, 0.0], [1.0, 0.0]]), 6)
    2.0
    """
    total = deviation_gains_normal(game, profile).sum(axis=-1)
    return float(total) if np.ndim(total) == 0 else total
