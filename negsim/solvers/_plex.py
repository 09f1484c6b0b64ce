"""The vectorized treeplex kernel shared by CFR, best response and the refinements.

This module turns the sequence-form view of a game (:class:`negsim.games.SequenceForm`)
into index arrays laid out for speed, and provides the array operations one CFR
iteration or one best response needs (see the appendix of the architecture page,
docs/architecture.md, "One sequence-form CFR iteration"):

* **Kernel order.** A player's information sets are sorted by their depth in the
  treeplex, and each information set's sequences are contiguous. Every depth level is
  then one slice ``lo:hi`` of the sequence axis, and the parents of a level's
  information sets all lie in the level above (or are the empty sequence, index 0).
* **Per-information-set sums** (regret matching, expected values, best responses) are
  one ``reduceat`` over contiguous segments, for all information sets at once.
* **Top-down** (the realization plan): per level, ``x[lo:hi] = sigma[lo:hi] *
  x[parent]`` -- one gather and one product.
* **Bottom-up** (counterfactual values and best responses): per level, deepest first,
  the value of each information set (``sum sigma v`` or ``max v``) is added to its parent
  sequence with one sparse product.
* **Direct values.** ``v_direct[s] = sum over terminals z with last_p[z] = s of
  c[z] u_p[z] prod_{q != p} x_q[last_q[z]]``: a sparse matrix-vector product for two
  players (the payoff matrix of the sequence form), gathers and one sparse product for
  more players or batched payoffs.

* **Hot paths** (``_Fast``; single games and batches): each level's sum and lift are one
  precomputed product (``fold = lift @ summer``), a sequence's information-set total comes
  from one product with the ``siblings`` matrix, and scipy's CSR kernel is called with
  pre-unpacked arguments. On Kuhn poker Python's per-call costs outweigh the arithmetic,
  so every numpy call saved counts.

So one player's update costs a number of numpy calls proportional to the depth of its
treeplex (4 in Leduc poker, 7 in Liar's dice), each over a level or over all sequences or
terminals: no Python loop over information sets, sequences, nodes or terminals.

Arrays carry the batch axis **last** inside the kernel (``[S + 1, B]``) so that sparse
products and gathers along axis 0 serve both a single game (1-D) and a batch (2-D); the
public solvers transpose to the documented batch-first layout at the boundary.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame

__all__ = ["Level", "PlayerPlex", "Plex", "Evaluator", "evaluator_of", "plex_of", "spmv"]

try:  # scipy's compiled kernels, called directly: saves ~10 us of Python checks per product
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover - a scipy without them falls back to the public operator
    _csr_matvec = _csr_matvecs = None


def spmv(matrix: sp.csr_matrix, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` for a CSR matrix; C-contiguous float64 operands take the fast path.

    ``vector`` may be 1-D or 2-D (``[n_col, B]``, a batch of vectors).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 3.0]]))
    >>> spmv(m, np.array([1.0, 1.0]))
    array([1., 5.])
    """
    if (
        _csr_matvec is not None
        and vector.ndim == 1
        and vector.dtype == np.float64
        and matrix.data.dtype == np.float64
        and vector.flags.c_contiguous
    ):
        out = np.zeros(matrix.shape[0])
        _csr_matvec(matrix.shape[0], matrix.shape[1], matrix.indptr, matrix.indices, matrix.data, vector, out)
        return out
    if (
        _csr_matvecs is not None
        and vector.ndim == 2
        and vector.dtype == np.float64
        and matrix.data.dtype == np.float64
        and vector.flags.c_contiguous
        and vector.shape[0] == matrix.shape[1]
    ):
        out = np.zeros((matrix.shape[0], vector.shape[1]))
        _csr_matvecs(
            matrix.shape[0],
            matrix.shape[1],
            vector.shape[1],
            matrix.indptr,
            matrix.indices,
            matrix.data,
            vector.ravel(),
            out.ravel(),
        )
        return out
    return matrix @ vector


@dataclass(frozen=True, eq=False)
class Level:
    """One depth level of a player's treeplex in kernel order."""

    lo: int  # the level's sequences are lo .. hi - 1
    hi: int
    first: int  # the level's information sets are first .. first + len(counts) - 1 (kernel order)
    segments: np.ndarray  # start of each information set, relative to lo
    counts: np.ndarray  # actions of each information set
    spread: np.ndarray  # information set (level-local) of each sequence of the level
    parent_of_sequence: np.ndarray  # parent sequence (kernel index) of each sequence of the level
    infosets: np.ndarray  # public local information sets of the level, in kernel order
    lift: sp.csr_matrix  # [parent_hi - parent_lo, infosets]: adds infoset values to their parents
    summer: sp.csr_matrix  # [infosets, hi - lo] ones: sums each information set's sequences (batches)
    parent_lo: int
    parent_hi: int
    fold: sp.csr_matrix  # lift @ summer: adds sum_a w[a] of each information set to its parent sequence


@dataclass(frozen=True, eq=False)
class PlayerPlex:
    """Index arrays of one player's treeplex in kernel order (see the module docstring)."""

    num_sequences: int
    from_public: np.ndarray  # [S+1] public sequence -> kernel index (0 -> 0)
    segments: np.ndarray  # start of every information set in sequences[1:]
    counts: np.ndarray  # actions per information set (kernel order)
    spread: np.ndarray  # [S] information set (kernel order) of each sequence 1..S
    sequence_counts: np.ndarray  # [S] float: actions at each sequence's information set
    summer: sp.csr_matrix  # [I, S] ones: sums each information set's sequences (batches)
    infosets: np.ndarray  # public local information set of each kernel-order information set
    levels: tuple[Level, ...]
    terminal_sequence: np.ndarray  # [T] kernel index of the player's last sequence per terminal
    terminal_scatter: sp.csr_matrix  # [S+1, T] ones: sums terminal values onto sequences
    siblings: sp.csr_matrix  # [S, S] ones where two sequences share an information set

    @property
    def size(self) -> int:
        return self.num_sequences + 1


@dataclass(frozen=True, eq=False)
class Plex:
    """All players' kernel index arrays; depends only on the tree, not on payoffs."""

    players: tuple[PlayerPlex, ...]
    num_terminals: int


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plex_of(game: ExtensiveFormGame) -> Plex:
    """The kernel structure of a game, built once per tree and cached."""
    key = game.structure_key  # shared by games with the same tree (with_batch)
    found = _CACHE.get(key)
    if found is None:
        found = _build_plex(game)
        _CACHE[key] = found
    return found


def _build_plex(game: ExtensiveFormGame) -> Plex:
    sf = game.sequence_form
    T = game.num_terminals
    players = []
    for p in range(game.num_players):
        S = sf.num_sequences[p]
        starts = sf.sequence_start[p]
        counts_public = np.diff(starts)
        depth = sf.infoset_depth[p]
        order = np.argsort(depth, kind="stable")  # kernel order of information sets
        counts = counts_public[order]
        new_start = np.concatenate(([1], 1 + np.cumsum(counts))).astype(np.int64)
        from_public = np.zeros(S + 1, np.int64)
        if S:
            src = np.repeat(starts[order], counts) + _ranges(counts)
            from_public[src] = np.arange(1, S + 1)
        parent = from_public[sf.infoset_parent[p][order]]  # kernel parent sequence per infoset
        spread = np.repeat(np.arange(order.size), counts)
        levels = []
        d_sorted = depth[order]
        previous = (0, 1)
        for d in range(int(d_sorted.max(initial=-1)) + 1):
            js = np.flatnonzero(d_sorted == d)
            lo, hi = int(new_start[js[0]]), int(new_start[js[-1] + 1])
            plo, phi = previous
            par = parent[js]
            if np.any((par < plo) | (par >= phi)):  # pragma: no cover - a treeplex invariant
                raise AssertionError("information sets of one level have parents outside the level above")
            lift = sp.csr_matrix((np.ones(js.size), (par - plo, np.arange(js.size))), shape=(phi - plo, js.size))
            summer = _summer(counts[js])
            levels.append(
                Level(
                    lo=lo,
                    hi=hi,
                    first=int(js[0]),
                    segments=new_start[js] - lo,
                    counts=counts[js],
                    spread=np.repeat(np.arange(js.size), counts[js]),
                    parent_of_sequence=np.repeat(par, counts[js]),
                    infosets=order[js],
                    lift=lift,
                    summer=summer,
                    parent_lo=plo,
                    parent_hi=phi,
                    fold=sp.csr_matrix(lift @ summer),
                )
            )
            previous = (lo, hi)
        term_seq = from_public[sf.last_sequence[p]]
        term_scatter = sp.csr_matrix((np.ones(T), (term_seq, np.arange(T))), shape=(S + 1, T))
        players.append(
            PlayerPlex(
                num_sequences=S,
                from_public=from_public,
                segments=new_start[:-1] - 1,
                counts=counts,
                spread=spread,
                sequence_counts=counts[spread].astype(np.float64),
                summer=_summer(counts),
                infosets=order,
                levels=tuple(levels),
                terminal_sequence=term_seq,
                terminal_scatter=term_scatter,
                siblings=_siblings(counts),
            )
        )
    return Plex(players=tuple(players), num_terminals=T)


_EVALUATORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def evaluator_of(game: ExtensiveFormGame) -> Evaluator:
    """The :class:`Evaluator` of a game, built once per game object and cached.

    Games are immutable, so repeated evaluations (NashConv of many profiles, best
    responses) share the payoff arrays and sparse matrices.
    """
    found = _EVALUATORS.get(game)
    if found is None:
        found = Evaluator(game)
        _EVALUATORS[game] = found
    return found


def _summer(counts: np.ndarray) -> sp.csr_matrix:
    """A 0/1 matrix whose product sums consecutive segments of the given lengths.

    reduceat along axis 0 of a ``[S, B]`` array pays a per-segment cost; a sparse product
    does not, so batches sum segments with this.
    """
    total = int(counts.sum())
    return sp.csr_matrix(
        (np.ones(total), (np.repeat(np.arange(counts.size), counts), np.arange(total))), shape=(counts.size, total)
    )


def _siblings(counts: np.ndarray) -> sp.csr_matrix:
    """``[S, S]`` ones where two sequences belong to the same information set.

    Its product with a vector gives every sequence the sum over its information set:
    a segment sum and the spread back to the sequences in one sparse product. It holds
    ``sum(counts**2)`` entries, so one information set with 20,000 actions would need 4.8 GB:
    such a game is refused before anything is allocated.
    """
    from negsim.solvers.budget import format_bytes, memory_limit

    entries = int(np.square(counts.astype(np.int64)).sum())  # counts < 2**31, so no overflow
    if 12 * entries > memory_limit():
        raise SolverError(
            f"an information set with {int(counts.max()):,} actions makes the solver kernel's sibling table "
            f"{format_bytes(12 * entries)}, over the limit of {format_bytes(memory_limit())} (NEGSIM_MEMORY_LIMIT)"
        )
    total = int(counts.sum())
    infoset = np.repeat(np.arange(counts.size), counts)
    rows = np.repeat(np.arange(total), counts[infoset])
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    cols = np.repeat(starts[infoset], counts[infoset]) + _ranges(counts[infoset])
    return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(total, total))


def _ranges(lengths: np.ndarray) -> np.ndarray:
    from negsim._arrays import ranges

    return ranges(lengths)


def _raw(m: sp.csr_matrix) -> tuple:
    """The arguments scipy's ``csr_matvec`` takes for ``m``: shape, index arrays, data."""
    return (m.shape[0], m.shape[1], m.indptr, m.indices, m.data)


class _Fast:
    """One player's kernel arrays unpacked for the hot paths (single games and batches).

    Attribute look-ups on frozen dataclasses and scipy's ``shape`` property cost more than
    the arithmetic on small games (Kuhn poker), so everything is kept as plain tuples of
    the arguments scipy's compiled CSR kernels take.
    """

    __slots__ = ("size", "up", "down", "siblings", "uniform", "uniform_column", "scatter")

    def __init__(self, pp: PlayerPlex) -> None:
        self.size = pp.num_sequences
        self.up = tuple((lv.lo, lv.hi, lv.parent_lo, lv.parent_hi, _raw(lv.fold)) for lv in reversed(pp.levels))
        # the first level hangs below the empty sequence (x = 1): None marks a plain copy
        self.down = tuple((lv.lo, lv.hi, None if lv.parent_hi == 1 else lv.parent_of_sequence) for lv in pp.levels)
        self.siblings = _raw(pp.siblings)
        self.uniform = 1.0 / pp.sequence_counts  # 1 / k at every sequence of an information set with k actions
        self.uniform_column = self.uniform[:, None]
        self.scatter = _raw(pp.terminal_scatter)


def _csr_matvecs_into(n_row: int, n_col: int, indptr, indices, data, x: np.ndarray, out: np.ndarray) -> None:
    """``out += A @ x`` for a batch (``x`` is ``[n_col, B]``, ``out`` a C-contiguous ``[n_row, B]``).

    Same arguments as scipy's ``csr_matvec``, so the hot paths call either one as
    ``product(*raw, x, out)``.
    """
    _csr_matvecs(n_row, n_col, x.shape[1], indptr, indices, data, x.ravel(), out.ravel())


def _product_for(array: np.ndarray):
    """scipy's CSR kernel adding ``A @ x`` into ``out`` for 1-D ``x`` (one game) or 2-D (a batch)."""
    return _csr_matvec if array.ndim == 1 else _csr_matvecs_into


class Evaluator:
    """Payoff-dependent part of the kernel: values, regrets, best responses, for a game or batch.

    All strategy and value arrays are in kernel order with the empty sequence at index 0,
    shape ``[S + 1]`` or ``[S + 1, B]``.

    Parameters
    ----------
    game : ExtensiveFormGame
        A single game or a batch (perfect recall required).
    """

    def __init__(self, game: ExtensiveFormGame) -> None:
        self.plex = plex_of(game)
        sf = game.sequence_form
        n = game.num_players
        self.num_players = n
        batch = game.batch_size
        self.batch_shape: tuple[int, ...] = () if batch is None else (batch,)
        reach = np.broadcast_to(sf.chance_reach, self.batch_shape + (game.num_terminals,))
        payoffs = np.broadcast_to(sf.payoffs, self.batch_shape + (game.num_terminals, n))
        # cu[p] = c * u_p, batch last: [T] or [T, B]
        self.cu = tuple(np.ascontiguousarray(np.moveaxis(reach * payoffs[..., p], -1, 0)) for p in range(n))
        self.pair_matrix: tuple[sp.csr_matrix, ...] | None = None
        if n == 2 and batch is None:
            t0, t1 = (pp.terminal_sequence for pp in self.plex.players)
            s0, s1 = (pp.size for pp in self.plex.players)
            a0 = sp.csr_matrix((self.cu[0], (t0, t1)), shape=(s0, s1))
            a1 = sp.csr_matrix((self.cu[1], (t1, t0)), shape=(s1, s0))
            a0.sum_duplicates()
            a1.sum_duplicates()
            self.pair_matrix = (a0, a1)
        self._pair_raw = None if self.pair_matrix is None or _csr_matvec is None else tuple(map(_raw, self.pair_matrix))
        fast = _csr_matvec is not None and _csr_matvecs is not None
        self._fast = tuple(map(_Fast, self.plex.players)) if fast else None
        self._buffers: dict[tuple[Any, ...], np.ndarray] = {}

    def _scratch(self, key: tuple[Any, ...], shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
        """A work array kept between calls (contents undefined).

        The hot paths run thousands of times on arrays of the same shapes; allocating them
        anew each time costs page faults wherever the allocator hands large blocks back to
        the system at once (a dask worker's ``MALLOC_TRIM_THRESHOLD_=65536`` made CFR four
        times slower), so each is allocated once per evaluator.
        """
        buffer = self._buffers.get(key)
        if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
            buffer = self._buffers[key] = np.empty(shape, dtype)
        return buffer

    # -------------------------------------------------------------- arrays
    def zeros(self, p: int) -> np.ndarray:
        return np.zeros((self.plex.players[p].size,) + self.batch_shape)

    def segment_sum(self, p: int, values: np.ndarray) -> np.ndarray:
        """Sum of ``values[1:]`` over each information set: ``[I]`` (or ``[I, B]``)."""
        pp = self.plex.players[p]
        if values.ndim == 2:
            return spmv(pp.summer, np.ascontiguousarray(values[1:]))
        return np.add.reduceat(values[1:], pp.segments, axis=0)

    def spread(self, p: int, per_infoset: np.ndarray) -> np.ndarray:
        """One value per information set copied to each of its sequences: ``[S]`` (or ``[S, B]``)."""
        return per_infoset[self.plex.players[p].spread]

    # -------------------------------------------------------------- strategies
    def regret_match(self, p: int, positive: np.ndarray, sigma: np.ndarray, tremble: float = 0.0) -> np.ndarray:
        """``sigma`` proportional to ``positive`` per information set, uniform where all are 0 (in place).

        With ``tremble > 0`` every action keeps at least that probability:
        ``sigma = tremble + (1 - k tremble) sigma`` at information sets with ``k`` actions.
        """
        pp = self.plex.players[p]
        if pp.num_sequences == 0:
            return sigma
        if self._fast is not None and positive.dtype == np.float64:
            # one sparse product gives every sequence its information set's total; where it
            # is 0, divide by 1 and then write 1 / k (uniform): exact, and cheaper than np.where
            k = self._fast[p]
            total = self._scratch(("total", p), (k.size,) + positive.shape[1:])
            total.fill(0.0)
            _product_for(positive)(*k.siblings, positive[1:], total)
            empty = np.equal(total, 0.0, out=self._scratch(("empty", p), total.shape, np.bool_))
            total += empty
            body = sigma[1:]
            np.divide(positive[1:], total, out=body)
            np.copyto(body, k.uniform if positive.ndim == 1 else k.uniform_column, where=empty)
            if tremble:
                self._tremble_body(p, sigma, tremble)
            return sigma
        total = self.spread(p, self.segment_sum(p, positive))
        counts = pp.sequence_counts if total.ndim == 1 else pp.sequence_counts[:, None]
        some = total > 0.0
        # where an information set has no positive entry, 1 / k: uniform (mixed-dtype
        # arithmetic with the boolean mask would cost twice as much as np.where)
        np.divide(np.where(some, positive[1:], 1.0), np.where(some, total, counts), out=sigma[1:])
        if tremble:
            self._tremble_body(p, sigma, tremble)
        return sigma

    def tremble(self, p: int, sigma: np.ndarray, epsilon: float) -> np.ndarray:
        """``epsilon + (1 - k epsilon) sigma`` at every information set with ``k >= 2`` actions (in place)."""
        if self.plex.players[p].num_sequences:
            self._tremble_body(p, sigma, epsilon)
        return sigma

    def _tremble_body(self, p: int, sigma: np.ndarray, epsilon: float) -> None:
        pp = self.plex.players[p]
        k = pp.counts[pp.spread].astype(np.float64)
        scale = np.where(k >= 2, 1.0 - k * epsilon, 1.0)
        shift = np.where(k >= 2, epsilon, 0.0)
        if sigma.ndim == 2:
            scale, shift = scale[:, None], shift[:, None]
        body = sigma[1:]
        body *= scale
        body += shift

    def plan(self, p: int, sigma: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The realization plan of ``sigma`` (top-down over levels)."""
        x = np.empty_like(sigma) if out is None else out
        x[0] = 1.0
        if self._fast is not None:
            for lo, hi, parent in self._fast[p].down:
                if parent is None:
                    x[lo:hi] = sigma[lo:hi]
                else:
                    above = np.take(x, parent, axis=0, out=self._scratch(("above", p, lo), (hi - lo,) + x.shape[1:]),
                                    mode="clip")  # valid indices; "raise" would buffer ``out`` anew
                    np.multiply(sigma[lo:hi], above, out=x[lo:hi])
            return x
        for level in self.plex.players[p].levels:
            np.multiply(sigma[level.lo : level.hi], x[level.parent_of_sequence], out=x[level.lo : level.hi])
        return x

    # -------------------------------------------------------------- values
    def direct_values(self, p: int, plans: list[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
        """``v_direct`` of player ``p`` given every player's realization plan (kernel order).

        ``out`` (optional, C-contiguous, the shape of ``p``'s plan) receives the values on the
        batched fast path, which then allocates nothing.
        """
        if self._pair_raw is not None:
            other = plans[1 - p]
            if other.dtype == np.float64 and other.flags.c_contiguous:
                raw = self._pair_raw[p]
                out = np.zeros(raw[0])
                _csr_matvec(*raw, other, out)
                return out
        if self.pair_matrix is not None:
            return spmv(self.pair_matrix[p], plans[1 - p])
        if self._fast is not None and self.num_players > 1:
            # reach of the others at every terminal, times c u_p, summed onto p's sequences
            shape = self.cu[p].shape
            w = reach = None
            for q in range(self.num_players):
                if q != p:
                    if w is None:
                        # mode="clip": with "raise" (the default) numpy buffers ``out`` anew each call
                        w = np.take(plans[q], self.plex.players[q].terminal_sequence, axis=0,
                                    out=self._scratch(("w",), shape), mode="clip")
                    else:
                        reach = np.take(plans[q], self.plex.players[q].terminal_sequence, axis=0,
                                        out=self._scratch(("reach",), shape), mode="clip")
                        np.multiply(w, reach, out=w)
            w *= self.cu[p]
            raw = self._fast[p].scatter
            if out is None or out.shape != (raw[0],) + shape[1:] or not out.flags.c_contiguous:
                out = np.zeros((raw[0],) + shape[1:])
            else:
                out.fill(0.0)
            _product_for(w)(*raw, w, out)
            return out
        w = self.cu[p]
        for q in range(self.num_players):
            if q != p:
                w = w * plans[q][self.plex.players[q].terminal_sequence]
        return spmv(self.plex.players[p].terminal_scatter, w)

    def counterfactual_values(
        self,
        p: int,
        sigma: np.ndarray,
        direct: np.ndarray,
        increments: np.ndarray | None = None,
        *,
        root: bool = True,
    ) -> np.ndarray:
        """Counterfactual value of every sequence of ``p`` under ``sigma`` (bottom-up, in place on ``direct``).

        If ``increments`` is given, it receives the instantaneous regrets
        ``v[s] - sum_a sigma[a] v[a]`` of every sequence (index 0 untouched). With
        ``root=False`` the value of the empty sequence (index 0, the player's expected
        value) may be left incomplete, which saves work when only the increments are needed.
        """
        pp = self.plex.players[p]
        v = direct
        if self._fast is not None and v.dtype == np.float64 and v.flags.c_contiguous:
            return self._counterfactual_values_fast(p, sigma, v, increments, root)
        # the expected value of every information set, filled level by level (kernel order)
        expected = np.empty((pp.counts.size,) + v.shape[1:])
        for level in reversed(pp.levels):
            out = expected[level.first : level.first + level.counts.size]
            weighted = sigma[level.lo : level.hi] * v[level.lo : level.hi]
            if weighted.ndim == 2:
                out[...] = spmv(level.summer, weighted)
            else:
                np.add.reduceat(weighted, level.segments, axis=0, out=out)
            v[level.parent_lo : level.parent_hi] += spmv(level.lift, out)
        if increments is not None and pp.num_sequences:
            np.subtract(v[1:], expected[pp.spread], out=increments[1:])
        return v

    def _counterfactual_values_fast(
        self, p: int, sigma: np.ndarray, v: np.ndarray, increments: np.ndarray | None, root: bool
    ) -> np.ndarray:
        """:meth:`counterfactual_values` on the hot path: one product and one sparse product per level.

        ``fold = lift @ summer`` adds each information set's ``sum_a sigma[a] v[a]`` to its
        parent sequence; the products ``sigma * v`` are kept, so that the information-set
        values the increments need come from one more sparse product (``siblings``).
        """
        k = self._fast[p]
        product = _product_for(v)
        weighted = self._scratch(("weighted", p), v.shape)
        for lo, hi, parent_lo, parent_hi, fold in k.up:
            part = np.multiply(sigma[lo:hi], v[lo:hi], out=weighted[lo:hi])
            if parent_hi > 1 or root:  # the first level adds into the empty sequence only
                product(*fold, part, v[parent_lo:parent_hi])
        if increments is not None and k.size:
            expected = self._scratch(("expected", p), (k.size,) + v.shape[1:])
            expected.fill(0.0)
            product(*k.siblings, weighted[1:], expected)
            np.subtract(v[1:], expected, out=increments[1:])
        return v

    def best_response_values(self, p: int, direct: np.ndarray, *, choices: bool = False):
        """Values with a best response of ``p`` below every sequence (bottom-up, on a copy).

        Returns
        -------
        values : ndarray
            Index 0 is the best-response value.
        picks : list of (public local information sets, best action index) per level, if ``choices``
        """
        v = np.array(direct, copy=True)
        picks = []
        for level in reversed(self.plex.players[p].levels):
            part = v[level.lo : level.hi]
            best = np.maximum.reduceat(part, level.segments, axis=0)
            if choices:
                # first action attaining the maximum at each information set
                index = np.arange(level.hi - level.lo).reshape((-1,) + (1,) * (part.ndim - 1))
                hit = np.where(part >= best[level.spread], index, level.hi)
                first = np.minimum.reduceat(hit, level.segments, axis=0)
                picks.append((level.infosets, first - level.segments.reshape((-1,) + (1,) * (part.ndim - 1))))
            v[level.parent_lo : level.parent_hi] += spmv(level.lift, best)
        return v, picks

    def best_response(self, p: int, direct: np.ndarray, *, choices: bool = False):
        """Best-response value of ``p`` (and, if asked, the best action per information set)."""
        v, picks = self.best_response_values(p, direct, choices=choices)
        return v[0], (picks if choices else None)

    def infoset_gaps(self, p: int, values: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Largest ``(best action value - value of sigma) / scale`` over ``p``'s information sets.

        0 means ``sigma`` is a best response at every information set (``[]`` or ``[B]``).
        """
        pp = self.plex.players[p]
        tail = values.shape[1:]
        if pp.num_sequences == 0:
            return np.zeros(tail)
        body = values[1:]
        chosen = self.segment_sum(p, sigma * values)
        top = np.maximum.reduceat(body, pp.segments, axis=0)
        scale = np.maximum.reduceat(np.abs(body), pp.segments, axis=0)
        multi = (pp.counts >= 2).reshape((-1,) + (1,) * len(tail))
        gap = np.where(multi & (scale > 0), (top - chosen) / np.where(scale > 0, scale, 1.0), 0.0)
        return gap.max(axis=0)

    def argmax_onehot(self, p: int, values: np.ndarray, current: np.ndarray, tolerance: float) -> np.ndarray:
        """One-hot best actions per information set; keep the current action when it is within tolerance."""
        pp = self.plex.players[p]
        out = current.copy()
        if pp.num_sequences == 0:
            return out
        body = values[1:]
        shape = (-1,) + (1,) * (body.ndim - 1)
        top = np.maximum.reduceat(body, pp.segments, axis=0)
        scale = np.maximum(np.maximum.reduceat(np.abs(body), pp.segments, axis=0), 1e-300)
        index = np.arange(pp.num_sequences).reshape(shape)
        sentinel = pp.num_sequences
        best = np.minimum.reduceat(np.where(body >= top[pp.spread], index, sentinel), pp.segments, axis=0)
        cur_body = current[1:]
        cur_top = np.maximum.reduceat(cur_body, pp.segments, axis=0)
        cur = np.minimum.reduceat(np.where(cur_body >= cur_top[pp.spread], index, sentinel), pp.segments, axis=0)
        cur_value = np.take_along_axis(body, cur, axis=0) if body.ndim == 2 else body[cur]
        keep = cur_value >= top - tolerance * scale
        choice = np.where(keep, cur, best)
        out[1:] = (index == choice[pp.spread]).astype(np.float64)
        return out

    # -------------------------------------------------------------- conversions
    def public_probabilities(self, p: int, sigma: np.ndarray) -> np.ndarray:
        """Behaviour probabilities in public sequence order, batch first: ``[S]`` or ``[B, S]``."""
        pp = self.plex.players[p]
        return np.moveaxis(sigma[pp.from_public[1:]], 0, -1).copy()

    def kernel_from_public(self, p: int, probs: np.ndarray) -> np.ndarray:
        """Strategy in kernel order (size ``S + 1``, batch last) from public probabilities."""
        pp = self.plex.players[p]
        probs = np.asarray(probs, np.float64)
        lead = probs.shape[:-1]
        if lead and not self.batch_shape:
            raise ValueError("a batched profile needs a batched game")
        sigma = np.ones((pp.size,) + self.batch_shape)
        column = np.moveaxis(probs, -1, 0) if lead else probs.reshape((-1,) + (1,) * len(self.batch_shape))
        sigma[pp.from_public[1:]] = np.broadcast_to(column, (pp.num_sequences,) + self.batch_shape)
        return sigma
