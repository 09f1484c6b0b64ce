r"""Bargaining: Pareto frontier, Nash and Kalai–Smorodinsky solutions, Rubinstein, Fearon.

Two views of the same negotiation. The *axiomatic* view (Nash 1950; Kalai and Smorodinsky
1975) takes the set of feasible utility pairs ``S`` and a disagreement point ``d`` and names
one point of ``S``. The *strategic* view (Ståhl 1972; Rubinstein 1982) writes the talks as an
alternating-offers game and solves it for its subgame-perfect equilibrium. Binmore,
Rubinstein and Wolinsky (1986) join the two: as the time between offers shrinks, the
strategic outcome tends to a Nash bargaining solution, with a disagreement point and
weights that the game's details fix. Fearon (1995) asks the prior question, whether any
deal beats fighting at all.

Pareto frontier
    Outcome ``k`` with utilities ``u_k`` is *dominated* when some ``u_j >= u_k`` in every
    coordinate and ``>`` in one. :func:`pareto_frontier` keeps the undominated outcomes
    (equal outcomes do not dominate each other, so duplicates are all kept). Two players:
    a sort and a running maximum, ``O(K log K)``; more: pairwise comparisons by
    broadcasting, in chunks, ``O(K^2 n)``.

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

Rubinstein alternating offers
    Two players split a pie of size 1; player ``A`` proposes, ``B`` accepts or rejects,
    roles alternate every period, and payoffs are discounted by ``delta_i`` per period.
    The unique subgame-perfect equilibrium (Rubinstein 1982) is immediate agreement on a
    proposer share of ``(1 - delta_B) / (1 - delta_A delta_B)``. :func:`rubinstein` adds

    * *outside options* ``w_i`` that a responder can take instead of answering an offer
      (Shaked and Sutton 1984; Binmore, Rubinstein and Wolinsky 1986; Osborne and
      Rubinstein 1990, §3.12). The *outside-option principle*: an option changes the
      outcome only if it is worth more than what its holder would get as a responder
      without it; then the proposer offers exactly the option's value;
    * a *risk of breakdown* ``p``: after each rejection the talks collapse with
      probability ``p`` and each side gets its outside payoff ``w_i`` (Binmore, Rubinstein
      and Wolinsky 1986, §4). The responder's reservation value is
      ``r_B = max(w_B, p w_B + (1 - p) delta_B y)``, with ``y`` what ``B`` gets proposing
      next period, and the proposer keeps ``x = 1 - r_B``. The two conditions form a
      contraction with a unique fixed point, which is found in closed form.

    With ``delta_i = exp(-rho_i D)`` and ``p = 1 - exp(-lambda D)``, as the time ``D``
    between offers tends to 0 the proposer's share tends to the asymmetric Nash
    bargaining solution of the pie with weights ``1 / (rho_i + lambda)`` and disagreement
    point ``lambda w_i / (rho_i + lambda)``: with breakdown only, the symmetric solution
    from the breakdown point ``w``; with impatience only, the solution with weights
    ``1 / rho_i`` from ``(0, 0)``. :func:`finite_horizon_shares` gives the closed form of
    the ``T``-round game (Ståhl 1972), which tends to Rubinstein's as ``T`` grows.

Fearon's bargaining range
    Two states dispute a good of size 1. War gives ``A`` the whole with probability ``p``
    and costs ``c_A`` and ``c_B``; with risk-neutral states ``A``'s war payoff is
    ``p - c_A`` and ``B``'s ``1 - p - c_B``. Every split giving ``A`` a share in
    ``[p - c_A, p + c_B]`` is better than war for both (Fearon 1995), so when fighting is
    costly (``c_A + c_B > 0``) and information complete, war is not rational.
    :func:`fearon_range` computes the range (risk aversion widens it) and
    :func:`war_is_rational` where it is empty.

References
----------
- Binmore, K., Rubinstein, A. and Wolinsky, A. (1986). The Nash bargaining solution in
  economic modelling. *RAND Journal of Economics* 17(2), 176–188.
- Fearon, J. D. (1995). Rationalist explanations for war. *International Organization*
  49(3), 379–414.
- Kalai, E. (1977). Nonsymmetric Nash solutions and replications of 2-person bargaining.
  *International Journal of Game Theory* 6, 129–133.
- Kalai, E. and Smorodinsky, M. (1975). Other solutions to Nash's bargaining problem.
  *Econometrica* 43(3), 513–518.
- Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155–162.
- Osborne, M. J. and Rubinstein, A. (1990). *Bargaining and Markets*. Academic Press.
- Powell, R. (2006). War as a commitment problem. *International Organization* 60(1),
  169–203.
- Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. *Econometrica* 50(1),
  97–109.
- Shaked, A. and Sutton, J. (1984). Involuntary unemployment as a perfect equilibrium in a
  bargaining model. *Econometrica* 52(6), 1351–1364.
- Ståhl, I. (1972). *Bargaining Theory*. Stockholm School of Economics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from negsim.errors import SolverError

__all__ = [
    "BargainingSolution",
    "FearonRange",
    "RubinsteinSolution",
    "fearon_range",
    "finite_horizon_shares",
    "kalai_smorodinsky",
    "kalai_smorodinsky_convex",
    "nash_bargaining",
    "nash_bargaining_convex",
    "pareto_frontier",
    "rubinstein",
    "war_is_rational",
]

# Pairwise dominance checks materialize [B, chunk, K, n] booleans; keep them near 16 MB.
_CHUNK_ELEMENTS = 1 << 24
# Normalized gains (in [0, 1]) closer than this count as tied in the Kalai–Smorodinsky choice.
_TIE = 1e-12


# ---------------------------------------------------------------------------- results
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


@dataclass(frozen=True, repr=False, eq=False)
class RubinsteinSolution:
    """The subgame-perfect equilibrium of Rubinstein's alternating-offers game.

    Arrays have the broadcast shape of the parameters (``...``), with a last axis for the
    two players where noted.

    Attributes
    ----------
    shares : ndarray, shape (..., 2)
        What each player gets: the agreed split of the pie (agreement is immediate), or
        the outside options where there is no agreement.
    proposer : int
        Who proposes first: 0 for player 1, 1 for player 2.
    agreement : bool or ndarray of bool, shape (...)
        False where the outside options add up to 1 or more: nothing is left to share, and
        the first responder walks out.
    binding : ndarray of bool, shape (..., 2)
        Whether each player's outside option binds, i.e. exceeds what the player would
        get as a responder by going on bargaining. Both true where there is no agreement.
    discount : ndarray, shape (..., 2)
        The discount factors ``(d1, d2)``.
    outside_options : ndarray, shape (..., 2)
        The outside options (also the payoffs after a breakdown).
    breakdown : ndarray, shape (...)
        The probability that the talks break down after a rejection.
    """

    shares: np.ndarray
    proposer: int
    agreement: bool | np.ndarray
    binding: np.ndarray
    discount: np.ndarray
    outside_options: np.ndarray
    breakdown: np.ndarray

    @property
    def proposer_share(self) -> float | np.ndarray:
        """The first proposer's share."""
        return _scalar(self.shares[..., self.proposer])

    def __repr__(self) -> str:
        shares = np.array2string(np.asarray(self.shares), precision=6, separator=", ")
        binding = np.array2string(np.asarray(self.binding), separator=", ")
        return (
            f"RubinsteinSolution(shares={shares}, proposer={self.proposer}, "
            f"agreement={_plain(self.agreement)}, binding={binding})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the solution."""
        return {
            "shares": _plain(self.shares),
            "proposer": self.proposer,
            "agreement": _plain(self.agreement),
            "binding": _plain(self.binding),
            "discount": _plain(self.discount),
            "outside_options": _plain(self.outside_options),
            "breakdown": _plain(self.breakdown),
        }


@dataclass(frozen=True, repr=False, eq=False)
class FearonRange:
    """Fearon's bargaining range: the shares of the good for ``A`` that both sides prefer to war.

    Arrays have the broadcast shape of the parameters.

    Attributes
    ----------
    low, high : float or ndarray
        The smallest share ``A`` accepts rather than fight and the largest ``B`` concedes
        rather than fight, within ``[0, 1]``; NaN where the range is empty.
    nonempty : bool or ndarray of bool
        Whether some split beats war for both sides.
    p : float or ndarray
        The probability that ``A`` wins the war.
    cost_a, cost_b : float or ndarray
        The costs of war to ``A`` and ``B``, in units of the good (of utility, with
        risk-averse states).
    exponents : tuple of float or ndarray
        The exponents ``r_A, r_B`` of the utilities ``x ** r`` (1: risk-neutral).
    """

    low: float | np.ndarray
    high: float | np.ndarray
    nonempty: bool | np.ndarray
    p: float | np.ndarray
    cost_a: float | np.ndarray
    cost_b: float | np.ndarray
    exponents: tuple[Any, Any] = (1.0, 1.0)

    @property
    def width(self) -> float | np.ndarray:
        """``high - low`` (0 where the range is empty)."""
        return _scalar(np.where(self.nonempty, np.nan_to_num(np.asarray(self.high) - np.asarray(self.low)), 0.0))

    def __repr__(self) -> str:
        def show(value: Any) -> str:
            return np.array2string(np.asarray(value), precision=6, separator=", ")

        return f"FearonRange(low={show(self.low)}, high={show(self.high)}, nonempty={show(self.nonempty)})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the range (NaN bounds of empty ranges become ``None``)."""

        def plain(value: Any) -> Any:
            bound = np.asarray(value, dtype=np.float64)
            return np.where(np.isnan(bound), None, bound).tolist()

        return {
            "low": plain(self.low),
            "high": plain(self.high),
            "nonempty": _plain(np.asarray(self.nonempty)),
            "p": _plain(np.asarray(self.p)),
            "cost_a": _plain(np.asarray(self.cost_a)),
            "cost_b": _plain(np.asarray(self.cost_b)),
            "exponents": [_plain(np.asarray(r)) for r in self.exponents],
        }

    def explain(self) -> str:
        """Why war is or is not rational here, in words (one line per setting for arrays).

        Examples
        --------
        >>> print(fearon_range(0.6, 0.1, 0.2).explain())
        Every split giving A a share in [0.5, 0.8] beats war for both sides (A wins with
        probability 0.6; costs c_A = 0.1, c_B = 0.2, c_A + c_B = 0.3 > 0). With complete
        information and a divisible good, war is not rational; Fearon (1995) traces it to
        private information with incentives to misrepresent, to commitment problems (Powell
        2006), or to issue indivisibility.
        """
        arrays = np.broadcast_arrays(
            self.low, self.high, self.nonempty, self.p, self.cost_a, self.cost_b, *self.exponents
        )
        lines = []
        for k, values in enumerate(zip(*(a.ravel() for a in arrays), strict=True)):
            text = _explain_one(*(v.item() for v in values))
            lines.append(text if arrays[0].ndim == 0 else f"[{k}] {text}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- Pareto
def pareto_frontier(utilities: ArrayLike, *, mask: ArrayLike | None = None) -> np.ndarray:
    """Which outcomes are Pareto-efficient: no other outcome is at least as good for all and better for one.

    Parameters
    ----------
    utilities : array_like, shape (K, n) or (B, K, n)
        Utility of each of ``K`` outcomes to each of ``n`` players; a leading batch axis
        holds ``B`` outcome sets of the same size (pad smaller ones and mask the padding).
    mask : array_like of bool, shape (K,) or (B, K), optional
        Which outcomes exist. Masked outcomes neither dominate nor are efficient, and may
        hold any value (NaN too).

    Returns
    -------
    ndarray of bool, shape (K,) or (B, K)
        True for the efficient outcomes; equal outcomes are all kept.
        ``np.flatnonzero(result)`` gives their indices.

    Raises
    ------
    SolverError
        If the utilities have the wrong shape or are not finite.

    Notes
    -----
    Two players: a lexicographic sort and a running maximum, ``O(K log K)`` per problem.
    More players: all pairs compared by broadcasting, ``O(K^2 n)`` time, in chunks of
    about 16 million comparisons.

    Examples
    --------
    >>> u = [[3, 1], [1, 3], [2, 2], [1, 1], [2, 2], [3, 0]]
    >>> pareto_frontier(u)
    array([ True,  True,  True, False,  True, False])
    >>> pareto_frontier(u, mask=[False, True, True, True, True, True])
    array([False,  True,  True, False,  True,  True])
    """
    u, valid, batched = _outcomes(utilities, mask)
    efficient = _pareto_two(u, valid) if u.shape[2] == 2 else _pareto_pairwise(u, valid)
    return efficient if batched else efficient[0]


def _pareto_two(u: np.ndarray, valid: np.ndarray) -> np.ndarray:
    B, K, _ = u.shape
    x = np.where(valid, u[..., 0], -np.inf)
    y = np.where(valid, u[..., 1], -np.inf)
    # best first in u_1, then in u_2: outcome k is dominated by an earlier group with
    # u_2 >= y_k, or within its own group of equal u_1 by a larger u_2
    order = np.lexsort((-y, -x), axis=-1)
    sx = np.take_along_axis(x, order, axis=-1)
    sy = np.take_along_axis(y, order, axis=-1)
    new_group = np.ones((B, K), bool)
    new_group[:, 1:] = sx[:, 1:] != sx[:, :-1]
    start = np.maximum.accumulate(np.where(new_group, np.arange(K), 0), axis=-1)
    group_top = np.take_along_axis(sy, start, axis=-1)
    running = np.maximum.accumulate(sy, axis=-1)
    earlier = np.where(start > 0, np.take_along_axis(running, np.maximum(start - 1, 0), axis=-1), -np.inf)
    keep = ~((earlier >= sy) | (sy < group_top))
    efficient = np.empty_like(keep)
    np.put_along_axis(efficient, order, keep, axis=-1)
    return efficient & valid


def _pareto_pairwise(u: np.ndarray, valid: np.ndarray) -> np.ndarray:
    B, K, n = u.shape
    efficient = np.empty((B, K), bool)
    step = max(1, _CHUNK_ELEMENTS // max(1, B * K * n))
    for lo in range(0, K, step):
        hi = min(K, lo + step)
        candidate = u[:, lo:hi, None, :]
        other = u[:, None, :, :]
        dominates = (other >= candidate).all(-1) & (other > candidate).any(-1) & valid[:, None, :]
        efficient[:, lo:hi] = valid[:, lo:hi] & ~dominates.any(-1)
    return efficient


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


# ---------------------------------------------------------------------------- Rubinstein
def rubinstein(
    d1: ArrayLike,
    d2: ArrayLike,
    *,
    outside_options: tuple[ArrayLike, ArrayLike] = (0.0, 0.0),
    breakdown: ArrayLike = 0.0,
    proposer: int = 0,
) -> RubinsteinSolution:
    """The subgame-perfect equilibrium of Rubinstein's alternating-offers game over a pie of size 1.

    Player ``proposer`` offers a split at time 0; the other accepts, rejects (and
    proposes next period) or takes the outside option. Payoffs are discounted by ``d1``
    and ``d2`` per period. After each rejection the talks break down with probability
    ``breakdown``, and each player gets their outside option.

    Parameters
    ----------
    d1, d2 : array_like
        Discount factors per period, in ``[0, 1]``. All parameters broadcast together.
    outside_options : (array_like, array_like)
        ``(w1, w2)``: what each player gets by walking out when responding to an offer,
        and after a breakdown. Default ``(0, 0)``.
    breakdown : array_like
        Probability ``p`` in ``[0, 1]`` that the talks break down after a rejection.
    proposer : {0, 1}
        Who proposes first: 0 for player 1 (the default), 1 for player 2.

    Returns
    -------
    RubinsteinSolution
        The agreed ``shares`` (agreement is immediate), which outside options bind, and
        whether there is an agreement at all (the outside options must leave a surplus,
        ``w1 + w2 < 1``; otherwise both get their options). Shapes are the broadcast shape
        of the parameters, plus a last axis of 2 for per-player fields.

    Raises
    ------
    SolverError
        If a discount factor or the breakdown probability is outside ``[0, 1]``, a value
        is not finite, or ``d1 = d2 = 1`` with no risk of breakdown (then every split is
        an equilibrium).

    Notes
    -----
    With ``A`` the first proposer, ``B`` the other, ``a_i = (1 - p) delta_i`` and
    ``c_i = p w_i``, the equilibrium shares ``x`` (of ``A`` when proposing) and ``y`` (of
    ``B`` when proposing) solve ``x = 1 - max(w_B, c_B + a_B y)`` and
    ``y = 1 - max(w_A, c_A + a_A x)``. If neither option binds,
    ``x = (1 - c_B - a_B (1 - c_A)) / (1 - a_A a_B)``, which is
    ``(1 - delta_B) / (1 - delta_A delta_B)`` without breakdown. ``B``'s option binds
    exactly when ``w_B`` exceeds ``c_B + a_B y``, ``B``'s share as a responder without
    it; then ``x = 1 - w_B``. Likewise ``A``'s option binds when ``w_A > c_A + a_A x``,
    and then ``y = 1 - w_A``. The map from ``x`` to the next ``x`` is a contraction
    (factor ``a_A a_B < 1``), so the solution is unique; it is the one of the four linear
    cases that solves its own equations.

    As offers come faster (``delta_i = exp(-rho_i D)``, ``p = 1 - exp(-lambda D)``,
    ``D -> 0``) the shares tend to the Nash bargaining solution of the pie with weights
    ``1 / (rho_i + lambda)`` from ``lambda w_i / (rho_i + lambda)`` (Binmore, Rubinstein
    and Wolinsky 1986): see :func:`nash_bargaining_convex`.

    Examples
    --------
    >>> rubinstein(0.9, 0.9).shares   # 1 / (1 + 0.9) to the first proposer
    array([0.526316, 0.473684])
    >>> rubinstein([0.5, 0.9], 0.9).proposer_share
    array([0.181818, 0.526316])

    Player 2's outside option binds only when it beats her share 0.4737:

    >>> rubinstein(0.9, 0.9, outside_options=(0, 0.3)).shares
    array([0.526316, 0.473684])
    >>> sol = rubinstein(0.9, 0.9, outside_options=(0, 0.6))
    >>> sol.shares, sol.binding
    (array([0.4, 0.6]), array([False,  True]))

    Patient players facing a small risk of breakdown split the surplus above their
    outside options equally (the Nash solution):

    >>> rubinstein(1.0, 1.0, breakdown=1e-6, outside_options=(0.2, 0.0)).shares
    array([0.6, 0.4])
    """
    if proposer not in (0, 1):
        raise SolverError(f"proposer must be 0 (player 1) or 1 (player 2), got {proposer!r}")
    try:
        w1, w2 = outside_options
    except (TypeError, ValueError):
        raise SolverError("outside_options must be a pair (w1, w2)") from None
    arrays = [np.asarray(v, dtype=np.float64) for v in (d1, d2, w1, w2, breakdown)]
    if not all(np.isfinite(a).all() for a in arrays):
        raise SolverError("the parameters of the Rubinstein game must be finite")
    d1, d2, w1, w2, p = np.broadcast_arrays(*arrays)
    if ((d1 < 0) | (d1 > 1) | (d2 < 0) | (d2 > 1)).any():
        raise SolverError("discount factors must lie in [0, 1]")
    if ((p < 0) | (p > 1)).any():
        raise SolverError("the breakdown probability must lie in [0, 1]")
    if ((1 - p) ** 2 * d1 * d2 >= 1).any():
        raise SolverError("with d1 = d2 = 1 and no risk of breakdown every split is an equilibrium; lower a discount")

    first, second = (d1, d2), (w1, w2)
    if proposer == 1:
        first, second = first[::-1], second[::-1]
    (delta_a, delta_b), (w_a, w_b) = first, second
    a_a, a_b = (1 - p) * delta_a, (1 - p) * delta_b
    c_a, c_b = p * w_a, p * w_b

    def step(x: np.ndarray) -> np.ndarray:
        y = 1 - np.maximum(w_a, c_a + a_a * x)
        return 1 - np.maximum(w_b, c_b + a_b * y)

    candidates = np.stack(
        [
            (1 - c_b - a_b * (1 - c_a)) / (1 - a_a * a_b),  # no option binds
            1 - w_b,  # B's option binds (alone or with A's: x is the same)
            1 - c_b - a_b * (1 - w_a),  # only A's option binds
        ]
    )
    residual = np.abs(step(candidates) - candidates)
    x = np.take_along_axis(candidates, residual.argmin(axis=0)[None], axis=0)[0]
    y = 1 - np.maximum(w_a, c_a + a_a * x)
    agreement = w_a + w_b < 1
    binds_a = (agreement & (w_a > c_a + a_a * x)) | ~agreement
    binds_b = (agreement & (w_b > c_b + a_b * y)) | ~agreement
    share_a = np.where(agreement, x, w_a)
    share_b = np.where(agreement, 1 - x, w_b)
    shares = np.stack([share_a, share_b] if proposer == 0 else [share_b, share_a], axis=-1)
    binding = np.stack([binds_a, binds_b] if proposer == 0 else [binds_b, binds_a], axis=-1)
    return RubinsteinSolution(
        shares=shares,
        proposer=proposer,
        agreement=_scalar(agreement),
        binding=binding,
        discount=np.stack([d1, d2], axis=-1),
        outside_options=np.stack([w1, w2], axis=-1),
        breakdown=p.copy(),
    )


def finite_horizon_shares(d1: ArrayLike, d2: ArrayLike, rounds: ArrayLike) -> np.ndarray:
    """Subgame-perfect shares of the ``T``-round alternating-offers game over a pie of size 1.

    Player 1 proposes in rounds 0, 2, 4, ..., player 2 in rounds 1, 3, ...; an agreement in
    round ``t`` is worth ``share * d_i ** t``; after ``rounds`` rejections both get 0 (the
    game of :func:`negsim.games.library.alternating_offers` with a continuous pie).
    Backward induction from the last round gives, with ``k = rounds // 2`` and
    ``q = (d1 d2) ** k``, player 1's share

    * ``(1 - d2) (1 - q) / (1 - d1 d2)`` for an even number of rounds,
    * ``(1 - d2) (1 - q) / (1 - d1 d2) + q`` for an odd number,

    which tends to Rubinstein's ``(1 - d2) / (1 - d1 d2)`` as ``rounds`` grows, the error
    shrinking like ``q``.

    Parameters
    ----------
    d1, d2 : array_like
        Discount factors in ``[0, 1]``.
    rounds : array_like of int
        Number of rounds ``T >= 1``. All parameters broadcast together.

    Returns
    -------
    ndarray, shape (..., 2)
        The shares of player 1 and player 2 in the immediate agreement.

    Raises
    ------
    SolverError
        If a discount factor is outside ``[0, 1]`` or ``rounds`` is not a positive integer.

    Examples
    --------
    >>> finite_horizon_shares(0.9, 0.9, [1, 2, 3])
    array([[1.  , 0.  ],
           [0.1 , 0.9 ],
           [0.91, 0.09]])
    >>> float(finite_horizon_shares(0.9, 0.9, 200)[0])   # Rubinstein: 1 / 1.9
    0.526316
    """
    d1, d2 = (np.asarray(v, dtype=np.float64) for v in (d1, d2))
    rounds_in = np.asarray(rounds)
    if not np.issubdtype(rounds_in.dtype, np.integer):
        as_int = rounds_in.astype(np.int64) if np.isfinite(rounds_in).all() else None
        if as_int is None or (as_int != rounds_in).any():
            raise SolverError("rounds must be whole numbers")
        rounds_in = as_int
    if (rounds_in < 1).any():
        raise SolverError("rounds must be at least 1")
    if not (np.isfinite(d1).all() and np.isfinite(d2).all()) or ((d1 < 0) | (d1 > 1) | (d2 < 0) | (d2 > 1)).any():
        raise SolverError("discount factors must lie in [0, 1]")
    d1, d2, T = np.broadcast_arrays(d1, d2, rounds_in.astype(np.int64))
    k = T // 2
    both = d1 * d2
    q = both**k
    with np.errstate(divide="ignore", invalid="ignore"):
        # (1 - q) / (1 - d1 d2) = 1 + both + ... + both ** (k - 1), which is k when both = 1
        geometric = np.where(both < 1, (1 - q) / np.where(both < 1, 1 - both, 1.0), k)
    x = (1 - d2) * geometric + np.where(T % 2 == 1, q, 0.0)
    return np.stack([x, 1 - x], axis=-1)


# ---------------------------------------------------------------------------- Fearon
def fearon_range(
    p: ArrayLike,
    cost_a: ArrayLike,
    cost_b: ArrayLike,
    *,
    exponents: tuple[ArrayLike, ArrayLike] = (1.0, 1.0),
) -> FearonRange:
    """Fearon's (1995) bargaining range: the shares of the good for ``A`` that both prefer to war.

    A good of size 1 is in dispute. War gives it all to ``A`` with probability ``p`` and
    to ``B`` otherwise, at costs ``c_A`` and ``c_B``. State ``A`` values a share ``x`` at
    ``x ** r_A`` and war at ``p - c_A``; ``B`` values ``1 - x`` at ``(1 - x) ** r_B`` and war
    at ``1 - p - c_B``. With risk-neutral states (``r = 1``) the range is
    ``[p - c_A, p + c_B]``, clipped to ``[0, 1]``; risk aversion (``r < 1``) widens it,
    risk acceptance (``r > 1``) narrows it.

    Parameters
    ----------
    p : array_like
        Probability that ``A`` wins, in ``[0, 1]``.
    cost_a, cost_b : array_like
        Costs of war to ``A`` and ``B`` (in units of the good, or of utility). Negative
        costs mean a state values fighting for itself.
    exponents : (array_like, array_like)
        ``(r_A, r_B) > 0``, the curvature of each state's utility; ``(1, 1)`` by default.
        All parameters broadcast together.

    Returns
    -------
    FearonRange
        ``low`` and ``high`` (within ``[0, 1]``, NaN where empty) and ``nonempty``. The
        range is non-empty exactly when ``low <= high`` before clipping and it meets
        ``[0, 1]``. With ``c_A + c_B = 0`` (risk-neutral) it is the single point ``p``,
        where both are indifferent between war and the deal.

    Raises
    ------
    SolverError
        If ``p`` is outside ``[0, 1]``, an exponent is not positive, or a value is not
        finite.

    Notes
    -----
    For risk-neutral or risk-averse states and ``p`` in ``[0, 1]`` the range can only be
    empty if war is valued for itself: ``c_A + c_B < 0`` (risk-neutral states: exactly
    then), or one side values war above the whole good (``p - c_A > 1`` or ``p + c_B < 0``,
    which need a negative cost). Costly war (``c_A, c_B >= 0``) always leaves a deal both
    prefer. See :func:`war_is_rational` and :meth:`FearonRange.explain`.

    Examples
    --------
    >>> fearon_range(0.6, 0.1, 0.2)
    FearonRange(low=0.5, high=0.8, nonempty=True)
    >>> fearon_range([0.0, 0.5, 0.95], 0.1, 0.1).low
    array([0.  , 0.4 , 0.85])
    >>> fearon_range(0.5, 0.1, 0.1, exponents=(0.5, 0.5))   # risk aversion widens it
    FearonRange(low=0.16, high=0.84, nonempty=True)
    >>> fearon_range(0.5, -0.2, 0.1).nonempty              # A values war for itself
    False
    """
    arrays = [np.asarray(v, dtype=np.float64) for v in (p, cost_a, cost_b, *exponents)]
    if not all(np.isfinite(a).all() for a in arrays):
        raise SolverError("the parameters of the bargaining range must be finite")
    p, c_a, c_b, r_a, r_b = np.broadcast_arrays(*arrays)
    if ((p < 0) | (p > 1)).any():
        raise SolverError("the probability p that A wins must lie in [0, 1]")
    if ((r_a <= 0) | (r_b <= 0)).any():
        raise SolverError("the utility exponents must be positive")
    war_a = p - c_a  # A's expected utility of war
    war_b = 1 - p - c_b  # B's
    # the smallest share A accepts, and the largest share of its own B would give up
    low = _share_worth(war_a, r_a)
    # 1 - (1 - p - c_B) can round below p + c_B: for a risk-neutral B use the sum itself, and
    # a risk-averse B concedes at least as much as a risk-neutral one
    neutral_high = np.minimum(1.0, p + c_b)
    high = np.where(r_b == 1, neutral_high, 1 - _share_worth(war_b, r_b))
    high = np.where((r_b < 1) & (war_b <= 1), np.maximum(high, neutral_high), high)
    general = (low <= high) & (low <= 1) & (high >= 0)
    # risk-neutral: the exact conditions (the sign of a rounded sum is exact)
    neutral = (c_a + c_b >= 0) & (war_a <= 1) & (p + c_b >= 0)
    nonempty = np.where((r_a == 1) & (r_b == 1), neutral, general)
    low = np.where(nonempty, np.clip(low, 0, 1), np.nan)
    high = np.where(nonempty, np.clip(high, 0, 1), np.nan)
    return FearonRange(
        low=_scalar(low),
        high=_scalar(high),
        nonempty=_scalar(nonempty),
        p=_scalar(p),
        cost_a=_scalar(c_a),
        cost_b=_scalar(c_b),
        exponents=(_scalar(r_a), _scalar(r_b)),
    )


def _share_worth(value: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """The share ``x`` with ``x ** exponent = value`` (0 if ``value <= 0``; above 1 if ``value > 1``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        share = np.where(value > 0, np.abs(value) ** (1 / exponent), 0.0)
    neutral = np.maximum(value, 0.0)
    share = np.where(exponent == 1, neutral, share)
    # a risk-averse state accepts no more than a risk-neutral one would; keep that
    # ordering exact despite rounding in the power
    return np.where((exponent < 1) & (value <= 1), np.minimum(share, neutral), share)


def war_is_rational(
    p: ArrayLike,
    cost_a: ArrayLike,
    cost_b: ArrayLike,
    *,
    exponents: tuple[ArrayLike, ArrayLike] = (1.0, 1.0),
) -> bool | np.ndarray:
    """Whether war beats every split for one side under complete information (Fearon 1995).

    True exactly where :func:`fearon_range` is empty. For risk-neutral or risk-averse
    states with complete information and a divisible good this needs war to be valued
    for itself: ``c_A + c_B < 0`` (for risk-neutral states, exactly then) or one side
    valuing war above the whole good, which needs a negative cost. Whenever
    ``c_A + c_B > 0`` with non-negative costs, some split beats war for both, so a war
    that happens must come from what this model leaves out: private information with
    incentives to misrepresent it, commitment problems (Powell 2006: Russia's claim that
    Ukraine would rearm during a truce), or an indivisible issue.

    Parameters
    ----------
    p, cost_a, cost_b, exponents
        As for :func:`fearon_range`.

    Returns
    -------
    bool or ndarray of bool
        True where no split is at least as good as war for both sides.

    Raises
    ------
    SolverError
        As :func:`fearon_range`.

    Examples
    --------
    >>> war_is_rational(0.5, [0.1, 0.0, -0.1], [0.1, 0.0, 0.05])
    array([False, False,  True])
    >>> print(fearon_range(0.5, -0.1, 0.05).explain())
    No split beats war for both sides: c_A + c_B = -0.05 < 0, so together the sides value
    fighting above any division of the good (war is valued for itself).
    """
    nonempty = fearon_range(p, cost_a, cost_b, exponents=exponents).nonempty
    return _scalar(np.logical_not(nonempty))


def _explain_one(low, high, nonempty, p, cost_a, cost_b, r_a, r_b) -> str:
    total = cost_a + cost_b
    setting = f"A wins with probability {p:.3g}; costs c_A = {cost_a:.3g}, c_B = {cost_b:.3g}"
    risk = ""
    if r_a != 1 or r_b != 1:
        risk = f"; utility exponents r_A = {r_a:.3g}, r_B = {r_b:.3g}"
    if nonempty:
        if total == 0 and r_a == 1 and r_b == 1:
            return (
                f"The range is the single split {low:.3g} ({setting}, c_A + c_B = 0): both sides are "
                "indifferent between it and war, because war destroys nothing."
            )
        return (
            f"Every split giving A a share in [{low:.3g}, {high:.3g}] beats war for both sides ({setting}, "
            f"c_A + c_B = {total:.3g} {'>' if total > 0 else '<='} 0{risk}). With complete information and a "
            "divisible good, war is not rational; Fearon (1995) traces it to private information with incentives "
            "to misrepresent, to commitment problems (Powell 2006), or to issue indivisibility."
        )
    if total < 0:
        reason = (
            f"c_A + c_B = {total:.3g} < 0, so together the sides value fighting above any division of the good "
            "(war is valued for itself)"
        )
    elif p - cost_a > 1 or p + cost_b < 0:
        side = "A" if p - cost_a > 1 else "B"
        reason = f"{side} values war (cost {cost_a if side == 'A' else cost_b:.3g} < 0) above the whole good"
    else:
        reason = f"risk-acceptant states ({risk.lstrip('; ')}) value the gamble of war above every split"
    return f"No split beats war for both sides: {reason}."


# ---------------------------------------------------------------------------- helpers
def _outcomes(utilities: ArrayLike, mask: ArrayLike | None) -> tuple[np.ndarray, np.ndarray, bool]:
    """``u [B, K, n]`` (masked entries zeroed), ``valid [B, K]``, whether any input was batched."""
    u = np.asarray(utilities, dtype=np.float64)
    if u.ndim not in (2, 3) or u.shape[-1] < 1 or u.shape[-2] < 1:
        raise SolverError(f"utilities must have shape (K, n) or (B, K, n) with K, n >= 1, got {u.shape}")
    K = u.shape[-2]
    valid = np.ones(K, bool) if mask is None else np.asarray(mask)
    if valid.dtype != bool or valid.ndim not in (1, 2) or valid.shape[-1] != K:
        raise SolverError(f"mask must be boolean with shape (K,) or (B, K) for K = {K}")
    batched = u.ndim == 3 or valid.ndim == 2
    u = u if u.ndim == 3 else u[None]
    valid = valid if valid.ndim == 2 else valid[None]
    try:
        B = np.broadcast_shapes(u.shape[:1], valid.shape[:1])
    except ValueError:
        raise SolverError("the batch sizes of utilities and mask differ") from None
    u = np.broadcast_to(u, B + u.shape[1:])
    valid = np.broadcast_to(valid, B + (K,)).copy()
    if not np.isfinite(u[valid]).all():
        raise SolverError("utilities must be finite (mask the outcomes that do not exist)")
    return np.where(valid[..., None], u, 0.0), valid, batched


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


def _pair(value: ArrayLike, name: str) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    if v.shape != (2,) or not np.isfinite(v).all():
        raise SolverError(f"{name} must be two finite numbers")
    return v


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


def _scalar(value: Any) -> Any:
    """A Python scalar for a 0-d array, else the array."""
    return np.asarray(value).item() if np.ndim(value) == 0 else value


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
