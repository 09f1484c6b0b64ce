"""Progress through the command line: one staged bar over a whole long command, on stderr.

Forced with ``--progress``, stderr names each stage (loading, compiling, solving, ...);
with ``--no-progress``, or by default when stderr is piped (as here), stderr stays empty.
"""

from __future__ import annotations

import json

import pytest

import negsim.solvers.dispatch
from tests.test_cli import _interrupted_sweep, _run, _subprocess


def _stages(err: str) -> list[str]:
    # tqdm redraws the line with carriage returns; each redraw is one state of the bar
    return [part.strip() for part in err.replace("\r", "\n").splitlines() if part.strip()]


def test_run_shows_every_stage_when_forced(tmp_path):
    done = _subprocess("run", "istanbul-2025", "--progress", cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    shown = " ".join(_stages(done.stderr))
    for stage in ("loading the scenario (1/4)", "compiling the game and its payoffs (2/4)", "solving (3/4)",
                  "telling the equilibrium path (4/4)"):
        assert f"negsim run: {stage}" in shown
    assert "Istanbul" in done.stdout or "istanbul" in done.stdout  # the story itself is untouched, on stdout
    assert "negsim run:" not in done.stdout


@pytest.mark.parametrize("flag", [[], ["--no-progress"]])
def test_no_bar_when_piped_or_refused(flag, tmp_path):
    done = _subprocess("run", "istanbul-2025", *flag, cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""


def test_check_shows_the_facts_and_the_audit_stages(tmp_path):
    done = _subprocess("check", "istanbul-2025", "--box-samples", "16", "--progress", cwd=tmp_path)
    assert "Traceback" not in done.stderr
    shown = " ".join(_stages(done.stderr))
    assert "negsim check: solving istanbul-2025 for its facts (3/4)" in shown
    assert "negsim check: auditing istanbul-2025 over the box of declared ranges (4/4)" in shown
    assert "audit" in shown and "step" in shown  # the audit's own bar, beneath the command's
    assert "PASS" in done.stdout


def test_sweep_and_solve_show_their_stages(tmp_path):
    done = _subprocess("sweep", "istanbul-2025", "--draws", "4", "--seed", "1", "--progress", cwd=tmp_path)
    assert done.returncode == 0
    assert "negsim sweep: solving the settings" in " ".join(_stages(done.stderr))
    done = _subprocess("solve", "kuhn-poker", "-m", "cfr+", "-n", "50", "--progress", cwd=tmp_path)
    shown = " ".join(_stages(done.stderr))
    assert done.returncode == 0 and "negsim solve: solving with cfr+" in shown and "cfr+:" in shown
    # an exact method asked for: nothing runs long enough for a bar
    done = _subprocess("solve", "kuhn-poker", "-m", "lp", "--progress", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""


@pytest.mark.parametrize("method, passed", [("qre", True), ("fictitious", False), ("support", False)])
def test_solve_passes_progress_to_the_methods_that_take_it(method, passed, capsys, monkeypatch):
    # the QRE takes progress=; fictitious play runs long but takes no progress= (passing it was an error)
    seen = {}
    real = negsim.solvers.dispatch.solve

    def recording(game, method="auto", **options):
        seen.update(options)
        return real(game, method=method, **options)

    monkeypatch.setattr(negsim.solvers.dispatch, "solve", recording)
    status, out, _ = _run(capsys, "solve", "matching-pennies", "-m", method, "--progress", "--json")
    assert status == 0 and json.loads(out)["method"] == method
    assert seen.get("progress", False) is passed
    seen.clear()
    status, _, _ = _run(capsys, "solve", "kuhn-poker", "-m", "cfr", "-n", "5", "--progress", "--json")
    assert status == 0 and seen["progress"] is True


def test_an_interrupted_monte_carlo_with_a_bar_keeps_its_finished_draws(capsys, monkeypatch):
    status, data, err = _interrupted_sweep(capsys, monkeypatch, "--progress")
    assert status == 130 and data["interrupted"] is True and data["draws"] == 1
    assert "interrupted" in err and "negsim sweep: solving the settings" in err and "Traceback" not in err
