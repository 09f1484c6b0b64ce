"""The commands over many parameter settings: sweep, threshold, calibrate."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from negsim.cli.inputs import grid, load_with_sets, parse_bracket, solver_options
from negsim.cli.output import EXIT_INTERRUPTED, EXIT_OK, print_json
from negsim.cli.progress import Stages, wants_progress
from negsim.cli.tables import batch_text, condition_json

__all__ = ["sweep", "threshold", "calibrate"]


def sweep(args: argparse.Namespace) -> int:
    """``negsim sweep``: solve a scenario over a grid or a Monte Carlo of its priors."""
    show = wants_progress(args)
    with Stages("negsim sweep", 2 + (args.condition is not None), show=show) as stage:
        stage("loading the scenario")
        scenario, options = _sweep_inputs(args)
        stage("solving the settings (compiling each batch's payoffs)")
        result = _solve_sweep(scenario, args, options, show)
        status = EXIT_OK
        if result.info.get("interrupted"):
            # Ctrl-C after some chunks: print what was finished, flagged, and exit as interrupted
            stage.close()
            print(f"negsim sweep: interrupted; showing the {result.draws:,} of {result.info['requested']:,} "
                  "settings finished", file=sys.stderr)
            status = EXIT_INTERRUPTED
        if args.condition is not None:
            stage("the condition's probability and threshold")
        condition = _condition(scenario, result, args, options, located=status == EXIT_OK)
    if args.csv:
        _write_csv(result, condition)
    elif args.json:
        data = result.to_dict()
        data["interrupted"] = bool(result.info.get("interrupted", False))
        if condition is not None:
            data["condition"] = condition_json(condition, result)
        print_json(data)
    else:
        print(batch_text(scenario, result, grid=result.is_grid, condition=condition))
    return status


def _sweep_inputs(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The scenario and solver options, every mistake in the flags found before any solving."""
    from negsim.errors import ScenarioError

    scenario = load_with_sets(args.scenario, args.set)
    if bool(args.param) == (args.draws is not None):
        raise ScenarioError("give --param name=lo:hi:n (a grid) or --draws N (Monte Carlo), not both")
    if args.given is not None and args.condition is None:
        raise ScenarioError("--given needs --condition")
    options = solver_options(args, scenario)
    if args.condition is not None:
        compiled = scenario.compile()
        compiled.condition(args.condition)  # a mistyped condition fails before any solving
        if args.given is not None:
            compiled.condition(args.given)
    if not args.param and args.draws < 1:
        raise ScenarioError("--draws must be at least 1")
    return scenario, options


def _solve_sweep(scenario: Any, args: argparse.Namespace, options: dict[str, Any], show: bool) -> Any:
    from negsim.analysis import monte_carlo
    from negsim.analysis import sweep as sweep_grid

    if args.param:
        return sweep_grid(scenario, grid(args.param), options=options, progress=show)
    if args.csv:  # one row per draw: every draw is kept
        return monte_carlo(scenario, draws=args.draws, seed=args.seed, options=options, progress=show)
    # text and JSON report statistics over the draws: reduced chunk by chunk, whatever N
    conditions = [(args.condition, args.given)] if args.condition is not None else None
    return monte_carlo(scenario, draws=args.draws, seed=args.seed, options=options, progress=show,
                       keep="summary", conditions=conditions)


def _condition(scenario: Any, result: Any, args: argparse.Namespace, options: dict[str, Any],
               *, located: bool) -> dict[str, Any] | None:
    """``--condition``'s probability per setting, and on a one-parameter grid its threshold."""
    if args.condition is None:
        return None
    import numpy as np

    from negsim.analysis import MonteCarloSummary, sweep_threshold

    prob = None  # a summarized Monte Carlo has no per-draw probability, only its condition_summary
    if not isinstance(result, MonteCarloSummary):
        prob = np.asarray(result.probability(args.condition, args.given), np.float64).ravel()
    label = f"P({args.condition}{' | ' + args.given if args.given else ''})"
    mark = None
    if result.is_grid and len(result.parameters) == 1 and located:
        mark = sweep_threshold(scenario, result, condition=args.condition, given=args.given, level=args.level,
                               options=options)
    return {"condition": args.condition, "given": args.given, "label": label, "probability": prob,
            "level": args.level, "threshold": mark}


def _write_csv(result: Any, condition: dict[str, Any] | None) -> None:
    import csv

    rows = result.rows()
    if condition is not None:
        for row, p in zip(rows, condition["probability"], strict=True):
            row[condition["label"]] = float(p)
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)


def threshold(args: argparse.Namespace) -> int:
    """``negsim threshold``: where a condition's probability crosses a level along one parameter."""
    from negsim.analysis import threshold as find_threshold

    show = wants_progress(args)
    with Stages("negsim threshold", 2, show=show) as stage:
        stage("loading the scenario")
        scenario = load_with_sets(args.scenario, args.set)
        bracket = parse_bracket(args.bracket) if args.bracket is not None else None
        stage(f"bisecting {args.parameter}")
        found = find_threshold(scenario, args.parameter, bracket, condition=args.condition, given=args.given,
                               level=args.level, tol=args.tol, options=solver_options(args, scenario),
                               progress=show)
    if args.json:
        print_json(found.to_dict())
        return EXIT_OK
    print(scenario.title)
    print()
    print(f"{found.parameter} = {found.value:.4g}  (in [{found.bracket[0]:.4g}, {found.bracket[1]:.4g}], "
          f"{found.evaluations} settings solved)")
    print(f"where P({found.condition}) crosses {found.level:g}: "
          f"{found.below:.2f} at {found.bracket[0]:.4g}, {found.above:.2f} at {found.bracket[1]:.4g}")
    if args.set:
        print("with " + ", ".join(args.set))
    return EXIT_OK


def calibrate(args: argparse.Namespace) -> int:
    """``negsim calibrate``: the posterior of a scenario's parameters given an observed path."""
    from negsim.errors import ScenarioError
    from negsim.estimate.calibrate import calibrate as calibrate_scenario

    if args.draws < 1:
        raise ScenarioError("--draws must be at least 1")
    with Stages("negsim calibrate", 2, show=wants_progress(args)) as stage:
        stage("loading the scenario")
        scenario = load_with_sets(args.scenario, args.set)
        stage(f"solving {args.draws:,} draws and weighting them by the observed path")
        result = calibrate_scenario(scenario, args.observed, draws=args.draws, seed=args.seed,
                                    response=args.response, tremble=args.tremble, precision=args.precision,
                                    actual=args.actual)
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.report())
    return EXIT_OK
