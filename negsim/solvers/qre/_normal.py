"""The logit QRE equations of an ``n``-player normal-form game, with a closed-form Jacobian.

Every player is one group. The Jacobian is assembled from contractions of the payoff
tensor: with ``U_pq[j, k]`` the payoff of ``p``'s ``j`` against ``q``'s ``k`` (the others
mixed), ``d u_p[j] / d w_q[k] = sigma_q[k] (U_pq[j, k] - u_p[j])``, so a batch of
Jacobians ``[B, K, K + 1]`` costs a few ``numpy.einsum`` calls per pair of players.
"""

from __future__ import annotations

import numpy as np

from negsim.solvers._payoffs import LETTERS, payoff_vectors
from negsim.solvers.qre._system import LogitSystem

__all__ = ["NormalSystem"]


class NormalSystem(LogitSystem):
    """Logit QRE of a batch of payoff tensors ``[B, n, a_1, ..., a_n]``."""

    def __init__(self, payoffs: np.ndarray) -> None:
        self.P = payoffs
        self.batch, self.n = payoffs.shape[:2]
        self.shape = payoffs.shape[2:]
        self.bounds = np.concatenate(([0], np.cumsum(self.shape)))
        self.group = np.repeat(np.arange(self.n), self.shape)
        self.group_size = np.asarray(self.shape, np.int64)
        flat = payoffs.reshape(self.batch, -1)
        self.scale = flat.max(-1) - flat.min(-1)
        letters = LETTERS[: self.n]
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
        """Player ``p``'s part ``[..., a_p]`` of variables ``[..., S]``."""
        return [y[..., self.bounds[p] : self.bounds[p + 1]] for p in range(self.n)]

    def strategies(self, y: np.ndarray) -> list[np.ndarray]:
        """Mixed strategies ``[..., a_p]`` from log-probabilities, renormalized against rounding."""
        probs = [np.exp(v) for v in self.split(y)]
        return [p / p.sum(-1, keepdims=True) for p in probs]

    def payoffs(self, y, idx, jacobian):
        # only the regret uses this; the Jacobian is assembled directly in `evaluate`
        sig = [np.exp(v) for v in self.split(y)]
        return np.concatenate(payoff_vectors(self.P[idx], sig), axis=1), None

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
