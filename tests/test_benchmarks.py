"""The benchmark harness still runs: every section in a tiny mode, with and without peers.

Timings are never asserted on; only that the sections run, produce their tables and
raw results, and that what they check (batched equals looped, NashConv agrees) holds.
"""

import io
import json
import sys

import pytest

from benchmarks.common import SECTIONS
from benchmarks.run import main, run

TINY = {"quick": True, "iterations": 4, "repeats": 1, "lp_timeout": 5.0, "batch_sizes": (1, 3)}


@pytest.fixture
def no_peers(monkeypatch):
    """Make the peers look uninstalled (a ``None`` entry in sys.modules makes import fail)."""
    for name in ("pyspiel", "LiteEFG", "pygambit", "cvxpy"):
        monkeypatch.setitem(sys.modules, name, None)


def test_every_section_runs_without_peers(no_peers, tmp_path):
    out = io.StringIO()
    path = tmp_path / "results.json"
    results = run(**TINY, json_path=path, stream=out)
    text = out.getvalue()
    for peer in ("openspiel", "liteefg", "pygambit"):
        assert f"skipped   {peer}" in text
    assert set(SECTIONS) <= set(results)
    assert "Targets" in text
    assert {row["met"] for row in results["targets"]} <= {True, False, None}
    assert json.loads(path.read_text())["config"]["quick"] is True
    # what the sections check must hold whatever the speed
    for rows in results["batch"].values():
        for row in rows:
            assert row["max_value_difference"] < 1e-9
            assert row["max_nash_conv_difference"] < 1e-9
    for game in ("kuhn", "leduc"):
        for point in results["convergence"][game].values():
            assert point["negsim"] == pytest.approx(point["negsim_recomputed"], abs=1e-9)
            assert "openspiel" not in point
        assert "openspiel_seconds" not in results["evaluation"][game]
    assert all(case["error"] is None for case in results["memory"]["cases"]), results["memory"]["cases"]
    assert all(case["library"] == "negsim" for case in results["memory"]["cases"])


def test_markdown_and_section_choice(no_peers):
    out = io.StringIO()
    results = run(**TINY, sections=["scaling"], markdown=True, stream=out)
    assert "| game | terminals |" in out.getvalue()
    assert "cfr" not in results and "scaling" in results
    target = {row["target"]: row for row in results["targets"]}
    assert target["Leduc CFR+ it/s >= 100x OpenSpiel C++"]["met"] is None


def test_command_line_rejects_unknown_section(capsys):
    assert main(["--only", "nonsense"]) == 2
    assert "unknown section" in capsys.readouterr().err


def test_peers_when_installed():
    pytest.importorskip("pyspiel", reason="needs OpenSpiel (pip install open-spiel; in the test extra)")
    pytest.importorskip("LiteEFG", reason="needs LiteEFG (pip install liteefg; in the test extra)")
    results = run(**TINY, sections=["cfr", "convergence"], peers=["openspiel", "liteefg"], stream=io.StringIO())
    entry = results["cfr"]["leduc"]["cfr+"]
    assert {"negsim_alternating", "openspiel", "liteefg"} <= set(entry)
    # negsim and OpenSpiel run the same algorithm: the same NashConv after the same iterations
    for point in results["convergence"]["leduc"].values():
        assert point["negsim"] == pytest.approx(point["openspiel"], rel=1e-6)
        assert point["openspiel_exploitability"] == pytest.approx(point["openspiel"] / 2, rel=1e-9)
