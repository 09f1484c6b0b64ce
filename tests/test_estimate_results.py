"""Results of a strategic fit: predictions, profile, bootstrap, warnings, and the benchmark script."""

import numpy as np
import pandas as pd
import pytest

import negsim.estimate as est
from negsim.errors import NegsimWarning

FORMULAS = ["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"]


@pytest.fixture(scope="module")
def fit():
    return est.egame12(FORMULAS, data=est.load_war1800(), outcome="outcome")


def test_predictions_are_probabilities_of_the_sample(fit):
    probs = fit.predict_outcomes()
    assert list(probs.columns) == ["sq", "capit", "war"]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    new = fit.predict_outcomes(est.load_war1800().dropna(subset=["regime1", "regime2"]))
    np.testing.assert_allclose(new.to_numpy(), probs.to_numpy())


def test_profile_peaks_at_the_estimate(fit):
    value = fit.params["u24:balanc"]
    prof = fit.profile("u24:balanc", [value - 0.5, value, value + 0.5])
    assert prof[1] == pytest.approx(fit.llf, abs=1e-6)
    assert prof[0] < prof[1] and prof[2] < prof[1]


def test_bootstrap_batch_agrees_with_separate_fits(fit):
    from negsim.estimate.bootstrap import bootstrap_fits
    from negsim.estimate.formulas import Design
    from negsim.estimate.model import StrategicModel

    model = fit.model
    reps = bootstrap_fits(model, fit.params.to_numpy(), 6, seed=3)
    n = model.exog.shape[0]
    weights = np.random.default_rng(3).multinomial(n, np.full(n, 1.0 / n), size=6)
    d = model.design
    for w, rep in zip(weights, reps, strict=True):
        if np.isnan(rep).any():
            continue
        rows = np.repeat(np.arange(n), w)
        resampled = Design(d.exog[rows], d.names, d.blocks, d.utilities, d.specs, np.ones(len(rows), bool))
        alone = StrategicModel(model.likelihood, resampled, model.observed[rows])
        alone = alone.fit(start_params=fit.params.to_numpy())
        np.testing.assert_allclose(rep, alone.params, rtol=2e-4, atol=1e-4)


def test_non_identified_model_warns():
    df = est.load_war1800()
    with pytest.warns(NegsimWarning, match="not identified"):
        est.egame12(["1", "1", "1", "1"], data=df, outcome="outcome")


def test_benchmark_script_runs_tiny():
    from benchmarks.bench_estimate import main

    out = main(["--replicates", "4", "--loop", "1", "--repeats", "1"])
    assert out["llf"] == pytest.approx(-286.123755, abs=1e-4)
    assert out["replicates"] == 4


def test_observed_paths_give_the_same_fit_as_labels():
    df = est.load_war1800()
    paths = df["outcome"].map({"sq": "sq", "capit": "esc/capit", "war": "esc/war"})
    a = est.egame12(FORMULAS, data=df, outcome="outcome")
    b = est.egame12(FORMULAS, data=df.assign(path=paths), outcome="path")
    assert a.llf == pytest.approx(b.llf, abs=1e-9)
    assert isinstance(b.params, pd.Series)
