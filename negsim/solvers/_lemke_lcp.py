"""The sequence-form LCP of a two-player game, and Lemke's complementary pivoting on it.

The data (:class:`Treeplex`, :class:`Problem`) and the pivoting (:func:`run`) of
:func:`negsim.solvers.lemke.lemke`, whose module docstring states the mathematics: the
homotopy with an artificial variable ``z0``, the starting basis of pure best responses to
the prior, the lexicographic ratio test, and in floating point a dense basis inverse
updated by rank-one steps and recomputed on drift. With ``exact=True`` the same pivots run
on :class:`fractions.Fraction`. The retry policy (a perturbed right-hand side, then exact
arithmetic for small problems) is :mod:`negsim.solvers.lemke`'s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import dger as _dger
from scipy.sparse.linalg import inv as sparse_inverse
from scipy.sparse.linalg import splu

from negsim._arrays import ranges as _ranges
from negsim.errors import SolverError

__all__ = [
    "Accuracy",
    "OutOfTime",
    "Outcome",
    "Problem",
    "Treeplex",
    "Unstable",
    "run",
    "single_infoset",
]

_LEX_NOISE = 1e-11  # relative size of rounding noise in the lexicographic comparison


@dataclass(frozen=True)
class Accuracy:
    """How the float pivoting keeps its basis inverse accurate (the constants of :mod:`negsim.solvers.lemke`)."""

    refactor_every: int  # most pivots between two recomputations of the inverse from scratch
    check_every: int  # pivots between two residual checks of the updated inverse
    small_pivot: float  # smaller pivots (relative to their column) are checked on a fresh inverse


class Unstable(SolverError):
    """Floating-point trouble in the pivoting (a cycle, a singular basis, a ray)."""


class OutOfTime(SolverError):
    """The time limit passed during the pivoting: no retry can help."""


# ---------------------------------------------------------------------------- the LCP data
@dataclass(frozen=True, eq=False)
class Treeplex:
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


def single_infoset(num_strategies: int) -> Treeplex:
    return Treeplex(
        sequence_start=np.array([1, num_strategies + 1], np.int64),
        infoset_parent=np.zeros(1, np.int64),
        levels=(np.zeros(1, np.int64),),
    )


@dataclass(frozen=True, eq=False)
class Problem:
    """The sequence-form data of one two-player game, payoffs scaled to at most 1."""

    plex: tuple[Treeplex, Treeplex]
    A: sp.csr_matrix  # [n1, n2] player 1's payoffs
    B: sp.csr_matrix  # [n1, n2] player 2's payoffs
    prior: tuple[np.ndarray, np.ndarray]  # realization plans s [n1], t [n2]


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


def _system(problem: Problem, layout: _Layout, exact: bool) -> tuple[Any, Any]:
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
        raise Unstable(f"Lemke's algorithm reached a singular basis ({error})") from error
    if not np.all(np.isfinite(inverse)):
        raise Unstable("Lemke's algorithm reached a singular basis")
    return np.asfortranarray(inverse)


def _initial_basis(problem: Problem, layout: _Layout, exact: bool, tol: float) -> np.ndarray:
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
class Outcome:
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
            raise Unstable("the pivoting cycles (a basis came back), which exact arithmetic rules out")
        self.seen.add(self.signature)


def _leaving_row(state: _Basis, d: np.ndarray, tol: float) -> int:
    """The ratio test over the sign-constrained basic variables that ``d`` decreases."""
    zero = Fraction(0) if state.exact else tol
    blocking = np.flatnonzero(state.constrained[state.basis] & (d > zero))
    if blocking.size == 0:
        raise Unstable("Lemke's algorithm ended on a ray, which exact arithmetic rules out")
    return _ratio_test(state.values, d, blocking, state.inverse, state.initial, state.exact, tol)


def run(
    problem: Problem,
    *,
    tol: float,
    max_pivots: int | None,
    exact: bool,
    accuracy: Accuracy,
    perturbation: float = 0.0,
    stop_at: float | None = None,
) -> Outcome:
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
            raise OutOfTime(f"Lemke's algorithm did not finish within the time limit ({pivots:,} pivots)")
        rows, vals = _column(M, entering)
        d = state.inverse[:, rows].dot(vals)
        r = _leaving_row(state, d, tol)
        if not exact and state.since_refactor and abs(d[r]) < accuracy.small_pivot * max(1.0, float(np.abs(d).max())):
            # a small pivot may be rounding noise of the updated inverse: check it on a fresh one
            state.refactor()
            d = state.inverse[:, rows].dot(vals)
            r = _leaving_row(state, d, tol)
        leaving = int(state.basis[r])
        state.pivot(r, entering, d)
        pivots += 1
        if not exact and state.since_refactor % accuracy.check_every == 0:
            if state.since_refactor >= accuracy.refactor_every or state.drifted(tol):
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
    return Outcome(
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
