"""Checking a scenario's stylized facts (its ``[[expect]]`` entries) against the solved model.

A fact is a condition on the final state with bounds on its equilibrium probability
``P = sum_z reach(z) [condition(z)]``. :func:`check` solves the scenario and tests every
fact; with ``counterfactuals=True`` it also solves the scenario under each fact's
``counterfactual`` parameter values and reports whether the fact then fails, as it should
if the fact does not hold by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.analysis.solve import solve_game
from negsim.errors import ScenarioError
from negsim.negotiation.compiler import CompiledNegotiation
from negsim.solvers.solution import Solution

__all__ = ["FactResult", "fact_probabilities", "check"]


@dataclass(frozen=True)
class FactResult:
    """The verdict on one stylized fact."""

    fact: str
    condition: str
    probability: float
    bounds: str
    holds: bool
    counterfactual: Mapping[str, float] | None = None
    counterfactual_probability: float | None = None
    fails_under_counterfactual: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "condition": self.condition,
            "probability": self.probability,
            "bounds": self.bounds,
            "holds": self.holds,
            "counterfactual": dict(self.counterfactual) if self.counterfactual else None,
            "counterfactual_probability": self.counterfactual_probability,
            "fails_under_counterfactual": self.fails_under_counterfactual,
        }


def fact_probabilities(compiled: CompiledNegotiation, solution: Solution) -> list[float | np.ndarray]:
    """Equilibrium probability of every expectation's condition (``[B]`` arrays for a batch)."""
    reach = solution.profile.node_reach()[..., solution.game.terminals]
    out = []
    for k, exp in enumerate(compiled.negotiation.expectations):
        cond = compiled.condition(exp.condition, where=f"expect[{k}].condition")
        mask = compiled.terminal_condition(cond)
        prob = (reach * mask).sum(axis=-1)
        out.append(float(prob) if np.ndim(prob) == 0 else prob)
    return out


def check(
    compiled: CompiledNegotiation,
    solution: Solution | None = None,
    *,
    counterfactuals: bool = False,
    options: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> list[FactResult]:
    """Test a negotiation's stylized facts.

    Parameters
    ----------
    compiled : CompiledNegotiation
        The compiled scenario.
    solution : Solution, optional
        Its solution (solved with :func:`negsim.analysis.solve_game` if not given).
    counterfactuals : bool
        Also solve under each fact's counterfactual parameters and check that it fails.
    options : mapping, optional
        Solver options (defaults: the scenario's ``[solver]`` table).
    progress : bool
        Show the solver's progress bar (iterative methods).

    Returns
    -------
    list of FactResult

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> results = check(load_scenario("istanbul-2025").compile())
    >>> all(r.holds for r in results)
    True
    """
    neg = compiled.negotiation
    opts = dict(neg.solver)
    opts.update(options or {})
    if solution is None:
        solution = solve_game(compiled.game, opts, progress=progress)
    probabilities = fact_probabilities(compiled, solution)
    results = []
    for k, (exp, prob) in enumerate(zip(neg.expectations, probabilities, strict=True)):
        cf_prob, cf_fails = None, None
        if counterfactuals and exp.counterfactual:
            try:
                other = neg.with_values(exp.counterfactual).compile()
            except ScenarioError as err:
                raise ScenarioError(err.message, key=f"expect[{k}].counterfactual") from None
            other_solution = solve_game(other.game, opts, progress=progress)
            cf_prob = fact_probabilities(other, other_solution)[k]
            cf_fails = not exp.holds(float(cf_prob))
        results.append(
            FactResult(
                fact=exp.fact,
                condition=exp.condition,
                probability=float(prob),
                bounds=exp.bounds_text,
                holds=exp.holds(float(prob)),
                counterfactual=exp.counterfactual,
                counterfactual_probability=None if cf_prob is None else float(cf_prob),
                fails_under_counterfactual=cf_fails,
            )
        )
    return results
