"""``--max-seconds``: the command line's bound on solvers that run long (``time_limit=`` of negsim.solve)."""

from __future__ import annotations

import json

import pytest

from tests.test_cli import _one_line_error, _run

FOREVER = "100000000"  # iterations no run reaches: only the time limit ends it


def test_solve_stops_at_the_limit_and_says_so(capsys):
    status, out, _ = _run(capsys, "solve", "kuhn-poker", "-m", "cfr+", "-n", FOREVER, "--max-seconds", "0.5")
    assert status == 0
    assert "stopped early at the 0.5 s limit (--max-seconds): the best profile measured so far" in out
    # the best checkpoint of half a second of CFR+ on Kuhn poker is already close to -1/18
    assert "Player 1  -0.05" in out


def test_solve_json_flags_the_early_stop(capsys):
    status, out, _ = _run(capsys, "solve", "kuhn-poker", "-m", "cfr", "-n", FOREVER, "--max-seconds", "0.3", "--json")
    data = json.loads(out)
    assert status == 0 and data["converged"] is False
    assert data["info"]["stopped_early"] is True and data["info"]["time_limit"] == 0.3
    assert 0 < data["iterations"] < int(FOREVER)


def test_a_run_that_finishes_in_time_is_not_flagged(capsys):
    status, out, _ = _run(capsys, "solve", "kuhn-poker", "-m", "cfr+", "-n", "50", "--max-seconds", "60", "--json")
    data = json.loads(out)
    assert status == 0 and data["iterations"] == 50 and not data["info"].get("stopped_early", False)


def test_enumeration_keeps_the_equilibria_found(capsys):
    status, out, _ = _run(capsys, "solve", "matching-pennies", "-m", "support", "--max-seconds", "30", "--json")
    assert status == 0 and json.loads(out)["nash_conv"] == pytest.approx(0.0, abs=1e-9)


def test_run_on_a_scenario_reports_the_stop_in_text_and_json(capsys, tmp_path):
    # without the tremble there is no short certified run to end the solve: only the limit ends it
    from negsim.scenarios import scenario_path

    text = scenario_path("istanbul-2022").read_text(encoding="utf-8").replace("tremble = 0.001", "tremble = 0.0")
    (tmp_path / "untrembled.toml").write_text(text, encoding="utf-8")
    argv = ("run", str(tmp_path / "untrembled.toml"), "-m", "cfr+", "-n", FOREVER, "--max-seconds", "1")
    status, out, _ = _run(capsys, *argv)
    assert status == 0 and "Stopped early at the 1 s limit: the best profile measured so far." in out
    status, out, _ = _run(capsys, *argv, "--json")
    assert status == 0 and json.loads(out)["stopped_early"] is True


def test_a_run_the_short_screen_certifies_ends_before_the_limit(capsys):
    # with the tremble, CFR+'s first hundred iterations already polish into a certified equilibrium
    status, out, _ = _run(capsys, "run", "istanbul-2022", "-m", "cfr+", "-n", FOREVER, "--max-seconds", "60")
    assert status == 0 and "Stopped early" not in out and "(100 iterations): NashConv 0, an exact equilibrium" in out


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_a_bad_limit_is_one_line_and_exit_2(capsys, value):
    with pytest.raises(SystemExit) as exit_info:  # argparse's own refusal, as for any bad flag value
        _run(capsys, "solve", "kuhn-poker", "-m", "cfr+", "--max-seconds", value)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith(
        "negsim solve: error: argument --max-seconds: expected a")


def test_a_method_that_runs_to_its_end_is_named_when_a_limit_is_asked(capsys):
    status, _, err = _run(capsys, "solve", "kuhn-poker", "-m", "lp", "--max-seconds", "5")
    assert status == 2
    message = _one_line_error(err, "solve")
    assert "'lp' runs to its end" in message and "cfr+" in message
    # auto picks the exact LP for Kuhn poker and runs it to its end: the limit has nothing to bound
    status, out, _ = _run(capsys, "solve", "kuhn-poker", "--max-seconds", "5")
    assert status == 0 and "solved with lp" in out


@pytest.mark.parametrize("command", ["run", "check", "sweep", "threshold", "plot", "solve"])
def test_every_solving_command_lists_the_flag(capsys, command):
    with pytest.raises(SystemExit):
        _run(capsys, command, "--help")
    assert "--max-seconds S" in capsys.readouterr().out
