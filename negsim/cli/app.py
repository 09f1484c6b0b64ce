"""``main``: parse the command line, run the command, and turn every failure into one line and a status."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from negsim.cli import commands_batch, commands_game, commands_plot, commands_scenario
from negsim.cli.output import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, say
from negsim.cli.parser import build_parser
from negsim.errors import NegsimError

__all__ = ["COMMANDS", "main"]

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": commands_scenario.run,
    "check": commands_scenario.check,
    "audit": commands_scenario.audit,
    "list": commands_scenario.list_scenarios,
    "schema": commands_scenario.schema,
    "new": commands_scenario.new,
    "sweep": commands_batch.sweep,
    "threshold": commands_batch.threshold,
    "calibrate": commands_batch.calibrate,
    "plot": commands_plot.plot,
    "info": commands_game.info,
    "games": commands_game.games,
    "solve": commands_game.solve,
    "export": commands_game.export,
}
"""Each subcommand's implementation: it takes the parsed arguments and returns the exit status."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``negsim`` command; returns the exit status.

    Examples
    --------
    >>> main(["games", "--json"]) == 0  # doctest: +ELLIPSIS
    {
    ...
    True
    """
    import warnings

    warnings.showwarning = _show_warning
    command = "negsim"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        command = f"negsim {args.command}"
        return COMMANDS[args.command](args)
    except NegsimError as exc:
        say(f"{command}: error: {exc}")
        return EXIT_BAD_INPUT
    except FileNotFoundError as exc:
        say(f"{command}: error: {exc.filename}: no such file")
        return EXIT_BAD_INPUT
    except IsADirectoryError as exc:
        say(f"{command}: error: {exc.filename}: is a directory")
        return EXIT_BAD_INPUT
    except PermissionError as exc:
        say(f"{command}: error: {exc.filename}: permission denied")
        return EXIT_BAD_INPUT
    except MemoryError:
        say(f"{command}: error: out of memory; try a smaller game, fewer draws or a lower NEGSIM_MEMORY_LIMIT")
        return EXIT_BAD_INPUT
    except RecursionError:
        say(f"{command}: error: the input is nested too deeply")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        say(f"{command}: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def _show_warning(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    """Warnings as ``negsim: warning: ...``, without the installation path of the module that raised them."""
    say(f"negsim: warning: {message}")
