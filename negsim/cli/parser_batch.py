"""The parsers of the commands over many parameter settings: sweep, threshold, plot, calibrate."""

from __future__ import annotations

from typing import Any

from negsim.cli.arguments import SET_HELP, add_progress, add_solver_flags, non_negative_int

__all__ = ["add_batch_parsers"]


def add_batch_parsers(sub: Any) -> None:
    """``sweep``, ``threshold``, ``plot`` and ``calibrate``."""
    _add_sweep(sub)
    _add_threshold(sub)
    _add_plot(sub)
    _add_calibrate(sub)


def _add_sweep(sub: Any) -> None:
    p = sub.add_parser(
        "sweep",
        help="solve a scenario over a grid of parameters or a Monte Carlo of its priors",
        description=(
            "Solve a scenario for many parameter settings in one batched solve. --param name=lo:hi:n "
            "(repeatable) sweeps a grid; --draws N draws the parameters that declare a prior. "
            "Prints the outcome per grid point, or the probability of each outcome with its Monte "
            "Carlo standard error. A Monte Carlo (text or --json) keeps only statistics over the draws, "
            "made and solved chunk by chunk, so its memory does not grow with N; --csv keeps every draw."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", help="bundled scenario name or a .toml file")
    p.add_argument("--param", action="append", metavar="NAME=LO:HI:N", help="a grid axis (repeatable)")
    p.add_argument("--draws", type=int, default=None, metavar="N", help="Monte Carlo draws from the priors")
    p.add_argument("--seed", type=non_negative_int, default=None, metavar="S",
                   help="random seed for --draws (a non-negative integer; reproducible)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=SET_HELP)
    add_solver_flags(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true",
                     help='print JSON: {"draws", "seconds", "outcomes": {outcome: probability}, "parameters"}')
    fmt.add_argument("--csv", action="store_true",
                     help="print one CSV row per setting (holds every setting in memory, a few KiB each)")
    p.add_argument("--condition", default=None,
                   help="also show P(condition), a condition on the final state: per grid point (on a "
                        "one-parameter grid with its threshold), or its mean over the draws")
    p.add_argument("--given", default=None, help="with --condition: show P(condition | given)")
    p.add_argument("--level", type=float, default=0.5, metavar="P",
                   help="with --condition: the probability whose crossing is the threshold (default 0.5)")
    add_progress(p)


def _add_threshold(sub: Any) -> None:
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
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=SET_HELP)
    add_solver_flags(p)
    p.add_argument("--json", action="store_true",
                   help='print JSON: {"parameter", "value", "bracket", "probability_at_bracket", "condition", "level"}')
    add_progress(p)


def _add_plot(sub: Any) -> None:
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
    add_progress(p)
    p.add_argument("--agents", default=None, metavar="A,B", help="frontier: the two agents (default: the first two)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=SET_HELP)
    add_solver_flags(p)


def _add_calibrate(sub: Any) -> None:
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
    p.add_argument("--observed", required=True, metavar="STAGE=MOVE,...",
                   help="what happened, e.g. 'ukraine_attend=attend,russia_may=refuse_exchange'")
    p.add_argument("--actual", default=None, metavar="STAGE=MOVE,...",
                   help="later moves that happened, scored against the predictive")
    p.add_argument("--draws", type=int, default=1000, metavar="N", help="draws from the priors (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--response", choices=["tremble", "logit"], default="tremble",
                   help="how the equilibrium is played: with trembles (default) or as the agent logit QRE")
    p.add_argument("--tremble", type=float, default=0.05, metavar="E", help="tremble probability (default 0.05)")
    p.add_argument("--precision", type=float, default=10.0, metavar="L", help="logit precision lambda (default 10)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help=SET_HELP)
    p.add_argument("--json", action="store_true",
                   help='print JSON: {"observed", "draws", "ess", "posterior", "types", "predictive", "fit", "actual"}')
