"""The argument parser of the ``negsim`` command: the top level, then each group's subcommands."""

from __future__ import annotations

import argparse

from negsim.cli.arguments import Parser
from negsim.cli.parser_batch import add_batch_parsers
from negsim.cli.parser_game import add_game_parsers
from negsim.cli.parser_scenario import add_file_parsers, add_solving_parsers

__all__ = ["build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``negsim`` command (all subcommands).

    Examples
    --------
    >>> build_parser().parse_args(["run", "istanbul-2025"]).command
    'run'
    """
    parser = Parser(
        prog="negsim",
        description=(
            "Game-theoretic models of negotiations: solve games and the scenarios of the "
            "2025 Russia-Ukraine ceasefire talks."
        ),
        epilog=(
            "Exit status: 0 success, 1 a check or expectation failed, 2 bad input (including a game too large "
            "for the memory or size limits, or running out of memory), 130 interrupted (Ctrl-C)."
        ),
    )
    from negsim import __version__

    parser.add_argument("--version", action="version", version=f"negsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    # the order here is the order of `negsim --help`: scenarios first, then games
    add_solving_parsers(sub)
    add_batch_parsers(sub)
    add_file_parsers(sub)
    add_game_parsers(sub)
    return parser
