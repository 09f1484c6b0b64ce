"""Every bundled scenario: sourced parameters, its facts hold, and each fact can fail."""

from __future__ import annotations

import pytest

from negsim.analysis import check, solve_game
from negsim.scenarios import bundled_scenarios, load_scenario

NAMES = sorted(bundled_scenarios())


def test_the_required_scenarios_are_bundled():
    assert {"istanbul-2025", "istanbul-2022", "sanctions-2025"} <= set(NAMES)
    assert "memoranda-2025" not in NAMES  # the 2 June round is part of the linked istanbul-2025


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_is_sourced_and_every_scenario_cites_sources(name):
    scenario = load_scenario(name)
    neg = scenario.negotiation
    assert neg.sources, "a scenario header lists its sources"
    for p in neg.parameters:
        assert p.source.strip(), p.name
    assert neg.expectations, "a scenario states the facts it must reproduce"


@pytest.mark.parametrize("name", NAMES)
def test_facts_hold_and_fail_under_their_counterfactuals(name):
    scenario = load_scenario(name)
    compiled = scenario.compile()
    solution = solve_game(compiled.game, scenario.solver)
    assert solution.info.get("certified", solution.nash_conv <= 1e-9)
    assert solution.nash_conv <= 1e-9
    results = check(compiled, solution, counterfactuals=True)
    for result in results:
        assert result.holds, f"{name}: {result.fact} (P = {result.probability})"
        assert result.counterfactual, f"{name}: every fact names a counterfactual"
        assert result.fails_under_counterfactual, f"{name}: {result.fact} holds by construction"


@pytest.mark.parametrize("name", NAMES)
def test_every_counterfactual_changes_one_parameter_inside_its_range(name):
    neg = load_scenario(name).negotiation
    for exp in neg.expectations:
        assert exp.counterfactual is not None and len(exp.counterfactual) == 1, exp.fact
        ((parameter, value),) = exp.counterfactual.items()
        declared = neg.parameter(parameter).range
        assert declared is not None, f"{exp.fact}: {parameter} has no declared range"
        assert declared[0] <= value <= declared[1], f"{exp.fact}: {parameter}={value} outside {declared}"
