"""The command line of the audit: `negsim audit`, and `negsim check` failing on facts by
construction and on hindsight sources (exit codes, text, JSON, one-line errors)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from negsim.cli import main
from tests.audit_scenarios import CLEAN, PLANTED

REPO = Path(__file__).resolve().parents[1]
FAST = ["--box-samples", "16", "--draws", "100"]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in (("clean", CLEAN), ("planted", PLANTED)):
        paths[name] = tmp_path / f"{name}.toml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def test_audit_reports_every_planted_defect_as_json(files, capsys):
    status, out, err = _run(capsys, "audit", str(files["planted"]), "--json", *FAST)
    assert status == 1 and err == ""
    data = json.loads(out)
    assert data["scenario"] == "planted" and data["clean"] is False
    found = {(f["kind"], f["severity"], tuple(f["names"])) for f in data["findings"]}
    assert {
        ("by_construction", "error", ("The talks end with or without a truce",)),
        ("by_construction", "error", ("No summit",)),
        ("by_construction", "error", ("Prisoners are exchanged", "exchange_value")),
        ("hard_always_blocks", "warning", ("Moscow", "summit.hold_summit")),
        ("soft_never_met", "warning", ("Kyiv", "offer.propose")),
        ("inert_type", "warning", ("kyiv_mood", "Kyiv")),
        ("hindsight", "error", ("war_gain", "exchange")),
        ("hindsight", "note", ("offer_cost", "offer")),
    } <= found
    facts = {f["fact"]: f for f in data["facts"]}
    assert facts["Kyiv proposes"]["flipped_by"] == ["peace_value", "q_hawk", "offer_cost"]
    assert data["box"]["points"] == 1 + 16 + 16 and data["draws"] == 100


def test_audit_of_a_clean_scenario_exits_0(files, capsys):
    status, out, err = _run(capsys, "audit", str(files["clean"]), *FAST)
    assert status == 0 and err == ""
    assert out.startswith("clean: audit over 33 box settings (4 ranged parameters), 100 prior draws")
    assert "Kyiv proposes" in out and "Findings: none" in out


def test_check_fails_on_facts_by_construction_and_hindsight(files, capsys):
    status, out, err = _run(capsys, "check", str(files["planted"]), "--box-samples", "16")
    assert status == 1 and err == ""
    assert "FAIL" not in out and out.count("PASS") == 5  # every fact holds, yet the scenario fails
    assert "ERROR  by_construction: 'No summit' holds at all" in out
    assert "ERROR  hindsight: war_gain: its source is dated 20 May 2025, 6 days after exchange" in out
    assert "NOTE  hindsight: offer_cost" in out
    # check runs only the blocking parts of the audit
    assert "inert_type" not in out and "soft_never_met" not in out
    status, out, _ = _run(capsys, "check", str(files["planted"]), "--box-samples", "16", "--json")
    assert status == 1
    (report,) = json.loads(out)["scenarios"]
    assert report["passed"] is False
    assert {f["kind"] for f in report["audit"] if f["severity"] == "error"} == {"by_construction", "hindsight"}


def test_check_passes_a_clean_scenario_and_excused_facts(files, capsys):
    status, out, _ = _run(capsys, "check", str(files["clean"]), "--box-samples", "16")
    assert status == 0 and "ERROR" not in out
    text = PLANTED.replace('source = "Kremlin, 20 May 2025: the war goes on"',
                           'source = "Kremlin, 20 May 2025: the war goes on"\ncalibrated = "the May fighting"')
    for fact in ("The talks end with or without a truce", "No summit", "Prisoners are exchanged"):
        text = text.replace(f'fact = "{fact}"', f'fact = "{fact}"\nstructural = "kept on purpose"')
    files["planted"].write_text(text, encoding="utf-8")
    status, out, _ = _run(capsys, "check", str(files["planted"]), "--box-samples", "16")
    assert status == 0, out
    assert "NOTE  by_construction: 'No summit' holds at all 33 box settings; declared structural" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["audit"], "give a SCENARIO or --all"),
        (["audit", "{clean}", "--all"], "give a SCENARIO or --all"),
        (["audit", "{clean}", "--box-samples", "0"], "box_samples"),
        (["audit", "{clean}", "--draws", "0"], "draws"),
        (["audit", "{clean}", "--set", "peace_valu=1"], "did you mean 'peace_value'"),
        (["audit", "{missing}"], "no such file"),
        (["check", "{clean}", "--box-samples", "-3"], "box_samples"),
    ],
)
def test_bad_input_is_one_line_and_exits_2(argv, fragment, files, tmp_path, capsys):
    argv = [a.format(clean=files["clean"], missing=tmp_path / "missing.toml") for a in argv]
    status, out, err = _run(capsys, *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err and "Traceback" not in err


def test_bad_scenario_key_names_file_and_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(CLEAN.replace('fact = "Kyiv proposes"', 'fact = "Kyiv proposes"\nstructural = ""'), "utf-8")
    status, _, err = _run(capsys, "audit", str(path))
    assert status == 2
    assert f"{path}:" in err and "expect[1].structural" in err


def test_audit_help_names_its_options(capsys):
    with pytest.raises(SystemExit) as info:
        main(["audit", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("SCENARIO", "--all", "--box-samples", "--draws", "--seed", "--set", "--json", "hindsight"):
        assert option in out


def test_audit_in_a_subprocess_shows_no_progress_bar_when_piped(files, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "negsim", "audit", str(files["planted"]), "--json", *FAST],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 1 and proc.stderr == ""
    assert json.loads(proc.stdout)["errors"] == 4
