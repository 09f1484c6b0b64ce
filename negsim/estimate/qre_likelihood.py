"""Strategic estimation on trees with information sets: the agent QRE as a batched fixed point.

With agent error (:mod:`negsim.estimate.likelihood`) each mover's choice at an information
set is a quantal response to the expected utility of each action *given* that the set is
reached. When a set holds several nodes, that expectation weighs them by beliefs, which
follow (Bayes' rule) from the earlier choices of the other players and chance, which in
turn respond to the later choices: the choice probabilities are an agent quantal response
equilibrium (McKelvey & Palfrey 1998), a fixed point rather than a backward pass.

Notation: ``y_s`` is the log-probability of sequence ``s`` (an action at an information
set ``I(s)`` of player ``p(s)``); ``lr(z) = log c(z) + sum_{s on the path to z} y_s`` the log
reach probability of terminal ``z``. The conditional distribution of the terminals below
``s`` given that ``I(s)`` is reached and ``s`` played is
``w_s(z) = exp(lr(z) - y_s - log R(I(s)))`` with ``R(I)`` the reach of ``I`` (the sum of the
reach of the terminals below it; by perfect recall the mover's own earlier actions cancel),
and the action's value is ``v_s = sum_z w_s(z) u_{p(s)}(z)``. The equilibrium solves

    F(y) = y - G(v(N(y))) = 0,

where ``N`` normalizes ``y`` within each information set and ``G`` is the response in log
probabilities: the logit ``G_s = v_s / sqrt(2) - log sum_{t in I(s)} exp(v_t / sqrt(2))``, or
for the probit with two actions ``G_s = log Phi((v_s - v_t) / sqrt(2))`` (the same scale as
the backward pass, so that on a tree of perfect information both give the same answer).
In negsim's logit QRE terms (:func:`negsim.solvers.qre.agent_qre`) this is precision
``lambda = 1 / sqrt(2)`` on the utilities.

The solution is followed from the uniform profile (the equilibrium at utilities ``0``) to
the utilities themselves, ``t u`` for ``t`` from 0 to 1, by predictor (the tangent
``dy/dt = J^-1 dG/dv v``) and Newton corrector steps on the stacked system of all
observations at once: ``J = I - dG/dv dv/dy dN/dy`` is a batch of small dense ``S x S``
matrices and every step is a handful of array operations over ``[M, S, T]``; each
observation has its own step length, halved where the corrector fails, so that the
solution stays on the principal branch (the branch negsim's QRE solver traces). The
gradient of the log-likelihood follows by the implicit function theorem with one adjoint
solve ``J' a = d loglike / dy``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_ndtr, logsumexp

from negsim.errors import GameError, SolverError
from negsim.estimate.likelihood import LINKS, TreeLikelihood
from negsim.games.extensive import CHANCE, DECISION, ExtensiveFormGame

__all__ = ["AgentQRELikelihood", "tree_likelihood"]

_SCALE = float(np.sqrt(0.5))  # choices respond to values / sqrt(2), as in the backward pass
_LOG_2PI_HALF = 0.5 * float(np.log(2.0 * np.pi))


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched ``a x = b``; a singular matrix (exactly at a fold) gives NaN in its row, not an exception."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        fine = np.abs(np.linalg.det(a)) > 0
        if fine.any():
            out[fine] = np.linalg.solve(a[fine], b[fine])
        return out


def tree_likelihood(game: ExtensiveFormGame, cells, *, link: str = "probit", error: str = "agent"):
    """The likelihood of a strategic model on ``game``: a backward pass or the agent QRE.

    Trees of perfect information get :class:`~negsim.estimate.likelihood.TreeLikelihood`;
    trees with information sets of several nodes (and perfect recall) get
    :class:`AgentQRELikelihood`, which needs ``error="agent"``.

    Examples
    --------
    >>> from negsim.estimate.trees import egame12_tree
    >>> type(tree_likelihood(*egame12_tree())).__name__
    'TreeLikelihood'
    """
    if game.is_perfect_information:
        return TreeLikelihood(game, cells, link=link, error=error)
    if error != "agent":
        raise GameError(
            "private information (error='private') needs a tree of perfect information; on a tree with "
            "information sets use error='agent' (the agent QRE)"
        )
    return AgentQRELikelihood(game, cells, link=link)


class AgentQRELikelihood:
    """Outcome probabilities and log-likelihood under agent error on any tree with perfect recall.

    The same interface as :class:`~negsim.estimate.likelihood.TreeLikelihood`; the choice
    probabilities of every observation are its agent QRE (see the module docstring).

    Parameters
    ----------
    game : ExtensiveFormGame
        Perfect recall required; chance keeps the game's probabilities, and every
        information set must be reachable by chance.
    cells : sequence of UtilityCell
        The estimated utilities; all others are 0.
    link : {"probit", "logit"}
        The probit needs two actions at every information set.
    tol : float
        Newton's tolerance on the fixed-point residual (in log-probabilities).
    max_steps : int
        Continuation steps allowed before giving up.

    Raises
    ------
    GameError
        If the game lacks perfect recall, is a batch, has an information set chance never
        reaches, or does not fit the link.

    Examples
    --------
    Matching pennies played in sequence, the second mover not seeing the first move:

    >>> import numpy as np
    >>> from negsim.estimate.likelihood import UtilityCell
    >>> from negsim.games import library
    >>> game = library.matching_pennies(form="extensive")
    >>> cells = [UtilityCell(z, p) for z in range(4) for p in range(2)]
    >>> lik = AgentQRELikelihood(game, cells, link="logit")
    >>> u = game.payoffs.reshape(-1, 1)            # the game's own payoffs, one observation
    >>> lik.outcome_probabilities(u).round(3)      # the unique equilibrium: uniform
    array([[0.25, 0.25, 0.25, 0.25]])
    """

    def __init__(
        self, game: ExtensiveFormGame, cells, *, link: str = "probit", tol: float = 1e-10, max_steps: int = 200
    ):
        if link not in LINKS:
            raise GameError(f"unknown link {link!r}; choose one of {list(LINKS)}")
        if game.batch_size is not None:
            raise GameError("strategic estimation takes one game, not a batch of games")
        game.require_perfect_recall("strategic estimation with information sets (the agent QRE)")
        self.game, self.link, self.error = game, link, "agent"
        self.cells = tuple(cells)
        for c in self.cells:
            if not (0 <= c.terminal < game.num_terminals and 0 <= c.player < game.num_players):
                raise GameError(f"utility cell {c} is outside the game's terminals and players")
        self.num_terminals, self.num_players = game.num_terminals, game.num_players
        self.tol, self.max_steps = float(tol), int(max_steps)
        num_actions = np.asarray(game.infosets.num_actions)
        if link == "probit" and np.any(num_actions != 2):
            raise GameError(
                "the probit link needs two actions at every information set (found "
                f"{sorted(set(num_actions.tolist()))}); with more actions use link='logit'"
            )
        offsets = np.concatenate(([0], np.cumsum(num_actions)))
        self.num_sequences = int(offsets[-1])
        self._seq_infoset = np.repeat(np.arange(len(num_actions)), num_actions)
        self._seq_player = np.asarray(game.infosets.player)[self._seq_infoset]
        self._first = offsets[:-1]  # first sequence of each information set (for the probit pairs)
        S, T, n_iset = self.num_sequences, game.num_terminals, len(num_actions)
        # the sequences on the path to each terminal, and its log chance reach
        A = np.zeros((T, S))
        logc = np.zeros(T)
        for z, node in enumerate(game.terminals):
            path = game.path(int(node))
            for parent, child in zip(path[:-1], path[1:], strict=True):
                if game.kind[parent] == DECISION:
                    A[z, offsets[game.infoset[parent]] + game.action[child]] = 1.0
                elif game.kind[parent] == CHANCE:
                    with np.errstate(divide="ignore"):
                        logc[z] += np.log(game.chance_prob[child])
        self._A, self._logc = A, logc
        self._below_seq = A.T.astype(bool)  # (S, T)
        below_iset = np.zeros((n_iset, T), dtype=bool)
        np.logical_or.at(below_iset, self._seq_infoset, self._below_seq)
        self._below_iset = below_iset
        reachable = np.any(below_iset & np.isfinite(logc)[None], axis=1)
        if not reachable.all():
            i = int(np.flatnonzero(~reachable)[0])
            raise GameError(
                f"information set {game.infosets.labels[i] or i} of {game.players[int(game.infosets.player[i])]} is "
                "never reached (chance probability 0): its beliefs, and so its choices, are undefined"
            )
        # same-information-set indicator, for sums and normalization within each set
        self._same = (self._seq_infoset[:, None] == self._seq_infoset[None, :]).astype(float)
        self._player_mask = (self._seq_player[None, :] == np.arange(game.num_players)[:, None]).astype(float)  # (n, S)

    # ------------------------------------------------------------------ utilities
    # the same placing of the cells' utilities at the terminals as the backward pass's
    terminal_utilities = TreeLikelihood.terminal_utilities

    # ------------------------------------------------------------------ the fixed point
    def _normalize(self, y: np.ndarray) -> np.ndarray:
        # each information set shifted by its own largest entry (its actions are contiguous),
        # so that exp() stays in range however far apart the sets' values are
        m = np.maximum.reduceat(y, self._first, axis=-1)[..., self._seq_infoset]
        sums = np.exp(y - m) @ self._same
        return y - m - np.log(sums)

    def _values(self, y: np.ndarray, useq: np.ndarray) -> dict:
        """Action values ``v [M, S]`` at normalized log-probabilities, and what their derivatives need."""
        lr = self._logc[None] + y @ self._A.T  # (M, T)
        # reach relative to the likeliest terminal: products instead of an exp over [M, S, T]
        top = np.max(lr, axis=1, keepdims=True)
        rel = np.exp(lr - top)  # (M, T)
        reach_iset = rel @ self._below_iset.T  # (M, I)
        tiny = np.any(reach_iset < 1e-280, axis=1)
        with np.errstate(divide="ignore"):
            log_r = np.log(reach_iset) + top
        if tiny.any():
            # an information set reached with a probability that underflows next to the
            # likeliest terminal: its reach from the logs, for these observations only
            masked = np.where(self._below_iset[None], lr[tiny][:, None, :], -np.inf)
            log_r[tiny] = logsumexp(masked, axis=2)
        log_r = log_r[:, self._seq_infoset]  # (M, S)
        with np.errstate(over="ignore", invalid="ignore"):
            if tiny.any():
                w = np.where(self._below_seq[None], np.exp(lr[:, None, :] - y[:, :, None] - log_r[:, :, None]), 0.0)
                rho = np.where(
                    self._below_iset[self._seq_infoset][None], np.exp(lr[:, None, :] - log_r[:, :, None]), 0.0
                )
            else:
                scale = np.exp(top - log_r)  # (M, S)
                rho = (rel[:, None, :] * self._below_iset[self._seq_infoset][None]) * scale[:, :, None]
                w = rho * self._below_seq[None] * np.exp(-y)[:, :, None]
        # w: distribution of the terminals below s given I(s) reached and s played; rho: given I(s) reached
        wu = w * useq
        return {"lr": lr, "w": w, "rho": rho, "wu": wu, "v": wu.sum(axis=2)}

    def _value_jacobian(self, vals: dict) -> np.ndarray:
        """``dv/dy [M, S, S]`` at normalized log-probabilities."""
        v = vals["v"]
        A = self._A
        jac = vals["wu"] @ A - v[:, :, None] * (vals["rho"] @ A)
        idx = np.arange(self.num_sequences)
        jac[:, idx, idx] -= v
        return jac

    def _response(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-probabilities ``G(v) [M, S]`` and ``dG/dv [M, S, S]``."""
        M, S = v.shape
        if self.link == "logit":
            z = _SCALE * v
            g = self._normalize(z)
            p = np.exp(g)
            dg = _SCALE * (np.eye(S)[None] - self._same[None] * p[:, None, :])
            return g, dg
        a, b = self._first, self._first + 1
        x = (v[:, a] - v[:, b]) * _SCALE
        g = np.empty_like(v)
        g[:, a], g[:, b] = log_ndtr(x), log_ndtr(-x)
        log_pdf = -0.5 * x * x - _LOG_2PI_HALF
        h0, h1 = np.exp(log_pdf - g[:, a]), np.exp(log_pdf - g[:, b])  # f/F(x), f/F(-x)
        dg = np.zeros((M, S, S))
        dg[:, a, a], dg[:, a, b] = h0 * _SCALE, -h0 * _SCALE
        dg[:, b, a], dg[:, b, b] = -h1 * _SCALE, h1 * _SCALE
        return g, dg

    def _system(self, y: np.ndarray, useq: np.ndarray, t: np.ndarray, jacobian: bool = True) -> dict:
        """Residual ``F`` at utilities ``t u`` and (optionally) its Jacobian, at log-probabilities ``y``."""
        yn = self._normalize(y)
        vals = self._values(yn, useq)
        g, dg = self._response(t[:, None] * vals["v"])
        out = {"F": y - g, "yn": yn, "vals": vals, "dg": dg}
        if jacobian:
            p = np.exp(yn)
            dn = np.eye(self.num_sequences)[None] - self._same[None] * p[:, None, :]
            dv = t[:, None, None] * self._value_jacobian(vals)
            out["J"] = np.eye(self.num_sequences)[None] - dg @ dv @ dn
        return out

    def solve(self, utilities: np.ndarray, start: np.ndarray | None = None) -> dict:
        """The agent QRE of each observation: normalized log-probabilities ``y [M, S]`` and more.

        Parameters
        ----------
        utilities : ndarray, shape (M, C)
        start : ndarray, shape (M, S), optional
            The solutions at utilities a small step away (finite differences): Newton's
            method from them, on the same branch; rows it does not take there are followed
            from the uniform profile as usual.

        Returns
        -------
        dict
            ``y`` (log-probabilities in the order of the information sets and their
            actions, grouped by player as negsim's sequences are), ``J`` (the Jacobian of
            the fixed-point system), ``dg`` and ``vals`` for the gradient.

        Raises
        ------
        SolverError
            If the principal branch cannot be followed to the utilities for some
            observation within ``max_steps`` steps.
        """
        u = self.terminal_utilities(np.asarray(utilities, dtype=float))  # (T, n, M)
        useq = np.transpose(u[:, self._seq_player, :], (2, 1, 0))  # (M, S, T): u_{p(s)}(z)
        M, S = useq.shape[0], self.num_sequences
        y = self._normalize(np.zeros((M, S)))
        t = np.zeros(M)
        dt = np.ones(M)
        if start is not None:
            near, ok = self._correct(np.array(start, dtype=float), useq, np.ones(M))
            y[ok], t[ok] = near[ok], 1.0
        # steps in t alone while the branch moves forward in t (the common case, all of it)
        for _ in range(self.max_steps):
            active = np.flatnonzero((t < 1.0) & (dt >= 1e-3))
            if active.size == 0:
                break
            ya, ta, ua = y[active], t[active], useq[active]
            step = np.minimum(dt[active], 1.0 - ta)
            sys0 = self._system(ya, ua, ta)
            tangent = _solve(sys0["J"], sys0["dg"] @ sys0["vals"]["v"][:, :, None])[:, :, 0]
            target = np.where(ta + step >= 1.0 - 1e-12, 1.0, ta + step)
            trial, ok = self._correct(ya + step[:, None] * tangent, ua, target)
            good, bad = active[ok], active[~ok]
            y[good], t[good] = trial[ok], target[ok]
            dt[good] = np.minimum(2.0 * dt[good], 1.0)
            dt[bad] *= 0.25
        stalled = np.flatnonzero(t < 1.0)
        if stalled.size:
            # the branch turns back in t (a fold: several equilibria there): follow it by
            # arc length to where it first reaches the utilities, as negsim's QRE tracer does
            y[stalled], failed = self._arclength(y[stalled], t[stalled], useq[stalled])
            if failed.any():
                raise SolverError(
                    f"the agent QRE could not be followed to the utilities for {int(failed.sum())} of {M} "
                    f"observations within {self.max_steps} steps (the principal branch turns back and forth): "
                    "the utilities are extreme; rescale the covariates or start the fit elsewhere"
                )
        final = self._system(y, useq, np.ones(M))
        return {"y": final["yn"], **final}

    def _tangent(self, J: np.ndarray, ft: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Unit tangent of the branch in ``(y, t)``, oriented along ``previous``."""
        m, S = ft.shape
        aug = np.zeros((m, S + 1, S + 1))
        aug[:, :S, :S], aug[:, :S, S], aug[:, S, :] = J, ft, previous
        rhs = np.zeros((m, S + 1, 1))
        rhs[:, S] = 1.0
        tau = _solve(aug, rhs)[:, :, 0]
        tau /= np.linalg.norm(tau, axis=1, keepdims=True)
        return np.where(np.sum(tau * previous, axis=1, keepdims=True) < 0, -tau, tau)

    def _arclength(self, y: np.ndarray, t: np.ndarray, useq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pseudo-arclength continuation of the branch from ``(y, t)`` to its first point at ``t = 1``."""
        m, S = y.shape
        z = np.column_stack([y, t])
        sys_ = self._system(y, useq, t)
        forward = np.zeros((m, S + 1))
        forward[:, S] = 1.0
        tau = self._tangent(sys_["J"], -(sys_["dg"] @ sys_["vals"]["v"][:, :, None])[:, :, 0], forward)
        h = np.full(m, 0.05)
        out = y.copy()
        done = np.zeros(m, dtype=bool)
        failed = np.zeros(m, dtype=bool)
        for _ in range(self.max_steps):
            act = np.flatnonzero(~done & ~failed)
            if act.size == 0:
                break
            new, ok = self._correct_arc(z[act] + h[act, None] * tau[act], tau[act], useq[act])
            cross = ok & (new[:, S] >= 1.0)
            landed = np.zeros(act.size, dtype=bool)
            if cross.any():
                # the first crossing of t = 1: interpolate between the two points, then Newton at t = 1
                old, nxt = z[act[cross]], new[cross]
                frac = (1.0 - old[:, S]) / (nxt[:, S] - old[:, S])
                start = old[:, :S] + frac[:, None] * (nxt[:, :S] - old[:, :S])
                sol, fine = self._correct(start, useq[act[cross]], np.ones(cross.sum()))
                idx = act[cross][fine]
                out[idx], done[idx] = sol[fine], True
                landed[np.flatnonzero(cross)[fine]] = True
            moved = ok & ~cross
            step_ok = act[moved]
            if step_ok.size:
                z[step_ok] = new[moved]
                sys_ = self._system(z[step_ok, :S], useq[step_ok], z[step_ok, S])
                ft = -(sys_["dg"] @ sys_["vals"]["v"][:, :, None])[:, :, 0]
                tau[step_ok] = self._tangent(sys_["J"], ft, tau[step_ok])
                h[step_ok] = np.minimum(1.5 * h[step_ok], 0.5)
            retry = act[~moved & ~landed]
            h[retry] *= 0.25
            failed[retry[h[retry] < 1e-7]] = True
        failed |= ~done
        return out, failed

    def _correct_arc(self, zp: np.ndarray, tau: np.ndarray, useq: np.ndarray, max_iter: int = 12):
        """Newton's method on the fixed point plus ``tau . (z - zp) = 0``; converged rows (steps must shrink)."""
        m, S1 = zp.shape
        S = S1 - 1
        z = zp.copy()
        ok = np.zeros(m, dtype=bool)
        running = np.ones(m, dtype=bool)
        last = np.full(m, np.inf)
        for _ in range(max_iter):
            idx = np.flatnonzero(running)
            if idx.size == 0:
                break
            sys_ = self._system(z[idx, :S], useq[idx], z[idx, S])
            gap = np.sum(tau[idx] * (z[idx] - zp[idx]), axis=1)
            resid = np.maximum(np.abs(sys_["F"]).max(axis=1), np.abs(gap))
            fin = resid < self.tol
            ok[idx[fin]], running[idx[fin]] = True, False
            go, keep = idx[~fin], ~fin
            aug = np.zeros((go.size, S1, S1))
            aug[:, :S, :S] = sys_["J"][keep]
            aug[:, :S, S] = -(sys_["dg"][keep] @ sys_["vals"]["v"][keep][:, :, None])[:, :, 0]
            aug[:, S, :] = tau[go]
            rhs = -np.column_stack([sys_["F"][keep], gap[keep]])
            with np.errstate(invalid="ignore"):
                delta = _solve(aug, rhs[:, :, None])[:, :, 0]
            size = np.abs(delta).max(axis=1)
            bad = ~np.isfinite(size) | (size > np.minimum(1.0, last[go]))
            running[go[bad]] = False
            z[go[~bad]] += delta[~bad]
            last[go[~bad]] = size[~bad]
        return z, ok

    def _correct(self, y: np.ndarray, useq: np.ndarray, t: np.ndarray, max_iter: int = 12):
        """Newton's method at fixed ``t``; converged rows and their solutions (a step must shrink)."""
        ok = np.zeros(len(y), dtype=bool)
        running = np.ones(len(y), dtype=bool)
        last = np.full(len(y), np.inf)
        for _ in range(max_iter):
            idx = np.flatnonzero(running)
            if idx.size == 0:
                break
            sys_ = self._system(y[idx], useq[idx], t[idx])
            resid = np.abs(sys_["F"]).max(axis=1)
            done = resid < self.tol
            ok[idx[done]] = True
            running[idx[done]] = False
            idx_go = ~done
            with np.errstate(invalid="ignore"):
                delta = _solve(sys_["J"][idx_go], -sys_["F"][idx_go][:, :, None])[:, :, 0]
            size = np.abs(delta).max(axis=1)
            go = idx[idx_go]
            # a step that does not shrink (or is large) means the start was not in Newton's basin
            diverging = ~np.isfinite(size) | (size > np.minimum(1.0, last[go]))
            running[go[diverging]] = False
            keep = ~diverging
            y[go[keep]] = self._normalize(y[go[keep]] + delta[keep])
            last[go[keep]] = size[keep]
        return y, ok

    # ------------------------------------------------------------------ likelihood
    def outcome_probabilities(self, utilities: np.ndarray) -> np.ndarray:
        """Probability of each terminal, ``[..., M, T]``, for utilities ``[..., C, M]``.

        Raises
        ------
        SolverError
            If the equilibrium cannot be followed for some observation.
        """
        utilities = np.asarray(utilities, dtype=float)
        lead = utilities.shape[:-2]
        c, m = utilities.shape[-2:]
        flat = np.moveaxis(utilities.reshape(-1, c, m), 1, 2).reshape(-1, c)
        sol = self.solve(flat)
        return np.exp(sol["vals"]["lr"]).reshape(lead + (m, self.num_terminals))

    def loglike_and_adjoint(
        self, utilities: np.ndarray, observed: np.ndarray, start: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihood per observation and its gradient in the cells' utilities (implicit function theorem).

        Parameters
        ----------
        utilities : ndarray, shape (M, C)
        observed : ndarray of bool, shape (M, T), or of int, shape (M,)
        start : ndarray, shape (M, S), optional
            Solutions nearby, as in :meth:`solve`.

        Returns
        -------
        loglike : ndarray, shape (M,)
        adjoint : ndarray, shape (M, C)
        """
        sol = self.solve(utilities, start)
        lr = sol["vals"]["lr"]  # (M, T)
        observed = np.asarray(observed)
        M, T = lr.shape
        if observed.ndim == 1:
            mask = np.zeros((M, T), dtype=bool)
            mask[np.arange(M), observed] = True
        else:
            mask = observed.astype(bool)
        masked = np.where(mask, lr, -np.inf)
        ll = logsumexp(masked, axis=1)
        with np.errstate(invalid="ignore"):
            post = np.where(mask, np.exp(masked - ll[:, None]), 0.0)
        grad_y = post @ self._A  # d loglike / d y at the solution
        lam = _solve(np.swapaxes(sol["J"], 1, 2), grad_y[:, :, None])[:, :, 0]
        mu = np.einsum("mts,mt->ms", sol["dg"], lam)  # dG/dv' lam
        # dv_s / du_p(z) = w_s(z) when p = p(s): d loglike / du [M, n, T]
        w = sol["vals"]["w"]
        adj = np.einsum("ms,ps,mst->mpt", mu, self._player_mask, w)
        adjoint = np.stack([adj[:, c.player, c.terminal] for c in self.cells], axis=1)
        return ll, adjoint
