"""The agent logit QRE equations of an extensive game with perfect recall.

Every information set ``I`` of player ``p`` is one group: its action probabilities are
logit responses to ``Q_a``, the counterfactual value of ``a`` (sequence form: the sum
over the terminals ``z`` below ``a`` of chance reach times the others' reach times
``u_p(z)`` times ``p``'s own probabilities after ``a``) divided by the reach of ``I`` by
chance and the others (McKelvey & Palfrey 1998). ``Q_a`` is thus ``p``'s expected payoff
after ``a`` conditional on reaching ``I``, with the beliefs that Bayes' rule gives under
the (fully mixed) profile. It is computed as the ratio of two sums over nodes,
``sum_z u_p(z) reach(z)`` over the terminals below ``a`` and ``sum_h reach(h)`` over the
nodes that ``a`` leads to, with reaches in log space and shifted per action so that
nothing underflows; both sums and their derivatives in ``y`` are sparse products over
the (sequence, node) incidences of the tree, built once. The Jacobian is dense, of size
``K = S - I`` (sequences minus information sets), so each Newton step costs
``O(S^2 + K^3)``. Chance branches of probability 0 are treated as the limit of tiny
probabilities.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from negsim._arrays import ranges as _ranges
from negsim.games.extensive import DECISION, ExtensiveFormGame
from negsim.solvers.qre._system import LogitSystem

__all__ = ["AgentSystem", "normalize_infosets"]

_LOG_ZERO = -1e4  # log of a probability-0 chance branch: a limit of tiny probabilities


class AgentSystem(LogitSystem):
    """Agent logit QRE of an extensive game (or a batch of payoffs and chance probabilities)."""

    def __init__(self, game: ExtensiveFormGame) -> None:
        sf = game.sequence_form
        n = game.num_players
        self.game = game
        B = game.batch_size or 1
        self.batch = B
        seq_off = np.concatenate(([0], np.cumsum(sf.num_sequences)))
        S = int(seq_off[-1])
        # global sequence order = global information-set order, actions in order
        self.group = np.concatenate(
            [sf.infoset_offset[p] + sf.sequence_infoset[p][1:] for p in range(n)]
        ).astype(np.int64) if S else np.zeros(0, np.int64)
        self.group_size = game.infosets.num_actions.astype(np.int64)
        owner = np.repeat(np.arange(n), sf.num_sequences)
        self.seq_off = seq_off
        N = game.num_nodes
        path_node, path_seq = _path_pairs(game, seq_off)
        self.path = sp.csr_matrix((np.ones(path_node.size), (path_node, path_seq)), shape=(N, S))
        order = np.argsort(path_node, kind="stable")
        path_node, path_seq = path_node[order], path_seq[order]
        starts = np.searchsorted(path_node, np.arange(N + 1))
        self.m_nodes, self.m_seq = _entering_sequences(game, seq_off)
        self.m_starts = np.searchsorted(self.m_seq, np.arange(S))

        # numerator pairs (a, z): terminal z lies below sequence a
        terminals = game.terminals
        counts = starts[terminals + 1] - starts[terminals]
        n_term = np.repeat(np.arange(terminals.size), counts)
        n_seq = path_seq[np.repeat(starts[terminals], counts) + _ranges(counts)]
        self.n_term, self.n_seq, self.n_owner = n_term, n_seq, owner[n_seq]
        self.num_pairs = n_term.size
        self.sum_n = sp.csr_matrix((np.ones(n_seq.size), (n_seq, np.arange(n_seq.size))), shape=(S, n_seq.size))
        self.sum_m = sp.csr_matrix(
            (np.ones(self.m_seq.size), (self.m_seq, np.arange(self.m_seq.size))), shape=(S, self.m_seq.size)
        )
        # Jacobian triples: for pair k = (a, z) and every t on the path to z, entry (a, t)
        self.jac_n = _triples(n_seq, terminals[n_term], starts, path_seq, S)
        self.jac_m = _triples(self.m_seq, self.m_nodes, starts, path_seq, S)

        # payoff-dependent data, batch first
        payoffs = np.broadcast_to(game.payoffs, (B,) + game.payoffs.shape[-2:])
        self.u_pairs = payoffs[:, n_term, self.n_owner]  # [B, pairs]
        with np.errstate(divide="ignore"):
            logc = np.log(np.broadcast_to(game._chance_reach_nodes, (B, N)))
        self.log_chance = np.maximum(logc, _LOG_ZERO)
        flat = payoffs.reshape(B, -1)
        self.scale = flat.max(-1) - flat.min(-1) if flat.shape[1] else np.zeros(B)
        self.setup()

    def payoffs(self, y, idx, jacobian):
        b = len(idx)
        S = self.S
        log_reach = self.log_chance[idx] + (self.path @ y.T).T  # [b, N]
        node_m = log_reach[:, self.m_nodes]  # [b, M]
        shift = np.maximum.reduceat(node_m, self.m_starts, axis=1) if S else np.zeros((b, 0))
        w_m = np.exp(node_m - shift[:, self.m_seq])
        term_reach = log_reach[:, self.game.terminals[self.n_term]]
        w_n = self.u_pairs[idx] * np.exp(term_reach - shift[:, self.n_seq])
        M = (self.sum_m @ w_m.T).T  # [b, S], each at least 1
        Nv = (self.sum_n @ w_n.T).T
        Q = Nv / M
        if not jacobian:
            return Q, None
        dN = (self.jac_n @ w_n.T).T.reshape(b, S, S)
        dM = (self.jac_m @ w_m.T).T.reshape(b, S, S)
        return Q, (dN - Q[:, :, None] * dM) / M[:, :, None]

    def per_player(self, y: np.ndarray) -> list[np.ndarray]:
        """Player ``p``'s probabilities ``[..., S_p]`` (sequence order) from log-probabilities."""
        return [np.exp(y[..., self.seq_off[p] : self.seq_off[p + 1]]) for p in range(len(self.seq_off) - 1)]

    def behaviour(self, y: np.ndarray) -> list[np.ndarray]:
        """Behaviour probabilities, renormalized at each information set against rounding."""
        return normalize_infosets(self.game, self.per_player(y))


def _path_pairs(game: ExtensiveFormGame, seq_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (node, global sequence) of every player's sequences on the path to every node.

    One pass per player and level of that player's sequences (loops over depth, not nodes).
    """
    sf = game.sequence_form
    last = game._node_last_sequences  # [n, N] public indices, 0 = empty
    pn, ps = [], []
    for p in range(game.num_players):
        parent_seq = np.concatenate(([0], sf.infoset_parent[p][sf.sequence_infoset[p][1:]]))
        cur = last[p].copy()
        while np.any(cur > 0):
            here = np.flatnonzero(cur > 0)
            pn.append(here)
            ps.append(seq_off[p] + cur[here] - 1)
            cur = parent_seq[cur]
    path_node = np.concatenate(pn) if pn else np.zeros(0, np.int64)
    path_seq = np.concatenate(ps) if ps else np.zeros(0, np.int64)
    return path_node, path_seq


def _entering_sequences(game: ExtensiveFormGame, seq_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every child of a decision node with the global sequence of the edge into it, by sequence."""
    sf = game.sequence_form
    child = np.arange(1, game.num_nodes)
    dec = game.kind[game.parent[child]] == DECISION
    enter_node = child[dec]
    first_seq = np.zeros(len(game.infosets), np.int64)
    for p in range(game.num_players):
        first_seq[game.player_infosets(p)] = seq_off[p] + sf.sequence_start[p][:-1] - 1
    enter_seq = first_seq[game.infoset[game.parent[enter_node]]] + game.action[enter_node]
    srt = np.argsort(enter_seq, kind="stable")
    return enter_node[srt], enter_seq[srt]


def _triples(rows_seq, nodes, starts, path_seq, S) -> sp.csr_matrix:
    counts = starts[nodes + 1] - starts[nodes]
    k = np.repeat(np.arange(nodes.size), counts)
    t = path_seq[np.repeat(starts[nodes], counts) + _ranges(counts)]
    return sp.csr_matrix((np.ones(k.size), (rows_seq[k] * S + t, k)), shape=(S * S, nodes.size))


def normalize_infosets(game: ExtensiveFormGame, probs: list[np.ndarray]) -> list[np.ndarray]:
    """Behaviour probabilities ``[..., S_p]`` divided by their sum at each information set."""
    sf = game.sequence_form
    out = []
    for p, arr in enumerate(probs):
        if arr.shape[-1] == 0:
            out.append(arr)
            continue
        counts = np.diff(sf.sequence_start[p])
        sums = np.add.reduceat(arr, sf.sequence_start[p][:-1] - 1, axis=-1)
        out.append(arr / np.repeat(sums, counts, axis=-1))
    return out
