"""Drawing an extensive-form game tree, with the equilibrium path highlighted.

:func:`plot_tree` lays the tree out top-down: every leaf of the drawing gets its own
column, in the left-to-right order of a depth-first walk, an inner node sits above the
middle of its children, and each depth level (``game.level_offsets``) is one row. Decision
nodes are coloured by player, chance nodes are grey diamonds and terminals small black
squares. Nodes of one information set are joined by dashed arcs in the player's colour.

Edges are labelled with their actions, and chance moves with their probabilities. Given a
profile, each edge is drawn with a width and opacity proportional to the probability that
play takes it (:meth:`BehaviorProfile.node_reach` of the node it leads to), so the
equilibrium path stands out, and the labels of mixed choices carry their probabilities
(choices made with probability 0 or 1 need no number: the edge's width shows it).

A large tree is not drawn whole. Above ``max_nodes`` nodes, and with a profile, only the
*equilibrium-relevant* part is drawn: the nodes reached with probability above
``min_reach`` and their immediate children (so every choice made on the path is shown with
its alternatives, and the subtrees behind unchosen alternatives are left out and marked).
Without a profile, or when even that part is too big, :func:`plot_tree` refuses with a
:class:`negsim.GameError`.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from negsim.errors import GameError
from negsim.games.extensive import CHANCE, DECISION, TERMINAL, ExtensiveFormGame
from negsim.games.profile import BehaviorProfile
from negsim.plot._style import player_colors, short_number, target_axes
from negsim.solvers.solution import Solution

__all__ = ["plot_tree", "tree_layout"]

CHANCE_COLOR = "#7f7f7f"
TERMINAL_COLOR = "#222222"
PATH_COLOR = "#2c3e50"
# Beyond these sizes, text would overlap: edge labels and node names, payoffs under leaves.
_LABEL_NODES = 160
_PAYOFF_LEAVES = 70
_NAME_CHARS = 22
# decision edges taken with probability within this of 0 or 1 get no number: their width says it
_CERTAIN = 5e-3
# a white backing that keeps text readable where it crosses an edge
_HALO = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def tree_layout(game: ExtensiveFormGame, drawn: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the nodes in the top-down layout of :func:`plot_tree`.

    Parameters
    ----------
    game : ExtensiveFormGame
    drawn : array of bool, shape (N,), optional
        The nodes to lay out (default: all). It must hold the root and, with every node,
        its parent; a drawn node without drawn children is a leaf of the drawing.

    Returns
    -------
    x, y : ndarray, shape (N,)
        ``x`` counts leaves of the drawing from the left (0, 1, ...), an inner node sits
        midway between its outermost drawn children; ``y`` is minus the depth. Nodes not
        drawn get NaN.

    Raises
    ------
    GameError
        If ``drawn`` has the wrong shape, lacks the root or the parent of a drawn node.

    Examples
    --------
    >>> from negsim.games import library
    >>> x, y = tree_layout(library.kuhn_poker())
    >>> float(x.max()) + 1, float(-y.min())   # 30 leaves, 5 levels below the root
    (30.0, 5.0)
    """
    n = game.num_nodes
    drawn = np.ones(n, bool) if drawn is None else np.asarray(drawn, bool)
    if drawn.shape != (n,) or not drawn[0] or not np.all(drawn[game.parent[1:]] | ~drawn[1:]):
        raise GameError("drawn must be one flag per node, hold the root, and hold the parent of every drawn node")
    offsets = [int(o) for o in game.level_offsets]
    levels = len(offsets) - 1
    parent = game.parent
    has_children = np.zeros(n, bool)
    has_children[parent[1:][drawn[1:]]] = True
    leaf = drawn & ~has_children

    # leaves under every node, bottom-up
    width = leaf.astype(np.float64)
    for d in range(levels - 1, 0, -1):
        lo, hi = offsets[d], offsets[d + 1]
        np.add.at(width, parent[lo:hi], width[lo:hi])
    # first leaf column of every node, top-down: siblings are contiguous in a level
    start = np.zeros(n)
    for d in range(1, levels):
        lo, hi = offsets[d], offsets[d + 1]
        w = width[lo:hi]
        before = np.cumsum(w) - w
        par = parent[lo:hi]
        start[lo:hi] = start[par] + before - before[game.first_child[par] - lo]
    # inner nodes midway between their outermost drawn children, bottom-up
    x = np.where(leaf, start, np.nan)
    left = np.full(n, np.inf)
    right = np.full(n, -np.inf)
    for d in range(levels - 1, 0, -1):
        lo, hi = offsets[d], offsets[d + 1]
        kids = np.arange(lo, hi)[drawn[lo:hi]]
        np.minimum.at(left, parent[kids], x[kids])
        np.maximum.at(right, parent[kids], x[kids])
        up = np.arange(offsets[d - 1], lo)
        inner = up[has_children[up]]
        x[inner] = 0.5 * (left[inner] + right[inner])
    y = np.where(drawn, -game.depth.astype(np.float64), np.nan)
    return x, y


def _relevant(game: ExtensiveFormGame, reach: np.ndarray, min_reach: float) -> np.ndarray:
    reached = reach > min_reach
    reached[0] = True
    drawn = reached.copy()
    drawn[1:] |= reached[game.parent[1:]]
    return drawn


def _short(text: str, limit: int = _NAME_CHARS) -> str:
    # compiled negotiations label an information set "stage | history": the stage is enough
    text = text.split(" | ")[0].strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float) -> str:
    text = f"{value:.3g}"
    return "0" if text == "-0" else text


def plot_tree(
    game: ExtensiveFormGame,
    profile: BehaviorProfile | Solution | None = None,
    *,
    max_nodes: int = 400,
    min_reach: float = 1e-9,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Draw a game tree, its information sets and, given a profile, the equilibrium path.

    Parameters
    ----------
    game : ExtensiveFormGame
        A single game (not a batch).
    profile : BehaviorProfile or Solution, optional
        A profile of ``game`` (a solution's profile is used). Edge widths and opacities
        are then proportional to the probability that play takes each edge.
    max_nodes : int
        The largest tree drawn whole. A larger one is drawn only in its
        equilibrium-relevant part (see the module docstring), which needs ``profile``.
    min_reach : float
        Nodes reached with at most this probability count as not reached when the tree
        is pruned.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (default: a new figure sized to the tree).
    title : str, optional
        Default: the game's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. Nodes are drawn as one scatter per kind (per player for decision
        nodes; a separate hollow one for nodes whose subtree was left out), so the
        points of its axes' collections are exactly the nodes drawn; edges and
        information-set arcs are line collections. Edge labels, node names and terminal
        payoffs (one line per player, in the player's colour) are written when the
        drawing is small enough to read them.

    Raises
    ------
    GameError
        If the game is a batch, the profile belongs to another game or is a batch, or
        the tree is too big to draw (see ``max_nodes``).

    Examples
    --------
    >>> from negsim.games import library
    >>> from negsim.solvers import cfr
    >>> kuhn = library.kuhn_poker()
    >>> fig = plot_tree(kuhn, cfr(kuhn, iterations=50))
    >>> fig.axes[0].get_title()
    'Kuhn poker'
    >>> sum(len(c.get_offsets()) for c in fig.axes[0].collections if hasattr(c, "get_sizes"))
    58
    """
    reach, edge_prob = _checked(game, profile, max_nodes)
    n = game.num_nodes
    pruned = n > max_nodes
    drawn = _drawn(game, reach, max_nodes, min_reach)
    x, y = tree_layout(game, drawn)
    nodes = np.flatnonzero(drawn)
    has_children = np.zeros(n, bool)
    has_children[game.parent[1:][drawn[1:]]] = True
    cut = drawn & ~has_children & (game.kind != TERMINAL)  # drawn, but subtree left out
    leaves = int((drawn & ~has_children).sum())
    depth = int(-np.nanmin(y))
    small = nodes.size <= _LABEL_NODES
    show_payoffs = leaves <= _PAYOFF_LEAVES and bool((drawn & (game.kind == TERMINAL)).any())
    payoff_lines = game.num_players if show_payoffs else 0

    width = float(np.clip(0.52 * leaves + 2.5, 6.0, 40.0))
    height = float(np.clip((1.2 if small else 0.9) * depth + 0.16 * payoff_lines + 2.4, 4.0, 26.0))
    fig, ax = target_axes(ax, figsize=(width, height))
    colors = player_colors(game.num_players)
    text_size = 7.5 if small else 6.0

    kids = nodes[nodes > 0]
    _draw_edges(ax, game, kids, x, y, reach, min_reach)
    decision = nodes[game.kind[nodes] == DECISION]
    arcs = _draw_infoset_arcs(ax, game, decision, x, y, colors)
    _draw_nodes(ax, fig, game, drawn, cut, x, y, colors, leaves)
    if small:
        _edge_labels(ax, game, kids, x, y, edge_prob, reach, min_reach, text_size)
        _node_names(ax, fig, game, decision, x, y, reach, colors, text_size, leaves)
    if show_payoffs:
        _payoffs(ax, game, np.flatnonzero(drawn & (game.kind == TERMINAL)), x, y, colors, text_size)

    # ---- frame, title, legend
    ax.set_xlim(-0.8, max(leaves - 1, 0) + 0.8)
    ax.set_ylim(-depth - 0.35 - 0.2 * payoff_lines, 0.5)
    ax.axis("off")
    heading = title if title is not None else (game.title or "Game tree")
    heading = textwrap.fill(heading, 90)
    if pruned:
        heading += (
            f"\n(the part reached in play: {nodes.size} of {n} nodes, those reached with probability above "
            f"{short_number(min_reach)} and their children)"
        )
    ax.set_title(heading, fontsize=11)
    handles = _legend_handles(game, colors, drawn, cut, arcs, reach is not None, show_payoffs)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=min(len(handles), 5),
              fontsize=8.5, frameon=False)
    return fig


def _checked(game: Any, profile: Any, max_nodes: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(reach, edge_prob)`` of the profile per node (``None`` without one), once the arguments are checked."""
    if not isinstance(game, ExtensiveFormGame):
        raise GameError(f"plot_tree draws an extensive-form game, not {type(game).__name__}")
    if game.batch_size is not None:
        raise GameError("plot_tree draws one game, not a batch; pick one with game.batch_item(b)")
    if isinstance(profile, Solution):
        profile = profile.profile
    if profile is not None and not isinstance(profile, BehaviorProfile):
        raise GameError(f"the profile must be a BehaviorProfile or a Solution, not {type(profile).__name__}")
    if max_nodes < 1:
        raise GameError(f"max_nodes must be positive, got {max_nodes}")
    if profile is None:
        return None, None
    if profile.game is not game and not profile.game.structurally_equal(game):
        raise GameError("the profile belongs to a different game")
    if profile.batch_size is not None or profile.game.batch_size is not None:
        raise GameError("plot_tree takes a single profile; pick one with profile.batch_item(b)")
    return np.asarray(profile.node_reach(), np.float64), np.asarray(profile.edge_probabilities(), np.float64)


def _drawn(game: ExtensiveFormGame, reach: np.ndarray | None, max_nodes: int, min_reach: float) -> np.ndarray:
    """The nodes to draw: all of a small tree, the equilibrium-relevant part of a large one."""
    n = game.num_nodes
    if n <= max_nodes:
        return np.ones(n, bool)
    if reach is None:
        raise GameError(
            f"the tree has {n} nodes, more than max_nodes={max_nodes}; pass a profile to draw only the part "
            "that play reaches, or raise max_nodes"
        )
    drawn = _relevant(game, reach, min_reach)
    if drawn.sum() > max_nodes:
        raise GameError(
            f"the tree has {n} nodes and even the part reached with probability above "
            f"{short_number(min_reach)} has {int(drawn.sum())}, more than max_nodes={max_nodes}; "
            "raise max_nodes or min_reach"
        )
    return drawn


def _draw_edges(ax: Axes, game, kids, x, y, reach, min_reach) -> None:
    """One line collection of the edges into ``kids``, wide and dark where play goes."""
    par = game.parent[kids]
    segments = np.stack([np.column_stack([x[par], y[par]]), np.column_stack([x[kids], y[kids]])], axis=1)
    if reach is None:
        widths = np.full(kids.size, 1.2)
        edge_colors = np.tile([0.35, 0.35, 0.35, 0.9], (kids.size, 1))
    else:
        p = np.clip(reach[kids], 0.0, 1.0)
        widths = 0.7 + 4.3 * p
        on = p > min_reach
        edge_colors = np.where(
            on[:, None],
            np.column_stack([np.tile(to_rgb(PATH_COLOR), (kids.size, 1)), 0.3 + 0.7 * p]),
            np.tile([0.6, 0.6, 0.6, 0.6], (kids.size, 1)),
        )
    ax.add_collection(LineCollection(segments, linewidths=widths, colors=edge_colors, zorder=1, capstyle="round"))


def _draw_infoset_arcs(ax: Axes, game, decision, x, y, colors) -> bool:
    """Dashed arcs between neighbouring drawn nodes of each information set; whether there were any."""
    arcs, arc_colors = [], []
    infosets = game.infoset[decision]
    for i in np.unique(infosets):
        members = decision[infosets == i]
        if members.size < 2:
            continue
        members = members[np.argsort(x[members])]
        color = colors[int(game.infosets.player[i])]
        for a, b in zip(members[:-1], members[1:], strict=True):
            arcs.append(_arc(x[a], y[a], x[b], y[b]))
            arc_colors.append(color)
    if arcs:
        ax.add_collection(
            LineCollection(arcs, colors=arc_colors, linestyles=(0, (4, 3)), linewidths=1.1, alpha=0.8, zorder=2)
        )
    return bool(arcs)


def _draw_nodes(ax: Axes, fig: Figure, game, drawn, cut, x, y, colors, leaves: int) -> None:
    """One scatter per kind (per player for decision nodes), so that a legend entry and a collection match."""
    # marker diameter (points) shrinks with the space per leaf column, between 3 and 8.5
    column = ax.get_position().width * fig.get_figwidth() / (leaves + 1.6)
    size = float(np.clip(0.45 * column * 72.0, 3.0, 8.5)) ** 2
    kind = game.kind
    full = drawn & ~cut
    for p in range(game.num_players):
        mine = np.flatnonzero(full & (kind == DECISION) & (game.player == p))
        if mine.size:
            ax.scatter(x[mine], y[mine], s=size, color=colors[p], edgecolors="white", linewidths=0.8, zorder=3)
    for which, marker, color, s in (
        (CHANCE, "D", CHANCE_COLOR, size * 0.8),
        (TERMINAL, "s", TERMINAL_COLOR, size * 0.45),
    ):
        these = np.flatnonzero(full & (kind == which))
        if these.size:
            ax.scatter(x[these], y[these], s=s, marker=marker, color=color, zorder=3)
    if cut.any():
        these = np.flatnonzero(cut)
        edge = [colors[int(game.player[h])] if kind[h] == DECISION else CHANCE_COLOR for h in these]
        ax.scatter(x[these], y[these], s=size, facecolors="white", edgecolors=edge, linewidths=1.4, zorder=3)


def _payoffs(ax: Axes, game, shown, x, y, colors, size: float) -> None:
    """The payoffs under the terminals ``shown``, one line per player in the player's colour."""
    index = game.terminal_index[shown]
    for p in range(game.num_players):
        for h, z in zip(shown, index, strict=True):
            ax.annotate(_number(game.payoffs[z, p]), (x[h], y[h]), xytext=(0, -8 - 9 * p),
                        textcoords="offset points", ha="center", va="top", fontsize=size,
                        color=colors[p], zorder=4)


def _arc(x0: float, y0: float, x1: float, y1: float, points: int = 24) -> np.ndarray:
    """A quadratic Bezier bulging upwards between two nodes, higher for distant nodes."""
    t = np.linspace(0.0, 1.0, points)[:, None]
    lift = min(0.42, 0.1 + 0.02 * abs(x1 - x0))  # stay below the level above
    control = np.array([0.5 * (x0 + x1), max(y0, y1) + lift * 2.0])
    start, end = np.array([x0, y0]), np.array([x1, y1])
    return (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end


def _edge_labels(ax: Axes, game, kids, x, y, edge_prob, reach, min_reach, size) -> None:
    par = game.parent[kids]
    for h, q in zip(kids, par, strict=True):
        actions = game.node_actions(int(q))
        a = int(game.action[h])
        text = actions[a] if actions[a] else str(a)
        if game.kind[q] == CHANCE:
            text = f"{text} {float(game.chance_prob[h]):.2f}"
        elif edge_prob is not None and _CERTAIN < edge_prob[h] < 1 - _CERTAIN:
            text = f"{text} {float(edge_prob[h]):.2f}"
        dx, dy = x[h] - x[q], y[h] - y[q]
        angle = float(np.degrees(np.arctan2(dy, dx)))
        if angle > 90:
            angle -= 180
        elif angle < -90:
            angle += 180
        faded = reach is not None and reach[h] <= min_reach
        ax.text(x[q] + 0.5 * dx, y[q] + 0.5 * dy, text, rotation=angle, transform_rotates_text=True,
                rotation_mode="anchor", ha="center", va="center", fontsize=size,
                color="#777777" if faded else "#111111", zorder=4, bbox=_HALO)


def _node_names(ax: Axes, fig: Figure, game, decision, x, y, reach, colors, size: float, leaves: int) -> None:
    """Write each decision node's information-set name beside it, where it overlaps nothing.

    A name goes on the side away from the edge coming in from above, or else on the other
    side, or is left out. Nodes on the path of play are named first.
    """
    box = ax.get_position()
    span = max(leaves - 1, 0) + 1.6
    inch = box.width * fig.get_figwidth() / span  # inches per leaf column
    char = 0.6 * size / 72.0 / inch  # width of a character, in leaf columns
    node = 0.22  # half the width of a node marker, in leaf columns
    taken: dict[float, list[tuple[float, float]]] = {}
    for h in np.flatnonzero(np.isfinite(x)):
        taken.setdefault(float(y[h]), []).append((x[h] - node, x[h] + node))
    order = decision if reach is None else decision[np.argsort(-reach[decision], kind="stable")]
    for h in order:
        label = _short(game.infosets.labels[int(game.infoset[h])])
        if not label:
            continue
        width = char * len(label) + 0.1
        right_first = h > 0 and x[game.parent[h]] < x[h]
        row = taken[float(y[h])]
        for right in (right_first, not right_first):
            lo, hi = (x[h] + node, x[h] + node + width) if right else (x[h] - node - width, x[h] - node)
            if all(hi <= a or lo >= b for a, b in row):
                row.append((lo, hi))
                ax.annotate(label, (x[h], y[h]), xytext=(7 if right else -7, 0), textcoords="offset points",
                            ha="left" if right else "right", va="center", fontsize=size,
                            color=colors[int(game.player[h])], zorder=4, bbox=_HALO)
                break


def _legend_handles(game, colors, drawn, cut, arcs: bool, path: bool, payoffs: bool) -> list[Any]:
    kind = game.kind
    handles: list[Any] = []
    for p, name in enumerate(game.players):
        if np.any(drawn & (kind == DECISION) & (game.player == p)):
            handles.append(Line2D([], [], marker="o", linestyle="", color=colors[p], markersize=8, label=name))
    if np.any(drawn & (kind == CHANCE)):
        handles.append(Line2D([], [], marker="D", linestyle="", color=CHANCE_COLOR, markersize=7, label="chance"))
    if np.any(drawn & (kind == TERMINAL)):
        label = "terminal (payoffs below, one line per player)" if payoffs else "terminal"
        handles.append(Line2D([], [], marker="s", linestyle="", color=TERMINAL_COLOR, markersize=5, label=label))
    if cut.any():
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#555555",
                              markersize=8, label="not reached: subtree left out"))
    if arcs:
        handles.append(Line2D([], [], linestyle=(0, (4, 3)), color="#555555", label="information set"))
    if path:
        handles.append(Line2D([], [], color=PATH_COLOR, linewidth=4, label="edge width ∝ probability of play"))
    return handles
