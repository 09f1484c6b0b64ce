"""Logit quantal response equilibria, traced along the principal branch in lambda.

In a *logit quantal response equilibrium* (QRE; McKelvey & Palfrey 1995) every player
plays every strategy with a probability that grows exponentially with its expected
payoff against the others::

    sigma_p[j] = exp(lambda u_p(j, sigma_-p)) / sum_k exp(lambda u_p(k, sigma_-p)).

At ``lambda = 0`` the only QRE is uniform play; as ``lambda`` grows the players become
more rational, and the *principal branch* of the QRE correspondence, which starts at the
uniform profile, converges in generic games to a Nash equilibrium as ``lambda -> inf``
(the *logit tracing procedure* of McKelvey & Palfrey 1995, a selection of one
equilibrium). ``lambda`` is applied to the payoffs as they are, as in Gambit.

Path following
    With ``y = log sigma`` and one free number ``c_g`` per *group* (a player of a
    normal-form game; an information set of an extensive game), the logit equations are
    ``y_a - lambda Q_a(sigma) - c_g(a) = 0`` for every strategy or action ``a``, where
    ``Q_a`` is the payoff of ``a``, with ``sum_{a in g} sigma_a = 1``. Subtracting the
    equation of each group's first (reference) variable eliminates ``c_g`` and the sums:
    with the log-odds ``w_a = y_a - y_ref(g)`` as unknowns (``sigma`` is their softmax),
    the branch is the solution curve of ``K = S - G`` equations in ``K + 1`` unknowns::

        H_a(w, lambda) = w_a - lambda (Q_a(sigma) - Q_ref(g)(sigma)) = 0,

    the smallest form of the system. Working with logarithms of probabilities keeps the
    curve smooth and well scaled as probabilities go to 0 (Turocy 2005). The curve is
    traced by a predictor-corrector method in its arclength (Allgower & Georg 1990), so
    that it is followed through turning points where ``lambda`` goes back and forth: the
    predictor steps along the unit tangent (the kernel of the Jacobian, oriented like the
    previous one), the corrector runs Newton's method on ``H`` augmented by the
    hyperplane orthogonal to the tangent (each Newton solve also yields the next tangent),
    and the step length adapts to the corrector's first correction, its contraction rate
    and the turn of the tangent, growing by at most ``max_accel`` per step. A first
    correction larger than 0.5 (in log-odds) or a turn larger than 0.4 radians rejects the
    step, which is retried at half the length: long steps could otherwise jump to another
    branch of the correspondence. Points at requested values of ``lambda`` are found on
    the way (at their first crossing, as Gambit's ``logit_solve_lambda`` does) by a Newton
    correction at fixed ``lambda``; they and the final point are solved to ``tol``, the
    points in between to ``max(tol, 1e-6)``.

    In non-generic games (symmetric ones, or with many tied payoffs) the branch can pass
    through a bifurcation. The tracer then continues along the smooth continuation of
    the branch it is on (for example the symmetric branch of the battle of the sexes,
    towards its mixed equilibrium); Gambit may continue on another.

Batches
    Every game of a batch follows its own branch with its own step lengths, but each
    step of all games is one set of array operations: the normal-form Jacobians are
    assembled in closed form (``d u_p[j] / d w_q[k] = sigma_q[k] (U_pq[j, k] - u_p[j])``
    with ``U_pq`` one contraction of the payoff tensor), stacked into an array
    ``[B, K + 1, K + 1]`` and solved by one call of ``numpy.linalg.solve``. Games leave
    the active set as they finish, so the cost is that of the longest branch times the
    array operations over the remaining games.

Agent QRE
    On an extensive game with perfect recall, :func:`agent_qre` follows the *agent*
    logit QRE (McKelvey & Palfrey 1998): at every information set ``I`` of player ``p``
    the action probabilities are logit responses to ``Q_a``, the counterfactual value of
    ``a`` (sequence form: sum over the terminals ``z`` below ``a`` of chance reach times
    the others' reach times ``u_p(z)`` times ``p``'s own probabilities after ``a``)
    divided by the reach of ``I`` by chance and the others. ``Q_a`` is thus ``p``'s
    expected payoff after ``a`` conditional on reaching ``I``, with the beliefs that
    Bayes' rule gives under the (fully mixed) profile. It is computed as the ratio of two
    sums over nodes, ``sum_z u_p(z) reach(z)`` over the terminals below ``a`` and
    ``sum_h reach(h)`` over the nodes that ``a`` leads to, with reaches in log space and
    shifted per action so that nothing underflows; both sums and their derivatives in
    ``y`` are sparse products over the (sequence, node) incidences of the tree. The
    Jacobian is dense, of size ``K = S - I`` (sequences minus information sets), so each
    Newton step costs ``O(S^2 + K^3)``: meant for small and medium trees (Kuhn poker
    takes well under a second in all; in Leduc poker, ``K = 1,248``, one Newton step
    takes about half a second, and a branch hundreds of steps). Chance branches of
    probability 0 are treated as the limit of tiny probabilities.

Stopping
    A branch stops at ``max_lambda`` or, when no more requested ``lambda`` lies ahead,
    as soon as no group can gain more than ``max_regret`` times the game's payoff range
    by switching to its best strategy or action (Gambit's ``maxregret`` convention). The
    Solution reports the NashConv of the final profile, which approaches 0 as ``lambda``
    grows.

Fitting
    :func:`fit_lambda` finds the maximum-likelihood ``lambda`` of observed choice counts
    ``n_a``: the log-likelihood ``sum_a n_a y_a`` is tracked along the branch with its
    derivative along the tangent, every sign change from + to - is refined by bisection
    in the arclength, and the best of these local maxima and the two ends of the branch
    is returned (Bland & Turocy 2023 discuss this estimator; pygambit's
    ``logit_estimate`` returns the same point).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from negsim._arrays import ranges as _ranges
from negsim.errors import NegsimWarning, SolverError
from negsim.games.extensive import DECISION, ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.games.profile import BehaviorProfile, MixedProfile
from negsim.solvers.best_response import expected_values, nash_conv
from negsim.solvers.dynamics import _nash_conv_batch, _payoff_vectors
from negsim.solvers.normal_regret import nash_conv_normal
from negsim.solvers.solution import Solution

__all__ = ["logit_qre", "agent_qre", "fit_lambda", "QREBranch", "QREFit"]

_LETTERS = "abcdefghijklmnopqrstuvwxy"
_LOG_ZERO = -1e4  # log of a probability-0 chance branch: a limit of tiny probabilities


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True, repr=False, eq=False)
class QREBranch:
    """Points on the principal branch of the logit QRE correspondence, and its end.

    Attributes
    ----------
    lambdas : ndarray, shape (L,) or (B, L)
        The ``lambda`` of each point: the requested values (shared by a batch), or the
        path follower's own points, in order along the branch (``lambda`` goes back
        where the branch turns).
    profiles : tuple of ndarray
        One array per player: ``[L, a_p]`` (or ``[B, L, a_p]``) strategy probabilities
        for a normal-form game, ``[L, S_p]`` (or ``[B, L, S_p]``) behaviour probabilities
        in sequence order for an extensive game.
    nash_conv : ndarray, shape (L,) or (B, L)
        NashConv of each point's profile.
    num_points : int or ndarray of int
        Valid points per game. With the path follower's own points the branches of a
        batch have different lengths; entries after ``num_points[b]`` repeat game
        ``b``'s last point. Requested ``lambda`` values that a branch never reached
        (because it stalled) are NaN.
    solution : Solution
        The profile at the end of the branch, with its values and NashConv.
    """

    lambdas: np.ndarray
    profiles: tuple[np.ndarray, ...]
    nash_conv: np.ndarray
    num_points: int | np.ndarray
    solution: Solution

    def __repr__(self) -> str:
        lam = np.asarray(self.solution.info.get("lambda"))
        gap = np.array2string(np.asarray(self.solution.nash_conv), precision=3)
        return (
            f"QREBranch(points={np.asarray(self.num_points).tolist()}, final lambda="
            f"{np.array2string(lam, precision=4)}, nash_conv={gap})"
        )

    def profile_at(self, index: int) -> MixedProfile | BehaviorProfile:
        """The profile of point ``index`` of a single game's branch."""
        game = self.solution.game
        if self.lambdas.ndim != 1 or game.batch_size is not None:
            raise SolverError("profile_at takes a single game's branch; index the arrays for a batch")
        probs = [p[index] for p in self.profiles]
        if isinstance(game, NormalFormGame):
            return MixedProfile(game, probs)
        return BehaviorProfile(game, probs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "lambdas": self.lambdas.tolist(),
            "profiles": [p.tolist() for p in self.profiles],
            "nash_conv": self.nash_conv.tolist(),
            "num_points": np.asarray(self.num_points).tolist(),
            "solution": self.solution.to_dict(),
        }


@dataclass(frozen=True, repr=False, eq=False)
class QREFit:
    """The maximum-likelihood point on the principal logit QRE branch.

    Attributes
    ----------
    lam : float
        The fitted ``lambda``.
    log_likelihood : float
        ``sum_a n_a log sigma_a`` at the fitted profile (``n_a`` the observed counts).
    profile : MixedProfile or BehaviorProfile
        The QRE at ``lam``.
    local_maxima : tuple of (float, float)
        ``(lambda, log-likelihood)`` of the candidates compared: the start of the branch
        (``lambda = 0``), every interior local maximum, and the end of the branch.
    """

    lam: float
    log_likelihood: float
    profile: MixedProfile | BehaviorProfile
    local_maxima: tuple[tuple[float, float], ...] = field(default=())

    def __repr__(self) -> str:
        return f"QREFit(lam={self.lam:.6g}, log_likelihood={self.log_likelihood:.6g})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "lam": self.lam,
            "log_likelihood": self.log_likelihood,
            "profile": self.profile.to_list(),
            "local_maxima": [list(p) for p in self.local_maxima],
        }


# ---------------------------------------------------------------------------- systems
class _System:
    """The equations ``H(w, lambda) = 0`` of a logit QRE, for a batch of games.

    The unknowns are log-odds: in every group the first variable is the reference and
    each other variable ``a`` has ``w_a = log(sigma_a / sigma_ref)``, so that the
    probabilities are a softmax and ``sum sigma = 1`` holds by construction. The logit
    equations ``y_a - lambda Q_a - c_g = 0`` of the module docstring become, after
    subtracting the reference's, ``w_a - lambda (Q_a - Q_ref) = 0``: ``K = S - G``
    equations in ``K + 1`` unknowns (the smallest form of the system).

    Subclasses provide the payoffs ``Q`` of the variables and their derivatives in the
    log-probabilities ``y``; this class adds the chain rule through the softmax.
    """

    group: np.ndarray  # group of each variable; groups are contiguous and in order
    group_size: np.ndarray
    batch: int
    scale: np.ndarray  # payoff range per game

    def setup(self) -> None:
        self.S = int(self.group.size)
        self.G = int(self.group_size.size)
        self.starts = np.concatenate(([0], np.cumsum(self.group_size))).astype(np.int64)
        reference = np.zeros(self.S, bool)
        reference[self.starts[:-1]] = True
        self.free = np.flatnonzero(~reference)  # the variable of each unknown
        self.free_ref = self.starts[:-1][self.group[self.free]]  # its group's reference
        self.K = int(self.free.size)
        self.m = self.K
        self.lam = self.K  # index of lambda in z
        onehot = np.zeros((self.S, self.G))
        onehot[np.arange(self.S), self.group] = 1.0
        self.onehot = onehot

    def start(self) -> np.ndarray:
        return np.zeros((self.batch, self.K + 1))

    def log_probs(self, w: np.ndarray) -> np.ndarray:
        """Log-probabilities ``y [..., S]`` from log-odds ``w [..., K]``."""
        logits = np.zeros(w.shape[:-1] + (self.S,))
        logits[..., self.free] = w
        if self.S == 0:
            return logits
        top = np.maximum.reduceat(logits, self.starts[:-1], axis=-1)[..., self.group]
        shifted = logits - top
        total = np.add.reduceat(np.exp(shifted), self.starts[:-1], axis=-1)
        return shifted - np.log(total)[..., self.group]

    def log_prob_velocity(self, z: np.ndarray, dz: np.ndarray) -> np.ndarray:
        """``dy/ds`` along a direction ``dz`` of ``(w, lambda)``."""
        sigma = np.exp(self.log_probs(z[..., : self.K]))
        dl = np.zeros(dz.shape[:-1] + (self.S,))
        dl[..., self.free] = dz[..., : self.K]
        mean = (sigma * dl) @ self.onehot
        return dl - mean[..., self.group]

    def payoffs(self, y: np.ndarray, idx: np.ndarray, jacobian: bool) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def evaluate(self, z: np.ndarray, idx: np.ndarray, jacobian: bool = True):
        K, free, ref = self.K, self.free, self.free_ref
        w, lam = z[:, :K], z[:, K]
        y = self.log_probs(w)
        Q, D = self.payoffs(y, idx, jacobian)
        diff = Q[:, free] - Q[:, ref]
        H = w - lam[:, None] * diff
        if not jacobian:
            return H, None
        # dQ/dw = D dy/dw with dy_t/dw_j = [t = free_j] - sigma_{free_j} [t in the group of free_j]
        sigma = np.exp(y)
        per_group = D @ self.onehot  # [b, S, G]
        DW = D[:, :, free] - sigma[:, None, free] * per_group[:, :, self.group[free]]  # [b, S, K]
        J = np.empty((z.shape[0], K, K + 1))
        np.multiply(-lam[:, None, None], DW[:, free, :] - DW[:, ref, :], out=J[:, :, :K])
        J[:, np.arange(K), np.arange(K)] += 1.0
        J[:, :, K] = -diff
        return H, J

    def regret(self, z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Largest gain of any group from its best variable: ``[b]``."""
        y = self.log_probs(z[:, : self.K])
        Q, _ = self.payoffs(y, idx, False)
        if self.S == 0:
            return np.zeros(z.shape[0])
        best = np.maximum.reduceat(Q, self.starts[:-1], axis=1)
        mean = (np.exp(y) * Q) @ self.onehot
        return np.max(best - mean, axis=1, initial=0.0)


class _NormalSystem(_System):
    def __init__(self, payoffs: np.ndarray) -> None:
        self.P = payoffs  # [B, n, a_1..a_n]
        self.batch, self.n = payoffs.shape[:2]
        self.shape = payoffs.shape[2:]
        self.bounds = np.concatenate(([0], np.cumsum(self.shape)))
        self.group = np.repeat(np.arange(self.n), self.shape)
        self.group_size = np.asarray(self.shape, np.int64)
        flat = payoffs.reshape(self.batch, -1)
        self.scale = flat.max(-1) - flat.min(-1)
        letters = _LETTERS[: self.n]
        self._pair_specs = {}
        for p in range(self.n):
            for q in range(self.n):
                if q != p:
                    rest = [r for r in range(self.n) if r not in (p, q)]
                    self._pair_specs[p, q] = (
                        "z" + letters + "".join(f",z{letters[r]}" for r in rest) + f"->z{letters[p]}{letters[q]}",
                        rest,
                    )
        self.setup()

    def split(self, y: np.ndarray) -> list[np.ndarray]:
        return [y[:, self.bounds[p] : self.bounds[p + 1]] for p in range(self.n)]

    def payoffs(self, y, idx, jacobian):
        # only the regret uses this; the Jacobian is assembled directly in `evaluate`
        sig = [np.exp(v) for v in self.split(y)]
        return np.concatenate(_payoff_vectors(self.P[idx], sig), axis=1), None

    def evaluate(self, z: np.ndarray, idx: np.ndarray, jacobian: bool = True):
        """``H`` and its Jacobian in closed form.

        With ``U_pq[j, k]`` the payoff of ``p``'s ``j`` against ``q``'s ``k`` (others
        mixed) and reference strategy 0, ``d u_p[j] / d w_q[k] = sigma_q[k] (U_pq[j, k] -
        u_p[j])``, so the block of rows ``p`` and columns ``q`` is
        ``-lambda sigma_q[k] ((U_pq[j, k] - U_pq[0, k]) - (u_p[j] - u_p[0]))``.
        """
        K, n = self.K, self.n
        P = self.P[idx]
        b = len(idx)
        lam = z[:, K]
        y = self.log_probs(z[:, :K])
        sig = [np.exp(v) for v in self.split(y)]
        free = self.bounds - np.arange(n + 1)  # offsets of each player's unknowns
        H = np.empty((b, K))
        J = np.zeros((b, K, K + 1)) if jacobian else None
        for p in range(n):
            rows = slice(free[p], free[p + 1])
            blocks = {}
            if n == 1:
                u = P[:, 0]
            else:
                for q in range(n):
                    if q != p and (jacobian or not blocks):
                        spec, rest = self._pair_specs[p, q]
                        blocks[q] = np.einsum(spec, P[:, p], *(sig[r] for r in rest))  # [b, a_p, a_q]
                first = next(iter(blocks))
                u = np.einsum("zjk,zk->zj", blocks[first], sig[first])
            diff = u[:, 1:] - u[:, :1]
            H[:, rows] = z[:, rows] - lam[:, None] * diff
            if not jacobian:
                continue
            J[:, rows, K] = -diff
            J[:, rows, rows] += np.eye(free[p + 1] - free[p])
            for q, U in blocks.items():
                V = (U[:, 1:, 1:] - U[:, :1, 1:]) - diff[:, :, None]
                J[:, rows, free[q] : free[q + 1]] = -lam[:, None, None] * sig[q][:, None, 1:] * V
        return H, J


class _AgentSystem(_System):
    """Agent logit QRE of an extensive game (see the module docstring)."""

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

        # sequences on the path to every node, all players: pairs (node, sequence)
        last = game._node_last_sequences  # [n, N] public indices, 0 = empty
        N = game.num_nodes
        pn, ps = [], []
        for p in range(n):
            parent_seq = np.concatenate(([0], sf.infoset_parent[p][sf.sequence_infoset[p][1:]]))
            cur = last[p].copy()
            while np.any(cur > 0):
                here = np.flatnonzero(cur > 0)
                pn.append(here)
                ps.append(seq_off[p] + cur[here] - 1)
                cur = parent_seq[cur]
        path_node = np.concatenate(pn) if pn else np.zeros(0, np.int64)
        path_seq = np.concatenate(ps) if ps else np.zeros(0, np.int64)
        self.path = sp.csr_matrix((np.ones(path_node.size), (path_node, path_seq)), shape=(N, S))
        order = np.argsort(path_node, kind="stable")
        path_node, path_seq = path_node[order], path_seq[order]
        starts = np.searchsorted(path_node, np.arange(N + 1))

        # the sequence by which each decision edge enters its child
        child = np.arange(1, N)
        par = game.parent[child]
        dec = game.kind[par] == DECISION
        enter_node = child[dec]
        first_seq = np.zeros(len(game.infosets), np.int64)
        for p in range(n):
            isets = game.player_infosets(p)
            first_seq[isets] = seq_off[p] + sf.sequence_start[p][:-1] - 1
        enter_seq = first_seq[game.infoset[game.parent[enter_node]]] + game.action[enter_node]
        srt = np.argsort(enter_seq, kind="stable")
        self.m_nodes, self.m_seq = enter_node[srt], enter_seq[srt]
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
        self.jac_n = self._triples(n_seq, terminals[n_term], starts, path_seq, S)
        self.jac_m = self._triples(self.m_seq, self.m_nodes, starts, path_seq, S)

        # payoff-dependent data, batch first
        payoffs = np.broadcast_to(game.payoffs, (B,) + game.payoffs.shape[-2:])
        self.u_pairs = payoffs[:, n_term, self.n_owner]  # [B, pairs]
        with np.errstate(divide="ignore"):
            logc = np.log(np.broadcast_to(game._chance_reach_nodes, (B, N)))
        self.log_chance = np.maximum(logc, _LOG_ZERO)
        flat = payoffs.reshape(B, -1)
        self.scale = flat.max(-1) - flat.min(-1) if flat.shape[1] else np.zeros(B)
        self.setup()

    @staticmethod
    def _triples(rows_seq, nodes, starts, path_seq, S) -> sp.csr_matrix:
        counts = starts[nodes + 1] - starts[nodes]
        k = np.repeat(np.arange(nodes.size), counts)
        t = path_seq[np.repeat(starts[nodes], counts) + _ranges(counts)]
        return sp.csr_matrix((np.ones(k.size), (rows_seq[k] * S + t, k)), shape=(S * S, nodes.size))

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
        return [np.exp(y[:, self.seq_off[p] : self.seq_off[p + 1]]) for p in range(len(self.seq_off) - 1)]


# ---------------------------------------------------------------------------- path following
def _solve(A: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Batched ``numpy.linalg.solve`` (``rhs`` of shape ``[b, m]`` or ``[b, m, k]``).

    Singular systems give NaN instead of an exception.
    """
    if rhs.ndim == 2:
        return _solve(A, rhs[..., None])[..., 0]
    try:
        return np.linalg.solve(A, rhs)
    except np.linalg.LinAlgError:
        out = np.full(rhs.shape, np.nan)
        for i in range(A.shape[0]):
            try:
                out[i] = np.linalg.solve(A[i], rhs[i])
            except np.linalg.LinAlgError:
                pass
        return out


class _Tracer:
    """Arclength predictor-corrector for a batch of branches."""

    MAX_NEWTON = 8
    DIST = 0.1  # wanted size of the first correction (log-odds and lambda, max norm)
    MAX_DIST = 0.5  # larger first corrections risk a jump to another branch: retry shorter
    CONTRACTION = 0.3  # wanted Newton contraction rate
    ANGLE = 0.1  # wanted turn of the tangent per step (radians)
    TRACE_TOL = 1e-6  # Newton tolerance between reported points

    def __init__(self, system: _System, *, first_step: float, max_accel: float, tol: float, max_steps: int):
        self.sys = system
        self.first_step = float(first_step)
        self.max_accel = float(max_accel)
        self.tol = float(tol)
        # points between the requested ones need less accuracy: Newton stops earlier there,
        # and the points reported at requested lambdas and at the end are polished to `tol`
        self.trace_tol = max(self.tol, self.TRACE_TOL)
        self.max_steps = int(max_steps)

    def tangent(self, J: np.ndarray, previous: np.ndarray) -> np.ndarray:
        A = np.concatenate([J, previous[:, None, :]], axis=1)
        rhs = np.zeros((J.shape[0], J.shape[2]))
        rhs[:, -1] = 1.0
        tau = _solve(A, rhs)
        return tau / np.linalg.norm(tau, axis=1, keepdims=True)

    def correct(self, z: np.ndarray, t: np.ndarray, idx: np.ndarray, h: np.ndarray, tol: float | None = None):
        """Newton on ``H = 0`` within the hyperplane orthogonal to ``t``.

        Each iteration solves the augmented system for the correction and, with the same
        factorization, for the tangent at the current point (oriented like ``t``): the
        tangent of the last iteration is returned with the corrected point.
        """
        b, m = len(idx), self.sys.m
        tol = self.trace_tol if tol is None else tol
        z = z.copy()
        ok = np.zeros(b, bool)
        d1 = np.zeros(b)
        contraction = np.zeros(b)
        previous = np.full(b, np.inf)
        tangent = np.zeros((b, m + 1))
        live = np.arange(b)
        for it in range(self.MAX_NEWTON):
            if live.size == 0:
                break
            H, J = self.sys.evaluate(z[live], idx[live])
            A = np.concatenate([J, t[live][:, None, :]], axis=1)
            rhs = np.zeros((live.size, m + 1, 2))
            rhs[:, :m, 0] = -H
            rhs[:, m, 1] = 1.0
            both = _solve(A, rhs)
            delta = both[:, :, 0]
            tangent[live] = both[:, :, 1]
            # at the rounding floor of H (near a continuum of equilibria the Jacobian is
            # ill-conditioned and the corrections stall above the step test): accept
            floor = self._at_floor(z[live], H, tol) if it > 0 else np.zeros(live.size, bool)
            delta[floor] = 0.0
            z[live] += delta
            size = np.abs(delta)
            norm = size.max(axis=1, initial=0.0)
            if it == 0:
                d1[live] = norm
            elif it == 1:
                contraction[live] = norm / np.maximum(previous[live], 1e-300)
            converged = np.all(size <= tol * (1.0 + np.abs(z[live])), axis=1) | floor
            bad = ~np.isfinite(norm)
            if it == 0:
                bad |= norm > self.MAX_DIST
            else:
                bad |= (norm > 0.5 * previous[live]) & ~converged
            ok[live[converged & ~bad]] = True
            previous[live] = norm
            live = live[~converged & ~bad]
        tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-300)
        return z, ok, d1, contraction, tangent

    def _at_floor(self, z: np.ndarray, H: np.ndarray, tol: float) -> np.ndarray:
        """Rows whose residual ``w - lambda dQ`` is within ``tol`` of the size of its terms."""
        w = z[:, : self.sys.m]
        return np.all(np.abs(H) <= tol * (1.0 + np.abs(w) + np.abs(w - H)), axis=1)

    def correct_fixed(self, z: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Newton on ``H = 0`` with ``lambda`` held fixed."""
        z = z.copy()
        m = self.sys.m
        ok = np.zeros(len(idx), bool)
        live = np.arange(len(idx))
        for _ in range(2 * self.MAX_NEWTON):
            if live.size == 0:
                break
            H, J = self.sys.evaluate(z[live], idx[live])
            delta = _solve(J[:, :, :m], -H)
            floor = self._at_floor(z[live], H, self.tol)
            delta[floor] = 0.0
            z[live, :m] += delta
            size = np.abs(delta)
            converged = np.all(size <= self.tol * (1.0 + np.abs(z[live, :m])), axis=1) | floor
            bad = ~np.all(np.isfinite(delta), axis=1)
            ok[live[converged & ~bad]] = True
            live = live[~converged & ~bad]
        return z, ok

    def run(
        self,
        *,
        targets: np.ndarray | None,
        max_lambda: float,
        max_regret: float | None,
        record: bool,
        tangents: bool = False,
    ) -> dict[str, Any]:
        sys = self.sys
        B, m = sys.batch, sys.m
        lam = m
        z = sys.start()
        all_idx = np.arange(B)
        _, J0 = sys.evaluate(z, all_idx)
        e_lam = np.zeros((B, m + 1))
        e_lam[:, lam] = 1.0
        t = self.tangent(J0, e_lam)
        goals = np.unique(np.append(targets if targets is not None else [], max_lambda))
        goals = goals[goals > 0]
        hit = np.full((B, goals.size, m + 1), np.nan)
        if targets is not None and np.any(np.asarray(targets) == 0):
            zero_point = z.copy()
        else:
            zero_point = None
        h = np.full(B, self.first_step)
        reach = np.zeros(B)  # largest lambda reached so far
        next_goal = np.zeros(B, np.int64)
        status = np.full(B, "", dtype=object)
        steps = np.zeros(B, np.int64)
        attempts = np.zeros(B, np.int64)
        final = z.copy()
        path: list[tuple[np.ndarray, np.ndarray]] = [(all_idx, z.copy())]
        tangent_path: list[tuple[np.ndarray, np.ndarray]] = [(all_idx, t.copy())]
        threshold = None if max_regret is None else max_regret * sys.scale
        # goals to pass before the regret rule may end a branch: all requested lambdas
        needed = 0
        if targets is not None and np.any(targets > 0):
            needed = int(np.searchsorted(goals, targets[targets > 0][-1])) + 1
        # the start may already be an equilibrium (uniform play)
        active = np.ones(B, bool)
        if threshold is not None and needed == 0:
            done = sys.regret(z, all_idx) <= threshold
            status[done] = "max_regret"
            active &= ~done
        while np.any(active):
            idx = np.flatnonzero(active)
            attempts[idx] += 1
            over = attempts[idx] > self.max_steps
            if np.any(over):
                status[idx[over]] = "max_steps"
                final[idx[over]] = z[idx[over]]
                active[idx[over]] = False
                idx = idx[~over]
                if idx.size == 0:
                    break
            z0, t0, h0 = z[idx], t[idx], h[idx]
            z1, ok, d1, contraction, t1 = self.correct(z0 + h0[:, None] * t0, t0, idx, h0)
            cosine = np.clip((t1 * t0).sum(1), -1.0, 1.0)
            angle = np.arccos(cosine)
            ok &= np.all(np.isfinite(t1), axis=1) & (angle < 4 * self.ANGLE)
            # step control
            slow = np.maximum.reduce(
                [
                    np.sqrt(d1 / self.DIST),
                    np.sqrt(contraction / self.CONTRACTION),
                    angle / self.ANGLE,
                ]
            )
            slow = np.clip(np.nan_to_num(slow, nan=2.0), 1.0 / self.max_accel, 2.0)
            h[idx] = np.where(ok, h0 / slow, h0 / 2.0)
            rejected = idx[~ok]
            tiny = rejected[h[rejected] < 1e-12 * (1.0 + np.abs(z[rejected, lam]))]
            if tiny.size:
                status[tiny] = "stalled"
                final[tiny] = z[tiny]
                active[tiny] = False
            acc = idx[ok]
            if acc.size == 0:
                continue
            za, zb = z[acc], z1[ok]
            z[acc], t[acc] = zb, t1[ok]
            steps[acc] += 1
            # requested lambdas crossed by this step (first crossing only)
            lam_a, lam_b = za[:, lam], zb[:, lam]
            pair_game, pair_goal, pair_z = [], [], []
            for row, g in enumerate(acc):
                while next_goal[g] < goals.size and goals[next_goal[g]] <= lam_b[row]:
                    L = goals[next_goal[g]]
                    if L > reach[g]:
                        w = (L - lam_a[row]) / (lam_b[row] - lam_a[row]) if lam_b[row] != lam_a[row] else 1.0
                        guess = za[row] + np.clip(w, 0.0, 1.0) * (zb[row] - za[row])
                        guess[lam] = L
                        pair_game.append(g)
                        pair_goal.append(next_goal[g])
                        pair_z.append(guess)
                    next_goal[g] += 1
            if pair_game:
                pg, guesses = np.asarray(pair_game), np.asarray(pair_z)
                fixed, fixed_ok = self.correct_fixed(guesses, pg)
                # should Newton fail at fixed lambda, keep the interpolated point (close to the branch)
                hit[pg, np.asarray(pair_goal)] = np.where(fixed_ok[:, None], fixed, guesses)
            reach[acc] = np.maximum(reach[acc], lam_b)
            if record:
                path.append((acc, zb.copy()))
                if tangents:
                    tangent_path.append((acc, t1[ok].copy()))
            # stopping
            finished = next_goal[acc] >= goals.size  # max_lambda passed
            if np.any(finished):
                fin = acc[finished]
                status[fin] = "max_lambda"
                final[fin] = hit[fin, goals.size - 1] if goals.size and goals[-1] == max_lambda else z[fin]
                active[fin] = False
            if threshold is not None:
                rest = acc[~finished]
                rest = rest[next_goal[rest] >= needed]
                if rest.size:
                    small = sys.regret(z[rest], rest) <= threshold[rest]
                    stop = rest[small]
                    status[stop] = "max_regret"
                    final[stop] = z[stop]
                    active[stop] = False
        # polish the points where the regret rule ended a branch (found with trace_tol)
        ended = np.flatnonzero(status.astype(str) == "max_regret")
        if ended.size:
            polished, ok = self.correct_fixed(final[ended], ended)
            final[ended[ok]] = polished[ok]
        return {
            "final": final,
            "status": status,
            "steps": steps,
            "goals": goals,
            "hit": hit,
            "zero_point": zero_point,
            "path": path,
            "tangents": tangent_path,
        }


# ---------------------------------------------------------------------------- public
def _check_options(max_lambda: float | None, max_regret: float | None, first_step: float, max_accel: float,
                   lambdas: Any) -> tuple[np.ndarray | None, float, float | None]:
    targets = None
    if lambdas is not None:
        targets = np.asarray(lambdas, np.float64).ravel()
        if targets.size == 0 or not np.all(np.isfinite(targets)) or np.any(targets < 0):
            raise SolverError("lambdas must be finite, non-negative numbers")
        if np.any(np.diff(targets) <= 0):
            raise SolverError("lambdas must be strictly increasing")
    if max_lambda is None:
        max_lambda = max(float(targets[-1]), first_step) if targets is not None else 1e8
    max_lambda = float(max_lambda)
    if not (np.isfinite(max_lambda) and max_lambda > 0):
        raise SolverError(f"max_lambda must be a positive number, got {max_lambda!r}")
    if targets is not None and targets[-1] > max_lambda:
        raise SolverError("every requested lambda must be at most max_lambda")
    if max_regret is not None and not (max_regret >= 0):
        raise SolverError("max_regret must be non-negative")
    if not (first_step > 0 and max_accel >= 1):
        raise SolverError("need first_step > 0 and max_accel >= 1")
    return targets, max_lambda, max_regret


def logit_qre(
    game: NormalFormGame,
    *,
    lambdas: Sequence[float] | np.ndarray | None = None,
    max_lambda: float | None = None,
    max_regret: float | None = 1e-8,
    first_step: float = 0.03,
    max_accel: float = 1.1,
    tol: float = 1e-10,
    max_steps: int = 20_000,
) -> QREBranch:
    """Trace the principal branch of the logit QRE of a normal-form game (or a batch).

    Parameters
    ----------
    game : NormalFormGame
        Any number of players; a batch is traced in the same array operations, each game
        along its own branch.
    lambdas : sequence of float, optional
        Strictly increasing values of ``lambda`` at which to report the branch (at its
        first crossing of each). Default: report the path follower's own points.
    max_lambda : float, optional
        Where the branch ends at the latest (default: the last of ``lambdas``, else
        ``1e8``).
    max_regret : float or None
        End the branch earlier, once every requested ``lambda`` is passed, where no player
        gains more than ``max_regret`` times the game's payoff range by switching to a
        best response (Gambit's ``logit_solve`` convention). ``None``: only
        ``max_lambda`` ends it.
    first_step, max_accel : float
        Arclength of the first step and the most a step may grow from one to the next.
    tol : float
        Newton's corrector stops when every correction is below ``tol * (1 + |value|)``
        (or the residual is within ``tol`` of its terms), at the requested ``lambdas``
        and at the end; between them the path follower uses ``max(tol, 1e-6)``.
    max_steps : int
        Most steps (accepted or not) per branch.

    Returns
    -------
    QREBranch
        ``lambdas`` and ``profiles`` along the branch (``[L, a_p]`` per player, batch
        first), the NashConv of each point, and ``solution``: ``method="logit-qre"``, the
        profile at the end of the branch (it approaches a Nash equilibrium as ``lambda``
        grows), its ``values`` and ``nash_conv``; ``converged`` is true when the branch
        ended at ``max_lambda`` or by ``max_regret`` (not by failure or ``max_steps``);
        ``info`` has ``"lambda"`` (final value), ``"stopped"`` (``"max_regret"``,
        ``"max_lambda"``, ``"stalled"`` (the step length collapsed: the corrector could not
        reach its tolerance, which happens at very large ``lambda`` where rounding in
        ``lambda Q`` dominates) or ``"max_steps"``), ``"steps"`` and
        ``"max_regret"`` (the final largest gain, in payoff units). For a batch these are
        arrays or lists.

    Raises
    ------
    SolverError
        If the game is not a normal-form game or an option is invalid.

    Examples
    --------
    Matching pennies with a bonus for Row on (heads, heads): at ``lambda = 0`` play is
    uniform; along the branch it approaches the mixed equilibrium in which Column plays
    heads with probability 2/5 (pygambit's ``logit_solve_lambda`` gives the same points).

    >>> from negsim.games import NormalFormGame
    >>> game = NormalFormGame.zero_sum([[2, -1], [-1, 1]])
    >>> branch = logit_qre(game, lambdas=[0.0, 1.0, 100.0])
    >>> branch.profiles[1].round(4)
    array([[0.5   , 0.5   ],
           [0.3909, 0.6091],
           [0.3992, 0.6008]])
    >>> final = logit_qre(game).solution
    >>> final.profile.probabilities[1].round(6), bool(final.nash_conv < 1e-6)
    (array([0.4, 0.6]), True)
    """
    started = time.perf_counter()
    if not isinstance(game, NormalFormGame):
        raise SolverError(f"logit_qre takes a NormalFormGame (use agent_qre for trees), not {type(game).__name__}")
    if game.num_players > len(_LETTERS):
        raise SolverError(f"logit_qre handles at most {len(_LETTERS)} players")
    targets, max_lambda, max_regret = _check_options(max_lambda, max_regret, first_step, max_accel, lambdas)
    batched = game.batch_size is not None
    payoffs = game.payoffs if batched else game.payoffs[None]
    system = _NormalSystem(payoffs)
    tracer = _Tracer(system, first_step=first_step, max_accel=max_accel, tol=tol, max_steps=max_steps)
    out = tracer.run(targets=targets, max_lambda=max_lambda, max_regret=max_regret, record=targets is None)
    lam_points, y_points, counts = _branch_points(out, system, targets)

    def profiles_of(y: np.ndarray) -> list[np.ndarray]:
        return [np.exp(y[..., system.bounds[p] : system.bounds[p + 1]]) for p in range(system.n)]

    probs = profiles_of(y_points)  # [B, L, a_p]
    B, L = lam_points.shape
    gaps = np.stack([_nash_conv_batch(payoffs, [np.nan_to_num(p[:, k]) for p in probs]) for k in range(L)], axis=1)
    gaps = np.where(np.isnan(lam_points), np.nan, gaps)
    final = out["final"]
    final_probs = [p / p.sum(-1, keepdims=True) for p in profiles_of(system.log_probs(final[:, : system.K]))]
    u = _payoff_vectors(payoffs, final_probs)
    values = np.stack([(a * b).sum(-1) for a, b in zip(u, final_probs, strict=True)], axis=-1)
    profile = MixedProfile(game, final_probs if batched else [p[0] for p in final_probs])
    final_gap = np.atleast_1d(nash_conv_normal(game, profile))
    regret = system.regret(final, np.arange(B))
    solution = _qre_solution(
        "logit-qre", profile,
        values, final_gap, final, system, out, regret, batched, started, gaps, counts,
    )
    return _branch(lam_points, probs, gaps, counts, solution, batched, targets)


def agent_qre(
    game: ExtensiveFormGame,
    *,
    lambdas: Sequence[float] | np.ndarray | None = None,
    max_lambda: float | None = None,
    max_regret: float | None = 1e-6,
    first_step: float = 0.03,
    max_accel: float = 1.1,
    tol: float = 1e-10,
    max_steps: int = 20_000,
) -> QREBranch:
    """Trace the principal branch of the agent logit QRE of an extensive game (or a batch).

    Parameters
    ----------
    game : ExtensiveFormGame
        A game with perfect recall, any number of players; a batch (payoffs and chance
        probabilities may differ) is traced in the same array operations.
    lambdas, max_lambda, max_regret, first_step, max_accel, tol, max_steps
        As in :func:`logit_qre`; the regret is measured at each information set,
        conditional on reaching it (the agent form). The default ``max_regret`` is
        ``1e-6``: conditional values are ratios of sums of reach probabilities whose
        logarithms grow like ``lambda``, and at ``lambda`` near ``1e6`` their rounding
        (about ``1e-16 lambda |log reach|``) stops the corrector before a regret of
        ``1e-8`` times the payoff range is reached.

    Returns
    -------
    QREBranch
        ``profiles`` are behaviour probabilities in sequence order (``[L, S_p]`` per
        player, batch first); ``solution`` has ``method="agent-qre"``, the final
        :class:`~negsim.games.BehaviorProfile`, its values and NashConv (computed by
        :func:`negsim.solvers.nash_conv`), and ``info`` as in :func:`logit_qre`.

    Raises
    ------
    SolverError
        If the game is not an extensive game with perfect recall or an option is invalid.

    Examples
    --------
    A simultaneous-move tree has the same QRE as its normal form:

    >>> from negsim.games import library
    >>> tree = library.battle_of_the_sexes(form="extensive")
    >>> a = agent_qre(tree, lambdas=[1.0]).profiles[0][0]
    >>> b = logit_qre(library.battle_of_the_sexes(), lambdas=[1.0]).profiles[0][0]
    >>> bool(abs(a - b).max() < 1e-9)
    True
    >>> from negsim.games import library
    >>> solution = agent_qre(library.kuhn_poker(), max_lambda=100.0).solution
    >>> bool(solution.nash_conv < 0.01), round(float(solution.values[0]), 2)
    (True, -0.06)
    """
    started = time.perf_counter()
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError(
            f"agent_qre takes an ExtensiveFormGame (use logit_qre for matrices), not {type(game).__name__}"
        )
    game.require_perfect_recall('the agent QRE', error=SolverError)
    targets, max_lambda, max_regret = _check_options(max_lambda, max_regret, first_step, max_accel, lambdas)
    batched = game.batch_size is not None
    system = _AgentSystem(game)
    tracer = _Tracer(system, first_step=first_step, max_accel=max_accel, tol=tol, max_steps=max_steps)
    out = tracer.run(targets=targets, max_lambda=max_lambda, max_regret=max_regret, record=targets is None)
    lam_points, y_points, counts = _branch_points(out, system, targets)
    B, L = lam_points.shape
    probs = [np.exp(y_points[..., system.seq_off[p] : system.seq_off[p + 1]]) for p in range(game.num_players)]
    gaps = _tree_nash_conv(game, probs, B, L)
    gaps = np.where(np.isnan(lam_points), np.nan, gaps)
    final = out["final"]
    final_probs = _normalize_infosets(game, system.per_player(system.log_probs(final[:, : system.K])))
    profile = BehaviorProfile(game, final_probs if batched else [p[0] for p in final_probs])
    values = np.atleast_2d(expected_values(game, profile))
    final_gap = np.atleast_1d(nash_conv(game, profile))
    regret = system.regret(final, np.arange(B))
    solution = _qre_solution(
        "agent-qre", profile, values, final_gap, final, system, out, regret, batched, started, gaps, counts
    )
    return _branch(lam_points, probs, gaps, counts, solution, batched, targets)


def fit_lambda(
    game: NormalFormGame | ExtensiveFormGame,
    observed_frequencies: Sequence[Any],
    *,
    max_lambda: float | None = None,
    max_regret: float | None = 1e-8,
    first_step: float = 0.03,
    max_accel: float = 1.1,
    tol: float = 1e-10,
) -> QREFit:
    """The maximum-likelihood ``lambda`` of observed play along the principal QRE branch.

    Parameters
    ----------
    game : NormalFormGame or ExtensiveFormGame
        A single game (the agent QRE is used for a tree, which needs perfect recall).
    observed_frequencies : sequence of array_like
        One array per player: counts (or frequencies) of each strategy ``[a_p]``, or of
        each action in sequence order ``[S_p]`` for a tree. Counts give the
        log-likelihood of the data; frequencies the same maximizer.
    max_lambda, max_regret, first_step, max_accel, tol
        How far and how finely to trace the branch, as in :func:`logit_qre`.

    Returns
    -------
    QREFit
        The fitted ``lam`` (the best of the branch's start, its interior local maxima
        and its end), the log-likelihood ``sum_a n_a log sigma_a`` there, the QRE
        profile, and the candidates compared.

    Raises
    ------
    SolverError
        If the game is a batch, the counts do not fit, or they are negative.

    Examples
    --------
    >>> from negsim.games import NormalFormGame
    >>> game = NormalFormGame.from_bimatrix([[4, 0], [1, 3]], [[1, 2], [3, 0]])
    >>> fit = fit_lambda(game, [[62, 38], [60, 40]])
    >>> round(fit.lam, 6), round(fit.log_likelihood, 6)  # pygambit's logit_estimate agrees
    (0.79715, -133.708643)
    """
    if not isinstance(game, NormalFormGame | ExtensiveFormGame):
        raise SolverError(f"fit_lambda takes a NormalFormGame or ExtensiveFormGame, not {type(game).__name__}")
    if game.batch_size is not None:
        raise SolverError("fit_lambda fits one game; use batch_item for each game of a batch")
    _, max_lambda, max_regret = _check_options(max_lambda, max_regret, first_step, max_accel, None)
    if isinstance(game, NormalFormGame):
        system: _System = _NormalSystem(game.payoffs[None])
        sizes = game.shape
    else:
        game.require_perfect_recall('the agent QRE', error=SolverError)
        system = _AgentSystem(game)
        sizes = game.num_sequences
    if len(observed_frequencies) != game.num_players:
        raise SolverError(f"observed_frequencies needs one array per player ({game.num_players})")
    counts = []
    for p, k in enumerate(sizes):
        arr = np.asarray(observed_frequencies[p], np.float64).ravel()
        if arr.shape != (k,) or np.any(arr < 0) or not np.all(np.isfinite(arr)):
            raise SolverError(f"observed counts of {game.players[p]} must be {k} non-negative numbers")
        counts.append(arr)
    weights = np.concatenate(counts) if counts else np.zeros(0)
    tracer = _Tracer(system, first_step=first_step, max_accel=max_accel, tol=tol, max_steps=20_000)
    out = tracer.run(targets=None, max_lambda=max_lambda, max_regret=max_regret, record=True, tangents=True)
    points = np.stack([z[0] for _, z in out["path"]])
    tangents = np.stack([t[0] for _, t in out["tangents"]])
    if out["status"][0] == "max_lambda":
        points = np.vstack([points, out["final"][0]])
        tangents = np.vstack([tangents, tangents[-1]])
    else:
        points[-1] = out["final"][0]  # polished to tol
    used = weights > 0

    def loglik(z: np.ndarray) -> float:
        y = system.log_probs(z[: system.K])
        return float((weights[used] * y[used]).sum())

    slope = system.log_prob_velocity(points, tangents) @ weights
    # the ends of the branch and every interior maximum of the likelihood along it
    candidates = [points[0]]
    for k in np.flatnonzero((slope[:-1] > 0) & (slope[1:] <= 0)):
        candidates.append(_refine(tracer, points[k], tangents[k], points[k + 1], weights))
    candidates.append(points[-1])
    scored = [(float(z[system.lam]), loglik(z), z) for z in candidates]
    lam, best, z = max(scored, key=lambda item: item[1])
    y = system.log_probs(z[None, : system.K])
    if isinstance(game, NormalFormGame):
        probs = [np.exp(y[0, system.bounds[p] : system.bounds[p + 1]]) for p in range(game.num_players)]
        probs = [p / p.sum() for p in probs]
        profile: MixedProfile | BehaviorProfile = MixedProfile(game, probs)
    else:
        profile = BehaviorProfile(game, [p[0] for p in _normalize_infosets(game, system.per_player(y))])
    return QREFit(
        lam=lam,
        log_likelihood=best,
        profile=profile,
        local_maxima=tuple((a, b) for a, b, _ in scored),
    )


# ---------------------------------------------------------------------------- helpers
def _refine(tracer: _Tracer, z0: np.ndarray, t0: np.ndarray, z1: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bisect the arclength between two branch points for a zero of d(log-likelihood)/ds."""
    idx = np.zeros(1, np.int64)
    lo, hi = 0.0, float(t0 @ (z1 - z0))
    best = z1
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        z, ok, _, _, tau = tracer.correct((z0 + mid * t0)[None], t0[None], idx, np.array([np.inf]), tracer.tol)
        if not ok[0]:
            break
        best = z[0]
        if tracer.sys.log_prob_velocity(z[0], tau[0]) @ weights > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * (1.0 + abs(hi)):
            break
    return best


def _branch_points(out: dict[str, Any], system: _System, targets: np.ndarray | None):
    """``lambdas [B, L]``, log-probabilities ``y [B, L, S]`` and valid counts from a tracer's output."""
    B, K, lam = system.batch, system.K, system.lam
    if targets is not None:
        goals = out["goals"]
        L = targets.size
        zs = np.full((B, L, K + 1), np.nan)
        for i, target in enumerate(targets):
            if target == 0:
                zs[:, i] = out["zero_point"]
            else:
                zs[:, i] = out["hit"][:, int(np.searchsorted(goals, target))]
        unreached = np.isnan(zs).any(axis=2)
        lam_points = np.where(unreached, np.nan, np.tile(targets, (B, 1)))
        if np.any(unreached):
            games = np.flatnonzero(unreached.any(axis=1))
            warnings.warn(
                f"the QRE branch of game(s) {games.tolist()[:10]} ended (status "
                f"{sorted(set(out['status'][games].astype(str)))}) before some requested lambdas; they are NaN",
                NegsimWarning,
                stacklevel=3,
            )
        return lam_points, system.log_probs(zs[:, :, :K]), (~unreached).sum(axis=1)
    # the path follower's own points: step k of game g goes to position counts[g]
    counts = np.zeros(B, np.int64)
    placed = []
    for idx, z in out["path"]:
        placed.append((idx, counts[idx].copy(), z))
        counts[idx] += 1
    extra = np.flatnonzero(out["status"].astype(str) == "max_lambda")
    placed.append((extra, counts[extra].copy(), out["final"][extra]))
    counts[extra] += 1
    zs = np.zeros((B, int(counts.max()), K + 1))
    for idx, pos, z in placed:
        zs[idx, pos] = z
    ended = np.flatnonzero(out["status"].astype(str) == "max_regret")
    zs[ended, counts[ended] - 1] = out["final"][ended]  # the end point, polished to tol
    # pad each branch with its last point
    take = np.minimum(np.arange(zs.shape[1])[None, :], counts[:, None] - 1)
    zs = np.take_along_axis(zs, take[:, :, None], axis=1)
    return zs[:, :, lam], system.log_probs(zs[:, :, :K]), counts


def _normalize_infosets(game: ExtensiveFormGame, probs: list[np.ndarray]) -> list[np.ndarray]:
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


def _tree_nash_conv(game: ExtensiveFormGame, probs: list[np.ndarray], B: int, L: int) -> np.ndarray:
    """NashConv ``[B, L]`` of branch profiles ``[B, L, S_p]`` of a (batch of) tree(s).

    Points that were never reached (NaN) are evaluated at the uniform profile; the caller
    masks them.
    """
    uniform = BehaviorProfile.uniform(game.batch_item(0) if game.batch_size is not None else game).probabilities
    flat = []
    for p, arr in enumerate(probs):
        arr = arr.reshape(B * L, -1)
        flat.append(np.where(np.isnan(arr).any(axis=1, keepdims=True), uniform[p], arr))
    probs = _normalize_infosets(game, flat)
    payoffs = np.broadcast_to(game.payoffs, (B,) + game.payoffs.shape[-2:])
    chance = np.broadcast_to(game.chance_prob, (B, game.num_nodes))
    stacked = game.with_batch(
        payoffs=np.repeat(payoffs, L, axis=0), chance_prob=np.repeat(chance, L, axis=0)
    )
    return np.asarray(nash_conv(stacked, BehaviorProfile(stacked, probs))).reshape(B, L)


def _qre_solution(method, profile, values, gaps, final, system, out, regret, batched, started, branch_gaps, counts):
    status = out["status"]
    converged = np.isin(status.astype(str), ["max_lambda", "max_regret"])
    history = []
    for k in range(branch_gaps.shape[1]):
        col = branch_gaps[:, k]
        history.append((k, tuple(col.tolist()) if batched else float(col[0])))

    def pick(x: np.ndarray) -> Any:
        return x if batched else x[0].item() if isinstance(x[0], np.generic) else x[0]

    info = {
        "lambda": pick(final[:, system.lam].copy()),
        "stopped": list(status.astype(str)) if batched else str(status[0]),
        "steps": pick(out["steps"].copy()),
        "max_regret": pick(regret),
    }
    return Solution(
        method=method,
        profile=profile,
        values=values if batched else values[0],
        nash_conv=gaps if batched else float(gaps[0]),
        iterations=int(out["steps"].max(initial=0)),
        seconds=time.perf_counter() - started,
        history=tuple(history),
        converged=bool(converged.all()),
        info=info,
    )


def _branch(lam_points, probs, gaps, counts, solution, batched, targets) -> QREBranch:
    if targets is not None:
        lambdas = targets.copy()
    else:
        lambdas = lam_points if batched else lam_points[0]
    return QREBranch(
        lambdas=lambdas,
        profiles=tuple(p if batched else p[0] for p in probs),
        nash_conv=gaps if batched else gaps[0],
        num_points=counts if batched else int(counts[0]),
        solution=solution,
    )
