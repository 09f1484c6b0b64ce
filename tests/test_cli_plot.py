"""`negsim plot` writes each kind of figure, and refuses bad requests with one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from negsim.cli import main

ONE_SHOT = str(Path(__file__).parent / "data" / "istanbul_2025_one_shot.toml")  # the one-shot model of 16 May


@pytest.mark.parametrize("kind", ["tree", "frontier", "convergence"])
def test_plot_kinds_write_png(kind, tmp_path, capsys):
    out = tmp_path / f"{kind}.png"
    args = ["plot", "istanbul-2025", "--kind", kind, "-o", str(out)]
    if kind == "convergence":
        args += ["--iterations", "50"]
    assert main(args) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in capsys.readouterr().out


def test_plot_sweep_marks_the_threshold(tmp_path, capsys):
    out = tmp_path / "sweep.svg"
    code = main(["plot", ONE_SHOT, "--kind", "sweep", "--param", "secondary_tariff=0:6:13",
                 "--set", "us_resolve_prior=0.9", "--condition", "ceasefire == '30-day'",
                 "--given", "russia_aims == 'limited'", "-o", str(out)])
    assert code == 0
    text = out.read_text()
    assert "<svg" in text and "threshold" in text


@pytest.mark.parametrize(
    "args",
    [
        ["plot", "istanbul-2025", "--kind", "sweep", "-o", "x.png"],
        ["plot", "istanbul-2025", "--kind", "tree"],
        ["plot", "istanbul-2025", "--kind", "tree", "-o", "figure.bmp"],
        ["plot", "istanbul-2025", "--kind", "frontier", "--agents", "Ukraine,Nobody", "-o", "x.png"],
        ["plot", "no-such-scenario", "--kind", "tree", "-o", "x.png"],
    ],
)
def test_plot_errors(args, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("negsim plot: error:") and "Traceback" not in err
