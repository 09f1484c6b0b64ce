"""Pure-strategy Nash equilibria and iterated elimination of dominated strategies.

:func:`pure_equilibria` lists every pure-strategy Nash equilibrium of an ``n``-player
normal-form game. For each player ``p`` the payoff tensor ``u_p[s_1, ..., s_n]`` is
compared with its maximum over ``p``'s own axis: the result is a boolean *best-response
mask* over all pure profiles, true where ``s_p`` is a best response to ``s_-p``. A
profile is an equilibrium exactly where all ``n`` masks are true. This is ``n`` maxima
and comparisons over the tensor, with no loop over profiles, and a batch of games is
handled in the same operations.

:func:`iterated_elimination` removes strictly dominated strategies round by round
(Luce & Raiffa 1957; for the order independence of strict elimination, Gilboa, Kalai &
Zemel 1990). A strategy ``j`` of ``p`` is strictly dominated by a pure strategy ``k`` if
``u_p(k, s_-p) > u_p(j, s_-p)`` for every pure profile ``s_-p`` of the others that
survives; this is checked for all pairs ``(j, k)`` in one broadcast comparison. With
``mixed=True`` (default) each remaining strategy is also tested against every *mixed*
strategy of ``p`` by a small linear program (HiGHS through ``scipy.optimize.linprog``)::

    maximize eps  subject to  sum_k x_k u_p(k, s_-p) >= u_p(j, s_-p) + eps  for all s_-p,
                              sum_k x_k = 1,  x >= 0   (k ranging over p's other strategies)

and ``j`` is dominated when ``eps > 0``. The LP is exact for any number of players: the
constraints range over the others' pure profiles, which suffices because payoffs are
linear in each opponent's mixed strategy. For two players, being strictly dominated by a
mixed strategy is the same as never being a best response (Pearce 1984), so elimination
with ``mixed=True`` computes the rationalizable strategies; for three or more players the
two notions differ when beliefs must be independent, and only domination is tested.

With ``weak=True`` weakly dominated strategies are removed instead (never worse, better
against at least one surviving profile; the LP maximizes the summed advantage subject to
being never worse). Weak elimination depends on the order: here every round removes, for
all players at once, every strategy that is weakly dominated in the game left by the
previous round.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog

from negsim.errors import SolverError
from negsim.games.normal import NormalFormGame
from negsim.games.profile import MixedProfile
from negsim.solvers.solution import Solution

__all__ = ["pure_equilibria", "pure_nash", "iterated_elimination", "Elimination", "MAX_LISTED"]


MAX_LISTED: int = 1000
"""Most equilibria :func:`pure_nash` returns as full profiles (each holds every strategy's probability)."""


def _check_tol(tol: float | None) -> float | None:
    if tol is None:
        return None
    tol = float(tol)
    if not (np.isfinite(tol) and tol >= 0):
        raise SolverError(f"tol must be a non-negative number, got {tol!r}")
    return tol


def pure_equilibria(
    game: NormalFormGame, *, tol: float | None = None
) -> list[tuple[int, ...]] | list[list[tuple[int, ...]]]:
    """Every pure-strategy Nash equilibrium of a normal-form game (or of each game of a batch).

    Parameters
    ----------
    game : NormalFormGame
        Any number of players; a batch (``game.batch_size = B``) is searched in the same
        array operations.
    tol : float, optional
        A deviation must gain more than ``tol`` to count as profitable. The default absorbs
        rounding only and scales with the game: 64 units in the last place of the payoffs
        compared plus ``4e-15`` times the deviating player's payoff range, so multiplying
        every payoff by a positive number (``1e-12`` or ``1e12``) never changes the answer.
        Comparisons run on payoffs rescaled by a power of two (exact), so payoffs near the
        largest float cannot overflow.

    Returns
    -------
    list of tuple of int, or list of such lists
        The equilibria as tuples of strategy indices ``(s_1, ..., s_n)``, in
        lexicographic order; for a batch, one list per game.

    Raises
    ------
    SolverError
        If ``game`` is not a normal-form game.

    Examples
    --------
    >>> from negsim.games import library
    >>> pure_equilibria(library.prisoners_dilemma())
    [(1, 1)]
    >>> pure_equilibria(library.battle_of_the_sexes())
    [(0, 0), (1, 1)]
    >>> pure_equilibria(library.matching_pennies())
    []
    """
    if not isinstance(game, NormalFormGame):
        raise SolverError(f"pure_equilibria takes a NormalFormGame, not {type(game).__name__}")
    batched = game.batch_size is not None
    payoffs = game.payoffs if batched else game.payoffs[None]
    tol = _check_tol(tol)
    mask = _best_response_mask(payoffs, tol)
    found = np.argwhere(mask)
    bounds = np.searchsorted(found[:, 0], np.arange(payoffs.shape[0] + 1))
    per_game = [
        [tuple(int(s) for s in row) for row in found[bounds[b] : bounds[b + 1], 1:]] for b in range(payoffs.shape[0])
    ]
    return per_game if batched else per_game[0]


def _best_response_mask(payoffs: np.ndarray, tol: float | None) -> np.ndarray:
    """``mask[b, s_1, ..., s_n]``: every player best-responds at the profile (payoffs ``[B, n, a_1, ...]``)."""
    from negsim._numeric import EPS, spread

    B, n = payoffs.shape[:2]
    # one exact power-of-two scale per game, so that a batch mixing units is judged game by game
    top = np.abs(payoffs.reshape(B, -1)).max(axis=1)
    scale = np.where(top > 0, np.ldexp(1.0, -np.frexp(top)[1]), 1.0)
    mask = np.ones((B,) + payoffs.shape[2:], bool)
    for p in range(n):
        u = payoffs[:, p] * scale.reshape((B,) + (1,) * n)
        best = u.max(axis=1 + p, keepdims=True)
        if tol is None:
            width = spread(u.reshape(B, -1), axis=1).reshape((B,) + (1,) * n)
            slack = 64 * EPS * np.maximum(np.abs(u), np.abs(best)) + 16 * EPS * width
        else:
            slack = tol * scale.reshape((B,) + (1,) * n)
        mask &= u >= best - slack
    return mask


def pure_nash(game: NormalFormGame, *, tol: float | None = None) -> Solution:
    """The pure-strategy Nash equilibria of a single game as a :class:`Solution`.

    ``profile`` is the first equilibrium in lexicographic order (as a
    :class:`~negsim.games.MixedProfile` of 0/1 vectors) and ``equilibria`` lists them all,
    up to :data:`MAX_LISTED` (``info["count"]`` counts them all; :func:`pure_equilibria`
    returns every one as a tuple of indices).

    Raises
    ------
    SolverError
        If the game is a batch (use :func:`pure_equilibria`) or has no pure equilibrium.

    Examples
    --------
    >>> from negsim.games import library
    >>> solution = pure_nash(library.battle_of_the_sexes())
    >>> len(solution.equilibria), solution.values
    (2, array([2., 1.]))
    """
    started = time.perf_counter()
    if isinstance(game, NormalFormGame) and game.batch_size is not None:
        raise SolverError("pure_nash takes a single game; use pure_equilibria for a batch")
    found = pure_equilibria(game, tol=tol)
    if not found:
        raise SolverError("the game has no pure-strategy Nash equilibrium")
    solutions = []
    for profile in found[:MAX_LISTED]:  # each is a full profile: a degenerate game can have millions
        probs = [np.arange(a) == s for a, s in zip(game.shape, profile, strict=True)]  # not eye(a): a^2 floats
        mixed = MixedProfile(game, probs)
        solutions.append(
            Solution(method="pure", profile=mixed, values=game.payoff(profile).copy(), nash_conv=0.0,
                     info={"strategies": profile})
        )
    first = solutions[0]
    return Solution(
        method="pure",
        profile=first.profile,
        values=first.values,
        nash_conv=0.0,
        seconds=time.perf_counter() - started,
        equilibria=tuple(solutions),
        info={"strategies": first.info["strategies"], "count": len(found), "listed": len(solutions)},
    )


@dataclass(frozen=True, repr=False, eq=False)
class Elimination:
    """The result of :func:`iterated_elimination`.

    Attributes
    ----------
    game : NormalFormGame
        The reduced game (players and labels kept).
    survivors : tuple of ndarray of int
        For each player, the indices (in the original game) of the strategies that survive.
    rounds : int
        Rounds that removed at least one strategy.
    eliminated : list of dict
        One entry per removed strategy: ``round`` (1-based), ``player`` (name),
        ``strategy`` (original index), ``label`` and ``by`` (``"pure"`` or ``"mixed"``:
        the kind of strategy that dominates it).
    info : dict
        ``weak`` and ``mixed``: the options used.
    """

    game: NormalFormGame
    survivors: tuple[np.ndarray, ...]
    rounds: int
    eliminated: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        kept = [len(s) for s in self.survivors]
        return f"Elimination(shape {tuple(self.game.shape)}, kept {kept} after {self.rounds} round(s))"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "survivors": [s.tolist() for s in self.survivors],
            "rounds": self.rounds,
            "eliminated": list(self.eliminated),
            **self.info,
        }


def iterated_elimination(
    game: NormalFormGame, *, weak: bool = False, mixed: bool = True, tol: float | None = None
) -> Elimination | list[Elimination]:
    """Remove dominated strategies until none is left (see the module docstring).

    Parameters
    ----------
    game : NormalFormGame
        Any number of players; each game of a batch is reduced on its own.
    weak : bool
        Remove weakly instead of strictly dominated strategies (order-dependent; every
        round removes all weakly dominated strategies of all players at once).
    mixed : bool
        Also test domination by mixed strategies (one LP per remaining strategy and
        round); otherwise only by pure strategies.
    tol : float, optional
        A dominating strategy must be better by more than ``tol`` (default ``1e-9`` times
        the payoff range; for ``weak=True``, "never worse" allows a shortfall of ``tol``).

    Returns
    -------
    Elimination or list of Elimination
        The reduced game and the surviving strategies; a list for a batch.

    Raises
    ------
    SolverError
        If ``game`` is not a normal-form game or an LP fails.

    Examples
    --------
    In the prisoner's dilemma cooperation is strictly dominated:

    >>> from negsim.games import library
    >>> result = iterated_elimination(library.prisoners_dilemma())
    >>> [s.tolist() for s in result.survivors], result.game.strategies
    ([[1], [1]], (('defect',), ('defect',)))

    The middle row of this game is dominated by mixing the other two, not by either:

    >>> from negsim.games import NormalFormGame
    >>> g = NormalFormGame.from_bimatrix([[3, 0], [1, 1], [0, 3]], [[0, 0], [0, 0], [0, 0]])
    >>> iterated_elimination(g, mixed=False).survivors[0].tolist()
    [0, 1, 2]
    >>> iterated_elimination(g).survivors[0].tolist()
    [0, 2]
    """
    if not isinstance(game, NormalFormGame):
        raise SolverError(f"iterated_elimination takes a NormalFormGame, not {type(game).__name__}")
    if game.batch_size is not None:
        return [
            iterated_elimination(game.batch_item(b), weak=weak, mixed=mixed, tol=tol) for b in range(game.batch_size)
        ]
    payoffs = game.payoffs
    if tol is None:
        tol = 1e-9 * max(float(payoffs.max() - payoffs.min()), 1e-300)
    tol = float(tol)
    n = game.num_players
    alive = [np.arange(a) for a in game.shape]
    eliminated: list[dict[str, Any]] = []
    rounds = 0
    while True:
        sub = payoffs[(slice(None),) + np.ix_(*alive)]
        removed: list[tuple[int, np.ndarray, list[str]]] = []
        for p in range(n):
            u = np.moveaxis(sub[p], p, 0).reshape(len(alive[p]), -1)  # [a_p, profiles of the others]
            if u.shape[0] < 2:
                continue
            dominated, by = _dominated(u, weak, mixed, tol)
            if dominated.any():
                removed.append((p, np.flatnonzero(dominated), [by[j] for j in np.flatnonzero(dominated)]))
        if not removed:
            break
        rounds += 1
        for p, local, kinds in removed:
            for j, kind in zip(local, kinds, strict=True):
                s = int(alive[p][j])
                eliminated.append(
                    {"round": rounds, "player": game.players[p], "strategy": s,
                     "label": game.strategies[p][s], "by": kind}
                )
            alive[p] = np.delete(alive[p], local)
    reduced = NormalFormGame(
        payoffs[(slice(None),) + np.ix_(*alive)],
        players=game.players,
        strategies=[[game.strategies[p][s] for s in alive[p]] for p in range(n)],
        title=game.title,
    )
    return Elimination(
        game=reduced,
        survivors=tuple(a.copy() for a in alive),
        rounds=rounds,
        eliminated=eliminated,
        info={"weak": bool(weak), "mixed": bool(mixed)},
    )


def _dominated(u: np.ndarray, weak: bool, mixed: bool, tol: float) -> tuple[np.ndarray, list[str]]:
    """Which rows of ``u[a, R]`` are dominated, and by what kind of strategy."""
    diff = u[None, :, :] - u[:, None, :]  # diff[j, k, r] = u[k, r] - u[j, r]
    if weak:
        pair = np.all(diff >= -tol, axis=2) & np.any(diff > tol, axis=2)
    else:
        pair = np.all(diff > tol, axis=2)
    np.fill_diagonal(pair, False)
    dominated = pair.any(axis=1)
    by = ["pure" if d else "" for d in dominated]
    if mixed and u.shape[0] > 2:
        for j in np.flatnonzero(~dominated):
            if _mixed_dominated(u, int(j), weak, tol):
                dominated[j] = True
                by[j] = "mixed"
    return dominated, by


def _mixed_dominated(u: np.ndarray, j: int, weak: bool, tol: float) -> bool:
    others = np.delete(u, j, axis=0)  # [k, R]
    k, R = others.shape
    scale = max(float(np.abs(u).max()), 1.0)
    a, target = others.T / scale, u[j] / scale
    if weak:
        # maximize sum_r (x . a_r - target_r) subject to x . a_r >= target_r - tol for all r
        res = linprog(
            -a.sum(axis=0), A_ub=-a, b_ub=-(target - tol / scale), A_eq=np.ones((1, k)), b_eq=[1.0],
            bounds=[(0, None)] * k, method="highs",
        )
        if res.status == 2:  # infeasible: never "never worse"
            return False
        _check(res)
        return bool(-res.fun - target.sum() > tol / scale)
    # variables (x, eps): maximize eps subject to x . a_r - eps >= target_r
    c = np.zeros(k + 1)
    c[-1] = -1.0
    res = linprog(
        c, A_ub=np.hstack([-a, np.ones((R, 1))]), b_ub=-target, A_eq=np.concatenate([np.ones(k), [0.0]])[None],
        b_eq=[1.0], bounds=[(0, None)] * k + [(None, None)], method="highs",
    )
    _check(res)
    return bool(-res.fun > tol / scale)


def _check(res: Any) -> None:
    if res.status != 0:
        raise SolverError(f"HiGHS could not decide a domination LP: {res.message}")
