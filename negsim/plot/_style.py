"""What the figures share: where to draw, the colours of players and outcomes, how labels and numbers are written."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from negsim.errors import NegsimError

_PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f",
)


# ---------------------------------------------------------------------------- helpers
def target_axes(ax: Axes | None, *, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """``(figure, axes)`` to draw on: ``ax`` and its figure, or a new figure of ``figsize`` inches.

    New figures use matplotlib's constrained layout, so that titles, labels and legends
    outside the axes are not clipped.
    """
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    if not isinstance(ax, Axes):
        raise NegsimError(f"ax must be matplotlib Axes, not {type(ax).__name__}")
    return ax.figure.figure, ax  # the root figure, also when the axes sit in a subfigure


def player_colors(count: int) -> list[str]:
    """One colour per player (a colour-blind-friendly palette, repeated beyond ten players)."""
    return [_PALETTE[p % len(_PALETTE)] for p in range(count)]


def wrap_label(text: str, width: int = 40, lines: int = 6) -> str:
    """Wrap a label onto at most ``lines`` lines of about ``width`` characters.

    Outcome labels (``"attended, prisoners_exchanged, eu_sanctions=massive"``) break only
    between their comma-separated items, so no item is split; other text breaks at spaces.
    """
    if ", " in text:
        parts: list[str] = []
        for item in text.split(", "):
            if parts and len(parts[-1]) + 2 + len(item) <= width:
                parts[-1] += ", " + item
            else:
                if parts:
                    parts[-1] += ","
                parts.append(item)
    else:
        parts = textwrap.wrap(text, width, break_long_words=False) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1].rstrip(",") + " …"
    return "\n".join(parts)


def outcome_colors(count: int) -> list[Any]:
    """One colour per outcome (matplotlib's tab10, or tab20 beyond ten outcomes)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(k % cmap.N) for k in range(count)]


def short_number(value: float) -> str:
    """``0.0011``, ``8.7e-5``: two significant digits, a short exponent."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def text_color(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a fill of colour ``rgba``."""
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"
