"""Bargaining over sets of utilities, not games: axiomatic solutions, alternating offers, Fearon's range.

Two views of the same negotiation. The *axiomatic* view (Nash 1950; Kalai and Smorodinsky
1975) takes the set of feasible utility pairs and a disagreement point and names one point
of it; the *strategic* view (Ståhl 1972; Rubinstein 1982) writes the talks as an
alternating-offers game and solves it. Fearon (1995) asks the prior question, whether any
deal beats fighting at all. Each has its own module:

- :mod:`negsim.bargaining.frontier`: :func:`pareto_frontier`;
- :mod:`negsim.bargaining.axiomatic`: :func:`nash_bargaining`, :func:`kalai_smorodinsky`
  and their convex-hull versions, returning a :class:`BargainingSolution`;
- :mod:`negsim.bargaining.alternating`: :func:`rubinstein` (outside options, risk of
  breakdown) and :func:`finite_horizon_shares`;
- :mod:`negsim.bargaining.fearon`: :func:`fearon_range` and :func:`war_is_rational`.
"""

from negsim.bargaining.alternating import RubinsteinSolution, finite_horizon_shares, rubinstein
from negsim.bargaining.axiomatic import (
    BargainingSolution,
    kalai_smorodinsky,
    kalai_smorodinsky_convex,
    nash_bargaining,
    nash_bargaining_convex,
)
from negsim.bargaining.fearon import FearonRange, fearon_range, war_is_rational
from negsim.bargaining.frontier import pareto_frontier

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
