"""The canonical models: the R package's reference fits on war1800, and parameter recovery."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import negsim.estimate as est
from negsim.errors import NegsimError
from negsim.estimate.trees import egame12_tree, egame122_tree, egame123_tree
from tests.estimate_sim import simulate_model

FORMULAS = ["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"]

# /work/shared/data/README.md: the R package games 1.1.2 (R 4.2.2), maximum likelihood
REFERENCE = {
    "probit": (
        -286.123755,
        [-0.495446, -0.740015, 0.427240, 0.221907, -1.902235, -0.584105, 0.499088, -0.041972, -1.543614, -0.616827],
        [0.598726, 0.279665, 0.263804, 1.217046, 0.664447, 0.549914, 0.441376, 0.568738, 0.452642, 0.320831],
    ),
    "logit": (
        -286.182794,
        [-0.845824, -1.188171, 0.679146, 0.254877, -3.084929, -0.957587, 0.761180, -0.007975, -2.505189, -0.978759],
        [0.974749, 0.454274, 0.429410, 1.970204, 1.088226, 0.899153, 0.713177, 0.904885, 0.766166, 0.517272],
    ),
}


def test_shipped_data_is_the_shared_copy():
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "war1800.csv"
    if not shared.exists():
        pytest.skip("shared/ is not beside the repository")
    shipped = Path(est.__file__).parent / "data" / "war1800.csv"
    assert shipped.read_bytes() == shared.read_bytes()


@pytest.mark.parametrize("link", ["probit", "logit"])
def test_war1800_matches_the_r_package(link):
    labels = est.load_war1800()["outcome"].to_numpy()
    fit = est.egame12(FORMULAS, data=est.load_war1800(), outcome=labels, link=link, error="agent")
    llf, coef, se = REFERENCE[link]
    assert fit.nobs == 282
    assert fit.llf == pytest.approx(llf, abs=1e-4)
    np.testing.assert_allclose(fit.params.to_numpy(), coef, atol=1e-4)
    np.testing.assert_allclose(fit.bse.to_numpy(), se, rtol=2e-3)
    assert list(fit.params.index[:4]) == ["u11:Intercept", "u11:s_wt_re1", "u11:revis1", "u14:Intercept"]
    assert fit.aic == pytest.approx(-2 * fit.llf + 2 * 10)
    assert "u24:balanc" in fit.summary().as_text()


def test_bad_input_is_named():
    df = est.load_war1800()
    with pytest.raises(NegsimError, match="expected 4 formulas"):
        est.egame12(FORMULAS[:3], data=df, outcome="outcome")
    with pytest.raises(NegsimError, match="nosuch"):
        est.egame12(["nosuch", "0", "1", "1"], data=df, outcome="outcome")
    with pytest.raises(NegsimError, match="peace"):
        est.egame12(FORMULAS, data=df, outcome=np.where(df["esc"] == 1, "war", "peace"))


def _coverage(tree, truth, link, error, reps, n, seed):
    game, cells = tree()
    rng = np.random.default_rng(seed)
    hits = total = 0
    for _ in range(reps):
        model, theta = simulate_model(game, cells, truth, n, rng, link=link, error=error)
        fit = model.fit()
        assert fit.mle_retvals["converged"]
        # the maximum is at least as likely as the truth
        assert fit.llf >= model.loglike(theta) - 1e-8
        lo, hi = np.asarray(fit.conf_int(alpha=0.05)).T
        hits += int(np.sum((lo <= theta) & (theta <= hi)))
        total += theta.size
    return hits / total, total


# utilities fixed at 0 (None) where a constant in all of a player's utilities would not be
# identified (Lewis & Schultz 2003)
CASES = [
    (egame12_tree, [[0.5, 1.0], None, [-1.0, 0.5], [0.3, 1.0]]),
    (egame122_tree, [None, [0.5, 1.0], [-0.3, 1.0], None, [0.4, 1.0], [-0.6, 0.8]]),
    (egame123_tree, [[0.2, 1.0], None, [0.5], None, [0.3, 1.0], None, [-0.2], [0.4, 1.0]]),
]


@pytest.mark.parametrize("tree,truth", CASES, ids=["egame12", "egame122", "egame123"])
@pytest.mark.parametrize(
    "link,error", [("probit", "agent"), ("logit", "agent"), ("probit", "private"), ("logit", "private")]
)
def test_confidence_intervals_cover_at_the_nominal_rate(tree, truth, link, error):
    rate, total = _coverage(tree, truth, link, error, reps=12, n=600, seed=7)
    # 95% intervals; a binomial tolerance of 3.5 standard errors on the pooled rate
    assert abs(rate - 0.95) <= 3.5 * np.sqrt(0.95 * 0.05 / total) + 0.01, rate


def test_chance_tree_recovery():
    from tests.test_estimate_likelihood import chance_tree

    game, cells = chance_tree()
    # player 1's utilities at two of the three terminals it reaches with player 2's "l"
    truth = [[0.4, 1.0], [0.2], None, [-0.3, 1.0], None, [0.5]]
    rate, total = _coverage(lambda: (game, cells), truth, "logit", "agent", reps=10, n=800, seed=11)
    assert abs(rate - 0.95) <= 3.5 * np.sqrt(0.95 * 0.05 / total) + 0.01, rate


def test_strategic_model_on_a_dataframe_with_paths():
    game, _ = egame12_tree()
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x": rng.normal(size=300)})
    df["y"] = rng.choice(["sq", "esc/capit", "esc/war"], size=300)
    model = est.strategic_model(game, {("sq", "1"): "x", ("war", "2"): "1"}, df, "y", link="logit")
    fit = model.fit()
    assert fit.mle_retvals["converged"]
    assert fit.params.index.tolist() == ["u[sq,1]:Intercept", "u[sq,1]:x", "u[war,2]:Intercept"]
