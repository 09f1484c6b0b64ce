"""A scenario's bargaining problem between two agents: the outcomes' utilities and the disagreement point.

The outcomes of a negotiation game are its terminals; two agents bargaining over them
see each terminal as a pair of utilities (their payoffs there). Terminals with the same
pair are one outcome to them, so the pairs are kept once each. The *disagreement point*
is what each agent gets when no deal is struck outside the game: the game's equilibrium
values, so that a bargaining solution is measured against playing the game out. The
Pareto-efficient outcomes come from :func:`negsim.bargaining.pareto_frontier`; the
Nash and Kalai-Smorodinsky solutions of the problem from :mod:`negsim.bargaining`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.bargaining.frontier import pareto_frontier
from negsim.errors import ScenarioError
from negsim.negotiation.compiler import CompiledNegotiation
from negsim.solvers.solution import Solution

__all__ = ["BargainingProblem", "bargaining_problem"]


@dataclass(frozen=True)
class BargainingProblem:
    """Two agents' utilities over a negotiation's distinct outcomes, and their disagreement point.

    Attributes
    ----------
    agents : (str, str)
        The two agents, in the order of the columns.
    utilities : ndarray, shape (K, 2)
        Each distinct outcome's utility to the two agents (rows sorted, each pair once).
    disagreement : ndarray, shape (2,)
        The agents' equilibrium values.
    efficient : ndarray of bool, shape (K,)
        Which outcomes are on the Pareto frontier.
    """

    agents: tuple[str, str]
    utilities: np.ndarray
    disagreement: np.ndarray
    efficient: np.ndarray

    @property
    def frontier(self) -> np.ndarray:
        """The utilities of the Pareto-efficient outcomes, shape (F, 2)."""
        return self.utilities[self.efficient]

    def to_dict(self) -> dict[str, Any]:
        """The problem as plain lists and numbers, for JSON."""
        return {"agents": list(self.agents), "utilities": self.utilities.tolist(),
                "disagreement": self.disagreement.tolist(), "efficient": self.efficient.tolist()}


def bargaining_problem(
    compiled: CompiledNegotiation, solution: Solution, *, agents: Sequence[str] | None = None
) -> BargainingProblem:
    """The bargaining problem of two agents over a solved negotiation's outcomes.

    Parameters
    ----------
    compiled : CompiledNegotiation
        A compiled scenario (one parameter setting, not a batch).
    solution : Solution
        Its equilibrium (:func:`negsim.analysis.solve_game`); its values are the
        disagreement point.
    agents : sequence of two str, optional
        The two agents (default: the negotiation's first two).

    Returns
    -------
    BargainingProblem

    Raises
    ------
    ScenarioError
        If ``agents`` is not two of the negotiation's agents, or the game is a batch.

    Examples
    --------
    >>> from negsim.analysis import solve_game
    >>> from negsim.scenarios import load_scenario
    >>> compiled = load_scenario("istanbul-2025").compile()
    >>> problem = bargaining_problem(compiled, solve_game(compiled.game), agents=("Ukraine", "Russia"))
    >>> problem.agents, problem.utilities.shape[1], problem.disagreement.shape
    (('Ukraine', 'Russia'), 2, (2,))
    >>> bool(problem.efficient.any()) and len(problem.frontier) <= len(problem.utilities)
    True
    """
    names = list(compiled.negotiation.agent_names)
    pair = tuple(names[:2]) if agents is None else tuple(str(a).strip() for a in agents)
    if len(pair) != 2 or any(a not in names for a in pair) or pair[0] == pair[1]:
        raise ScenarioError(f"a bargaining problem needs two of the agents {', '.join(names)}, got {list(pair)}")
    if compiled.game.batch_size is not None:
        raise ScenarioError("a bargaining problem is of one parameter setting, not a batch")
    index = [names.index(a) for a in pair]
    utilities = np.unique(np.asarray(compiled.game.payoffs, np.float64)[:, index], axis=0)
    disagreement = np.asarray(solution.values, np.float64)[index]
    return BargainingProblem(agents=(pair[0], pair[1]), utilities=utilities, disagreement=disagreement,
                             efficient=np.asarray(pareto_frontier(utilities), bool))
