"""The commands on one scenario: run, check, audit; and on scenario files: list, schema, new."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from negsim.cli.inputs import load_with_sets, solver_options
from negsim.cli.output import EXIT_FAILED_CHECK, EXIT_OK, print_json
from negsim.cli.progress import Stages, wants_progress
from negsim.cli.tables import check_lines
from negsim.errors import NegsimError

__all__ = ["run", "check", "audit", "list_scenarios", "schema", "new"]


def run(args: argparse.Namespace) -> int:
    """``negsim run``: solve a scenario and tell its equilibrium path."""
    from negsim.analysis import explain, narrative_text, solve_game

    show = wants_progress(args)
    with Stages("negsim run", 4, show=show) as stage:
        stage("loading the scenario")
        scenario = load_with_sets(args.scenario, args.set)
        stage("compiling the game and its payoffs")
        compiled = scenario.compile()
        stage("solving")
        solution = solve_game(compiled.game, solver_options(args, scenario), progress=show)
        stage("telling the equilibrium path")
        story = explain(compiled, solution, scenario=scenario.name)
    if args.json:
        print_json(story.to_dict())
    else:
        print(narrative_text(story))
    return EXIT_OK


def _specs(args: argparse.Namespace) -> list[str]:
    from negsim.errors import ScenarioError
    from negsim.scenarios import bundled_scenarios

    if args.all == bool(args.scenario):
        raise ScenarioError("give a SCENARIO or --all (not both)")
    return list(bundled_scenarios()) if args.all else [args.scenario]


def check(args: argparse.Namespace) -> int:
    """``negsim check``: test the stylized facts of one scenario or all bundled ones, and audit their box."""
    from negsim.analysis import check as check_facts
    from negsim.errors import ScenarioError

    specs = _specs(args)
    show = wants_progress(args)
    report = []
    failed = False
    with Stages("negsim check", 4 * len(specs), show=show) as stage:
        for spec in specs:
            stage(f"loading {spec}")
            scenario = load_with_sets(spec, args.set)
            stage(f"compiling {scenario.name}")
            compiled = scenario.compile()
            stage(f"solving {scenario.name} for its facts")
            try:
                results = check_facts(compiled, counterfactuals=args.counterfactuals,
                                      options=solver_options(args, scenario), progress=show)
            except ScenarioError as exc:
                raise scenario.error(exc) from None
            bad = [r for r in results
                   if not r.holds or (args.counterfactuals and r.fails_under_counterfactual is False)]
            stage(f"auditing {scenario.name} over the box of declared ranges")
            audited = _audit(scenario, compiled, args, show, checks=("box", "hindsight"))
            failed |= bool(bad) or bool(audited.errors)
            report.append({"scenario": scenario.name, "passed": not bad and not audited.errors,
                           "facts": [r.to_dict() for r in results],
                           "audit": [f.to_dict() for f in audited.findings]})
            if not args.json:
                stage.write("\n".join(check_lines(scenario, results, audited.findings,
                                                  counterfactuals=args.counterfactuals)))
    if args.json:
        print_json({"passed": not failed, "scenarios": report})
    elif len(specs) > 1:
        print(f"{sum(r['passed'] for r in report)} of {len(report)} scenarios pass")
    return EXIT_FAILED_CHECK if failed else EXIT_OK


def _audit(scenario: Any, compiled: Any, args: argparse.Namespace, show: bool, **keywords: Any) -> Any:
    """Audit one scenario (errors name its file)."""
    from negsim.analysis import audit as audit_scenario
    from negsim.errors import ScenarioError

    options = dict(box_samples=args.box_samples, options=solver_options(args, scenario), progress=show)
    for key in ("draws", "seed"):
        if getattr(args, key, None) is not None:
            options[key] = getattr(args, key)
    try:
        return audit_scenario(compiled, **options, **keywords)
    except ScenarioError as exc:
        raise scenario.error(exc) from None


def audit(args: argparse.Namespace) -> int:
    """``negsim audit``: a referee's audit of one scenario or all bundled ones."""
    specs = _specs(args)
    show = wants_progress(args)
    reports = []
    with Stages("negsim audit", 3 * len(specs), show=show) as stage:
        for spec in specs:
            stage(f"loading {spec}")
            scenario = load_with_sets(spec, args.set)
            stage(f"compiling {scenario.name}")
            compiled = scenario.compile()
            stage(f"auditing {scenario.name}")
            reports.append(_audit(scenario, compiled, args, show))
            if not args.json:
                stage.write(("\n" if len(reports) > 1 else "") + reports[-1].text())
    if args.json:
        data = [r.to_dict() for r in reports]
        print_json(data[0] if not args.all else {"clean": all(r.clean for r in reports), "scenarios": data})
    elif len(specs) > 1:
        print(f"\n{sum(r.clean for r in reports)} of {len(reports)} scenarios pass the audit")
    return EXIT_OK if all(r.clean for r in reports) else EXIT_FAILED_CHECK


def list_scenarios(args: argparse.Namespace) -> int:
    """``negsim list``: the bundled scenarios with their titles."""
    from negsim.scenarios import bundled_scenarios

    table = bundled_scenarios()
    if args.json:
        print_json([{"name": n, "title": t, "path": str(p)} for n, (t, p) in table.items()])
        return EXIT_OK
    width = max((len(n) for n in table), default=0)
    for name, (title, _) in table.items():
        print(f"{name:<{width}}  {title}")
    return EXIT_OK


def schema(args: argparse.Namespace) -> int:
    """``negsim schema``: the JSON Schema of scenario files."""
    from negsim.scenarios.schema import json_schema_text

    if args.output is None:
        sys.stdout.write(json_schema_text())
        return EXIT_OK
    Path(args.output).write_text(json_schema_text(), encoding="utf-8")
    print(f"wrote {args.output}")
    return EXIT_OK


def new(args: argparse.Namespace) -> int:
    """``negsim new``: write a commented template scenario that runs."""
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
