"""The protocol compiler: preconditions, stages, effects, chance, observation, size limit, batches."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negsim import ScenarioError
from negsim.games.extensive import CHANCE, DECISION, TERMINAL
from negsim.negotiation import (
    SKIPPED,
    Agent,
    Chance,
    CompiledNegotiation,
    Issue,
    Move,
    Negotiation,
    Parameter,
    Precondition,
    Stage,
    compile_negotiation,
)


def _terminal(compiled: CompiledNegotiation, **choices) -> int:
    """The index of the one terminal where every named stage/chance variable has the given value."""
    hits = [
        t
        for t in range(compiled.num_terminals)
        if all(compiled.terminal_values(name)[t] == value for name, value in choices.items())
    ]
    assert len(hits) == 1, (choices, hits)
    return hits[0]


def _node_after(game, *labels) -> int:
    """The node reached from the root along the given action labels."""
    node = 0
    for label in labels:
        actions = game.node_actions(node)
        node = int(game.children(node)[actions.index(label)])
    return node


def _ceasefire(precondition: Precondition | None = None, **changes) -> Negotiation:
    """Kyiv proposes a truce or demands withdrawal; Moscow accepts or refuses."""
    moscow = Agent("Moscow", payoff="1 + truce", preconditions=() if precondition is None else (precondition,))
    neg = Negotiation(
        title="truce",
        parameters=(Parameter("penalty", 1.5, source="assumption"), Parameter("war_cost", 2.0, source="assumption")),
        issues=(Issue("truce", [False, True]), Issue("withdrawal_demanded", [False, True])),
        agents=(Agent("Kyiv", payoff="4 * truce - war_cost * (not truce)"), moscow),
        stages=(
            Stage("offer", "Kyiv", [Move("propose"), Move("demand", set={"withdrawal_demanded": True})]),
            Stage("answer", "Moscow", [Move("accept", set={"truce": True}), Move("refuse")]),
        ),
    )
    return replace(neg, **changes)


# ---------------------------------------------------------------------------- preconditions
def test_without_preconditions_every_move_is_available():
    compiled = _ceasefire().compile()
    assert compiled.game.num_terminals == 4
    assert compiled.blocked == {}
    assert compiled.game.has_perfect_recall


def test_hard_precondition_removes_the_move_and_records_why():
    compiled = _ceasefire(Precondition("accept", "not withdrawal_demanded", kind="hard")).compile()
    game = compiled.game
    assert game.num_terminals == 3
    after_demand = _node_after(game, "demand")
    assert game.node_actions(after_demand) == ("refuse",)
    assert game.node_actions(_node_after(game, "propose")) == ("accept", "refuse")
    assert compiled.blocked == {after_demand: [("accept", "Moscow's precondition: not withdrawal_demanded")]}
    # payoffs at the three outcomes
    payoffs = game.payoffs
    np.testing.assert_allclose(payoffs[_terminal(compiled, offer="propose", answer="accept")], [4.0, 2.0])
    np.testing.assert_allclose(payoffs[_terminal(compiled, offer="propose", answer="refuse")], [-2.0, 1.0])
    np.testing.assert_allclose(payoffs[_terminal(compiled, offer="demand", answer="refuse")], [-2.0, 1.0])


def test_soft_precondition_costs_the_waiving_agent():
    compiled = _ceasefire(Precondition("accept", "not withdrawal_demanded", kind="soft", cost="penalty")).compile()
    game = compiled.game
    assert game.num_terminals == 4 and compiled.blocked == {}
    expected = {
        ("propose", "accept"): [4.0, 2.0],
        ("propose", "refuse"): [-2.0, 1.0],
        ("demand", "accept"): [4.0, 2.0 - 1.5],  # Moscow waives its precondition and pays 1.5
        ("demand", "refuse"): [-2.0, 1.0],
    }
    for (offer, answer), value in expected.items():
        np.testing.assert_allclose(game.payoffs[_terminal(compiled, offer=offer, answer=answer)], value)
    terms = compiled.payoff_term_values()
    waived = terms["Moscow"]["waived: not withdrawal_demanded"]
    t = _terminal(compiled, offer="demand", answer="accept")
    np.testing.assert_allclose(waived, np.where(np.arange(4) == t, -1.5, 0.0))
    assert set(terms["Kyiv"]) == {"payoff"}
    assert compiled.waivers[:, 0].tolist() == [1.0 if i == t else 0.0 for i in range(4)]
    # the cost is an expression over parameters
    other = compiled.payoffs({"penalty": 4.0})
    assert other[t, 1] == pytest.approx(2.0 - 4.0)


def test_soft_precondition_with_a_constant_cost_and_a_payoff_table():
    neg = _ceasefire(Precondition("accept", "not withdrawal_demanded", kind="soft", cost=0.25))
    neg = replace(neg, agents=(neg.agents[0], replace(neg.agents[1], payoff={"base": 1.0, "truce": "truce * 2"})))
    compiled = neg.compile()
    t = _terminal(compiled, offer="demand", answer="accept")
    assert compiled.game.payoffs[t, 1] == pytest.approx(1.0 + 2.0 - 0.25)
    terms = compiled.payoff_term_values()["Moscow"]
    assert set(terms) == {"base", "truce", "waived: not withdrawal_demanded"}
    np.testing.assert_allclose(sum(terms.values()), compiled.game.payoffs[:, 1])


def test_two_soft_preconditions_with_the_same_condition_both_cost():
    neg = Negotiation(
        title="twice",
        issues=[Issue("flag", [False, True])],
        agents=[
            Agent(
                "A",
                payoff="0",
                preconditions=[
                    Precondition("m1", "flag", kind="soft", cost=1.0),
                    Precondition("m2", "flag", kind="soft", cost=2.0),
                ],
            )
        ],
        stages=[Stage("s1", "A", [Move("m1"), Move("other1")]), Stage("s2", "A", [Move("m2"), Move("other2")])],
    )
    compiled = neg.compile()
    for s1, s2, value in [("m1", "m2", -3.0), ("m1", "other2", -1.0), ("other1", "m2", -2.0), ("other1", "other2", 0)]:
        assert compiled.game.payoffs[_terminal(compiled, s1=s1, s2=s2), 0] == pytest.approx(value)


def test_precondition_on_a_move_of_another_agent_is_refused():
    neg = _ceasefire()
    kyiv = replace(neg.agents[0], preconditions=(Precondition("accept", "truce"),))
    with pytest.raises(ScenarioError, match="its own moves") as info:
        replace(neg, agents=(kyiv, neg.agents[1])).compile()
    assert info.value.key == "agents[0].preconditions[0].move"


def test_precondition_names_stage_dot_move_when_ambiguous():
    neg = _ceasefire()
    stages = neg.stages + (Stage("again", "Moscow", [Move("accept"), Move("refuse")], when="not truce"),)
    ambiguous = replace(
        neg,
        stages=stages,
        agents=(
            neg.agents[0],
            replace(neg.agents[1], preconditions=(Precondition("accept", "not withdrawal_demanded"),)),
        ),
    )
    with pytest.raises(ScenarioError, match="write 'stage.move'"):
        ambiguous.compile()
    fixed = replace(
        ambiguous,
        agents=(
            neg.agents[0],
            replace(neg.agents[1], preconditions=(Precondition("answer.accept", "not withdrawal_demanded"),)),
        ),
    )
    compiled = fixed.compile()
    # blocked only at 'answer', still available at 'again'
    assert {move for notes in compiled.blocked.values() for move, _ in notes} == {"accept"}
    assert all(compiled.node_stage[h] == 1 for h in compiled.blocked)


# ---------------------------------------------------------------------------- protocol
def test_when_skips_stages():
    neg = _ceasefire()
    neg = replace(neg, stages=(neg.stages[0], replace(neg.stages[1], when="offer == 'propose'")))
    compiled = neg.compile()
    assert compiled.game.num_terminals == 3
    t = _terminal(compiled, offer="demand")
    assert compiled.terminal_values("answer")[t] == SKIPPED
    assert compiled.terminal_values("truce")[t] is False
    assert compiled.game.payoffs[t].tolist() == [-2.0, 1.0]


def test_move_when_is_a_protocol_condition():
    neg = _ceasefire()
    answer = Stage(
        "answer", "Moscow", [Move("accept", set={"truce": True}, when="not withdrawal_demanded"), Move("refuse")]
    )
    compiled = replace(neg, stages=(neg.stages[0], answer)).compile()
    node = _node_after(compiled.game, "demand")
    assert compiled.blocked == {node: [("accept", "protocol: not withdrawal_demanded")]}


def test_stage_is_skipped_when_every_move_is_blocked():
    neg = _ceasefire(Precondition("accept", "not withdrawal_demanded"))
    answer = Stage("answer", "Moscow", [Move("accept", set={"truce": True})])
    compiled = replace(neg, stages=(neg.stages[0], answer)).compile()
    assert compiled.game.num_terminals == 2
    node = _node_after(compiled.game, "demand")
    assert compiled.game.kind[node] == TERMINAL
    assert any("skipped" in note for note in compiled.notes[node])
    assert compiled.terminal_values("answer")[_terminal(compiled, offer="demand")] == SKIPPED


def test_end_ends_the_talks():
    neg = _ceasefire()
    offer = Stage("offer", "Kyiv", [Move("propose"), Move("walk_away", end=True, kind="walk_away")])
    third = Stage("again", "Kyiv", [Move("thank"), Move("leave")])
    compiled = replace(neg, stages=(offer, neg.stages[1], third)).compile()
    t = _terminal(compiled, offer="walk_away")
    assert compiled.terminal_values("answer")[t] == SKIPPED
    assert compiled.terminal_values("again")[t] == SKIPPED
    assert compiled.game.num_terminals == 1 + 2 * 2


def test_effects_set_issues_with_literals_and_expressions():
    neg = Negotiation(
        title="escalation",
        issues=[
            Issue("rounds", [0, 1, 2]),
            Issue("escalated", [False, True]),
            Issue("level", ["low", "mid", "high"], initial="mid"),
        ],
        agents=[Agent("A", payoff="rounds + 10 * escalated + (level == 'high')")],
        stages=[
            Stage("first", "A", [Move("hit", set={"rounds": "rounds + 1"}), Move("stop", set={"level": "low"})]),
            Stage("second", "A", [Move("hit", set={"rounds": "rounds + 1", "level": "high"}), Move("stay")]),
            Stage("third", "A", [Move("note", set={"escalated": "rounds >= 2"}), Move("set_two", set={"rounds": 2.0})]),
        ],
    )
    compiled = neg.compile()
    assert compiled.game.num_terminals == 8
    expect = {
        ("hit", "hit", "note"): (2, True, "high"),
        ("hit", "stay", "note"): (1, False, "mid"),
        ("stop", "hit", "note"): (1, False, "high"),
        ("stop", "stay", "set_two"): (2, False, "low"),
        ("hit", "hit", "set_two"): (2, False, "high"),
    }
    for (a, b, c), (rounds, escalated, level) in expect.items():
        t = _terminal(compiled, first=a, second=b, third=c)
        assert compiled.terminal_values("rounds")[t] == rounds
        assert compiled.terminal_values("escalated")[t] is escalated
        assert compiled.terminal_values("level")[t] == level
        assert compiled.game.payoffs[t, 0] == rounds + 10 * escalated + (level == "high")


def test_effect_outside_the_domain_is_refused():
    neg = Negotiation(
        title="overflow",
        issues=[Issue("rounds", [0, 1])],
        agents=[Agent("A", payoff="rounds")],
        stages=[
            Stage("first", "A", [Move("hit", set={"rounds": "rounds + 1"})]),
            Stage("second", "A", [Move("wait"), Move("hit", set={"rounds": "rounds + 1"})]),
        ],
    )
    with pytest.raises(ScenarioError, match="sets rounds to 2") as info:
        neg.compile()
    assert info.value.key == "stages[1].moves[1].set.rounds"


@pytest.mark.parametrize(
    "change, key, fragment",
    [
        (dict(stages=()), "stages", "the protocol is empty"),
        (dict(agents=()), "agents", "at least one agent"),
        (dict(stages=(Stage("offer", "Kyev", [Move("x")]),)), "stages[0].agent", "did you mean 'Kyiv'?"),
        (
            dict(stages=(Stage("offer", "Kyiv", [Move("x", set={"truse": True})]),)),
            "stages[0].moves[0].set",
            "unknown issue 'truse'",
        ),
        (dict(stages=(Stage("offer", "Kyiv", [Move("x")], when="truce + 1"),)), "stages[0].when", "arithmetic"),
        (
            dict(stages=(Stage("offer", "Kyiv", [Move("x")], observed_by=["Nobody"]),)),
            "stages[0].observed_by",
            "unknown agent 'Nobody'",
        ),
        (dict(stages=(Stage("truce", "Kyiv", [Move("x")]),)), "stages[0].name", "has the name of an issue"),
        (dict(stages=(Stage("offer", "Kyiv", [Move("x"), Move("x")]),)), "stages[0].moves[1].name", "used twice"),
        (dict(stages=(Stage("offer", "Kyiv", [Move(SKIPPED)]),)), "stages[0].moves", "reserved"),
        (
            dict(chance=(Chance("mood", {"a": 0.5, "b": 0.5}, after="ofer"),)),
            "chance[0].after",
            "did you mean 'offer'?",
        ),
        (dict(chance=(Chance("mood", {"a": "truce", "b": 0.5}),)), "chance[0].outcomes.a", "cannot be used here"),
        (dict(chance=(Chance("mood", {}),)), "chance[0].outcomes", "no outcomes"),
        (dict(parameters=(Parameter("truce", 1.0, source="assumption"),)), "parameters", "has the name of an issue"),
        (
            dict(parameters=(Parameter("war_cost", 1.0, source="x"), Parameter("war_cost", 2.0, source="x"))),
            "parameters[1].name",
            "used twice",
        ),
        (dict(issues=(Issue("truce", [False, True]), Issue("truce", [1, 2]))), "issues[1].name", "used twice"),
        (
            dict(issues=(Issue("truce", [False, True]), Issue("withdrawal_demanded", ["a", 1]))),
            "issues[1].values",
            "all strings",
        ),
        (
            dict(
                issues=(
                    Issue("truce", [False, True], initial=True),
                    Issue("withdrawal_demanded", [False, True], initial="yes"),
                )
            ),
            "issues[1].initial",
            "not a value",
        ),
        (dict(issues=(Issue("truce", [False, True]), Issue("if", [False, True]))), "issues[1].name", "reserved"),
    ],
)
def test_invalid_negotiations_are_refused_with_a_key(change, key, fragment):
    neg = replace(_ceasefire(), **change)
    with pytest.raises(ScenarioError) as info:
        neg.compile()
    assert info.value.key == key
    assert fragment in info.value.message


# ---------------------------------------------------------------------------- chance
def _with_mood(observed_by=("Moscow",), after=None, offer_observed_by="all") -> Negotiation:
    neg = _ceasefire(parameters=(Parameter("q", 0.3, source="assumption"), Parameter("war_cost", 2.0, source="x")))
    mood = Chance("mood", {"calm": "q", "angry": "1 - q"}, observed_by=observed_by, after=after)
    offer = replace(neg.stages[0], observed_by=offer_observed_by)
    return replace(neg, chance=(mood,), stages=(offer, neg.stages[1]))


def test_chance_probabilities_are_parameter_expressions():
    compiled = _with_mood().compile()
    game = compiled.game
    assert game.kind[0] == CHANCE
    assert [s.name for s in compiled.steps] == ["mood", "offer", "answer"]
    children = game.children(0)
    assert game.node_actions(0) == ("calm", "angry")
    np.testing.assert_allclose(game.chance_prob[children], [0.3, 0.7])
    other = compile_negotiation(_with_mood(), {"q": 0.9}).game
    np.testing.assert_allclose(other.chance_prob[children], [0.9, 0.1])
    np.testing.assert_allclose(compiled.chance_probabilities({"q": 0.25})[children], [0.25, 0.75])
    # every non-chance edge has probability 1
    mask = np.ones(game.num_nodes, bool)
    mask[children] = False
    assert np.all(game.chance_prob[mask] == 1.0)


def test_chance_after_a_stage():
    compiled = _with_mood(after="offer").compile()
    assert [s.name for s in compiled.steps] == ["offer", "mood", "answer"]
    game = compiled.game
    assert game.kind[0] == DECISION
    for offer in ("propose", "demand"):
        node = _node_after(game, offer)
        assert game.kind[node] == CHANCE
        np.testing.assert_allclose(game.chance_prob[game.children(node)], [0.3, 0.7])
    assert game.num_terminals == 8


def test_chance_when_skips_the_event():
    neg = _with_mood(after="offer")
    neg = replace(neg, chance=(replace(neg.chance[0], when="withdrawal_demanded"),))
    compiled = neg.compile()
    assert compiled.game.kind[_node_after(compiled.game, "propose")] == DECISION
    assert compiled.game.kind[_node_after(compiled.game, "demand")] == CHANCE
    t = _terminal(compiled, offer="propose", answer="accept")
    assert compiled.terminal_values("mood")[t] == SKIPPED


@pytest.mark.parametrize(
    "outcomes, fragment",
    [
        ({"calm": 0.5, "angry": 0.6}, "sum to 1.1"),
        ({"calm": -0.5, "angry": 1.5}, "negative"),
        ({"calm": "q / 0", "angry": 0.5}, "not finite"),
    ],
)
def test_invalid_chance_probabilities_are_refused(outcomes, fragment):
    neg = _with_mood()
    neg = replace(neg, chance=(replace(neg.chance[0], outcomes=outcomes),))
    with pytest.raises(ScenarioError, match=fragment) as info:
        neg.compile()
    assert info.value.key == "chance[0].outcomes"
    assert "'mood'" in info.value.message


# ---------------------------------------------------------------------------- observation
def _infosets_at(compiled: CompiledNegotiation, stage: str) -> dict[int, list[int]]:
    """{infoset: [nodes]} at the decision nodes of one stage."""
    index = [s.name for s in compiled.steps].index(stage)
    out: dict[int, list[int]] = {}
    for h in np.flatnonzero(compiled.node_stage == index):
        out.setdefault(int(compiled.game.infoset[h]), []).append(int(h))
    return out


def test_owner_sees_its_type_and_others_do_not():
    compiled = _with_mood(observed_by=("Moscow",)).compile()
    offer = _infosets_at(compiled, "offer")
    assert [len(v) for v in offer.values()] == [2]  # Kyiv does not see the mood: one infoset over both
    answer = _infosets_at(compiled, "answer")
    assert sorted(len(v) for v in answer.values()) == [1, 1, 1, 1]  # Moscow sees its mood and Kyiv's offer
    labels = {compiled.game.infosets.labels[i] for i in answer}
    assert "answer | mood=calm, offer=propose" in labels
    assert compiled.game.has_perfect_recall


def test_public_chance_is_seen_by_everyone():
    compiled = _with_mood(observed_by="all").compile()
    assert sorted(len(v) for v in _infosets_at(compiled, "offer").values()) == [1, 1]
    assert compiled.game.is_perfect_information


def test_unobserved_chance_gives_one_infoset_across_its_outcomes():
    compiled = _with_mood(observed_by=()).compile()
    assert sorted(len(v) for v in _infosets_at(compiled, "offer").values()) == [2]
    assert sorted(len(v) for v in _infosets_at(compiled, "answer").values()) == [2, 2]  # one per offer
    assert compiled.game.has_perfect_recall


def test_unobserved_move_gives_one_infoset_across_it():
    compiled = _with_mood(observed_by=("Moscow",), offer_observed_by=["Kyiv"]).compile()
    answer = _infosets_at(compiled, "answer")
    assert sorted(len(v) for v in answer.values()) == [2, 2]  # one per mood, across Kyiv's offer
    for nodes in answer.values():
        offers = {compiled.game.node_labels[h] for h in nodes}
        assert offers == {"propose", "demand"}
    assert compiled.game.has_perfect_recall
    # Kyiv always sees its own move, even when it lists no observers
    compiled = _with_mood(observed_by=(), offer_observed_by="none").compile()
    assert sorted(len(v) for v in _infosets_at(compiled, "answer").values()) == [4]
    again = replace(
        compiled.negotiation, stages=compiled.negotiation.stages + (Stage("again", "Kyiv", [Move("x"), Move("y")]),)
    )
    recompiled = again.compile()
    assert sorted(len(v) for v in _infosets_at(recompiled, "again").values()) == [2, 2, 2, 2]  # offer x answer


def test_availability_depending_on_hidden_information_keeps_perfect_recall():
    neg = Negotiation(
        title="hidden availability",
        agents=[Agent("A", payoff="1"), Agent("B", payoff="0")],
        chance=[Chance("coin", {"heads": 0.5, "tails": 0.5}, observed_by=["B"])],
        stages=[
            Stage("s1", "A", [Move("x"), Move("y", when="coin == 'heads'")]),
            Stage("s2", "A", [Move("u"), Move("v")]),
        ],
    )
    assert neg.compile().game.has_perfect_recall


# ---------------------------------------------------------------------------- size limit
def test_size_limit():
    neg = _with_mood()
    nodes = neg.compile().game.num_nodes
    assert replace(neg, max_nodes=nodes).compile().game.num_nodes == nodes
    with pytest.raises(ScenarioError, match=f"more than {nodes - 1:,} nodes") as info:
        replace(neg, max_nodes=nodes - 1).compile()
    assert info.value.key == "scenario.max_nodes"


def test_size_limit_stops_a_large_tree_early():
    stages = [Stage(f"s{i}", "A", [Move(f"m{j}") for j in range(10)]) for i in range(12)]  # 10**12 leaves
    neg = Negotiation(title="huge", agents=[Agent("A", payoff="0")], stages=stages, max_nodes=20_000)
    with pytest.raises(ScenarioError, match="more than 20,000 nodes"):
        neg.compile()


def test_a_long_protocol_compiles_without_recursion():
    # one path through 1,500 stages: deeper than Python's default recursion limit (1,000)
    stages = [Stage(f"s{i}", "A", [Move("go")]) for i in range(1500)]
    neg = Negotiation(title="long", agents=[Agent("A", payoff="1")], stages=stages)
    compiled = neg.compile()
    assert compiled.game.num_nodes == 1501 and compiled.num_terminals == 1
    assert compiled.terminal_values("s1499") == ["go"]


# ---------------------------------------------------------------------------- the compiled object
def test_compiled_negotiation_is_frozen():
    compiled = _ceasefire().compile()
    for name in ("game", "negotiation", "validated", "tree"):
        with pytest.raises(AttributeError):
            setattr(compiled, name, None)
    with pytest.raises(AttributeError):
        compiled.node_codes = np.zeros((1, 1))
    with pytest.raises(AttributeError):
        compiled.tree.parent = np.zeros(1)


def test_compiled_arrays_are_read_only():
    compiled = _ceasefire(Precondition("accept", "withdrawal_demanded", kind="soft", cost="penalty")).compile()
    for array in (compiled.node_codes, compiled.node_stage, compiled.waivers, compiled.terminal_codes["truce"]):
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0


def test_compiled_negotiation_exposes_its_parts():
    neg = _ceasefire(Precondition("accept", "withdrawal_demanded", kind="soft", cost="penalty"))
    compiled = neg.compile()
    assert compiled.validated.negotiation is neg and compiled.negotiation is neg
    assert compiled.steps == compiled.validated.steps == neg.stages
    assert compiled.tree.num_terminals == compiled.num_terminals == compiled.game.num_terminals
    assert compiled.tree.infosets.labels == compiled.game.infosets.labels
    # one information-set key per information set: (agent, stage, observations, moves offered)
    assert [key[:2] for key in compiled.tree.infoset_keys] == [(0, "offer"), (1, "answer"), (1, "answer")]
    moves = [("propose", "demand"), ("accept", "refuse"), ("accept", "refuse")]
    assert [key[3] for key in compiled.tree.infoset_keys] == moves
    assert compiled.validated.expectations == ()


# ---------------------------------------------------------------------------- batches
def _batch_model() -> Negotiation:
    neg = _with_mood()
    moscow = replace(
        neg.agents[1],
        payoff={"truce": "truce * (1 + q)", "war": "-war_cost / 2 * (not truce)"},
        preconditions=(Precondition("accept", "not withdrawal_demanded", kind="soft", cost="war_cost * q"),),
    )
    return replace(neg, agents=(neg.agents[0], moscow))


@given(
    values=st.lists(
        st.tuples(st.floats(0, 1, allow_subnormal=False), st.floats(-10, 10, allow_subnormal=False)),
        min_size=1,
        max_size=5,
    )
)
def test_batched_equals_looped(values):
    neg = _batch_model()
    compiled = neg.compile()
    q = np.array([v[0] for v in values])
    war = np.array([v[1] for v in values])
    batch = compiled.game_for({"q": q, "war_cost": war})
    assert batch.batch_size == len(values)
    assert batch.payoffs.shape == (len(values), compiled.num_terminals, 2)
    assert batch.chance_prob.shape == (len(values), compiled.game.num_nodes)
    np.testing.assert_allclose(compiled.payoffs({"q": q, "war_cost": war}), batch.payoffs)
    np.testing.assert_allclose(compiled.chance_probabilities({"q": q, "war_cost": war}), batch.chance_prob)
    for b, (qb, wb) in enumerate(values):
        single = neg.compile({"q": qb, "war_cost": wb}).game
        assert single.structurally_equal(batch)
        np.testing.assert_allclose(batch.payoffs[b], single.payoffs, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(batch.chance_prob[b], single.chance_prob, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(batch.batch_item(b).payoffs, single.payoffs, rtol=1e-12, atol=1e-12)


def test_batched_compile_and_a_scalar_mixed_with_an_array():
    neg = _batch_model()
    compiled = compile_negotiation(neg, {"q": [0.1, 0.6, 1.0], "war_cost": 3.0})
    assert compiled.game.batch_size == 3
    children = compiled.game.children(0)
    np.testing.assert_allclose(compiled.game.chance_prob[:, children], [[0.1, 0.9], [0.6, 0.4], [1.0, 0.0]])
    single = neg.compile({"q": 0.6, "war_cost": 3.0}).game
    np.testing.assert_allclose(compiled.game.payoffs[1], single.payoffs)


def test_batched_soft_cost_matches_the_formula():
    compiled = _batch_model().compile()
    q = np.array([0.0, 0.5, 1.0])
    payoffs = compiled.payoffs({"q": q, "war_cost": 2.0})
    for mood in ("calm", "angry"):
        t = _terminal(compiled, mood=mood, offer="demand", answer="accept")
        np.testing.assert_allclose(payoffs[:, t, 1], (1 + q) - 2.0 * q)
        t = _terminal(compiled, mood=mood, offer="propose", answer="refuse")
        np.testing.assert_allclose(payoffs[:, t, 1], np.full(3, -1.0))


@pytest.mark.parametrize(
    "parameters, fragment",
    [
        ({"q": [0.5, 1.2, 0.3]}, "negative"),
        ({"q": [0.5, -0.1]}, "negative"),
        ({"q": [0.5, np.nan]}, "finite"),
        ({"q": [[0.5, 0.5]]}, "one-dimensional"),
        ({"q": [0.5, 0.4], "war_cost": [1.0, 2.0, 3.0]}, "differ in length"),
        ({"qq": [0.5]}, "did you mean 'q'?"),
    ],
)
def test_invalid_batches_are_refused(parameters, fragment):
    compiled = _batch_model().compile()
    with pytest.raises(ScenarioError, match=fragment):
        compiled.game_for(parameters)
    with pytest.raises(ScenarioError, match=fragment):
        compile_negotiation(_batch_model(), parameters)


def test_batch_with_a_bad_sum_for_one_element_names_it():
    neg = _with_mood()
    neg = replace(neg, chance=(replace(neg.chance[0], outcomes={"calm": "q", "angry": 0.5}),))
    with pytest.raises(ScenarioError, match=r"sum to 1\.2, not 1") as info:
        neg.compile({"q": [0.5, 0.7, 0.5]})
    assert "'mood'" in info.value.message


def test_payoffs_that_are_not_finite_are_refused():
    neg = _ceasefire()
    neg = replace(neg, agents=(replace(neg.agents[0], payoff="1 / war_cost"), neg.agents[1]))
    assert neg.compile().game.payoffs[0, 0] == pytest.approx(0.5)
    with pytest.raises(ScenarioError, match="not finite") as info:
        neg.compile({"war_cost": 0.0})
    assert info.value.key == "agents[0].payoff"
    with pytest.raises(ScenarioError, match="not finite"):
        neg.compile().game_for({"war_cost": [1.0, 0.0]})


# ---------------------------------------------------------------------------- random protocols
CATEGORY = ("low", "mid", "high")


@st.composite
def protocols(draw, *, hidden_availability: bool = False):
    """Random small negotiations.

    Stage conditions and soft preconditions may use anything. Move conditions and hard
    preconditions use only what the mover observes (unless ``hidden_availability``).
    """
    agents = [f"A{i}" for i in range(draw(st.integers(1, 3)))]
    stage_names = [f"s{i}" for i in range(draw(st.integers(1, 4)))]
    chance_names = [f"c{i}" for i in range(draw(st.integers(0, 2)))]

    def observers(allow_all: bool = True):
        if allow_all and draw(st.booleans()):
            return "all"
        return tuple(draw(st.lists(st.sampled_from(agents), unique=True, max_size=len(agents))))

    chance_after = {c: draw(st.sampled_from([None, *stage_names])) for c in chance_names}
    chance = []
    chance_seen = {}
    for c in chance_names:
        k = draw(st.integers(2, 3))
        outcomes = {"o0": "q", "o1": "1 - q"} if k == 2 else {"o0": 0.2, "o1": 0.3, "o2": 0.5}
        obs = observers()
        chance_seen[c] = (set(agents) if obs == "all" else set(obs), tuple(outcomes))
        chance.append(Chance(c, outcomes, observed_by=obs, after=chance_after[c]))
    # the order of steps, to know what a stage's conditions may refer to
    order = [c for c in chance_names if chance_after[c] is None]
    for s in stage_names:
        order += [s] + [c for c in chance_names if chance_after[c] == s]
    stages, seen_by, moves_of, preconditions = [], {}, {}, {a: [] for a in agents}
    for s in stage_names:
        agent = draw(st.sampled_from(agents))
        obs = observers()
        seen_by[s] = (set(agents) if obs == "all" else set(obs)) | {agent}
        earlier = order[: order.index(s)]
        visible = [v for v in earlier if agent in (seen_by[v] if v in seen_by else chance_seen[v][0])]

        def values(v):
            return ("skipped", *moves_of[v]) if v in moves_of else ("skipped", *chance_seen[v][1])

        def condition(pool, *, issues: bool):
            options = [f"{v} {op} '{value}'" for v in pool for value in values(v) for op in ("==", "!=")]
            if issues:
                options += ["flag", "not flag", "level >= 'mid'", "level == 'low'"]
            return draw(st.sampled_from(options)) if options else None

        n_moves = draw(st.integers(1, 3))
        names = [f"m{j}" for j in range(n_moves)]
        moves_of[s] = names
        moves = []
        for j, name in enumerate(names):
            effects = {}
            if draw(st.booleans()):
                effects["flag"] = draw(st.booleans())
            if draw(st.booleans()):
                effects["level"] = draw(st.sampled_from(CATEGORY))
            when = None
            if j > 0 and draw(st.integers(0, 3)) == 0:
                when = condition(earlier if hidden_availability else visible, issues=hidden_availability)
            end = j > 0 and draw(st.integers(0, 5)) == 0
            moves.append(Move(name, set=effects, when=when, end=end))
            if j > 0 and draw(st.integers(0, 3)) == 0:
                hard = condition(earlier if hidden_availability else visible, issues=hidden_availability)
                if hard is not None:
                    preconditions[agent].append(Precondition(f"{s}.{name}", hard, kind="hard"))
            if draw(st.integers(0, 3)) == 0:
                soft = condition(earlier, issues=True)
                preconditions[agent].append(Precondition(f"{s}.{name}", soft, kind="soft", cost="cost"))
        when = condition(earlier, issues=True) if draw(st.integers(0, 3)) == 0 else None
        stages.append(Stage(s, agent, moves, when=when, observed_by=obs))
    payoffs = ["flag - (level == 'high')", "2 * (level != 'low') + cost", "0.5", "-flag * cost"]
    return Negotiation(
        title="random",
        parameters=[Parameter("q", 0.4, source="assumption"), Parameter("cost", 0.7, source="assumption")],
        issues=[Issue("flag", [False, True]), Issue("level", CATEGORY)],
        agents=[Agent(a, payoff=draw(st.sampled_from(payoffs)), preconditions=preconditions[a]) for a in agents],
        stages=stages,
        chance=chance,
    )


def _observations(compiled: CompiledNegotiation, node: int, agent: int) -> tuple:
    """What ``agent`` has observed on the path to ``node``, from the documented rules."""
    game = compiled.game
    names = compiled.negotiation.agent_names
    seen = []
    path = game.path(node)
    for parent, child in zip(path[:-1], path[1:], strict=True):
        step = compiled.steps[int(compiled.node_stage[parent])]
        label = game.node_actions(parent)[int(game.action[child])]
        if isinstance(step, Stage):
            listed = step.observed_by
            if listed == "all":
                watchers = set(names)
            elif listed in ("", "none"):
                watchers = set()
            else:
                watchers = {listed} if isinstance(listed, str) else set(listed)
            watchers.add(step.agent)
        else:
            listed = step.observed_by
            watchers = set(names) if listed == "all" else ({listed} if isinstance(listed, str) else set(listed))
        if names[agent] in watchers:
            seen.append((step.name, label))
        if isinstance(step, Stage) and step.agent == names[agent]:
            # a mover remembers which moves it was offered (documented in the compiler)
            seen.append(("offered: " + step.name, game.node_actions(parent)))
    return tuple(seen)


def _check_infosets_follow_observations(compiled: CompiledNegotiation) -> None:
    game = compiled.game
    keys: dict[tuple, int] = {}
    for h in np.flatnonzero(game.kind == DECISION):
        agent = int(game.player[h])
        key = (agent, int(compiled.node_stage[h]), _observations(compiled, int(h), agent), game.node_actions(int(h)))
        infoset = int(game.infoset[h])
        # same observations (and moves) <=> same information set
        assert keys.setdefault(key, infoset) == infoset
    assert len(set(keys.values())) == len(keys)


@settings(max_examples=30)
@given(neg=protocols())
def test_random_protocols_have_perfect_recall(neg):
    compiled = neg.compile()
    game = compiled.game
    assert game.has_perfect_recall, game._recall_violation
    assert game.num_terminals == compiled.num_terminals
    _check_infosets_follow_observations(compiled)
    # chance probabilities sum to 1 at every chance node
    for h in np.flatnonzero(game.kind == CHANCE):
        assert game.chance_prob[game.children(h)].sum() == pytest.approx(1.0)
    # everything public: perfect information
    public = all(s.observed_by == "all" for s in neg.stages) and all(c.observed_by == "all" for c in neg.chance)
    if public:
        assert game.is_perfect_information


@settings(max_examples=30)
@given(neg=protocols(hidden_availability=True))
def test_random_protocols_information_sets_follow_observations(neg):
    compiled = neg.compile()
    _check_infosets_follow_observations(compiled)
    assert compiled.game.payoffs.shape == (compiled.num_terminals, len(neg.agents))
