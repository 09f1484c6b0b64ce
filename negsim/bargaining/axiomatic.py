r"""Axiomatic bargaining: the Nash and Kalai–Smorodinsky solutions.

The *axiomatic* view (Nash 1950; Kalai and Smorodinsky 1975) takes the set of feasible
utility pairs ``S`` and a disagreement point ``d`` and names one point of ``S``.

Nash bargaining solution
    Maximize the Nash product ``prod_i (u_i - d_i) ** w_i`` over feasible ``u >= d``;
    ``w = 1`` is Nash's symmetric solution, other positive weights the asymmetric one
    (Kalai 1977). It is invariant under positive affine changes of any player's utility,
    symmetric, Pareto-efficient and independent of irrelevant alternatives.
    :func:`nash_bargaining` searches a finite set of outcomes (the product is computed as
    ``sum_i w_i log(u_i - d_i)``). :func:`nash_bargaining_convex` solves the two-player
    problem over the convex hull of the outcomes with free disposal (all lotteries, or
    compromises, between outcomes) or over the region below a concave frontier
    ``u_2 = f(u_1)``. The maximum over a hull lies on one edge of its upper-right chain;
    on the edge's line ``u_2 - d_2 = k + s (u_1 - d_1)`` (``s < 0``) the weighted product
    peaks at ``u_1 - d_1 = w_1 k / (|s| (w_1 + w_2))``, so each edge is solved in closed
    form and the best edge wins.

Kalai–Smorodinsky solution
    With the ideal point ``a_i = max {u_i : u in S, u >= d}``, the solution is the
    Pareto-maximal point of ``S`` on the segment from ``d`` to ``a``: gains proportional
    to the ideal gains. It replaces Nash's independence of irrelevant alternatives by
    individual monotonicity: enlarging ``S`` without changing one side's ideal never hurts
    the other side. :func:`kalai_smorodinsky` picks, among finitely many outcomes, the one
    that maximizes the smallest normalized gain ``(u_i - d_i) / (a_i - d_i)``;
    :func:`kalai_smorodinsky_convex` solves the linear programme
    ``max t`` subject to ``d + t (a - d) <= sum_k lambda_k u_k``, ``lambda`` a lottery.

References
----------
- Kalai, E. (1977). Nonsymmetric Nash solutions and replications of 2-person bargaining.
  *International Journal of Game Theory* 6, 129–133.
- Kalai, E. and Smorodinsky, M. (1975). Other solutions to Nash's bargaining problem.
  *Econometrica* 43(3), 513–518.
- Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155–162.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from negsim.bargaining._common import _outcomes, _pair, _plain
from negsim.bargaining.frontier import _pareto_two
from negsim.errors import SolverError

__all__ = [
    "BargainingSolution",
    "kalai_smorodinsky",
    "kalai_smorodinsky_convex",
    "nash_bargaining",
    "nash_bargaining_convex",
]

# Normalized gains (in [0, 1]) closer than this count as tied in the Kalai–Smorodinsky choice.
_TIE = 1e-12


@dataclass(frozen=True, repr=False, eq=False)
class BargainingSolution:
    """An axiomatic bargaining solution (Nash or Kalai–Smorodinsky) of one problem or a batch.

    Attributes
    ----------
    method : str
        ``"nash"``, ``"nash-convex"``, ``"kalai-smorodinsky"`` or
        ``"kalai-smorodinsky-convex"``.
    utilities : ndarray, shape (n,) or (B, n)
        The solution's utility for each player; the disagreement point where there is no
        agreement.
    agreement : bool or ndarray of bool, shape (B,)
        Whether some feasible outcome gives every player strictly more than the
        disagreement point. Where it is false, there is nothing to agree on.
    disagreement : ndarray, shape (n,) or (B, n)
        The disagreement point ``d``.
    index : int, ndarray of int of shape (B,), or None
        For a finite outcome set, the chosen outcome (-1 where there is no agreement);
        ``None`` for the convex versions.
    mixture : ndarray, shape (K,) or (B, K), or None
        A lottery over the outcomes (probabilities summing to 1) whose expected
        utilities are at least ``utilities`` for every player (equal when the solution
        is strictly Pareto-efficient): one-hot for a finite choice, at most two outcomes
        for :func:`nash_bargaining_convex`; zeros where there is no agreement; ``None``
        for a frontier function.
    weights : ndarray, shape (n,) or (B, n), or None
        The bargaining weights of the asymmetric Nash solution.
    ideal : ndarray, shape (n,) or (B, n), or None
        The ideal point of the Kalai–Smorodinsky solution (the disagreement point where
        there is no agreement).
    """

    method: str
    utilities: np.ndarray
    agreement: bool | np.ndarray
    disagreement: np.ndarray
    index: int | np.ndarray | None = None
    mixture: np.ndarray | None = None
    weights: np.ndarray | None = None
    ideal: np.ndarray | None = None

    @property
    def gains(self) -> np.ndarray:
        """``utilities - disagreement``: what each player gains by the agreement."""
        return self.utilities - self.disagreement

    @property
    def nash_product(self) -> float | np.ndarray:
        """``prod_i (u_i - d_i) ** w_i`` at the solution (weights 1 unless given)."""
        weights = np.ones_like(self.gains) if self.weights is None else self.weights
        return np.prod(np.maximum(self.gains, 0.0) ** weights, axis=-1)

    def __repr__(self) -> str:
        util = np.array2string(np.asarray(self.utilities), precision=6, separator=", ")
        index = "" if self.index is None else f", index={_plain(self.index)}"
        agreement = _plain(self.agreement)
        return f"BargainingSolution(method={self.method!r}, utilities={util}{index}, agreement={agreement})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the solution."""
        out = {
            "method": self.method,
            "utilities": _plain(self.utilities),
            "agreement": _plain(self.agreement),
            "disagreement": _plain(self.disagreement),
        }
        for name in ("index", "mixture", "weights", "ideal"):
            value = getattr(self, name)
            if value is not None:
                out[name] = _plain(value)
        return out


# ---------------------------------------------------------------------------- Nash
def nash_bargaining(
    utilities: ArrayLike,
    disagreement: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    mask: ArrayLike | None = None,
) -> BargainingSolution:
    """The (asymmetric) Nash bargaining solution over a finite set of outcomes.

    Maximizes the Nash product ``prod_i (u_i - d_i) ** w_i`` over the outcomes that give
    every player strictly more than the disagreement point ``d``.

    Parameters
    ----------
    utilities : array_like, shape (K, n) or (B, K, n)
        Utility of each outcome to each player; a leading axis holds a batch of problems.
    disagreement : array_like, shape (n,) or (B, n)
        The disagreement point, per problem or shared by the batch.
    weights : array_like, shape (n,) or (B, n), optional
        Positive bargaining weights (only their ratios matter); equal by default, which
        gives Nash's symmetric solution.
    mask : array_like of bool, shape (K,) or (B, K), optional
        Which outcomes exist (see :func:`pareto_frontier`).

    Returns
    -------
    BargainingSolution
        ``method="nash"``; ``index`` the maximizing outcome (the first of tied ones) and
        ``utilities`` its utilities; where no outcome beats ``d`` for every player,
        ``agreement`` is false, ``index`` is -1 and ``utilities`` is ``d``. Batched
        fields have a leading axis when any input has one.

    Raises
    ------
    SolverError
        If shapes do not fit, values are not finite, or a weight is not positive.

    Examples
    --------
    Three ways to split 4 units, and the disagreement point (0, 0):

    >>> u = [[4, 0], [3, 1], [2, 2], [1, 3]]
    >>> nash_bargaining(u, [0, 0])
    BargainingSolution(method='nash', utilities=[2., 2.], index=2, agreement=True)
    >>> nash_bargaining(u, [0, 0], weights=[3, 1]).index
    1
    >>> nash_bargaining(u, [[0, 0], [2, 0]]).utilities   # a batch of two threat points
    array([[2., 2.],
           [3., 1.]])
    >>> nash_bargaining(u, [2, 2]).agreement
    False
    """
    u, valid, d, w, batched = _problem(utilities, disagreement, weights, mask)
    gains = u - d[:, None, :]
    better = valid & (gains > 0).all(-1)
    log_gain = np.log(np.where(better[..., None], gains, 1.0))
    score = np.where(better, (w[:, None, :] * log_gain).sum(-1), -np.inf)
    agreement = better.any(-1)
    index = np.where(agreement, score.argmax(-1), -1)
    chosen, mixture = _pick(u, d, index)
    return _finite_solution("nash", chosen, agreement, d, index, mixture, batched, weights=w)


def nash_bargaining_convex(
    points: ArrayLike | Callable[[float], float],
    disagreement: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    mask: ArrayLike | None = None,
    domain: tuple[float, float] | None = None,
) -> BargainingSolution:
    """The two-player (asymmetric) Nash bargaining solution over a convex set.

    The set is either the convex hull of finitely many outcomes (every lottery over them),
    with free disposal, or the region below a concave frontier ``u_2 = f(u_1)``.

    Parameters
    ----------
    points : array_like of shape (K, 2) or (B, K, 2), or callable
        The outcomes whose convex hull is the feasible set (a leading batch axis holds
        several problems); or a function ``f(u_1) -> u_2``, concave and non-increasing on
        ``domain``, whose graph is the Pareto frontier.
    disagreement : array_like, shape (2,) or (B, 2)
        The disagreement point.
    weights : array_like, shape (2,) or (B, 2), optional
        Positive bargaining weights; equal by default.
    mask : array_like of bool, shape (K,) or (B, K), optional
        Which outcomes exist.
    domain : (float, float), optional
        The interval of ``u_1`` on which the frontier function is defined; required with
        a function.

    Returns
    -------
    BargainingSolution
        ``method="nash-convex"``; ``utilities`` the solution; ``mixture`` (for points) a
        lottery over at most two neighbouring outcomes of the frontier that yields it;
        ``agreement`` false (and ``utilities = d``) where no point of the set gives both
        players strictly more than ``d``.

    Raises
    ------
    SolverError
        If there are not exactly two players, the inputs do not fit, or a frontier
        function is given without a domain.

    Notes
    -----
    For points: the Pareto-efficient outcomes are found by sorting, the upper-right
    chain of their convex hull by Qhull (:class:`scipy.spatial.ConvexHull`), and the
    product is maximized on every edge of the chain in closed form, all edges at once.
    Since the solution is invariant under positive affine changes of each utility, this
    is done with the chain scaled into the unit square, which keeps badly scaled inputs
    well conditioned. A batch is solved one problem after another. For a function: the feasible interval of
    ``u_1`` is found with :func:`scipy.optimize.brentq` and the log of the product (concave
    when ``f`` is) maximized with :func:`scipy.optimize.minimize_scalar`.

    Examples
    --------
    Splitting a pie: the outcomes (1, 0) and (0, 1) and all lotteries over them.

    >>> pie = [[1, 0], [0, 1]]
    >>> nash_bargaining_convex(pie, [0, 0]).utilities
    array([0.5, 0.5])
    >>> nash_bargaining_convex(pie, [0.2, 0.0], weights=[1, 3]).utilities
    array([0.4, 0.6])

    A concave frontier: ``u_2 = 1 - u_1**2`` peaks the product at ``u_1 = 1 / sqrt(3)``.

    >>> nash_bargaining_convex(lambda x: 1 - x**2, [0, 0], domain=(0, 1)).utilities
    array([0.57735, 0.66667])
    """
    if callable(points):
        if domain is None:
            raise SolverError("a frontier function needs domain=(low, high) for the first player's utility")
        d, w = _pair(disagreement, "disagreement"), _weights(weights, 2)
        utilities, agreement = _nash_frontier(points, d, w, domain)
        return BargainingSolution(
            method="nash-convex", utilities=utilities, agreement=agreement, disagreement=d, weights=w
        )
    u, valid, d, w, batched = _problem(points, disagreement, weights, mask)
    if u.shape[2] != 2:
        raise SolverError(f"nash_bargaining_convex is for two players; the outcomes have {u.shape[2]} utilities")
    B, K, _ = u.shape
    chosen = np.empty((B, 2))
    mixture = np.zeros((B, K))
    agreement = np.zeros(B, bool)
    for b in range(B):
        chosen[b], mixture[b], agreement[b] = _nash_hull(u[b], valid[b], d[b], w[b])
    return _convex_solution("nash-convex", chosen, agreement, d, mixture, batched, weights=w)


def _nash_hull(u: np.ndarray, valid: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    mixture = np.zeros(len(u))
    index, chain = _frontier_chain(u, valid)
    if chain.shape[0] == 0:
        return d.copy(), mixture, False
    # the solution is invariant under positive affine changes of each utility: solve with
    # the chain scaled into the unit square, where edges and gains are well conditioned
    low = chain.min(axis=0)
    span = chain.max(axis=0) - low
    span = np.where(span > 0, span, 1.0)
    with np.errstate(all="ignore"):
        scaled = (chain - low) / span
        threat = np.maximum((d - low) / span, -1e300)
        # on the edge a + t b (gains from d), w_1 b_1 / (a_1 + t b_1) + w_2 b_2 / (a_2 + t b_2) = 0 at
        # t = -(w_1 a_2 / b_2 + w_2 a_1 / b_1) / (w_1 + w_2); the product is log-concave along the edge,
        # so clipping t to [0, 1] gives the edge's best point (NaN only on edges too short to matter)
        a = scaled[:-1] - threat
        b = scaled[1:] - scaled[:-1]
        t = -(w[0] * a[:, 1] / b[:, 1] + w[1] * a[:, 0] / b[:, 0]) / w.sum()
    t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
    candidates = np.concatenate([scaled, scaled[:-1] + t[:, None] * b])
    gains = candidates - threat
    positive = (gains > 0).all(-1)
    if not positive.any():
        return d.copy(), mixture, False
    score = np.where(positive, (w * np.log(np.where(positive[:, None], gains, 1.0))).sum(-1), -np.inf)
    best = int(score.argmax())
    m = chain.shape[0]
    if best < m:
        mixture[index[best]] = 1.0
        return chain[best].copy(), mixture, True
    e = best - m
    mixture[index[e]] += 1.0 - t[e]
    mixture[index[e + 1]] += t[e]
    return (1.0 - t[e]) * chain[e] + t[e] * chain[e + 1], mixture, True


def _frontier_chain(u: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices and points of the upper-right chain of the hull of ``u[valid]``, by increasing u_1."""
    efficient = _pareto_two(u[None], valid[None])[0]
    index = np.flatnonzero(efficient)
    if index.size == 0:
        return index, np.zeros((0, 2))
    # equal efficient outcomes are duplicates; np.unique sorts by u_1, and on the
    # staircase u_1 increases strictly while u_2 decreases strictly
    points, first = np.unique(u[index], axis=0, return_index=True)
    index = index[first]
    if len(points) <= 2:
        return index, points
    from scipy.spatial import ConvexHull, QhullError

    # Qhull on the staircase scaled to the unit square (from (0, 1) to (1, 0)), closed by the
    # corner (-1, -1): the corner's two edges are the lower-left boundary, so every other
    # hull vertex lies on the upper-right chain
    low = points.min(axis=0)
    scaled = (points - low) / (points.max(axis=0) - low)
    try:
        hull = ConvexHull(np.vstack([scaled, [-1.0, -1.0]]))
    except QhullError as exc:
        raise SolverError(f"could not compute the convex hull of the outcomes: {exc}") from exc
    vertices = np.sort(hull.vertices[hull.vertices < len(points)])
    return index[vertices], points[vertices]


def _nash_frontier(
    frontier: Callable[[float], float], d: np.ndarray, w: np.ndarray, domain: tuple[float, float]
) -> tuple[np.ndarray, bool]:
    from scipy.optimize import brentq, minimize_scalar

    low, high = (float(v) for v in domain)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise SolverError(f"domain must be a finite interval (low, high) with low < high, got {domain!r}")

    def f(x: float) -> float:
        return float(frontier(x))

    start = max(low, float(d[0]))
    if start >= high or f(start) <= d[1]:
        return d.copy(), False
    # f is non-increasing: the second player gains on [start, stop)
    stop = high if f(high) > d[1] else brentq(lambda x: f(x) - d[1], start, high, xtol=1e-14, rtol=1e-15)

    def log_product(x: float) -> float:
        g1, g2 = x - d[0], f(x) - d[1]
        return w[0] * np.log(g1) + w[1] * np.log(g2) if g1 > 0 and g2 > 0 else -np.inf

    result = minimize_scalar(
        lambda x: -log_product(x), bounds=(start, stop), method="bounded", options={"xatol": 1e-12 * (high - low)}
    )
    # the bounded search never evaluates the ends, where the product may peak
    candidates = [float(result.x), start, stop]
    values = [log_product(x) for x in candidates]
    x = candidates[int(np.argmax(values))]
    if not np.isfinite(max(values)):
        return d.copy(), False
    return np.array([x, f(x)]), True


# ---------------------------------------------------------------------------- Kalai–Smorodinsky
def kalai_smorodinsky(
    utilities: ArrayLike, disagreement: ArrayLike, *, mask: ArrayLike | None = None
) -> BargainingSolution:
    """The Kalai–Smorodinsky solution over a finite set of outcomes.

    The ideal point ``a`` gives each player the most they get in any outcome that leaves
    every player at least ``d``. Among those outcomes, the solution is the one whose
    smallest normalized gain ``(u_i - d_i) / (a_i - d_i)`` is largest, the outcome closest
    to the ray from ``d`` to ``a``; ties go to the larger sum of normalized gains, then to
    the first outcome (normalized gains within 1e-12 count as equal).

    Parameters
    ----------
    utilities : array_like, shape (K, n) or (B, K, n)
        Utility of each outcome to each player; a leading axis holds a batch.
    disagreement : array_like, shape (n,) or (B, n)
        The disagreement point.
    mask : array_like of bool, shape (K,) or (B, K), optional
        Which outcomes exist.

    Returns
    -------
    BargainingSolution
        ``method="kalai-smorodinsky"``; ``index``, ``utilities``, ``ideal``; where no
        outcome gives every player strictly more than ``d``, ``agreement`` is false,
        ``index`` is -1 and ``utilities`` and ``ideal`` are ``d``.

    Raises
    ------
    SolverError
        If shapes do not fit or values are not finite.

    Examples
    --------
    >>> u = [[0, 10], [4, 6], [6, 3], [8, 0]]
    >>> ks = kalai_smorodinsky(u, [0, 0])
    >>> ks.ideal, ks.index, ks.utilities
    (array([ 8., 10.]), 1, array([4., 6.]))
    """
    u, valid, d, _, batched = _problem(utilities, disagreement, None, mask)
    gains = u - d[:, None, :]
    rational = valid & (gains >= 0).all(-1)
    agreement = (valid & (gains > 0).all(-1)).any(-1)
    ideal_gain = np.where(rational[..., None], gains, -np.inf).max(axis=1)
    scale = np.where(agreement[:, None], ideal_gain, 1.0)
    normalized = gains / scale[:, None, :]
    worst = np.where(rational, normalized.min(-1), -np.inf)
    best = worst.max(-1, keepdims=True)
    tied = rational & (worst >= best - _TIE)
    total = np.where(tied, normalized.sum(-1), -np.inf)
    # among near-ties, the first outcome with a near-largest sum: the choice then does not
    # hinge on rounding, and does not change under affine changes of the utilities
    index = np.where(agreement, (total >= total.max(-1, keepdims=True) - u.shape[2] * _TIE).argmax(-1), -1)
    chosen, mixture = _pick(u, d, index)
    ideal = np.where(agreement[:, None], d + np.where(agreement[:, None], ideal_gain, 0.0), d)
    return _finite_solution("kalai-smorodinsky", chosen, agreement, d, index, mixture, batched, ideal=ideal)


def kalai_smorodinsky_convex(
    points: ArrayLike, disagreement: ArrayLike, *, mask: ArrayLike | None = None
) -> BargainingSolution:
    """The Kalai–Smorodinsky solution over the convex hull of outcomes (with free disposal).

    The ideal point ``a`` gives each player the most they get from any lottery over the
    outcomes that leaves every player at least ``d``; the solution is ``d + t (a - d)``
    for the largest ``t`` that some lottery weakly improves on. Gains are proportional to
    the ideal gains.

    Parameters
    ----------
    points : array_like, shape (K, n) or (B, K, n)
        The outcomes; any number of players. A leading axis holds a batch.
    disagreement : array_like, shape (n,) or (B, n)
        The disagreement point.
    mask : array_like of bool, shape (K,) or (B, K), optional
        Which outcomes exist.

    Returns
    -------
    BargainingSolution
        ``method="kalai-smorodinsky-convex"``; ``utilities``, ``ideal`` and ``mixture`` (a
        lottery over the outcomes worth at least ``utilities`` to everyone); where no
        lottery gives every player strictly more than ``d``, ``agreement`` is false and
        ``utilities`` and ``ideal`` are ``d``.

    Raises
    ------
    SolverError
        If the inputs do not fit, or the linear programme fails.

    Notes
    -----
    ``n + 1`` small linear programmes per problem, solved by HiGHS
    (:func:`scipy.optimize.linprog`) with feasibility tolerances of 1e-10: ``n`` for the
    ideal point, one for ``t``. Each player's gains are scaled to at most 1 first (the
    solution is invariant under positive affine changes), and an ideal gain below 1e-9 of
    the player's largest absolute gain counts as none. A batch is solved one problem after
    another.

    Examples
    --------
    The outcomes (0, 1) and (1, 0.5) and their lotteries: the ideal point is (1, 1), so the
    solution lies on the diagonal, where the frontier crosses it at 2/3. (The Nash
    solution of the same set is (1, 0.5).)

    >>> ks = kalai_smorodinsky_convex([[0, 1], [1, 0.5]], [0, 0])
    >>> ks.utilities, ks.ideal
    (array([0.66667, 0.66667]), array([1., 1.]))
    >>> ks.mixture
    array([0.33333, 0.66667])
    """
    u, valid, d, _, batched = _problem(points, disagreement, None, mask)
    B, K, n = u.shape
    chosen = np.empty((B, n))
    ideal = np.empty((B, n))
    mixture = np.zeros((B, K))
    agreement = np.zeros(B, bool)
    for b in range(B):
        chosen[b], ideal[b], mixture[b], agreement[b] = _ks_lp(u[b], valid[b], d[b])
    return _convex_solution("kalai-smorodinsky-convex", chosen, agreement, d, mixture, batched, ideal=ideal)


def _ks_lp(u: np.ndarray, valid: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    from scipy.optimize import linprog

    K, n = u.shape
    mixture = np.zeros(K)
    index = np.flatnonzero(valid)
    gains = u[index] - d
    m = len(index)
    # the solution is invariant under positive affine changes of each utility: scale each
    # player's gains to at most 1 in size, since HiGHS drops matrix entries below 1e-9
    scale = np.abs(gains).max(axis=0)
    scaled = gains / np.where(scale > 0, scale, 1.0)
    options = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    ideal_gain = np.zeros(n)
    # lotteries lambda over the outcomes that leave every player at d or better
    for i in range(n):
        res = linprog(
            -scaled[:, i],
            A_ub=-scaled.T,
            b_ub=np.zeros(n),
            A_eq=np.ones((1, m)),
            b_eq=[1.0],
            bounds=(0, None),
            method="highs",
            options=options,
        )
        if res.status == 2:  # infeasible: no lottery leaves everyone at d or better
            return d.copy(), d.copy(), mixture, False
        if res.status != 0:  # pragma: no cover - a bounded, feasible LP
            raise SolverError(f"HiGHS could not find the ideal point: {res.message}")
        ideal_gain[i] = _lottery(res.x) @ gains[:, i]
    if (ideal_gain <= 1e-9 * scale).any():
        return d.copy(), d.copy(), mixture, False
    # variables (lambda, t): maximize t with t <= sum_k lambda_k (u_k - d) / (a - d) for everyone
    relative = gains / ideal_gain
    cost = np.zeros(m + 1)
    cost[-1] = -1.0
    res = linprog(
        cost,
        A_ub=np.hstack([-relative.T, np.ones((n, 1))]),
        b_ub=np.zeros(n),
        A_eq=np.hstack([np.ones((1, m)), [[0.0]]]),
        b_eq=[1.0],
        bounds=(0, None),
        method="highs",
        options=options,
    )
    if res.status != 0:  # pragma: no cover - feasible (t = 0) and bounded (t <= 1)
        raise SolverError(f"HiGHS could not solve the Kalai–Smorodinsky programme: {res.message}")
    lottery = _lottery(res.x[:-1])
    # t from the lottery itself, free of the solver's tolerances on t
    t = float(np.clip((lottery @ relative).min(), 0.0, 1.0))
    mixture[index] = lottery
    return d + t * ideal_gain, d + ideal_gain, mixture, True


def _lottery(weights: np.ndarray) -> np.ndarray:
    """Clean an LP's lottery: no negative rounding, sums to 1."""
    weights = np.maximum(weights, 0.0)
    return weights / weights.sum()


def _problem(
    utilities: ArrayLike, disagreement: ArrayLike, weights: ArrayLike | None, mask: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Utilities, validity, disagreement and weights broadcast to one batch axis."""
    u, valid, batched = _outcomes(utilities, mask)
    n = u.shape[2]
    d = np.asarray(disagreement, dtype=np.float64)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    for name, value in (("disagreement", d), ("weights", w)):
        if value.ndim not in (1, 2) or value.shape[-1] != n:
            raise SolverError(f"{name} must have shape (n,) or (B, n) for n = {n} players, got {value.shape}")
        if not np.isfinite(value).all():
            raise SolverError(f"{name} must be finite")
    if (w <= 0).any():
        raise SolverError("bargaining weights must be positive")
    batched = batched or d.ndim == 2 or w.ndim == 2
    try:
        B = np.broadcast_shapes(u.shape[:1] if u.shape[0] > 1 else (), d.shape[:-1], w.shape[:-1])
    except ValueError:
        raise SolverError("the batch sizes of utilities, disagreement and weights differ") from None
    size = B[0] if B else 1
    u = np.broadcast_to(u, (size,) + u.shape[1:])
    valid = np.broadcast_to(valid, (size,) + valid.shape[1:])
    d = np.broadcast_to(d, (size, n)).copy()
    w = np.broadcast_to(w, (size, n)).copy()
    return u, valid, d, w, batched


def _weights(weights: ArrayLike | None, n: int) -> np.ndarray:
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not np.isfinite(w).all() or (w <= 0).any():
        raise SolverError(f"weights must be {n} positive numbers")
    return w


def _pick(u: np.ndarray, d: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Utilities of the chosen outcomes (``d`` where ``index`` is -1) and one-hot lotteries."""
    B, K, _ = u.shape
    found = index >= 0
    chosen = np.where(found[:, None], u[np.arange(B), np.maximum(index, 0)], d)
    mixture = np.zeros((B, K))
    mixture[np.arange(B)[found], index[found]] = 1.0
    return chosen, mixture


def _finite_solution(method, chosen, agreement, d, index, mixture, batched, *, weights=None, ideal=None):
    def out(a):
        return a if batched or a is None else a[0]

    return BargainingSolution(
        method=method,
        utilities=out(chosen),
        agreement=out(agreement) if batched else bool(agreement[0]),
        disagreement=out(d),
        index=out(index) if batched else int(index[0]),
        mixture=out(mixture),
        weights=out(weights),
        ideal=out(ideal),
    )


def _convex_solution(method, chosen, agreement, d, mixture, batched, *, weights=None, ideal=None):
    index = np.full(len(chosen), -1)
    solution = _finite_solution(method, chosen, agreement, d, index, mixture, batched, weights=weights, ideal=ideal)
    return replace(solution, index=None)
