"""The likelihood of observed outcomes of a game with random utilities, and its gradient.

Strategic estimation (Signorino 1999, 2003; Lewis & Schultz 2003; Kenkel & Signorino 2014)
treats the utilities of the players at the terminals of a game tree as linear indices of
covariates, one game per observation, and makes choices random by adding an error to
each player's utilities. The probability of every outcome then follows from solving the
tree backwards, and the outcome data give a likelihood.

Two error structures, on any tree of perfect information (chance nodes allowed):

* ``"agent"`` (agent error, quantal response): at each decision node every action's value
  to the mover gets its own independent error, of scale 1. With two actions the mover
  takes action ``a`` over ``b`` with probability ``F((V_a - V_b) / sqrt(2))``; for the logit
  link with more actions this is the softmax of ``V / sqrt(2)``.
* ``"private"`` (private information): each player's utility at each terminal gets an
  independent error of scale 1 that only this player sees. The value of an action is the
  expectation of the terminal utilities under the later movers' choice probabilities and
  chance, ``V_a = sum_z P(z | a) u_z``, and its error has variance
  ``Q_a = sum_z P(z | a)**2``; the mover takes ``a`` over ``b`` with probability
  ``F((V_a - V_b) / sqrt(Q_a + Q_b))``. These are Signorino's (2003) cutpoint equations; they
  need every decision node to have two actions and no player to move twice on a path
  (the player's own later choice would depend on the same shocks).

``F`` is the standard normal CDF (``link="probit"``) or the logistic CDF with the same
scale argument (``link="logit"``), the conventions of the R package ``games``, so that the
canonical models give its estimates.

Everything is one pass over the depth levels of the tree (bottom-up for the values,
top-down for the adjoints of reverse-mode differentiation), each level a few array
operations over all its nodes and all observations at once; a batch of parameter vectors
(bootstrap replicates, finite-difference steps) is one more leading axis folded into the
observation axis. The log-likelihood of an observation is the log of the summed
probability of the terminals it is consistent with (one terminal when a full path or a
terminal is observed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_ndtr, ndtr

from negsim.errors import GameError
from negsim.games.extensive import CHANCE, DECISION, ExtensiveFormGame

__all__ = ["LINKS", "ERRORS", "UtilityCell", "TreeLikelihood"]

LINKS = ("probit", "logit")
ERRORS = ("agent", "private")

_SQRT2 = float(np.sqrt(2.0))
_LOG_2PI_HALF = 0.5 * float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class UtilityCell:
    """Where one estimated utility sits: a terminal (0-based, in breadth-first order) and a player."""

    terminal: int
    player: int


@dataclass(frozen=True)
class _Group:
    """The nodes of one depth level that are treated alike (decision with k actions, or chance)."""

    kind: int
    nodes: np.ndarray  # (G,)
    children: np.ndarray  # (G, k)
    mover: np.ndarray  # (G,) decision groups
    probs: np.ndarray  # (G, k, 1) chance groups


def _cdf_parts(link: str, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """F(x), log F(x), log F(-x), the density f(x), and the hazards f/F(x) and f/F(-x).

    The hazards are computed from logs so that the gradient stays finite where a choice
    probability underflows.
    """
    if link == "probit":
        pdf = np.exp(-0.5 * x * x - _LOG_2PI_HALF)
        p, q = ndtr(x), ndtr(-x)
        # plain logs and ratios where both tails are well inside floating point (the common
        # case, and much cheaper); scipy's log_ndtr only in the far tails
        far = np.abs(x) > 5.0
        with np.errstate(divide="ignore", invalid="ignore"):
            lp, lq, h0, h1 = np.log(p), np.log(q), pdf / p, pdf / q
        if far.any():
            xf = x[far]
            log_pdf = -0.5 * xf * xf - _LOG_2PI_HALF
            lp[far], lq[far] = log_ndtr(xf), log_ndtr(-xf)
            h0[far], h1[far] = np.exp(log_pdf - lp[far]), np.exp(log_pdf - lq[far])
        return p, lp, lq, pdf, h0, h1
    p = expit(x)
    q = expit(-x)
    # log expit(x) = -log(1 + exp(-x)), written to stay finite for large |x|
    return p, -np.logaddexp(0.0, -x), -np.logaddexp(0.0, x), p * q, q, p


class TreeLikelihood:
    """Outcome probabilities and log-likelihood of a game whose utilities vary by observation.

    Parameters
    ----------
    game : ExtensiveFormGame
        The tree (its payoffs are ignored). Perfect information is required; chance nodes
        keep the game's probabilities.
    cells : sequence of UtilityCell
        The estimated utilities, in the order of ``utilities`` passed to the methods. Any
        other utility is fixed at 0.
    link : {"probit", "logit"}
    error : {"agent", "private"}

    Raises
    ------
    GameError
        If the tree does not fit the error structure or link (see the module docstring).

    Examples
    --------
    The game ``egame12``: player 1 keeps the status quo or escalates, then player 2 backs
    down or fights.

    >>> import numpy as np
    >>> from negsim.estimate.trees import egame12_tree
    >>> game, cells = egame12_tree()
    >>> lik = TreeLikelihood(game, cells, link="probit", error="agent")
    >>> u = np.zeros((1, 4, 1))                 # u11 = u13 = u14 = u24 = 0, one observation
    >>> lik.outcome_probabilities(u).round(3)   # sq, capit, war
    array([[[0.5 , 0.25, 0.25]]])
    """

    def __init__(self, game: ExtensiveFormGame, cells, *, link: str = "probit", error: str = "agent") -> None:
        if link not in LINKS:
            raise GameError(f"unknown link {link!r}; choose one of {list(LINKS)}")
        if error not in ERRORS:
            raise GameError(f"unknown error structure {error!r}; choose one of {list(ERRORS)}")
        if not game.is_perfect_information:
            raise GameError(
                "a backward pass needs a game of perfect information: an information set with several "
                "nodes has no backward solution (AgentQRELikelihood solves the agent QRE instead)"
            )
        self.game = game
        self.link = link
        self.error = error
        self.cells = tuple(cells)
        for c in self.cells:
            if not (0 <= c.terminal < game.num_terminals and 0 <= c.player < game.num_players):
                raise GameError(f"utility cell {c} is outside the game's terminals and players")
        self.num_nodes = game.num_nodes
        self.num_terminals = game.num_terminals
        self.num_players = game.num_players
        self._groups = self._make_groups()
        self._check_structure()
        t = game.terminals
        n_nodes = game.num_nodes
        # paths as sparse matrices: log reach of a terminal = sum of log edge probabilities on
        # its path; the likelihood weight of a node = sum of the weights of the terminals below
        rows, cols = [], []
        for z, node in enumerate(t):
            for h in game.path(int(node))[1:]:
                rows.append(z)
                cols.append(h)
        self._paths = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(t), n_nodes))
        self._below = self._paths.T.tocsr()
        self._below_dense = self._below.toarray()

    # ------------------------------------------------------------------ structure
    def _make_groups(self) -> list[list[_Group]]:
        g = self.game
        levels = []
        for d in range(len(g.level_offsets) - 1):
            nodes = np.arange(g.level_offsets[d], g.level_offsets[d + 1])
            groups = []
            for kind in (DECISION, CHANCE):
                of_kind = nodes[g.kind[nodes] == kind]
                for k in np.unique(g.num_children[of_kind]):
                    sel = of_kind[g.num_children[of_kind] == k]
                    children = g.first_child[sel][:, None] + np.arange(k)[None, :]
                    probs = g.chance_prob[children][:, :, None] if kind == CHANCE else np.empty((0, 0, 0))
                    if g.chance_prob.ndim != 1:
                        raise GameError("strategic estimation takes one game, not a batch of games")
                    groups.append(_Group(kind, sel, children, g.player[sel], probs))
            if groups:
                levels.append(groups)
        return levels

    def _check_structure(self) -> None:
        g = self.game
        dec = g.kind == DECISION
        k = g.num_children[dec]
        if self.error == "private" or self.link == "probit":
            if np.any(k != 2):
                what = "private information" if self.error == "private" else "the probit link"
                raise GameError(
                    f"{what} needs two actions at every decision node (found {sorted(set(k.tolist()))}); "
                    "with more actions use link='logit', error='agent'"
                )
        if self.error == "private":
            for z in g.terminals:
                movers = [int(g.player[h]) for h in g.path(int(z))[:-1] if g.kind[h] == DECISION]
                if len(movers) != len(set(movers)):
                    raise GameError(
                        "private information needs every player to move at most once on each path "
                        f"(a player moves twice on the path to terminal node {int(z)})"
                    )

    # ------------------------------------------------------------------ utilities
    def terminal_utilities(self, utilities: np.ndarray) -> np.ndarray:
        """Utilities ``[M, C]`` of the cells for M observations, as ``[T, n, M]`` with zeros elsewhere."""
        m = utilities.shape[0]
        u = np.zeros((self.num_terminals, self.num_players, m))
        for j, c in enumerate(self.cells):
            u[c.terminal, c.player] += utilities[:, j]
        return u

    # ------------------------------------------------------------------ forward pass
    def _forward(self, u_tnm: np.ndarray) -> dict:
        """Values V [nodes, n, M], error variances Q [nodes, M] and edge log-probabilities."""
        m = u_tnm.shape[-1]
        g = self.game
        V = np.zeros((self.num_nodes, self.num_players, m))
        V[g.terminals] = u_tnm
        private = self.error == "private"
        Q = np.ones((self.num_nodes, m)) if private else None
        logP = np.zeros((self.num_nodes, m))
        P = np.ones((self.num_nodes, m))
        saved = []
        for groups in reversed(self._groups):
            saved.append([self._forward_group(grp, V, Q, P, logP) for grp in groups])
        return {"V": V, "Q": Q, "P": P, "logP": logP, "saved": saved[::-1]}

    def _forward_group(self, grp: _Group, V, Q, P, logP):
        ch = grp.children
        if grp.kind == CHANCE:
            pr = grp.probs
            P[ch] = pr
            with np.errstate(divide="ignore"):
                logP[ch] = np.log(pr)
            V[grp.nodes] = np.einsum("gkm,gknm->gnm", np.broadcast_to(pr, ch.shape + (V.shape[-1],)), V[ch])
            if Q is not None:
                Q[grp.nodes] = np.sum(pr * pr * Q[ch], axis=1)
            return None
        mover = grp.mover
        if ch.shape[1] == 2:
            diff = V[ch[:, 0], mover] - V[ch[:, 1], mover]
            scale = np.sqrt(Q[ch[:, 0]] + Q[ch[:, 1]]) if Q is not None else _SQRT2
            x = diff / scale
            p0, lp0, lp1, dens, h0, h1 = _cdf_parts(self.link, x)
            p1 = 1.0 - p0
            P[ch[:, 0]], P[ch[:, 1]] = p0, p1
            logP[ch[:, 0]], logP[ch[:, 1]] = lp0, lp1
            V[grp.nodes] = p0[:, None] * V[ch[:, 0]] + p1[:, None] * V[ch[:, 1]]
            if Q is not None:
                Q[grp.nodes] = p0 * p0 * Q[ch[:, 0]] + p1 * p1 * Q[ch[:, 1]]
            return (x, scale, dens, h0, h1)
        # several actions: logit agent error only (checked in __init__)
        zs = V[ch, mover[:, None]] / _SQRT2  # (G, k, M)
        lse = np.logaddexp.reduce(zs, axis=1, keepdims=True)
        lp = zs - lse
        p = np.exp(lp)
        P[ch] = p
        logP[ch] = lp
        V[grp.nodes] = np.einsum("gkm,gknm->gnm", p, V[ch])
        return (p,)

    # ------------------------------------------------------------------ likelihood
    def outcome_probabilities(self, utilities: np.ndarray) -> np.ndarray:
        """Probability of each terminal, ``[M, T]``, for utilities ``[M, C]``, or ``[..., M, T]``.

        Parameters
        ----------
        utilities : ndarray, shape (..., C, M)
            One column per observation: the cells' utilities. Leading axes are a batch.
        """
        utilities = np.asarray(utilities, dtype=float)
        lead = utilities.shape[:-2]
        c, m = utilities.shape[-2:]
        flat = np.moveaxis(utilities.reshape(-1, c, m), 1, 2).reshape(-1, c)
        fw = self._forward(self.terminal_utilities(flat))
        logreach = self._paths @ fw["logP"]  # (T, M_all)
        return np.exp(logreach).T.reshape(lead + (m, self.num_terminals))

    def loglike_and_adjoint(self, utilities: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihood per observation and its gradient with respect to the cells' utilities.

        Parameters
        ----------
        utilities : ndarray, shape (M, C)
            The estimated utilities of every observation (M may fold a batch of parameter
            vectors into the observations).
        observed : ndarray of bool, shape (M, T), or of int, shape (M,)
            The terminals each observation is consistent with, or (faster) the one terminal
            each observation reached.

        Returns
        -------
        loglike : ndarray, shape (M,)
        adjoint : ndarray, shape (M, C)
            d loglike / d utility.
        """
        fw = self._forward(self.terminal_utilities(utilities))
        observed = np.asarray(observed)
        if observed.ndim == 1:
            # one terminal per observation: its path's log-probabilities, and weight 1 on the
            # nodes above it
            on_path = self._below_dense[:, observed]  # (nodes, M)
            ll = np.einsum("nm,nm->m", on_path, fw["logP"])
            W = on_path
        else:
            logreach = (self._paths @ fw["logP"]).T  # (M, T)
            masked = np.where(observed, logreach, -np.inf)
            ll = np.logaddexp.reduce(masked, axis=1)
            with np.errstate(invalid="ignore"):
                w = np.where(observed, np.exp(masked - ll[:, None]), 0.0)  # (M, T)
            W = self._below @ np.ascontiguousarray(w.T)  # (nodes, M): weight of the terminals below
        adjV = self._backward(fw, W)
        adjU = adjV[self.game.terminals]  # (T, n, M)
        adjoint = np.stack([adjU[c.terminal, c.player] for c in self.cells], axis=1)
        return ll, adjoint

    def _backward(self, fw: dict, W: np.ndarray) -> np.ndarray:
        V, Q, P = fw["V"], fw["Q"], fw["P"]
        adjV = np.zeros_like(V)
        adjQ = np.zeros_like(Q) if Q is not None else None
        for groups, saved in zip(self._groups, fw["saved"], strict=True):
            for grp, kept in zip(groups, saved, strict=True):
                self._backward_group(grp, kept, V, Q, P, W, adjV, adjQ)
        return adjV

    def _backward_group(self, grp: _Group, saved, V, Q, P, W, adjV, adjQ) -> None:
        ch, nodes = grp.children, grp.nodes
        aV = adjV[nodes]  # (G, n, M)
        if grp.kind == CHANCE:
            pr = grp.probs[:, :, None]  # (G, k, 1, 1)
            adjV[ch] += pr * aV[:, None]
            if adjQ is not None:
                adjQ[ch] += (grp.probs * grp.probs) * adjQ[nodes][:, None]
            return
        mover = grp.mover
        if ch.shape[1] == 2:
            x, scale, dens, h0, h1 = saved
            c0, c1 = ch[:, 0], ch[:, 1]
            p0, p1 = P[c0], P[c1]
            # d log F(x)/dx = f/F(x) and d log F(-x)/dx = -f/F(-x); weighted by the likelihood
            # weights W of the two subtrees they are the adjoint of x from the observed paths
            ax = W[c0] * h0 - W[c1] * h1
            # the node's value (and error variance) depend on p0 = F(x), p1 = 1 - p0
            ap0 = np.einsum("gnm,gnm->gm", aV, V[c0] - V[c1])
            if adjQ is not None:
                aQ = adjQ[nodes]
                ap0 += aQ * 2.0 * (p0 * Q[c0] - p1 * Q[c1])
            ax += ap0 * dens
            adjV[c0] += p0[:, None] * aV
            adjV[c1] += p1[:, None] * aV
            adjV[c0, mover] += ax / scale
            adjV[c1, mover] -= ax / scale
            if adjQ is not None:
                adjQ[c0] += p0 * p0 * aQ
                adjQ[c1] += p1 * p1 * aQ
                a_scale = -ax * x / scale
                adjQ[c0] += a_scale / (2.0 * scale)
                adjQ[c1] += a_scale / (2.0 * scale)
            return
        (p,) = saved  # (G, k, M)
        Wk = W[ch]
        az = Wk - p * Wk.sum(axis=1, keepdims=True)
        ap = np.einsum("gnm,gknm->gkm", aV, V[ch])
        az += p * (ap - np.sum(p * ap, axis=1, keepdims=True))
        adjV[ch] += p[:, :, None, :] * aV[:, None]
        adjV[ch, mover[:, None]] += az / _SQRT2
