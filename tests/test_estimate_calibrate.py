"""Calibration of scenarios on an observed path: a small scenario with known answers, and the bundled ones."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from negsim.errors import ScenarioError
from negsim.estimate.calibrate import calibrate
from negsim.scenarios import bundled_scenarios

REPO = Path(__file__).resolve().parents[1]

# A moves first without knowing B's type: it goes iff x > 0; B, who knows its type, fights
# iff it is a hawk. With trembles e every move has probability 1 - e/2 or e/2.
MINI = """\
[scenario]
name = "mini-calibrate"
title = "Two moves and a type"
max_nodes = 1000


[parameters.x]
value = 0.5
prior = { dist = "uniform", low = -1.0, high = 1.0 }
source = "assumption"

[parameters.q]
value = 0.5
prior = { dist = "uniform", low = 0.2, high = 0.8 }
source = "assumption"

[[issues]]
name = "went"
values = [false, true]

[[issues]]
name = "fought"
values = [false, true]

[[agents]]
name = "A"
payoff = "x * went"

[[agents]]
name = "B"
payoff = "fought * (2 * (kind == 'hawk') - 1)"

[[chance]]
name = "kind"
observed_by = ["B"]
[chance.outcomes]
hawk = "q"
dove = "1 - q"

[[stages]]
name = "first"
agent = "A"
[[stages.moves]]
name = "go"
set = { went = true }
[[stages.moves]]
name = "stop"
end = true

[[stages]]
name = "second"
agent = "B"
when = "first == 'go'"
[[stages.moves]]
name = "fight"
set = { fought = true }
[[stages.moves]]
name = "yield"
"""


@pytest.fixture
def mini(tmp_path):
    path = tmp_path / "mini.toml"
    path.write_text(MINI, encoding="utf-8")
    return path


def test_likelihood_posterior_and_predictive_by_hand(mini):
    e = 0.1
    cal = calibrate(mini, "first=go", draws=300, seed=4, tremble=e, actual="second=fight")
    x, q = cal.parameters["x"], cal.parameters["q"]
    lik = np.where(x > 0, 1 - e / 2, e / 2)
    np.testing.assert_allclose(cal.likelihood, lik, atol=1e-6)
    w = lik / lik.sum()
    assert cal.posterior["x"]["mean"] == pytest.approx(np.sum(w * x), abs=1e-6)
    assert cal.ess == pytest.approx(1 / np.sum(w**2), rel=1e-6)
    fight = np.sum(w * (q * (1 - e / 2) + (1 - q) * e / 2))
    assert cal.predictive["second"]["fight"] == pytest.approx(fight, abs=1e-6)
    assert cal.actual[0]["probability"] == pytest.approx(fight, abs=1e-6)
    # A does not know the type: going says nothing about it
    assert cal.types["kind"]["hawk"]["posterior"] == pytest.approx(np.sum(w * q), abs=1e-6)


def test_observing_the_fight_reveals_the_hawk(mini):
    e = 0.1
    cal = calibrate(mini, "first=go,second=fight", draws=300, seed=4, tremble=e)
    x, q = cal.parameters["x"], cal.parameters["q"]
    first = np.where(x > 0, 1 - e / 2, e / 2)
    hawk = first * q * (1 - e / 2)
    dove = first * (1 - q) * e / 2
    assert cal.types["kind"]["hawk"]["posterior"] == pytest.approx(hawk.sum() / (hawk + dove).sum(), abs=1e-6)
    assert cal.fit[1]["predicted"] == (cal.fit[1]["prior_probability"] >= 0.5)


def test_logit_response_runs(mini):
    cal = calibrate(mini, "first=stop", draws=30, seed=1, response="logit", precision=5.0)
    assert cal.posterior["x"]["mean"] < cal.posterior["x"]["prior_mean"]


def test_bad_paths_are_named(mini):
    with pytest.raises(ScenarioError, match="unknown stage 'thrid'.*first, second"):
        calibrate(mini, "thrid=go", draws=5)
    with pytest.raises(ScenarioError, match="unknown move 'run'.*go, stop"):
        calibrate(mini, "first=run", draws=5)
    with pytest.raises(ScenarioError, match="stage=move"):
        calibrate(mini, "first", draws=5)


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_bundled_scenarios_calibrate_on_their_first_stage(name):
    from negsim.scenarios import load_scenario

    compiled = load_scenario(name).compile()
    stage = next(v for v in compiled.variables.values() if v.origin == "stage")
    move = next(str(v) for v in stage.values if v != "skipped")
    try:
        cal = calibrate(name, f"{stage.name}={move}", draws=20, seed=2)
    except ScenarioError as exc:
        if "no priors" in str(exc):
            pytest.skip(f"{name} declares no priors")
        raise
    assert 1 <= cal.ess <= 20 + 1e-9
    for table in cal.predictive.values():
        assert sum(table.values()) == pytest.approx(1.0)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "negsim", "calibrate", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_cli_json_and_errors(mini):
    done = _cli(str(mini), "--observed", "first=go", "--draws", "50", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["observed"] == {"first": "go"} and data["draws"] == 50
    bad = _cli(str(mini), "--observed", "first=run")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "go, stop" in bad.stderr


def test_cli_istanbul_reports_fit_and_predictive():
    # 16 May observed; the later rounds of the linked game predicted and scored
    observed = "russia_ultimatum=offer_talks,ukraine_attend=attend,russia_may=refuse_exchange"
    actual = "ukraine_memo=refuse_memo,russia_july=refuse_exchange"
    done = _cli("istanbul-2025", "--observed", observed, "--draws", "30", "--actual", actual)
    assert done.returncode == 0, done.stderr
    assert "effective sample size" in done.stdout
    assert "What happened later, against the predictive" in done.stdout
    assert "ukraine_memo = refuse_memo: probability" in done.stdout
