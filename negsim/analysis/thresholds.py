"""Thresholds and comparative statics: where an equilibrium choice flips, and how values move.

* :func:`threshold` finds where an equilibrium choice flips by bracketing and repeated
  batched bisection (each step evaluates a grid of points inside the bracket at once,
  with :func:`negsim.analysis.solve_settings`).
* :func:`sweep_threshold` locates, finer than the grid, the first flip inside a
  one-parameter :func:`negsim.analysis.sweep`.
* :func:`derivatives` gives the derivative of each agent's equilibrium value with
  respect to parameters, holding the equilibrium fixed (defined where the equilibrium
  does not change within the step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.analysis._sweep import BatchResult, _compiled, solve_settings
from negsim.analysis.batch import solve_batch
from negsim.errors import ScenarioError

__all__ = ["Threshold", "threshold", "sweep_threshold", "derivatives"]


@dataclass(frozen=True)
class Threshold:
    """Where an equilibrium choice flips along one parameter.

    Attributes
    ----------
    parameter : str
    value : float
        The midpoint of the final bracket.
    bracket : (float, float)
        The condition's probability is below 1/2 at one end and at or above it at the other.
    below, above : float
        The condition's probability at the two ends of the bracket.
    evaluations : int
        Settings solved in all.
    condition : str
        The condition (``"condition | given"`` for a conditional probability).
    fixed : dict
        Other parameters held fixed while searching.
    level : float
        The probability whose crossing is located (1/2 unless chosen otherwise).
    """

    parameter: str
    value: float
    bracket: tuple[float, float]
    below: float
    above: float
    evaluations: int
    condition: str = ""
    fixed: dict[str, float] = field(default_factory=dict)
    level: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "value": self.value,
            "bracket": list(self.bracket),
            "probability_at_bracket": [self.below, self.above],
            "evaluations": self.evaluations,
            "condition": self.condition,
            "level": self.level,
            "fixed": dict(self.fixed),
        }


def threshold(
    model: Any,
    parameter: str,
    bracket: tuple[float, float] | None = None,
    *,
    condition: str | None = None,
    fact: str | None = None,
    given: str | None = None,
    tol: float = 1e-3,
    points: int = 9,
    fixed: Mapping[str, float] | None = None,
    level: float = 0.5,
    **options: Any,
) -> Threshold:
    """Where the equilibrium probability of a condition crosses ``level`` along one parameter.

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
    parameter : str
    bracket : (float, float), optional
        Where to look (default: the parameter's declared range).
    condition : str, optional
        A condition on the final state (like an ``[[expect]]`` condition).
    fact : str, optional
        Or the name of an ``[[expect]]`` fact (its condition is used).
    given : str, optional
        Use the conditional probability ``P(condition | given)``, for example the choice of
        one type of an agent (``"russia_aims == 'limited'"``).
    tol : float
        Stop when the bracket is narrower than this.
    points : int
        Settings evaluated per bisection step (in one batch).
    fixed : mapping, optional
        Other parameters held at these values.
    level : float
        The probability whose crossing is sought, strictly between 0 and 1 (default 1/2).

    Returns
    -------
    Threshold

    Raises
    ------
    ScenarioError
        If the condition does not cross ``level`` within the bracket; the message says
        whether a wider bracket could help (it cannot beyond the parameter's declared range).

    Examples
    --------
    How much each level of EU sanctions must cost Russia before Russia with limited aims
    accepts the ceasefire:

    >>> from negsim.scenarios import load_scenario
    >>> t = threshold(load_scenario("istanbul-2025"), "eu_bite", (0.0, 1.0),
    ...               condition="ceasefire == 'unconditional'", given="russia_aims == 'limited'",
    ...               tol=0.01)
    >>> round(t.value, 1), t.level
    (0.4, 0.5)
    """
    compiled = _compiled(model)
    neg = compiled.negotiation
    param = neg.parameter(parameter)
    if (condition is None) == (fact is None):
        raise ScenarioError("give exactly one of condition= or fact=")
    if fact is not None:
        match = [e for e in neg.expectations if e.fact == fact]
        if not match:
            import difflib

            close = difflib.get_close_matches(fact, [e.fact for e in neg.expectations], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(f"no fact {fact!r}{hint}")
        condition = match[0].condition
    compiled.condition(condition)  # parse early: errors before any solving
    if given is not None:
        compiled.condition(given)
    if bracket is None:
        if param.range is None:
            raise ScenarioError(f"give a bracket: parameter {parameter!r} has no range")
        bracket = param.range
    lo, hi = float(bracket[0]), float(bracket[1])
    if not lo < hi:
        raise ScenarioError(f"the bracket must be increasing, got {bracket}")
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ScenarioError(f"the level must be a probability strictly between 0 and 1, got {level:g}")
    points = max(int(points), 3)
    evaluations = 0

    def probabilities(xs: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        settings = {parameter: xs}
        for k, v in (fixed or {}).items():
            settings[k] = np.full(xs.size, float(v))
        result = solve_settings(compiled, settings, **options)
        evaluations += xs.size
        return result.probability(condition, given)

    xs = np.linspace(lo, hi, points)
    probs = probabilities(xs)
    side = probs >= level
    flips = np.flatnonzero(side[1:] != side[:-1])
    if flips.size == 0:
        raise ScenarioError(_no_crossing(condition, given, level, parameter, (lo, hi), probs, param.range))
    k = int(flips[0])
    a, b, pa, pb = xs[k], xs[k + 1], probs[k], probs[k + 1]
    while b - a > tol:
        xs = np.linspace(a, b, points)[1:-1]
        inner = probabilities(xs)
        all_x = np.concatenate(([a], xs, [b]))
        all_p = np.concatenate(([pa], inner, [pb]))
        s = all_p >= level
        j = int(np.flatnonzero(s[1:] != s[:-1])[0])
        a, b, pa, pb = all_x[j], all_x[j + 1], all_p[j], all_p[j + 1]
    return Threshold(parameter=parameter, value=float(0.5 * (a + b)), bracket=(float(a), float(b)),
                     below=float(pa), above=float(pb), evaluations=evaluations,
                     condition=condition if given is None else f"{condition} | {given}", level=level,
                     fixed={k: float(v) for k, v in (fixed or {}).items()})


def _no_crossing(condition: str, given: str | None, level: float, parameter: str, bracket: tuple[float, float],
                 probs: np.ndarray, declared: tuple[float, float] | None) -> str:
    """Why no threshold was found, and whether a wider bracket could find one."""
    lo, hi = bracket
    seen = probs[np.isfinite(probs)]
    where = "at or above" if seen.size and seen[0] >= level else "below"
    span = f" (from {seen.min():.2f} to {seen.max():.2f})" if seen.size else " (undefined: the given never happens)"
    head = f"P({condition}{' | ' + given if given else ''}) stays {where} {level:g} on [{lo:g}, {hi:g}]{span}"
    if declared is not None and lo <= declared[0] and hi >= declared[1]:
        return (f"{head}: no threshold of {parameter} within its declared range [{declared[0]:g}, {declared[1]:g}]; "
                "another condition, --given or --level may cross")
    if declared is not None:
        return f"{head}; {parameter}'s declared range is [{declared[0]:g}, {declared[1]:g}]: search it all"
    return f"{head}; a wider bracket may find one"


def sweep_threshold(
    model: Any,
    result: BatchResult,
    *,
    condition: str,
    given: str | None = None,
    level: float = 0.5,
    resolution: float = 1e-3,
    **options: Any,
) -> Threshold | None:
    """The first threshold inside a one-parameter sweep, located finer than its grid.

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
        The model that was swept (with the same fixed values).
    result : BatchResult
        From :func:`negsim.analysis.sweep` over one parameter.
    condition, given : str
        As in :func:`threshold`.
    level : float
        The probability whose crossing is sought.
    resolution : float
        The threshold's bracket is narrowed to this share of the swept interval.
    **options
        Passed to :func:`negsim.analysis.solve_settings`.

    Returns
    -------
    Threshold or None
        None when the probability stays on one side of ``level`` at every grid point.

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> scenario = load_scenario("istanbul-2025")
    >>> from negsim.analysis import sweep
    >>> result = sweep(scenario, {"eu_bite": [0.0, 0.5, 1.0]})
    >>> t = sweep_threshold(scenario, result, condition="ceasefire == 'unconditional'",
    ...                     given="russia_aims == 'limited'", resolution=0.05)
    >>> round(t.value, 1)
    0.4
    """
    if len(result.parameters) != 1:
        raise ScenarioError("a sweep threshold needs a sweep over exactly one parameter")
    name, values = next(iter(result.parameters.items()))
    prob = result.probability(condition, given)
    side = prob >= level
    flips = np.flatnonzero(side[1:] != side[:-1])
    if flips.size == 0:
        return None
    k = int(flips[0])
    span = float(values.max() - values.min()) or 1.0
    ends = sorted((float(values[k]), float(values[k + 1])))
    return threshold(model, name, (ends[0], ends[1]), condition=condition, given=given,
                     level=level, tol=resolution * span, **options)


# ---------------------------------------------------------------------------- derivatives
def derivatives(
    model: Any,
    parameters: Sequence[str],
    *,
    at: Mapping[str, float] | None = None,
    step: float = 1e-4,
    **options: Any,
) -> dict[str, np.ndarray]:
    """Derivatives of every agent's equilibrium value with respect to parameters.

    The equilibrium profile found at ``at`` is held fixed and each agent's expected payoff
    is differentiated by central differences; the derivative is reported only where the
    same profile is still the (certified) equilibrium at ``+step`` and ``-step`` --
    elsewhere (at a threshold) it is not defined and comes back as NaN.

    Returns
    -------
    dict of str to ndarray [n]
        ``{parameter: d value / d parameter}`` per agent.

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> d = derivatives(load_scenario("istanbul-2025"), ["tariff_bite"])
    >>> round(float(d["tariff_bite"][1]), 3)  # Russia pays the first step, 5% of the 500% on the table
    -0.25
    """
    from negsim.analysis.refine import certify
    from negsim.solvers.best_response import expected_values

    compiled = _compiled(model)
    neg = compiled.negotiation
    base = dict(at or {})
    for name in list(base) + list(parameters):
        neg.parameter(name)
    opts = dict(neg.solver)
    opts.update(options.get("options") or {})
    center = {k: np.array([v]) for k, v in base.items()}
    solved = solve_batch(compiled.game_for(center) if center else compiled.game, opts)
    profile = [a[0] for a in solved.profile.probabilities]
    defaults = neg.parameter_values()
    defaults.update(base)
    tremble = float(opts.get("tremble", 0.0) or 0.0)
    out = {}
    for name in parameters:
        x = defaults[name]
        h = step * max(1.0, abs(x))
        settings = {k: np.full(2, v) for k, v in base.items()}
        settings[name] = np.array([x - h, x + h])
        game = compiled.game_for(settings)
        values = expected_values(game, profile)
        still = certify(game, profile, tremble=tremble)
        deriv = (values[1] - values[0]) / (2 * h)
        out[name] = deriv if bool(np.all(still)) else np.full(deriv.shape, np.nan)
    return out
