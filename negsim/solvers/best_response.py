"""Best response, NashConv and exploitability on the sequence form, for n players and batches.

For a profile ``sigma`` and a player ``p``, the value of each of ``p``'s sequences against
the others is computed bottom-up over ``p``'s treeplex: the direct value of a sequence is
the sum over the terminals it ends at of ``c[z] u_p[z] prod_{q != p} x_q[last_q[z]]``, and
each information set passes the value of its best action up to its parent sequence. The
value at the empty sequence is the best-response value. NashConv is
``sum_p (best response value_p - value_p)``; OpenSpiel's *exploitability* is NashConv
divided by the number of players (Johanson et al. 2011; Lanctot et al. 2019).

Every step is an array operation over one depth level of the treeplex; a batch of games
(``game.batch_size = B``) is evaluated in the same operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.profile import BehaviorProfile
from negsim.solvers._plex import Evaluator, evaluator_of

__all__ = ["BestResponse", "best_response", "expected_values", "nash_conv", "exploitability", "deviation_gains"]


@dataclass(frozen=True)
class BestResponse:
    """A pure best response of one player.

    Attributes
    ----------
    player : int
        The responding player.
    value : float or ndarray [B]
        The best-response value.
    probabilities : ndarray, shape (S_p,) or (B, S_p)
        The best response as behaviour probabilities (0 or 1) in sequence order; ties go
        to the first action.
    """

    player: int
    value: float | np.ndarray
    probabilities: np.ndarray


def _setup(game: ExtensiveFormGame, profile: BehaviorProfile | Sequence[Any]) -> tuple[Evaluator, list[np.ndarray]]:
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError("best responses are computed for extensive-form games; convert normal-form games first")
    game.require_perfect_recall('best response', error=SolverError)
    probs = profile.probabilities if isinstance(profile, BehaviorProfile) else profile
    if isinstance(profile, BehaviorProfile) and profile.game.num_terminals != game.num_terminals:
        raise SolverError("the profile belongs to a different game")
    if not isinstance(profile, BehaviorProfile):
        BehaviorProfile(game, probs)  # validates shapes and sums
    ev = evaluator_of(game)
    plans = []
    for p in range(game.num_players):
        arr = np.asarray(probs[p], np.float64)
        if arr.ndim == 2 and game.batch_size is None:
            raise SolverError("a batched profile needs a batched game (use game.with_batch)")
        plans.append(ev.plan(p, ev.kernel_from_public(p, arr)))
    return ev, plans


def _dot(a: np.ndarray, b: np.ndarray) -> Any:
    return (a * b).sum(axis=0)


def expected_values(game: ExtensiveFormGame, profile: BehaviorProfile | Sequence[Any]) -> np.ndarray:
    """Expected payoff of every player under a behaviour profile.

    Returns
    -------
    ndarray, shape (n,) or (B, n)

    Examples
    --------
    >>> from negsim.games import library
    >>> kuhn = library.kuhn_poker()
    >>> expected_values(kuhn, BehaviorProfile.uniform(kuhn))
    array([ 0.125, -0.125])
    """
    ev, plans = _setup(game, profile)
    vals = [_dot(ev.direct_values(p, plans), plans[p]) for p in range(game.num_players)]
    return np.stack(vals, axis=-1)


def best_response(game: ExtensiveFormGame, profile: BehaviorProfile | Sequence[Any], player: int | str) -> BestResponse:
    """A pure best response of ``player`` to the others' strategies in ``profile``.

    Parameters
    ----------
    game : ExtensiveFormGame
        A game with perfect recall (single or batch).
    profile : BehaviorProfile or sequence of arrays
        Behaviour probabilities per player in sequence order; ``player``'s own entry is
        ignored.
    player : int or str
        The responding player.

    Returns
    -------
    BestResponse

    Raises
    ------
    SolverError
        If the game lacks perfect recall or the profile does not fit.

    Examples
    --------
    >>> from negsim.games import library
    >>> kuhn = library.kuhn_poker()
    >>> br = best_response(kuhn, BehaviorProfile.uniform(kuhn), 1)
    >>> round(float(br.value), 6)
    0.416667
    """
    p = game.player_index(player)
    ev, plans = _setup(game, profile)
    vd = ev.direct_values(p, plans)
    value, picks = ev.best_response(p, vd, choices=True)
    sf = game.sequence_form
    batch = ev.batch_shape
    probs = np.zeros(batch + (sf.num_sequences[p],))
    starts = sf.sequence_start[p]
    for isets, best in picks:
        # best: [I] or [I, B] action index per information set
        seqs = starts[isets][:, None] + best if best.ndim == 2 else starts[isets] + best
        if best.ndim == 2:
            probs[np.arange(batch[0])[None, :], seqs - 1] = 1.0
        else:
            probs[seqs - 1] = 1.0
    return BestResponse(player=p, value=value if batch else float(value), probabilities=probs)


def deviation_gains(game: ExtensiveFormGame, profile: BehaviorProfile | Sequence[Any]) -> np.ndarray:
    """What each player gains by switching to a best response: ``[n]`` or ``[B, n]``.

    Examples
    --------
    >>> from negsim.games import library
    >>> kuhn = library.kuhn_poker()
    >>> deviation_gains(kuhn, BehaviorProfile.uniform(kuhn)).round(4)
    array([0.375 , 0.5417])
    """
    ev, plans = _setup(game, profile)
    gains = []
    for p in range(game.num_players):
        vd = ev.direct_values(p, plans)
        br, _ = ev.best_response(p, vd)
        gains.append(br - _dot(vd, plans[p]))
    # a best response gains at least 0; rounding can leave -1e-17, which is clipped
    return np.maximum(np.stack(gains, axis=-1), 0.0)


def nash_conv(game: ExtensiveFormGame, profile: BehaviorProfile | Sequence[Any]) -> float | np.ndarray:
    """NashConv: the sum over players of their gain from a best response.

    Returns a float for a single game, ``[B]`` for a batch.

    Examples
    --------
    >>> from negsim.games import library
    >>> kuhn = library.kuhn_poker()
    >>> round(float(nash_conv(kuhn, BehaviorProfile.uniform(kuhn))), 6)
    0.916667
    """
    total = deviation_gains(game, profile).sum(axis=-1)
    return float(total) if np.ndim(total) == 0 else total


def exploitability(game: ExtensiveFormGame, profile: BehaviorProfile | Sequence[Any]) -> float | np.ndarray:
    """NashConv divided by the number of players (OpenSpiel's ``exploitability``)."""
    return nash_conv(game, profile) / game.num_players
