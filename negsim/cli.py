"""The ``negsim`` command line.

Every subcommand prints readable text by default and JSON with ``--json``. Mistakes in
the user's input (a missing file, a malformed game or scenario, an unknown name) print
one line and exit with status 2; a failed check exits with 1; success exits with 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from negsim.errors import NegsimError

__all__ = ["main", "build_parser"]

EXIT_OK = 0
EXIT_FAILED_CHECK = 1
EXIT_BAD_INPUT = 2

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _command(name: str):
    def register(func: Callable[[argparse.Namespace], int]):
        _COMMANDS[name] = func
        return func

    return register


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON (NaN and infinity as null)."""
    print(json.dumps(_jsonable(data), indent=2))


def _jsonable(value: Any) -> Any:
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ---------------------------------------------------------------------------- info
@_command("info")
def _cmd_info(args: argparse.Namespace) -> int:
    from negsim.io import load_game

    game = load_game(args.game)
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


@_command("games")
def _cmd_games(args: argparse.Namespace) -> int:
    from negsim.games import library

    table = library.names()
    if args.json:
        print_json(table)
        return EXIT_OK
    width = max(len(k) for k in table)
    for name, desc in table.items():
        print(f"{name:<{width}}  {desc}")
    return EXIT_OK


# ---------------------------------------------------------------------------- solve
ITERATIVE_METHODS = {"cfr", "cfr+", "lcfr", "dcfr", "replicator", "fictitious"}
PROFILE_ROWS = 40


@_command("solve")
def _cmd_solve(args: argparse.Namespace) -> int:
    from negsim.io import load_game
    from negsim.solvers.dispatch import choose_method, solve

    game = load_game(args.game)
    method = args.method
    if method == "auto":
        method = choose_method(game)
    options: dict[str, Any] = {}
    if args.iterations is not None:
        if method not in ITERATIVE_METHODS:
            from negsim.errors import SolverError

            raise SolverError(f"--iterations applies to iterative methods, not {method!r}")
        if args.iterations < 1:
            from negsim.errors import SolverError

            raise SolverError("--iterations must be at least 1")
        options["iterations"] = args.iterations
    if args.progress and method in ITERATIVE_METHODS:
        options["progress"] = True
    solution = solve(game, method=method, **options)
    if args.json:
        data = solution.to_dict()
        keys = ["method", "values", "nash_conv", "exploitability", "iterations", "seconds", "converged", "profile"]
        out = {k: data[k] for k in keys if k in data}
        for extra in ("equilibria", "history", "info"):
            if extra in data:
                out[extra] = data[extra]
        print_json(out)
        return EXIT_OK
    print(_solution_text(game, solution, full=args.full))
    return EXIT_OK


def _solution_text(game: Any, solution: Any, *, full: bool) -> str:
    import numpy as np

    title = game.title or "game"
    its = f"{solution.iterations:,} iteration{'s' if solution.iterations != 1 else ''}"
    lines = [f"{title}: solved with {solution.method} in {solution.seconds:.3g} s ({its})", ""]
    values = np.asarray(solution.values)
    width = max(len(p) for p in game.players)
    lines.append(f"{'player':<{width}}  value")
    for name, value in zip(game.players, values, strict=True):
        lines.append(f"{name:<{width}}  {value: .6f}")
    lines.append("")
    nash = float(solution.nash_conv)
    nash = 0.0 if -1e-12 < nash < 0 else nash  # rounding can leave -1e-17 where the exact value is 0
    lines.append(
        f"NashConv {nash:.3g} (exploitability {nash / game.num_players:.3g}; 0 at an exact Nash equilibrium)"
    )
    if len(solution.equilibria) > 1:
        lines.append("")
        lines.append(f"{len(solution.equilibria)} equilibria found:")
        for k, eq in enumerate(solution.equilibria, start=1):
            vals = ", ".join(f"{v:.4g}" for v in np.asarray(eq.values))
            if hasattr(eq.profile, "table"):
                body = "; ".join(line.strip() for line in eq.profile.table().splitlines()[:PROFILE_ROWS])
            else:
                body = "; ".join(
                    f"{game.players[p]}: " + " ".join(f"{x:.4g}" for x in probs)
                    for p, probs in enumerate(eq.profile.probabilities)
                )
            lines.append(f"  {k}. values ({vals})  {body}")
        lines.append("")
        lines.append("The first of them in full:")
    lines.append("")
    lines.append("Strategy profile (probability of each action at each information set):")
    table = solution.profile.table() if hasattr(solution.profile, "table") else _mixed_table(solution.profile)
    rows = table.splitlines()
    if len(rows) > PROFILE_ROWS and not full:
        rows = rows[:PROFILE_ROWS] + [f"... {len(rows) - PROFILE_ROWS:,} more rows (use --full or --json)"]
    lines.extend(rows)
    return "\n".join(lines)


def _mixed_table(profile: Any) -> str:
    game = profile.game
    rows = []
    for p, probs in enumerate(profile.probabilities):
        acts = "  ".join(f"{a}={x:.4f}" for a, x in zip(game.strategies[p], probs, strict=True))
        rows.append(f"{game.players[p]}  {acts}")
    return "\n".join(rows)


# ---------------------------------------------------------------------------- scenarios
def _parse_sets(pairs: list[str] | None) -> dict[str, float]:
    from negsim.errors import ScenarioError

    values: dict[str, float] = {}
    for pair in pairs or []:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise ScenarioError(f"--set expects name=value, got {pair!r}")
        try:
            value = float(text)
        except ValueError:
            raise ScenarioError(f"--set {name.strip()}: {text!r} is not a number") from None
        import math

        if not math.isfinite(value):
            raise ScenarioError(f"--set {name.strip()}: the value must be finite")
        values[name.strip()] = value
    return values


def _load_with_sets(spec: str, sets: list[str] | None):
    from negsim.scenarios import load_scenario

    scenario = load_scenario(spec)
    values = _parse_sets(sets)
    return scenario.with_values(values) if values else scenario


def _solver_options(scenario: Any, args: argparse.Namespace) -> dict[str, Any]:
    options = dict(scenario.solver)
    if getattr(args, "method", None):
        options["method"] = args.method
    if getattr(args, "iterations", None) is not None:
        if args.iterations < 1:
            from negsim.errors import SolverError

            raise SolverError("--iterations must be at least 1")
        options["iterations"] = args.iterations
    return options


@_command("run")
def _cmd_run(args: argparse.Namespace) -> int:
    from negsim.analysis import explain, narrative_text, solve_game

    scenario = _load_with_sets(args.scenario, args.set)
    compiled = scenario.compile()
    solution = solve_game(compiled.game, _solver_options(scenario, args), progress=args.progress)
    story = explain(compiled, solution, scenario=scenario.name)
    if args.json:
        print_json(story.to_dict())
    else:
        print(narrative_text(story))
    return EXIT_OK


@_command("check")
def _cmd_check(args: argparse.Namespace) -> int:
    from negsim.analysis import check
    from negsim.errors import ScenarioError
    from negsim.scenarios import bundled_scenarios

    if args.all == bool(args.scenario):
        raise ScenarioError("give a SCENARIO or --all (not both)")
    specs = list(bundled_scenarios()) if args.all else [args.scenario]
    report = []
    failed = False
    for spec in specs:
        scenario = _load_with_sets(spec, args.set)
        compiled = scenario.compile()
        try:
            results = check(compiled, counterfactuals=args.counterfactuals, options=_solver_options(scenario, args))
        except ScenarioError as exc:
            raise scenario.error(exc) from None
        bad = [r for r in results if not r.holds or (args.counterfactuals and r.fails_under_counterfactual is False)]
        audited = _audit(scenario, compiled, args, checks=("box", "hindsight"))
        failed |= bool(bad) or bool(audited.errors)
        report.append({"scenario": scenario.name, "passed": not bad and not audited.errors,
                       "facts": [r.to_dict() for r in results], "audit": [f.to_dict() for f in audited.findings]})
        if not args.json:
            print(f"{scenario.name}: {scenario.title}")
            for r in results:
                mark = "PASS" if r.holds else "FAIL"
                print(f"  {mark}  {r.fact}  (P = {r.probability:.3f}, expected {r.bounds})")
                if args.counterfactuals and r.counterfactual:
                    setting = ", ".join(f"{k}={v:g}" for k, v in r.counterfactual.items())
                    verdict = "fails, as it should" if r.fails_under_counterfactual else "STILL HOLDS"
                    print(f"        with {setting}: P = {r.counterfactual_probability:.3f} - {verdict}")
            if not results:
                print("  (no [[expect]] facts)")
            for finding in audited.findings:
                print(f"  {finding.severity.upper()}  {finding.kind}: {finding.message}")
    if args.json:
        print_json({"passed": not failed, "scenarios": report})
    elif len(specs) > 1:
        print(f"{sum(r['passed'] for r in report)} of {len(report)} scenarios pass")
    return EXIT_FAILED_CHECK if failed else EXIT_OK


def _audit(scenario: Any, compiled: Any, args: argparse.Namespace, **keywords: Any) -> Any:
    """Audit one scenario (errors name its file); a progress bar only on a terminal."""
    from negsim.analysis import audit
    from negsim.errors import ScenarioError

    options = dict(box_samples=args.box_samples, options=_solver_options(scenario, args), progress=sys.stderr.isatty())
    for key in ("draws", "seed"):
        if getattr(args, key, None) is not None:
            options[key] = getattr(args, key)
    try:
        return audit(compiled, **options, **keywords)
    except ScenarioError as exc:
        raise scenario.error(exc) from None


@_command("audit")
def _cmd_audit(args: argparse.Namespace) -> int:
    from negsim.errors import ScenarioError
    from negsim.scenarios import bundled_scenarios

    if args.all == bool(args.scenario):
        raise ScenarioError("give a SCENARIO or --all (not both)")
    specs = list(bundled_scenarios()) if args.all else [args.scenario]
    reports = []
    for spec in specs:
        scenario = _load_with_sets(spec, args.set)
        reports.append(_audit(scenario, scenario.compile(), args))
        if not args.json:
            if len(reports) > 1:
                print()
            print(reports[-1].text())
    if args.json:
        data = [r.to_dict() for r in reports]
        print_json(data[0] if not args.all else {"clean": all(r.clean for r in reports), "scenarios": data})
    elif len(specs) > 1:
        print(f"\n{sum(r.clean for r in reports)} of {len(reports)} scenarios pass the audit")
    return EXIT_OK if all(r.clean for r in reports) else EXIT_FAILED_CHECK


def _parse_param_range(text: str) -> tuple[str, Any]:
    import numpy as np

    from negsim.errors import ScenarioError

    name, sep, spec = text.partition("=")
    parts = spec.split(":")
    if not sep or not name.strip() or len(parts) != 3:
        raise ScenarioError(f"--param expects name=lo:hi:n, got {text!r}")
    try:
        lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ScenarioError(f"--param {name.strip()}: lo and hi must be numbers and n a whole number") from None
    if n < 1 or n > 100_000 or not np.isfinite(lo) or not np.isfinite(hi):
        raise ScenarioError(f"--param {name.strip()}: need finite bounds and 1 <= n <= 100000")
    return name.strip(), np.linspace(lo, hi, n)


@_command("sweep")
def _cmd_sweep(args: argparse.Namespace) -> int:
    from negsim.analysis import monte_carlo, sweep
    from negsim.errors import ScenarioError

    scenario = _load_with_sets(args.scenario, args.set)
    if bool(args.param) == (args.draws is not None):
        raise ScenarioError("give --param name=lo:hi:n (a grid) or --draws N (Monte Carlo), not both")
    options = _solver_options(scenario, args)
    if args.param:
        grid = dict(_parse_param_range(text) for text in args.param)
        result = sweep(scenario, grid, options=options, progress=args.progress)
    else:
        if args.draws < 1:
            raise ScenarioError("--draws must be at least 1")
        result = monte_carlo(scenario, draws=args.draws, seed=args.seed, options=options, progress=args.progress)
    if args.csv:
        import csv

        rows = result.rows()
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return EXIT_OK
    if args.json:
        data = result.to_dict()
        if args.param:
            data["grid"] = result.rows()
        print_json(data)
        return EXIT_OK
    print(_batch_text(scenario, result, grid=bool(args.param)))
    return EXIT_OK


def _batch_text(scenario: Any, result: Any, *, grid: bool) -> str:
    lines = [scenario.title, ""]
    kind = "grid points" if grid else "draws"
    lines.append(
        f"{result.draws:,} {kind} solved in {result.seconds:.2f} s; {result.certified.mean():.0%} certified exact "
        f"(max NashConv {result.nash_conv.max(initial=0):.2g})"
    )
    lines.append("")
    if grid:
        names = list(result.parameters)
        likely = result.most_likely_outcome()
        header = "  ".join(f"{n:>12}" for n in names) + "  outcome"
        lines.append(header)
        for b in range(result.draws):
            vals = "  ".join(f"{result.parameters[n][b]:>12.4g}" for n in names)
            lines.append(f"{vals}  {likely[b]} ({result.outcome_probabilities[b].max():.2f})")
        lines.append("")
        lines.append("Facts (probability per grid point, averaged):")
    else:
        lines.append("Outcome probabilities (Monte Carlo estimate +/- standard error):")
        for outcome, stats in result.summary().items():
            if stats["probability"] < 0.0005:
                continue
            lines.append(f"  {stats['probability']:.3f} +/- {stats['standard_error']:.3f}  {outcome}")
        lines.append("")
        lines.append("Parameters drawn: " + ", ".join(
            f"{k} in [{v.min():.3g}, {v.max():.3g}]" for k, v in result.parameters.items()))
        lines.append("")
        lines.append("Facts (probability, averaged over draws):")
    for fact, probs in result.facts.items():
        lines.append(f"  {probs.mean():.3f}  {fact}")
    return "\n".join(lines)


@_command("plot")
def _cmd_plot(args: argparse.Namespace) -> int:
    import numpy as np

    from negsim.analysis import solve_game, sweep
    from negsim.errors import ScenarioError
    from negsim.plot import save

    scenario = _load_with_sets(args.scenario, args.set)
    if args.output is None:
        raise ScenarioError("give the output file with -o FILE (.png, .pdf or .svg)")
    compiled = scenario.compile()
    options = _solver_options(scenario, args)
    if args.kind == "tree":
        from negsim.plot import plot_tree

        solution = solve_game(compiled.game, options)
        fig = plot_tree(compiled.game, solution.profile)
    elif args.kind == "sweep":
        from negsim.plot import plot_sweep

        if not args.param or len(args.param) > 2:
            raise ScenarioError("--kind sweep needs one or two --param name=lo:hi:n")
        grid = dict(_parse_param_range(text) for text in args.param)
        fact = args.fact
        if fact is None and args.condition is None:
            if not scenario.negotiation.expectations:
                raise ScenarioError("the scenario has no [[expect]] facts; give --condition")
            fact = scenario.negotiation.expectations[0].fact
        result = sweep(scenario, grid, options=options)
        mark = None
        if len(grid) == 1:
            name, values = next(iter(grid.items()))
            prob = (
                result.facts[fact] if fact is not None and fact in result.facts
                else result.probability(args.condition or "true", args.given)
            )
            side = np.asarray(prob) >= 0.5
            if np.any(side != side[0]):
                from negsim.analysis import threshold

                condition = args.condition
                if condition is None:
                    condition = next(e.condition for e in scenario.negotiation.expectations if e.fact == fact)
                mark = threshold(scenario, name, (float(values[0]), float(values[-1])), condition=condition,
                                 given=args.given, tol=(values[-1] - values[0]) / 1000, options=options)
        fig = plot_sweep(result, fact=fact if args.condition is None else None, condition=args.condition,
                         given=args.given, threshold=mark)
    elif args.kind == "frontier":
        from negsim.plot import plot_frontier

        names = scenario.negotiation.agent_names
        pair = [a.strip() for a in (args.agents or ",".join(names[:2])).split(",")]
        if len(pair) != 2 or any(a not in names for a in pair):
            raise ScenarioError(f"--agents needs two of {', '.join(names)}, separated by a comma")
        index = [names.index(a) for a in pair]
        solution = solve_game(compiled.game, options)
        utilities = compiled.game.payoffs[:, index]
        utilities = np.unique(utilities, axis=0)
        fig = plot_frontier(utilities, disagreement=np.asarray(solution.values)[index], agents=tuple(pair))
    else:  # convergence
        from negsim.plot import plot_convergence
        from negsim.solvers import cfr

        iterations = args.iterations or 1000
        runs = {v: cfr(compiled.game, variant=v, iterations=iterations) for v in ("cfr", "cfr+", "lcfr", "dcfr")}
        fig = plot_convergence(runs)
    path = save(fig, args.output)
    print(f"wrote {path}")
    return EXIT_OK


@_command("list")
def _cmd_list(args: argparse.Namespace) -> int:
    from negsim.scenarios import bundled_scenarios

    table = bundled_scenarios()
    if args.json:
        print_json([{"name": n, "title": t, "path": str(p)} for n, (t, p) in table.items()])
        return EXIT_OK
    width = max((len(n) for n in table), default=0)
    for name, (title, _) in table.items():
        print(f"{name:<{width}}  {title}")
    return EXIT_OK


@_command("schema")
def _cmd_schema(args: argparse.Namespace) -> int:
    from negsim.scenarios.schema import json_schema_text

    if args.output is None:
        sys.stdout.write(json_schema_text())
        return EXIT_OK
    Path(args.output).write_text(json_schema_text(), encoding="utf-8")
    print(f"wrote {args.output}")
    return EXIT_OK


@_command("new")
def _cmd_new(args: argparse.Namespace) -> int:
    import re

    from negsim.scenarios.schema import template

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", args.name):
        raise NegsimError(f"{args.name!r} is not a scenario name: use letters, digits, '-' and '_'")
    path = Path(args.output or f"{args.name.replace('-', '_')}.toml")
    if path.exists() and not args.force:
        raise NegsimError(f"{path} exists; choose another name or -o FILE, or add --force")
    path.write_text(template(args.name), encoding="utf-8")
    print(f"wrote {path}; try: negsim check {path}")
    return EXIT_OK


def _add_scenario_file_commands(sub: Any) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of scenario files",
        description=(
            "Print the JSON Schema of the scenario format, for editors that check and complete "
            "TOML files (the same file ships as negsim/scenarios/scenario.schema.json)."
        ),
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead of printing it")
    p = sub.add_parser(
        "new",
        help="write a commented template scenario that runs",
        description=(
            "Write NAME.toml: a small commented scenario (a ceasefire proposal, a private type, a "
            "counter-offer, preconditions, facts to check) that `negsim run` and `negsim check` accept "
            "as it is, to change into your own."
        ),
    )
    p.add_argument("name", metavar="NAME", help="the scenario's name (letters, digits, '-' and '_')")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write it (default NAME.toml)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


@_command("calibrate")
def _cmd_calibrate(args: argparse.Namespace) -> int:
    from negsim.errors import ScenarioError
    from negsim.estimate.calibrate import calibrate

    if args.draws < 1:
        raise ScenarioError("--draws must be at least 1")
    scenario = _load_with_sets(args.scenario, args.set)
    result = calibrate(
        scenario,
        args.observed,
        draws=args.draws,
        seed=args.seed,
        response=args.response,
        tremble=args.tremble,
        precision=args.precision,
        actual=args.actual,
    )
    if args.json:
        print_json(result.to_dict())
    else:
        print(result.report())
    return EXIT_OK


def _add_calibrate_parser(sub: Any, set_help: str) -> None:
    p = sub.add_parser(
        "calibrate",
        help="posterior of a scenario's parameters given what happened, and predictions of the rest",
        description=(
            "Condition a scenario on an observed path (stage=move pairs, any prefix of the game): every "
            "draw from the priors is solved in one batch, its equilibrium played with trembles (or as the "
            "agent logit QRE), and weighted by the probability of the observed path. Prints how probable "
            "each observed move was, the posterior of the parameters (with the effective sample size), "
            "the posterior probability of each type, and the predictive of the stages not observed; with "
            "--actual, whether the model predicted the later moves that happened."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", help="bundled scenario name or a .toml file")
    p.add_argument(
        "--observed",
        required=True,
        metavar="STAGE=MOVE,...",
        help="what happened, e.g. 'ukraine_attend=attend,russia_may=refuse_exchange'",
    )
    p.add_argument(
        "--actual",
        default=None,
        metavar="STAGE=MOVE,...",
        help="later moves that happened, scored against the predictive",
    )
    p.add_argument("--draws", type=int, default=1000, metavar="N", help="draws from the priors (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument(
        "--response",
        choices=["tremble", "logit"],
        default="tremble",
        help="how the equilibrium is played: with trembles (default) or as the agent logit QRE",
    )
    p.add_argument("--tremble", type=float, default=0.05, metavar="E", help="tremble probability (default 0.05)")
    p.add_argument("--precision", type=float, default=10.0, metavar="L", help="logit precision lambda (default 10)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: {"observed", "draws", "ess", "posterior", "types", "predictive", "fit", "actual"}',
    )


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``negsim`` command (all subcommands)."""
    parser = _Parser(
        prog="negsim",
        description=(
            "Game-theoretic models of negotiations: solve games and the scenarios of the "
            "2025 Russia-Ukraine ceasefire talks."
        ),
        epilog="Exit status: 0 success, 1 a check or expectation failed, 2 bad input.",
    )
    from negsim import __version__

    parser.add_argument("--version", action="version", version=f"negsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    set_help = "override a parameter (repeatable), e.g. --set us_resolve_prior=0.8"
    p = sub.add_parser(
        "run",
        help="solve a scenario and tell its equilibrium path",
        description=(
            "Solve a scenario (a bundled name such as istanbul-2025, or a .toml path) with a "
            "method that fits its game, and print the equilibrium path stage by stage: who does "
            "what, with what probability, which precondition blocked which move; then the outcome "
            "and each agent's payoff."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", help="bundled scenario name (see `negsim list`) or a .toml file")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help="solver (default: the scenario's, else auto)")
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N", help="iterations for CFR methods")
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: {"scenario", "method", "path", "outcome", "values", "nash_conv", ...}',
    )
    p.add_argument("--progress", action="store_true", help="show a progress bar")

    p = sub.add_parser(
        "check",
        help="test a scenario's stylized facts ([[expect]])",
        description=(
            "Solve a scenario and test each of its [[expect]] facts. Exit status 1 if a fact fails "
            "(with --counterfactuals: also if a fact still holds under its counterfactual parameters), "
            "if a fact holds over the whole box of declared ranges (by construction) unless declared "
            "structural, or if a parameter's source is dated after the decision it informs (hindsight) "
            "unless marked calibrated."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", nargs="?", help="bundled scenario name or a .toml file")
    p.add_argument("--all", action="store_true", help="check every bundled scenario")
    p.add_argument(
        "--counterfactuals",
        action="store_true",
        help="also check that every fact fails under its counterfactual parameter values",
    )
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help="solver (default: the scenario's, else auto)")
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N", help="iterations for CFR methods")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.add_argument("--box-samples", type=int, default=2048, metavar="N",
                   help="Sobol points in the box of declared ranges (default 2048)")

    p = sub.add_parser(
        "audit",
        help="a referee's audit: facts by construction, hindsight, idle preconditions, moves and types",
        description=(
            "Audit a scenario against the rules a scenario must keep. For each fact: the parameters that "
            "flip it inside their ranges with the thresholds, whether it holds over the whole box of "
            "declared ranges (by construction), its share of prior draws, flippers without a prior. For the "
            "model: preconditions that never or always bind, moves never played, private types that never "
            "change anyone's moves, sources dated after the decisions they inform (hindsight). Exit status 1 "
            "on any error or warning."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", nargs="?", help="bundled scenario name or a .toml file")
    p.add_argument("--all", action="store_true", help="audit every bundled scenario")
    p.add_argument("--box-samples", type=int, default=2048, metavar="N",
                   help="Sobol points in the box of declared ranges (default 2048)")
    p.add_argument("--draws", type=int, default=1000, metavar="N", help="prior draws (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the box sample and the draws")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help="solver (default: the scenario's, else auto)")
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N", help="iterations for CFR methods")
    p.add_argument("--json", action="store_true",
                   help='print JSON: {"scenario", "clean", "findings": [{"kind", "severity", "names", "numbers", '
                        '"message"}], "facts", "box", ...}')

    p = sub.add_parser(
        "sweep",
        help="solve a scenario over a grid of parameters or a Monte Carlo of its priors",
        description=(
            "Solve a scenario for many parameter settings in one batched solve. --param name=lo:hi:n "
            "(repeatable) sweeps a grid; --draws N draws the parameters that declare a prior. "
            "Prints the outcome per grid point, or the probability of each outcome with its Monte "
            "Carlo standard error."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", help="bundled scenario name or a .toml file")
    p.add_argument("--param", action="append", metavar="NAME=LO:HI:N", help="a grid axis (repeatable)")
    p.add_argument("--draws", type=int, default=None, metavar="N", help="Monte Carlo draws from the priors")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed for --draws (reproducible)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help="solver (default: the scenario's, else auto)")
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N", help="iterations for CFR methods")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true",
                     help='print JSON: {"draws", "seconds", "outcomes": {outcome: probability}, "parameters"}')
    fmt.add_argument("--csv", action="store_true", help="print one CSV row per setting")
    p.add_argument("--progress", action="store_true", help="show a progress bar")

    p = sub.add_parser(
        "plot",
        help="draw a figure of a scenario (tree, sweep, frontier, convergence)",
        description=(
            "Draw a figure of a scenario with matplotlib (no display needed): the game tree with the "
            "equilibrium path (--kind tree); a sweep of a fact's probability over one or two parameters "
            "with the threshold marked (--kind sweep --param name=lo:hi:n); the Pareto frontier of two "
            "agents' payoffs with the Nash and Kalai-Smorodinsky points and the equilibrium as disagreement "
            "point (--kind frontier); or the convergence of the CFR variants (--kind convergence)."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", help="bundled scenario name or a .toml file")
    p.add_argument("--kind", required=True, choices=["tree", "sweep", "frontier", "convergence"], help="the figure")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write it (.png, .pdf or .svg)")
    p.add_argument("--param", action="append", metavar="NAME=LO:HI:N", help="sweep axis (one or two)")
    p.add_argument("--fact", default=None, help="sweep: the [[expect]] fact to show (default: the first)")
    p.add_argument("--condition", default=None, help="sweep: a condition on the final state instead of a fact")
    p.add_argument("--given", default=None, help="sweep: show P(condition | given)")
    p.add_argument("--agents", default=None, metavar="A,B", help="frontier: the two agents (default: the first two)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help="solver (default: the scenario's, else auto)")
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N", help="iterations for CFR methods")

    _add_calibrate_parser(sub, set_help)

    p = sub.add_parser("list", help="list the bundled scenarios", description="List the bundled scenarios with titles.")
    p.add_argument("--json", action="store_true", help="print JSON")
    _add_scenario_file_commands(sub)

    p = sub.add_parser(
        "info",
        help="print the size of a game",
        description=(
            "Print the size of a game: players, histories (all nodes), terminals, "
            "information sets and sequences per player."
        ),
    )
    p.add_argument("game", metavar="GAME", help="a .efg or .nfg file, or a library game name (see `negsim games`)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

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
    p.add_argument("game", metavar="GAME", help="a .efg or .nfg file, or a library game name (see `negsim games`)")
    p.add_argument("--method", "-m", default="auto", metavar="M", help=f"solver to use (default auto). {method_help}")
    p.add_argument(
        "--iterations",
        "-n",
        type=int,
        default=None,
        metavar="N",
        help="iterations for iterative methods (CFR family; default 1000)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: {"method", "values", "nash_conv", "iterations", "seconds", "profile"}',
    )
    p.add_argument("--full", action="store_true", help="print every information set, however many")
    p.add_argument("--progress", action="store_true", help="show a progress bar for iterative methods")

    p = sub.add_parser(
        "games",
        help="list the library's standard games",
        description="List the standard games that GAME arguments accept by name.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``negsim`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return _COMMANDS[args.command](args)
    except NegsimError as exc:
        print(f"negsim {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileNotFoundError as exc:
        print(f"negsim {args.command}: error: {exc.filename}: no such file", file=sys.stderr)
        return EXIT_BAD_INPUT
    except IsADirectoryError as exc:
        print(f"negsim {args.command}: error: {exc.filename}: is a directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PermissionError as exc:
        print(f"negsim {args.command}: error: {exc.filename}: permission denied", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"negsim {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _entry() -> None:  # pragma: no cover - console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    _entry()
