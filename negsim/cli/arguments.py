"""What the command parsers share: the parser class, the common flags and their help texts."""

from __future__ import annotations

import argparse

from negsim.cli.output import EXIT_BAD_INPUT

__all__ = ["Parser", "SET_HELP", "PROGRESS_HELP", "add_solver_flags", "add_progress", "non_negative_int"]

SET_HELP = "override a parameter (repeatable), e.g. --set us_resolve_prior=0.8"
PROGRESS_HELP = "show a progress bar (default: on a terminal, not when the output is piped)"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def add_solver_flags(p: argparse.ArgumentParser) -> None:
    """The flags that choose and bound the solver of a scenario's game (read by ``inputs.solver_options``)."""
    from negsim.solvers.dispatch import methods_for

    tree_method_help = "solver (default: the scenario's, else auto): " + ", ".join(methods_for("extensive"))
    p.add_argument("--method", "-m", default=None, metavar="M", help=tree_method_help)
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="iterations for iterative methods (CFR family)")
    add_max_seconds(p)


MAX_SECONDS_HELP = (
    "stop a solver that runs long (CFR family, learning dynamics, support/vertex enumeration, "
    "Lemke-Howson from every label) after S seconds, keeping its best profile so far (flagged stopped_early)"
)


def add_max_seconds(p: argparse.ArgumentParser) -> None:
    """``--max-seconds S``: the ``time_limit`` of :func:`negsim.solve` (read by ``inputs.solver_options``)."""
    p.add_argument("--max-seconds", type=positive_seconds, default=None, metavar="S", help=MAX_SECONDS_HELP)


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0.

    Examples
    --------
    >>> positive_seconds("2.5")
    2.5
    """
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def add_progress(p: argparse.ArgumentParser, help: str = PROGRESS_HELP) -> None:
    """``--progress`` / ``--no-progress`` (default: a bar on a terminal only)."""
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=help)


def non_negative_int(text: str) -> int:
    """An argparse type: a whole number at least 0.

    Examples
    --------
    >>> non_negative_int("7")
    7
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value
