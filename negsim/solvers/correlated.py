"""Correlated equilibria of normal-form games by linear programming.

A *correlated equilibrium* (Aumann 1974, 1987) is a probability distribution ``mu`` over
pure profiles such that no player, told only their own recommended strategy ``j``,
gains by playing another strategy ``k`` instead. For every player ``p`` and every pair
``j != k`` of ``p``'s strategies, the *obedience constraint* is::

    sum over s_-p of mu(j, s_-p) (u_p(k, s_-p) - u_p(j, s_-p)) <= 0.

These constraints are linear in ``mu``, so the set of correlated equilibria is a polytope
and optimizing a linear objective over it is a linear program (Gilboa & Zemel 1989;
Papadimitriou & Roughgarden 2008): one variable per pure profile, ``sum_p a_p (a_p - 1)``
inequalities, ``mu >= 0`` and ``sum mu = 1``. :func:`correlated_equilibrium` builds the
constraint matrix in one vectorized pass per player (no loop over profiles) as a sparse
matrix and solves it with HiGHS (``scipy.optimize.linprog(method="highs")``).

Every Nash equilibrium is a correlated equilibrium (its product distribution satisfies
the constraints), and a correlated equilibrium can give every player more than any Nash
equilibrium does: in the game of chicken the welfare-maximizing correlated equilibrium
earns 10.5 in all against 28/3 for the best Nash equilibrium.

The result is a :class:`~negsim.solvers.Solution`. A correlated equilibrium is a joint
distribution, not a product of independent strategies, so:

* ``info["distribution"]`` holds ``mu`` with axes ``[a_1, ..., a_n]`` (batch first);
* ``profile`` holds the *marginals* of ``mu`` as a :class:`~negsim.games.MixedProfile`
  (playing them independently is in general **not** an equilibrium);
* ``values`` are the expected payoffs under ``mu`` (not under the marginals);
* ``nash_conv`` is the correlated analogue of NashConv: the sum over players of the
  largest gain from an obedience deviation (0 at a correlated equilibrium, up to the
  LP's tolerance); the NashConv of the product of the marginals is in
  ``info["marginal_nash_conv"]``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from negsim.errors import SolverError
from negsim.games.normal import NormalFormGame
from negsim.games.profile import MixedProfile
from negsim.solvers.normal_regret import nash_conv_normal
from negsim.solvers.solution import Solution

__all__ = ["correlated_equilibrium", "correlated_regret", "obedience_gains"]


def correlated_equilibrium(
    game: NormalFormGame, *, objective: str | Any = "welfare", tol: float = 1e-9
) -> Solution:
    """A correlated equilibrium by LP: welfare-maximizing, weighted, or any feasible one.

    Parameters
    ----------
    game : NormalFormGame
        Any number of players; a batch is solved one LP per game.
    objective : "welfare", "feasibility" or array_like of shape (n,) or (B, n)
        Maximize the sum of the players' expected payoffs, find any correlated
        equilibrium (HiGHS returns a vertex of the polytope), or maximize the weighted
        sum ``sum_p w_p E_mu[u_p]`` of the given weights.
    tol : float
        Feasibility tolerance given to HiGHS (payoffs are scaled to at most 1 first).

    Returns
    -------
    Solution
        ``method="correlated"``; see the module docstring for ``profile`` (marginals),
        ``values`` and ``nash_conv``. ``info`` has ``"distribution"`` (``[a_1, ..., a_n]``
        or ``[B, a_1, ..., a_n]``), ``"objective"``, ``"welfare"`` (sum of values),
        ``"marginal_nash_conv"``, ``"status"`` and ``"constraints"`` (number of obedience
        inequalities).

    Raises
    ------
    SolverError
        If the game is not a normal-form game, the weights do not fit, or HiGHS fails.

    Examples
    --------
    The game of chicken (Dare, Chicken): the best correlated equilibrium puts 1/2 on
    (Chicken, Chicken) and 1/4 on each of the two asymmetric outcomes.

    >>> from negsim.games import NormalFormGame
    >>> chicken = NormalFormGame.from_bimatrix([[0, 7], [2, 6]], [[0, 2], [7, 6]])
    >>> solution = correlated_equilibrium(chicken)
    >>> solution.info["distribution"].round(6)
    array([[0.  , 0.25],
           [0.25, 0.5 ]])
    >>> solution.values.round(6), round(solution.info["welfare"], 6)
    (array([5.25, 5.25]), 10.5)
    >>> bool(correlated_regret(chicken, solution.info["distribution"]) < 1e-9)
    True
    """
    started = time.perf_counter()
    if not isinstance(game, NormalFormGame):
        raise SolverError(f"correlated_equilibrium takes a NormalFormGame, not {type(game).__name__}")
    batched = game.batch_size is not None
    payoffs = game.payoffs if batched else game.payoffs[None]
    B, n = payoffs.shape[0], game.num_players
    weights = _weights(objective, B, n)
    rows = None
    distributions, statuses = [], []
    for b in range(B):
        scale = float(np.abs(payoffs[b]).max()) or 1.0
        A = _obedience_matrix(payoffs[b] / scale)
        rows = A.shape[0]
        flat = payoffs[b].reshape(n, -1) / scale
        c = -(weights[b] @ flat) if weights is not None else np.zeros(flat.shape[1])
        res = linprog(
            c,
            A_ub=A,
            b_ub=np.zeros(A.shape[0]),
            A_eq=np.ones((1, flat.shape[1])),
            b_eq=[1.0],
            bounds=(0, None),
            method="highs",
            options={"primal_feasibility_tolerance": max(tol, 1e-10), "dual_feasibility_tolerance": max(tol, 1e-10)},
        )
        if res.status != 0:
            raise SolverError(f"HiGHS could not solve the correlated-equilibrium LP: {res.message}")
        mu = np.clip(res.x, 0.0, None)
        distributions.append((mu / mu.sum()).reshape(game.shape))
        statuses.append(res.message)
    mu = np.stack(distributions)
    marginals = _marginals(mu, n)
    values = np.einsum("bpr,br->bp", payoffs.reshape(B, n, -1), mu.reshape(B, -1))
    regret = obedience_gains(payoffs, mu).max(axis=(2, 3))  # [B, n]
    marginal_gap = np.atleast_1d(nash_conv_normal(game, [m if batched else m[0] for m in marginals]))
    name = objective if isinstance(objective, str) else "weights"

    def pick(x: np.ndarray) -> Any:
        return x if batched else x[0]

    info = {
        "distribution": pick(mu),
        "objective": name,
        "welfare": pick(values.sum(-1)) if batched else float(values[0].sum()),
        "marginal_nash_conv": marginal_gap if batched else float(marginal_gap[0]),
        "status": statuses if batched else statuses[0],
        "constraints": rows,
    }
    total = np.maximum(regret, 0.0).sum(-1)
    return Solution(
        method="correlated",
        profile=MixedProfile(game, [m if batched else m[0] for m in marginals]),
        values=pick(values),
        nash_conv=total if batched else float(total[0]),
        seconds=time.perf_counter() - started,
        info=info,
    )


def correlated_regret(game: NormalFormGame, distribution: Any) -> float | np.ndarray:
    """The largest gain of any obedience deviation under a joint distribution.

    For every player ``p`` and pair of strategies ``j != k``: what ``p`` gains, in
    expectation over ``distribution``, by playing ``k`` whenever told ``j``. The result is
    the maximum over all ``(p, j, k)``, or 0 if no deviation gains; a distribution is a
    correlated equilibrium exactly when it is 0 (up to rounding).

    Parameters
    ----------
    game : NormalFormGame
        A game or a batch.
    distribution : array_like, shape (a_1, ..., a_n) or (B, a_1, ..., a_n)
        Probabilities of the pure profiles (non-negative, summing to 1).

    Returns
    -------
    float, or ndarray of shape (B,)

    Raises
    ------
    SolverError
        If the distribution does not fit the game.

    Examples
    --------
    Every Nash equilibrium is a correlated equilibrium; in the prisoner's dilemma
    recommending cooperation is not:

    >>> import numpy as np
    >>> from negsim.games import library
    >>> pd = library.prisoners_dilemma()
    >>> correlated_regret(pd, [[0, 0], [0, 1]])
    0.0
    >>> correlated_regret(pd, [[1, 0], [0, 0]])  # T - R = 5 - 3
    2.0
    """
    if not isinstance(game, NormalFormGame):
        raise SolverError(f"correlated_regret takes a NormalFormGame, not {type(game).__name__}")
    batched = game.batch_size is not None
    payoffs = game.payoffs if batched else game.payoffs[None]
    mu = np.asarray(distribution, np.float64)
    if mu.shape not in (game.shape, (payoffs.shape[0],) + game.shape) or (not batched and mu.shape != game.shape):
        raise SolverError(f"a distribution over the profiles of this game has shape {game.shape}, got {mu.shape}")
    mu = np.broadcast_to(mu, (payoffs.shape[0],) + game.shape)
    if np.any(mu < -1e-9) or np.any(np.abs(mu.reshape(mu.shape[0], -1).sum(-1) - 1) > 1e-6):
        raise SolverError("the distribution must be non-negative and sum to 1")
    worst = np.maximum(obedience_gains(payoffs, mu).max(axis=(1, 2, 3)), 0.0)
    return worst if batched else float(worst[0])


def obedience_gains(payoffs: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``gain[b, p, j, k]``: what player ``p`` gains by playing ``k`` when told ``j``.

    Parameters
    ----------
    payoffs : ndarray, shape (B, n, a_1, ..., a_n)
    mu : ndarray, shape (B, a_1, ..., a_n)

    Returns
    -------
    ndarray, shape (B, n, A, A)
        ``A = max_p a_p``; entries for strategies a player does not have are 0.
    """
    B, n = payoffs.shape[:2]
    shape = payoffs.shape[2:]
    A = max(shape)
    out = np.zeros((B, n, A, A))
    for p in range(n):
        u = np.moveaxis(payoffs[:, p], 1 + p, 1).reshape(B, shape[p], -1)  # [B, j, others]
        m = np.moveaxis(mu, 1 + p, 1).reshape(B, shape[p], -1)
        # gain[j, k] = sum_r m[j, r] (u[k, r] - u[j, r])
        cross = np.einsum("bjr,bkr->bjk", m, u)
        own = (m * u).sum(-1)
        out[:, p, : shape[p], : shape[p]] = cross - own[:, :, None]
    return out


# ---------------------------------------------------------------------------- helpers
def _obedience_matrix(payoffs: np.ndarray) -> sp.csr_matrix:
    """Rows ``(p, j, k)``, ``k != j``; columns the pure profiles in C order."""
    n = payoffs.shape[0]
    shape = payoffs.shape[1:]
    size = int(np.prod(shape))
    profiles = np.arange(size).reshape(shape)
    rows, cols, data = [], [], []
    offset = 0
    for p in range(n):
        a = shape[p]
        if a < 2:
            continue
        u = np.moveaxis(payoffs[p], p, 0).reshape(a, -1)  # u[j, r]
        idx = np.moveaxis(profiles, p, 0).reshape(a, -1)  # profile index of (j, r)
        j, k = np.nonzero(~np.eye(a, dtype=bool))  # all ordered pairs j != k
        # row (p, j, k) puts u[k, r] - u[j, r] on profile (j, r) for every r
        coef = u[k] - u[j]  # [pairs, R]
        pair_row = offset + np.arange(j.size)
        rows.append(np.repeat(pair_row, coef.shape[1]))
        cols.append(idx[j].ravel())
        data.append(coef.ravel())
        offset += j.size
    if not rows:
        return sp.csr_matrix((0, size))
    return sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(offset, size)
    )


def _marginals(mu: np.ndarray, n: int) -> list[np.ndarray]:
    axes = tuple(range(1, n + 1))
    return [mu.sum(axis=tuple(a for a in axes if a != 1 + p)) for p in range(n)]


def _weights(objective: Any, B: int, n: int) -> np.ndarray | None:
    if isinstance(objective, str):
        if objective == "welfare":
            return np.ones((B, n))
        if objective == "feasibility":
            return None
        raise SolverError(f"objective must be 'welfare', 'feasibility' or a weight vector, not {objective!r}")
    w = np.asarray(objective, np.float64)
    if w.shape not in ((n,), (B, n)) or not np.all(np.isfinite(w)):
        raise SolverError(f"weights must be finite with shape ({n},) or ({B}, {n}), got {w.shape}")
    return np.broadcast_to(w, (B, n))
