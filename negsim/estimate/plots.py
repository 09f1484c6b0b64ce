"""Figures of a calibration: posterior marginals, and the predictive against what happened.

Both functions draw on a matplotlib :class:`~matplotlib.figure.Figure` without pyplot (no
display needed); write them with :func:`negsim.plot.save`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from negsim.estimate.calibrate import Calibration

__all__ = ["plot_posterior", "plot_predictive"]


def plot_posterior(cal: Calibration, *, bins: int = 30) -> Figure:
    """One panel per parameter: the prior draws and the importance-weighted posterior.

    Parameters
    ----------
    cal : Calibration
    bins : int

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from negsim.estimate.calibrate import calibrate
    >>> cal = calibrate("istanbul-2025", "russia_may=refuse_exchange", draws=30, seed=1)
    >>> len(plot_posterior(cal).axes) == len(cal.parameters)
    True
    """
    names = list(cal.parameters)
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig = Figure(figsize=(4.0 * cols, 2.8 * rows), layout="constrained")
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, k + 1)
        values = cal.parameters[name]
        edges = np.histogram_bin_edges(values, bins=bins)
        ax.hist(values, bins=edges, density=True, color="0.8", label="prior draws")
        ax.hist(values, bins=edges, weights=cal.weights, density=True, histtype="step", lw=2, label="posterior")
        ax.set_title(name, fontsize=9)
        if k == 0:
            ax.legend(fontsize=7)
    fig.suptitle(
        f"{cal.scenario}: posterior given " + ", ".join(f"{s}={m}" for s, m in cal.observed.items()), fontsize=9
    )
    return fig


def plot_predictive(cal: Calibration) -> Figure:
    """Predictive probability of each move of the stages not observed; what happened is marked.

    Parameters
    ----------
    cal : Calibration

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from negsim.estimate.calibrate import calibrate
    >>> cal = calibrate("istanbul-2025", "russia_may=refuse_exchange", draws=30, seed=1, actual="russia_july=refuse")
    >>> fig = plot_predictive(cal)
    """
    actual = {row["stage"]: row["move"] for row in cal.actual}
    labels: list[str] = []
    probs: list[float] = []
    happened: list[bool] = []
    for stage, table in cal.predictive.items():
        for move, p in table.items():
            if move == "skipped" and p < 5e-4:
                continue
            labels.append(f"{stage}: {move}")
            probs.append(p)
            happened.append(actual.get(stage) == move)
    fig = Figure(figsize=(7.0, 0.3 * len(labels) + 1.2), layout="constrained")
    ax: Any = fig.add_subplot()
    y = np.arange(len(labels))[::-1]
    colors = ["tab:green" if h else "tab:blue" for h in happened]
    ax.barh(y, probs, color=colors)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("posterior predictive probability (green: what happened)")
    return fig
