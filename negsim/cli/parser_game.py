"""The parsers of the commands on games (info, export, solve, games)."""

from __future__ import annotations

from typing import Any

from negsim.cli.arguments import SET_HELP, add_max_seconds, add_progress

__all__ = ["add_game_parsers"]

GAME_HELP = "a .efg or .nfg file, a library game name (see `negsim games`) or a scenario"


def add_game_parsers(sub: Any) -> None:
    """``info``, ``export``, ``solve`` and ``games``."""
    p = sub.add_parser(
        "info",
        help="print the size of a game",
        description=(
            "Print the size of a game: players, histories (all nodes), terminals, "
            "information sets and sequences per player."
        ),
    )
    p.add_argument("game", metavar="GAME", help=GAME_HELP)
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="a scenario's parameter (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser(
        "export",
        help="write a game or a scenario's game as a Gambit file",
        description=(
            "Write a game (a scenario's compiled game, a library game or a game file) as a Gambit .efg file "
            "(extensive form) or .nfg file (the reduced normal form, for small games)."
        ),
    )
    p.add_argument("game", metavar="SCENARIO", help="a scenario (bundled name or .toml), a library game or a game file")
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="the file to write (.efg or .nfg)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=SET_HELP)

    _add_solve(sub)

    p = sub.add_parser(
        "games",
        help="list the library's standard games",
        description="List the standard games that GAME arguments accept by name.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_solve(sub: Any) -> None:
    from negsim.solvers.dispatch import methods

    method_help = "; ".join(f"{k}: {v}" for k, v in methods().items())
    p = sub.add_parser(
        "solve",
        help="solve a game and print the equilibrium",
        description=(
            "Solve a game (a .efg/.nfg file or a library game) and print each player's value, "
            "the NashConv of the profile found and the strategy at every information set."
        ),
    )
    p.add_argument("game", metavar="GAME", help=GAME_HELP)
    p.add_argument("--method", "-m", default="auto", metavar="M", help=f"solver to use (default auto). {method_help}")
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="iterations for iterative methods (CFR family; default 1000); with auto, picks one (cfr+ on "
                        "trees, fictitious play on normal forms)")
    p.add_argument("--json", action="store_true",
                   help='print JSON: {"method", "values", "nash_conv", "iterations", "seconds", "profile"}')
    p.add_argument("--full", action="store_true", help="print every information set, however many")
    add_max_seconds(p)
    add_progress(p, "show a progress bar for iterative methods (default: on a terminal, not when piped)")
