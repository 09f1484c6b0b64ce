"""The commands on games: info, games, solve, export."""

from __future__ import annotations

import argparse
from typing import Any

from negsim.cli.inputs import load_game_or_scenario, solver_options
from negsim.cli.output import EXIT_OK, print_json
from negsim.cli.progress import Stages, wants_progress
from negsim.cli.tables import solution_text

__all__ = ["info", "games", "solve", "export"]

# what ``solve --iterations N`` with method auto runs: CFR+ converges fastest on trees; fictitious
# play is the iterative method for any normal form (the --iterations help says so)
AUTO_ITERATIVE = {"extensive": "cfr+", "normal": "fictitious"}


def info(args: argparse.Namespace) -> int:
    """``negsim info``: the size of a game."""
    game = load_game_or_scenario(args.game, args.set)
    summary = game.summary()
    if args.json:
        print_json(summary)
        return EXIT_OK
    rows = [(k.replace("_", " "), v) for k, v in summary.items() if v not in (None, "")]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        print(f"{key:<{width}}  {value}")
    return EXIT_OK


def games(args: argparse.Namespace) -> int:
    """``negsim games``: the library's standard games."""
    from negsim.games import library

    table = library.names()
    if args.json:
        print_json(table)
        return EXIT_OK
    width = max(len(k) for k in table)
    for name, desc in table.items():
        print(f"{name:<{width}}  {desc}")
    return EXIT_OK


def _runs_long(method: str) -> bool:
    """Whether a method runs long enough for a bar: the iterative ones and the QRE."""
    from negsim.solvers.dispatch import iterative_methods

    # the QRE is no iterative method (it takes no iterations) but traces lambda over many steps
    return method in iterative_methods() or method == "qre"


def _takes(method: str, option: str) -> bool:
    """Whether the solver of ``method`` accepts ``option`` (fictitious play, for one, takes no ``progress``)."""
    from negsim.solvers.dispatch import method_options

    accepted = method_options(method)
    return accepted is None or option in accepted


def _check_time_limit(options: dict, asked: str, method: str) -> None:
    """``--max-seconds`` bounds methods that can run long; auto's exact pick runs to its end without it."""
    from negsim.errors import SolverError
    from negsim.solvers.dispatch import time_limited_methods

    if "time_limit" not in options or _takes(method, "time_limit"):
        return
    if asked == "auto":
        del options["time_limit"]  # the LP or backward induction: polynomial, and refused up front if too big
        return
    raise SolverError(f"--max-seconds applies to methods that can run long ({', '.join(time_limited_methods())}); "
                      f"{method!r} runs to its end")


def solve(args: argparse.Namespace) -> int:
    """``negsim solve``: solve a game and print the equilibrium."""
    from negsim.solvers.dispatch import choose_method, iterative_methods
    from negsim.solvers.dispatch import solve as solve_game

    show = wants_progress(args)
    # a bar for the whole run when the method asked for is one that runs long (auto decides later)
    asked = args.method.strip().lower()
    with Stages("negsim solve", 2, show=show and (_runs_long(asked) or args.iterations is not None)) as stage:
        stage("loading the game")
        game = load_game_or_scenario(args.game)
        options = solver_options(args)
        method = asked
        if method == "auto":
            # a number of iterations asks for an iterative method: auto picks one that fits the game
            method = _auto_iterative(game) if "iterations" in options else choose_method(game)
        if "iterations" in options and method not in iterative_methods():
            from negsim.errors import SolverError

            raise SolverError(f"--iterations applies to iterative methods ({', '.join(sorted(iterative_methods()))}), "
                              f"not {method!r}")
        _check_time_limit(options, asked, method)
        if show and _runs_long(method) and _takes(method, "progress"):
            options["progress"] = True
        converted = _in_form_for(game, method)
        if converted is not game:
            stage("converting the game tree to its reduced normal form")
        game = converted
        stage(f"solving with {method}")
        solution = solve_game(game, method=method, **options)
    if args.json:
        data = solution.to_dict()
        keys = ["method", "values", "nash_conv", "exploitability", "iterations", "seconds", "converged", "profile"]
        out = {k: data[k] for k in keys if k in data}
        for extra in ("equilibria", "history", "info"):
            if extra in data:
                out[extra] = data[extra]
        print_json(out)
        return EXIT_OK
    print(solution_text(game, solution, full=args.full))
    return EXIT_OK


def _auto_iterative(game: Any) -> str:
    from negsim.games import NormalFormGame

    return AUTO_ITERATIVE["normal" if isinstance(game, NormalFormGame) else "extensive"]


def _in_form_for(game: Any, method: str) -> Any:
    """A game tree converted to its reduced normal form when the method solves only normal forms."""
    from negsim.games import ExtensiveFormGame, reduced_normal_form
    from negsim.solvers.dispatch import methods, methods_for

    if isinstance(game, ExtensiveFormGame) and method in methods() and method not in methods_for("extensive"):
        return reduced_normal_form(game)
    return game


def export(args: argparse.Namespace) -> int:
    """``negsim export``: write a game as a Gambit .efg or .nfg file."""
    from pathlib import Path

    from negsim.errors import GameError
    from negsim.games import NormalFormGame
    from negsim.io import write_efg, write_nfg

    game = load_game_or_scenario(args.game, args.set)
    suffix = Path(args.output).suffix.lower()
    if suffix == ".efg":
        if isinstance(game, NormalFormGame):
            raise GameError(f"{args.game} is a normal-form game; write it as .nfg")
        write_efg(game, args.output)
    elif suffix == ".nfg":
        if not isinstance(game, NormalFormGame):
            from negsim.games import reduced_normal_form

            game = reduced_normal_form(game)
        write_nfg(game, args.output)
    else:
        raise GameError(f"{args.output}: write a .efg (extensive form) or .nfg (normal form) file")
    print(f"wrote {args.output}")
    return EXIT_OK
