"""All (extreme) Nash equilibria of two-player normal-form games: support and vertex
enumeration, and Lemke–Howson from every starting label.

Three methods, each returning a :class:`~negsim.solvers.solution.Solution` whose
``equilibria`` holds every distinct equilibrium found:

* :func:`support_enumeration` is negsim's own, tolerance-aware implementation. Classic
  support enumeration (Dickhaut & Kaplan 1991; Nisan et al. 2007, Algorithm 3.4) guesses
  equal-sized supports ``I`` and ``J``, makes each player indifferent on the other's
  support and checks the result. negsim decouples the two halves: for every support
  ``I`` of the row player and every set ``J`` of column strategies of the same size it
  solves the indifference system ``x_I B[I, J] = w 1``, ``sum x_I = 1`` (batched with
  :func:`numpy.linalg.solve`, one call per support size), keeps the solutions that are
  probability vectors against which every column in ``J`` is a best response, and does
  the same for the column player. The solutions are exactly the vertices of the
  players' best-response polyhedra, and a row vertex and a column vertex form an
  equilibrium when they are *completely labelled*: every strategy is unused or a best
  response (Shapley 1974). In a nondegenerate game ``J`` is the column player's support
  and this is the classic algorithm; in a degenerate game it finds every *extreme*
  equilibrium (the vertices of the equilibrium components; Avis, Rosenberg, Savani &
  von Stengel 2010), including those with supports of different sizes, which the
  classic algorithm misses. Zero and equality tests use a tolerance, so probabilities
  like ``-5e-17`` from rounding do not make it drop equilibria, as nashpy's
  ``support_enumeration`` does.
* :func:`vertex_enumeration` is negsim's own vertex enumeration (Nisan et al. 2007,
  Algorithm 3.5), independent of the support systems above: Qhull's halfspace
  intersection (scipy) gives the vertices of each best-response polytope, and pairs
  whose labels cover every strategy are matched in vectorized chunks (nashpy's version
  compares every pair in Python and recomputes the column polytope for each row
  vertex: 225 s on a 10x10 game, against 0.1 s here).
* :func:`lemke_howson` calls nashpy's Lemke–Howson (Lemke & Howson 1964) with
  lexicographic integer pivoting, once for every initial dropped label (or those
  asked for).

Vertex enumeration and the nashpy calls are guarded: payoffs are first mapped to
``[1, 2]`` per player (a positive affine change, which keeps the equilibria and makes
the polytopes bounded); every candidate profile is cleaned (rounding noise clipped,
renormalized) and accepted only if its NashConv (see
:mod:`negsim.solvers.normal_regret`) is at most ``tol`` in those normalized payoffs;
rejected profiles, exceptions and warnings are recorded in ``info``. Where they cannot
run — a player with a single strategy, on which nashpy's Lemke–Howson never stops and
Qhull refuses the one-dimensional polytope, or a Qhull failure — the equilibria come from
:func:`support_enumeration` and ``info["fallback"]`` says why.

All three take ``time_limit=`` (seconds): the clock is read between chunks of work
(systems, vertex pairs, labels), and when the limit has passed the equilibria found so
far are returned with ``info["stopped_early"] = True``.

Equilibria closer than :data:`DUPLICATE_TOLERANCE` (largest probability difference) count
as one. They are listed in decreasing lexicographic order of the row player's then the
column player's probabilities, so pure equilibria on early strategies come first.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterable, Iterator
from itertools import combinations, islice
from typing import Any

import numpy as np

from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.games.profile import MixedProfile
from negsim.solvers._vertex import OutOfTime, check_vertex_size, complementary_pairs, polytope_vertices
from negsim.solvers.budget import deadline
from negsim.solvers.normal_regret import nash_conv_normal
from negsim.solvers.solution import Solution

__all__ = [
    "DUPLICATE_TOLERANCE",
    "MAX_SUPPORT_SYSTEMS",
    "support_enumeration",
    "support_enumeration_gen",
    "vertex_enumeration",
    "lemke_howson",
]

DUPLICATE_TOLERANCE: float = 1e-6
"""Two equilibria whose probabilities differ by at most this much are the same one."""

MAX_SUPPORT_SYSTEMS: int = 2_000_000
"""Most indifference systems (``C(m + n, m)`` per player) that support enumeration will solve."""

PRECISE: float = 1e-4
"""An equilibrium is accepted when its NashConv, in payoffs normalized to ``[0, 1]`` per player,
is at most ``PRECISE * tol`` (``1e-13`` by default): near rounding, so that a payoff of ``1e10``
beside payoffs of ``5`` cannot hide a regret of 10 as it would under ``tol`` itself."""

_CHUNK_SYSTEMS = 20_000  # systems solved in one batched call (bounds the memory used)


# ---------------------------------------------------------------------------- helpers
def _bimatrix(game: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """The game's two payoff matrices, each mapped to ``[0, 1]`` (a constant one to 0)."""
    if not isinstance(game, NormalFormGame):
        hint = ""
        if isinstance(game, ExtensiveFormGame):
            hint = (
                "; convert a small tree with negsim.games.convert.reduced_normal_form, "
                "or use negsim.solvers.lemke.lemke on the tree"
            )
        raise SolverError(f"{what} solves two-player normal-form games, not {type(game).__name__}{hint}")
    if game.num_players != 2:
        raise SolverError(f"{what} needs a two-player game; this one has {game.num_players} players")
    if game.batch_size is not None:
        raise SolverError(f"{what} takes a single game; solve batch items one by one (game.batch_item(b))")
    out = []
    for p in range(2):
        u = np.array(game.payoffs[p], np.float64)
        low, high = float(u.min()), float(u.max())
        out.append((u - low) / (high - low) if high > low else np.zeros_like(u))
    return out[0], out[1]


def _clean(x: Any, size: int, tol: float) -> np.ndarray | None:
    """A probability vector from a (noisy) candidate, or ``None`` if it is not one.

    Entries between ``-1000 tol`` and ``tol / 1000`` are rounding noise (nashpy's linear
    algebra and Qhull leave some) and become 0; a more negative entry means the candidate
    is not a probability vector. The NashConv check that follows has the last word.
    """
    x = np.asarray(x, np.float64).ravel()
    if x.shape != (size,) or not np.all(np.isfinite(x)) or np.any(x < -1e3 * tol):
        return None
    x = np.where(x > 1e-3 * tol, x, 0.0)
    total = x.sum()
    if total <= 0:
        return None
    return x / total


def _polish(
    A: np.ndarray, B: np.ndarray, x: np.ndarray, y: np.ndarray, gap: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Re-solve the indifference conditions on the candidate's supports; keep whichever is closer to Nash.

    Support vertices come from batched solves and nashpy's from Qhull: their last digits can
    be off by more than rounding. Solving ``x_I B[I, J] = w``, ``y_J A[I, J]^T = v`` with the
    supports held fixed (least squares, which also covers supports of unequal sizes) recovers
    the digits when the candidate really is an equilibrium, and cannot help when it is not.
    """
    I, J = np.flatnonzero(x > 0), np.flatnonzero(y > 0)

    def indifferent(M: np.ndarray) -> np.ndarray | None:  # weights on M's rows equalizing its columns
        k = M.shape[0]
        system = np.vstack([np.hstack([M.T, -np.ones((M.shape[1], 1))]), np.append(np.ones(k), 0.0)])
        rhs = np.append(np.zeros(M.shape[1]), 1.0)
        weights = np.linalg.lstsq(system, rhs, rcond=None)[0][:k]
        return weights if np.all(weights >= 0) else None

    wx, wy = indifferent(B[np.ix_(I, J)]), indifferent(A[np.ix_(I, J)].T)
    if wx is None or wy is None:
        return x, y, gap
    px, py = np.zeros_like(x), np.zeros_like(y)
    px[I], py[J] = wx / wx.sum(), wy / wy.sum()
    polished = _gap(A, B, px, py)
    return (px, py, polished) if polished < gap else (x, y, gap)


def _gap(A: np.ndarray, B: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """NashConv of ``(x, y)`` in the normalized bimatrix game."""
    return nash_conv_normal(NormalFormGame(np.stack([A, B])), [x, y])


class _Collector:
    """Verified, deduplicated equilibria with a record of what was turned down."""

    def __init__(self, A: np.ndarray, B: np.ndarray, tol: float) -> None:
        self.A, self.B, self.tol = A, B, tol
        self.found: list[tuple[np.ndarray, np.ndarray]] = []
        self.rejected: list[dict[str, Any]] = []

    def add(self, x: Any, y: Any, source: Any = None) -> int | None:
        """Index of the equilibrium ``(x, y)`` among those found, or ``None`` if rejected."""
        m, n = self.A.shape
        cx, cy = _clean(x, m, self.tol), _clean(y, n, self.tol)
        if cx is None or cy is None:
            self.rejected.append({"source": source, "reason": "not a probability vector"})
            return None
        gap = _gap(self.A, self.B, cx, cy)
        if self.tol * PRECISE < gap <= self.tol:
            cx, cy, gap = _polish(self.A, self.B, cx, cy, gap)
        if not gap <= self.tol * PRECISE:
            self.rejected.append({"source": source, "reason": "not an equilibrium", "nash_conv": gap})
            return None
        for k, (fx, fy) in enumerate(self.found):
            if max(np.abs(fx - cx).max(), np.abs(fy - cy).max()) <= DUPLICATE_TOLERANCE:
                return k
        self.found.append((cx, cy))
        return len(self.found) - 1

    def order(self) -> list[int]:
        """Indices of the equilibria in the documented order."""
        return _order(self.found)


def _order(pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[int]:
    """Indices sorting equilibria in decreasing lexicographic order of ``(x, y)``."""
    keys = [tuple(-np.round(np.concatenate(eq), 9)) for eq in pairs]
    return sorted(range(len(keys)), key=keys.__getitem__)


def _solution(
    game: NormalFormGame,
    method: str,
    pairs: list[tuple[np.ndarray, np.ndarray]],
    started: float,
    iterations: int,
    info: dict[str, Any],
) -> Solution:
    stopped = bool(info.get("stopped_early"))
    if not pairs and stopped:
        raise SolverError(f"{method} found no equilibrium within the time limit of {info['time_limit']:g} s")
    if not pairs:
        raise SolverError(f"{method} found no verified equilibrium; try support_enumeration")
    equilibria = []
    for x, y in pairs:
        profile = MixedProfile(game, [x, y])
        support = (np.flatnonzero(x > 0).tolist(), np.flatnonzero(y > 0).tolist())
        equilibria.append(
            Solution(
                method=method,
                profile=profile,
                values=profile.expected_payoffs(),
                nash_conv=nash_conv_normal(game, profile),
                info={"support": support},
            )
        )
    first = equilibria[0]
    return Solution(
        method=method,
        profile=first.profile,
        values=first.values,
        nash_conv=first.nash_conv,
        iterations=max(1, int(iterations)),
        seconds=time.perf_counter() - started,
        converged=False if stopped else None,
        equilibria=tuple(equilibria),
        info={"equilibria": len(equilibria), **info},
    )


# ---------------------------------------------------------------------------- support enumeration
def _vertices(
    M: np.ndarray, tol: float, stop_at: float | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """Vertices of ``{x in simplex : x M <= w}``, by support size, in chunks.

    ``M[m, n]`` holds the *opponent's* payoffs with this player's strategies as rows.
    Yields ``(x [V, m], unused [V, m], best [V, n], systems)`` chunk by chunk: the
    vertices, which of this player's strategies they leave unused, which of the
    opponent's strategies are best responses to them, and how many systems were solved.
    A vertex may come more than once (in a degenerate game, from several systems).
    Raises ``OutOfTime`` at the first chunk boundary after ``stop_at``.
    """
    m, n = M.shape
    for k in range(1, min(m, n) + 1):
        cols = np.array(list(combinations(range(n), k)), np.int64)  # [C, k]
        C = len(cols)
        row_sets = combinations(range(m), k)
        chunk = max(1, _CHUNK_SYSTEMS // C)
        while True:
            if stop_at is not None and time.perf_counter() > stop_at:
                raise OutOfTime
            rows = np.array(list(islice(row_sets, chunk)), np.int64).reshape(-1, k)  # [R, k]
            if len(rows) == 0:
                break
            yield _vertex_chunk(M, rows, cols, tol)


def _vertex_chunk(
    M: np.ndarray, rows: np.ndarray, cols: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The vertices from the systems of support sets ``rows [R, k]`` x indifference sets ``cols [C, k]``."""
    m, n = M.shape
    (R, k), C = rows.shape, len(cols)
    # system for (I, J): sum_i x_i M[i, j] - w = 0 (j in J), sum_i x_i = 1
    mats = np.zeros((R, C, k + 1, k + 1))
    mats[..., :k, :k] = np.swapaxes(M[rows[:, None, :, None], cols[None, :, None, :]], -1, -2)
    mats[..., :k, k] = -1.0
    mats[..., k, :k] = 1.0
    mats = mats.reshape(R * C, k + 1, k + 1)
    sv = np.linalg.svd(mats, compute_uv=False)
    regular = sv[:, -1] > 1e-11 * np.maximum(sv[:, 0], 1.0)
    if not np.any(regular):
        return np.zeros((0, m)), np.zeros((0, m), bool), np.zeros((0, n), bool), R * C
    rhs = np.zeros((int(regular.sum()), k + 1, 1))
    rhs[:, k, 0] = 1.0
    sol = np.linalg.solve(mats[regular], rhs)[..., 0]  # [V, k + 1]
    support = np.repeat(rows, C, axis=0)[regular]  # [V, k]
    chosen = np.tile(cols, (R, 1))[regular]  # [V, k]
    probs = sol[:, :k]
    ok = np.all(probs >= -tol, axis=1)
    x = np.zeros((int(ok.sum()), m))
    np.put_along_axis(x, support[ok], np.clip(probs[ok], 0.0, None), axis=1)
    x /= x.sum(axis=1, keepdims=True)
    payoff = x @ M  # [V, n]
    best_value = payoff.max(axis=1, keepdims=True)
    # the columns in J must be best responses (their common payoff w is the maximum)
    keep = np.all(np.take_along_axis(payoff, chosen[ok], axis=1) >= best_value - tol, axis=1)
    x, payoff, best_value = x[keep], payoff[keep], best_value[keep]
    if len(x):
        _, first = np.unique(np.round(x, 9), axis=0, return_index=True)
        first = np.sort(first)
        x, payoff, best_value = x[first], payoff[first], best_value[first]
    return x, x <= tol, payoff >= best_value - tol, R * C


def support_enumeration_gen(game: NormalFormGame, *, tol: float = 1e-9) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the extreme Nash equilibria of a two-player game one at a time.

    The generator behind :func:`support_enumeration` (see the module docstring for the
    algorithm). Equilibria come in the order found (by the row player's support size),
    each once, as ``(x, y)`` probability vectors, checked to have NashConv at most
    ``tol`` in payoffs normalized to ``[0, 1]``.

    Parameters
    ----------
    game : NormalFormGame
        A single two-player game.
    tol : float, optional
        Tolerance for zero probabilities and equal payoffs, in normalized payoffs.

    Yields
    ------
    tuple of ndarray
        ``(x, y)``: the row and the column player's mixed strategies.

    Raises
    ------
    SolverError
        If the game is not a single two-player normal-form game or is too large
        (over :data:`MAX_SUPPORT_SYSTEMS` systems).

    Examples
    --------
    >>> from negsim.games import library
    >>> [tuple(s.tolist() for s in eq) for eq in support_enumeration_gen(library.prisoners_dilemma())]
    [([0.0, 1.0], [0.0, 1.0])]
    """
    A, B = _bimatrix(game, "support enumeration")
    tol = _check_tol(tol)
    _check_size(*A.shape)
    yield from _enumerate(A, B, tol, {})


def _check_size(m: int, n: int) -> None:
    systems = math.comb(m + n, m) - 1
    if systems > MAX_SUPPORT_SYSTEMS:
        raise SolverError(
            f"support enumeration of a {m}x{n} game would solve {systems:,} systems per player "
            f"(limit {MAX_SUPPORT_SYSTEMS:,}); use lemke_howson or negsim.solvers.lemke.lemke"
        )


def _enumerate(
    A: np.ndarray, B: np.ndarray, tol: float, stats: dict[str, Any], stop_at: float | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Equilibria ``(x, y)`` of the normalized game; counts go into ``stats`` as it runs.

    Past ``stop_at`` (checked between chunks of systems) it raises ``OutOfTime``.
    """
    stats.update(systems=0, degenerate=False)
    # all vertices of the column player first, then the row player's size by size
    col_parts = list(_vertices(A.T, tol, stop_at))
    Y = np.concatenate([p[0] for p in col_parts])
    unused_y = np.concatenate([p[1] for p in col_parts])
    best_x = np.concatenate([p[2] for p in col_parts])  # rows that are best responses to y
    stats["systems"] += sum(p[3] for p in col_parts)
    if len(Y) and np.any(best_x.sum(axis=1) > (~unused_y).sum(axis=1)):
        stats["degenerate"] = True
    collector = _Collector(A, B, tol)
    for X, unused_x, best_y, systems in _vertices(B, tol, stop_at):
        stats["systems"] += systems
        if len(X) == 0 or len(Y) == 0:
            continue
        if np.any(best_y.sum(axis=1) > (~unused_x).sum(axis=1)):
            stats["degenerate"] = True
        rows_ok = ~np.any(~unused_x[:, None, :] & ~best_x[None, :, :], axis=2)  # [Vx, Vy]
        cols_ok = ~np.any(~unused_y[None, :, :] & ~best_y[:, None, :], axis=2)
        for i, j in zip(*np.nonzero(rows_ok & cols_ok), strict=True):
            before = len(collector.found)
            collector.add(X[i], Y[j], source="support")
            if len(collector.found) > before:
                yield collector.found[-1]


def support_enumeration(game: NormalFormGame, *, tol: float = 1e-9, time_limit: float | None = None) -> Solution:
    """All extreme Nash equilibria of a two-player game, by support enumeration.

    negsim's own implementation (see the module docstring): tolerance-aware, and
    complete for degenerate games too (every vertex of every equilibrium component).

    Parameters
    ----------
    game : NormalFormGame
        A single two-player game.
    tol : float, optional
        Tolerance for zero probabilities, equal payoffs and the final NashConv check,
        in payoffs normalized to ``[0, 1]`` per player.
    time_limit : float, optional
        Seconds of wall-clock time. The clock is read between chunks of at most 20,000
        systems; once the limit has passed the equilibria found so far are returned,
        with ``converged=False``, ``info["stopped_early"] = True`` and
        ``info["time_limit"]``.

    Returns
    -------
    Solution
        ``method="support-enumeration"``; ``equilibria`` all equilibria found (each a
        Solution with a :class:`~negsim.games.profile.MixedProfile`, its values,
        NashConv and ``info["support"]``), in the documented order; ``profile``,
        ``values`` and ``nash_conv`` those of the first; ``iterations`` the number of
        indifference systems solved; ``info`` with ``"equilibria"`` (the count) and
        ``"degenerate"``: whether some mixed strategy has more pure best responses than
        the size of its support, which is the definition of a degenerate game (it is
        checked at the vertices, which suffices).

    Raises
    ------
    SolverError
        If the game is not a single two-player normal-form game or is too large, or
        the time limit passed before any equilibrium was found.

    Examples
    --------
    >>> from negsim.games import library
    >>> solution = support_enumeration(library.battle_of_the_sexes(), time_limit=60)
    >>> len(solution.equilibria)
    3
    >>> for eq in solution.equilibria:
    ...     print(eq.profile, eq.values)
    MixedProfile([1. 0.], [1. 0.]) [2. 1.]
    MixedProfile([0.6667 0.3333], [0.3333 0.6667]) [0.6667 0.6667]
    MixedProfile([0. 1.], [0. 1.]) [1. 2.]
    >>> solution.info["degenerate"]
    False
    """
    started = time.perf_counter()
    A, B = _bimatrix(game, "support enumeration")
    tol = _check_tol(tol)
    _check_size(*A.shape)
    stop_at = deadline(time_limit, started)
    stats: dict[str, Any] = {}
    found: list[tuple[np.ndarray, np.ndarray]] = []
    info: dict[str, Any] = {}
    try:
        for equilibrium in _enumerate(A, B, tol, stats, stop_at):
            found.append(equilibrium)
    except OutOfTime:
        info.update(stopped_early=True, time_limit=float(time_limit))
    pairs = [found[k] for k in _order(found)]
    info = {"degenerate": bool(stats["degenerate"]), **info}
    return _solution(game, "support-enumeration", pairs, started, stats["systems"], info)


def _check_tol(tol: float) -> float:
    tol = float(tol)
    if not (np.isfinite(tol) and 0 < tol < 1e-2):
        raise SolverError(f"tol must be a small positive number, got {tol!r}")
    return tol


# ---------------------------------------------------------------------------- nashpy
def _nashpy_game(A: np.ndarray, B: np.ndarray):
    import nashpy

    return nashpy.Game(A + 1.0, B + 1.0)


def _fallback(game: NormalFormGame, method: str, tol: float, started: float, reason: str, info: dict) -> Solution:
    base = support_enumeration(game, tol=tol)
    pairs = [tuple(eq.profile.probabilities) for eq in base.equilibria]
    return _solution(game, method, pairs, started, base.iterations, {**info, "fallback": reason})


def vertex_enumeration(game: NormalFormGame, *, tol: float = 1e-9, time_limit: float | None = None) -> Solution:
    """All extreme Nash equilibria of a two-player game, by vertex enumeration of the best-response polytopes.

    The vertices of ``P = {x >= 0 : x B <= 1}`` and ``Q = {y >= 0 : A y <= 1}`` (payoffs
    mapped to ``[1, 2]``) come from Qhull's halfspace intersection (one C call per
    player); each vertex is labelled by the constraints it makes tight, and a pair of
    vertices whose labels cover every strategy is an equilibrium (Nisan et al. 2007,
    Algorithm 3.5). The pairs are matched in vectorized chunks (exactly complementary
    labels by sorting, vertices with extra labels - a degenerate game - against all),
    so the work returns to Python often: Ctrl-C and ``time_limit`` act within a chunk.

    Parameters
    ----------
    game : NormalFormGame
        A single two-player game.
    tol : float, optional
        Largest NashConv, in payoffs normalized to ``[0, 1]`` per player, for a matched
        pair to count as an equilibrium.
    time_limit : float, optional
        Seconds of wall-clock time. When they have passed (checked while Qhull runs and
        between chunks of matching), the equilibria found so far are returned, with
        ``converged=False``, ``info["stopped_early"] = True`` and ``info["time_limit"]``.
        A Qhull call that is cut short runs to its end in a background thread.

    Returns
    -------
    Solution
        ``method="vertex-enumeration"``, with ``equilibria`` as in
        :func:`support_enumeration`; ``iterations`` the number of vertex pairs checked
        (each vertex with extra labels against every vertex of the other polytope, the
        others by sorting, counted once each); ``info`` with ``"equilibria"``,
        ``"vertices"`` (of each polytope, the origin excluded), ``"rejected"`` (matched
        pairs dropped, with the reason and NashConv) and ``"fallback"`` (``None``, or
        why the equilibria came from :func:`support_enumeration` instead).

    Raises
    ------
    SolverError
        If the game is not a single two-player normal-form game, its polytopes may have
        more than :data:`~negsim.solvers.budget.MAX_VERTEX_BASES` vertices, or the time
        limit passed before any equilibrium was found.

    Examples
    --------
    >>> from negsim.games import library
    >>> solution = vertex_enumeration(library.matching_pennies())
    >>> solution.profile.to_list()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> bool(abs(solution.values).max() < 1e-12)  # Qhull's vertices carry rounding
    True
    >>> len(vertex_enumeration(library.battle_of_the_sexes(), time_limit=10).equilibria)
    3
    """
    started = time.perf_counter()
    A, B = _bimatrix(game, "vertex enumeration")
    tol = _check_tol(tol)
    stop_at = deadline(time_limit, started)
    m, n = A.shape
    check_vertex_size(m, n)
    info: dict[str, Any] = {"vertices": [0, 0], "rejected": [], "fallback": None}
    if min(m, n) == 1:
        return _fallback(game, "vertex-enumeration", tol, started, "a player has a single strategy", info)
    try:
        X, labels_x = polytope_vertices(B.T + 1.0, own_first=True, stop_at=stop_at)
        Y, labels_y = polytope_vertices(A + 1.0, own_first=False, stop_at=stop_at)
    except OutOfTime:
        X = Y = None
    except Exception as error:  # noqa: BLE001 - Qhull raises QhullError, ValueError, ...
        reason = f"Qhull failed: {type(error).__name__}: {str(error).strip().splitlines()[0]}"
        return _fallback(game, "vertex-enumeration", tol, started, reason, info)
    collector = _Collector(A, B, tol)
    checked, stopped = 0, X is None
    if X is not None:
        info["vertices"] = [len(X), len(Y)]
        try:
            for pairs, count in complementary_pairs(labels_x, labels_y, m, stop_at):
                checked += count
                for i, j in pairs:
                    collector.add(X[i], Y[j], source=(int(i), int(j)))
        except OutOfTime:
            stopped = True
    info["rejected"] = collector.rejected
    if stopped:
        info.update(stopped_early=True, time_limit=float(time_limit))
    elif not collector.found:
        return _fallback(game, "vertex-enumeration", tol, started, "no complementary vertex pair verified", info)
    pairs = [collector.found[k] for k in collector.order()]
    return _solution(game, "vertex-enumeration", pairs, started, checked, info)


def lemke_howson(
    game: NormalFormGame,
    *,
    labels: str | int | Iterable[int] = "all",
    tol: float = 1e-9,
    time_limit: float | None = None,
) -> Solution:
    """Nash equilibria of a two-player game by nashpy's Lemke–Howson from several labels.

    Lemke–Howson finds one equilibrium from each initial dropped label ``0 .. m + n - 1``
    (the row player's strategies, then the column player's). Different labels may lead to
    the same equilibrium, and not every equilibrium is reachable, so this is not an
    enumeration of all equilibria.

    Parameters
    ----------
    game : NormalFormGame
        A single two-player game.
    labels : "all", int or iterable of int, optional
        The initial dropped labels to start from (default: all of them).
    tol : float, optional
        Largest NashConv, in payoffs normalized to ``[0, 1]`` per player, for a profile
        nashpy returns to count as an equilibrium.
    time_limit : float, optional
        Seconds of wall-clock time, read between labels (the first label always runs,
        and a path runs to its end): once they have passed, the remaining labels are skipped and the
        equilibria found so far returned, with ``converged=False``,
        ``info["stopped_early"] = True`` and ``info["time_limit"]``.

    Returns
    -------
    Solution
        ``method="lemke-howson"``; ``equilibria`` the distinct verified equilibria, in
        the documented order; ``iterations`` the number of labels run; ``info`` with
        ``"labels"`` (``{label: index into equilibria, or None if that run failed}``),
        ``"rejected"``, ``"warnings"`` and ``"fallback"`` as in
        :func:`vertex_enumeration` (after a fallback ``"labels"`` is empty and
        ``equilibria`` holds every extreme equilibrium).

    Raises
    ------
    SolverError
        If the game does not fit, a label is out of range, or no run gave an
        equilibrium.

    Examples
    --------
    >>> from negsim.games import library
    >>> solution = lemke_howson(library.battle_of_the_sexes())
    >>> [eq.profile.to_list() for eq in solution.equilibria]
    [[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]]
    >>> solution.info["labels"]
    {0: 0, 1: 1, 2: 0, 3: 1}
    """
    started = time.perf_counter()
    A, B = _bimatrix(game, "Lemke-Howson")
    tol = _check_tol(tol)
    stop_at = deadline(time_limit, started)
    m, n = A.shape
    if isinstance(labels, str):
        if labels != "all":
            raise SolverError(f"labels must be 'all', an int or a list of ints, got {labels!r}")
        chosen = list(range(m + n))
    elif isinstance(labels, int | np.integer):
        chosen = [int(labels)]
    else:
        chosen = [int(k) for k in labels]
    bad = [k for k in chosen if not 0 <= k < m + n]
    if bad or not chosen:
        raise SolverError(f"labels must lie in 0 .. {m + n - 1} (row strategies, then column strategies), got {bad}")
    info: dict[str, Any] = {"labels": {}, "rejected": [], "warnings": [], "fallback": None}
    if min(m, n) == 1:
        # nashpy's pivoting never stops on these games
        return _fallback(game, "lemke-howson", tol, started, "a player has a single strategy", info)
    nash_game = _nashpy_game(A, B)
    collector = _Collector(A, B, tol)
    found_at: dict[int, int | None] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for label in chosen:
            if stop_at is not None and found_at and time.perf_counter() > stop_at:
                info.update(stopped_early=True, time_limit=float(time_limit))
                break
            try:
                x, y = nash_game.lemke_howson(initial_dropped_label=label)
            except Exception as error:  # noqa: BLE001 - nashpy raises KeyError, ValueError, ...
                collector.rejected.append({"source": label, "reason": f"{type(error).__name__}: {error}"})
                found_at[label] = None
                continue
            found_at[label] = collector.add(x, y, source=label)
    info["warnings"] = [str(w.message).strip() for w in caught]
    info["rejected"] = collector.rejected
    order = collector.order()
    rank = {old: new for new, old in enumerate(order)}
    info["labels"] = {label: (None if k is None else rank[k]) for label, k in found_at.items()}
    pairs = [collector.found[k] for k in order]
    return _solution(game, "lemke-howson", pairs, started, len(found_at), info)
