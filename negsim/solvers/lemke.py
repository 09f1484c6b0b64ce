"""An exact Nash equilibrium of a two-player general-sum game: Lemke's algorithm on the
sequence-form linear complementarity problem.

**Sequence form** (Koller, Megiddo & von Stengel 1996; von Stengel 1996). Player 1's
strategies are realization plans ``x`` over their sequences (index 0 is the empty
sequence) with ``x >= 0`` and ``E x = e``: row 0 of ``E`` says ``x[0] = 1`` and row
``1 + I`` says that the sequences of information set ``I`` carry the weight of its
parent sequence. Likewise ``F y = f`` for player 2. The payoffs are ``x^T A y`` and
``x^T B y`` with the sparse matrices

    A[s, t] = sum of c[z] u_1[z],   B[s, t] = sum of c[z] u_2[z]

over the terminals ``z`` whose last sequences are ``(s, t)`` (``c[z]`` the chance reach).
``(x, y)`` is a Nash equilibrium iff, with free dual variables ``u`` and ``v``,

    E^T u - A y >= 0  complementary to  x >= 0,     E x = e,
    F^T v - B^T x >= 0  complementary to  y >= 0,   F y = f.

**The homotopy** (von Stengel, van den Elzen & Talman 2002). Fix a *prior*, a pair of
realization plans ``(s, t)`` (by default each player's uniform behaviour strategy), and add
one artificial variable ``z0``::

    a = E^T u - A y - (A t) z0 >= 0  ⟂  x >= 0,     E x + e z0 = e,
    b = F^T v - B^T x - (B^T s) z0 >= 0  ⟂  y >= 0,   F y + f z0 = f.

For ``z0 < 1`` write ``x = (1 - z0) x'`` and ``y = (1 - z0) y'``: then ``x'`` is a best
response to ``(1 - z0) y' + z0 t`` and ``y'`` to ``(1 - z0) x' + z0 s``, so ``z0`` traces
the players from best responding to the prior (``z0 = 1``) to best responding to each
other (``z0 = 0``, a Nash equilibrium): the linear tracing procedure, which von Stengel,
van den Elzen & Talman show to end at a normal-form perfect equilibrium when the prior is
completely mixed and in general position. The uniform prior is completely mixed but may
not be in general position (ties); any prior gives a Nash equilibrium.

**Pivoting.** At ``z0 = 1`` the plans are 0 and each player's duals are those of a pure
best response to the prior, chosen at *every* information set. The starting basis holds
``z0``, ``y[0]``, all of ``u`` and ``v``, the plan variable of each information set's chosen
action and the slack of every other action; ``x[0]`` enters first. From there Lemke's
complementary pivoting (Lemke 1965) runs: the variable that leaves is found by a ratio
test, and its complement enters next, until ``z0`` leaves. The free variables ``u`` and
``v`` never leave. Ties in the ratio test are broken lexicographically, as if the
right-hand side were perturbed by ``B0 (ε, ε², ...)`` where ``B0`` is the starting basis
matrix; this keeps every basis feasible for the perturbed problem and so excludes
cycling in degenerate games (Dantzig, Orden & Wolfe 1955). The start is itself
degenerate (plans at 0), which this perturbation handles without special cases.

**Floating point.** The algorithm keeps a dense inverse of the basis matrix (size
``S_1 + S_2 + I_1 + I_2 + 4``), updated by one rank-one step per pivot, after scaling
each player's payoffs to at most 1 in absolute value. The inverse is recomputed from the
sparse basis matrix when a residual check (every :data:`CHECK_EVERY` pivots) shows that
the updates have drifted, at least every :data:`REFACTOR_EVERY` pivots, and before any
pivot on an element smaller than :data:`SMALL_PIVOT` times its column (which may be
rounding noise). In the lexicographic comparison, entries at the level of rounding noise
count as 0. A basis that comes back (which exact arithmetic rules out; detected with a
hash of the basis), a singular basis or a ray ends the run, and the run is repeated with
the right-hand side actually perturbed by ``B0 δ r`` (``δ`` from :data:`PERTURBATIONS`,
``r`` random in ``[1, 2]``, seeded), which keeps the start feasible and makes ties
unlikely; the final basis is then solved with the unperturbed right-hand side. A result
counts when its NashConv is at most :data:`ACCEPT` times the largest absolute payoff (at
least 1); otherwise the next perturbation is tried. This suits games up to a few thousand
sequences (Leduc poker, 3,124 equations, takes a few thousand pivots and minutes). With
``rational=True`` the same pivots run in exact rational arithmetic
(:class:`fractions.Fraction`, on the exact binary values of the float payoffs and chance
probabilities), for small games.

Realization plans become behaviour strategies by dividing each sequence's weight by its
information set's total. Where a player's own plan never reaches an information set
(total at most ``tol``) the behaviour is uniform: it cannot change any payoff.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from negsim.errors import NegsimWarning, SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.games.profile import BehaviorProfile, MixedProfile
from negsim.solvers._lemke_lcp import Accuracy, Problem, Treeplex, single_infoset
from negsim.solvers._lemke_lcp import Outcome as _Outcome
from negsim.solvers._lemke_lcp import OutOfTime as _OutOfTime
from negsim.solvers._lemke_lcp import Unstable as _Unstable
from negsim.solvers._lemke_lcp import run as _run
from negsim.solvers.best_response import expected_values, nash_conv
from negsim.solvers.budget import deadline
from negsim.solvers.normal_regret import nash_conv_normal
from negsim.solvers.solution import Solution

__all__ = ["lemke", "ACCEPT", "CHECK_EVERY", "PERTURBATIONS", "REFACTOR_EVERY", "SMALL_PIVOT"]

REFACTOR_EVERY: int = 500
"""Most pivots between two recomputations of the basis inverse from scratch (float arithmetic)."""

CHECK_EVERY: int = 50
"""Pivots between two accuracy checks of the updated basis inverse (float arithmetic)."""

SMALL_PIVOT: float = 1e-7
"""A pivot element smaller than this (relative to its column) is checked on a freshly computed inverse."""

PERTURBATIONS: tuple[float, ...] = (0.0, 1e-7)
"""Right-hand-side perturbations tried in turn by the float pivoting (see the module docstring)."""

ACCEPT: float = 1e-6
"""Largest NashConv, relative to the largest absolute payoff (at least 1), of an accepted float result."""

PRECISE: float = 1e-13
"""A float run whose NashConv exceeds ``PRECISE`` times the payoff range is pivoted again exactly (small LCPs)."""

EXACT_RETRY_SIZE: int = 60
"""Largest LCP (equations) that is pivoted again in rational arithmetic when floats lose precision."""


# ---------------------------------------------------------------------------- the LCP data
def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(np.abs(values).max(initial=0.0))
    return values / top if top > 0 else values


def _extensive_problem(game: ExtensiveFormGame, prior: BehaviorProfile) -> Problem:
    sf = game.sequence_form
    plex = tuple(
        Treeplex(sf.sequence_start[p], sf.infoset_parent[p], sf.levels[p]) for p in range(2)
    )
    shape = (sf.num_sequences[0] + 1, sf.num_sequences[1] + 1)
    rows, cols = sf.last_sequence[0], sf.last_sequence[1]
    mats = []
    for p in range(2):
        weights = _scaled(sf.chance_reach * sf.payoffs[:, p])
        m = sp.csr_matrix((weights, (rows, cols)), shape=shape)
        m.sum_duplicates()
        mats.append(m)
    plans = prior.realization_plans()
    return Problem(plex=plex, A=mats[0], B=mats[1], prior=(plans[0], plans[1]))  # type: ignore[arg-type]


def _normal_problem(game: NormalFormGame, prior: MixedProfile) -> Problem:
    m, n = game.shape
    mats = []
    for p in range(2):
        full = np.zeros((m + 1, n + 1))
        full[1:, 1:] = _scaled(game.payoffs[p])
        mats.append(sp.csr_matrix(full))
    plans = tuple(np.concatenate(([1.0], x)) for x in prior.probabilities)
    return Problem(plex=(single_infoset(m), single_infoset(n)), A=mats[0], B=mats[1], prior=plans)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- public face
def lemke(
    game: ExtensiveFormGame | NormalFormGame,
    *,
    tol: float = 1e-9,
    max_pivots: int | None = None,
    prior: BehaviorProfile | MixedProfile | None = None,
    rational: bool = False,
    time_limit: float | None = None,
) -> Solution:
    """A Nash equilibrium of a two-player general-sum game by Lemke's algorithm.

    Solves the sequence-form linear complementarity problem of the game from a prior
    (von Stengel, van den Elzen & Talman 2002; see the module docstring). The answer is
    exact up to floating point (or exact, with ``rational=True``); which equilibrium is
    found depends on the prior.

    Parameters
    ----------
    game : ExtensiveFormGame or NormalFormGame
        A two-player game. An extensive game needs perfect recall. A normal-form game is
        solved as the sequence form of one simultaneous move (one information set per
        player: the bimatrix LCP itself), and the result holds a
        :class:`~negsim.games.profile.MixedProfile`. A batch
        (``game.batch_size = B``) is solved one game at a time.
    tol : float, optional
        Pivot and tie tolerance of the float arithmetic (payoffs are scaled to at most 1
        in absolute value per player), and the realization weight at or below which an
        information set counts as never reached by its player's own plan.
    max_pivots : int, optional
        Give up (with :class:`~negsim.SolverError`) after this many pivots per game
        (default ``50 * size + 1000``, ``size`` the number of LCP equations).
    prior : BehaviorProfile or MixedProfile, optional
        The starting profile the players first best respond to (default: uniform
        behaviour at every information set). Different priors may lead to different
        equilibria. It must be a single profile of this game's tree.
    rational : bool, optional
        Pivot in exact rational arithmetic (slow; for small games). The realization
        plans are then exact; ``info["realization_plans"]`` holds them as strings.
    time_limit : float, optional
        Seconds of wall-clock time for the whole call, read once per pivot. Lemke's
        path has no usable point before its end, so running out of time raises
        :class:`~negsim.SolverError` instead of returning a partial answer.

    Returns
    -------
    Solution
        ``method="lemke"``; ``profile`` the equilibrium (behaviour probabilities
        ``[S_p]`` or, for a batch, ``[B, S_p]``); ``values`` ``[2]`` or ``[B, 2]``;
        ``nash_conv`` of the returned profile (from
        :func:`negsim.solvers.best_response.nash_conv`, or
        :func:`~negsim.solvers.normal_regret.nash_conv_normal` for a normal-form game);
        ``iterations`` the pivots (summed over a batch); ``converged`` whether the
        NashConv is at most :data:`ACCEPT` times the largest absolute payoff (at least 1)
        for every game; ``info`` with ``"pivots"``, ``"refactorizations"``,
        ``"lcp_size"`` (equations), ``"sequences"``, ``"prior"`` (``"uniform"`` or
        ``"given"``), ``"rational"``, ``"perturbation"`` (the ``δ`` of the run that
        counted, 0 for the plain lexicographic run) and ``"failed_attempts"`` (why
        earlier runs were dropped); per-game entries are lists for a batch.

    Raises
    ------
    SolverError
        If the game does not have two players, lacks perfect recall, the prior does not
        fit, the pivots exceed ``max_pivots`` or the time ``time_limit``, or every
        floating-point run failed (``rational=True`` avoids floating-point trouble).

    Warns
    -----
    NegsimWarning
        If no floating-point run reached NashConv :data:`ACCEPT` (times the payoff
        scale); the best profile is returned with ``converged=False``.

    Examples
    --------
    Kuhn poker is zero-sum, so every equilibrium has the game's value -1/18:

    >>> from negsim.games import library
    >>> solution = lemke(library.kuhn_poker())
    >>> round(float(solution.values[0]), 9), round(-1 / 18, 9)
    (-0.055555556, -0.055555556)
    >>> bool(solution.nash_conv < 1e-9)
    True

    In the battle of the sexes (normal form) the tracing from the uniform prior selects
    the equilibrium in which both go to the opera; a prior can select another one:

    >>> bos = library.battle_of_the_sexes()
    >>> solution = lemke(bos, rational=True)
    >>> solution.profile.to_list(), solution.values.tolist()
    ([[1.0, 0.0], [1.0, 0.0]], [2.0, 1.0])
    >>> from negsim.games import MixedProfile
    >>> lemke(bos, prior=MixedProfile(bos, [[0.2, 0.8], [0.2, 0.8]])).profile.to_list()
    [[0.0, 1.0], [0.0, 1.0]]
    """
    started = time.perf_counter()
    tol = float(tol)
    if not (np.isfinite(tol) and 0 < tol < 1e-2):
        raise SolverError(f"tol must be a small positive number, got {tol!r}")
    if max_pivots is not None and int(max_pivots) < 1:
        raise SolverError("max_pivots must be at least 1")
    stop_at = deadline(time_limit, started)
    if isinstance(game, NormalFormGame):
        return _solve_normal(game, tol, max_pivots, prior, bool(rational), started, stop_at)
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError(f"lemke solves extensive-form or normal-form games, not {type(game).__name__}")
    _check_players(game.num_players)
    game.require_perfect_recall("Lemke's algorithm on the sequence form", error=SolverError)
    batch = game.batch_size
    items = [game] if batch is None else [game.batch_item(b) for b in range(batch)]
    outcomes, probs = [], []
    for item in items:
        problem = _extensive_problem(item, _extensive_prior(item, prior))

        def gap_of(probabilities: list[np.ndarray], item: ExtensiveFormGame = item) -> float:
            return float(nash_conv(item, BehaviorProfile(item, probabilities)))

        outcome, item_probs = _solve_item(problem, gap_of, _scale(item), tol, max_pivots, bool(rational), stop_at)
        outcomes.append(outcome)
        probs.append(item_probs)
    if batch is None:
        profile = BehaviorProfile(game, probs[0])
    else:
        profile = BehaviorProfile(game, [np.stack([pr[p] for pr in probs]) for p in range(2)])
    gaps = nash_conv(game, profile)
    info = _info(outcomes, batch, prior, rational, game.sequence_form.num_sequences)
    return Solution(
        method="lemke",
        profile=profile,
        values=expected_values(game, profile),
        nash_conv=gaps,
        iterations=max(1, sum(o.pivots for o in outcomes)),
        seconds=time.perf_counter() - started,
        converged=bool(np.all(np.asarray(gaps) <= ACCEPT * _scale(game))),
        info=info,
    )


def _scale(game: ExtensiveFormGame | NormalFormGame) -> float:
    """The payoff range (largest spread of one player's payoffs): NashConv is judged relative to it."""
    from negsim._numeric import spread

    n = game.num_players
    axis = -1 if isinstance(game, ExtensiveFormGame) else -1 - n  # the players' axis
    per_player = np.moveaxis(game.payoffs, axis, 0).reshape(n, -1)
    width = float(spread(per_player, axis=1).max(initial=0.0))
    return width if width > 0 else 1.0


def _solve_item(
    problem: Problem,
    gap_of: Callable[[list[np.ndarray]], float],
    scale: float,
    tol: float,
    max_pivots: int | None,
    exact: bool,
    stop_at: float | None = None,
) -> tuple[_Outcome, list[np.ndarray]]:
    """Run the pivoting on one game; in floating point, retry with a perturbation on trouble.

    Returns the outcome and the behaviour probabilities of the first run whose profile
    has NashConv at most ``ACCEPT * scale`` (or, failing that, of the best run, with a
    :class:`~negsim.NegsimWarning`).
    """
    failures: list[str] = []
    best: tuple[_Outcome, list[np.ndarray], float] | None = None
    # read when called, so that a change of the module's constants takes effect
    accuracy = Accuracy(refactor_every=REFACTOR_EVERY, check_every=CHECK_EVERY, small_pivot=SMALL_PIVOT)
    for perturbation in (0.0,) if exact else PERTURBATIONS:
        try:
            outcome = _run(problem, tol=tol, max_pivots=max_pivots, exact=exact, accuracy=accuracy,
                           perturbation=perturbation, stop_at=stop_at)
        except _Unstable as error:
            failures.append(str(error))
            continue
        plex = problem.plex
        probs = [plex[0].behaviour(outcome.x, tol), plex[1].behaviour(outcome.y, tol)]
        gap = gap_of(probs)
        outcome.perturbation, outcome.failures = perturbation, tuple(failures)
        if best is None or gap < best[2]:
            best = (outcome, probs, gap)
        if gap <= ACCEPT * scale:
            break
        failures.append(f"the pivoting ended at a profile with NashConv {gap:.3g}")
    if not exact and sum(problem.A.shape) <= EXACT_RETRY_SIZE and (best is None or best[2] > PRECISE * scale):
        # payoffs of very different sizes (1e10 beside 5) lose the small ones to float pivoting
        # tolerances; a small problem is cheap to pivot again in exact rational arithmetic
        try:
            outcome = _run(
                problem, tol=tol, max_pivots=max_pivots, exact=True, accuracy=accuracy, stop_at=stop_at
            )
        except _OutOfTime:
            raise
        except (_Unstable, SolverError) as error:
            failures.append(f"exact retry: {error}")
        else:
            plex = problem.plex
            probs = [plex[0].behaviour(outcome.x, tol), plex[1].behaviour(outcome.y, tol)]
            gap = gap_of(probs)
            outcome.failures = tuple(failures)
            if best is None or gap < best[2]:
                best = (outcome, probs, gap)
    if best is None:
        raise SolverError(
            f"Lemke's algorithm failed in floating-point arithmetic ({'; '.join(failures)}); "
            "try rational=True (small games) or another prior"
        )
    if best[2] > ACCEPT * scale:
        warnings.warn(
            f"Lemke's algorithm lost precision: the profile found has NashConv {best[2]:.3g}; "
            "try rational=True (small games) or another prior",
            NegsimWarning,
            stacklevel=3,
        )
    return best[0], best[1]


def _check_players(num_players: int) -> None:
    if num_players != 2:
        raise SolverError(
            f"Lemke's algorithm needs a two-player game; this one has {num_players} player(s). "
            "Use 'cfr' for games with more players"
        )


def _extensive_prior(game: ExtensiveFormGame, prior: Any) -> BehaviorProfile:
    if prior is None:
        return BehaviorProfile.uniform(game)
    if not isinstance(prior, BehaviorProfile):
        raise SolverError(f"the prior of an extensive game must be a BehaviorProfile, not {type(prior).__name__}")
    if prior.batch_size is not None:
        raise SolverError("the prior must be a single profile, not a batch")
    if not prior.game.structurally_equal(game):
        raise SolverError("the prior belongs to a different game tree")
    return BehaviorProfile(game, prior.probabilities)


def _normal_prior(game: NormalFormGame, prior: Any) -> MixedProfile:
    if prior is None:
        return MixedProfile(game, [np.full(a, 1.0 / a) for a in game.shape])
    if not isinstance(prior, MixedProfile):
        raise SolverError(f"the prior of a normal-form game must be a MixedProfile, not {type(prior).__name__}")
    probs = prior.probabilities
    if any(p.ndim != 1 for p in probs) or tuple(len(p) for p in probs) != game.shape:
        raise SolverError("the prior must be a single mixed profile of a game of this shape")
    return MixedProfile(game, probs)


def _info(outcomes: list[_Outcome], batch: int | None, prior: Any, rational: bool, sequences: Any) -> dict[str, Any]:
    def pick(values: list[Any]) -> Any:
        return values[0] if batch is None else values

    info: dict[str, Any] = {
        "pivots": pick([o.pivots for o in outcomes]),
        "refactorizations": pick([o.refactorizations for o in outcomes]),
        "lcp_size": pick([o.size for o in outcomes]),
        "sequences": list(sequences),
        "prior": "uniform" if prior is None else "given",
        "rational": bool(rational),
        "perturbation": pick([o.perturbation for o in outcomes]),
        "failed_attempts": pick([list(o.failures) for o in outcomes]),
    }
    if rational:
        info["realization_plans"] = pick(
            [[[str(v) for v in plan] for plan in o.exact_plans] for o in outcomes if o.exact_plans is not None]
        )
    return info


def _solve_normal(
    game: NormalFormGame,
    tol: float,
    max_pivots: int | None,
    prior: Any,
    rational: bool,
    started: float,
    stop_at: float | None = None,
) -> Solution:
    _check_players(game.num_players)
    batch = game.batch_size
    items = [game] if batch is None else [game.batch_item(b) for b in range(batch)]
    outcomes, probs = [], []
    for item in items:
        problem = _normal_problem(item, _normal_prior(item, prior))

        def gap_of(probabilities: list[np.ndarray], item: NormalFormGame = item) -> float:
            return float(nash_conv_normal(item, probabilities))

        outcome, item_probs = _solve_item(problem, gap_of, _scale(item), tol, max_pivots, rational, stop_at)
        outcomes.append(outcome)
        probs.append(item_probs)
    if batch is None:
        profile = MixedProfile(game, probs[0])
    else:
        profile = MixedProfile(game, [np.stack([pr[p] for pr in probs]) for p in range(2)])
    gaps = nash_conv_normal(game, profile)
    return Solution(
        method="lemke",
        profile=profile,
        values=profile.expected_payoffs(),
        nash_conv=gaps,
        iterations=max(1, sum(o.pivots for o in outcomes)),
        seconds=time.perf_counter() - started,
        converged=bool(np.all(np.asarray(gaps) <= ACCEPT * _scale(game))),
        info=_info(outcomes, batch, prior, rational, list(game.shape)),
    )
