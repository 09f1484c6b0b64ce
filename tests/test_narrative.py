"""The narrative of the equilibrium path and the stylized facts, on istanbul-2025 and a hand-solved model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from negsim.analysis import check, explain, fact_probabilities, narrative_text, solve_game
from negsim.negotiation import SKIPPED, Agent, Chance, Expectation, Issue, Move, Negotiation, Parameter, Stage
from negsim.scenarios import load_scenario


class Solved:
    def __init__(self, scenario, compiled, solution, story):
        self.scenario = scenario
        self.compiled = compiled
        self.solution = solution
        self.story = story
        self.reach = solution.profile.node_reach()[solution.game.terminals]


def _solve(scenario) -> Solved:
    compiled = scenario.compile()
    solution = solve_game(compiled.game, scenario.solver)
    return Solved(scenario, compiled, solution, explain(compiled, solution, scenario=scenario.name))


ONE_SHOT = Path(__file__).parent / "data" / "istanbul_2025_one_shot.toml"  # the one-shot model of 16 May, a fixture

@pytest.fixture(scope="module")
def istanbul() -> Solved:
    return _solve(load_scenario(ONE_SHOT))


def _probability(solved: Solved, name: str, value) -> float:
    """P(variable == value) at the end, computed from the terminals (independently of explain)."""
    values = solved.compiled.terminal_values(name)
    return float(sum(r for r, v in zip(solved.reach, values, strict=True) if v == value))


def _report(story, stage: str):
    (found,) = [s for s in story.stages if s.stage == stage]
    return found


# ---------------------------------------------------------------------------- istanbul-2025
def test_solution_is_an_exact_equilibrium(istanbul):
    assert istanbul.solution.nash_conv <= 1e-9
    assert istanbul.story.nash_conv == pytest.approx(float(istanbul.solution.nash_conv))
    assert istanbul.story.scenario == "istanbul-2025-one-shot"
    assert istanbul.story.title.startswith("Istanbul, 16 May 2025")


def test_reach_sums_to_one(istanbul):
    assert istanbul.reach.sum() == pytest.approx(1.0)


def test_moves_at_a_reached_stage_sum_to_one(istanbul):
    story = istanbul.story
    assert [s.stage for s in story.stages] == [s.name for s in istanbul.compiled.steps]
    for st in story.stages:
        assert -1e-12 <= st.reached <= 1 + 1e-9
        total = sum(m.probability for m in st.moves)
        if st.reached > 1e-9:
            assert total == pytest.approx(1.0), st.stage
        else:
            assert total == 0.0
        for m in st.moves:
            assert -1e-12 <= m.probability <= 1 + 1e-9


def test_stage_and_move_probabilities_agree_with_the_terminals(istanbul):
    for st in istanbul.story.stages:
        reached = 1.0 - _probability(istanbul, st.stage, SKIPPED)
        assert st.reached == pytest.approx(reached, abs=1e-9), st.stage
        for m in st.moves:
            assert m.probability * st.reached == pytest.approx(_probability(istanbul, st.stage, m.move), abs=1e-9)


def test_the_equilibrium_path(istanbul):
    story = istanbul.story
    expected = {
        "us_pressure": "press_ukraine",
        "ukraine_attend": "attend",
        "russia_answer": "counter",
        "russia_exchange": "offer_exchange",
        "ukraine_exchange": "accept_exchange",
        "ukraine_answer": "reject_terms",
        "russia_meeting": "decline_meeting",
        "eu_decision": "package_17",
    }
    for stage, move in expected.items():
        report = _report(story, stage)
        assert report.reached == pytest.approx(1.0)
        assert {m.move: m.probability for m in report.moves}[move] == pytest.approx(1.0), stage
    # the chance events follow their priors
    prior = istanbul.compiled.negotiation.parameter_values()
    aims = {m.move: m.probability for m in _report(story, "russia_aims").moves}
    assert aims == pytest.approx({"maximal": prior["q_maximal"], "limited": 1 - prior["q_maximal"]})
    assert _report(story, "russia_aims").is_chance
    # the US imposes secondary tariffs exactly when it is resolved
    us = {m.move: m for m in _report(story, "us_decision").moves}
    assert us["impose_secondary"].probability == pytest.approx(prior["us_resolve_prior"])
    assert us["impose_secondary"].by_type == pytest.approx({"us_resolve=resolved": 1.0, "us_resolve=unresolved": 0.0})
    # Russia counters whatever its aims
    counter = {m.move: m for m in _report(story, "russia_answer").moves}["counter"]
    assert counter.by_type == pytest.approx({"russia_aims=maximal": 1.0, "russia_aims=limited": 1.0})


def test_blocked_meeting_is_reported_with_russias_precondition(istanbul):
    story = istanbul.story
    meeting = {m.move: m for m in _report(story, "russia_meeting").moves}
    hold = meeting["hold_meeting"]
    assert hold.probability == 0.0
    assert hold.blocked == pytest.approx(1.0)
    assert hold.reason == "Russia's precondition: settlement"
    assert meeting["decline_meeting"].blocked == 0.0
    blocked = story.to_dict()["blocked"]
    assert {
        "stage": "russia_meeting",
        "agent": "Russia",
        "move": "hold_meeting",
        "reason": "Russia's precondition: settlement",
    }.items() <= blocked[0].items()
    assert [b["move"] for b in blocked] == ["hold_meeting"]
    text = narrative_text(story)
    assert "'agree to a leaders' meeting' was not available: blocked by Russia's precondition: settlement" in text


def test_outcome_distributions_sum_to_one(istanbul):
    story = istanbul.story
    issues = [i.name for i in istanbul.compiled.negotiation.issues]
    assert list(story.outcome) == issues
    for issue, dist in story.outcome.items():
        assert sum(dist.values()) == pytest.approx(1.0), issue
        assert all(p > 0 for p in dist.values())
    resolve = istanbul.compiled.negotiation.parameter_values()["us_resolve_prior"]
    assert story.outcome["us_secondary"] == pytest.approx({"no": 1 - resolve, "yes": resolve})
    assert story.outcome["eu_sanctions"] == pytest.approx({"17th package": 1.0})
    assert story.most_likely_outcome() == {
        "ceasefire": "none",
        "attended": "yes",
        "withdrawal_demanded": "yes",
        "neutrality_demanded": "yes",
        "recognition_demanded": "yes",
        "settlement": "no",
        "prisoners_exchanged": "yes",
        "leaders_meeting": "no",
        "eu_sanctions": "17th package",
        "us_secondary": "no",
    }


def test_payoff_terms_add_up_to_the_values(istanbul):
    story, solved = istanbul.story, istanbul
    assert list(story.values) == ["Ukraine", "Russia", "US", "EU"]
    payoffs = solved.compiled.game.payoffs
    for p, (agent, value) in enumerate(story.values.items()):
        assert sum(story.terms[agent].values()) == pytest.approx(value, abs=1e-9), agent
        assert float(solved.reach @ payoffs[:, p]) == pytest.approx(value, abs=1e-9)
    # Ukraine paid for attending without a ceasefire first (its soft precondition)
    p = solved.compiled.negotiation.parameter_values()
    assert story.terms["Ukraine"]["waived: ceasefire == '30-day'"] == pytest.approx(-p["ua_waiver_cost"])
    assert story.terms["Ukraine"]["prisoners"] == pytest.approx(
        p["ua_prisoner_value"] * p["prisoners_each_side"] / 1000
    )
    assert story.terms["Russia"]["eu_sanctions"] == pytest.approx(-p["bite_per_tanker"] * p["shadow_fleet_tankers"])


def test_to_dict_is_json_ready(istanbul):
    data = istanbul.story.to_dict()
    assert {"scenario", "method", "path", "outcome", "values", "nash_conv"} <= set(data)
    for entry in data["path"]:
        assert {"stage", "agent", "move", "probability"} <= set(entry)
        assert 0 < entry["probability"] <= 1 + 1e-9
    moves = {(e["stage"], e["move"]): e["probability"] for e in data["path"]}
    assert moves[("ukraine_attend", "attend")] == pytest.approx(1.0)
    assert moves[("russia_aims", "maximal")] == pytest.approx(
        istanbul.compiled.negotiation.parameter("q_maximal").value
    )
    assert ("russia_meeting", "hold_meeting") not in moves


def test_narrative_text(istanbul):
    text = narrative_text(istanbul.story)
    assert text.startswith(istanbul.story.title)
    for fragment in (
        "The equilibrium path",
        "Ukraine",
        "attend without a ceasefire first (certainly)",
        "Outcome:",
        "prisoners_exchanged: yes",
        "Payoffs",
        "an exact equilibrium",
    ):
        assert fragment in text, fragment


def test_every_fact_holds_and_fails_under_its_counterfactual(istanbul):
    results = check(istanbul.compiled, istanbul.solution, counterfactuals=True, options=istanbul.scenario.solver)
    assert len(results) == len(istanbul.compiled.negotiation.expectations) >= 6
    for r in results:
        assert r.holds, r
        assert r.probability >= 0.95
        assert r.counterfactual
        assert r.fails_under_counterfactual is True, r
        assert r.counterfactual_probability < 0.95
        assert set(r.to_dict()) >= {"fact", "probability", "holds", "counterfactual_probability"}


def test_fact_probabilities_agree_with_the_terminals(istanbul):
    probabilities = fact_probabilities(istanbul.compiled, istanbul.solution)
    for exp, prob in zip(istanbul.compiled.negotiation.expectations, probabilities, strict=True):
        mask = istanbul.compiled.terminal_condition(istanbul.compiled.condition(exp.condition))
        assert prob == pytest.approx(float(istanbul.reach @ mask))


def test_without_us_blame_ukraine_boycotts():
    solved = _solve(load_scenario(ONE_SHOT).with_values({"us_blame_cost": 0.0}))
    attend = {m.move: m.probability for m in _report(solved.story, "ukraine_attend").moves}
    assert attend["boycott"] == pytest.approx(1.0)
    assert _report(solved.story, "russia_answer").reached == pytest.approx(0.0, abs=1e-9)
    assert solved.story.outcome["attended"] == pytest.approx({"no": 1.0})


def test_a_failing_fact_is_reported():
    scenario = load_scenario(ONE_SHOT)
    neg = scenario.negotiation
    fails = Expectation("A ceasefire is agreed", "ceasefire == '30-day'", at_least=0.5)
    compiled = replace(neg, expectations=(fails, *neg.expectations[:1])).compile()
    results = check(compiled, options=scenario.solver)
    assert [r.holds for r in results] == [False, True]
    assert results[0].probability == pytest.approx(0.0, abs=1e-9)
    assert results[0].counterfactual_probability is None and results[0].fails_under_counterfactual is None


def _hidden_mood(observed_by) -> Negotiation:
    return Negotiation(
        title="a secret no one sees",
        agents=[Agent("Kyiv", payoff="truce"), Agent("Moscow", payoff="0")],
        issues=[Issue("truce", [False, True])],
        chance=[Chance("mood", {"calm": 0.5, "angry": 0.5}, observed_by=observed_by)],
        stages=[Stage("offer", "Kyiv", [Move("propose", set={"truce": True}), Move("wait")])],
    )


def test_explain_a_chance_event_seen_by_no_one():
    compiled = _hidden_mood(()).compile()
    story = explain(compiled, solve_game(compiled.game))
    assert _report(story, "mood").description.endswith("(seen by no one)")
    assert {m.move: m.probability for m in _report(story, "offer").moves} == pytest.approx({"propose": 1, "wait": 0})


@pytest.mark.parametrize("observed_by", ["none", ""])
def test_explain_a_chance_event_observed_by_none(observed_by):
    compiled = _hidden_mood(observed_by).compile()
    story = explain(compiled, solve_game(compiled.game))
    assert {m.move: m.probability for m in _report(story, "offer").moves} == pytest.approx({"propose": 1, "wait": 0})


# ---------------------------------------------------------------------------- a model solved by hand
def _private_mood() -> Negotiation:
    """Kyiv proposes or walks away; Moscow, calm with probability 0.3, accepts only when calm."""
    return Negotiation(
        title="A truce offer",
        name="truce-offer",
        parameters=[Parameter("q", 0.3, source="assumption"), Parameter("war_cost", 2.0, source="assumption")],
        issues=[Issue("truce", [False, True])],
        agents=[
            Agent("Kyiv", payoff={"truce": "4 * truce", "war": "-war_cost * (not truce)"}),
            Agent("Moscow", payoff="2 * truce * (mood == 'calm') + (not truce) * (mood == 'angry')"),
        ],
        chance=[Chance("mood", {"calm": "q", "angry": "1 - q"}, observed_by=["Moscow"])],
        stages=[
            Stage("offer", "Kyiv", [Move("propose", kind="propose"), Move("walk_away", end=True)]),
            Stage("answer", "Moscow", [Move("accept", set={"truce": True}, label="accept the truce"), Move("refuse")]),
        ],
        expectations=[
            Expectation("a truce one time in three or less", "truce", at_most=0.35, counterfactual={"q": 0.9})
        ],
    )


def test_hand_solved_model():
    compiled = _private_mood().compile()
    solution = solve_game(compiled.game, {"method": "cfr+", "iterations": 2000})
    story = explain(compiled, solution)
    assert story.scenario == "truce-offer"
    assert story.nash_conv == pytest.approx(0.0, abs=1e-9)
    offer = {m.move: m.probability for m in _report(story, "offer").moves}
    assert offer == pytest.approx({"propose": 1.0, "walk_away": 0.0})
    answer = {m.move: m for m in _report(story, "answer").moves}
    assert answer["accept"].probability == pytest.approx(0.3)
    assert answer["accept"].by_type == pytest.approx({"mood=calm": 1.0, "mood=angry": 0.0})
    assert answer["refuse"].by_type == pytest.approx({"mood=calm": 0.0, "mood=angry": 1.0})
    assert story.outcome["truce"] == pytest.approx({"no": 0.7, "yes": 0.3})
    # Kyiv: 0.3 * 4 - 0.7 * 2; Moscow: 0.3 * 2 + 0.7 * 1
    assert story.values == pytest.approx({"Kyiv": -0.2, "Moscow": 1.3})
    assert story.terms["Kyiv"] == pytest.approx({"truce": 1.2, "war": -1.4})
    text = narrative_text(story)
    assert "Moscow chooses to accept the truce (with probability 0.30)" in text
    assert "by private type - mood=angry: 0.00; mood=calm: 1.00" in text
    (result,) = check(compiled, solution, counterfactuals=True)
    assert result.holds and result.probability == pytest.approx(0.3)
    assert result.fails_under_counterfactual and result.counterfactual_probability == pytest.approx(0.9)


def test_batched_facts_match_single_solutions():
    compiled = _private_mood().compile()
    q = np.array([0.1, 0.5])
    batch = solve_game(compiled.game_for({"q": q}), {"method": "cfr+", "iterations": 1000})
    (probs,) = fact_probabilities(compiled, batch)
    np.testing.assert_allclose(probs, q, atol=1e-6)
