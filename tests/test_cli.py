"""The negsim command line: help, info, games, solve, run, check, list; exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import negsim
from negsim.cli import main
from negsim.scenarios import load_scenario

REPO = Path(negsim.__file__).resolve().parents[1]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _subprocess(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "negsim", *argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def _one_line_error(err: str, command: str) -> str:
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"negsim {command}: error: "), err
    return err


# ---------------------------------------------------------------------------- help and version
HELP = {
    None: ["--version", "run", "check", "list", "info", "solve", "games", "Exit status"],
    "run": ["SCENARIO", "--set", "--method", "--iterations", "--json", "--progress"],
    "check": ["SCENARIO", "--all", "--counterfactuals", "--set", "--method", "--iterations", "--json"],
    "list": ["--json"],
    "info": ["GAME", "--json"],
    "solve": ["GAME", "--method", "--iterations", "--json", "--full", "--progress", "cfr+"],
    "games": ["--json"],
}


@pytest.mark.parametrize("command", list(HELP), ids=lambda c: c or "negsim")
def test_help_exits_0_and_mentions_the_options(command, capsys):
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("usage: negsim")
    for option in HELP[command]:
        assert option in out, option


def test_no_command_exits_2(capsys):
    status, out, _ = _run(capsys)
    assert status == 2
    assert "usage: negsim" in out


def test_no_command_and_version_in_a_subprocess(tmp_path):
    proc = _subprocess(cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    proc = _subprocess("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"negsim {negsim.__version__}"


@pytest.mark.parametrize(
    "argv",
    [["nosuchcommand"], ["solve"], ["solve", "kuhn-poker", "--iterations", "abc"], ["run", "istanbul-2025", "--bogus"]],
)
def test_usage_errors_are_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert err.count("\n") == 1 and ": error: " in err


# ---------------------------------------------------------------------------- info and games
def test_info_kuhn_poker_json(capsys):
    status, out, err = _run(capsys, "info", "kuhn-poker", "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    assert {"players", "histories", "terminals", "infosets", "sequences"} <= set(data)
    assert data["histories"] == 58
    assert data["terminals"] == 30
    assert data["infosets"] == [6, 6]
    assert data["sequences"] == [12, 12]
    assert len(data["players"]) == 2


def test_info_text(capsys):
    status, out, _ = _run(capsys, "info", "kuhn-poker")
    assert status == 0
    assert "histories" in out and "58" in out and "terminals" in out and "30" in out


def test_info_unknown_game(capsys):
    status, out, err = _run(capsys, "info", "nosuchgame")
    assert status == 2 and out == ""
    _one_line_error(err, "info")
    assert "nosuchgame" in err and "kuhn-poker" in err  # the known names are listed
    status, _, err = _run(capsys, "info", "kuhn-pokr")
    assert status == 2
    assert "did you mean 'kuhn-poker'?" in _one_line_error(err, "info")


def test_games_lists_the_library(capsys):
    status, out, _ = _run(capsys, "games", "--json")
    assert status == 0
    assert "kuhn-poker" in json.loads(out)
    status, out, _ = _run(capsys, "games")
    assert status == 0 and "kuhn-poker" in out


# ---------------------------------------------------------------------------- solve
def test_solve_kuhn_poker_json(capsys):
    status, out, err = _run(capsys, "solve", "kuhn-poker", "--method", "cfr+", "--iterations", "200", "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    assert {"method", "values", "nash_conv", "iterations", "seconds", "profile"} <= set(data)
    assert data["method"] == "cfr+"
    assert data["iterations"] == 200
    assert data["values"][0] == pytest.approx(-1 / 18, abs=0.01)
    assert sum(data["values"]) == pytest.approx(0.0, abs=1e-9)
    assert 0 <= data["nash_conv"] < 0.05
    assert data["seconds"] >= 0
    assert len(data["profile"]) == 12
    for entry in data["profile"]:
        assert {"player", "infoset", "label", "actions", "probabilities"} <= set(entry)
        assert entry["actions"] == ["pass", "bet"]
        assert sum(entry["probabilities"]) == pytest.approx(1.0)


def test_solve_text(capsys):
    status, out, _ = _run(capsys, "solve", "kuhn-poker", "--method", "lp")
    assert status == 0
    assert "NashConv" in out and "Strategy profile" in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["solve", "kuhn-poker", "--method", "nosuch"], "unknown method 'nosuch'"),
        (["solve", "kuhn-poker", "--iterations", "0"], "--iterations"),
        (["solve", "kuhn-poker", "--method", "cfr+", "--iterations", "0"], "--iterations must be at least 1"),
        (["solve", "kuhn-poker", "--method", "cfr+", "--iterations", "-5"], "--iterations must be at least 1"),
    ],
)
def test_solve_bad_options(argv, fragment, capsys):
    status, out, err = _run(capsys, *argv)
    assert status == 2 and out == ""
    assert fragment in _one_line_error(err, "solve")


@pytest.mark.parametrize(
    "argv",
    [["info", "{}/missing.efg"], ["solve", "{}/missing.nfg"], ["run", "{}/missing.toml"], ["check", "{}/missing.toml"]],
)
def test_missing_file_is_named(argv, tmp_path, capsys):
    argv = [a.format(tmp_path) for a in argv]
    status, out, err = _run(capsys, *argv)
    assert status == 2 and out == ""
    line = _one_line_error(err, argv[0])
    assert str(tmp_path / Path(argv[1]).name) in line
    assert "no such file" in line


# ---------------------------------------------------------------------------- run, check, list
@pytest.fixture(scope="module")
def istanbul_json():
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["run", "istanbul-2025", "--json"])
    assert status == 0
    return json.loads(buffer.getvalue())


def test_run_json(istanbul_json):
    data = istanbul_json
    assert {"scenario", "method", "path", "outcome", "values", "nash_conv"} <= set(data)
    assert data["scenario"] == "istanbul-2025"
    assert data["method"] == "cfr+"
    assert set(data["values"]) == {"Ukraine", "Russia", "US", "EU"}
    assert data["nash_conv"] <= 0.01
    assert data["outcome"]["ceasefire"] == "none"
    assert data["outcome"]["exchanges"] == "2"
    assert data["path"]
    for entry in data["path"]:
        assert {"stage", "agent", "move", "probability"} <= set(entry)
    path = {(e["stage"], e["agent"], e["move"]): e["probability"] for e in data["path"]}
    assert path[("ukraine_attend", "Ukraine", "attend")] == pytest.approx(1.0)
    assert path[("russia_may", "Russia", "refuse_exchange")] == pytest.approx(1.0)


def test_run_with_set_changes_the_path(istanbul_json, capsys):
    status, out, err = _run(capsys, "run", "istanbul-2025", "--set", "ua_waiver_cost=4", "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    path = {(e["stage"], e["move"]): e["probability"] for e in data["path"]}
    before = {(e["stage"], e["move"]): e["probability"] for e in istanbul_json["path"]}
    assert path != before
    assert path[("ukraine_attend", "boycott")] == pytest.approx(1.0)
    assert ("ukraine_attend", "attend") not in path
    assert data["outcome"]["attended"] == "no"


def test_run_text_tells_the_story(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = _run(capsys, "run", "istanbul-2025")
    assert status == 0 and err == ""
    assert "The equilibrium path, stage by stage:" in out
    assert "blocked by Russia's precondition: ceasefire != 'none' or settlement" in out
    assert "Outcome:" in out and "Payoffs" in out


@pytest.mark.parametrize(
    "sets, fragment",
    [
        (["us_blame_cst=0"], "did you mean 'us_blame_cost'?"),
        (["us_blame_cost"], "expects name=value"),
        (["us_blame_cost=abc"], "is not a number"),
        (["us_blame_cost=nan"], "finite"),
    ],
)
def test_run_with_a_bad_set(sets, fragment, capsys):
    argv = ["run", "istanbul-2025"]
    for pair in sets:
        argv += ["--set", pair]
    status, out, err = _run(capsys, *argv)
    assert status == 2 and out == ""
    assert fragment in _one_line_error(err, "run")


def test_run_unknown_scenario(capsys):
    status, _, err = _run(capsys, "run", "istambul-2025")
    assert status == 2
    assert "did you mean 'istanbul-2025'?" in _one_line_error(err, "run")


def test_check_istanbul_exits_0(capsys):
    status, out, err = _run(capsys, "check", "istanbul-2025", "--json", "--box-samples", "16")
    assert err == ""
    data = json.loads(out)
    (report,) = data["scenarios"]
    assert report["scenario"] == "istanbul-2025"
    facts = load_scenario("istanbul-2025").negotiation.expectations
    assert len(report["facts"]) == len(facts) >= 6 and all(f["holds"] for f in report["facts"])
    # every fact holds; the check passes unless the audit finds a fact by construction or hindsight
    errors = [f for f in report["audit"] if f["severity"] == "error"]
    assert {f["kind"] for f in errors} <= {"by_construction", "hindsight"}
    assert data["passed"] is (not errors) and status == (1 if errors else 0)


def test_check_istanbul_text(capsys):
    status, out, _ = _run(capsys, "check", "istanbul-2025", "--box-samples", "16")
    assert status == (1 if "  ERROR  " in out else 0)
    assert out.startswith("istanbul-2025: The 2025 talks")
    assert out.count("PASS") == len(load_scenario("istanbul-2025").negotiation.expectations)
    assert "FAIL" not in out
    assert "PASS  16 May: Russia refuses the unconditional ceasefire but agrees a prisoner exchange" in out


def test_check_needs_one_scenario(capsys):
    status, _, err = _run(capsys, "check")
    assert status == 2
    assert "give a SCENARIO or --all" in _one_line_error(err, "check")
    status, _, err = _run(capsys, "check", "istanbul-2025", "--all")
    assert status == 2


FAILING = """\
[scenario]
name = "failing"
title = "A fact that fails"

[parameters.war_cost]
value = 2.0
source = "assumption"

[[issues]]
name = "truce"
values = [false, true]

[[agents]]
name = "Kyiv"
payoff = "3 * truce - war_cost * (not truce)"

[[agents]]
name = "Moscow"
payoff = "1 + truce"

[[stages]]
name = "offer"
agent = "Kyiv"
[[stages.moves]]
name = "propose"
[[stages.moves]]
name = "wait"
end = true

[[stages]]
name = "answer"
agent = "Moscow"
[[stages.moves]]
name = "accept"
set = { truce = true }
[[stages.moves]]
name = "refuse"

[[expect]]
fact = "Moscow accepts"
condition = "truce"
at_least = 0.9
counterfactual = { war_cost = 0.0 }

[[expect]]
fact = "Kyiv walks away"
condition = "offer == 'wait'"
at_least = 0.5
"""


def test_check_a_failing_fact_exits_1(tmp_path, capsys):
    path = tmp_path / "failing.toml"
    path.write_text(FAILING, encoding="utf-8")
    status, out, err = _run(capsys, "check", str(path))
    assert status == 1 and err == ""
    assert "PASS  Moscow accepts" in out
    assert "FAIL  Kyiv walks away" in out
    # the first fact alone holds, but by construction (no parameter has a range), and not under its
    # counterfactual either: Moscow accepts whatever war costs Kyiv
    path.write_text(FAILING[: FAILING.index('[[expect]]\nfact = "Kyiv')], encoding="utf-8")
    status, out, _ = _run(capsys, "check", str(path))
    assert status == 1 and "PASS  Moscow accepts" in out and "ERROR  by_construction: 'Moscow accepts'" in out
    status, out, _ = _run(capsys, "check", str(path), "--counterfactuals", "--json")
    assert status == 1
    (fact,) = json.loads(out)["scenarios"][0]["facts"]
    assert fact["holds"] is True and fact["fails_under_counterfactual"] is False


def test_check_a_failing_fact_in_a_subprocess(tmp_path):
    path = tmp_path / "failing.toml"
    path.write_text(FAILING, encoding="utf-8")
    proc = _subprocess("check", str(path), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "FAIL  Kyiv walks away" in proc.stdout
    assert proc.stderr == ""


def test_run_a_scenario_with_a_chance_event_seen_by_none(tmp_path, capsys):
    path = tmp_path / "none.toml"
    text = FAILING.replace(
        '[[stages]]\nname = "offer"',
        '[[chance]]\nname = "mood"\nobserved_by = "none"\n'
        '[chance.outcomes]\ncalm = 0.5\nangry = 0.5\n\n[[stages]]\nname = "offer"',
        1,
    )
    path.write_text(text, encoding="utf-8")
    status, out, err = _run(capsys, "run", str(path))
    assert status == 0 and err == ""
    assert "Chance: mood" in out


def test_list_shows_istanbul(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = _run(capsys, "list")
    assert status == 0
    assert any(line.startswith("istanbul-2025") and "The 2025 talks" in line for line in out.splitlines())
    status, out, _ = _run(capsys, "list", "--json")
    assert status == 0
    entries = {e["name"]: e for e in json.loads(out)}
    assert entries["istanbul-2025"]["title"].startswith("The 2025 talks")
    assert Path(entries["istanbul-2025"]["path"]).is_file()


# ---------------------------------------------------------------------------- hostile input (issue 11)
def test_a_negative_seed_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["sweep", "istanbul-2025", "--draws", "10", "--seed", "-1"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "non-negative integer" in err and "Traceback" not in err


def test_a_repeated_param_is_refused(capsys):
    status, _, err = _run(capsys, "sweep", "istanbul-2025", "--param", "secondary_tariff=1:2:2",
                          "--param", "secondary_tariff=3:4:2")
    assert status == 2 and "given twice" in _one_line_error(err, "sweep")


def test_long_errors_are_cut_to_one_short_line(capsys, tmp_path):
    path = tmp_path / "long.toml"
    text = (Path(__file__).parent / "data" / "memoranda_2025_06_02.toml").read_text(encoding="utf-8")
    long_condition = " or ".join(["withdrawal"] * 800) + " or nonsense_name"
    path.write_text(text.replace('when = "ceasefire == \'none\'"', f'when = "{long_condition}"', 1), encoding="utf-8")
    status, _, err = _run(capsys, "run", str(path))
    assert status == 2 and len(_one_line_error(err, "run")) <= 301


def _all_blocked_stage(tmp_path: Path) -> Path:
    """The memoranda scenario with both of Russia's first moves blocked by an impossible condition."""
    lines = (Path(__file__).parent / "data" / "memoranda_2025_06_02.toml").read_text(encoding="utf-8").split("\n")
    for name in ("reject_ukraine_memo", "accept_ukraine_memo"):
        i = lines.index(f'name = "{name}"')
        lines.insert(i + 1, 'when = "withdrawal and not withdrawal"')
    path = tmp_path / "blocked.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_stage_whose_moves_are_all_blocked_is_skipped_not_a_crash(capsys, tmp_path):
    path = _all_blocked_stage(tmp_path)
    status, out, err = _run(capsys, "run", str(path))
    assert status == 0 and "Traceback" not in err
    assert "skipped" in out and "russia_on_ukraine_memo" in out
    # the blocked moves are not reported under the next stage, which plays other moves
    assert "accept_ukraine_memo" not in out.split("skipped")[0]
    status, out, _ = _run(capsys, "run", str(path), "--json")
    story = json.loads(out)
    assert status == 0 and all(b["move"] not in ("accept_ukraine_memo", "reject_ukraine_memo")
                               or b["stage"] == "russia_on_ukraine_memo" for b in story.get("blocked", []))


def test_ctrl_c_while_importing_is_one_line(tmp_path):
    # the hook negsim installs for the command, exercised as if Ctrl-C came during `import scipy`
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = "import sys; sys.orig_argv = [sys.executable, '-m', 'negsim']; import negsim; raise KeyboardInterrupt"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 130 and done.stderr == "negsim: interrupted\n"
    code = "import negsim; raise KeyboardInterrupt"  # a library user's script keeps Python's report
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "Traceback" in done.stderr


def test_memory_error_is_one_line(capsys, monkeypatch):
    import negsim.io

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(negsim.io, "load_game", exhausted)
    status, _, err = _run(capsys, "info", "kuhn-poker")
    assert status == 2 and "out of memory" in _one_line_error(err, "info")


def _interrupted_sweep(capsys, monkeypatch, *extra: str) -> tuple[int, dict, str]:
    """A 5-draw Monte Carlo interrupted (Ctrl-C) in its second chunk: status, JSON output, stderr."""
    from negsim.analysis import _sweep as module

    real, calls = module.solve_batch, []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "solve_batch", interrupt_second)
    monkeypatch.setattr(module, "CHUNK_BYTES", 1)  # one draw per chunk
    status, out, err = _run(capsys, "sweep", "istanbul-2025", "--draws", "5", "--seed", "1", "--json", *extra)
    return status, json.loads(out), err


def test_an_interrupted_sweep_prints_what_it_finished(capsys, monkeypatch):
    status, data, err = _interrupted_sweep(capsys, monkeypatch)
    assert status == 130 and data["interrupted"] is True and data["draws"] == 1
    assert "interrupted" in err and "Traceback" not in err


# ---------------------------------------------------------------------------- schema and new
def test_schema_prints_the_json_schema(capsys):
    from negsim.scenarios.schema import json_schema

    status, out, err = _run(capsys, "schema")
    assert status == 0 and err == ""
    assert json.loads(out) == json_schema()


def test_schema_writes_the_file_shipped_in_the_package(capsys, tmp_path):
    target = tmp_path / "scenario.schema.json"
    status, out, _ = _run(capsys, "schema", "-o", str(target))
    assert status == 0 and str(target) in out
    shipped = REPO / "negsim" / "scenarios" / "scenario.schema.json"
    assert target.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")


def test_new_writes_a_template_that_runs_and_checks(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = _run(capsys, "new", "truce-talks")
    assert status == 0 and "truce_talks.toml" in out
    text = (tmp_path / "truce_talks.toml").read_text(encoding="utf-8")
    assert text.count("#") > 20  # commented
    assert load_scenario(tmp_path / "truce_talks.toml").name == "truce-talks"
    status, out, _ = _run(capsys, "check", "truce_talks.toml", "--counterfactuals")
    assert status == 0, out
    assert out.count("PASS") == 3
    status, out, _ = _run(capsys, "run", "truce_talks.toml")
    assert status == 0 and "Kyiv chooses to propose a 30-day ceasefire" in out


def test_new_does_not_overwrite_and_refuses_bad_names(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text("keep me", encoding="utf-8")
    status, _, err = _run(capsys, "new", "mine")
    assert status == 2
    _one_line_error(err, "new")
    assert (tmp_path / "mine.toml").read_text(encoding="utf-8") == "keep me"
    status, _, _ = _run(capsys, "new", "mine", "--force")
    assert status == 0 and "[scenario]" in (tmp_path / "mine.toml").read_text(encoding="utf-8")
    status, _, err = _run(capsys, "new", "no spaces please")
    assert status == 2
    _one_line_error(err, "new")
    status, _, _ = _run(capsys, "new", "other", "-o", str(tmp_path / "sub.toml"))
    assert status == 0 and (tmp_path / "sub.toml").is_file()
