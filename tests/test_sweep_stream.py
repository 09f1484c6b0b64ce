"""A Monte Carlo kept as statistics (``keep="summary"``): the same answers as every draw kept, in bounded memory."""

from __future__ import annotations

import json
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from negsim import ScenarioError
from negsim.analysis import MonteCarloSummary, draw_parameters, monte_carlo, sweep
from negsim.analysis._moments import Moments
from negsim.analysis._priors import DRAW_BLOCK, PriorDraws
from negsim.scenarios import load_scenario
from tests.test_cli import _run

ONE_SHOT = Path(__file__).parent / "data" / "istanbul_2025_one_shot.toml"  # cheap draws (one stage)
LIMITED = ("ceasefire == 'unconditional'", "russia_aims == 'limited'")
NONE = ("ceasefire == 'none'", None)
ACCEPTS = ("ceasefire == '30-day'", "russia_aims == 'limited'")


@pytest.fixture(scope="module")
def istanbul():
    return load_scenario("istanbul-2025").compile()


@pytest.fixture(scope="module")
def one_shot():
    return load_scenario(ONE_SHOT).compile()


@pytest.fixture(scope="module")
def both_modes(istanbul):
    """40 draws of istanbul-2025 kept draw by draw, and summarized in many chunks on two threads."""
    draws = monte_carlo(istanbul, draws=40, seed=5)
    with ThreadPoolExecutor(2) as pool:
        summary = monte_carlo(istanbul, draws=40, seed=5, keep="summary", conditions=[LIMITED, NONE],
                              executor=pool, chunk_bytes=2**20)  # 6 draws a chunk
    return draws, summary


def _assert_same(a, b, where=""):
    """Equal keys, equal numbers to 1e-12 relative (1e-15 absolute for numbers that are rounding)."""
    if isinstance(a, dict):
        assert list(a) == list(b) or set(a) == set(b), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-15, nan_ok=True), where
    else:
        assert a == b, where


def test_summary_mode_answers_as_draws_mode_on_the_same_seed(both_modes):
    draws, summary = both_modes
    assert isinstance(summary, MonteCarloSummary) and summary.info["chunks"] > 4 and draws.info["chunks"] == 1
    assert summary.draws == draws.draws == 40 and not summary.is_grid and summary.agents == draws.agents
    a, b = draws.to_dict(), summary.to_dict()
    assert list(a) == list(b)
    for key in ("seconds", "info"):
        a.pop(key), b.pop(key)
    _assert_same(a, b)
    _assert_same(draws.summary(), summary.summary())
    for condition in (LIMITED, NONE):
        _assert_same(draws.condition_summary(*condition), summary.condition_summary(*condition))
    _assert_same(draws.issue_probabilities(), summary.issue_probabilities())
    _assert_same(draws.parameter_ranges(), summary.parameter_ranges())
    assert summary.certified_share == pytest.approx(draws.certified_share, rel=1e-12)
    assert summary.max_nash_conv == draws.max_nash_conv


def test_a_condition_not_asked_for_is_refused(both_modes):
    _, summary = both_modes
    with pytest.raises(ScenarioError, match="conditions=.*monte_carlo"):
        summary.condition_summary("ceasefire == 'package'")
    with pytest.raises(ScenarioError):  # asked for without a given, not with one
        summary.condition_summary("ceasefire == 'none'", "russia_aims == 'limited'")


def test_the_summary_holds_no_array_as_long_as_the_draws(one_shot):
    submitted, returned = [], []

    class Recording(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            submitted.append(args)
            future = super().submit(fn, *args, **kwargs)
            future.add_done_callback(lambda f: returned.append(f.result()))
            return future

    draws = 37
    with Recording(2) as pool:
        result = monte_carlo(one_shot, draws=draws, seed=2, keep="summary", executor=pool, chunks=5,
                             conditions=[ACCEPTS])

    def arrays(value):
        if isinstance(value, np.ndarray):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from arrays(v)
        elif isinstance(value, tuple | list):
            for v in value:
                yield from arrays(v)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                yield from arrays(getattr(value, name))

    columns = len(result.columns)
    assert columns != draws and len(submitted) == 5
    # the workers get ranges of draws to make, and send back one number per column
    for args in submitted:
        assert isinstance(args[1][0], PriorDraws) and not list(arrays(args[1:]))
    for part in returned:
        assert {a.size for a in arrays(part)} == {columns}
    assert {a.size for a in arrays(result)} == {columns}


def test_merging_chunk_statistics_keeps_memory_flat():
    columns = 200
    chunk = np.random.default_rng(0).random((50, columns))

    def peak(chunks: int) -> int:
        tracemalloc.start()
        merged = Moments.of(chunk)
        for _ in range(chunks - 1):
            merged = merged.merge(Moments.of(chunk))  # each chunk arrives, is merged and dropped
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert merged.count[0] == 50 * chunks
        return top

    few, many = peak(4), peak(400)
    assert many - few < 16 * columns * 8, (few, many)  # a few arrays of one number per column, not per row


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 60), columns=st.integers(1, 5), seed=st.integers(0, 2**32 - 1),
    cuts=st.lists(st.floats(0, 1), max_size=6), holes=st.floats(0, 0.4), offset=st.sampled_from([0.0, 1e6]),
)
def test_chan_merge_equals_numpy_over_random_splits(rows, columns, seed, cuts, holes, offset):
    rng = np.random.default_rng(seed)
    data = offset + rng.normal(size=(rows, columns)) * rng.uniform(0.01, 10, columns)
    data[rng.random(data.shape) < holes] = np.nan  # undefined values are left out of their column only
    bounds = sorted({0, rows, *(int(c * rows) for c in cuts)})
    parts = [Moments.of(data[lo:hi]) for lo, hi in zip(bounds, bounds[1:], strict=False)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    count = np.isfinite(data).sum(axis=0)
    np.testing.assert_array_equal(merged.count, count)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own warnings on columns without values
        mean, var = np.nanmean(data, axis=0), np.nanvar(data, axis=0, ddof=1)
    np.testing.assert_allclose(merged.mean, mean, rtol=1e-12, atol=1e-12 * max(offset, 1.0))
    seen = count > 1
    np.testing.assert_allclose(merged.variance()[seen], var[seen], rtol=1e-7)
    np.testing.assert_array_equal(merged.minimum[count > 0], np.nanmin(data[:, count > 0], axis=0))
    np.testing.assert_array_equal(merged.maximum[count > 0], np.nanmax(data[:, count > 0], axis=0))
    assert np.all(np.isnan(merged.mean[count == 0])) and np.all(merged.standard_error()[~seen] == 0.0)


def test_chan_merge_keeps_the_variance_where_sums_of_squares_cancel():
    # 1e9 + (4, 7, 13, 16): variance 30 exactly; sum(x**2) - n * mean**2 loses it in float64
    x = 1e9 + np.array([4.0, 7.0, 13.0, 16.0])
    merged = Moments.of(x[:1, None])
    for k in range(1, 4):
        merged = merged.merge(Moments.of(x[k:k + 1, None]))
    assert merged.variance()[0] == pytest.approx(30.0, rel=1e-9)
    naive = ((x**2).sum() - 4 * x.mean() ** 2) / 3
    assert abs(naive - 30.0) > 1.0  # what the merge avoids


# ---------------------------------------------------------------------------- the draws
PRIORS = {"eu_bite": {"dist": "uniform", "low": 0.1, "high": 1.5}, "q_maximal": {"dist": "beta", "a": 6.0, "b": 4.0},
          "ru_war_limited": {"dist": "normal", "mean": 3.0, "sd": 1.0, "low": 1.0, "high": 5.0}}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(few=st.integers(1, 3 * DRAW_BLOCK), more=st.integers(0, DRAW_BLOCK + 7), seed=st.integers(0, 2**63))
def test_draws_are_prefix_consistent(istanbul, few, more, seed):
    small = draw_parameters(istanbul.negotiation, PRIORS, draws=few, seed=seed)
    large = draw_parameters(istanbul.negotiation, PRIORS, draws=few + more, seed=seed)
    assert list(small) == sorted(PRIORS)
    for name in PRIORS:
        np.testing.assert_array_equal(large[name][:few], small[name])


def test_each_block_is_one_spawned_stream_of_the_seed(istanbul):
    drawn = draw_parameters(istanbul.negotiation, PRIORS, draws=2 * DRAW_BLOCK + 3, seed=42)
    for k in range(3):
        rng = np.random.default_rng(np.random.SeedSequence(42).spawn(3)[k])
        bite = stats.uniform(0.1, 1.4).rvs(DRAW_BLOCK, random_state=rng)  # eu_bite first: names sorted
        got = drawn["eu_bite"][k * DRAW_BLOCK:(k + 1) * DRAW_BLOCK]
        np.testing.assert_array_equal(got, bite[:got.size])


def test_draws_do_not_depend_on_the_chunks(one_shot):
    whole = monte_carlo(one_shot, draws=30, seed=9)
    chunked = monte_carlo(one_shot, draws=30, seed=9, chunk_bytes=1)  # one draw per chunk
    assert chunked.info["chunks"] == 30
    for name, values in whole.parameters.items():
        np.testing.assert_array_equal(chunked.parameters[name], values)
    drawn = draw_parameters(one_shot.negotiation, draws=30, seed=9)
    for name, values in drawn.items():
        np.testing.assert_array_equal(whole.parameters[name], values)
    summary = monte_carlo(one_shot, draws=30, seed=9, keep="summary", chunk_bytes=1)
    ranges = summary.parameter_ranges()
    assert ranges == {k: (float(v.min()), float(v.max())) for k, v in drawn.items()}


def test_an_unseeded_run_records_its_entropy(one_shot):
    first = monte_carlo(one_shot, draws=3, keep="summary")
    again = monte_carlo(one_shot, draws=3, seed=first.info["entropy"], keep="summary")
    assert first.info["seed"] is None and first.parameter_ranges() == again.parameter_ranges()
    with pytest.raises(ScenarioError, match="non-negative"):
        draw_parameters(one_shot.negotiation, draws=3, seed=-1)


# ---------------------------------------------------------------------------- modes and interruptions
def test_modes_are_checked(one_shot):
    with pytest.raises(ScenarioError, match="grid"):
        sweep(one_shot, {"secondary_tariff": [1.0, 2.0]}, keep="summary")
    with pytest.raises(ScenarioError, match="keep='summary'"):
        monte_carlo(one_shot, draws=2, seed=1, conditions=[ACCEPTS])
    with pytest.raises(ScenarioError, match="keep"):
        monte_carlo(one_shot, draws=2, seed=1, keep="everything")
    with pytest.raises(ScenarioError):  # a mistyped condition fails before any solving
        monte_carlo(one_shot, draws=2, seed=1, keep="summary", conditions=[("ceasefire == ", None)])


def test_an_interrupted_summary_keeps_the_finished_chunks(one_shot, monkeypatch):
    from tests.test_sweep import interrupt_the_third_chunk

    interrupt_the_third_chunk(monkeypatch)
    result = monte_carlo(one_shot, draws=10, seed=1, chunk_bytes=1, keep="summary", conditions=[ACCEPTS])
    assert result.info["interrupted"] and result.info["requested"] == 10 and result.draws == 2
    assert result.to_dict()["draws"] == 2 and result.condition_summary(*ACCEPTS)["draws_defined"] <= 2


# ---------------------------------------------------------------------------- the command line
def test_cli_condition_over_draws_beyond_the_kept_terminal_probabilities(capsys, monkeypatch, one_shot):
    from negsim.analysis import _sweep as module

    monkeypatch.setattr(module, "KEEP_REACH_ENTRIES", 0)  # as if the draws were too many to keep per terminal
    argv = ["sweep", str(ONE_SHOT), "--draws", "12", "--seed", "4", "--condition", ACCEPTS[0], "--given", ACCEPTS[1]]
    status, out, err = _run(capsys, *argv, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["draws"] == 12 and data["interrupted"] is False
    monkeypatch.undo()
    kept = monte_carlo(one_shot, draws=12, seed=4)
    expected = {"condition": ACCEPTS[0], "given": ACCEPTS[1], **kept.condition_summary(*ACCEPTS)}
    _assert_same(expected, data["condition"])
    _assert_same({k: v for k, v in kept.to_dict().items() if k not in ("seconds", "info")},
                 {k: v for k, v in data.items() if k not in ("seconds", "info", "interrupted", "condition")})
    monkeypatch.setattr(module, "KEEP_REACH_ENTRIES", 0)
    status, out, _ = _run(capsys, *argv)
    assert status == 0 and "Outcome probabilities" in out and f"P({ACCEPTS[0]} | {ACCEPTS[1]}) = " in out
    status, _, err = _run(capsys, *argv, "--csv")  # one row per draw keeps every draw, and so its limit
    assert status == 2 and "does not keep" in err


def _negotiations_held() -> int:
    import gc

    from negsim.negotiation.model import Negotiation

    gc.collect()
    return sum(isinstance(o, Negotiation) for o in gc.get_objects())


def test_a_dask_cluster_summarizes_as_one_process(one_shot):
    distributed = pytest.importorskip("dask.distributed")
    local = monte_carlo(one_shot, draws=24, seed=6, keep="summary", conditions=[ACCEPTS])
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    held = {}
    try:
        with distributed.Client(cluster) as client:
            spread = {}
            for name, executor in (("executor", client.get_executor()), ("client", client)):
                before = _negotiations_held()
                spread[name] = monte_carlo(one_shot, draws=24, seed=6, keep="summary", conditions=[ACCEPTS],
                                           executor=executor, chunks=6)
                held[name] = _negotiations_held() - before
    finally:
        cluster.close()
    assert local.info["chunks"] == 1
    for result in spread.values():
        assert result.info["chunks"] == 6
        _assert_same({k: v for k, v in local.to_dict().items() if k not in ("seconds", "info")},
                     {k: v for k, v in result.to_dict().items() if k not in ("seconds", "info")})
        _assert_same(local.condition_summary(*ACCEPTS), result.condition_summary(*ACCEPTS))
    # the scheduler runs in this process: dask's message log keeps every chunk's arguments, so
    # through the executor the negotiation stays here once per chunk; the Client itself sends it once
    assert held["executor"] >= 6 and held["client"] <= 1, held


def test_the_outcome_chart_draws_a_summary_as_the_draws(both_modes):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from negsim.plot import plot_outcomes

    draws, summary = both_modes
    bars = [[p.get_width() for p in plot_outcomes(r, top=4).axes[0].patches] for r in (draws, summary)]
    np.testing.assert_allclose(bars[0], bars[1], rtol=1e-12)
    plt.close("all")
