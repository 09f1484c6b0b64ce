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
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import dger as _dger
from scipy.sparse.linalg import inv as sparse_inverse
from scipy.sparse.linalg import splu

from negsim._arrays import ranges as _ranges
from negsim.errors import NegsimWarning, SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.games.profile import BehaviorProfile, MixedProfile
from negsim.solvers.best_response import expected_values, nash_conv
from negsim.solvers.budget import deadline
from negsim.solvers.normal_regret import nash_conv_normal
from negsim.solvers.solution import Solution

__all__ = ["lemke", "ACCEPT", "CHECK_EVERY", "PERTURBATIONS", "REFACTOR_EVERY", "SMALL_PIVOT"]

REFACTOR_EVERY: int = 500
"""Most pivots between two recomputations of the basis inverse from scratch (float arithmetic)."""

CHECK_EVERY: int = 50
"""Pivots between two accuracy checks of the updated basis inverse (float arithmetic)."""

_LEX_NOISE = 1e-11  # relative size of rounding noise in the lexicographic comparison

SMALL_PIVOT: float = 1e-7
"""A pivot element smaller than this (relative to its column) is checked on a freshly computed inverse."""

PERTURBATIONS: tuple[float, ...] = (0.0, 1e-7)
"""Right-hand-side perturbations tried in turn by the float pivoting (see the module docstring)."""

ACCEPT: float = 1e-6
PRECISE: float = 1e-13
"""A float run whose NashConv exceeds ``PRECISE`` times the payoff range is pivoted again exactly (small LCPs)."""
EXACT_RETRY_SIZE: int = 60
"""Largest LCP (equations) that is pivoted again in rational arithmetic when floats lose precision."""
"""Largest NashConv, relative to the largest absolute payoff (at least 1), of an accepted float result."""


class _Unstable(SolverError):
    """Floating-point trouble in the pivoting (a cycle, a singular basis, a ray)."""


class _OutOfTime(SolverError):
    """The time limit passed during the pivoting: no retry can help."""


# ---------------------------------------------------------------------------- the LCP data
@dataclass(frozen=True, eq=False)
class _Treeplex:
    """One player's sequences and information sets (index 0 = empty sequence)."""

    sequence_start: np.ndarray  # [I + 1]
    infoset_parent: np.ndarray  # [I]
    levels: tuple[np.ndarray, ...]  # information sets by depth

    @property
    def num_sequences(self) -> int:  # including the empty sequence
        return int(self.sequence_start[-1])

    @property
    def num_infosets(self) -> int:
        return len(self.infoset_parent)

    def constraints(self) -> sp.csr_matrix:
        """``E`` with ``E x = e``: row 0 fixes the empty sequence, row ``1 + I`` balances ``I``."""
        counts = np.diff(self.sequence_start)
        k = self.num_infosets
        seq_iset = np.repeat(np.arange(k), counts)
        rows = np.concatenate(([0], 1 + np.arange(k), 1 + seq_iset))
        cols = np.concatenate(([0], self.infoset_parent, np.arange(1, self.num_sequences)))
        data = np.concatenate(([1.0], -np.ones(k), np.ones(self.num_sequences - 1)))
        return sp.csr_matrix((data, (rows, cols)), shape=(k + 1, self.num_sequences))

    def behaviour(self, plan: np.ndarray, tol: float) -> np.ndarray:
        """Behaviour probabilities ``[S]`` from a realization plan ``[S + 1]``."""
        weights = np.clip(plan[1:], 0.0, None)
        if weights.size == 0:
            return weights
        counts = np.diff(self.sequence_start)
        totals = np.add.reduceat(weights, self.sequence_start[:-1] - 1)
        reached = np.repeat(totals > tol, counts)
        denominator = np.repeat(np.where(totals > tol, totals, 1.0), counts)
        probs = np.where(reached, weights / denominator, np.repeat(1.0 / counts, counts))
        # clean LP noise: probabilities that are zero up to tol, renormalized
        probs = np.where(probs > tol, probs, 0.0)
        sums = np.repeat(np.add.reduceat(probs, self.sequence_start[:-1] - 1), counts)
        return probs / sums

    def best_response(self, direct: np.ndarray, tol: float) -> np.ndarray:
        """The chosen sequence at every information set of a pure best response.

        ``direct[s]`` is the payoff of sequence ``s`` itself; choices are made bottom-up,
        so the choice is optimal at every information set, reached or not. Ties (within
        ``tol``) go to the first action.
        """
        value = np.array(direct, copy=True)
        choice = np.zeros(self.num_infosets, np.int64)
        for isets in reversed(self.levels):
            lo = self.sequence_start[isets]
            counts = self.sequence_start[isets + 1] - lo
            idx = np.repeat(lo, counts) + _ranges(counts)
            segment = np.repeat(np.arange(len(isets)), counts)
            vals = value[idx]
            offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
            if vals.dtype == object:
                best = np.array([max(vals[o : o + c]) for o, c in zip(offsets, counts, strict=True)], dtype=object)
                is_best = vals >= np.repeat(best, counts)
            else:
                best = np.maximum.reduceat(vals, offsets)
                is_best = vals >= np.repeat(best, counts) - tol
            pos = np.flatnonzero(is_best)
            _, first = np.unique(segment[pos], return_index=True)
            choice[isets] = idx[pos[first]]
            np.add.at(value, self.infoset_parent[isets], best)
        return choice


def _single_infoset(num_strategies: int) -> _Treeplex:
    return _Treeplex(
        sequence_start=np.array([1, num_strategies + 1], np.int64),
        infoset_parent=np.zeros(1, np.int64),
        levels=(np.zeros(1, np.int64),),
    )


@dataclass(frozen=True, eq=False)
class _Problem:
    """The sequence-form data of one two-player game, payoffs scaled to at most 1."""

    plex: tuple[_Treeplex, _Treeplex]
    A: sp.csr_matrix  # [n1, n2] player 1's payoffs
    B: sp.csr_matrix  # [n1, n2] player 2's payoffs
    prior: tuple[np.ndarray, np.ndarray]  # realization plans s [n1], t [n2]


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(np.abs(values).max(initial=0.0))
    return values / top if top > 0 else values


def _extensive_problem(game: ExtensiveFormGame, prior: BehaviorProfile) -> _Problem:
    sf = game.sequence_form
    plex = tuple(
        _Treeplex(sf.sequence_start[p], sf.infoset_parent[p], sf.levels[p]) for p in range(2)
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
    return _Problem(plex=plex, A=mats[0], B=mats[1], prior=(plans[0], plans[1]))  # type: ignore[arg-type]


def _normal_problem(game: NormalFormGame, prior: MixedProfile) -> _Problem:
    m, n = game.shape
    mats = []
    for p in range(2):
        full = np.zeros((m + 1, n + 1))
        full[1:, 1:] = _scaled(game.payoffs[p])
        mats.append(sp.csr_matrix(full))
    plans = tuple(np.concatenate(([1.0], x)) for x in prior.probabilities)
    return _Problem(plex=(_single_infoset(m), _single_infoset(n)), A=mats[0], B=mats[1], prior=plans)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- pivoting
class _Layout:
    """Column numbering of the LCP's variables: x, y, a, b, u, v, z0."""

    def __init__(self, n1: int, n2: int, k1: int, k2: int) -> None:
        self.x, self.y = 0, n1
        self.a, self.b = n1 + n2, 2 * n1 + n2
        self.u, self.v = 2 * (n1 + n2), 2 * (n1 + n2) + k1
        self.z0 = 2 * (n1 + n2) + k1 + k2
        self.columns = self.z0 + 1
        self.rows = n1 + n2 + k1 + k2
        self.n1, self.n2 = n1, n2
        half = n1 + n2
        self.complement = np.full(self.columns, -1, np.int64)
        self.complement[:half] = np.arange(half) + half
        self.complement[half : 2 * half] = np.arange(half)
        self.constrained = np.zeros(self.columns, bool)
        self.constrained[: 2 * half] = True
        self.constrained[self.z0] = True


def _system(problem: _Problem, layout: _Layout, exact: bool) -> tuple[Any, Any]:
    """The LCP's equations ``M w = q`` over all variables (see the module docstring)."""
    p1, p2 = problem.plex
    n1, n2 = layout.n1, layout.n2
    E, F = p1.constraints(), p2.constraints()
    k1, k2 = E.shape[0], F.shape[0]
    A, B = problem.A, problem.B
    s, t = problem.prior
    At, Bs = A @ t, B.T @ s
    Z = None
    blocks = [
        # x            y     a                 b                 u      v      z0
        [Z, A, sp.identity(n1), Z, -E.T, Z, sp.csr_matrix(At[:, None])],
        [B.T, Z, Z, sp.identity(n2), Z, -F.T, sp.csr_matrix(Bs[:, None])],
        [E, Z, Z, Z, Z, Z, sp.csr_matrix(np.eye(k1, 1))],
        [Z, F, Z, Z, Z, Z, sp.csr_matrix(np.eye(k2, 1))],
    ]
    # bmat needs every block column to have a shape: give empty blocks explicit sizes
    widths = [n1, n2, n1, n2, k1, k2, 1]
    heights = [n1, n2, k1, k2]
    for i, row in enumerate(blocks):
        for j, block in enumerate(row):
            if block is None:
                row[j] = sp.csr_matrix((heights[i], widths[j]))
    M = sp.bmat(blocks, format="csc")
    q = np.zeros(layout.rows)
    q[n1 + n2] = 1.0
    q[n1 + n2 + k1] = 1.0
    if exact:
        dense = M.toarray()
        M = np.array([[Fraction(float(v)) for v in row] for row in dense], dtype=object)
        q = np.array([Fraction(float(v)) for v in q], dtype=object)
    return M, q


def _column(M: Any, j: int) -> tuple[np.ndarray, Any]:
    """Row indices and values of column ``j`` of ``M``."""
    if isinstance(M, np.ndarray):
        col = M[:, j]
        rows = np.flatnonzero(col != 0)
        return rows, col[rows]
    lo, hi = M.indptr[j], M.indptr[j + 1]
    return M.indices[lo:hi], M.data[lo:hi]


def _basis_matrix(M: Any, basis: np.ndarray) -> Any:
    """The basis columns of ``M``: dense Fractions (exact) or a sparse CSC matrix (float)."""
    if isinstance(M, np.ndarray):
        return M[:, basis]
    return sp.csc_matrix(M[:, basis])


def _exact_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a square matrix of Fractions by Gauss–Jordan elimination."""
    n = matrix.shape[0]
    work = np.concatenate([matrix.copy(), np.array(np.eye(n, dtype=np.int64), dtype=object)], axis=1)
    work = work + Fraction(0)
    for c in range(n):
        nonzero = np.flatnonzero(work[c:, c] != 0)
        if nonzero.size == 0:
            raise SolverError("the starting basis of Lemke's algorithm is singular")
        r = c + int(nonzero[0])
        if r != c:
            work[[c, r]] = work[[r, c]]
        work[c] = work[c] / work[c, c]
        others = np.flatnonzero(work[:, c] != 0)
        others = others[others != c]
        if others.size:
            work[others] -= np.outer(work[others, c], work[c])
    return work[:, n:]


def _inverse(matrix: Any, exact: bool) -> Any:
    """The dense inverse of a basis matrix (Fortran order for in-place BLAS updates)."""
    if exact:
        return _exact_inverse(matrix)
    try:
        # the bases are very sparse and so, mostly, are their inverses
        inverse = sparse_inverse(sp.csc_matrix(matrix)).toarray(order="F")
    except RuntimeError as error:
        raise _Unstable(f"Lemke's algorithm reached a singular basis ({error})") from error
    if not np.all(np.isfinite(inverse)):
        raise _Unstable("Lemke's algorithm reached a singular basis")
    return np.asfortranarray(inverse)


def _initial_basis(problem: _Problem, layout: _Layout, exact: bool, tol: float) -> np.ndarray:
    """The starting basis: pure best responses to the prior, chosen at every information set."""
    p1, p2 = problem.plex
    s, t = problem.prior
    if exact:
        A = np.array([[Fraction(float(v)) for v in row] for row in problem.A.toarray()], dtype=object)
        B = np.array([[Fraction(float(v)) for v in row] for row in problem.B.toarray()], dtype=object)
        t_ex = np.array([Fraction(float(v)) for v in t], dtype=object)
        s_ex = np.array([Fraction(float(v)) for v in s], dtype=object)
        direct1, direct2 = A.dot(t_ex), B.T.dot(s_ex)
    else:
        direct1, direct2 = problem.A @ t, problem.B.T @ s
    choice1 = p1.best_response(direct1, tol)
    choice2 = p2.best_response(direct2, tol)
    n1, n2 = layout.n1, layout.n2
    basis = [layout.z0, layout.y + 0]
    basis += list(range(layout.u, layout.u + p1.num_infosets + 1))
    basis += list(range(layout.v, layout.v + p2.num_infosets + 1))
    chosen1 = np.zeros(n1, bool)
    chosen1[choice1] = True
    chosen2 = np.zeros(n2, bool)
    chosen2[choice2] = True
    for seq in range(1, n1):
        basis.append(layout.x + seq if chosen1[seq] else layout.a + seq)
    for seq in range(1, n2):
        basis.append(layout.y + seq if chosen2[seq] else layout.b + seq)
    if len(basis) != layout.rows:  # pragma: no cover - a bug, not a user error
        raise SolverError(f"internal error: starting basis has {len(basis)} variables for {layout.rows} rows")
    return np.array(basis, np.int64)


@dataclass
class _Outcome:
    x: np.ndarray  # realization plan of player 1 [n1] (float)
    y: np.ndarray
    pivots: int
    refactorizations: int
    size: int
    exact_plans: tuple[list[Fraction], list[Fraction]] | None
    perturbation: float = 0.0
    failures: tuple[str, ...] = ()


class _Basis:
    """The current basis, its dense inverse and basic solution, with the bookkeeping of
    refactorization (recomputing the inverse from the sparse basis matrix)."""

    def __init__(
        self, M: Any, q: Any, basis: np.ndarray, constrained: np.ndarray, exact: bool, perturbation: float
    ) -> None:
        self.M, self.basis, self.constrained, self.exact = M, basis, constrained, exact
        self.initial = _basis_matrix(M, basis)  # B0 of the lexicographic rule
        rng = np.random.default_rng(0)
        self._probe = rng.uniform(0.5, 1.5, len(basis))
        # q + B0 r keeps the starting basis feasible (its values grow by r > 0); a random r
        # makes ties in the ratio test unlikely (a numerical stand-in for the lexicographic ε)
        self.q = q if not perturbation else q + self.initial @ (perturbation * rng.uniform(1.0, 2.0, len(basis)))
        self.refactorizations = -1
        self.since_refactor = 0
        # Zobrist hash of the set of basic variables: a repeated basis means cycling
        self._keys = rng.integers(0, 2**62, M.shape[1], dtype=np.int64)
        self.signature = int(np.bitwise_xor.reduce(self._keys[basis]))
        self.seen = {self.signature}
        self.refactor()

    def refactor(self) -> None:
        self.inverse = _inverse(_basis_matrix(self.M, self.basis), self.exact)
        self.values = self.inverse.dot(self.q)
        self.clip()
        self.refactorizations += 1
        self.since_refactor = 0

    def clip(self) -> None:
        """Basic values of sign-constrained variables that rounding made negative become 0."""
        if not self.exact:
            rows = self.constrained[self.basis]
            self.values[rows] = np.maximum(self.values[rows], 0.0)

    def drifted(self, tol: float) -> bool:
        """Whether the rank-one updates have lost accuracy (two cheap residual checks)."""
        B = self.M[:, self.basis]
        solution_error = float(np.abs(B @ self.values - self.q).max())
        inverse_error = float(np.abs(B @ (self.inverse @ self._probe) - self._probe).max())
        return solution_error > 1e-2 * tol or inverse_error > 1e-2 * tol

    def pivot(self, r: int, entering: int, d: np.ndarray) -> None:
        pivot = d[r]
        theta = self.values[r] / pivot
        self.values = self.values - theta * d
        self.values[r] = theta
        row = self.inverse[r] / pivot
        if self.exact:
            self.inverse = self.inverse - np.outer(d, row)
        else:
            _rank_one_update(self.inverse, d, row)
        self.inverse[r] = row
        self.signature ^= int(self._keys[self.basis[r]]) ^ int(self._keys[entering])
        self.basis[r] = entering
        self.since_refactor += 1
        self.clip()
        if self.signature in self.seen:
            raise _Unstable("the pivoting cycles (a basis came back), which exact arithmetic rules out")
        self.seen.add(self.signature)


def _leaving_row(state: _Basis, d: np.ndarray, tol: float) -> int:
    """The ratio test over the sign-constrained basic variables that ``d`` decreases."""
    zero = Fraction(0) if state.exact else tol
    blocking = np.flatnonzero(state.constrained[state.basis] & (d > zero))
    if blocking.size == 0:
        raise _Unstable("Lemke's algorithm ended on a ray, which exact arithmetic rules out")
    return _ratio_test(state.values, d, blocking, state.inverse, state.initial, state.exact, tol)


def _run(
    problem: _Problem,
    *,
    tol: float,
    max_pivots: int | None,
    exact: bool,
    perturbation: float = 0.0,
    stop_at: float | None = None,
) -> _Outcome:
    p1, p2 = problem.plex
    layout = _Layout(p1.num_sequences, p2.num_sequences, p1.num_infosets + 1, p2.num_infosets + 1)
    M, q = _system(problem, layout, exact)
    state = _Basis(M, q, _initial_basis(problem, layout, exact, tol), layout.constrained, exact, perturbation)
    limit = max_pivots if max_pivots is not None else 50 * layout.rows + 1000
    entering = layout.x + 0
    pivots = 0
    while True:
        if pivots >= limit:
            raise SolverError(
                f"Lemke's algorithm did not finish within {limit:,} pivots; raise max_pivots or try rational=True"
            )
        if stop_at is not None and time.perf_counter() > stop_at:  # one clock read per O(rows^2) pivot
            raise _OutOfTime(f"Lemke's algorithm did not finish within the time limit ({pivots:,} pivots)")
        rows, vals = _column(M, entering)
        d = state.inverse[:, rows].dot(vals)
        r = _leaving_row(state, d, tol)
        if not exact and state.since_refactor and abs(d[r]) < SMALL_PIVOT * max(1.0, float(np.abs(d).max())):
            # a small pivot may be rounding noise of the updated inverse: check it on a fresh one
            state.refactor()
            d = state.inverse[:, rows].dot(vals)
            r = _leaving_row(state, d, tol)
        leaving = int(state.basis[r])
        state.pivot(r, entering, d)
        pivots += 1
        if not exact and state.since_refactor % CHECK_EVERY == 0:
            if state.since_refactor >= REFACTOR_EVERY or state.drifted(tol):
                state.refactor()
        if leaving == layout.z0:
            break
        entering = int(layout.complement[leaving])

    # the final basic solution, recomputed from the basis for accuracy
    basis = state.basis
    values = state.values if exact else splu(_basis_matrix(M, basis)).solve(q)
    full = np.zeros(layout.columns, dtype=object if exact else np.float64)
    if exact:
        full[:] = Fraction(0)
    full[basis] = values
    x = full[layout.x : layout.x + layout.n1]
    y = full[layout.y : layout.y + layout.n2]
    exact_plans = None
    if exact:
        if any(v < 0 for v in values[layout.constrained[basis]]):  # pragma: no cover - cannot happen exactly
            raise SolverError("internal error: exact Lemke solution is infeasible")
        exact_plans = (list(x), list(y))
        x, y = np.array([float(v) for v in x]), np.array([float(v) for v in y])
    return _Outcome(
        x=np.asarray(x, np.float64),
        y=np.asarray(y, np.float64),
        pivots=pivots,
        refactorizations=state.refactorizations,
        size=layout.rows,
        exact_plans=exact_plans,
    )


def _rank_one_update(Binv: np.ndarray, d: np.ndarray, row: np.ndarray) -> None:
    """``Binv -= outer(d, row)`` in place (BLAS ``dger`` on the Fortran-ordered inverse)."""
    if Binv.flags.f_contiguous:
        result = _dger(-1.0, d, row, a=Binv, overwrite_a=1)
        if result is not Binv:  # pragma: no cover - BLAS made a copy after all
            Binv[...] = result
    else:  # pragma: no cover
        Binv -= np.outer(d, row)


def _ratio_test(
    beta: np.ndarray, d: np.ndarray, blocking: np.ndarray, Binv: Any, B0: Any, exact: bool, tol: float
) -> int:
    """The leaving row: the minimum ratio ``beta / d``, ties broken lexicographically."""
    ratios = beta[blocking] / d[blocking]
    if exact:
        best = min(ratios)
        tied = blocking[ratios == best]
    else:
        best = float(ratios.min())
        tied = blocking[ratios <= best + tol * max(1.0, abs(best))]
    if tied.size == 1:
        return int(tied[0])
    # lexicographic rule: compare rows of Binv @ B0 (the perturbation) divided by d
    if exact:
        lex = Binv[tied].dot(B0) / d[tied][:, None]
        best = 0
        for c in range(1, tied.size):
            diff = np.flatnonzero(lex[c] != lex[best])
            if diff.size and lex[c, diff[0]] < lex[best, diff[0]]:
                best = c
        return int(tied[best])
    raw = np.asarray((B0.T @ Binv[tied].T).T)
    # Entries that are 0 in exact arithmetic come out as rounding noise, up to about the
    # row's largest inverse entry times a small multiple of the machine epsilon; divided
    # by a small pivot that noise would decide the comparison, so it is set to 0 first.
    noise = _LEX_NOISE * np.abs(Binv[tied]).max(axis=1, keepdims=True) * max(1.0, float(abs(B0).max()))
    raw[np.abs(raw) <= noise] = 0.0
    lex = raw / d[tied][:, None]
    best = 0
    for c in range(1, tied.size):
        a, b = lex[c], lex[best]
        differs = np.flatnonzero(np.abs(a - b) > tol * np.maximum(np.abs(a), np.abs(b)))
        if differs.size and a[differs[0]] < b[differs[0]]:
            best = c
    return int(tied[best])


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
    problem: _Problem,
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
    for perturbation in (0.0,) if exact else PERTURBATIONS:
        try:
            outcome = _run(
                problem, tol=tol, max_pivots=max_pivots, exact=exact, perturbation=perturbation, stop_at=stop_at
            )
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
            outcome = _run(problem, tol=tol, max_pivots=max_pivots, exact=True, stop_at=stop_at)
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
