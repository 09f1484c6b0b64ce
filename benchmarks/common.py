"""Shared pieces of the harness: configuration, timing, number formatting, tables, the report."""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

SECTIONS = ("cfr", "convergence", "evaluation", "lp", "memory", "batch", "scaling", "estimate")
"""Section names in the order one run executes them (``--only`` takes these)."""

GAME_KEYS = ("kuhn", "leduc", "liars_dice")


@dataclass
class Config:
    """What one run measures and how long it may take.

    ``iterations`` caps every iteration count (used by the test suite for tiny runs);
    ``quick`` picks small counts, leaves out Liar's dice and caps the LP timeout at 5 s.
    """

    quick: bool = False
    sections: tuple[str, ...] = SECTIONS
    iterations: int | None = None
    repeats: int = 3
    lp_timeout: float = 60.0
    peers: frozenset[str] | None = None
    markdown: bool = False
    batch_sizes: tuple[int, ...] = (1, 10, 100, 1000)

    def count(self, full: int, quick: int) -> int:
        """An iteration count: ``full`` or ``quick``, then capped by ``iterations``."""
        n = quick if self.quick else full
        if self.iterations is not None:
            n = min(n, self.iterations)
        return max(1, int(n))

    @property
    def games(self) -> tuple[str, ...]:
        return GAME_KEYS[:2] if self.quick else GAME_KEYS

    @property
    def timeout(self) -> float:
        return min(self.lp_timeout, 5.0) if self.quick else self.lp_timeout


# ---------------------------------------------------------------------------- timing
_CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
_clock = ["cpu"]


def use_clock(name: str) -> None:
    """Time with ``"cpu"`` (this process's CPU time, the default) or ``"wall"`` (elapsed time).

    On a shared machine the wall clock also counts the time other processes hold the
    cores; the CPU time of a single-threaded solver is what an idle machine's wall clock
    would show, so ratios between libraries stay put when the load changes. Every
    measured library here runs on one thread (numpy's element-wise work and scipy's
    sparse products do; OpenSpiel's solvers do; LiteEFG defaults to one thread); a
    multi-threaded solver would be charged for all its threads.
    """
    if name not in _CLOCKS:
        raise ValueError(f"clock must be one of {', '.join(_CLOCKS)}, not {name!r}")
    _clock[0] = name


def clock() -> float:
    """Seconds on the chosen clock (see :func:`use_clock`)."""
    return _CLOCKS[_clock[0]]()


def clock_name() -> str:
    return _clock[0]


def median_seconds(measure: Callable[[], float], repeats: int) -> tuple[float, list[float]]:
    """Median of ``repeats`` calls of ``measure``, which returns the seconds it timed itself.

    Letting the callee time itself keeps set-up that does not belong to the measured work
    (building a peer's solver, loading its game) out of the number.
    """
    times = [float(measure()) for _ in range(max(1, repeats))]
    return statistics.median(times), times


def timed(fn: Callable[[], Any]) -> Callable[[], float]:
    """Wrap ``fn`` so that calling the wrapper returns the seconds ``fn`` took (on :func:`clock`)."""

    def measure() -> float:
        started = clock()
        fn()
        return clock() - started

    return measure


# ---------------------------------------------------------------------------- formatting
def rate(x: float | None) -> str:
    """Iterations per second, grouped: ``12,345``, ``83.1``, ``3.27``."""
    if x is None:
        return "-"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:,.1f}"
    return f"{x:.3g}"


def ratio(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}x"
    return f"{x:.2f}x"  # two decimals tell 14.96x from a 15x threshold


def seconds(x: float | None) -> str:
    """A duration with a unit that keeps three significant digits."""
    if x is None:
        return "-"
    if x < 1e-3:
        return f"{x * 1e6:.3g} µs"
    if x < 1:
        return f"{x * 1e3:.3g} ms"
    return f"{x:.3g} s"


def number(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 1e-3 and abs(x) < 1e5:
        return f"{x:.{digits}g}"
    return f"{x:.{max(1, digits - 1)}e}"


def megabytes(n_bytes: float | None) -> str:
    if n_bytes is None:
        return "-"
    return f"{n_bytes / 2**20:,.1f}"


# ---------------------------------------------------------------------------- tables
@dataclass
class Table:
    """A titled table of strings with notes underneath, printable as text or Markdown."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])

    def render(self, markdown: bool = False) -> str:
        return _markdown(self) if markdown else _text(self)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows, "notes": self.notes}


def _text(table: Table) -> str:
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Iterable[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    out = [table.title, "=" * len(table.title), line(table.columns), line("-" * w for w in widths)]
    out.extend(line(row) for row in table.rows)
    out.extend(f"  * {note}" for note in table.notes)
    return "\n".join(out)


def _markdown(table: Table) -> str:
    def line(cells: Iterable[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [f"#### {table.title}", "", line(table.columns), "|" + "|".join("---" for _ in table.columns) + "|"]
    out.extend(line(row) for row in table.rows)
    if table.notes:
        out.append("")
        out.extend(f"- {note}" for note in table.notes)
    return "\n".join(out)


# ---------------------------------------------------------------------------- report
class Report:
    """Collects raw results and tables, printing each table as soon as its section ends."""

    def __init__(self, config: Config, stream: TextIO | None = None) -> None:
        self.config = config
        self.stream = stream if stream is not None else sys.stdout
        self.results: dict[str, Any] = {}
        self.tables: list[Table] = []
        self.messages: list[str] = []

    def say(self, text: str) -> None:
        """A line of progress or a note (for example, that a peer is skipped)."""
        self.messages.append(text)
        print(text, file=self.stream, flush=True)

    def table(self, table: Table) -> None:
        self.tables.append(table)
        print("", file=self.stream)
        print(table.render(self.config.markdown), file=self.stream)
        print("", file=self.stream, flush=True)

    def section(self, name: str) -> dict[str, Any]:
        """The raw-results dictionary of one section (created on first use)."""
        return self.results.setdefault(name, {})


class Quiet:
    """Swallow what a peer prints at Python level (LiteEFG announces every graph it builds)."""

    def __enter__(self) -> Quiet:
        self._saved = sys.stdout
        sys.stdout = io.StringIO()
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout = self._saved
