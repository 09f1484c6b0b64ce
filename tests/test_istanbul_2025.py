"""The linked game of the 2025 talks (scenarios/istanbul_2025.toml): properties a referee checks.

- With no tariff on the table, nothing is imposed.
- More pressure on Russia (a likelier resolved US, sanctions or tariffs that bite harder, a
  higher tariff rate) never makes the unconditional ceasefire less likely, anywhere in the
  declared box of parameter ranges.
- Scaling one agent's payoffs by a positive constant changes no equilibrium outcome.
- Beliefs follow Bayes' rule: where Russia's types act differently, the others' posteriors
  move; where they pool, the posteriors are the priors.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negsim.analysis import explain, solve_game
from negsim.analysis.sweep import solve_settings
from negsim.cli import main
from negsim.scenarios import load_scenario

SCENARIO = load_scenario("istanbul-2025")
RANGED = [p for p in SCENARIO.negotiation.parameters if p.range is not None]
PRESSURE = ["us_resolve_prior", "eu_bite", "tariff_bite", "tariff_rate"]
CEASEFIRE = "ceasefire == 'unconditional'"


def _terminal_distribution(values: dict[str, float] | None = None, scale: tuple[int, float] | None = None):
    scenario = SCENARIO.with_values(values or {})
    compiled = scenario.compile()
    game = compiled.game
    if scale is not None:
        agent, factor = scale
        payoffs = game.payoffs.copy()
        payoffs[:, agent] *= factor
        game = game.with_batch(payoffs=payoffs[None]).batch_item(0)
    solution = solve_game(game, scenario.solver)
    return solution.profile.node_reach()[game.terminals]


def test_no_tariff_on_the_table_means_no_tariff_imposed(capsys):
    status = main(["run", "istanbul-2025", "--set", "tariff_rate=0", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert out["outcome_distribution"]["tariff"] == {"none": pytest.approx(1.0)}
    assert not any(step["stage"] == "us_tariffs" and step["move"] != "hold_off" for step in out["path"])


def test_at_the_defaults_the_tariffs_are_a_first_step(capsys):
    # the control for the test above: the same run with the rate on the table imposes something
    main(["run", "istanbul-2025", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["outcome_distribution"]["tariff"] == {"step": pytest.approx(1.0)}


@settings(max_examples=6)
@given(
    st.lists(st.lists(st.floats(0, 1), min_size=len(RANGED), max_size=len(RANGED)), min_size=4, max_size=4),
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=4, max_size=4),
)
def test_more_pressure_never_makes_the_ceasefire_less_likely(bases, steps):
    # every base setting of the box, and for each a pair of values of one pressure
    # parameter; all settings solved in one batch
    params: dict[str, list[float]] = {p.name: [] for p in RANGED}
    for unit, (a, b) in zip(bases, steps, strict=True):
        base = {p.name: p.range[0] + u * (p.range[1] - p.range[0]) for p, u in zip(RANGED, unit, strict=True)}
        for name in PRESSURE:
            lo, hi = SCENARIO.negotiation.parameter(name).range
            for u in sorted((a, b)):
                for p in RANGED:
                    params[p.name].append(lo + u * (hi - lo) if p.name == name else base[p.name])
    result = solve_settings(SCENARIO, {k: np.array(v) for k, v in params.items()})
    p = result.probability(CEASEFIRE).reshape(len(bases), len(PRESSURE), 2)
    # 0.02: the batched solutions are certified equilibria or CFR+ ones with NashConv <= 1e-2
    assert np.all(p[..., 1] >= p[..., 0] - 0.02), p


@pytest.mark.parametrize("agent", range(4))
@pytest.mark.parametrize("factor", [0.01, 250.0])
def test_scaling_one_agents_payoffs_changes_no_outcome(agent, factor):
    np.testing.assert_allclose(_terminal_distribution(scale=(agent, factor)), _terminal_distribution(), atol=1e-6)


def _belief(story, stage: str, about: str):
    report = next(st for st in story.stages if st.stage == stage)
    return next(b for b in report.beliefs if b.about == about)


def test_pooling_types_leave_the_prior_unchanged():
    compiled = SCENARIO.compile()
    story = explain(compiled, solve_game(compiled.game, SCENARIO.solver))
    prior = SCENARIO.negotiation.parameter("q_maximal").value
    belief = _belief(story, "us_tariffs", "russia_aims")
    assert len(belief.cases) == 1
    assert belief.cases[0][1]["maximal"] == pytest.approx(prior, abs=1e-6)


def test_separating_types_are_learned_by_bayes_rule():
    # with little to gain from fighting on, the limited type saves its exchange on 16 May for a
    # ceasefire it means to take in July, so the exchange itself tells the others its type
    scenario = SCENARIO.with_values({"ru_war_limited": 1.5})
    compiled = scenario.compile()
    story = explain(compiled, solve_game(compiled.game, scenario.solver))
    may = next(st for st in story.stages if st.stage == "russia_may")
    by_type = {m.move: m.by_type for m in may.moves if m.probability > 0.01}
    assert set(by_type) == {"refuse", "refuse_exchange"}
    belief = _belief(story, "eu_package", "russia_aims")
    posteriors = sorted(round(post["limited"], 6) for _, post in belief.cases)
    assert posteriors == [0.0, 1.0]
    shares = {round(post["limited"]): w for w, post in belief.cases}
    assert shares[1] == pytest.approx(1 - scenario.negotiation.parameter("q_maximal").value, abs=1e-6)
