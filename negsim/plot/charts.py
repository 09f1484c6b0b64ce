"""Charts of results: solver convergence, parameter sweeps, outcome distributions, bargaining frontiers.

Every function draws on a :class:`matplotlib.figure.Figure` made directly (never through
``pyplot``), so nothing opens a window and no display is needed, and returns that figure;
pass ``ax=`` to draw into axes of your own. :func:`save` writes a figure as PNG, PDF or
SVG, chosen by the file's extension. The bargaining frontier is drawn in
:mod:`negsim.plot.frontier` (:func:`plot_frontier` is re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from negsim.errors import NegsimError, ScenarioError, SolverError
from negsim.plot._style import (
    outcome_colors,
    player_colors,
    short_number,
    target_axes,
    text_color,
    wrap_label,
)
from negsim.plot.frontier import plot_frontier
from negsim.solvers.solution import Solution

__all__ = [
    "FORMATS",
    "plot_convergence",
    "plot_frontier",
    "plot_outcomes",
    "plot_sweep",
    "player_colors",
    "save",
    "short_number",
    "target_axes",
]

FORMATS = (".png", ".pdf", ".svg")
"""The file extensions :func:`save` writes."""

# below this probability everywhere, an outcome of a sweep is lumped into "other outcomes"
_NEGLIGIBLE = 5e-3


# ---------------------------------------------------------------------------- convergence
def plot_convergence(
    solutions: Mapping[str, Solution] | Sequence[Solution],
    *,
    ax: Axes | None = None,
    log: bool = True,
    exploitability: bool = False,
) -> Figure:
    """NashConv against iterations for several solvers, one line per solver.

    Parameters
    ----------
    solutions : mapping of str to Solution, or sequence of Solution
        The solutions to compare, by name (a sequence is named by each solution's
        ``method``). Each contributes its ``history``; a solution without history (a
        direct method such as the LP) is one point at its iteration count.
    ax : matplotlib.axes.Axes, optional
    log : bool
        Log-log axes (default). A NashConv of exactly 0 is drawn at the bottom of the
        axis, a tenth of the smallest positive value shown.
    exploitability : bool
        Also draw each solver's exploitability (NashConv divided by the number of
        players) as a dashed line of the same colour.

    Returns
    -------
    matplotlib.figure.Figure
        One line per solver (two with ``exploitability``), labelled with its name and
        final NashConv, whose last point is marked with a dot and its value. For a batch,
        the largest NashConv in the batch is drawn.

    Raises
    ------
    SolverError
        If there are no solutions or an entry is not a :class:`negsim.Solution`.

    Examples
    --------
    >>> from negsim.games import library
    >>> from negsim.solvers import cfr
    >>> kuhn = library.kuhn_poker()
    >>> fig = plot_convergence({v: cfr(kuhn, variant=v, iterations=100) for v in ("cfr", "cfr+")})
    >>> [line.get_label().split(":")[0] for line in fig.axes[0].get_lines()]
    ['cfr', 'cfr+']
    """
    if isinstance(solutions, Mapping):
        named = [(str(k), v) for k, v in solutions.items()]
    elif isinstance(solutions, Solution):
        named = [(solutions.method, solutions)]
    else:
        named = []
        seen: dict[str, int] = {}
        for sol in solutions:
            name = str(getattr(sol, "method", "?"))
            seen[name] = seen.get(name, 0) + 1
            named.append((name if seen[name] == 1 else f"{name} ({seen[name]})", sol))
    if not named:
        raise SolverError("plot_convergence needs at least one solution")
    for name, sol in named:
        if not isinstance(sol, Solution):
            raise SolverError(f"{name!r} is a {type(sol).__name__}, not a Solution")

    series = []
    for name, sol in named:
        history = sol.history or ((sol.iterations, sol.nash_conv),)
        its = np.array([max(int(i), 1) for i, _ in history], np.float64)
        vals = np.array([float(np.max(np.asarray(v, np.float64))) for _, v in history])
        series.append((name, sol, its, vals))
    positive = np.concatenate([v[v > 0] for *_, v in series])
    floor = float(positive.min()) / 10 if positive.size else 1e-16

    fig, ax = target_axes(ax, figsize=(7.5, 4.8))
    colors = player_colors(len(series))
    for (name, sol, its, vals), color in zip(series, colors, strict=True):
        shown = np.maximum(vals, floor) if log else vals
        final = float(vals[-1])
        marker = "o" if its.size == 1 else None
        ax.plot(its, shown, color=color, linewidth=1.8, marker=marker,
                label=f"{name}: {short_number(final)} after {int(its[-1]):,} iterations")
        ax.scatter([its[-1]], [shown[-1]], color=color, s=36, zorder=3)
        ax.annotate(short_number(final), (its[-1], shown[-1]), xytext=(5, 0),
                    textcoords="offset points", va="center", fontsize=8, color=color)
        if exploitability:
            ax.plot(its, shown / sol.num_players, color=color, linewidth=1.2, linestyle="--",
                    label=f"{name}: exploitability")
    last = max(float(its[-1]) for *_, its, _ in series)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(0.7, last * 3.0)  # room for the final values written right of the lines
    else:
        ax.set_xlim(0.0, last * 1.15)
    ax.set_xlabel("iteration")
    ax.set_ylabel("NashConv" + (" / exploitability" if exploitability else ""))
    titles = {getattr(sol.game, "title", "") for _, sol, *_ in series}
    game_title = titles.pop() if len(titles) == 1 else ""
    # a long game title would run past the figure's edges: wrap it
    ax.set_title(wrap_label(f"Convergence on {game_title}", 70, 3) if game_title else "Convergence to equilibrium")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8.5)
    return fig


# ---------------------------------------------------------------------------- sweeps
def _sweep_probability(result: Any, fact: str | None, condition: str | None, given: str | None):
    """The plotted probability ``[B]`` and its label, or ``(None, None)``."""
    if fact is not None and condition is not None:
        raise ScenarioError("give fact= or condition=, not both")
    if fact is not None:
        if fact not in result.facts:
            import difflib

            close = difflib.get_close_matches(fact, list(result.facts), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(f"no fact {fact!r} in this result{hint}")
        if given is None:
            return np.asarray(result.facts[fact], np.float64), fact
        if result.compiled is None:
            raise ScenarioError("this result does not keep its negotiation; give condition= instead of fact=")
        condition = next(e.condition for e in result.compiled.negotiation.expectations if e.fact == fact)
        return np.asarray(result.probability(condition, given), np.float64).ravel(), f"{fact} | {given}"
    if condition is not None:
        label = f"P({condition} | {given})" if given else f"P({condition})"
        return np.asarray(result.probability(condition, given), np.float64).ravel(), label
    if given is not None:
        raise ScenarioError("given= needs fact= or condition=")
    return None, None


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around sorted grid values (midpoints; the ends extended by half a step)."""
    if values.size == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    mid = 0.5 * (values[1:] + values[:-1])
    return np.concatenate(([2 * values[0] - mid[0]], mid, [2 * values[-1] - mid[-1]]))


def plot_sweep(
    result: Any,
    *,
    fact: str | None = None,
    condition: str | None = None,
    given: str | None = None,
    threshold: Any = None,
    ax: Axes | None = None,
) -> Figure:
    """Equilibrium probabilities over a parameter sweep: lines for one parameter, a heat map for two.

    Parameters
    ----------
    result : BatchResult
        From :func:`negsim.analysis.sweep` over one or two parameters.
    fact : str, optional
        An ``[[expect]]`` fact whose probability is drawn.
    condition : str, optional
        Or a condition on the final state (``"ceasefire == '30-day'"``).
    given : str, optional
        Draw the conditional probability ``P(condition | given)`` (NaN, not drawn, where
        ``given`` has probability 0).
    threshold : Threshold, optional
        From :func:`negsim.analysis.threshold`: a line at its value, its bracket shaded.
        Its parameter must be one of the swept ones.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        One parameter: each outcome's probability as stacked areas (one area per
        outcome that ever has probability of at least 0.005, plus one for all others if
        they add up to as much) and, with ``fact`` or ``condition``, that probability as a
        black line. Two parameters: a heat map over the grid (first parameter across,
        second up) of that probability, with a colour bar, or without ``fact`` and
        ``condition`` a map of the most likely outcome.

    Raises
    ------
    ScenarioError
        If the result is not a sweep over one or two parameters, both ``fact`` and
        ``condition`` are given, the fact is unknown, or the threshold's parameter was
        not swept.

    Examples
    --------
    >>> from negsim.analysis import sweep
    >>> from negsim.scenarios import load_scenario
    >>> result = sweep(load_scenario("istanbul-2025"), {"eu_bite": [0.0, 0.5, 1.0]},
    ...                options={"iterations": 200})
    >>> fig = plot_sweep(result, fact="23 July: Russia refuses again, with another exchange")
    >>> fig.axes[0].get_xlabel()
    'eu_bite'
    """
    names = list(getattr(result, "parameters", {}))
    shape = tuple(getattr(result, "shape", ()))
    if not names or len(names) != len(shape):
        raise ScenarioError(
            f"plot_sweep draws a grid from sweep(); this result varies {len(names)} parameter(s) on a grid of shape "
            f"{shape} (for a Monte Carlo run use plot_outcomes)"
        )
    # axes with a single value are held fixed: they go into the title, not onto an axis
    varied = [n for n, size in zip(names, shape, strict=True) if size > 1] or names[:1]
    fixed = {n: float(np.asarray(result.parameters[n])[0]) for n in names if n not in varied}
    if len(varied) > 2:
        raise ScenarioError(
            f"plot_sweep draws one or two varied parameters; this sweep varies {len(varied)} ({', '.join(varied)})"
        )
    prob, label = _sweep_probability(result, fact, condition, given)
    if threshold is not None and getattr(threshold, "parameter", None) not in varied:
        raise ScenarioError(
            f"the threshold is on {getattr(threshold, 'parameter', threshold)!r}, which this sweep does not vary "
            f"({', '.join(varied)})"
        )
    note = ", ".join(f"{n} = {v:g}" for n, v in fixed.items())
    if len(varied) == 1:
        return _sweep_line(result, varied[0], prob, label, threshold, ax, note)
    grid = tuple(size for size in shape if size > 1)
    return _sweep_map(result, varied, grid, prob, label, threshold, ax, note)


def _titled(text: str, note: str, width: int) -> str:
    return wrap_label(text, width, 2) + (f"\n({note})" if note else "")


def _sweep_line(result, name, prob, label, threshold, ax, note) -> Figure:
    x = np.asarray(result.parameters[name], np.float64)
    order = np.argsort(x, kind="stable")
    x = x[order]
    probs = np.asarray(result.outcome_probabilities, np.float64)[order]
    keep = np.flatnonzero(probs.max(axis=0) >= _NEGLIGIBLE)
    keep = keep[np.argsort(-probs[:, keep].mean(axis=0), kind="stable")]
    layers = [probs[:, k] for k in keep]
    labels = [wrap_label(result.outcomes[k], 48) for k in keep]
    rest = probs.sum(axis=1) - (np.sum(layers, axis=0) if layers else 0.0)
    if rest.max(initial=0.0) >= _NEGLIGIBLE:
        layers.append(rest)
        labels.append(f"{probs.shape[1] - keep.size} other outcomes")

    fig, ax = target_axes(ax, figsize=(11.0, 5.2))
    colors = outcome_colors(len(layers))
    ax.stackplot(x, np.array(layers).reshape(len(layers), x.size), labels=labels, colors=colors,
                 alpha=0.45 if prob is not None else 0.8, linewidth=0.4, edgecolor="white")
    if prob is not None:
        ax.plot(x, np.asarray(prob)[order], color="black", linewidth=2.4, marker="o", markersize=3.5,
                label=wrap_label(label, 48))
    if threshold is not None:
        _mark_threshold(ax, threshold, vertical=True)
    ax.set_xlim(x[0], x[-1]) if x.size > 1 else ax.set_xlim(x[0] - 0.5, x[0] + 0.5)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel(name)
    ax.set_ylabel("equilibrium probability")
    ax.set_title(_titled(f"Equilibrium outcomes against {name}" if label is None else label, note, 80))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, reverse=True)
    return fig


def _sweep_map(result, names, shape, prob, label, threshold, ax, note) -> Figure:
    xname, yname = names
    xs = np.asarray(result.parameters[xname], np.float64).reshape(shape)[:, 0]
    ys = np.asarray(result.parameters[yname], np.float64).reshape(shape)[0, :]
    ox, oy = np.argsort(xs, kind="stable"), np.argsort(ys, kind="stable")
    xs, ys = xs[ox], ys[oy]
    cells = shape[0] * shape[1]

    fig, ax = target_axes(ax, figsize=(8.6 if prob is not None else 11.0, 5.6))
    if prob is not None:
        z = np.asarray(prob, np.float64).reshape(shape)[np.ix_(ox, oy)]
        mesh = ax.pcolormesh(_edges(xs), _edges(ys), z.T, vmin=0.0, vmax=1.0, cmap="viridis", shading="flat")
        fig.colorbar(mesh, ax=ax, label="probability", shrink=0.9)
        # numbers in the cells, unless there are too many or the colours say it all (0 or 1)
        binary = bool(np.all((np.abs(z) < 1e-9) | (np.abs(z - 1) < 1e-9) | np.isnan(z)))
        if cells <= 150 and not binary:
            for i, xv in enumerate(xs):
                for j, yv in enumerate(ys):
                    if np.isfinite(z[i, j]):
                        ax.text(xv, yv, f"{z[i, j]:.2g}", ha="center", va="center", fontsize=7,
                                color=text_color(mesh.cmap(mesh.norm(z[i, j]))))
        ax.set_title(_titled(label, note, 70))
    else:
        probs = np.asarray(result.outcome_probabilities, np.float64)
        likely = probs.argmax(axis=1).reshape(shape)[np.ix_(ox, oy)]
        present, codes = np.unique(likely, return_inverse=True)
        codes = codes.reshape(likely.shape)
        colors = outcome_colors(present.size)
        ax.pcolormesh(_edges(xs), _edges(ys), codes.T, cmap=ListedColormap(colors), vmin=-0.5,
                      vmax=present.size - 0.5, shading="flat")
        handles = [
            Patch(color=c, label=wrap_label(result.outcomes[k], 48)) for k, c in zip(present, colors, strict=True)
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  title="most likely outcome", title_fontsize=8.5)
        ax.set_title(_titled("Most likely equilibrium outcome", note, 70))
    if threshold is not None:
        _mark_threshold(ax, threshold, vertical=threshold.parameter == xname)
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    return fig


def _mark_threshold(ax: Axes, threshold: Any, *, vertical: bool) -> None:
    from matplotlib import patheffects

    value = float(threshold.value)
    lo, hi = (float(b) for b in threshold.bracket)
    # say which probability crosses which level: a sweep may draw one condition and mark another's threshold
    level = float(getattr(threshold, "level", 0.5))
    condition = getattr(threshold, "condition", "")
    text = f"threshold {threshold.parameter} = {value:.3g}"
    if condition:
        text += "\n" + wrap_label(f"where P({condition}) crosses {level:g}", 44)
    # a black line with a white edge and a boxed label read on any background
    line = {"color": "black", "linestyle": "--", "linewidth": 1.6, "zorder": 3, "label": text,
            "path_effects": [patheffects.withStroke(linewidth=3.2, foreground="white")]}
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "0.4", "alpha": 0.9}
    if vertical:
        ax.axvspan(lo, hi, color="0.5", alpha=0.3, zorder=2)
        ax.axvline(value, **line)
        ax.annotate(text, (value, 1.0), xycoords=("data", "axes fraction"), xytext=(5, -5),
                    textcoords="offset points", ha="left", va="top", fontsize=8.5, zorder=4, bbox=box)
    else:
        ax.axhspan(lo, hi, color="0.5", alpha=0.3, zorder=2)
        ax.axhline(value, **line)
        ax.annotate(text, (0.0, value), xycoords=("axes fraction", "data"), xytext=(5, 5),
                    textcoords="offset points", ha="left", va="bottom", fontsize=8.5, zorder=4, bbox=box)


def plot_outcomes(result: Any, *, top: int = 8, ax: Axes | None = None) -> Figure:
    """The outcome distribution of a Monte Carlo run: bars with standard-error whiskers.

    Parameters
    ----------
    result : BatchResult or MonteCarloSummary
        From :func:`negsim.analysis.monte_carlo` (or a sweep: then the bars are shares
        of grid points and the whiskers only a descriptive spread).
    top : int
        Most outcomes to show, the likeliest first; outcomes of probability 0 are never
        shown, and the title says how much probability the hidden ones carry.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal bar per outcome shown (its probability averaged over the
        settings), with a whisker of one Monte Carlo standard error on each side and the
        value written at its end. Long outcome labels are wrapped onto up to three lines.

    Raises
    ------
    ScenarioError
        If ``top`` is less than 1 or the result has no outcomes.

    Examples
    --------
    >>> from negsim.analysis import sweep
    >>> from negsim.scenarios import load_scenario
    >>> result = sweep(load_scenario("istanbul-2025"), {"eu_bite": [0.0, 1.0]},
    ...                options={"iterations": 200})
    >>> fig = plot_outcomes(result, top=3)
    >>> 1 <= len(fig.axes[0].patches) <= 3
    True
    """
    if int(top) < 1:
        raise ScenarioError(f"top must be at least 1, got {top}")
    summary = getattr(result, "summary", None)
    if summary is None:
        raise ScenarioError(f"plot_outcomes draws a BatchResult, not {type(result).__name__}")
    rows = [(k, v["probability"], v["standard_error"]) for k, v in summary().items() if v["probability"] > 0]
    if not rows:
        raise ScenarioError("the result has no outcome of positive probability")
    shown, hidden = rows[: int(top)], rows[int(top):]
    names = [wrap_label(k, 46) for k, _, _ in shown]
    probs = np.array([p for _, p, _ in shown])
    errors = np.array([se for _, _, se in shown])
    lines = sum(name.count("\n") + 1 for name in names)

    fig, ax = target_axes(ax, figsize=(9.0, float(np.clip(0.26 * lines + 0.3 * len(shown) + 1.4, 2.6, 14.0))))
    ypos = np.arange(len(shown))[::-1]
    colors = [to_rgb(c) for c in outcome_colors(len(shown))]
    ax.barh(ypos, probs, xerr=errors, color=colors, alpha=0.85, height=0.7,
            error_kw={"ecolor": "black", "capsize": 3, "linewidth": 1.0})
    for y, p, se in zip(ypos, probs, errors, strict=True):
        ax.annotate(f"{p:.3f} ± {se:.3f}", (p + se, y), xytext=(5, 0), textcoords="offset points", va="center",
                    fontsize=8.5)
    ax.set_yticks(ypos, names, fontsize=8.5)
    ax.set_xlim(0.0, min(1.0, float((probs + errors).max())) * 1.18 + 0.02)
    ax.set_xlabel("probability (whiskers: ± 1 standard error)")
    kind = (getattr(result, "info", None) or {}).get("kind")
    count = getattr(result, "draws", len(np.atleast_1d(getattr(result, "nash_conv", [0]))))
    what = f"{count} Monte Carlo draws" if kind == "monte_carlo" else f"{count} settings"
    title = f"Equilibrium outcomes over {what}"
    if hidden:
        title += f"\n({len(hidden)} more outcomes not shown, together {sum(p for _, p, _ in hidden):.3f})"
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    return fig


# ---------------------------------------------------------------------------- files
def save(fig: Figure, path: str | Path, *, dpi: float = 150) -> Path:
    """Write a figure to a PNG, PDF or SVG file, chosen by the extension.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Where to write; the extension (``.png``, ``.pdf`` or ``.svg``, any case) picks
        the format. The directory must exist.
    dpi : float
        Resolution of a PNG.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    NegsimError
        If the extension is not one of :data:`FORMATS` or the file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> fig = plot_frontier([[2, 1], [1, 2]], disagreement=[0, 0])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = save(fig, pathlib.Path(folder) / "frontier.png")
    ...     written.read_bytes()[:4]
    b'\\x89PNG'
    """
    if not isinstance(fig, Figure):
        raise NegsimError(f"save writes a matplotlib Figure, not {type(fig).__name__}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        shown = repr(path.suffix) if path.suffix else "no extension"
        raise NegsimError(f"cannot save a figure as {str(path)!r}: {shown}; use one of {', '.join(FORMATS)}")
    if type(fig.canvas) is FigureCanvasBase:  # a bare Figure: render with Agg, never a GUI backend
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    try:
        fig.savefig(path, format=suffix[1:], dpi=dpi)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise NegsimError(f"cannot write the figure to {str(path)!r}: {reason}") from None
    return path
