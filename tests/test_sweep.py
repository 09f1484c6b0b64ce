"""Sweeps, Monte Carlo, thresholds, derivatives and executors on the Istanbul scenario."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim import ScenarioError
from negsim.analysis import derivatives, draw_parameters, monte_carlo, solve_game, sweep, threshold
from negsim.analysis.batch import solve_batch
from negsim.scenarios import load_scenario

ONE_SHOT = Path(__file__).parent / "data" / "istanbul_2025_one_shot.toml"  # the one-shot model of 16 May, a fixture
REJECT = "Russia rejects the unconditional ceasefire"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ONE_SHOT)


@pytest.fixture(scope="module")
def compiled(scenario):
    return scenario.compile()


def test_sweep_grid_shape_and_known_corners(scenario):
    result = sweep(scenario, {"secondary_tariff": [1.0, 5.0], "us_resolve_prior": [0.25, 0.9]})
    assert result.shape == (2, 2) and result.draws == 4
    np.testing.assert_allclose(result.parameters["secondary_tariff"], [1, 1, 5, 5])
    np.testing.assert_allclose(result.parameters["us_resolve_prior"], [0.25, 0.9, 0.25, 0.9])
    # only a credible (r = 0.9) 500% threat makes Russia accept
    np.testing.assert_allclose(result.facts[REJECT], [1, 1, 1, 0], atol=1e-9)
    assert result.certified.all()
    probs = result.outcome_probabilities
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_monte_carlo_is_reproducible_and_certified(scenario):
    a = monte_carlo(scenario, draws=120, seed=11)
    b = monte_carlo(scenario, draws=120, seed=11)
    c = monte_carlo(scenario, draws=120, seed=12)
    for name in a.parameters:
        np.testing.assert_array_equal(a.parameters[name], b.parameters[name])
    assert not np.array_equal(a.parameters["q_maximal"], c.parameters["q_maximal"])
    np.testing.assert_array_equal(a.most_likely_outcome(), b.most_likely_outcome())
    assert a.certified.all() and a.nash_conv.max() <= 1e-9
    summary = a.summary()
    assert sum(v["probability"] for v in summary.values()) == pytest.approx(1.0)
    assert all(v["standard_error"] >= 0 for v in summary.values())
    data = a.to_dict()
    assert {"draws", "seconds", "outcomes", "parameters"} <= set(data) and data["draws"] == 120


def test_batched_equals_loop_of_single_solves(scenario, compiled):
    result = monte_carlo(scenario, draws=40, seed=3)
    for b in range(0, 40, 4):
        params = {k: float(v[b]) for k, v in result.parameters.items()}
        single = solve_game(compiled.game_for(params), scenario.solver)
        reach = single.profile.node_reach()[single.game.terminals]
        np.testing.assert_allclose(reach, result.terminal_reach[b], atol=1e-9)
        np.testing.assert_allclose(single.values, result.values[b], atol=1e-9)


def test_reuse_and_plain_batched_cfr_agree(compiled):
    rng = np.random.default_rng(0)
    game = compiled.game_for({"secondary_tariff": rng.uniform(0.5, 5, 24), "us_resolve_prior": rng.uniform(0, 1, 24)})
    reuse = solve_batch(game, {"iterations": 1000, "tremble": 1e-3}, strategy="reuse")
    plain = solve_batch(game, {"iterations": 1000, "tremble": 1e-3})
    assert reuse.info["reused"] > 0
    for p in range(game.num_players):
        np.testing.assert_allclose(reuse.profile.probabilities[p], plain.profile.probabilities[p], atol=1e-9)


def test_priors_follow_their_distributions(scenario):
    draws = draw_parameters(
        scenario.negotiation,
        {
            "q_maximal": {"dist": "beta", "a": 2.0, "b": 2.0},
            "secondary_tariff": {"dist": "uniform", "low": 1.0, "high": 3.0},
            "ru_war_limited": {"dist": "normal", "mean": 2.0, "sd": 0.5, "low": 1.0, "high": 3.0},
            "ru_war_maximal": {"dist": "triangular", "low": 2.0, "mode": 3.0, "high": 6.0},
        },
        draws=20_000,
        seed=1,
    )
    assert draws["q_maximal"].mean() == pytest.approx(0.5, abs=0.01)
    assert draws["secondary_tariff"].min() >= 1.0 and draws["secondary_tariff"].max() <= 3.0
    assert 1.0 <= draws["ru_war_limited"].min() and draws["ru_war_limited"].max() <= 3.0
    assert draws["ru_war_maximal"].mean() == pytest.approx((2 + 3 + 6) / 3, abs=0.03)
    with pytest.raises(negsim.ScenarioError):
        draw_parameters(scenario.negotiation, {"q_maximal": {"dist": "cauchy"}}, draws=3)
    with pytest.raises(negsim.ScenarioError, match="did you mean"):
        draw_parameters(scenario.negotiation, {"q_maximl": {"dist": "uniform", "low": 0, "high": 1}}, draws=3)


def test_threshold_by_bisection_agrees_with_a_fine_grid(scenario):
    found = threshold(
        scenario, "secondary_tariff", (0.0, 12.0), condition="ceasefire == '30-day'",
        given="russia_aims == 'limited'", fixed={"us_resolve_prior": 0.9}, tol=1e-3,
    )
    assert found.bracket[1] - found.bracket[0] <= 1e-3
    assert found.below < 0.5 <= found.above
    grid = np.linspace(0.0, 12.0, 1201)  # steps of 0.01
    fine = sweep(scenario, {"secondary_tariff": grid, "us_resolve_prior": [0.9]})
    accepts = fine.probability("ceasefire == '30-day'", given="russia_aims == 'limited'") >= 0.5
    first = grid[np.argmax(accepts)]
    assert abs(first - found.value) <= 0.011
    # closed form of the unperturbed model: the limited type accepts once
    # r * tariff > war + anchoring - EU bite - (ceasefire value - precondition cost) = 2.422;
    # the tremble (0.001) moves the solved threshold by O(tremble)
    assert found.value == pytest.approx(2.422 / 0.9, abs=0.02)


def test_threshold_errors(scenario):
    with pytest.raises(negsim.ScenarioError, match="declared range is"):
        threshold(scenario, "secondary_tariff", (0.0, 1.0), condition="ceasefire == '30-day'")
    with pytest.raises(negsim.ScenarioError):
        threshold(scenario, "secondary_tariff", (0.0, 1.0))
    with pytest.raises(negsim.ScenarioError):
        threshold(scenario, "secondary_tariff", (0.0, 1.0), fact="no such fact")


def test_derivatives_hold_the_equilibrium_fixed(scenario):
    d = derivatives(scenario, ["bite_per_tariff", "ua_prisoner_value"])
    # Russia pays bite_per_tariff * tariff (1) when the US is resolved (0.25)
    assert d["bite_per_tariff"][1] == pytest.approx(-0.25, abs=1e-6)
    assert d["ua_prisoner_value"][0] == pytest.approx(1.0, abs=1e-6)
    # at the threshold the equilibrium changes within the step: not defined
    at = {"secondary_tariff": 2.422 / 0.9, "us_resolve_prior": 0.9}
    d2 = derivatives(scenario, ["secondary_tariff"], at=at, step=1e-2)
    assert np.all(np.isnan(d2["secondary_tariff"]))


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_executors_give_the_same_result(scenario, kind):
    plain = monte_carlo(scenario, draws=60, seed=7)
    pool = ThreadPoolExecutor(2) if kind == "threads" else ProcessPoolExecutor(2)
    with pool:
        split = monte_carlo(scenario, draws=60, seed=7, executor=pool, chunks=3)
    assert split.info["chunks"] == 3
    np.testing.assert_array_equal(plain.most_likely_outcome(), split.most_likely_outcome())
    np.testing.assert_allclose(plain.values, split.values, atol=1e-12)


def test_dask_distributed_executor_on_a_local_cluster(scenario):
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        result = monte_carlo(scenario, draws=40, seed=2, executor=client.get_executor(), chunks=2)
    finally:
        client.close()
        cluster.close()
    local = monte_carlo(scenario, draws=40, seed=2)
    np.testing.assert_array_equal(local.most_likely_outcome(), result.most_likely_outcome())


def test_sweep_errors(scenario):
    with pytest.raises(negsim.ScenarioError):
        sweep(scenario, {})
    with pytest.raises(negsim.ScenarioError, match="did you mean"):
        sweep(scenario, {"secondary_tarif": [1.0]})
    with pytest.raises(negsim.ScenarioError):
        sweep(scenario, {"secondary_tariff": [float("nan")]})


def test_chunked_sweep_equals_one_chunk_and_keeps_summaries_only(scenario, monkeypatch):
    from negsim.analysis import _sweep as module

    whole = monte_carlo(scenario, draws=40, seed=3)
    chunked = monte_carlo(scenario, draws=40, seed=3, chunk_bytes=1)  # one setting per chunk
    assert chunked.info["chunks"] == 40 and whole.info["chunks"] == 1
    np.testing.assert_allclose(chunked.values, whole.values, atol=1e-9)
    np.testing.assert_allclose(chunked.outcome_probabilities, whole.outcome_probabilities, atol=1e-9)
    for fact, probs in whole.facts.items():
        np.testing.assert_allclose(chunked.facts[fact], probs, atol=1e-9)
    monkeypatch.setattr(module, "KEEP_REACH_ENTRIES", 0)  # a batch too large to keep terminal reach
    light = monte_carlo(scenario, draws=5, seed=3)
    assert light.terminal_reach is None and light.summary()
    with pytest.raises(negsim.ScenarioError, match="does not keep"):
        light.probability("true")


def interrupt_the_third_chunk(monkeypatch) -> None:
    """Make the third chunk's solve raise KeyboardInterrupt, as Ctrl-C would."""
    from negsim.analysis import _sweep as module

    calls = []
    real = module.solve_batch

    def interrupt_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "solve_batch", interrupt_third)


def test_an_interrupted_sweep_returns_the_finished_chunks(scenario, monkeypatch):
    interrupt_the_third_chunk(monkeypatch)
    result = monte_carlo(scenario, draws=10, seed=1, chunk_bytes=1)
    assert result.info["interrupted"] and result.info["requested"] == 10 and result.draws == 2
    assert result.values.shape[0] == result.outcome_probabilities.shape[0] == 2
    from negsim.analysis import _sweep as module

    monkeypatch.setattr(module, "solve_batch", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # nothing finished: nothing to show
        monte_carlo(scenario, draws=3, seed=1)


def test_empty_settings_are_refused(compiled):
    from negsim.analysis import solve_settings

    with pytest.raises(negsim.ScenarioError, match="empty"):
        solve_settings(compiled, {"secondary_tariff": np.array([])})


def test_condition_summary_is_the_mean_over_the_draws_where_the_given_happens():
    result = monte_carlo(load_scenario("istanbul-2025"), draws=30, seed=4)
    condition, given = "ceasefire == 'unconditional'", "russia_aims == 'limited'"
    per_draw = np.asarray(result.probability(condition, given), float)
    defined = per_draw[~np.isnan(per_draw)]
    summary = result.condition_summary(condition, given)
    assert summary["draws_defined"] == defined.size
    assert summary["probability"] == pytest.approx(defined.mean())
    assert summary["standard_error"] == pytest.approx(np.std(defined, ddof=1) / np.sqrt(defined.size))
    never = result.condition_summary("true", "false")
    assert np.isnan(never["probability"]) and never["draws_defined"] == 0 and never["standard_error"] == 0.0


def test_priors_that_can_draw_outside_a_declared_range_are_refused_before_solving():
    # a draw outside [0, 1] would make a probability negative and fail the whole batch
    scenario = load_scenario("istanbul-2025")
    with pytest.raises(ScenarioError, match=r"priors\.q_maximal: the prior draws from \[-inf, inf\].*\[0, 1\]"):
        monte_carlo(scenario, {"q_maximal": {"dist": "normal", "mean": 0.5, "sd": 3.0}}, draws=5, seed=1)
    truncated = {"q_maximal": {"dist": "normal", "mean": 0.5, "sd": 3.0, "low": 0.0, "high": 1.0}}
    draws = draw_parameters(scenario.negotiation, truncated, draws=200, seed=1)["q_maximal"]
    assert draws.min() >= 0.0 and draws.max() <= 1.0
