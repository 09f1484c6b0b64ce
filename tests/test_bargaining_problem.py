"""negsim.analysis.bargaining_problem: two agents' outcomes and disagreement point, checked by hand and brute force."""

from __future__ import annotations

import numpy as np
import pytest

import negsim
from negsim.analysis import bargaining_problem, solve_game
from negsim.negotiation import Agent, Issue, Move, Negotiation, Parameter, Stage
from negsim.scenarios import load_scenario


def _truce() -> Negotiation:
    return Negotiation(
        title="A truce offer",
        parameters=[Parameter("war_cost", 2.0, source="assumption", range=(0.0, 4.0))],
        issues=[Issue("truce", [False, True])],
        agents=[Agent("Kyiv", payoff="3 * truce - war_cost * (not truce)"), Agent("Moscow", payoff="1 + truce")],
        stages=[Stage("answer", "Moscow", [Move("accept", set={"truce": True}), Move("refuse")])],
    )


def test_a_truce_by_hand():
    compiled = _truce().compile()
    problem = bargaining_problem(compiled, solve_game(compiled.game))
    # refusing: Kyiv 0 - 2, Moscow 1; accepting: Kyiv 3, Moscow 2 (Moscow accepts in equilibrium)
    assert problem.agents == ("Kyiv", "Moscow")
    np.testing.assert_allclose(problem.utilities, [[-2.0, 1.0], [3.0, 2.0]])
    assert problem.efficient.tolist() == [False, True]
    np.testing.assert_allclose(problem.frontier, [[3.0, 2.0]])
    np.testing.assert_allclose(problem.disagreement, [3.0, 2.0])
    assert problem.to_dict()["agents"] == ["Kyiv", "Moscow"]
    swapped = bargaining_problem(compiled, solve_game(compiled.game), agents=["Moscow", "Kyiv"])
    np.testing.assert_allclose(swapped.disagreement, [2.0, 3.0])


def test_the_istanbul_problem_against_brute_force():
    compiled = load_scenario("istanbul-2025").compile()
    solution = solve_game(compiled.game)
    names = list(compiled.negotiation.agent_names)
    pair = (names[1], names[3])
    problem = bargaining_problem(compiled, solution, agents=pair)
    columns = compiled.game.payoffs[:, [names.index(a) for a in pair]]
    assert {tuple(row) for row in problem.utilities.tolist()} == {tuple(row) for row in columns.tolist()}
    assert len(problem.utilities) == len({tuple(row) for row in columns.tolist()})  # each pair once
    u = problem.utilities
    dominated = [bool(np.any(np.all(u >= row, axis=1) & np.any(u > row, axis=1))) for row in u]
    assert problem.efficient.tolist() == [not d for d in dominated]
    np.testing.assert_allclose(problem.disagreement, np.asarray(solution.values)[[1, 3]])


@pytest.mark.parametrize("agents", [("Kyiv",), ("Kyiv", "Kyiv"), ("Kyiv", "Washington")])
def test_two_distinct_agents_are_needed(agents):
    compiled = _truce().compile()
    with pytest.raises(negsim.ScenarioError, match="two of the agents"):
        bargaining_problem(compiled, solve_game(compiled.game), agents=agents)
