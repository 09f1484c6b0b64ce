"""Validation of a negotiation: the resolved form it gives, and the checks of declared values."""

from __future__ import annotations

from dataclasses import replace

import pytest

from negsim import ScenarioError
from negsim.negotiation import Agent, Chance, Expectation, Issue, Move, Negotiation, Parameter, Precondition, Stage
from negsim.negotiation.validation import SKIPPED, check_values, validate


def _talks(**changes) -> Negotiation:
    neg = Negotiation(
        title="truce",
        parameters=(Parameter("q", 0.3, source="assumption", range=(0.0, 1.0)),),
        issues=(Issue("truce", [False, True]), Issue("level", [0, 1, 2], initial=1)),
        agents=(
            Agent("Kyiv", payoff={"peace": "3 * truce", "level": "-level"}),
            Agent("Moscow", payoff="1", preconditions=(Precondition("accept", "level >= 1", kind="soft", cost="q"),)),
        ),
        stages=(
            Stage("offer", "Kyiv", [Move("propose"), Move("raise", set={"level": "min(level + 1, 2)"})]),
            Stage("answer", "Moscow", [Move("accept", set={"truce": True}), Move("refuse")], observed_by=["Moscow"]),
        ),
        chance=(
            Chance("mood", {"calm": "q", "angry": "1 - q"}, observed_by=["Moscow"], after="offer"),
            Chance("weather", {"dry": 0.5, "wet": 0.5}),
        ),
        expectations=(Expectation("truce holds", "truce", at_least=0.5),),
    )
    return replace(neg, **changes)


def test_validate_resolves_names_and_orders_the_protocol():
    validated = validate(_talks())
    assert [s.name for s in validated.steps] == ["weather", "offer", "mood", "answer"]
    assert list(validated.variables) == ["truce", "level", "offer", "answer", "mood", "weather"]
    assert validated.variables["mood"].values == (SKIPPED, "calm", "angry")
    assert validated.initial == (0, 1, 0, 0, 0, 0)
    assert validated.step_observers == (frozenset(), frozenset({0, 1}), frozenset({1}), frozenset({1}))
    assert [len(e) for e in validated.chance_exprs] == [2, 0, 2, 0]
    assert [text for text, _ in ((e.text, e) for e in validated.chance_exprs[2])] == ["q", "1 - q"]
    (effect,) = validated.move_effects[("answer", "accept")]
    assert effect == (0, 1)  # truce becomes True (code 1)
    index, expression = validated.move_effects[("offer", "raise")][0]
    assert index == 1 and expression.text == "min(level + 1, 2)"
    (soft,) = validated.softs
    assert (soft.agent, soft.move_key, soft.text, soft.cost.text) == (1, ("answer", "accept"), "level >= 1", "q")
    assert [name for name, _ in validated.payoff_terms[0]] == ["peace", "level"]
    assert [e.text for e in validated.expectations] == ["truce"]
    assert [validated.step_key(s) for s in range(4)] == ["chance[1]", "stages[0]", "chance[0]", "stages[1]"]


def test_validate_refuses_a_bad_expectation_condition():
    neg = _talks(expectations=(Expectation("typo", "truse", at_least=0.5),))
    with pytest.raises(ScenarioError, match="unknown name 'truse'; did you mean 'truce'") as info:
        validate(neg)
    assert info.value.key == "expect[0].condition"


@pytest.mark.parametrize(
    ("changes", "key", "fragment"),
    [
        ({"max_nodes": 0}, "scenario.max_nodes", "at least 1"),
        ({"solver": {"method": "cfrr"}}, "solver.method", "did you mean 'cfr'"),
        ({"solver": {"tremble": 0.5}}, "solver.tremble", "[0, 0.1)"),
        ({"solver": {"iterations": 0}}, "solver.iterations", "at least 1"),
        ({"solver": {"tolerance": -1.0}}, "solver.tolerance", "not be negative"),
        ({"parameters": (Parameter("q", 3.0, source="x", range=(0.0, 1.0)),)}, "parameters.q.value", "outside"),
        ({"parameters": (Parameter("q", 0.5, source="x", range=(1.0, 0.0)),)}, "parameters.q.range", "above high"),
        (
            {"parameters": (Parameter("q", 0.5, source="x", prior={"dist": "normal", "mean": 0.0, "sd": 0.0}),)},
            "parameters.q.prior.sd",
            "sd must be positive",
        ),
        (
            {"parameters": (Parameter("q", 0.5, source="x", prior={"dist": "uniform", "low": 1.0, "high": 0.0}),)},
            "parameters.q.prior",
            "low must be below high",
        ),
        ({"chance": (Chance("weather", {"dry": -0.5, "wet": 1.5}),)}, "chance[0].outcomes.dry", "negative"),
        ({"expectations": (Expectation("f", "truce", at_most=2.0),)}, "expect[0].at_most", "[0, 1]"),
        (
            {"expectations": (Expectation("f", "truce", at_least=0.5, counterfactual={"qq": 1.0}),)},
            "expect[0].counterfactual.qq",
            "unknown parameter 'qq'",
        ),
    ],
)
def test_check_values_names_the_bad_value(changes, key, fragment):
    neg = _talks(**changes)
    with pytest.raises(ScenarioError) as info:
        check_values(neg)
    assert info.value.key == key
    assert fragment in info.value.message


def test_check_values_accepts_a_good_negotiation_and_compiling_does_not_repeat_it():
    neg = _talks(
        solver={"method": "cfr", "iterations": 10, "tremble": 0.01, "tolerance": 0.0},
        parameters=(Parameter("q", 0.3, source="assumption", range=(0.0, 0.5)),),
    )
    check_values(neg)
    # a value set later (--set, a counterfactual) may leave the declared range on purpose
    outside = neg.with_values({"q": 0.9})
    with pytest.raises(ScenarioError, match="outside its range"):
        check_values(outside)
    assert outside.compile().num_terminals > 0
