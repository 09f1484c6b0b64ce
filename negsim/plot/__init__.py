"""Figures of games and results, drawn with matplotlib without a display.

Every function returns a :class:`matplotlib.figure.Figure` made directly, never through
``pyplot``: nothing opens a window, no display or GUI backend is needed, and figures can be
made in scripts, tests and on servers alike. Pass ``ax=`` to draw into axes of your own.

========================  ===============================================================
:func:`plot_tree`         a game tree with information sets and the equilibrium path
:func:`plot_convergence`  NashConv against iterations for several solvers
:func:`plot_sweep`        probabilities over a one- or two-parameter sweep, thresholds
:func:`plot_frontier`     Pareto frontier, disagreement point, Nash and Kalai–Smorodinsky
:func:`plot_outcomes`     the outcome distribution of a Monte Carlo run, with error bars
:func:`save`              write a figure as PNG, PDF or SVG by the file's extension
========================  ===============================================================

Examples
--------
>>> from negsim.games import library
>>> from negsim.plot import plot_tree
>>> fig = plot_tree(library.kuhn_poker())
>>> type(fig).__name__
'Figure'
"""

from negsim.plot.charts import FORMATS, plot_convergence, plot_outcomes, plot_sweep, save
from negsim.plot.frontier import plot_frontier
from negsim.plot.tree import plot_tree, tree_layout

__all__ = [
    "FORMATS",
    "plot_convergence",
    "plot_frontier",
    "plot_outcomes",
    "plot_sweep",
    "plot_tree",
    "save",
    "tree_layout",
]
