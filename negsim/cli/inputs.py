"""What the user typed, turned into what the library takes: games, scenarios, values, solver options.

Every mistake here raises a :class:`negsim.NegsimError` that the command prints as one line.
:func:`solver_options` is the one place where option flags that reach a solver (``--method``,
``--iterations``, ...) are read, for every command.
"""

from __future__ import annotations

import argparse
from typing import Any

from negsim.errors import NegsimError

__all__ = [
    "parse_sets",
    "not_a_directory",
    "load_with_sets",
    "is_scenario",
    "load_game_or_scenario",
    "solver_options",
    "check_iterations",
    "parse_param_range",
    "grid",
    "parse_bracket",
    "fact",
]


def parse_sets(pairs: list[str] | None) -> dict[str, float]:
    """``--set name=value`` pairs as a dict of finite numbers.

    Examples
    --------
    >>> parse_sets(["eu_bite=0.5", " cost = 2"])
    {'eu_bite': 0.5, 'cost': 2.0}
    """
    import math

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
        if not math.isfinite(value):
            raise ScenarioError(f"--set {name.strip()}: the value must be finite")
        values[name.strip()] = value
    return values


def not_a_directory(spec: str) -> None:
    """Refuse a directory where a file or a name is expected."""
    from pathlib import Path

    if Path(spec).is_dir():
        raise NegsimError(f"{spec}: is a directory; give a file (or a bundled name)")


def load_with_sets(spec: str, sets: list[str] | None) -> Any:
    """The scenario ``spec`` (a bundled name or a .toml file) with the ``--set`` values as its defaults."""
    import warnings

    from negsim.scenarios import load_scenario

    not_a_directory(spec)
    scenario = load_scenario(spec)
    values = parse_sets(sets)
    for name, value in values.items():
        declared = scenario.negotiation.parameter(name).range
        if declared is not None and not declared[0] <= value <= declared[1]:
            # allowed (a what-if beyond the plausible), but the user should know the model was not built for it
            warnings.warn(f"--set {name}={value:g} is outside its declared range [{declared[0]:g}, {declared[1]:g}]",
                          stacklevel=2)
    return scenario.with_values(values) if values else scenario


def is_scenario(spec: str) -> bool:
    """Whether ``spec`` names a scenario (a .toml file or a bundled name) rather than a game."""
    from negsim.scenarios import bundled_scenarios

    return spec.lower().endswith(".toml") or spec in bundled_scenarios()


def load_game_or_scenario(spec: str, sets: list[str] | None = None) -> Any:
    """A game from a .efg/.nfg file, a library name, or a scenario (its compiled game, with --set values)."""
    from negsim.errors import ScenarioError
    from negsim.io import load_game

    not_a_directory(spec)
    if is_scenario(spec):
        return load_with_sets(spec, sets).compile().game
    if sets:
        raise ScenarioError("--set applies to scenarios, not to a game file")
    return load_game(spec)


def solver_options(args: argparse.Namespace, scenario: Any = None) -> dict[str, Any]:
    """The solver options a command passes on: the scenario's ``[solver]`` table, then the flags.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line; flags it does not have are skipped.
    scenario : Scenario, optional
        A scenario, whose ``[solver]`` table is the base, and whose game is a tree: a method
        that solves normal forms only is refused. Without it, ``--method`` is left out (the
        ``solve`` command picks and converts the game itself).

    Examples
    --------
    >>> solver_options(argparse.Namespace(method=None, iterations=50))
    {'iterations': 50}
    """
    from negsim.errors import SolverError
    from negsim.solvers.dispatch import methods, methods_for

    options = dict(scenario.solver) if scenario is not None else {}
    if scenario is not None and getattr(args, "method", None):
        method = args.method.strip().lower()
        if method in methods() and method not in methods_for("extensive"):
            # a scenario is a game tree: suggest what works here, not a conversion the CLI cannot do
            raise SolverError(f"method {method!r} solves normal-form games only; a scenario is a game tree: use "
                              f"{', '.join(methods_for('extensive'))}")
        options["method"] = args.method
    if getattr(args, "iterations", None) is not None:
        check_iterations(args)
        options["iterations"] = args.iterations
    if getattr(args, "max_seconds", None) is not None:
        options["time_limit"] = args.max_seconds
    return options


def check_iterations(args: argparse.Namespace) -> None:
    """A count below 1 is a range error, whatever the method (before auto picks one)."""
    from negsim.errors import SolverError

    if getattr(args, "iterations", None) is not None and args.iterations < 1:
        raise SolverError(f"--iterations must be at least 1, got {args.iterations}")


def parse_param_range(text: str) -> tuple[str, Any]:
    """``name=lo:hi:n`` as the name and ``n`` evenly spaced values.

    Examples
    --------
    >>> name, values = parse_param_range("eu_bite=0:1:3")
    >>> name, values.tolist()
    ('eu_bite', [0.0, 0.5, 1.0])
    """
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


def grid(texts: list[str]) -> dict[str, Any]:
    """The grid of several ``--param`` axes, each parameter once."""
    from negsim.errors import ScenarioError

    axes: dict[str, Any] = {}
    for text in texts:
        name, values = parse_param_range(text)
        if name in axes:
            raise ScenarioError(f"--param {name} is given twice; give each parameter once")
        axes[name] = values
    return axes


def parse_bracket(text: str) -> tuple[float, float]:
    """``lo:hi`` as two numbers."""
    from negsim.errors import ScenarioError

    lo, _, hi = text.partition(":")
    try:
        return float(lo), float(hi)
    except ValueError:
        raise ScenarioError(f"--bracket expects lo:hi, got {text!r}") from None


def fact(scenario: Any, text: str) -> str:
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
