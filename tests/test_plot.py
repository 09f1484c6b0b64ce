"""Figures of negsim.plot: what is drawn, labels and legends, files written, errors, no display."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
from matplotlib.figure import Figure

import negsim
from negsim.analysis import Threshold, monte_carlo, solve_game, sweep
from negsim.errors import GameError, NegsimError, ScenarioError, SolverError
from negsim.games import library
from negsim.plot import (
    plot_convergence,
    plot_frontier,
    plot_outcomes,
    plot_sweep,
    plot_tree,
    save,
    tree_layout,
)
from negsim.scenarios import load_scenario
from negsim.solvers.bargaining import kalai_smorodinsky, nash_bargaining, pareto_frontier
from negsim.solvers.cfr import cfr

ONE_SHOT = Path(__file__).parent / "data" / "istanbul_2025_one_shot.toml"  # the one-shot model of 16 May, a fixture
REJECT = "Russia rejects the unconditional ceasefire"
FAST = {"iterations": 200}


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def kuhn():
    return library.kuhn_poker()


@pytest.fixture(scope="module")
def kuhn_solution(kuhn):
    return cfr(kuhn, iterations=300)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ONE_SHOT)


@pytest.fixture(scope="module")
def istanbul(scenario):
    game = scenario.compile().game
    return game, solve_game(game, scenario.solver)


@pytest.fixture(scope="module")
def line_sweep(scenario):
    # us_resolve_prior has one value: held fixed, so this is a sweep over one parameter
    return sweep(scenario, {"secondary_tariff": [0.0, 2.0, 3.0, 5.0, 8.0], "us_resolve_prior": [0.9]}, options=FAST)


@pytest.fixture(scope="module")
def grid_sweep(scenario):
    return sweep(scenario, {"secondary_tariff": [0.0, 3.0, 6.0], "us_resolve_prior": [0.2, 0.6, 0.9]}, options=FAST)


@pytest.fixture(scope="module")
def draws(scenario):
    return monte_carlo(scenario, draws=30, seed=0)


def node_points(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def unwrap(label: str) -> str:
    """An outcome label as it was before wrapping onto several lines."""
    return label.replace(",\n", ", ").replace("\n", " ")


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


# ---------------------------------------------------------------------------- plot_tree
def test_tree_of_kuhn_draws_every_node_edge_information_set_and_payoff(kuhn, kuhn_solution):
    fig = plot_tree(kuhn, kuhn_solution)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "Kuhn poker"
    assert node_points(ax) == kuhn.num_nodes == 58
    edges, arcs = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(edges.get_segments()) == kuhn.num_nodes - 1
    # 12 information sets of two nodes each: one dashed arc per set
    assert len(arcs.get_segments()) == 12
    labels = texts(ax)
    assert sum(t.startswith("pass") for t in labels) == sum(t.startswith("bet") for t in labels) == 24
    assert sum(re.fullmatch(r"[JQK] 0\.\d\d", t) is not None for t in labels) == 9  # chance edges
    assert "J 0.33" in labels
    payoffs = [t for t in ax.texts if t.get_text().lstrip("-").isdigit()]
    assert len(payoffs) == 2 * kuhn.num_terminals
    assert {"Player 1", "Player 2", "chance", "information set"} <= set(legend_texts(ax))
    assert any(t.startswith("edge width") for t in legend_texts(ax))


def test_tree_edges_are_as_wide_as_play_is_likely(kuhn, kuhn_solution):
    ax = plot_tree(kuhn, kuhn_solution).axes[0]
    edges = next(c for c in ax.collections if isinstance(c, LineCollection))
    widths = np.asarray(edges.get_linewidths())
    reach = kuhn_solution.profile.node_reach()[1:]
    order = np.argsort(reach, kind="stable")
    assert np.all(np.diff(widths[order]) >= -1e-12)
    assert widths[:3].min() > widths[-1]  # the deal (probability 1/3) is wider than a deep edge
    plain = plot_tree(kuhn).axes[0]
    plain_widths = next(c for c in plain.collections if isinstance(c, LineCollection)).get_linewidths()
    assert np.ptp(plain_widths) == 0
    assert not any(t.startswith("edge width") for t in legend_texts(plain))


def test_tree_layout_puts_leaves_in_order_and_parents_above_their_children(kuhn):
    x, y = tree_layout(kuhn)
    leaves = kuhn.terminals
    assert sorted(x[leaves]) == list(range(kuhn.num_terminals))
    np.testing.assert_array_equal(y, -kuhn.depth)
    inner = np.flatnonzero(kuhn.num_children > 0)
    kids_lo = x[kuhn.first_child[inner]]
    kids_hi = x[kuhn.first_child[inner] + kuhn.num_children[inner] - 1]
    np.testing.assert_allclose(x[inner], 0.5 * (kids_lo + kids_hi))
    top = kuhn.depth <= 1  # the deal of the first card only: its three nodes are the leaves
    x, y = tree_layout(kuhn, top)
    np.testing.assert_allclose(x[top], [1, 0, 1, 2])
    assert np.isnan(x[~top]).all() and np.isnan(y[~top]).all()
    with pytest.raises(GameError, match="parent of every drawn node"):
        tree_layout(kuhn, kuhn.depth == 2)


def test_tree_of_istanbul_draws_the_part_reached_in_equilibrium(istanbul):
    game, solution = istanbul
    assert game.num_nodes > 400
    reach = solution.profile.node_reach()
    reached = reach > 1e-9
    expected = reached.copy()
    expected[1:] |= reached[game.parent[1:]]
    fig = plot_tree(game, solution)
    ax = fig.axes[0]
    assert node_points(ax) == int(expected.sum()) < 100
    assert f"{int(expected.sum())} of {game.num_nodes} nodes" in ax.get_title()
    terminals = int((expected & (game.kind == 2)).sum())
    numbers = [t for t in texts(ax) if t.replace("-", "").replace(".", "").isdigit()]
    assert len(numbers) == game.num_players * terminals
    assert set(game.players) <= set(legend_texts(ax))
    assert "not reached: subtree left out" in legend_texts(ax)
    assert any(t.startswith("russia_answer") for t in texts(ax))


def test_tree_too_big_is_refused_with_a_clear_error(istanbul):
    game, solution = istanbul
    with pytest.raises(GameError, match=r"819 nodes, more than max_nodes=400; pass a profile"):
        plot_tree(game)
    with pytest.raises(GameError, match="raise max_nodes or min_reach"):
        plot_tree(game, solution, max_nodes=20)


def test_tree_errors_for_bad_inputs(kuhn, kuhn_solution):
    batch = kuhn.with_batch(payoffs=np.stack([kuhn.payoffs, kuhn.payoffs]))
    with pytest.raises(GameError, match="batch"):
        plot_tree(batch)
    with pytest.raises(GameError, match="different game"):
        plot_tree(library.ultimatum(), kuhn_solution)
    with pytest.raises(GameError, match="extensive-form"):
        plot_tree(library.matching_pennies())
    with pytest.raises(GameError, match="BehaviorProfile or a Solution"):
        plot_tree(kuhn, [0.5, 0.5])
    batched_profile = negsim.BehaviorProfile(kuhn, [np.full((2, 12), 0.5), np.full((2, 12), 0.5)])
    with pytest.raises(GameError, match="single profile"):
        plot_tree(kuhn, batched_profile)


def test_figures_draw_into_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_tree(library.ultimatum(), ax=ax, title="mine") is fig
    assert ax.get_title() == "mine"
    sub = Figure().subfigures(1, 2)[1]
    assert plot_frontier([[1, 2], [2, 1]], disagreement=[0, 0], ax=sub.add_subplot()) is sub.figure


# ---------------------------------------------------------------------------- plot_convergence
def test_convergence_has_one_line_per_solver_and_marks_the_final_value(kuhn):
    solutions = {v: cfr(kuhn, variant=v, iterations=200) for v in ("cfr", "cfr+", "dcfr")}
    ax = plot_convergence(solutions).axes[0]
    lines = ax.get_lines()
    assert [line.get_label().split(":")[0] for line in lines] == ["cfr", "cfr+", "dcfr"]
    assert legend_texts(ax) == [line.get_label() for line in lines]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "NashConv"
    assert "Kuhn poker" in ax.get_title()
    finals = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(finals) == 3
    for marker, sol in zip(finals, solutions.values(), strict=True):
        it, value = sol.history[-1]
        np.testing.assert_allclose(marker.get_offsets()[0], [it, value])
    assert len(plot_convergence(solutions, exploitability=True).axes[0].get_lines()) == 6
    assert plot_convergence(solutions, log=False).axes[0].get_yscale() == "linear"


def test_convergence_of_a_list_names_by_method_and_draws_zero_on_a_log_axis(kuhn):
    a = cfr(kuhn, variant="cfr+", iterations=50)
    exact = dataclasses.replace(a, history=((1, 0.5), (10, 0.0)))
    lines = plot_convergence([a, exact]).axes[0].get_lines()
    assert [line.get_label().split(":")[0] for line in lines] == ["cfr+", "cfr+ (2)"]
    assert np.all(lines[1].get_ydata() > 0)  # 0 is drawn at the bottom of the log axis
    assert lines[1].get_label().startswith("cfr+ (2): 0 after 10")


def test_convergence_errors():
    with pytest.raises(SolverError, match="at least one"):
        plot_convergence({})
    with pytest.raises(SolverError, match="not a Solution"):
        plot_convergence({"x": 1.0})


# ---------------------------------------------------------------------------- plot_sweep
def test_sweep_over_one_parameter_lines_areas_and_threshold(line_sweep):
    mark = Threshold("secondary_tariff", 2.7, (2.6, 2.8), below=0.0, above=1.0, evaluations=0)
    fig = plot_sweep(line_sweep, fact=REJECT, threshold=mark)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "secondary_tariff" and ax.get_ylabel() == "equilibrium probability"
    assert REJECT in ax.get_title() and "us_resolve_prior = 0.9" in ax.get_title()
    fact_line = next(line for line in ax.get_lines() if line.get_label() == REJECT)
    np.testing.assert_allclose(fact_line.get_xdata(), [0, 2, 3, 5, 8])
    np.testing.assert_allclose(fact_line.get_ydata(), line_sweep.facts[REJECT])
    threshold_line = next(line for line in ax.get_lines() if line.get_label().startswith("threshold"))
    np.testing.assert_allclose(threshold_line.get_xdata(), [2.7, 2.7])
    assert "threshold secondary_tariff = 2.7" in texts(ax)
    spans = [p.get_patch_transform().transform(p.get_path().vertices)[:, 0] for p in ax.patches]
    assert any(np.allclose([xs.min(), xs.max()], [2.6, 2.8]) for xs in spans)  # the bracket, shaded
    # one stacked area per outcome that ever has probability >= 0.005, plus "others" if they do
    probs = line_sweep.outcome_probabilities
    shown = probs.max(axis=0) >= 5e-3
    rest = (probs[:, ~shown].sum(axis=1) >= 5e-3).any()
    areas = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(areas) == int(shown.sum()) + int(rest)
    assert len(legend_texts(ax)) == len(areas) + 2
    assert any("prisoners_exchanged" in t for t in legend_texts(ax))


def test_sweep_of_a_conditional_probability(line_sweep):
    condition, given = "ceasefire == '30-day'", "russia_aims == 'limited'"
    ax = plot_sweep(line_sweep, condition=condition, given=given).axes[0]
    line = next(line for line in ax.get_lines() if line.get_label().startswith("P("))
    np.testing.assert_allclose(line.get_ydata(), line_sweep.probability(condition, given))
    ax = plot_sweep(line_sweep, fact=REJECT, given=given).axes[0]
    assert f"{REJECT} | {given}" in ax.get_title()
    no_fact = plot_sweep(line_sweep).axes[0]
    assert no_fact.get_title().startswith("Equilibrium outcomes against secondary_tariff")


def test_sweep_over_two_parameters_is_a_heat_map(grid_sweep):
    mark = Threshold("us_resolve_prior", 0.5, (0.45, 0.55), below=0.0, above=1.0, evaluations=0)
    fig = plot_sweep(grid_sweep, fact=REJECT, threshold=mark)
    ax = fig.axes[0]
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "probability"  # the colour bar
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("secondary_tariff", "us_resolve_prior")
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    values = np.asarray(mesh.get_array()).reshape(3, 3)  # rows: us_resolve_prior, columns: secondary_tariff
    np.testing.assert_allclose(values, grid_sweep.facts[REJECT].reshape(3, 3).T)
    line = next(line for line in ax.get_lines() if line.get_label().startswith("threshold"))
    np.testing.assert_allclose(line.get_ydata(), [0.5, 0.5])  # on the vertical axis: a horizontal line
    likely = plot_sweep(grid_sweep).axes[0]
    assert likely.get_legend().get_title().get_text() == "most likely outcome"
    assert {unwrap(t) for t in legend_texts(likely)} <= set(grid_sweep.outcomes)


def test_sweep_errors(line_sweep, draws):
    with pytest.raises(ScenarioError, match="not both"):
        plot_sweep(line_sweep, fact=REJECT, condition="ceasefire == '30-day'")
    with pytest.raises(ScenarioError, match="did you mean"):
        plot_sweep(line_sweep, fact="Russia rejects the ceasefire")
    with pytest.raises(ScenarioError, match="needs fact= or condition="):
        plot_sweep(line_sweep, given="russia_aims == 'limited'")
    mark = Threshold("bite_per_tariff", 1.0, (0.9, 1.1), below=0.0, above=1.0, evaluations=0)
    with pytest.raises(ScenarioError, match="does not vary"):
        plot_sweep(line_sweep, threshold=mark)
    with pytest.raises(ScenarioError, match="plot_outcomes"):
        plot_sweep(draws)


# ---------------------------------------------------------------------------- plot_frontier
UTILITIES = np.array([[0, 10], [2, 9.5], [4, 8], [5, 7.4], [6, 6.5], [7, 4], [8, 0], [3, 5], [5, 3], [2, 2]])
NAMES = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]


def test_frontier_shows_outcomes_frontier_and_both_solutions():
    d = [1.0, 1.5]
    ax = plot_frontier(UTILITIES, disagreement=d, labels=NAMES, agents=("Russia", "Ukraine")).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("utility of Russia", "utility of Ukraine")
    legend = legend_texts(ax)
    assert [t.split(" (")[0] for t in legend] == [
        "outcomes", "Pareto frontier", "disagreement", "Nash bargaining", "Kalai–Smorodinsky"
    ]
    front = next(line for line in ax.get_lines() if line.get_label() == "Pareto frontier")
    efficient = UTILITIES[pareto_frontier(UTILITIES)]
    np.testing.assert_allclose(front.get_xdata(), np.sort(efficient[:, 0]))
    points = {c.get_label().split(" (")[0]: c.get_offsets()[0] for c in ax.collections if c.get_label()[0] != "_"}
    np.testing.assert_allclose(points["Nash bargaining"], nash_bargaining(UTILITIES, d).utilities)
    np.testing.assert_allclose(points["Kalai–Smorodinsky"], kalai_smorodinsky(UTILITIES, d).utilities)
    np.testing.assert_allclose(points["disagreement"], d)
    assert not np.allclose(points["Nash bargaining"], points["Kalai–Smorodinsky"])
    assert set(NAMES) <= set(texts(ax))


def test_frontier_without_the_bargaining_module_finds_the_same_points(monkeypatch):
    d = [1.0, 1.5]
    expected = plot_frontier(UTILITIES, disagreement=d).axes[0]
    monkeypatch.setitem(sys.modules, "negsim.solvers.bargaining", None)  # import now fails
    monkeypatch.delattr(negsim.solvers, "bargaining", raising=False)
    fallback = plot_frontier(UTILITIES, disagreement=d).axes[0]
    assert legend_texts(fallback) == legend_texts(expected)
    for a, b in zip(fallback.get_lines(), expected.get_lines(), strict=True):
        np.testing.assert_allclose(a.get_xydata(), b.get_xydata())


def test_frontier_without_agreement_says_so():
    ax = plot_frontier([[1, 1], [2, 0]], disagreement=[3, 3]).axes[0]
    legend = legend_texts(ax)
    assert "no outcome beats disagreement for both" in legend
    assert not any(t.startswith(("Nash", "Kalai")) for t in legend)


@pytest.mark.parametrize(
    ("utilities", "options", "match"),
    [
        ([[1, 2, 3]], {"disagreement": [0, 0]}, "shape"),
        ([[1, 2]], {"disagreement": [0, 0, 0]}, "two numbers"),
        ([[1, np.nan]], {"disagreement": [0, 0]}, "finite"),
        ([[1, 2], [2, 1]], {"disagreement": [0, 0], "labels": ["only one"]}, "labels"),
    ],
)
def test_frontier_errors(utilities, options, match):
    with pytest.raises(SolverError, match=match):
        plot_frontier(utilities, **options)


# ---------------------------------------------------------------------------- plot_outcomes
def test_outcomes_bars_whiskers_and_wrapped_labels(draws):
    summary = {k: v for k, v in draws.summary().items() if v["probability"] > 0}
    fig = plot_outcomes(draws)
    ax = fig.axes[0]
    shown = min(8, len(summary))
    assert len(ax.patches) == shown
    widths = sorted((p.get_width() for p in ax.patches), reverse=True)
    np.testing.assert_allclose(widths, [v["probability"] for v in list(summary.values())[:shown]])
    whiskers = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert sum(len(c.get_segments()) for c in whiskers) == shown
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert all(max(len(line) for line in t.split("\n")) <= 50 for t in ticks)
    assert [unwrap(t) for t in ticks] == list(summary)[:shown]
    assert "30 Monte Carlo draws" in ax.get_title()
    assert "standard error" in ax.get_xlabel()
    assert sum("±" in t for t in texts(ax)) == shown
    if len(summary) > 1:
        top_one = plot_outcomes(draws, top=1).axes[0]
        assert len(top_one.patches) == 1 and "more outcomes not shown" in top_one.get_title()


def test_outcomes_errors(draws):
    with pytest.raises(ScenarioError, match="top"):
        plot_outcomes(draws, top=0)
    with pytest.raises(ScenarioError, match="BatchResult"):
        plot_outcomes({"a": 1.0})


# ---------------------------------------------------------------------------- save
@pytest.mark.parametrize(
    ("name", "header"), [("frontier.png", b"\x89PNG\r\n\x1a\n"), ("frontier.PDF", b"%PDF"), ("frontier.svg", b"<?xml")]
)
def test_save_writes_the_format_of_the_extension(tmp_path, name, header):
    written = save(plot_frontier([[1, 2], [2, 1]], disagreement=[0, 0]), tmp_path / name)
    assert written == tmp_path / name
    assert written.read_bytes().startswith(header)


def test_save_errors_are_one_line(tmp_path):
    fig = plot_frontier([[1, 2], [2, 1]], disagreement=[0, 0])
    for path, match in [
        (tmp_path / "figure.jpg", "'.jpg'; use one of .png, .pdf, .svg"),
        (tmp_path / "figure", "no extension"),
        (tmp_path / "missing" / "figure.png", "cannot write the figure"),
    ]:
        with pytest.raises(NegsimError, match=match) as info:
            save(fig, path)
        assert "\n" not in str(info.value)
    with pytest.raises(NegsimError, match="Figure"):
        save("not a figure", tmp_path / "x.png")


# ---------------------------------------------------------------------------- no display
SCRIPT = textwrap.dedent(
    """
    import sys
    from negsim.games import library
    from negsim.plot import plot_convergence, plot_tree, save
    from negsim.solvers.cfr import cfr
    kuhn = library.kuhn_poker()
    solution = cfr(kuhn, iterations=20)
    save(plot_tree(kuhn, solution), sys.argv[1])
    save(plot_convergence([solution]), sys.argv[2])
    assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
    print("ok")
    """
)


@pytest.mark.parametrize("backend", [None, "Agg"])
def test_figures_need_no_display_and_no_pyplot(tmp_path, backend):
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY", "WAYLAND_DISPLAY")}
    if backend is not None:
        env["MPLBACKEND"] = backend
    out = [tmp_path / "tree.png", tmp_path / "convergence.png"]
    run = subprocess.run([sys.executable, "-c", SCRIPT, *map(str, out)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in out)
