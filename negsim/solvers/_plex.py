"""The vectorized treeplex kernel shared by CFR and best response.

This module turns the sequence-form view of a game (:class:`negsim.games.SequenceForm`)
into index arrays laid out for speed, and provides the handful of array operations one
CFR iteration or one best response needs (see the appendix of DESIGN.md):

* **Kernel order.** A player's sequences are renumbered so that the information sets
  with ``k`` actions form one block ``[k, count]`` (action-major). Regret matching and
  the per-information-set sums are then reductions over axis 0 of a few contiguous
  blocks: one group per distinct action count, whatever the size of the game. Index 0
  is the empty sequence and index ``S + 1`` a dummy slot (strategy 1) used for padding.
* **Ancestor table.** ``anc[j, s]`` is the ``j``-th ancestor sequence of ``s`` (``j = 0``
  is ``s`` itself), padded with the dummy. Gathering the current strategy through it
  gives ``G[j, s] = sigma[anc[j, s]]``; the realization plan is the product over ``j``,
  and the counterfactual value of every sequence is one scatter-add of running products
  ``v_direct[s] * G[0, s] * ... * G[j - 1, s]`` onto ``anc[j, s]``. So the bottom-up
  pass costs one gather, ``D`` multiplications and one scatter, where ``D`` is the
  depth of the treeplex: no loop over information sets, sequences or terminals.
* **Direct values.** ``v_direct[s] = sum over terminals z with last_p[z] = s of
  c[z] u_p[z] prod_{q != p} x_q[last_q[z]]``: a sparse matrix-vector product for two
  players (the payoff matrix of the sequence form), gathers and one sparse product for
  more players or batched payoffs.

Arrays carry the batch axis **last** inside the kernel (``[size, B]``) so that sparse
products and gathers along axis 0 serve both a single game (1-D) and a batch (2-D);
the public solvers transpose to the documented batch-first layout at the boundary.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from negsim.games.extensive import ExtensiveFormGame

__all__ = ["PlayerPlex", "Plex", "Evaluator", "plex_of", "spmv"]

try:  # scipy's compiled kernel, called directly: saves ~10 us of Python checks per product
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:  # pragma: no cover - a scipy without it falls back to the public operator
    _csr_matvec = None


def spmv(matrix: sp.csr_matrix, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` for a CSR matrix; a 1-D float64 vector takes the fast path.

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
    return matrix @ vector


@dataclass(frozen=True, eq=False)
class PlayerPlex:
    """Index arrays of one player's treeplex in kernel order (see the module docstring)."""

    num_sequences: int
    from_public: np.ndarray  # [S+1] public sequence -> kernel index
    groups: tuple[tuple[int, int, int], ...]  # (k, lo, count): block lo .. lo + k*count as [k, count]
    group_infosets: tuple[np.ndarray, ...]  # public local infoset of each column of each group
    anc: np.ndarray  # [D, S+1] ancestor table (kernel indices, dummy-padded)
    anc_flat: np.ndarray
    scatter: sp.csr_matrix  # [S+2, D*(S+1)]: sums entries of the flattened running products
    br_levels: tuple[tuple[tuple[np.ndarray, ...], np.ndarray, sp.csr_matrix], ...]
    br_infosets: tuple[np.ndarray, ...]  # per level: public local infosets, in the order of the level's values
    terminal_sequence: np.ndarray  # [T] kernel index of the player's last sequence per terminal
    terminal_scatter: sp.csr_matrix  # [S+2, T] ones: sums terminal values onto sequences

    @property
    def size(self) -> int:
        return self.num_sequences + 2

    @property
    def dummy(self) -> int:
        return self.num_sequences + 1

    def blocks(self, array: np.ndarray):
        """Yield ``(k, view [k, count, ...])`` for each action-count group of ``array``."""
        tail = array.shape[1:]
        for k, lo, count in self.groups:
            yield k, array[lo : lo + k * count].reshape((k, count) + tail)


@dataclass(frozen=True, eq=False)
class Plex:
    """All players' kernel index arrays; depends only on the tree, not on payoffs."""

    players: tuple[PlayerPlex, ...]
    num_terminals: int


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plex_of(game: ExtensiveFormGame) -> Plex:
    """The kernel structure of a game, built once per tree and cached."""
    key = game._structure_cache  # shared by games with the same tree (with_batch)
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
        counts = np.diff(starts)
        num_isets = counts.size
        from_public = np.zeros(S + 1, np.int64)
        groups, group_isets = [], []
        column = np.zeros(num_isets, np.int64)
        group_of = np.zeros(num_isets, np.int64)
        lo = 1
        for gi, k in enumerate(np.unique(counts)):
            isets = np.flatnonzero(counts == k)
            cnt = isets.size
            column[isets] = np.arange(cnt)
            group_of[isets] = gi
            acts = np.arange(k)
            # public sequence starts[i] + a  ->  kernel lo + a * cnt + column
            from_public[(starts[isets][None, :] + acts[:, None]).ravel()] = (
                lo + acts[:, None] * cnt + np.arange(cnt)[None, :]
            ).ravel()
            groups.append((int(k), lo, cnt))
            group_isets.append(isets)
            lo += int(k) * cnt
        dummy = S + 1
        # parent (kernel) sequence of every kernel sequence's information set
        parent_public = sf.infoset_parent[p]
        up = np.full(S + 2, dummy, np.int64)
        if S:
            seq_iset = sf.sequence_infoset[p][1:]
            up[from_public[1:]] = from_public[parent_public[seq_iset]]
        rows = [np.arange(S + 1, dtype=np.int64)]
        while True:
            nxt = up[rows[-1]]
            if np.all(nxt == dummy):
                break
            rows.append(nxt)
        anc = np.ascontiguousarray(np.stack(rows))
        D = anc.shape[0]
        anc_flat = anc.ravel()
        scatter = sp.csr_matrix(
            (np.ones(anc_flat.size), (anc_flat, np.arange(anc_flat.size))), shape=(S + 2, D * (S + 1))
        )
        # best-response levels, deepest first
        depth = sf.infoset_depth[p]
        levels, level_isets = [], []
        for d in range(int(depth.max(initial=-1)), -1, -1):
            idx_groups, pars, isets_here = [], [], []
            for gi, (k, glo, cnt) in enumerate(groups):
                cols_isets = group_isets[gi]
                here = cols_isets[depth[cols_isets] == d]
                if here.size == 0:
                    continue
                cols = column[here]
                idx = glo + np.arange(k)[:, None] * cnt + cols[None, :]
                idx_groups.append(idx)
                pars.append(from_public[parent_public[here]])
                isets_here.append(here)
            par = np.concatenate(pars)
            lift = sp.csr_matrix((np.ones(par.size), (par, np.arange(par.size))), shape=(S + 2, par.size))
            levels.append((tuple(idx_groups), par, lift))
            level_isets.append(np.concatenate(isets_here))
        term_seq = from_public[sf.last_sequence[p]]
        term_scatter = sp.csr_matrix((np.ones(T), (term_seq, np.arange(T))), shape=(S + 2, T))
        players.append(
            PlayerPlex(
                num_sequences=S,
                from_public=from_public,
                groups=tuple(groups),
                group_infosets=tuple(group_isets),
                anc=anc,
                anc_flat=anc_flat,
                scatter=scatter,
                br_levels=tuple(levels),
                br_infosets=tuple(level_isets),
                terminal_sequence=term_seq,
                terminal_scatter=term_scatter,
            )
        )
    return Plex(players=tuple(players), num_terminals=T)


class Evaluator:
    """Payoff-dependent part of the kernel: direct values, counterfactual values, best responses.

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

    # -------------------------------------------------------------- primitives
    def zeros(self, p: int) -> np.ndarray:
        return np.zeros((self.plex.players[p].size,) + self.batch_shape)

    def direct_values(self, p: int, plans: list[np.ndarray]) -> np.ndarray:
        """``v_direct`` of player ``p`` given every player's realization plan (kernel order)."""
        if self.pair_matrix is not None:
            return spmv(self.pair_matrix[p], plans[1 - p])
        w = self.cu[p]
        for q in range(self.num_players):
            if q != p:
                w = w * plans[q][self.plex.players[q].terminal_sequence]
        return spmv(self.plex.players[p].terminal_scatter, w)

    def gather(self, p: int, sigma: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``G[j, s] = sigma[anc[j, s]]`` for player ``p``."""
        return np.take(sigma, self.plex.players[p].anc, axis=0, out=out)

    @staticmethod
    def plan_from_gather(G: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Realization plan (kernel order, without the dummy) from a gathered strategy."""
        np.multiply.reduce(G, axis=0, out=out)
        return out

    def counterfactual_values(self, p: int, G: np.ndarray, v_direct: np.ndarray, work: np.ndarray) -> np.ndarray:
        """Counterfactual value of every sequence of ``p`` (kernel order, size ``S + 2``).

        ``work`` is a scratch array shaped like ``G``.
        """
        pp = self.plex.players[p]
        work[0] = v_direct[: pp.num_sequences + 1]
        for j in range(1, G.shape[0]):
            np.multiply(work[j - 1], G[j - 1], out=work[j])
        if not self.batch_shape:
            return np.bincount(pp.anc_flat, work.ravel(), minlength=pp.size)
        return pp.scatter @ work.reshape(-1, work.shape[-1])

    def best_response(self, p: int, v_direct: np.ndarray, *, choices: bool = False):
        """Best-response value of ``p`` (and, if asked, the best action per information set).

        Returns
        -------
        value : float or ndarray [B]
        best : list of (public local infosets, best action index [I, ...]) per level, if ``choices``
        """
        pp = self.plex.players[p]
        v = np.array(v_direct, copy=True)
        picked = []
        for idx_groups, _par, lift in pp.br_levels:
            bests = []
            for idx in idx_groups:
                vals = v[idx]
                bests.append(vals.max(axis=0))
                if choices:
                    picked.append(vals.argmax(axis=0))
            best = np.concatenate(bests, axis=0) if len(bests) > 1 else bests[0]
            v += spmv(lift, best)
        value = v[0]
        if not choices:
            return value, None
        # regroup choices by public infoset
        out = []
        pos = 0
        for (idx_groups, _par, _lift), isets in zip(pp.br_levels, pp.br_infosets, strict=True):
            arr = np.concatenate(picked[pos : pos + len(idx_groups)], axis=0)
            pos += len(idx_groups)
            out.append((isets, arr))
        return value, out

    def tremble(self, p: int, sigma: np.ndarray, epsilon: float) -> np.ndarray:
        """``epsilon + (1 - k epsilon) sigma`` at every information set with ``k >= 2`` actions (in place)."""
        pp = self.plex.players[p]
        tail = sigma.shape[1:]
        for k, lo, count in pp.groups:
            if k == 1:
                continue
            block = sigma[lo : lo + k * count].reshape((k, count) + tail)
            block *= 1.0 - k * epsilon
            block += epsilon
        return sigma

    def infoset_gaps(self, p: int, values: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Per information set: best action value minus the value of ``sigma``, over a scale.

        Returns the largest such normalized gap of player ``p`` (``[]`` or ``[B]``); 0 means
        ``sigma`` is a best response at every information set.
        """
        pp = self.plex.players[p]
        tail = values.shape[1:]
        worst = np.zeros(tail)
        for k, lo, count in pp.groups:
            if k == 1:
                continue
            shape = (k, count) + tail
            v = values[lo : lo + k * count].reshape(shape)
            chosen = (sigma[lo : lo + k * count].reshape(shape) * v).sum(axis=0)
            gap = v.max(axis=0) - chosen
            scale = np.abs(v).max(axis=0)
            normalized = np.where(scale > 0, gap / np.where(scale > 0, scale, 1.0), 0.0)
            worst = np.maximum(worst, normalized.max(axis=0))
        return worst

    def public_probabilities(self, p: int, sigma: np.ndarray) -> np.ndarray:
        """Behaviour probabilities in public sequence order, batch first: ``[S]`` or ``[B, S]``."""
        pp = self.plex.players[p]
        return np.moveaxis(sigma[pp.from_public[1:]], 0, -1).copy()

    def kernel_from_public(self, p: int, probs: np.ndarray) -> np.ndarray:
        """Strategy in kernel order (size ``S + 2``, batch last) from public probabilities."""
        pp = self.plex.players[p]
        probs = np.asarray(probs, np.float64)
        lead = probs.shape[:-1]
        if lead and not self.batch_shape:
            raise ValueError("a batched profile needs a batched game")
        sigma = np.ones((pp.size,) + self.batch_shape)
        column = np.moveaxis(probs, -1, 0) if lead else probs.reshape((-1,) + (1,) * len(self.batch_shape))
        sigma[pp.from_public[1:]] = np.broadcast_to(column, (pp.num_sequences,) + self.batch_shape)
        return sigma
