"""The parsers of the commands on one scenario's equilibrium (run, check, audit) and its file (list, schema, new)."""

from __future__ import annotations

from typing import Any

from negsim.cli.arguments import SET_HELP, add_progress, add_solver_flags

__all__ = ["add_solving_parsers", "add_file_parsers"]


def add_solving_parsers(sub: Any) -> None:
    """``run``, ``check`` and ``audit``."""
    _add_run(sub)
    _add_check(sub)
    _add_audit(sub)


def _add_run(sub: Any) -> None:
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
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=SET_HELP)
    add_solver_flags(p)
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: {"scenario", "method", "path", "outcome", "values", "nash_conv", ...}',
    )
    add_progress(p)


def _add_check(sub: Any) -> None:
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
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=SET_HELP)
    add_solver_flags(p)
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.add_argument("--box-samples", type=int, default=2048, metavar="N",
                   help="Sobol points in the box of declared ranges (default 2048)")
    add_progress(p)


def _add_audit(sub: Any) -> None:
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
    add_progress(p)
    p.add_argument("--draws", type=int, default=1000, metavar="N", help="prior draws (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the box sample and the draws")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=SET_HELP)
    add_solver_flags(p)
    p.add_argument("--json", action="store_true",
                   help='print JSON: {"scenario", "clean", "findings": [{"kind", "severity", "names", "numbers", '
                        '"message"}], "facts", "box", ...}')


def add_file_parsers(sub: Any) -> None:
    """``list``, ``schema`` and ``new``."""
    p = sub.add_parser("list", help="list the bundled scenarios", description="List the bundled scenarios with titles.")
    p.add_argument("--json", action="store_true", help="print JSON")
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

