"""Exact equilibria of two-player zero-sum games by the sequence-form linear program.

In the sequence form (Koller, Megiddo & von Stengel 1994; von Stengel 1996) a strategy of
player ``p`` is a *realization plan* ``x_p`` over the player's sequences (index 0 is the
empty sequence): ``x_p >= 0``, ``x_p[0] = 1`` and, at every information set ``I``,
``sum_{s in I} x_p[s] = x_p[parent(I)]``. Written as matrices, ``E x = e`` for player 1
and ``F y = f`` for player 2, with ``e`` and ``f`` the first unit vectors. The expected
payoff of player 1 is ``x^T A y`` with the sparse payoff matrix

    A[s1, s2] = sum of c[z] u_1[z] over the terminals z whose last sequences are (s1, s2),

``c[z]`` being the chance reach of ``z``. Player 1's maxmin plan solves one LP, the dual
of player 2's best response folded into player 1's problem::

    maximize    q[0]
    subject to  F^T q - A^T x <= 0,   E x = e,   x >= 0,   q free.

Its optimum is the value of the game, and the multipliers of the inequalities are an
optimal realization plan ``y`` of player 2 (LP duality; von Stengel 1996, Theorem 4.4).
:func:`sequence_lp` solves this LP with HiGHS (``scipy.optimize.linprog(method="highs")``)
on sparse matrices, reads ``y`` from the multipliers, and checks the pair by its NashConv;
should the multipliers fall short, it solves player 2's own LP
(``minimize p[0]`` subject to ``A y - E^T p <= 0``, ``F y = f``, ``y >= 0``) instead.

Realization plans become behaviour strategies by dividing each sequence's weight by its
information set's total. Tiny negative LP noise is clipped to 0 first. At information
sets that the player's own plan never reaches (total weight at most ``tol``) the
behaviour is uniform, so that every information set's probabilities sum to 1; such
choices cannot change any payoff (contrast pygambit's ``lp_solve``, whose profiles can sum
to 3/4 there).

A constant-sum game (``u_1 + u_2 = K`` at every terminal) has the equilibria of the
zero-sum game ``(u_1, -u_1)``; its values are reported with the constant.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.games.profile import BehaviorProfile, MixedProfile
from negsim.solvers.best_response import expected_values, nash_conv
from negsim.solvers.solution import Solution

__all__ = ["sequence_lp"]

_GENERAL_SUM = "the LP needs a two-player zero-sum game; use 'lemke' or 'cfr' for general-sum games"


def sequence_lp(game: ExtensiveFormGame | NormalFormGame, *, tol: float = 1e-9) -> Solution:
    """Solve a two-player zero-sum (or constant-sum) game exactly by linear programming.

    Parameters
    ----------
    game : ExtensiveFormGame or NormalFormGame
        A two-player constant-sum game; an extensive game needs perfect recall. A batch
        (``game.batch_size = B``) is solved one LP per game. A normal-form game is solved
        by the matrix-game LP directly (the sequence form of a one-shot move), and the
        result holds a :class:`~negsim.games.profile.MixedProfile`.
    tol : float, optional
        Primal and dual feasibility tolerance given to HiGHS (at least ``1e-10``), and the
        realization weight at or below which an information set counts as never reached
        by its player's own plan (it then gets the uniform distribution).

    Returns
    -------
    Solution
        ``method="lp"``; ``profile`` the equilibrium (behaviour probabilities ``[S_p]`` or
        ``[B, S_p]`` per player); ``values`` ``[v, K - v]`` (``[B, 2]`` for a batch, with
        ``K = 0`` for zero-sum games); ``nash_conv`` of the returned profile (about
        ``1e-9`` or less); ``iterations`` the HiGHS iterations (summed over a batch);
        ``info`` with ``"status"`` (HiGHS's message), ``"lp_value"`` (the value of player
        1 as the LP reports it), ``"constant"`` (``K``), ``"dual"`` (``"multipliers"`` or
        ``"second LP"``: where player 2's plan came from) and the sizes ``"sequences"``,
        ``"constraints"`` and ``"payoff_nonzeros"``. For a batch the per-game entries are
        lists.

    Raises
    ------
    SolverError
        If the game does not have two players, is not constant-sum, lacks perfect
        recall, or HiGHS fails.

    Examples
    --------
    >>> from negsim.games import library
    >>> solution = sequence_lp(library.kuhn_poker())
    >>> round(float(solution.values[0]), 9), round(-1 / 18, 9)
    (-0.055555556, -0.055555556)
    >>> bool(solution.nash_conv < 1e-9)
    True
    >>> probs = solution.profile.action_probabilities(1, 1)  # Player 2 holding Q, facing a bet
    >>> {action: round(p, 6) for action, p in probs.items()}
    {'pass': 0.666667, 'bet': 0.333333}
    """
    started = time.perf_counter()
    tol = float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise SolverError(f"tol must be a positive number, got {tol!r}")
    if isinstance(game, NormalFormGame):
        return _solve_normal_form(game, tol, started)
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError(f"sequence_lp solves extensive-form or normal-form games, not {type(game).__name__}")
    _check_game(game.num_players, _constant_sum(game))
    game.require_perfect_recall('the sequence-form LP', error=SolverError)

    sf = game.sequence_form
    E = _constraint_matrix(sf.sequence_start[0], sf.sequence_infoset[0], sf.infoset_parent[0])
    F = _constraint_matrix(sf.sequence_start[1], sf.sequence_infoset[1], sf.infoset_parent[1])
    rows, cols = sf.last_sequence[0], sf.last_sequence[1]
    shape = (sf.num_sequences[0] + 1, sf.num_sequences[1] + 1)
    batch = game.batch_size
    reach = np.broadcast_to(sf.chance_reach, (batch or 1, game.num_terminals))
    payoffs = np.broadcast_to(sf.payoffs, (batch or 1,) + sf.payoffs.shape[-2:])

    def payoff_matrix(b: int) -> sp.csr_matrix:
        # A[s1, s2] = sum of c[z] u_1[z] over the terminals with last sequences (s1, s2)
        A = sp.csr_matrix((reach[b] * payoffs[b, :, 0], (rows, cols)), shape=shape)
        A.sum_duplicates()
        return A

    results = [_solve(payoff_matrix(b), E, F, tol, b if batch else None) for b in range(batch or 1)]
    plans_x = np.stack([r.x for r in results])
    plans_y = np.stack([r.y for r in results])
    probs = [
        _behaviour(plans_x, sf.sequence_start[0], tol),
        _behaviour(plans_y, sf.sequence_start[1], tol),
    ]
    if batch is None:
        probs = [p[0] for p in probs]
    profile = BehaviorProfile(game, probs)
    gaps = np.atleast_1d(nash_conv(game, profile))

    # The multipliers are an optimal plan of player 2 whenever HiGHS's dual is accurate;
    # where the check says otherwise, player 2's own LP decides.
    scale = np.array([r.scale for r in results])
    redo = np.flatnonzero(gaps > 1e3 * tol * np.maximum(scale, 1.0))
    if redo.size:
        for b in redo:
            results[b] = _solve_second(payoff_matrix(b), E, F, tol, results[b], b if batch else None)
        plans_y = np.stack([r.y for r in results])
        probs[1] = _behaviour(plans_y, sf.sequence_start[1], tol)
        if batch is None:
            probs[1] = probs[1][0]
        profile = BehaviorProfile(game, probs)
        gaps = np.atleast_1d(nash_conv(game, profile))

    values = expected_values(game, profile)
    constant = payoffs[:, 0, :].sum(axis=-1) if game.num_terminals else np.zeros(batch or 1)
    info = _info(results, constant, batch, sequences=list(sf.num_sequences), constraints=[E.shape[0], F.shape[0]])
    return Solution(
        method="lp",
        profile=profile,
        values=values,
        nash_conv=float(gaps[0]) if batch is None else gaps,
        iterations=max(1, sum(r.iterations for r in results)),
        seconds=time.perf_counter() - started,
        info=info,
    )


# ---------------------------------------------------------------------------- checks
def _constant_sum(game: ExtensiveFormGame | NormalFormGame) -> bool:
    # is_zero_sum scales its tolerance by the payoffs, is_constant_sum by their sums, so a
    # zero-sum game with large payoffs can fail the second test; either one will do
    return game.num_players == 2 and (game.is_zero_sum() or game.is_constant_sum())


def _check_game(num_players: int, constant_sum: bool) -> None:
    if num_players != 2:
        raise SolverError(
            f"the LP needs a two-player zero-sum game, this one has {num_players} player(s); "
            "use 'cfr' for games with more players"
        )
    if not constant_sum:
        raise SolverError(_GENERAL_SUM)


# ---------------------------------------------------------------------------- matrices
def _constraint_matrix(sequence_start: np.ndarray, sequence_infoset: np.ndarray, infoset_parent: np.ndarray):
    """``E`` with ``E x = e``: row 0 fixes the empty sequence, row ``1 + I`` balances information set ``I``."""
    num_infosets = infoset_parent.size
    num_sequences = int(sequence_start[-1]) - 1
    rows = np.concatenate(([0], 1 + np.arange(num_infosets), 1 + sequence_infoset[1:]))
    cols = np.concatenate(([0], infoset_parent, np.arange(1, num_sequences + 1)))
    data = np.concatenate(([1.0], -np.ones(num_infosets), np.ones(num_sequences)))
    return sp.csr_matrix((data, (rows, cols)), shape=(num_infosets + 1, num_sequences + 1))


class _Result:
    """One LP solve: both realization plans, the value and HiGHS's report."""

    __slots__ = ("x", "y", "value", "iterations", "status", "dual", "scale", "nonzeros")

    def __init__(self, x, y, value, iterations, status, dual, scale, nonzeros) -> None:
        self.x, self.y, self.value = x, y, value
        self.iterations, self.status, self.dual = iterations, status, dual
        self.scale, self.nonzeros = scale, nonzeros


def _options(tol: float) -> dict[str, Any]:
    t = max(tol, 1e-10)
    return {"primal_feasibility_tolerance": t, "dual_feasibility_tolerance": t}


def _linprog(c, A_ub, A_eq, b_eq, bounds, tol, item):
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(A_ub.shape[0]),
        A_eq=A_eq,
        b_eq=b_eq,
        bounds=bounds,
        method="highs",
        options=_options(tol),
    )
    if res.status != 0:
        where = "" if item is None else f" of batch item {item}"
        raise SolverError(f"HiGHS could not solve the sequence-form LP{where}: {res.message}")
    return res


def _solve(A: sp.csr_matrix, E: sp.csr_matrix, F: sp.csr_matrix, tol: float, item: int | None = None) -> _Result:
    """Player 1's LP; player 2's plan from its multipliers."""
    m, n = A.shape
    kE, kF = E.shape[0], F.shape[0]
    # payoffs are scaled to at most 1 in absolute value so that HiGHS's absolute
    # tolerances mean the same for every game (and powers of 2 leave the LP unchanged)
    scale = float(np.abs(A.data).max(initial=0.0))
    if scale < 1e-200:  # an all-zero (or subnormal) payoff matrix: nothing to scale
        scale = 1.0
    As = A / scale
    c = np.zeros(m + kF)
    c[m] = -1.0
    A_ub = sp.hstack([-As.T, F.T], format="csr")
    A_eq = sp.hstack([E, sp.csr_matrix((kE, kF))], format="csr")
    b_eq = np.zeros(kE)
    b_eq[0] = 1.0
    bounds = [(0, None)] * m + [(None, None)] * kF
    res = _linprog(c, A_ub, A_eq, b_eq, bounds, tol, item)
    x = res.x[:m]
    y = -np.asarray(res.ineqlin.marginals, np.float64)
    return _Result(x, y, -res.fun * scale, int(res.nit), res.message, "multipliers", scale, A.nnz)


def _solve_second(
    A: sp.csr_matrix, E: sp.csr_matrix, F: sp.csr_matrix, tol: float, first: _Result, item: int | None = None
) -> _Result:
    """Player 2's own LP: minimize ``p[0]`` subject to ``A y <= E^T p``, ``F y = f``, ``y >= 0``."""
    m, n = A.shape
    kE, kF = E.shape[0], F.shape[0]
    As = A / first.scale
    c = np.zeros(n + kE)
    c[n] = 1.0
    A_ub = sp.hstack([As, -E.T], format="csr")
    A_eq = sp.hstack([F, sp.csr_matrix((kF, kE))], format="csr")
    b_eq = np.zeros(kF)
    b_eq[0] = 1.0
    bounds = [(0, None)] * n + [(None, None)] * kE
    res = _linprog(c, A_ub, A_eq, b_eq, bounds, tol, item)
    return _Result(
        first.x,
        res.x[:n],
        first.value,
        first.iterations + int(res.nit),
        res.message,
        "second LP",
        first.scale,
        first.nonzeros,
    )


# ---------------------------------------------------------------------------- plans
def _behaviour(plans: np.ndarray, sequence_start: np.ndarray, tol: float) -> np.ndarray:
    """Behaviour probabilities ``[B, S]`` from realization plans ``[B, S + 1]``.

    Each sequence's weight is divided by its information set's total weight (which the
    LP makes equal to the parent sequence's weight, up to noise); information sets of
    total weight at most ``tol`` get the uniform distribution.
    """
    weights = np.clip(plans[:, 1:], 0.0, None)
    if weights.shape[1] == 0:
        return weights
    counts = np.diff(sequence_start)
    totals = np.add.reduceat(weights, sequence_start[:-1] - 1, axis=1)
    reached = np.repeat(totals > tol, counts, axis=1)
    denominator = np.repeat(np.where(totals > tol, totals, 1.0), counts, axis=1)
    uniform = np.repeat(1.0 / counts, counts)
    return np.where(reached, weights / denominator, uniform)


def _info(results: list[_Result], constant: np.ndarray, batch: int | None, **sizes: Any) -> dict[str, Any]:
    def pick(values: list[Any]) -> Any:
        return values[0] if batch is None else values

    return {
        "status": pick([r.status for r in results]),
        "lp_value": pick([float(r.value) for r in results]),
        "constant": pick([float(k) for k in constant]),
        "dual": pick([r.dual for r in results]),
        **sizes,
        "payoff_nonzeros": pick([int(r.nonzeros) for r in results]),
    }


# ---------------------------------------------------------------------------- normal form
def _solve_normal_form(game: NormalFormGame, tol: float, started: float) -> Solution:
    """The matrix game as the sequence form of one simultaneous move (one information set each)."""
    _check_game(game.num_players, _constant_sum(game))
    m, n = game.shape
    batch = game.batch_size
    payoffs = game.payoffs if batch is not None else game.payoffs[None]
    E = _constraint_matrix(np.array([1, m + 1]), np.r_[-1, np.zeros(m, np.int64)], np.zeros(1, np.int64))
    F = _constraint_matrix(np.array([1, n + 1]), np.r_[-1, np.zeros(n, np.int64)], np.zeros(1, np.int64))
    results = []
    for b in range(payoffs.shape[0]):
        A = sp.csr_matrix(np.pad(payoffs[b, 0], ((1, 0), (1, 0))))
        item = None if batch is None else b
        result = _solve(A, E, F, tol, item)
        if _matrix_gaps(payoffs[b], *_mixed(result, m, n, tol)) > 1e3 * tol * max(result.scale, 1.0):
            result = _solve_second(A, E, F, tol, result, item)
        results.append(result)
    mixed = [_mixed(r, m, n, tol) for r in results]
    gaps = np.array([_matrix_gaps(payoffs[b], *mixed[b]) for b in range(len(results))])
    probs = [np.stack(p) for p in zip(*mixed, strict=True)]
    profile = MixedProfile(game, [p[0] for p in probs] if batch is None else probs)
    values = profile.expected_payoffs()
    constant = payoffs[:, :, 0, 0].sum(axis=-1)
    info = _info(results, constant, batch, sequences=[m, n], constraints=[2, 2])
    return Solution(
        method="lp",
        profile=profile,
        values=values,
        nash_conv=float(gaps[0]) if batch is None else gaps,
        iterations=max(1, sum(r.iterations for r in results)),
        seconds=time.perf_counter() - started,
        info=info,
    )


def _mixed(result: _Result, m: int, n: int, tol: float) -> tuple[np.ndarray, np.ndarray]:
    x = _behaviour(result.x[None], np.array([1, m + 1]), tol)[0]
    y = _behaviour(result.y[None], np.array([1, n + 1]), tol)[0]
    return x, y


def _matrix_gaps(payoffs: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """NashConv of ``(x, y)`` in the bimatrix game ``payoffs[2, m, n]``."""
    row, col = payoffs[0] @ y, x @ payoffs[1]
    return float(row.max() - x @ row + col.max() - col @ y)
