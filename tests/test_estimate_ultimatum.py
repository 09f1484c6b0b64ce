"""The statistical ultimatum game: the likelihood against numerical integration, recovery, errors."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize
from scipy.special import expit

import negsim.estimate as est
from negsim.errors import NegsimError
from negsim.estimate.formulas import design_matrices
from negsim.estimate.ultimatum_model import UltimatumModel

Q = 10.0


def _model(offer, accepted, *, r1, r2, s1, s2):
    """A one-observation model whose parameters are (R1, R2, log s1, log s2) themselves."""
    df = pd.DataFrame({"offer": [offer], "accept": [accepted]})
    design = design_matrices(["1", "1"], ["R1", "R2"], df)
    model = UltimatumModel(design, np.array([offer]), np.array([accepted]), max_offer=Q)
    return model, np.array([r1, r2, np.log(s1), np.log(s2)])


def _best_offer(shock, r1, r2, s2):
    """Player 1's best offer found by maximizing its expected utility numerically (no closed form)."""

    def loss(y):
        accept = expit((y - r2) / s2)
        return -(accept * (Q - y) + (1.0 - accept) * (r1 + shock))

    return optimize.minimize_scalar(loss, bounds=(0.0, Q), method="bounded", options={"xatol": 1e-11}).x


@pytest.mark.parametrize("accepted", [1, 0])
def test_interior_likelihood_is_the_integral_over_player_1s_shock(accepted):
    r1, r2, s1, s2 = 1.5, 3.0, 0.8, 1.3
    y0, h = 4.0, 1e-3
    model, theta = _model(y0, accepted, r1=r1, r2=r2, s1=s1, s2=s2)
    # the shocks for which the numerically best offer is y0 - h and y0 + h (it falls with the shock)
    lo, hi = (
        optimize.brentq(lambda e, t=t: _best_offer(e, r1, r2, s2) - t, -30, 30, xtol=1e-12) for t in (y0 + h, y0 - h)
    )
    density = lambda e: expit(e / s1) * expit(-e / s1) / s1  # noqa: E731 - logistic density, scale s1

    def integrand(e):
        p = expit((_best_offer(e, r1, r2, s2) - r2) / s2)
        return density(e) * (p if accepted else 1.0 - p)

    window = integrate.quad(integrand, lo, hi, epsabs=0, epsrel=1e-7)[0]
    assert np.exp(model.loglike(theta)) == pytest.approx(window / (2 * h), rel=1e-5)


def test_mass_at_the_lowest_offer_is_the_integral_over_the_shocks_that_make_it_best():
    r1, r2, s1, s2 = 6.0, 2.0, 1.2, 0.7
    model, theta = _model(0.0, 1, r1=r1, r2=r2, s1=s1, s2=s2)

    def slope_at_zero(e, d=1e-6):  # player 1's expected utility rises from the lowest offer unless e is high
        eu = lambda y: expit((y - r2) / s2) * (Q - y) + (1 - expit((y - r2) / s2)) * (r1 + e)  # noqa: E731
        return (eu(d) - eu(0.0)) / d

    threshold = optimize.brentq(slope_at_zero, -30, 30, xtol=1e-12)
    mass = integrate.quad(lambda e: expit(e / s1) * expit(-e / s1) / s1, threshold, np.inf)[0]
    accept = expit((0.0 - r2) / s2)
    assert np.exp(model.loglike(theta)) == pytest.approx(mass * accept, rel=1e-4)


def test_offer_distribution_integrates_to_one():
    r1, r2, s1, s2 = 4.0, 3.0, 1.0, 1.0
    low, _ = _model(0.0, 1, r1=r1, r2=r2, s1=s1, s2=s2)
    high, theta = _model(Q, 1, r1=r1, r2=r2, s1=s1, s2=s2)
    low.accepted = high.accepted = None

    def density(y):
        m, t = _model(y, 1, r1=r1, r2=r2, s1=s1, s2=s2)
        m.accepted = None
        return np.exp(m.loglike(t))

    inside = integrate.quad(density, 0.0, Q, limit=200)[0]
    total = inside + np.exp(low.loglike(theta)) + np.exp(high.loglike(theta))
    assert total == pytest.approx(1.0, abs=1e-8)


def _simulate(n, rng, beta1=(4.0, 0.5), beta2=(3.0, 1.0), s1=1.0, s2=1.0):
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    r1 = beta1[0] + beta1[1] * x1
    r2 = beta2[0] + beta2[1] * x2
    y = est.ultimatum_offers(r1, r2, rng.logistic(scale=s1, size=n), max_offer=Q, s2=s2)
    accept = (y > r2 + rng.logistic(scale=s2, size=n)).astype(int)
    truth = np.array([*beta1, *beta2, np.log(s1), np.log(s2)])
    return pd.DataFrame({"x1": x1, "x2": x2, "offer": y, "accept": accept}), truth


def test_parameters_are_recovered_at_the_nominal_rate():
    rng = np.random.default_rng(20260512)
    covered, total, at_bounds = 0, 0, 0
    for _ in range(40):
        df, truth = _simulate(300, rng)
        at_bounds += int(((df["offer"] == 0) | (df["offer"] == Q)).sum())
        fit = est.ultimatum(["x1", "x2"], data=df, max_offer=Q)
        assert fit.mle_retvals["converged"]
        assert fit.llf >= fit.model.loglike(truth) - 1e-9
        ci = fit.conf_int(0.05).to_numpy()
        covered += int(np.sum((ci[:, 0] <= truth) & (truth <= ci[:, 1])))
        total += truth.size
    assert at_bounds > 40  # the mass points are exercised
    # 240 intervals: 95% coverage gives 228 +- 7 (binomial sd 3.4)
    assert 0.90 <= covered / total <= 0.99


def test_fixed_scales_and_offers_only():
    df, truth = _simulate(400, np.random.default_rng(3))
    fit = est.ultimatum(["x1", "x2"], data=df, max_offer=Q, s1=1.0, s2=1.0)
    assert list(fit.params.index) == ["R1:Intercept", "R1:x1", "R2:Intercept", "R2:x2"]
    assert np.all(np.abs(fit.params.to_numpy() - truth[:4]) < 4 * fit.bse.to_numpy())
    offers_only = est.ultimatum(["x1", "x2"], data=df.drop(columns="accept"), accept=None, max_offer=Q, outcome="offer")
    assert offers_only.nobs == 400 and offers_only.llf > fit.llf  # no acceptance term in the likelihood


def test_score_is_the_derivative_of_the_likelihood():
    df, truth = _simulate(200, np.random.default_rng(4))
    fit = est.ultimatum(["x1", "x2"], data=df, max_offer=Q)
    model, theta = fit.model, truth + 0.2
    step = 1e-6
    numeric = [(model.loglike(theta + step * e) - model.loglike(theta - step * e)) / (2 * step) for e in np.eye(6)]
    np.testing.assert_allclose(model.score(theta), numeric, rtol=1e-5, atol=1e-5)


def test_predictions_match_simulation():
    df, _ = _simulate(300, np.random.default_rng(5))
    fit = est.ultimatum(["x1", "x2"], data=df, max_offer=Q)
    new = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.5, -1.0]})
    predicted = fit.predict_outcomes(new)
    b = fit.params.to_numpy()
    rng = np.random.default_rng(6)
    n = 400_000
    for i, row in new.iterrows():
        r1, r2 = b[0] + b[1] * row.x1, b[2] + b[3] * row.x2
        s1, s2 = np.exp(b[4]), np.exp(b[5])
        y = est.ultimatum_offers(r1, r2, rng.logistic(scale=s1, size=n), max_offer=Q, s2=s2)
        accept = y > r2 + rng.logistic(scale=s2, size=n)
        assert predicted.loc[i, "E(offer)"] == pytest.approx(y.mean(), abs=4 * y.std() / np.sqrt(n))
        assert predicted.loc[i, "Pr(accept)"] == pytest.approx(accept.mean(), abs=0.004)


def test_bootstrap_runs_as_one_batch():
    df, _ = _simulate(300, np.random.default_rng(7))
    fit = est.ultimatum(["x1", "x2"], data=df, max_offer=Q)
    reps = fit.bootstrap(200, seed=1)
    assert reps.shape == (200, 6)
    ratio = np.nanstd(reps, axis=0, ddof=1) / fit.bse.to_numpy()
    assert np.all((ratio > 0.7) & (ratio < 1.4))


def test_bad_input_is_named():
    df, _ = _simulate(50, np.random.default_rng(8))
    with pytest.raises(NegsimError, match="not numbers in"):
        est.ultimatum(["1", "1"], data=df.assign(offer=df["offer"] + Q), max_offer=Q)
    with pytest.raises(NegsimError, match="0 \\(rejected\\) or 1"):
        est.ultimatum(["1", "1"], data=df.assign(accept=2), max_offer=Q)
    with pytest.raises(NegsimError, match="needs the column of responses"):
        est.ultimatum(["1", "1"], data=df, accept=None, max_offer=Q)
    with pytest.raises(NegsimError, match="expected 2 formulas"):
        est.ultimatum(["1"], data=df, max_offer=Q)
    with pytest.raises(NegsimError, match="'nosuch'"):
        est.ultimatum(["1", "1"], data=df, offer="nosuch", max_offer=Q)
    with pytest.raises(NegsimError, match="both reservation values"):
        est.ultimatum(["1", "0"], data=df, max_offer=Q)
