"""Semantic checks of a negotiation, in one place, and the resolved form the compiler enumerates.

:func:`validate` checks everything about a :class:`~negsim.negotiation.Negotiation` that
does not depend on the game tree: names (unique, valid, not reserved), references between
agents, issues, stages, moves and chance events, expressions (their names and types:
conditions over the state, payoffs over the state and parameters, probabilities and costs
over parameters only), precondition targets and observers. It returns a
:class:`ValidatedNegotiation`: the protocol in order, every expression parsed, every
name resolved to an index, so that enumerating the tree
(:mod:`negsim.negotiation.tree`) needs no further checks.

:func:`check_values` holds the checks of declared values that a scenario file must pass
when it is loaded -- parameter ranges and priors, solver options, expectation bounds and
counterfactual parameters, precondition kinds, literal probabilities. The compiler does not
repeat them, because a value set later (``--set``, a counterfactual, a sweep) may lie
outside the declared range on purpose.

Every error is a :class:`~negsim.errors.ScenarioError` whose ``key`` is the path of the
offending entry in a scenario file (``stages[1].moves[0].set.truce``), so that the loader
can name the file and line.
"""

from __future__ import annotations

import difflib
import keyword
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.errors import ScenarioError
from negsim.negotiation.expressions import BOOLEAN, NUMBER, Expression, NameType, parse_expression
from negsim.negotiation.model import Chance, Negotiation, Stage

__all__ = [
    "SKIPPED",
    "SoftPrecondition",
    "ValidatedNegotiation",
    "Variable",
    "check_prior_range",
    "check_values",
    "prior_support",
    "validate",
]

SKIPPED = "skipped"
"""The value of a stage's or chance event's variable when it did not take place."""

MAX_NODES_CEILING = 100_000_000
"""The largest ``max_nodes`` a scenario may declare (its tree's arrays alone would take gigabytes)."""

MoveKey = tuple[str, str]  # (stage name, move name)


@dataclass(frozen=True)
class Variable:
    """A variable of the final state: an issue, a stage's choice or a chance outcome."""

    name: str
    kind: str  # "category", "number", "boolean"
    values: tuple[Any, ...]
    origin: str  # "issue", "stage", "chance"

    def type(self) -> NameType:
        if self.kind == "category":
            return NameType.category(self.values)
        return NameType(NUMBER if self.kind == "number" else BOOLEAN)

    def env_values(self, codes: np.ndarray) -> np.ndarray:
        """Codes as the arrays expressions see (numbers for number issues)."""
        if self.kind == "number":
            return np.asarray(self.values, dtype=np.float64)[codes]
        return codes

    def code_of(self, value: Any, where: str) -> int:
        """The code of a readable value (raises naming ``where`` and the closest value)."""
        for i, v in enumerate(self.values):
            if v == value and type(v) is type(value) or (self.kind == "number" and _same_number(v, value)):
                return i
        close = difflib.get_close_matches(str(value), [str(v) for v in self.values], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        shown = ", ".join(repr(v) for v in self.values)
        raise ScenarioError(f"{value!r} is not a value of {self.name} (values: {shown}){hint}", key=where)


@dataclass(frozen=True)
class SoftPrecondition:
    """A soft precondition, resolved: its agent's index, its move, and parsed expressions."""

    agent: int
    move_key: MoveKey
    condition: Expression
    cost: Expression
    text: str


@dataclass(frozen=True, eq=False)
class ValidatedNegotiation:
    """A negotiation whose names are resolved and whose expressions are parsed.

    Attributes
    ----------
    negotiation : Negotiation
    variables : dict of str to Variable
        Issues, then stage choices, then chance outcomes (the order of state codes).
    initial : tuple of int
        The code of every variable at the root.
    steps : tuple of Stage and Chance
        The protocol in order: chance events without ``after`` first, then each stage
        followed by the chance events that come after it.
    step_when, step_observers, chance_exprs : tuples, one entry per step
        The parsed ``when`` (or None), the indices of the agents who observe the step,
        and the parsed outcome probabilities (empty for stages).
    move_when, move_effects, hard : dicts keyed by ``(stage, move)``
        Parsed protocol conditions; effects as ``(variable index, code or expression)``;
        hard preconditions as ``(condition, reason shown when it blocks the move)``.
    softs : tuple of SoftPrecondition
    payoff_terms : tuple, one entry per agent, of ``(term name, expression)`` pairs
    expectations : tuple of Expression
        The parsed condition of every stylized fact.
    """

    negotiation: Negotiation
    variables: Mapping[str, Variable]
    initial: tuple[int, ...]
    steps: tuple[Stage | Chance, ...]
    step_when: tuple[Expression | None, ...]
    step_observers: tuple[frozenset[int], ...]
    chance_exprs: tuple[tuple[Expression, ...], ...]
    move_when: Mapping[MoveKey, Expression]
    move_effects: Mapping[MoveKey, tuple[tuple[int, int | Expression], ...]]
    hard: Mapping[MoveKey, tuple[tuple[Expression, str], ...]]
    softs: tuple[SoftPrecondition, ...]
    payoff_terms: tuple[tuple[tuple[str, Expression], ...], ...]
    expectations: tuple[Expression, ...]

    @property
    def var_names(self) -> tuple[str, ...]:
        """The variables' names, in the order of state codes."""
        return tuple(self.variables)

    @property
    def agent_index(self) -> dict[str, int]:
        """Each agent's index (its player number in the game)."""
        return {a.name: i for i, a in enumerate(self.negotiation.agents)}

    def condition(self, text: str, where: str = "condition") -> Expression:
        """Parse a condition over the final state (issues, stage choices, chance outcomes, parameters)."""
        return parse_expression(text, _all_types(self.negotiation, self.variables), mode="condition", where=where)

    def step_key(self, step_index: int) -> str:
        """The key path of a step in a scenario file (``stages[2]``, ``chance[0]``)."""
        step = self.steps[step_index]
        if isinstance(step, Stage):
            return f"stages[{[s.name for s in self.negotiation.stages].index(step.name)}]"
        return f"chance[{[c.name for c in self.negotiation.chance].index(step.name)}]"


# ---------------------------------------------------------------------------- validate
def validate(negotiation: Negotiation) -> ValidatedNegotiation:
    """Check a negotiation and resolve it for the compiler.

    Parameters
    ----------
    negotiation : Negotiation

    Returns
    -------
    ValidatedNegotiation

    Raises
    ------
    ScenarioError
        For the first problem found, with the key path of the offending entry: a missing
        or duplicate name, an unknown agent, issue, stage or move, an expression with an
        unknown name or the wrong type, a precondition on another agent's move, ...

    Examples
    --------
    >>> from negsim.negotiation import Agent, Move, Negotiation, Stage
    >>> talks = Negotiation("t", agents=[Agent("A")], stages=[Stage("s", "B", [Move("go")])])
    >>> validate(talks)
    Traceback (most recent call last):
    ...
    negsim.errors.ScenarioError: stages[0].agent: unknown agent 'B' (known: A)
    """
    _check_names(negotiation)
    variables = _variables(negotiation)
    initial = _initial_codes(negotiation, variables)
    scope = _Scope(negotiation, variables)
    steps = _order_steps(negotiation)
    details = [_step_details(scope, step) for step in steps]
    move_when, move_effects = _moves(scope)
    hard, softs = _preconditions(scope)
    payoff_terms = tuple(_payoff_terms(scope, a) for a in range(len(negotiation.agents)))
    expectations = tuple(
        parse_expression(e.condition, scope.all_types, mode="condition", where=f"expect[{k}].condition")
        for k, e in enumerate(negotiation.expectations)
    )
    return ValidatedNegotiation(
        negotiation=negotiation,
        variables=variables,
        initial=initial,
        steps=steps,
        step_when=tuple(d[0] for d in details),
        step_observers=tuple(d[1] for d in details),
        chance_exprs=tuple(d[2] for d in details),
        move_when=move_when,
        move_effects=move_effects,
        hard=hard,
        softs=softs,
        payoff_terms=payoff_terms,
        expectations=expectations,
    )


class _Scope:
    """What the checks look names up in: agents, variables, and the types expressions see."""

    def __init__(self, negotiation: Negotiation, variables: dict[str, Variable]) -> None:
        self.neg = negotiation
        self.variables = variables
        self.var_index = {n: i for i, n in enumerate(variables)}
        self.agent_index = {a.name: i for i, a in enumerate(negotiation.agents)}
        self.stage_names = [s.name for s in negotiation.stages]
        self.state_types = {n: v.type() for n, v in variables.items()}
        self.all_types = _all_types(negotiation, variables)
        self.param_names = frozenset(p.name for p in negotiation.parameters)


def _all_types(negotiation: Negotiation, variables: Mapping[str, Variable]) -> dict[str, NameType]:
    names = {n: v.type() for n, v in variables.items()}
    names.update({p.name: NameType(NUMBER) for p in negotiation.parameters})
    return names


def _check_names(neg: Negotiation) -> None:
    agents = [a.name for a in neg.agents]
    if not agents:
        raise ScenarioError("a negotiation needs at least one agent", key="agents")
    _unique(agents, "agents")
    if not neg.stages:
        raise ScenarioError("the protocol is empty: add at least one stage", key="stages")
    _unique([s.name for s in neg.stages], "stages")
    _unique([c.name for c in neg.chance], "chance")
    _unique([i.name for i in neg.issues], "issues")
    _unique([p.name for p in neg.parameters], "parameters")


# ---------------------------------------------------------------------------- variables
def _variables(neg: Negotiation) -> dict[str, Variable]:
    variables: dict[str, Variable] = {}
    for k, issue in enumerate(neg.issues):
        _check_issue(issue, f"issues[{k}]")
        variables[issue.name] = Variable(issue.name, issue.kind, issue.values, "issue")
    for k, stage in enumerate(neg.stages):
        _identifier(stage.name, f"stages[{k}].name")
        if stage.name in variables:
            raise ScenarioError(f"stage {stage.name!r} has the name of an issue", key=f"stages[{k}].name")
        if not stage.moves:
            raise ScenarioError(f"stage {stage.name!r} has no moves", key=f"stages[{k}].moves")
        moves = [m.name for m in stage.moves]
        _unique(moves, f"stages[{k}].moves")
        if SKIPPED in moves:
            raise ScenarioError(f"{SKIPPED!r} is reserved and cannot name a move", key=f"stages[{k}].moves")
        variables[stage.name] = Variable(stage.name, "category", (SKIPPED, *moves), "stage")
    for k, ev in enumerate(neg.chance):
        _identifier(ev.name, f"chance[{k}].name")
        if ev.name in variables:
            raise ScenarioError(f"chance event {ev.name!r} has the name of an issue or stage", key=f"chance[{k}].name")
        if not ev.outcomes:
            raise ScenarioError(f"chance event {ev.name!r} has no outcomes", key=f"chance[{k}].outcomes")
        if SKIPPED in ev.outcomes:
            raise ScenarioError(f"{SKIPPED!r} is reserved", key=f"chance[{k}].outcomes")
        variables[ev.name] = Variable(ev.name, "category", (SKIPPED, *ev.outcomes), "chance")
    for p in neg.parameters:
        if p.name in variables:
            raise ScenarioError(
                f"parameter {p.name!r} has the name of an issue, stage or chance event", key="parameters"
            )
        _identifier(p.name, f"parameters.{p.name}")
    return variables


def _check_issue(issue: Any, where: str) -> None:
    _identifier(issue.name, f"{where}.name")
    if not issue.values:
        raise ScenarioError("an issue needs at least one value", key=f"{where}.values")
    if len(set(map(repr, issue.values))) != len(issue.values):
        raise ScenarioError("the values of an issue must be distinct", key=f"{where}.values")
    if issue.kind == "number":
        try:
            ok = all(np.isfinite(float(v)) for v in issue.values)
        except OverflowError:
            ok = False
        if not ok:
            raise ScenarioError("the values of a number issue must be finite", key=f"{where}.values")
    if issue.kind == "category" and not all(isinstance(v, str) for v in issue.values):
        raise ScenarioError(
            "an issue's values must be all strings, all numbers or [false, true]", key=f"{where}.values"
        )


def _initial_codes(neg: Negotiation, variables: Mapping[str, Variable]) -> tuple[int, ...]:
    issues = {i.name: i for i in neg.issues}
    initial = []
    # the key counts variables, and issues come first, so k is also the issue's index
    for k, (name, var) in enumerate(variables.items()):
        initial.append(var.code_of(issues[name].initial, f"issues[{k}].initial") if var.origin == "issue" else 0)
    return tuple(initial)


# ---------------------------------------------------------------------------- protocol
def _order_steps(neg: Negotiation) -> tuple[Stage | Chance, ...]:
    stage_names = [s.name for s in neg.stages]
    before: list[Chance] = []
    after: dict[str, list[Chance]] = {}
    for k, ev in enumerate(neg.chance):
        if ev.after is None:
            before.append(ev)
        elif ev.after not in stage_names:
            raise ScenarioError(_unknown("stage", ev.after, stage_names), key=f"chance[{k}].after")
        else:
            after.setdefault(ev.after, []).append(ev)
    steps: list[Stage | Chance] = list(before)
    for stage in neg.stages:
        steps.append(stage)
        steps.extend(after.get(stage.name, []))
    return tuple(steps)


def _step_details(
    scope: _Scope, step: Stage | Chance
) -> tuple[Expression | None, frozenset[int], tuple[Expression, ...]]:
    """A step's parsed ``when``, its observers and its parsed probabilities."""
    exprs: list[Expression] = []
    if isinstance(step, Stage):
        where = f"stages[{scope.stage_names.index(step.name)}]"
        if step.agent not in scope.agent_index:
            raise ScenarioError(_unknown("agent", step.agent, list(scope.agent_index)), key=f"{where}.agent")
        observers = _observers(scope, step.observed_by, f"{where}.observed_by") | {scope.agent_index[step.agent]}
    else:
        where = f"chance[{[c.name for c in scope.neg.chance].index(step.name)}]"
        observers = _observers(scope, step.observed_by, f"{where}.observed_by")
        for outcome, prob in step.outcomes.items():
            _identifier_like(outcome, f"{where}.outcomes")
            exprs.append(
                parse_expression(
                    prob, scope.all_types, mode="value", where=f"{where}.outcomes.{outcome}", allow=scope.param_names
                )
            )
    when = None
    if step.when is not None:
        when = parse_expression(step.when, scope.state_types, mode="condition", where=f"{where}.when")
    return when, observers, tuple(exprs)


def _observers(scope: _Scope, spec: Any, where: str) -> frozenset[int]:
    if isinstance(spec, str):
        if spec == "all":
            return frozenset(range(len(scope.agent_index)))
        if spec in ("", "none"):
            return frozenset()
        spec = (spec,)
    out = set()
    for name in spec:
        if name not in scope.agent_index:
            raise ScenarioError(_unknown("agent", name, list(scope.agent_index)), key=where)
        out.add(scope.agent_index[name])
    return frozenset(out)


def _moves(scope: _Scope) -> tuple[dict[MoveKey, Expression], dict[MoveKey, tuple[tuple[int, Any], ...]]]:
    move_when: dict[MoveKey, Expression] = {}
    move_effects: dict[MoveKey, tuple[tuple[int, Any], ...]] = {}
    for k, stage in enumerate(scope.neg.stages):
        for j, move in enumerate(stage.moves):
            where = f"stages[{k}].moves[{j}]"
            _identifier_like(move.name, f"{where}.name")
            key = (stage.name, move.name)
            if move.when is not None:
                move_when[key] = parse_expression(move.when, scope.state_types, mode="condition", where=f"{where}.when")
            move_effects[key] = tuple(_effect(scope, issue, value, where) for issue, value in dict(move.set).items())
    return move_when, move_effects


def _effect(scope: _Scope, issue_name: str, value: Any, where: str) -> tuple[int, int | Expression]:
    """One effect of a move: the issue's index and its new code, or an expression giving it."""
    var = scope.variables.get(issue_name)
    if var is None or var.origin != "issue":
        raise ScenarioError(_unknown("issue", issue_name, [i.name for i in scope.neg.issues]), key=f"{where}.set")
    if var.kind == "category" or not isinstance(value, str):
        return scope.var_index[issue_name], var.code_of(value, f"{where}.set.{issue_name}")
    expr = parse_expression(value, scope.state_types, mode="value", where=f"{where}.set.{issue_name}")
    return scope.var_index[issue_name], expr


def _moves_by_name(neg: Negotiation) -> dict[str, list[MoveKey]]:
    """Move lookup for preconditions: by ``"move"`` and by ``"stage.move"``."""
    by_name: dict[str, list[MoveKey]] = {}
    for stage in neg.stages:
        for move in stage.moves:
            by_name.setdefault(move.name, []).append((stage.name, move.name))
            by_name.setdefault(f"{stage.name}.{move.name}", []).append((stage.name, move.name))
    return by_name


def _preconditions(
    scope: _Scope,
) -> tuple[dict[MoveKey, tuple[tuple[Expression, str], ...]], tuple[SoftPrecondition, ...]]:
    by_name = _moves_by_name(scope.neg)
    hard: dict[MoveKey, list[tuple[Expression, str]]] = {}
    softs: list[SoftPrecondition] = []
    for a, agent in enumerate(scope.neg.agents):
        for j, pre in enumerate(agent.preconditions):
            where = f"agents[{a}].preconditions[{j}]"
            target = _precondition_target(scope, by_name, a, pre.move, f"{where}.move")
            cond = parse_expression(pre.condition, scope.state_types, mode="condition", where=f"{where}.condition")
            if pre.kind == "hard":
                if pre.cost is not None:
                    raise ScenarioError("a hard precondition has no cost (make it soft)", key=f"{where}.cost")
                hard.setdefault(target, []).append((cond, f"{agent.name}'s precondition: {cond.text}"))
            elif pre.kind == "soft":
                if pre.cost is None:
                    raise ScenarioError("a soft precondition needs a cost", key=f"{where}.cost")
                cost = parse_expression(
                    pre.cost, scope.all_types, mode="value", where=f"{where}.cost", allow=scope.param_names
                )
                softs.append(SoftPrecondition(a, target, cond, cost, cond.text))
            else:
                _check_precondition_kind(pre.kind, f"{where}.kind")
    return {key: tuple(v) for key, v in hard.items()}, tuple(softs)


def _precondition_target(scope: _Scope, by_name: dict[str, list[MoveKey]], a: int, move: str, where: str) -> MoveKey:
    """The move a precondition of agent ``a`` names, which must be one of the agent's own."""
    agent = scope.neg.agents[a]
    targets = by_name.get(move)
    if not targets:
        known = sorted({m.name for s in scope.neg.stages for m in s.moves if s.agent == agent.name})
        raise ScenarioError(_unknown(f"move of {agent.name}", move, known), key=where)
    if len(targets) > 1:
        raise ScenarioError(f"move {move!r} is in several stages; write 'stage.move'", key=where)
    target = targets[0]
    owner = scope.neg.stages[scope.stage_names.index(target[0])].agent
    if owner != agent.name:
        raise ScenarioError(
            f"{agent.name} can only attach preconditions to its own moves; {move!r} is a move of {owner}", key=where
        )
    return target


def _check_precondition_kind(kind: Any, where: str) -> None:
    if kind not in ("hard", "soft"):
        raise ScenarioError(f"kind must be 'hard' or 'soft', not {kind!r}", key=where)


def _payoff_terms(scope: _Scope, a: int) -> tuple[tuple[str, Expression], ...]:
    payoff = scope.neg.agents[a].payoff
    if not isinstance(payoff, Mapping):
        return (("payoff", parse_expression(payoff, scope.all_types, mode="value", where=f"agents[{a}].payoff")),)
    if not payoff:
        raise ScenarioError("payoff terms are empty", key=f"agents[{a}].payoff")
    return tuple(
        (str(term), parse_expression(text, scope.all_types, mode="value", where=f"agents[{a}].payoff.{term}"))
        for term, text in payoff.items()
    )


# ---------------------------------------------------------------------------- declared values
def check_values(negotiation: Negotiation) -> None:
    """Check the values a scenario declares: the checks a scenario file must pass when loaded.

    Solver options (a known method, ``iterations`` and ``max_nodes`` at least 1, ``tremble``
    in [0, 0.1), a non-negative ``tolerance``), each parameter's value inside its range and
    a consistent prior, hard or soft preconditions, non-negative literal probabilities,
    expectation bounds in [0, 1] and counterfactuals over known parameters.

    The types and required keys are the loader's concern: this function expects numbers
    where numbers belong, and priors with the keys their distribution needs.

    Raises
    ------
    ScenarioError
        For the first problem found, with the key path of the offending entry.

    Examples
    --------
    >>> from negsim.negotiation import Agent, Move, Negotiation, Parameter, Stage
    >>> talks = Negotiation("t", agents=[Agent("A")], stages=[Stage("s", "A", [Move("go")])],
    ...                     parameters=[Parameter("cost", 5.0, source="assumption", range=(0.0, 1.0))])
    >>> check_values(talks)
    Traceback (most recent call last):
    ...
    negsim.errors.ScenarioError: parameters.cost.value: value 5 lies outside its range [0.0, 1.0]
    """
    _check_solver(negotiation.solver)
    for p in negotiation.parameters:
        _check_parameter(p, f"parameters.{p.name}")
    for a, agent in enumerate(negotiation.agents):
        for j, pre in enumerate(agent.preconditions):
            _check_precondition_kind(pre.kind, f"agents[{a}].preconditions[{j}].kind")
    for k, ev in enumerate(negotiation.chance):
        for outcome, prob in ev.outcomes.items():
            if isinstance(prob, int | float) and not isinstance(prob, bool) and prob < 0:
                raise ScenarioError(f"probability {prob!r} is negative", key=f"chance[{k}].outcomes.{outcome}")
    for k, exp in enumerate(negotiation.expectations):
        _check_expectation(negotiation, exp, f"expect[{k}]")
    if negotiation.max_nodes < 1:
        raise ScenarioError("must be at least 1", key="scenario.max_nodes")
    if negotiation.max_nodes > MAX_NODES_CEILING:
        raise ScenarioError(
            f"must be at most {MAX_NODES_CEILING:,} (a game tree that large would not fit in memory; "
            "the walk also stops at the memory limit, NEGSIM_MEMORY_LIMIT)",
            key="scenario.max_nodes",
        )


def _check_solver(solver: Mapping[str, Any]) -> None:
    if "iterations" in solver and solver["iterations"] < 1:
        raise ScenarioError("must be at least 1", key="solver.iterations")
    if "tremble" in solver and not 0 <= solver["tremble"] < 0.1:
        raise ScenarioError("tremble must be in [0, 0.1)", key="solver.tremble")
    if "method" in solver:
        from negsim.solvers.dispatch import methods

        method = str(solver["method"]).strip().lower()
        if method not in methods():
            close = difflib.get_close_matches(method, list(methods()), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(f"unknown method {solver['method']!r}{hint}", key="solver.method")
    if "tolerance" in solver and solver["tolerance"] < 0:
        raise ScenarioError("tolerance must not be negative", key="solver.tolerance")


def _check_parameter(p: Any, where: str) -> None:
    if p.range is not None:
        low, high = p.range
        if low > high:
            raise ScenarioError(f"low {low:g} is above high {high:g}", key=f"{where}.range")
        if not low <= p.value <= high:
            raise ScenarioError(f"value {p.value:g} lies outside its range {list(p.range)}", key=f"{where}.value")
    if p.prior is not None:
        _check_prior(p.prior, f"{where}.prior")
        if p.range is not None:
            check_prior_range(p.prior, p.range, f"{where}.prior")


def _check_prior(prior: Mapping[str, Any], where: str) -> None:
    dist = prior.get("dist")
    if dist == "normal" and prior["sd"] <= 0:
        raise ScenarioError("sd must be positive", key=f"{where}.sd")
    if dist == "beta" and (prior["a"] <= 0 or prior["b"] <= 0):
        raise ScenarioError("a and b must be positive", key=where)
    if "low" in prior and "high" in prior and prior["low"] >= prior["high"]:
        raise ScenarioError("low must be below high", key=where)
    if dist == "triangular" and not prior["low"] <= prior["mode"] <= prior["high"]:
        raise ScenarioError("mode must lie between low and high", key=f"{where}.mode")


def prior_support(prior: Mapping[str, Any]) -> tuple[float, float]:
    """The interval a prior draws from: its ``low``/``high`` (beta: [0, 1] by default; normal: unbounded).

    Examples
    --------
    >>> prior_support({"dist": "normal", "mean": 1.0, "sd": 0.5, "low": 0.0})
    (0.0, inf)
    """
    default = (0.0, 1.0) if prior.get("dist") == "beta" else (-np.inf, np.inf)
    return float(prior.get("low", default[0])), float(prior.get("high", default[1]))


def check_prior_range(prior: Mapping[str, Any], domain: tuple[float, float], where: str = "prior") -> None:
    """Refuse a prior that can draw outside its parameter's declared range.

    A draw outside the range is a setting the scenario does not claim to model (a
    probability above 1, a negative cost); refused when the scenario is loaded or the
    priors are given, not discovered in the middle of a sweep.

    Raises
    ------
    ScenarioError
        Naming the prior's support, the range and the fix, with ``where`` as the key.

    Examples
    --------
    >>> check_prior_range({"dist": "uniform", "low": 0.0, "high": 2.0}, (0.0, 1.0), "parameters.p.prior")
    Traceback (most recent call last):
    ...
    negsim.errors.ScenarioError: parameters.p.prior: the prior draws from [0, 2], beyond the parameter's range [0, 1]...
    """
    low, high = prior_support(prior)
    if low < domain[0] or high > domain[1]:
        fix = "truncate it with low and high" if prior.get("dist") == "normal" else "narrow it"
        raise ScenarioError(
            f"the prior draws from [{low:g}, {high:g}], beyond the parameter's range "
            f"[{domain[0]:g}, {domain[1]:g}]; {fix}, or widen the range",
            key=where,
        )


def _check_expectation(neg: Negotiation, exp: Any, where: str) -> None:
    for bound in ("at_least", "at_most"):
        value = getattr(exp, bound)
        if value is not None and not 0 <= value <= 1:
            raise ScenarioError(f"{bound} is a probability and must lie in [0, 1]", key=f"{where}.{bound}")
    names = [q.name for q in neg.parameters]
    for p in exp.counterfactual or {}:
        if p not in names:
            close = difflib.get_close_matches(p, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(f"unknown parameter {p!r}{hint}", key=f"{where}.counterfactual.{p}")


# ---------------------------------------------------------------------------- names
def _unique(names: list[str], where: str) -> None:
    seen = set()
    for k, name in enumerate(names):
        if name in seen:
            raise ScenarioError(f"the name {name!r} is used twice", key=f"{where}[{k}].name")
        seen.add(name)


def _identifier(name: Any, where: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise ScenarioError(
            f"{name!r} is not a valid name: use letters, digits and underscores, starting with a letter", key=where
        )
    normal = unicodedata.normalize("NFKC", name)
    if normal != name:
        # Python's parser reads identifiers in NFKC form, so no expression could name this
        # one: a fullwidth "ｖ" would read as "v" (a different name, or a silent alias).
        raise ScenarioError(
            f"the name {name!r} uses look-alike characters (an expression would read it as {normal!r}); "
            "use plain letters",
            key=where,
        )
    if keyword.iskeyword(name) or name in ("true", "false", "min", "max", "abs"):
        raise ScenarioError(f"{name!r} is a reserved word and cannot be a name", key=where)


def _identifier_like(name: Any, where: str) -> None:
    if not isinstance(name, str) or not name or any(c in name for c in "\"'\n|"):
        raise ScenarioError(f"{name!r} is not a valid move or outcome name", key=where)


def _unknown(what: str, name: Any, known: list[str]) -> str:
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = f" (known: {', '.join(known)})" if known and len(known) <= 12 else ""
    return f"unknown {what} {name!r}{hint}{listing}"


def _same_number(a: Any, b: Any) -> bool:
    return (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and float(a) == float(b)
    )
