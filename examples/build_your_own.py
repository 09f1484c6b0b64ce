"""Build your own negotiation in Python, without a scenario file.
==============================================================

Three agents: a Mediator proposes a truce; the Attacker, whose cost of war is private
(high or low), accepts or rejects; if it rejects, the Sponsor of the defender decides
whether to impose sanctions, which it only does if they are cheap enough for it.

The example shows the pieces of negsim's negotiation layer: parameters with sources,
issues, agents with payoff terms and preconditions (a soft one, with a cost), stages of
moves, a chance event seen by one agent only, and stylized facts. Run it with
``python examples/build_your_own.py``.
"""

from negsim.analysis import check, explain, narrative_text, solve_game
from negsim.negotiation import (
    Agent,
    Chance,
    Expectation,
    Issue,
    Move,
    Negotiation,
    Parameter,
    Precondition,
    Stage,
)

talks = Negotiation(
    title="A mediated truce under the threat of sanctions",
    parameters=[
        Parameter("p_high_cost", 0.3, source="assumption", description="Prior that war is costly for the Attacker"),
        Parameter("war_gain", 2.0, source="assumption"),
        Parameter("high_cost", 3.0, source="assumption"),
        Parameter("sanction_bite", 1.0, source="assumption"),
        Parameter("sanction_cost", 0.4, source="assumption"),
        Parameter(
            "face_cost", 0.5, source="assumption", description="Cost to the Attacker of a truce it did not ask for"
        ),
    ],
    issues=[
        Issue("truce", [False, True]),
        Issue("sanctions", [False, True]),
    ],
    agents=[
        Agent("Mediator", payoff={"truce": "2 * truce"}),
        Agent(
            "Attacker",
            payoff={
                "war": "(war_gain - high_cost * (war_cost == 'high')) * (not truce)",
                "sanctions": "-sanction_bite * sanctions",
            },
            # accepting a truce the Attacker did not propose costs it face: a soft precondition
            preconditions=[Precondition(move="accept", condition="truce", kind="soft", cost="face_cost")],
        ),
        Agent("Sponsor", payoff={"truce": "1 * truce", "sanctions": "(0.5 - sanction_cost) * sanctions"}),
    ],
    chance=[Chance("war_cost", {"high": "p_high_cost", "low": "1 - p_high_cost"}, observed_by=["Attacker"])],
    stages=[
        Stage("proposal", "Mediator", [Move("propose_truce", kind="propose", label="propose a truce")]),
        Stage(
            "answer",
            "Attacker",
            [
                Move("accept", set={"truce": True}, kind="accept", label="accept the truce", end=True),
                Move("reject", kind="reject", label="reject the truce"),
            ],
        ),
        Stage(
            "response",
            "Sponsor",
            [
                Move("sanction", set={"sanctions": True}, kind="impose", label="impose sanctions"),
                Move("hold", kind="wait", label="hold off"),
            ],
        ),
    ],
    expectations=[
        Expectation(
            "Only the Attacker with a high cost of war accepts",
            "truce == (war_cost == 'high')",
            at_least=0.99,
            counterfactual={"high_cost": 1.0},
        ),
        Expectation(
            "The Sponsor sanctions after a rejection",
            "truce or sanctions",
            at_least=0.99,
            counterfactual={"sanction_cost": 0.8},
        ),
    ],
)

compiled = talks.compile()
print(compiled.game, "\n")
solution = solve_game(compiled.game)
print(narrative_text(explain(compiled, solution)))
print()
for result in check(compiled, solution, counterfactuals=True):
    flipped = "fails under its counterfactual" if result.fails_under_counterfactual else "does NOT flip"
    print(f"{'holds' if result.holds else 'FAILS'}: {result.fact} (P = {result.probability:.2f}; {flipped})")
