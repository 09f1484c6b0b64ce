"""The logit QRE equations ``H(w, lambda) = 0`` in log-odds, shared by both forms.

The unknowns are log-odds: in every *group* (a player of a normal-form game, an
information set of an extensive game) the first variable is the reference and each other
variable ``a`` has ``w_a = log(sigma_a / sigma_ref)``, so that the probabilities are a
softmax and ``sum sigma = 1`` holds by construction. The logit equations
``y_a - lambda Q_a - c_g = 0`` (``y = log sigma``, ``Q_a`` the payoff of ``a``, ``c_g``
one free number per group) become, after subtracting the reference's,
``w_a - lambda (Q_a - Q_ref) = 0``: ``K = S - G`` equations in ``K + 1`` unknowns (the
smallest form of the system; Turocy 2005 for why logarithms keep the curve well scaled).

:class:`LogitSystem` is the chain rule through the softmax; its subclasses in
:mod:`negsim.solvers.qre._normal` and :mod:`negsim.solvers.qre._agent` give the payoffs
``Q`` and their derivatives in ``y``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LogitSystem"]


class LogitSystem:
    """The equations ``H(w, lambda) = 0`` of a logit QRE, for a batch of games.

    Subclasses set ``group`` (the group of each variable; groups contiguous and in
    order), ``group_size``, ``batch`` and ``scale`` (payoff range per game), call
    :meth:`setup`, and provide :meth:`payoffs`.
    """

    group: np.ndarray
    group_size: np.ndarray
    batch: int
    scale: np.ndarray

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
        """The start of every branch: uniform play at ``lambda = 0``."""
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
        """``Q [b, S]`` at log-probabilities ``y`` of games ``idx``, and ``dQ/dy [b, S, S]`` if asked."""
        raise NotImplementedError

    def evaluate(self, z: np.ndarray, idx: np.ndarray, jacobian: bool = True):
        """``H [b, K]`` at points ``z [b, K + 1]`` of games ``idx``, and its Jacobian ``[b, K, K + 1]``."""
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
