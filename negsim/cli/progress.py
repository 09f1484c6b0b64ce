"""Progress of a whole command on stderr: one bar whose description names the stage.

A long command (run, check, audit, sweep, threshold, plot, calibrate, and solve with an
iterative method or the QRE) spends its time in several stages: loading the scenario,
compiling its game and payoffs, solving, the audit's box of settings... A bar that only
covered the solver's iterations would sit still, or be absent, for most of the run. So
each such command opens one :class:`Stages` bar for the whole run; its description says
which stage is running and how far along the stages it is (``negsim check: solving the
facts (3/5)``), and the solvers' own bars (iterations, settings, audit steps) show
beneath it while their stage runs.

The bar is shown by default when stderr is a terminal and not when it is piped;
``--progress`` / ``--no-progress`` force it either way.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["Stages", "wants_progress"]


def wants_progress(args: argparse.Namespace) -> bool:
    """--progress / --no-progress if given, else a bar only when stderr is a terminal (not when piped).

    Examples
    --------
    >>> wants_progress(argparse.Namespace(progress=True)), wants_progress(argparse.Namespace(progress=False))
    (True, False)
    """
    chosen = getattr(args, "progress", None)
    return sys.stderr.isatty() if chosen is None else bool(chosen)


class Stages:
    """One progress bar over the stages of a command, or nothing when not shown.

    Calling the object with a stage's name starts that stage (the one before is done).
    tqdm is imported only when the bar is shown.

    Examples
    --------
    >>> with Stages("negsim run", 2, show=False) as stage:
    ...     stage("compiling")
    ...     stage("solving")
    ...     stage.write("done")
    done
    """

    def __init__(self, command: str, total: int, *, show: bool) -> None:
        self.command = command
        self.total = max(int(total), 1)
        self.done = -1  # no stage started yet
        self._bar: Any = None
        if show:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=command, bar_format="{desc} [{elapsed}]", leave=False,
                             file=sys.stderr)

    @property
    def shown(self) -> bool:
        """Whether a bar is on the screen (the solvers' own bars are worth showing too)."""
        return self._bar is not None

    def __call__(self, name: str) -> None:
        """Start the stage ``name``."""
        self.done += 1
        if self._bar is None:
            return
        # the count may outrun a total estimated up front (a stage added on the way): grow it
        self.total = max(self.total, self.done + 1)
        self._bar.total = self.total
        self._bar.n = self.done
        self._bar.set_description_str(f"{self.command}: {name} ({self.done + 1}/{self.total})", refresh=True)

    def write(self, text: str) -> None:
        """Print ``text`` on stdout without tearing the bar."""
        if self._bar is None:
            print(text)
        else:
            from tqdm import tqdm

            tqdm.write(text, file=sys.stdout)

    def close(self) -> None:
        """Take the bar off the screen."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
