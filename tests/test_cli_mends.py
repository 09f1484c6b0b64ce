"""The command line, mended (issue 14 part 3): each item found by a newcomer, tried through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim.cli import main
from tests.test_cli import _run, _subprocess  # the same helpers as the main CLI tests

REPO = Path(negsim.__file__).resolve().parents[1]
CEASEFIRE = "ceasefire == 'unconditional'"
LIMITED = "russia_aims == 'limited'"


def _error(err: str, command: str) -> str:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith(f"negsim {command}: error: "), err
    return err


# ---------------------------------------------------------------------------- thresholds
def test_threshold_command_finds_the_readme_headline(capsys):
    status, out, _ = _run(capsys, "threshold", "istanbul-2025", "eu_bite", "--condition", CEASEFIRE,
                          "--given", LIMITED, "--tol", "0.05", "--json")
    assert status == 0
    found = json.loads(out)
    assert found["parameter"] == "eu_bite" and found["level"] == 0.5
    assert 0.35 < found["value"] < 0.43  # the README: "more than about 0.39"
    low, high = found["probability_at_bracket"]
    assert low < 0.5 <= high
    assert found["condition"] == f"{CEASEFIRE} | {LIMITED}"


def test_threshold_command_with_set_and_text(capsys):
    status, out, _ = _run(capsys, "threshold", "istanbul-2025", "us_resolve_prior", "--set", "us_process_value=0",
                          "--condition", CEASEFIRE, "--given", LIMITED, "--tol", "0.05")
    assert status == 0
    value = float(out.split("us_resolve_prior = ")[1].split()[0])
    assert 0.14 < value < 0.23  # the README: "above about 0.19"
    assert "crosses 0.5" in out and "us_process_value=0" in out


def test_threshold_outside_the_declared_range_says_so(capsys):
    # without us_process_value=0 the limited type never accepts: no bracket can help
    status, out, err = _run(capsys, "threshold", "istanbul-2025", "us_resolve_prior", "--condition", CEASEFIRE,
                            "--given", LIMITED, "--tol", "0.05")
    assert status == 2 and out == ""
    assert "within its declared range" in _error(err, "threshold") and "widen" not in err
    # a bracket narrower than the declared range: the message says where to look instead
    status, _, err = _run(capsys, "threshold", "istanbul-2025", "eu_bite", "--bracket", "0:0.3", "--condition",
                          CEASEFIRE, "--given", LIMITED, "--tol", "0.05")
    assert status == 2 and "declared range is [0, 2]" in _error(err, "threshold")


def test_threshold_level_is_a_choice(capsys):
    status, _, err = _run(capsys, "threshold", "istanbul-2025", "eu_bite", "--condition", CEASEFIRE, "--level", "1.5")
    assert status == 2 and "strictly between 0 and 1" in _error(err, "threshold")
    status, out, _ = _run(capsys, "threshold", "istanbul-2025", "eu_bite", "--condition", CEASEFIRE,
                          "--given", LIMITED, "--level", "0.25", "--tol", "0.05", "--json")
    found = json.loads(out)
    assert status == 0 and found["level"] == 0.25
    low, high = found["probability_at_bracket"]
    assert low < 0.25 <= high


def test_sweep_condition_given_prints_probability_and_threshold(capsys):
    status, out, _ = _run(capsys, "sweep", "istanbul-2025", "--param", "eu_bite=0:1:5", "--condition", CEASEFIRE,
                          "--given", LIMITED)
    assert status == 0
    assert f"P = P({CEASEFIRE} | {LIMITED})" in out
    line = next(x for x in out.splitlines() if x.startswith("threshold: eu_bite = "))
    assert 0.35 < float(line.split("= ")[1].split()[0]) < 0.43 and "crosses 0.5" in line


def test_sweep_condition_json_and_csv(capsys):
    status, out, _ = _run(capsys, "sweep", "istanbul-2025", "--param", "eu_bite=0:1:3", "--condition", CEASEFIRE,
                          "--given", LIMITED, "--json")
    data = json.loads(out)["condition"]
    assert status == 0 and data["given"] == LIMITED and len(data["probability"]) == 3
    assert data["probability"][0] == pytest.approx(0.0) and data["probability"][2] == pytest.approx(1.0)
    assert data["threshold"]["level"] == 0.5 and 0.0 < data["threshold"]["value"] < 1.0
    status, out, _ = _run(capsys, "sweep", "istanbul-2025", "--param", "eu_bite=0:1:3", "--condition", CEASEFIRE,
                          "--csv")
    assert status == 0 and f"P({CEASEFIRE})" in out.splitlines()[0]
    status, _, err = _run(capsys, "sweep", "istanbul-2025", "--param", "eu_bite=0:1:3", "--given", LIMITED)
    assert status == 2 and "--given needs --condition" in _error(err, "sweep")


def test_plotted_threshold_names_condition_and_level(tmp_path, capsys, monkeypatch):
    import negsim.plot

    drawn = []
    real = negsim.plot.save
    monkeypatch.setattr(negsim.plot, "save", lambda fig, path: drawn.append(fig) or real(fig, path))
    out = tmp_path / "sweep.png"
    status, _, _ = _run(capsys, "plot", "istanbul-2025", "--kind", "sweep", "--param", "eu_bite=0:1:5",
                        "--condition", CEASEFIRE, "--given", LIMITED, "--level", "0.75", "-o", str(out))
    assert status == 0 and out.exists()
    texts = " ".join(t.get_text() for t in drawn[0].axes[0].texts).replace("\n", " ")
    assert "threshold eu_bite" in texts and "crosses 0.75" in texts and LIMITED in texts


# ---------------------------------------------------------------------------- the why line
def test_why_line_leaves_out_blocked_moves(capsys):
    status, out, _ = _run(capsys, "run", "istanbul-2025", "--method", "spe")
    assert status == 0
    # Russia's leaders' meeting is blocked on the path (no ceasefire, no settlement)
    assert "'agree to a leaders' meeting' was not available" in out
    why = [x for x in out.splitlines() if "why:" in x]
    assert why and not any("hold_meeting" in x for x in why)


# ---------------------------------------------------------------------------- iterations
def test_iterations_make_auto_iterative(capsys):
    status, out, _ = _run(capsys, "solve", "kuhn-poker", "-n", "300", "--json")
    data = json.loads(out)
    assert status == 0 and data["method"] == "cfr+" and data["iterations"] == 300
    assert data["values"][0] == pytest.approx(-1 / 18, abs=0.02)


@pytest.mark.parametrize("count", ["-5", "0"])
def test_iterations_below_one_is_a_range_error(count, capsys):
    status, _, err = _run(capsys, "solve", "kuhn-poker", "-n", count)
    assert status == 2 and f"--iterations must be at least 1, got {count}" in _error(err, "solve")


# ---------------------------------------------------------------------------- suggestions that work
def test_normal_form_method_on_a_scenario_suggests_tree_methods(capsys):
    status, _, err = _run(capsys, "run", "istanbul-2025", "--method", "pure")
    err = _error(err, "run")
    assert status == 2 and "reduced_normal_form" not in err and "spe" in err and "cfr+" in err


def test_solve_converts_a_tree_for_a_normal_form_method(capsys):
    from negsim.games import reduced_normal_form  # importable where the message says

    status, out, _ = _run(capsys, "solve", "prisoners-dilemma", "--method", "pure", "--json")
    assert status == 0 and json.loads(out)["method"] == "pure"
    status, out, _ = _run(capsys, "solve", "ultimatum", "--method", "pure", "--json")
    assert status == 0 and json.loads(out)["method"] == "pure"
    assert reduced_normal_form(negsim.games.library.ultimatum()).num_players == 2


# ---------------------------------------------------------------------------- grids are not Monte Carlo
def test_grid_json_is_per_point(capsys):
    status, out, _ = _run(capsys, "sweep", "istanbul-2025", "--param", "eu_bite=0:1:3", "--json")
    data = json.loads(out)
    assert status == 0
    assert "draws" not in data and "standard_errors" not in data and data["points"] == 3
    assert data["parameters"]["eu_bite"] == [0.0, 0.5, 1.0]
    for point in data["grid"]:
        assert all(p > 0 for p in point["outcomes"].values())
        assert sum(point["outcomes"].values()) == pytest.approx(1.0)
    fact = "16 May: Russia refuses the unconditional ceasefire but agrees a prisoner exchange"
    per_point = [p["facts"][fact] for p in data["grid"]]
    assert per_point[0] == pytest.approx(1.0) and per_point[-1] == pytest.approx(0.0)
    status, out, _ = _run(capsys, "sweep", "istanbul-2025", "--param", "eu_bite=0:1:3")
    assert "Facts (probability at each grid point" in out and "averaged" not in out


def test_monte_carlo_json_has_no_zero_outcomes(capsys):
    status, out, _ = _run(capsys, "sweep", "istanbul-2025", "--draws", "20", "--seed", "3", "--json")
    data = json.loads(out)
    assert status == 0 and data["draws"] == 20
    assert all(p > 0 for p in data["outcomes"].values()) and set(data["standard_errors"]) == set(data["outcomes"])


def test_batch_probability_keeps_the_grid_shape():
    from negsim.analysis import sweep
    from negsim.scenarios import load_scenario

    result = sweep(load_scenario("istanbul-2025"), {"eu_bite": [0.0, 1.0], "us_resolve_prior": [0.1, 0.5, 0.9]})
    prob = result.probability(CEASEFIRE, LIMITED)
    assert prob.shape == (2, 3)
    assert np.all(prob[0] == 0.0) and np.all(prob[1] == 1.0)


# ---------------------------------------------------------------------------- progress
def test_progress_off_when_piped_on_when_asked(tmp_path):
    piped = _subprocess("sweep", "istanbul-2025", "--param", "eu_bite=0:1:2", "--json", cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""
    asked = _subprocess("sweep", "istanbul-2025", "--param", "eu_bite=0:1:2", "--json", "--progress", cwd=tmp_path)
    assert asked.returncode == 0 and "settings" in asked.stderr or "%" in asked.stderr


@pytest.mark.parametrize("command", ["run", "check", "audit", "sweep", "plot", "threshold", "solve"])
def test_progress_flag_on_long_commands(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "--progress, --no-progress" in out and "not when" in out


# ---------------------------------------------------------------------------- small mends
def test_set_outside_declared_range_warns(capsys):
    status, out, err = _run(capsys, "info", "istanbul-2025", "--set", "eu_bite=5")
    assert status == 0 and "terminals" in out
    assert "--set eu_bite=5 is outside its declared range [0, 2]" in err
    status, _, err = _run(capsys, "info", "istanbul-2025", "--set", "eu_bite=1")
    assert status == 0 and err == ""


def test_fact_accepts_a_unique_prefix_and_lists_on_a_miss(tmp_path, capsys):
    out = tmp_path / "fact.png"
    status, _, _ = _run(capsys, "plot", "istanbul-2025", "--kind", "sweep", "--param", "eu_bite=0:1:2",
                        "--fact", "23 July", "-o", str(out))
    assert status == 0 and out.exists()
    status, _, err = _run(capsys, "plot", "istanbul-2025", "--kind", "sweep", "--param", "eu_bite=0:1:2",
                          "--fact", "nothing like it", "-o", str(out))
    assert status == 2 and "'23 July: Russia'" in _error(err, "plot") and "'16 May: Russia'" in err
    status, _, err = _run(capsys, "plot", "istanbul-2025", "--kind", "sweep", "--param", "eu_bite=0:1:2",
                          "--fact", "1", "-o", str(out))  # '10-11 May' and '15 May' and '16 May'
    assert status == 2 and "facts start with '1'" in _error(err, "plot")


@pytest.mark.parametrize("command", ["run", "solve", "info", "check"])
def test_a_directory_is_named_as_such(command, tmp_path, capsys):
    status, _, err = _run(capsys, command, str(tmp_path))
    assert status == 2 and f"{tmp_path}: is a directory" in _error(err, command)


def test_output_shows_as_required(capsys):
    with pytest.raises(SystemExit):
        main(["plot", "--help"])
    usage = capsys.readouterr().out.split("\n\n")[0]
    assert "-o FILE" in usage and "[-o FILE]" not in usage
    with pytest.raises(SystemExit) as info:
        main(["plot", "istanbul-2025", "--kind", "tree"])
    assert info.value.code == 2 and "-o/--output" in capsys.readouterr().err


def test_info_and_export_accept_scenarios(tmp_path, capsys):
    from negsim.io import read_efg
    from negsim.scenarios import load_scenario

    status, out, _ = _run(capsys, "info", "istanbul-2025", "--json")
    game = load_scenario("istanbul-2025").compile().game
    assert status == 0 and json.loads(out)["terminals"] == game.num_terminals
    path = tmp_path / "game.efg"
    status, out, _ = _run(capsys, "export", "istanbul-2025", "-o", str(path))
    assert status == 0 and "wrote" in out
    back = read_efg(path)
    assert back.num_terminals == game.num_terminals and np.allclose(np.sort(back.payoffs, axis=0),
                                                                    np.sort(game.payoffs, axis=0))
    status, _, err = _run(capsys, "export", "istanbul-2025", "-o", str(tmp_path / "game.txt"))
    assert status == 2 and ".efg" in _error(err, "export")


@pytest.mark.parametrize("command", ["run", "check", "sweep"])
def test_help_lists_the_methods(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert all(m in out for m in ("auto", "cfr+", "lp", "spe", "qre"))
    assert "pure" not in out.split("--method")[1].split("--iterations")[0]  # only what solves a tree


# ---------------------------------------------------------------------------- figures
def _clipped(fig) -> bool:
    """Whether anything drawn (titles, legends, tick labels) runs past the figure's edges."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    tight = fig.get_tightbbox(canvas.get_renderer())  # inches, drawn artists only
    width, height = fig.get_size_inches()
    slack = 0.02
    return tight.x0 < -slack or tight.y0 < -slack or tight.x1 > width + slack or tight.y1 > height + slack


@pytest.mark.parametrize("kind, extra", [("convergence", ["-n", "20"]), ("tree", [])])
def test_figures_are_not_clipped_and_name_set_values(kind, extra, tmp_path, capsys, monkeypatch):
    import negsim.plot

    drawn = []
    real = negsim.plot.save
    monkeypatch.setattr(negsim.plot, "save", lambda fig, path: drawn.append(fig) or real(fig, path))
    status, _, _ = _run(capsys, "plot", "istanbul-2025", "--kind", kind, *extra, "--set", "eu_bite=0.5",
                        "-o", str(tmp_path / "f.png"))
    assert status == 0
    assert not _clipped(drawn[0])
    assert "eu_bite = 0.5" in drawn[0].axes[0].get_title()


def test_bargaining_example_figure_shows_the_printed_points(tmp_path, capsys, monkeypatch):
    import runpy

    import negsim.plot

    drawn = []
    monkeypatch.setattr(negsim.plot, "save", lambda fig, path: drawn.append(fig) or tmp_path / str(path))
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(REPO / "examples" / "bargaining_memoranda.py"), run_name="__main__")
    printed = capsys.readouterr().out
    legend = " ".join(t.get_text() for t in drawn[0].axes[0].get_legend().get_texts())

    def point(prefix: str) -> tuple[float, float]:
        line = next(x for x in printed.splitlines() if x.startswith(prefix))
        return float(line.split("Ukraine ")[1].split(",")[0]), float(line.split("Russia ")[1].split()[0])

    for prefix in ("Nash bargaining:", "Kalai-Smorodinsky:", "Nash, weighted", "Rubinstein, offers every   26"):
        u, r = point(prefix)
        assert f"({u:.3g}, {r:.3g})" in legend, (prefix, legend)


def test_heat_map_tick_labels_do_not_overlap(tmp_path, capsys, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import negsim.plot

    drawn = []
    real = negsim.plot.save
    monkeypatch.setattr(negsim.plot, "save", lambda fig, path: drawn.append(fig) or real(fig, path))
    status, _, _ = _run(capsys, "plot", "istanbul-2025", "--kind", "sweep", "--param", "eu_bite=0:2:21",
                        "--param", "us_resolve_prior=0:1:11", "--set", "us_process_value=0", "-o",
                        str(tmp_path / "map.png"))
    assert status == 0
    fig = drawn[0]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    assert not _clipped(fig) and "us_process_value = 0" in ax.get_title()
    for axis in (ax.xaxis, ax.yaxis):
        boxes = [t.get_window_extent(renderer) for t in axis.get_ticklabels() if t.get_text()]
        boxes = [b for b in boxes if ax.bbox.x0 - 5 <= b.x0 and b.x1 <= ax.bbox.x1 + 5 or axis is ax.yaxis]
        assert all(not a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))
