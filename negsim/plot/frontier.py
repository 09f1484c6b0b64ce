"""The figure of a two-player bargaining problem: outcomes, Pareto frontier, disagreement point, solutions.

:func:`plot_frontier` marks the Nash and Kalai–Smorodinsky solutions of the finite set of
outcomes (with negsim's bargaining solvers), optionally the frontier of its lotteries,
and writes each outcome's label clear of the frontier line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from negsim.errors import SolverError
from negsim.plot._style import target_axes, wrap_label

__all__ = ["plot_frontier"]


def _bargaining_points(u: np.ndarray, d: np.ndarray):
    """Pareto mask, Nash and Kalai–Smorodinsky points (``None`` where no outcome beats ``d``)."""
    try:
        from negsim import bargaining
    except ImportError:  # pragma: no cover - the bargaining solvers are optional here
        bargaining = None
    if bargaining is not None:
        efficient = np.asarray(bargaining.pareto_frontier(u), bool)
        nash = bargaining.nash_bargaining(u, d)
        ks = bargaining.kalai_smorodinsky(u, d)
        return (efficient, nash.utilities if nash.agreement else None, ks.utilities if ks.agreement else None,
                ks.ideal if ks.agreement else None)
    return _local_bargaining(u, d)


def _local_bargaining(u: np.ndarray, d: np.ndarray):
    """The finite-set versions, for when :mod:`negsim.solvers.bargaining` is not available."""
    better_eq = (u[None, :, :] >= u[:, None, :]).all(-1)
    strictly = (u[None, :, :] > u[:, None, :]).any(-1)
    efficient = ~(better_eq & strictly).any(axis=1)
    gains = u - d
    better = (gains > 0).all(axis=1)
    if not better.any():
        return efficient, None, None, None
    product = np.where(better, np.prod(np.where(better[:, None], gains, 1.0), axis=1), -np.inf)
    nash = u[int(product.argmax())]
    rational = (gains >= 0).all(axis=1)
    ideal_gain = np.where(rational[:, None], gains, -np.inf).max(axis=0)
    worst = np.where(rational, (gains / ideal_gain).min(axis=1), -np.inf)
    ks = u[int(worst.argmax())]
    return efficient, nash, ks, d + ideal_gain


def _outward(u: np.ndarray, efficient: np.ndarray) -> np.ndarray:
    """A unit direction per outcome to write its label in, clear of the frontier line.

    Frontier points: the normal of the frontier there, pointing up and right (in axis
    units, so that both utilities count alike). Other points: below and to the right.
    """
    scale = np.where(np.ptp(u, axis=0) > 0, np.ptp(u, axis=0), 1.0)
    out = np.tile([0.7071, -0.7071], (len(u), 1))
    front = np.flatnonzero(efficient)
    front = front[np.lexsort((-u[front, 1], u[front, 0]))]
    for i, k in enumerate(front):
        before, after = u[front[max(i - 1, 0)]], u[front[min(i + 1, len(front) - 1)]]
        dx, dy = (after - before) / scale
        normal = np.array([-dy, dx]) if (dx or dy) else np.array([1.0, 1.0])
        out[k] = normal / np.linalg.norm(normal)
    return out


def plot_frontier(
    utilities: ArrayLike,
    *,
    disagreement: ArrayLike,
    labels: Sequence[str] | None = None,
    agents: tuple[str, str] = ("Player 1", "Player 2"),
    lotteries: bool = False,
    points: Mapping[str, ArrayLike] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Outcomes of a two-player bargaining problem, their Pareto frontier and the bargaining solutions.

    Parameters
    ----------
    utilities : array_like, shape (K, 2)
        Each outcome's utility to the two agents.
    disagreement : array_like, shape (2,)
        The disagreement point.
    labels : sequence of str, optional
        A name per outcome, written next to its point (next to frontier points only when
        there are more than 25 outcomes).
    agents : (str, str)
        Names for the axes.
    lotteries : bool
        Solve the bargaining problems over lotteries of outcomes (the convex hull, with
        :func:`~negsim.solvers.bargaining.nash_bargaining_convex` and
        :func:`~negsim.solvers.bargaining.kalai_smorodinsky_convex`) instead of over the
        outcomes themselves, so that the figure shows the points a script using those prints.
    points : mapping of str to (float, float), optional
        Further points to mark, each named in the legend (a Rubinstein outcome, a weighted
        Nash solution).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        The outcomes (grey), the Pareto-efficient ones highlighted and joined in order,
        the disagreement point, the Nash bargaining solution (largest Nash product) and
        the Kalai–Smorodinsky solution (largest smallest normalized gain) with the ray
        from the disagreement point to the ideal point, all over the finite set of
        outcomes (from :mod:`negsim.solvers.bargaining`), and a legend. When no outcome
        gives both agents more than the disagreement point, the two solutions are left
        out and the legend says so.

    Raises
    ------
    SolverError
        If the shapes do not fit or a value is not finite.

    Examples
    --------
    >>> fig = plot_frontier([[4, 0], [3, 1], [2, 2], [1, 3], [1, 1]], disagreement=[0, 0])
    >>> sorted(t.get_text().split(" (")[0] for t in fig.axes[0].get_legend().get_texts())
    ['Kalai–Smorodinsky', 'Nash bargaining', 'Pareto frontier', 'disagreement', 'outcomes']
    """
    u = np.asarray(utilities, np.float64)
    d = np.asarray(disagreement, np.float64)
    if u.ndim != 2 or u.shape[1] != 2 or u.shape[0] < 1:
        raise SolverError(f"utilities must have shape (K, 2) for two agents, got {u.shape}")
    if d.shape != (2,):
        raise SolverError(f"the disagreement point must hold two numbers, got shape {d.shape}")
    if not (np.isfinite(u).all() and np.isfinite(d).all()):
        raise SolverError("utilities and the disagreement point must be finite")
    if labels is not None and len(labels) != u.shape[0]:
        raise SolverError(f"labels must name each of the {u.shape[0]} outcomes, got {len(labels)}")
    if len(agents) != 2:
        raise SolverError("agents must name the two agents")

    efficient, nash, ks, ideal = _bargaining_points(u, d)
    over = ""
    if lotteries:
        from negsim.solvers import bargaining

        convex_nash = bargaining.nash_bargaining_convex(u, d)
        convex_ks = bargaining.kalai_smorodinsky_convex(u, d)
        nash = convex_nash.utilities if convex_nash.agreement else None
        ks, ideal = (convex_ks.utilities, convex_ks.ideal) if convex_ks.agreement else (None, None)
        over = ", over lotteries"
    fig, ax = target_axes(ax, figsize=(7.2, 6.0))
    ax.scatter(u[:, 0], u[:, 1], s=28, color="#9a9a9a", label="outcomes", zorder=2)
    front = u[efficient]
    front = front[np.lexsort((-front[:, 1], front[:, 0]))]
    ax.plot(front[:, 0], front[:, 1], color="#1f77b4", linewidth=2.2, marker="o", markersize=6.5,
            label="Pareto frontier", zorder=3)
    ax.axvline(d[0], color="0.6", linestyle=":", linewidth=1.0, zorder=1)
    ax.axhline(d[1], color="0.6", linestyle=":", linewidth=1.0, zorder=1)
    ax.scatter([d[0]], [d[1]], marker="X", s=110, color="black", label=f"disagreement ({d[0]:.3g}, {d[1]:.3g})",
               zorder=4)
    if nash is not None:
        ax.scatter([nash[0]], [nash[1]], marker="*", s=420, color="#ff7f0e", edgecolors="black", linewidths=0.6,
                   label=f"Nash bargaining{over} ({nash[0]:.3g}, {nash[1]:.3g})", zorder=5)
    if ks is not None:
        ax.plot([d[0], ideal[0]], [d[1], ideal[1]], color="#2ca02c", linestyle="--", linewidth=1.0, zorder=1)
        ax.scatter([ideal[0]], [ideal[1]], marker="+", s=80, color="#2ca02c", zorder=4)
        ax.annotate("ideal point", (ideal[0], ideal[1]), xytext=(6, 4), textcoords="offset points", fontsize=8,
                    color="#2ca02c")
        ax.scatter([ks[0]], [ks[1]], marker="D", s=90, color="#2ca02c", edgecolors="black", linewidths=0.6,
                   label=f"Kalai–Smorodinsky{over} ({ks[0]:.3g}, {ks[1]:.3g})", zorder=6)
    if nash is None:
        ax.plot([], [], linestyle="", label="no outcome beats disagreement for both")
    marks = ["^", "v", "P", "h", "s", "p"]
    for k, (name, point) in enumerate((points or {}).items()):
        xy = np.asarray(point, np.float64)
        if xy.shape != (2,) or not np.isfinite(xy).all():
            raise SolverError(f"point {name!r} must be two finite numbers")
        ax.scatter([xy[0]], [xy[1]], marker=marks[k % len(marks)], s=80, edgecolors="black", linewidths=0.6,
                   label=f"{name} ({xy[0]:.3g}, {xy[1]:.3g})", zorder=6)
    if labels is not None:
        which = np.arange(u.shape[0]) if u.shape[0] <= 25 else np.flatnonzero(efficient)
        outward = _outward(u, efficient)
        for k in which:
            nx, ny = outward[k]
            ha = "left" if nx > 0.35 else "right" if nx < -0.35 else "center"
            va = "bottom" if ny > 0.35 else "top" if ny < -0.35 else "center"
            ax.annotate(wrap_label(str(labels[k]), 24, 2), (u[k, 0], u[k, 1]), xytext=(7 * nx, 7 * ny),
                        textcoords="offset points", fontsize=8, ha=ha, va=va, color="#333333", zorder=7)
    ax.set_xlabel(f"utility of {agents[0]}")
    ax.set_ylabel(f"utility of {agents[1]}")
    ax.set_title("Bargaining: Pareto frontier and solutions")
    ax.margins(0.18)
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=8.5, loc="best", markerscale=0.7)
    return fig


# ---------------------------------------------------------------------------- outcomes
