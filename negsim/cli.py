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
EXIT_INTERRUPTED = 130
MESSAGE_CHARS = 300  # an error echoing a 4,000-character expression is cut to this

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
    game = _load_game_or_scenario(args.game, args.set)
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
PROFILE_ROWS = 40


@_command("solve")
def _cmd_solve(args: argparse.Namespace) -> int:
    from negsim.solvers.dispatch import choose_method, iterative_methods, solve

    game = _load_game_or_scenario(args.game)
    _check_iterations(args)
    method = args.method.strip().lower()
    if method == "auto":
        # a number of iterations asks for an iterative method: auto picks one that fits the game
        method = _iterative_method(game) if args.iterations is not None else choose_method(game)
    options: dict[str, Any] = {}
    if args.iterations is not None:
        if method not in iterative_methods():
            from negsim.errors import SolverError

            raise SolverError(f"--iterations applies to iterative methods ({', '.join(sorted(iterative_methods()))}), "
                              f"not {method!r}")
        options["iterations"] = args.iterations
    if _progress(args) and method in iterative_methods():
        options["progress"] = True
    game = _in_form_for(game, method)
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


def _iterative_method(game: Any) -> str:
    from negsim.games import NormalFormGame

    # CFR+ converges fastest on trees; fictitious play is the iterative method for any normal form
    return "fictitious" if isinstance(game, NormalFormGame) else "cfr+"


def _in_form_for(game: Any, method: str) -> Any:
    """A game tree converted to its reduced normal form when the method solves only normal forms."""
    from negsim.games import ExtensiveFormGame, reduced_normal_form
    from negsim.solvers.dispatch import methods, methods_for

    if isinstance(game, ExtensiveFormGame) and method in methods() and method not in methods_for("extensive"):
        return reduced_normal_form(game)
    return game


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


def _not_a_directory(spec: str) -> None:
    from pathlib import Path

    if Path(spec).is_dir():
        from negsim.errors import NegsimError

        raise NegsimError(f"{spec}: is a directory; give a file (or a bundled name)")


def _load_with_sets(spec: str, sets: list[str] | None):
    import warnings

    from negsim.scenarios import load_scenario

    _not_a_directory(spec)
    scenario = load_scenario(spec)
    values = _parse_sets(sets)
    for name, value in values.items():
        declared = scenario.negotiation.parameter(name).range
        if declared is not None and not declared[0] <= value <= declared[1]:
            # allowed (a what-if beyond the plausible), but the user should know the model was not built for it
            warnings.warn(f"--set {name}={value:g} is outside its declared range [{declared[0]:g}, {declared[1]:g}]",
                          stacklevel=2)
    return scenario.with_values(values) if values else scenario


def _is_scenario(spec: str) -> bool:
    from negsim.scenarios import bundled_scenarios

    return spec.lower().endswith(".toml") or spec in bundled_scenarios()


def _load_game_or_scenario(spec: str, sets: list[str] | None = None) -> Any:
    """A game from a .efg/.nfg file, a library name, or a scenario (its compiled game, with --set values)."""
    from negsim.errors import ScenarioError
    from negsim.io import load_game

    _not_a_directory(spec)
    if _is_scenario(spec):
        return _load_with_sets(spec, sets).compile().game
    if sets:
        raise ScenarioError("--set applies to scenarios, not to a game file")
    return load_game(spec)


def _solver_options(scenario: Any, args: argparse.Namespace) -> dict[str, Any]:
    from negsim.errors import SolverError
    from negsim.solvers.dispatch import methods, methods_for

    options = dict(scenario.solver)
    if getattr(args, "method", None):
        method = args.method.strip().lower()
        if method in methods() and method not in methods_for("extensive"):
            # a scenario is a game tree: suggest what works here, not a conversion the CLI cannot do
            raise SolverError(f"method {method!r} solves normal-form games only; a scenario is a game tree: use "
                              f"{', '.join(methods_for('extensive'))}")
        options["method"] = args.method
    if getattr(args, "iterations", None) is not None:
        _check_iterations(args)
        options["iterations"] = args.iterations
    return options


def _check_iterations(args: argparse.Namespace) -> None:
    """A count below 1 is a range error, whatever the method (before auto picks one)."""
    from negsim.errors import SolverError

    if getattr(args, "iterations", None) is not None and args.iterations < 1:
        raise SolverError(f"--iterations must be at least 1, got {args.iterations}")


@_command("run")
def _cmd_run(args: argparse.Namespace) -> int:
    from negsim.analysis import explain, narrative_text, solve_game

    scenario = _load_with_sets(args.scenario, args.set)
    compiled = scenario.compile()
    solution = solve_game(compiled.game, _solver_options(scenario, args), progress=_progress(args))
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

    options = dict(box_samples=args.box_samples, options=_solver_options(scenario, args), progress=_progress(args))
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


def _fact(scenario: Any, text: str) -> str:
    """The [[expect]] fact named by ``text`` or by a unique prefix of its name (case ignored)."""
    from negsim.errors import ScenarioError

    facts = [e.fact for e in scenario.negotiation.expectations]
    if text in facts:
        return text
    found = [f for f in facts if f.lower().startswith(text.strip().lower())]
    if len(found) == 1:
        return found[0]
    # the full names would not fit on one line: list the shortest start of each that --fact accepts
    listing = "; ".join(repr(_unique_start(f, facts)) for f in (found or facts)) or "none"
    what = f"{len(found)} facts start with {text!r}" if found else f"no fact {text!r}"
    raise ScenarioError(f"{what}; give one of (a start of) {listing}")


def _unique_start(fact: str, facts: list[str]) -> str:
    words = fact.split(" ")
    for k in range(min(3, len(words)), len(words) + 1):  # three words at least, to be recognisable
        start = " ".join(words[:k])
        if sum(f.lower().startswith(start.lower()) for f in facts) == 1:
            return start
    return fact


def _progress(args: argparse.Namespace) -> bool:
    """--progress / --no-progress if given, else a bar only when stderr is a terminal (not when piped)."""
    chosen = getattr(args, "progress", None)
    return sys.stderr.isatty() if chosen is None else bool(chosen)


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


def _grid(texts: list[str]) -> dict[str, Any]:
    from negsim.errors import ScenarioError

    grid: dict[str, Any] = {}
    for text in texts:
        name, values = _parse_param_range(text)
        if name in grid:
            raise ScenarioError(f"--param {name} is given twice; give each parameter once")
        grid[name] = values
    return grid


@_command("sweep")
def _cmd_sweep(args: argparse.Namespace) -> int:
    from negsim.analysis import monte_carlo, sweep, sweep_threshold
    from negsim.errors import ScenarioError

    scenario = _load_with_sets(args.scenario, args.set)
    if bool(args.param) == (args.draws is not None):
        raise ScenarioError("give --param name=lo:hi:n (a grid) or --draws N (Monte Carlo), not both")
    if args.given is not None and args.condition is None:
        raise ScenarioError("--given needs --condition")
    options = _solver_options(scenario, args)
    if args.condition is not None:
        compiled = scenario.compile()
        compiled.condition(args.condition)  # a mistyped condition fails before any solving
        if args.given is not None:
            compiled.condition(args.given)
    if args.param:
        grid = _grid(args.param)
        result = sweep(scenario, grid, options=options, progress=_progress(args))
    else:
        if args.draws < 1:
            raise ScenarioError("--draws must be at least 1")
        result = monte_carlo(scenario, draws=args.draws, seed=args.seed, options=options, progress=_progress(args))
    status = EXIT_OK
    if result.info.get("interrupted"):
        # Ctrl-C after some chunks: print what was finished, flagged, and exit as interrupted
        print(f"negsim sweep: interrupted; showing the {result.draws:,} of {result.info['requested']:,} settings "
              "finished", file=sys.stderr)
        status = EXIT_INTERRUPTED
    condition = None
    if args.condition is not None:
        import numpy as np

        prob = np.asarray(result.probability(args.condition, args.given), np.float64).ravel()
        label = f"P({args.condition}{' | ' + args.given if args.given else ''})"
        mark = None
        if result.is_grid and len(result.parameters) == 1 and status == EXIT_OK:
            mark = sweep_threshold(scenario, result, condition=args.condition, given=args.given, level=args.level,
                                   options=options)
        condition = {"condition": args.condition, "given": args.given, "label": label, "probability": prob,
                     "level": args.level, "threshold": mark}
    if args.csv:
        import csv

        rows = result.rows()
        if condition is not None:
            for row, p in zip(rows, condition["probability"], strict=True):
                row[condition["label"]] = float(p)
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return status
    if args.json:
        data = result.to_dict()
        data["interrupted"] = bool(result.info.get("interrupted", False))
        if condition is not None:
            data["condition"] = _condition_json(condition, result)
        print_json(data)
        return status
    print(_batch_text(scenario, result, grid=result.is_grid, condition=condition))
    return status


def _condition_json(condition: dict[str, Any], result: Any) -> dict[str, Any]:
    import numpy as np

    prob = condition["probability"]
    out: dict[str, Any] = {"condition": condition["condition"], "given": condition["given"]}
    if result.is_grid:
        out["probability"] = prob.tolist()
        if condition["threshold"] is not None:
            out["threshold"] = condition["threshold"].to_dict()
        elif len(result.parameters) == 1:
            out["threshold"] = None
    else:
        seen = prob[np.isfinite(prob)]
        out["probability"] = float(seen.mean()) if seen.size else float("nan")
        out["standard_error"] = float(seen.std(ddof=1) / np.sqrt(seen.size)) if seen.size > 1 else 0.0
        out["draws_defined"] = int(seen.size)
    return out


def _batch_text(scenario: Any, result: Any, *, grid: bool, condition: dict[str, Any] | None = None) -> str:
    import numpy as np

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
        header = "  ".join(f"{n:>12}" for n in names)
        if condition is not None:
            header += f"  {'P':>5}"
        lines.append(header + "  outcome")
        for b in range(result.draws):
            vals = "  ".join(f"{result.parameters[n][b]:>12.4g}" for n in names)
            if condition is not None:
                vals += f"  {condition['probability'][b]:>5.2f}"
            lines.append(f"{vals}  {likely[b]} ({result.outcome_probabilities[b].max():.2f})")
        if condition is not None:
            lines.append("")
            lines.append(f"P = {condition['label']}")
            mark = condition["threshold"]
            if mark is not None:
                lines.append(f"threshold: {mark.parameter} = {mark.value:.4g} (in [{mark.bracket[0]:.4g}, "
                             f"{mark.bracket[1]:.4g}]), where P crosses {mark.level:g}")
            elif len(names) == 1 and not result.info.get("interrupted"):
                lines.append(f"no threshold: P stays on one side of {condition['level']:g} at every grid point")
        lines.append("")
        lines.append("Facts (probability at each grid point, in the order above):")
        for fact, probs in result.facts.items():
            lines.append(f"  {fact}")
            lines.append("    " + " ".join(f"{p:.2f}" for p in np.ravel(probs)))
        return "\n".join(lines)
    lines.append("Outcome probabilities (Monte Carlo estimate +/- standard error):")
    for outcome, stats in result.summary().items():
        if stats["probability"] < 0.0005:
            continue
        lines.append(f"  {stats['probability']:.3f} +/- {stats['standard_error']:.3f}  {outcome}")
    lines.append("")
    lines.append("Parameters drawn: " + ", ".join(
        f"{k} in [{v.min():.3g}, {v.max():.3g}]" for k, v in result.parameters.items()))
    if condition is not None:
        prob = condition["probability"]
        seen = prob[np.isfinite(prob)]
        if seen.size:
            se = seen.std(ddof=1) / np.sqrt(seen.size) if seen.size > 1 else 0.0
            where = "" if seen.size == prob.size else f" (over the {seen.size:,} draws where the given can happen)"
            lines.append("")
            lines.append(f"{condition['label']} = {seen.mean():.3f} +/- {se:.3f}{where}")
        else:
            lines.append("")
            lines.append(f"{condition['label']}: the given never happens in these draws")
    lines.append("")
    lines.append("Facts (probability, averaged over draws):")
    for fact, probs in result.facts.items():
        lines.append(f"  {probs.mean():.3f}  {fact}")
    return "\n".join(lines)


@_command("threshold")
def _cmd_threshold(args: argparse.Namespace) -> int:
    from negsim.analysis import threshold

    scenario = _load_with_sets(args.scenario, args.set)
    bracket = None
    if args.bracket is not None:
        bracket = _parse_bracket(args.bracket)
    found = threshold(scenario, args.parameter, bracket, condition=args.condition, given=args.given,
                      level=args.level, tol=args.tol, options=_solver_options(scenario, args),
                      progress=_progress(args))
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


def _parse_bracket(text: str) -> tuple[float, float]:
    from negsim.errors import ScenarioError

    lo, sep, hi = text.partition(":")
    try:
        return float(lo), float(hi)
    except ValueError:
        raise ScenarioError(f"--bracket expects lo:hi, got {text!r}") from None


@_command("plot")
def _cmd_plot(args: argparse.Namespace) -> int:
    import numpy as np

    from negsim.analysis import solve_game, sweep, sweep_threshold
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
        grid = _grid(args.param)
        fact = _fact(scenario, args.fact) if args.fact is not None else None
        if fact is not None and args.condition is not None:
            raise ScenarioError("give --fact or --condition, not both")
        if fact is None and args.condition is None:
            if not scenario.negotiation.expectations:
                raise ScenarioError("the scenario has no [[expect]] facts; give --condition")
            fact = scenario.negotiation.expectations[0].fact
        result = sweep(scenario, grid, options=options, progress=_progress(args))
        mark = None
        if len(grid) == 1:
            condition = args.condition
            if condition is None:
                condition = next(e.condition for e in scenario.negotiation.expectations if e.fact == fact)
            mark = sweep_threshold(scenario, result, condition=condition, given=args.given, level=args.level,
                                   options=options)
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
    if args.set:
        # a figure drawn with --set values must say so, or it reads as the scenario's defaults
        ax = fig.axes[0]
        settings = ", ".join(f"{k} = {v:g}" for k, v in _parse_sets(args.set).items())
        ax.set_title(f"{ax.get_title()}\n(with {settings})".lstrip("\n"), fontsize=ax.title.get_fontsize())
    path = save(fig, args.output)
    print(f"wrote {path}")
    return EXIT_OK


@_command("export")
def _cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from negsim.errors import GameError
    from negsim.games import NormalFormGame
    from negsim.io import write_efg, write_nfg

    game = _load_game_or_scenario(args.game, args.set)
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
def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``negsim`` command (all subcommands)."""
    parser = _Parser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    set_help = "override a parameter (repeatable), e.g. --set us_resolve_prior=0.8"
    from negsim.solvers.dispatch import methods_for

    tree_method_help = "solver (default: the scenario's, else auto): " + ", ".join(methods_for("extensive"))
    progress_help = "show a progress bar (default: on a terminal, not when the output is piped)"
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
    p.add_argument("--method", "-m", default=None, metavar="M", help=tree_method_help)
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="iterations for iterative methods (CFR family)")
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: {"scenario", "method", "path", "outcome", "values", "nash_conv", ...}',
    )
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=progress_help)

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
    p.add_argument("--method", "-m", default=None, metavar="M", help=tree_method_help)
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="iterations for iterative methods (CFR family)")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.add_argument("--box-samples", type=int, default=2048, metavar="N",
                   help="Sobol points in the box of declared ranges (default 2048)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=progress_help)

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
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=progress_help)
    p.add_argument("--draws", type=int, default=1000, metavar="N", help="prior draws (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the box sample and the draws")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help=tree_method_help)
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="iterations for iterative methods (CFR family)")
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
    p.add_argument("--seed", type=_non_negative_int, default=None, metavar="S",
                   help="random seed for --draws (a non-negative integer; reproducible)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help=tree_method_help)
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="iterations for iterative methods (CFR family)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true",
                     help='print JSON: {"draws", "seconds", "outcomes": {outcome: probability}, "parameters"}')
    fmt.add_argument("--csv", action="store_true", help="print one CSV row per setting")
    p.add_argument("--condition", default=None,
                   help="also show P(condition) per setting, a condition on the final state; on a one-parameter "
                        "grid, with its threshold")
    p.add_argument("--given", default=None, help="with --condition: show P(condition | given)")
    p.add_argument("--level", type=float, default=0.5, metavar="P",
                   help="with --condition: the probability whose crossing is the threshold (default 0.5)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=progress_help)

    p = sub.add_parser(
        "threshold",
        help="where a condition's probability crosses a level along one parameter",
        description=(
            "Find the value of PARAM at which the equilibrium probability of --condition (given --given) "
            "crosses --level, by batched bisection over the parameter's declared range (or --bracket). "
            "Example: negsim threshold istanbul-2025 eu_bite --condition \"ceasefire == 'unconditional'\" "
            "--given \"russia_aims == 'limited'\""
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", help="bundled scenario name or a .toml file")
    p.add_argument("parameter", metavar="PARAM", help="the parameter to vary")
    p.add_argument("--condition", required=True, help="a condition on the final state, e.g. \"ceasefire == 'none'\"")
    p.add_argument("--given", default=None, help="use P(condition | given), e.g. one type's choice")
    p.add_argument("--level", type=float, default=0.5, metavar="P", help="the probability level (default 0.5)")
    p.add_argument("--bracket", default=None, metavar="LO:HI", help="where to look (default: the declared range)")
    p.add_argument("--tol", type=float, default=1e-3, metavar="T", help="width of the final bracket (default 0.001)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help=tree_method_help)
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="iterations for iterative methods (CFR family)")
    p.add_argument("--json", action="store_true",
                   help='print JSON: {"parameter", "value", "bracket", "probability_at_bracket", "condition", "level"}')
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=progress_help)

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
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="where to write it (.png, .pdf or .svg)")
    p.add_argument("--param", action="append", metavar="NAME=LO:HI:N", help="sweep axis (one or two)")
    p.add_argument("--fact", default=None,
                   help="sweep: the [[expect]] fact to show, or a unique start of its name (default: the first)")
    p.add_argument("--condition", default=None, help="sweep: a condition on the final state instead of a fact")
    p.add_argument("--given", default=None, help="sweep: show P(condition | given)")
    p.add_argument("--level", type=float, default=0.5, metavar="P",
                   help="sweep: the probability whose crossing is marked as the threshold (default 0.5)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help=progress_help)
    p.add_argument("--agents", default=None, metavar="A,B", help="frontier: the two agents (default: the first two)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)
    p.add_argument("--method", "-m", default=None, metavar="M", help=tree_method_help)
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="iterations for iterative methods (CFR family)")

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
    p.add_argument("game", metavar="GAME",
                   help="a .efg or .nfg file, a library game name (see `negsim games`) or a scenario")
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
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=set_help)

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
    p.add_argument("game", metavar="GAME",
                   help="a .efg or .nfg file, a library game name (see `negsim games`) or a scenario")
    p.add_argument("--method", "-m", default="auto", metavar="M", help=f"solver to use (default auto). {method_help}")
    p.add_argument(
        "--iterations",
        "-n",
        type=int,
        default=None,
        metavar="N",
        help="iterations for iterative methods (CFR family; default 1000); with auto, picks one (cfr+ on trees, "
        "fictitious play on normal forms)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: {"method", "values", "nash_conv", "iterations", "seconds", "profile"}',
    )
    p.add_argument("--full", action="store_true", help="print every information set, however many")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar for iterative methods (default: on a terminal, not when piped)")

    p = sub.add_parser(
        "games",
        help="list the library's standard games",
        description="List the standard games that GAME arguments accept by name.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``negsim`` command; returns the exit status."""
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
        return _COMMANDS[args.command](args)
    except NegsimError as exc:
        _say(f"{command}: error: {exc}")
        return EXIT_BAD_INPUT
    except FileNotFoundError as exc:
        _say(f"{command}: error: {exc.filename}: no such file")
        return EXIT_BAD_INPUT
    except IsADirectoryError as exc:
        _say(f"{command}: error: {exc.filename}: is a directory")
        return EXIT_BAD_INPUT
    except PermissionError as exc:
        _say(f"{command}: error: {exc.filename}: permission denied")
        return EXIT_BAD_INPUT
    except MemoryError:
        _say(f"{command}: error: out of memory; try a smaller game, fewer draws or a lower NEGSIM_MEMORY_LIMIT")
        return EXIT_BAD_INPUT
    except RecursionError:
        _say(f"{command}: error: the input is nested too deeply")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _say(f"{command}: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def _say(message: str) -> None:
    """Print one line on stderr: newlines folded, long echoes of the input cut short."""
    line = " ".join(str(message).split())
    if len(line) > MESSAGE_CHARS:
        line = line[: MESSAGE_CHARS - 5] + " ..."
    print(line, file=sys.stderr)


def _show_warning(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    """Warnings as ``negsim: warning: ...``, without the installation path of the module that raised them."""
    _say(f"negsim: warning: {message}")


def _entry() -> None:  # pragma: no cover - console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    _entry()
