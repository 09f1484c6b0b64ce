"""``negsim plot``: figures of a scenario (tree, sweep, frontier, convergence)."""

from __future__ import annotations

import argparse
from typing import Any

from negsim.cli.inputs import fact, grid, load_with_sets, parse_sets, solver_options
from negsim.cli.output import EXIT_OK
from negsim.cli.progress import Stages, wants_progress

__all__ = ["plot"]


def plot(args: argparse.Namespace) -> int:
    """``negsim plot``: draw the figure ``--kind`` asks for and write it to ``-o FILE``."""
    from negsim.errors import ScenarioError
    from negsim.plot import save

    show = wants_progress(args)
    with Stages("negsim plot", 4, show=show) as stage:
        stage("loading the scenario")
        scenario = load_with_sets(args.scenario, args.set)
        if args.output is None:
            raise ScenarioError("give the output file with -o FILE (.png, .pdf or .svg)")
        stage("compiling the game and its payoffs")
        compiled = scenario.compile()
        options = solver_options(args, scenario)
        draw = {"tree": _tree, "sweep": _sweep, "frontier": _frontier, "convergence": _convergence}[args.kind]
        fig = draw(scenario, compiled, options, args, stage)
        if args.set:
            # a figure drawn with --set values must say so, or it reads as the scenario's defaults
            ax = fig.axes[0]
            settings = ", ".join(f"{k} = {v:g}" for k, v in parse_sets(args.set).items())
            ax.set_title(f"{ax.get_title()}\n(with {settings})".lstrip("\n"), fontsize=ax.title.get_fontsize())
        stage(f"writing {args.output}")
        path = save(fig, args.output)
    print(f"wrote {path}")
    return EXIT_OK


def _tree(scenario: Any, compiled: Any, options: dict[str, Any], args: argparse.Namespace, stage: Stages) -> Any:
    from negsim.analysis import solve_game
    from negsim.plot import plot_tree

    stage("solving")
    solution = solve_game(compiled.game, options, progress=stage.shown)
    return plot_tree(compiled.game, solution.profile)


def _sweep(scenario: Any, compiled: Any, options: dict[str, Any], args: argparse.Namespace, stage: Stages) -> Any:
    from negsim.analysis import sweep, sweep_threshold
    from negsim.errors import ScenarioError
    from negsim.plot import plot_sweep

    if not args.param or len(args.param) > 2:
        raise ScenarioError("--kind sweep needs one or two --param name=lo:hi:n")
    axes = grid(args.param)
    shown = fact(scenario, args.fact) if args.fact is not None else None
    if shown is not None and args.condition is not None:
        raise ScenarioError("give --fact or --condition, not both")
    if shown is None and args.condition is None:
        if not scenario.negotiation.expectations:
            raise ScenarioError("the scenario has no [[expect]] facts; give --condition")
        shown = scenario.negotiation.expectations[0].fact
    stage("solving the settings")
    result = sweep(scenario, axes, options=options, progress=stage.shown)
    mark = None
    if len(axes) == 1:
        stage("locating the threshold")
        condition = args.condition
        if condition is None:
            condition = next(e.condition for e in scenario.negotiation.expectations if e.fact == shown)
        mark = sweep_threshold(scenario, result, condition=condition, given=args.given, level=args.level,
                               options=options)
    return plot_sweep(result, fact=shown if args.condition is None else None, condition=args.condition,
                      given=args.given, threshold=mark)


def _frontier(scenario: Any, compiled: Any, options: dict[str, Any], args: argparse.Namespace,
              stage: Stages) -> Any:
    from negsim.analysis import bargaining_problem, solve_game
    from negsim.errors import ScenarioError
    from negsim.plot import plot_frontier

    names = scenario.negotiation.agent_names
    pair = [a.strip() for a in (args.agents or ",".join(names[:2])).split(",")]
    if len(pair) != 2 or any(a not in names for a in pair):
        raise ScenarioError(f"--agents needs two of {', '.join(names)}, separated by a comma")
    stage("solving")
    solution = solve_game(compiled.game, options, progress=stage.shown)
    problem = bargaining_problem(compiled, solution, agents=tuple(pair))
    return plot_frontier(problem.utilities, disagreement=problem.disagreement, agents=problem.agents)


def _convergence(scenario: Any, compiled: Any, options: dict[str, Any], args: argparse.Namespace,
                 stage: Stages) -> Any:
    from negsim.plot import plot_convergence
    from negsim.solvers.dispatch import iterative_methods, methods_for, solve

    iterations = args.iterations or 1000
    # every iterative method the registry has for game trees (the CFR family), each run alone
    variants = [m for m in iterative_methods() if m in methods_for("extensive")]
    runs = {}
    for k, variant in enumerate(variants, start=1):
        stage(f"solving with {variant} ({k} of {len(variants)})")
        runs[variant] = solve(compiled.game, method=variant, iterations=iterations, progress=stage.shown)
    return plot_convergence(runs)
