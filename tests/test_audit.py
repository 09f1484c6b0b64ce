"""The referee's audit: planted defects are reported with the right kind and names, a clean
scenario has none, thresholds and prior shares agree with the closed form of a tiny game."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negsim
from negsim.analysis import audit, draw_parameters
from negsim.analysis.audit import CHECKS, FINDING_KINDS
from negsim.negotiation import Agent, Expectation, Issue, Move, Negotiation, Parameter, Stage
from negsim.scenarios import parse_scenario
from tests.audit_scenarios import CLEAN, PLANTED

SMALL = {"box_samples": 32, "grid_points": 9, "draws": 200, "seed": 0}


@pytest.fixture(scope="module")
def planted():
    return audit(parse_scenario(PLANTED, source="planted.toml"), **SMALL)


@pytest.fixture(scope="module")
def clean():
    return audit(parse_scenario(CLEAN, source="clean.toml"), **SMALL)


def _kinds(report, kind, severity=None):
    return {f.names for f in report.findings if f.kind == kind and severity in (None, f.severity)}


# ---------------------------------------------------------------------------- planted defects
def test_facts_that_hold_by_construction_are_errors(planted):
    found = _kinds(planted, "by_construction", "error")
    assert found == {
        ("The talks end with or without a truce",),
        ("No summit",),
        ("Prisoners are exchanged", "exchange_value"),
    }
    facts = {f.fact: f for f in planted.facts}
    for name in ("The talks end with or without a truce", "No summit", "Prisoners are exchanged"):
        assert facts[name].by_construction and facts[name].box_share == 1.0 and facts[name].flips == ()
    # the sign of exchange_value (0.5, no range, no prior) decides the exchange
    outside = facts["Prisoners are exchanged"].flipped_outside_ranges
    assert set(outside) == {"exchange_value"} and max(outside["exchange_value"]) < 0
    (finding,) = [f for f in planted.errors if "exchange_value" in f.names]
    assert finding.numbers["box_points"] == planted.box["points"] == 1 + 16 + 32


def test_the_facts_with_a_mechanism_are_not_by_construction(planted):
    facts = {f.fact: f for f in planted.facts}
    for name in ("Some proposals are refused", "Kyiv proposes"):
        assert not facts[name].by_construction and 0 < facts[name].box_share < 1
        assert facts[name].holds_at_default and facts[name].flips


def test_preconditions_that_never_bind_both_ways(planted):
    assert _kinds(planted, "hard_always_blocks") == {("Moscow", "summit.hold_summit")}
    assert _kinds(planted, "soft_never_met") == {("Kyiv", "offer.propose")}
    # Moscow's "prisoners first" binds both ways (after swap and after no_swap): not reported
    assert not _kinds(planted, "precondition_never_binds")
    (soft,) = planted.of_kind("soft_never_met")
    assert soft.numbers["met"] == 0 and soft.numbers["histories"] > 0


def test_precondition_histories_agree_with_the_compiler(planted):
    # the audit rebuilds where a precondition applies from the tree; the compiler records where
    # it blocked a move, and which moves each decision node offers
    compiled = parse_scenario(PLANTED).compile()
    (hard,) = planted.of_kind("hard_always_blocks")
    blocked = [h for h, why in compiled.blocked.items() if any(move == "hold_summit" for move, _ in why)]
    assert hard.numbers["histories"] == len(blocked) > 0
    game = compiled.game
    offers = {int(game.parent[h]) for h in range(1, game.num_nodes) if game.node_labels[h] == "propose"}
    (soft,) = planted.of_kind("soft_never_met")
    assert soft.numbers["histories"] == len(offers) > 0


def test_unplayed_moves_and_inert_types(planted):
    # the blocked summit is reported once, as a blocked move, not again as unplayed
    assert _kinds(planted, "unplayed_move") == {("Moscow", "exchange.no_swap")}
    assert _kinds(planted, "inert_type") == {("kyiv_mood", "Kyiv")}
    (inert,) = planted.of_kind("inert_type")
    assert inert.numbers["max_total_variation"] < 0.01


def test_hindsight_unless_calibrated(planted):
    assert _kinds(planted, "hindsight", "error") == {("war_gain", "exchange")}
    assert _kinds(planted, "hindsight", "note") == {("offer_cost", "offer")}
    (late,) = [f for f in planted.of_kind("hindsight") if f.severity == "error"]
    assert late.numbers == {"source_date": "2025-05-20", "decision_date": "2025-05-14", "stage": "exchange",
                            "days_after": 6}
    assert not planted.clean


def test_structural_facts_and_calibrated_sources_are_excused():
    text = PLANTED.replace('source = "Kremlin, 20 May 2025: the war goes on"',
                           'source = "Kremlin, 20 May 2025: the war goes on"\ncalibrated = "the May fighting"')
    for fact in ("The talks end with or without a truce", "No summit", "Prisoners are exchanged"):
        text = text.replace(f'fact = "{fact}"', f'fact = "{fact}"\nstructural = "kept on purpose"')
    report = audit(parse_scenario(text), checks={"box", "hindsight"}, box_samples=16)
    assert report.errors == ()
    assert {f.kind for f in report.findings} == {"by_construction", "hindsight"}
    assert all(f.severity == "note" and "kept on purpose" in f.message
               for f in report.findings if f.kind == "by_construction")


# ---------------------------------------------------------------------------- a clean scenario
def test_a_clean_scenario_has_no_findings(clean):
    assert clean.findings == () and clean.clean
    assert all(f.flips and f.prior_share is not None and not f.flippers_without_prior for f in clean.facts)
    assert clean.draws == 200 and clean.checks == CHECKS


def test_thresholds_match_the_closed_form(clean):
    # Kyiv proposes iff 2 P(accept) > offer_cost, P(accept) = (1 - q)[peace > 0] + q [peace > war]:
    # with the defaults (peace 1, war 2, q 1/2, cost 1/2) that is cost < 1, q < 3/4, peace > 0
    facts = {f.fact: f for f in clean.facts}
    proposes = {(x.parameter, round(x.value, 2), x.holds_below) for x in facts["Kyiv proposes"].flips}
    assert proposes == {("offer_cost", 1.0, True), ("q_hawk", 0.75, True), ("peace_value", 0.0, False)}
    refused = {(x.parameter, round(x.value, 2)) for x in facts["Some proposals are refused"].flips}
    # the hawk refuses while peace < war; nobody proposes to a Moscow that refuses anyway (peace < 0)
    assert refused == {("offer_cost", 1.0), ("q_hawk", 0.75), ("peace_value", 0.0), ("peace_value", 2.0),
                       ("war_gain", 1.0)}
    for flip in facts["Kyiv proposes"].flips:
        lo, hi = flip.bracket
        assert lo <= flip.value <= hi and hi - lo <= 1e-3 * 4


def test_prior_shares_match_the_closed_form(clean):
    scenario = parse_scenario(CLEAN)
    drawn = draw_parameters(scenario.negotiation, draws=200, seed=0)
    p, w, q, c = drawn["peace_value"], drawn["war_gain"], drawn["q_hawk"], drawn["offer_cost"]
    accept = (1 - q) * (p > 0) + q * (p > w)
    proposes = 2 * accept > c
    refused = proposes & (1 - accept >= 0.1)
    facts = {f.fact: f for f in clean.facts}
    assert facts["Kyiv proposes"].prior_share == pytest.approx(proposes.mean(), abs=0.011)
    assert facts["Some proposals are refused"].prior_share == pytest.approx(refused.mean(), abs=0.011)


def test_report_is_json_and_text(clean, planted):
    data = json.loads(json.dumps(planted.to_dict()))
    assert data["clean"] is False and data["errors"] == len(planted.errors) == 4
    kinds = {f["kind"] for f in data["findings"]}
    assert kinds <= set(FINDING_KINDS)
    assert all({"kind", "severity", "names", "numbers", "message"} == set(f) for f in data["findings"])
    text = planted.text()
    assert "ERROR    by_construction" in text and "Prisoners are exchanged" in text
    assert "Findings: none" in clean.text()


def test_the_same_seed_gives_the_same_report():
    a = audit(parse_scenario(CLEAN), checks={"box", "moves"}, box_samples=8, seed=3).to_dict()
    b = audit(parse_scenario(CLEAN), checks={"box", "moves"}, box_samples=8, seed=3).to_dict()
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_the_facts_alone_stop_after_the_first_chunk_when_every_fact_fails_somewhere():
    report = audit(parse_scenario(CLEAN), checks={"box"}, box_samples=512)
    assert report.box["points"] == 1 + 16 + 256 < 1 + 16 + 512
    report = audit(parse_scenario(CLEAN), checks={"box", "moves"}, box_samples=512)
    assert report.box["points"] == 1 + 16 + 512


def test_many_ranged_parameters_use_a_fold_over_design_for_the_corners():
    params = [Parameter(f"x{i}", 0.0, source="assumption", range=(-1.0, 1.0)) for i in range(12)]
    talks = Negotiation(
        title="twelve knobs",
        parameters=params,
        issues=[Issue("deal", [False, True])],
        agents=[Agent("A", payoff=" + ".join(f"x{i}" for i in range(12)) + " * deal")],
        stages=[Stage("choose", "A", [Move("yes", set={"deal": True}), Move("no")])],
        expectations=[Expectation("A deals", "deal", at_least=0.5)],
    )
    report = audit(talks, checks={"box"}, box_samples=4)
    assert report.box["corners"] == 32  # Hadamard of order 16, and its negative
    assert not report.facts[0].by_construction


def test_a_negotiation_without_parameters_is_all_by_construction():
    talks = Negotiation(
        title="no knobs",
        issues=[Issue("deal", [False, True])],
        agents=[Agent("A", payoff="deal")],
        stages=[Stage("choose", "A", [Move("yes", set={"deal": True}), Move("no")])],
        expectations=[Expectation("A deals", "deal", at_least=0.5)],
    )
    report = audit(talks, box_samples=4)
    assert _kinds(report, "by_construction", "error") == {("A deals",)}
    assert _kinds(report, "unplayed_move") == {("A", "choose.no")}
    assert report.box["points"] == 1


def test_bad_options_are_scenario_errors():
    scenario = parse_scenario(CLEAN)
    with pytest.raises(negsim.ScenarioError, match="unknown audit check"):
        audit(scenario, checks={"boxes"})
    with pytest.raises(negsim.ScenarioError, match="box_samples"):
        audit(scenario, box_samples=0)


# ---------------------------------------------------------------------------- scenario keys
def test_scenario_keys_for_the_audit():
    text = CLEAN.replace('source = "assumption"\n', 'source = "assumption"\nsource_date = "2025-05-20"\n', 1)
    text = text.replace('fact = "Kyiv proposes"', 'fact = "Kyiv proposes"\nstructural = "the premise of the game"')
    neg = parse_scenario(text).negotiation
    assert neg.parameter("peace_value").source_date == "2025-05-20"
    assert neg.parameter("peace_value").calibrated == ""
    assert neg.expectations[1].structural == "the premise of the game"
    # source_date overrides the (missing) dates of "assumption": peace_value informs Moscow's answer of 16 May
    report = audit(parse_scenario(text), checks={"hindsight"}, box_samples=1)
    assert _kinds(report, "hindsight", "error") == {("peace_value", "answer")}
    assert report.box["points"] == 1  # no box-wide check asked: only the default point is solved
    assert report.facts[1].holds_at_default and report.facts[1].by_construction is None


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('fact = "Kyiv proposes"', 'fact = "Kyiv proposes"\nstructural = " "', "expect[1].structural"),
        ('source = "assumption"\n', 'source = "assumption"\ncalibrated = ""\n', "parameters.peace_value.calibrated"),
        ('source = "assumption"\n', 'source = "assumption"\nsource_date = "20 May"\n',
         "parameters.peace_value.source_date"),
        ('source = "assumption"\n', 'source = "assumption"\ncalibrate = "x"\n', "did you mean 'calibrated'"),
    ],
)
def test_bad_scenario_keys_for_the_audit(old, new, fragment):
    with pytest.raises(negsim.ScenarioError) as info:
        parse_scenario(CLEAN.replace(old, new, 1), source="clean.toml")
    assert fragment in str(info.value) and str(info.value).startswith("clean.toml:")


def test_thresholds_and_box_use_the_declared_ranges(clean):
    assert clean.box["parameters"] == ["peace_value", "war_gain", "q_hawk", "offer_cost"]
    for fact in clean.facts:
        for flip in fact.flips:
            lo, hi = parse_scenario(CLEAN).negotiation.parameter(flip.parameter).range
            assert lo <= flip.bracket[0] < flip.bracket[1] <= hi


@settings(max_examples=12)
@given(st.floats(-5.0, 5.0), st.floats(0.05, 0.95), st.floats(0.5, 4.0))
def test_the_threshold_of_a_one_parameter_fact_is_where_it_flips(low, share, width):
    # one agent deals when x > c: the fact "deal" flips at x = c, failing below it
    c = low + share * width
    talks = Negotiation(
        title="one knob",
        parameters=[Parameter("x", low, source="assumption", range=(low, low + width)),
                    Parameter("c", c, source="assumption")],
        issues=[Issue("deal", [False, True])],
        agents=[Agent("A", payoff="(x - c) * deal")],
        stages=[Stage("choose", "A", [Move("yes", set={"deal": True}), Move("no")])],
        expectations=[Expectation("A deals", "deal", at_least=0.5)],
    )
    report = audit(talks, checks={"box", "flips"}, box_samples=4, grid_points=5, tol=1e-4)
    (flip,) = report.facts[0].flips
    assert flip.parameter == "x" and flip.holds_below is False
    assert flip.bracket[0] <= c <= flip.bracket[1] and flip.bracket[1] - flip.bracket[0] <= 1e-4 * width
    assert not report.facts[0].by_construction and 0 < report.facts[0].box_share < 1
