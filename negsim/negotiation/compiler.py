"""The protocol compiler: a :class:`~negsim.negotiation.Negotiation` becomes an extensive game.

The compiler walks the protocol breadth-first from the initial state: at each node it
takes the next step (stage or chance event) whose ``when`` holds, offers the moves whose
protocol condition and the mover's hard preconditions hold, applies each move's effects
and records what every agent observes. Nodes of an agent at the same stage with the same
observations form one information set. The tree is refused, with a clear error, as soon
as it would exceed the negotiation's ``max_nodes``.

Only the tree is built node by node. Payoffs and chance probabilities are expressions over
parameters, evaluated afterwards for all terminals at once -- and for a whole batch of
parameter settings at once: :meth:`CompiledNegotiation.game_for` with arrays of ``B``
values gives a batched game (payoffs ``[B, T, n]``) without rebuilding the tree.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.errors import GameError, ScenarioError
from negsim.games.extensive import CHANCE, DECISION, TERMINAL, ExtensiveFormGame, Infosets
from negsim.negotiation.expressions import BOOLEAN, NUMBER, Expression, NameType, parse_expression
from negsim.negotiation.model import Chance, Negotiation, Stage

__all__ = ["CompiledNegotiation", "compile_negotiation", "SKIPPED"]

SKIPPED = "skipped"
"""The value of a stage's or chance event's variable when it did not take place."""

_OFFERED = "\x00offered:"  # marks what a mover remembers about the moves it was offered

PROBABILITY_TOLERANCE = 1e-9


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
        for i, v in enumerate(self.values):
            if v == value and type(v) is type(value) or (self.kind == "number" and _same_number(v, value)):
                return i
        import difflib

        close = difflib.get_close_matches(str(value), [str(v) for v in self.values], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        shown = ", ".join(repr(v) for v in self.values)
        raise ScenarioError(f"{value!r} is not a value of {self.name} (values: {shown}){hint}", key=where)


def _same_number(a: Any, b: Any) -> bool:
    return (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and float(a) == float(b)
    )


@dataclass(frozen=True)
class _Soft:
    agent: int
    move_key: tuple[str, str]
    condition: Expression
    cost: Expression
    text: str


class CompiledNegotiation:
    """A negotiation compiled into a game tree, ready to be evaluated for any parameters.

    Attributes
    ----------
    negotiation : Negotiation
    game : ExtensiveFormGame
        The game with the parameters given to :func:`compile_negotiation` (batched when
        they were arrays).
    variables : dict of str to Variable
        Issues, stage choices and chance outcomes.
    terminal_codes : dict of str to ndarray [T]
        The code of every variable at every terminal (terminals in the game's order).
    node_stage : ndarray [N]
        Index into :attr:`steps` of the step each node starts (-1 at terminals).
    steps : tuple
        The protocol in order (stages and chance events).
    notes : dict of int to list of str
        For nodes where moves were blocked or stages skipped: why.
    waivers : ndarray [T, K]
        How often each soft precondition was waived on the path to each terminal.
    node_codes : ndarray [N, V]
        The code of every variable (in the order of :attr:`variables`) at every node,
        before the node's own step.
    """

    def __init__(
        self,
        negotiation: Negotiation,
        steps,
        variables,
        arrays,
        infoset_table,
        chance_table,
        terminal_codes,
        waivers,
        softs,
        payoff_terms,
        chance_exprs,
        edge_outcome,
        notes,
        blocked,
    ) -> None:
        self.negotiation = negotiation
        self.steps = steps
        self.variables = variables
        self.terminal_codes = terminal_codes
        self.waivers = waivers
        self.softs = softs
        self.payoff_terms = payoff_terms
        self.chance_exprs = chance_exprs
        self._edge_outcome = edge_outcome  # [N, 2]: (chance step, outcome) for chance edges, -1 else
        self.notes = notes
        self.blocked = blocked
        self.node_stage = arrays["step"]
        self._arrays = arrays
        self._infosets = infoset_table
        self._chance_infosets = chance_table
        self.game: ExtensiveFormGame = None  # type: ignore[assignment]
        self.node_codes: np.ndarray = np.zeros((0, len(variables)), np.int64)
        self.step_observers: tuple[frozenset[int], ...] = ()

    @property
    def num_terminals(self) -> int:
        """Number of terminals of the compiled tree."""
        return int(self.waivers.shape[0])

    # ------------------------------------------------------------------ parameters
    def parameter_env(self, parameters: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], int | None]:
        """Parameter values for expressions, with defaults filled in, and the batch size."""
        values: dict[str, Any] = self.negotiation.parameter_values()
        batch = None
        for name, value in (parameters or {}).items():
            self.negotiation.parameter(name)  # raises with a suggestion
            arr = np.asarray(value, dtype=np.float64)
            if arr.ndim > 1:
                raise ScenarioError(f"parameter {name!r}: give a number or a one-dimensional array")
            if not np.all(np.isfinite(arr)):
                raise ScenarioError(f"parameter {name!r} must be finite, got {value!r}")
            if arr.ndim == 1:
                if batch is not None and arr.size != batch:
                    raise ScenarioError(f"parameter arrays differ in length ({batch} and {arr.size} for {name!r})")
                batch = arr.size
            values[name] = arr
        env = {k: (np.asarray(v)[:, None] if np.ndim(v) == 1 else float(v)) for k, v in values.items()}
        return env, batch

    def _state_env(self) -> dict[str, np.ndarray]:
        return {name: var.env_values(self.terminal_codes[name]) for name, var in self.variables.items()}

    def payoff_term_values(self, parameters: Mapping[str, Any] | None = None) -> dict[str, dict[str, np.ndarray]]:
        """Each agent's payoff terms at every terminal: ``{agent: {term: [T] or [B, T]}}``.

        Waived soft preconditions appear as terms named ``"waived: <condition>"``.
        """
        env, batch = self.parameter_env(parameters)
        env.update(self._state_env())
        shape = (self.num_terminals,) if batch is None else (batch, self.num_terminals)
        out: dict[str, dict[str, np.ndarray]] = {}
        for a, agent in enumerate(self.negotiation.agents):
            terms = {}
            for term, expr in self.payoff_terms[a]:
                terms[term] = np.broadcast_to(expr.evaluate(env), shape).astype(np.float64)
            for k, soft in enumerate(self.softs):
                if soft.agent == a and np.any(self.waivers[:, k]):
                    cost = np.asarray(soft.cost.evaluate(env), np.float64)
                    key = f"waived: {soft.text}"
                    # two preconditions with the same condition add up in one term
                    terms[key] = terms.get(key, 0.0) + np.broadcast_to(-self.waivers[:, k] * cost, shape)
            out[agent.name] = terms
        return out

    def payoffs_at(self, states: Mapping[str, Any], parameters: Mapping[str, Any] | None = None) -> np.ndarray:
        """Each agent's payoff at final states you describe: ``[K, n]`` (or ``[B, K, n]``).

        Useful for bargaining over outcomes the protocol does not reach (packages of
        issue values). Variables not given keep their initial value (stages and chance
        events: ``"skipped"``); costs of waived preconditions are not included, since no
        move is made.

        Parameters
        ----------
        states : mapping of variable name to a list of K values
            Readable values (``"30-day"``, ``True``, ``4``), one list per variable.
        parameters : mapping, optional
            Parameter values (arrays give a batch).

        Examples
        --------
        >>> from negsim.scenarios import load_scenario
        >>> compiled = load_scenario("istanbul-2025").compile()
        >>> compiled.payoffs_at({"ceasefire": ["none", "30-day"], "russia_aims": ["limited", "limited"]})[:, 1]
        array([2. , 0.5])
        """
        sizes = {len(v) for v in states.values()}
        if len(sizes) > 1:
            raise ScenarioError("every variable needs the same number of values")
        K = sizes.pop() if sizes else 1
        names = list(self.variables)
        env, batch = self.parameter_env(parameters)
        for name, var in self.variables.items():
            if name in states:
                codes = np.array([var.code_of(v, f"states.{name}") for v in states[name]], np.int64)
            else:
                initial = self.node_codes[0, names.index(name)] if len(self.node_codes) else 0
                codes = np.full(K, initial, np.int64)
            env[name] = var.env_values(codes)
        unknown = set(states) - set(self.variables)
        if unknown:
            import difflib

            name = sorted(unknown)[0]
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(f"unknown variable {name!r}{hint}")
        shape = (K,) if batch is None else (batch, K)
        columns = []
        for a in range(len(self.negotiation.agents)):
            total = sum(np.broadcast_to(expr.evaluate(env), shape) for _, expr in self.payoff_terms[a])
            columns.append(np.broadcast_to(np.asarray(total, np.float64), shape))
        return np.stack(columns, axis=-1)

    def payoffs(self, parameters: Mapping[str, Any] | None = None) -> np.ndarray:
        """Terminal payoffs ``[T, n]`` (or ``[B, T, n]`` for arrays of parameters)."""
        terms = self.payoff_term_values(parameters)
        columns = []
        for agent in self.negotiation.agents:
            total = sum(terms[agent.name].values()) if terms[agent.name] else 0.0
            columns.append(np.asarray(total, np.float64))
        _, batch = self.parameter_env(parameters)
        shape = (self.num_terminals,) if batch is None else (batch, self.num_terminals)
        out = np.stack([np.broadcast_to(c, shape) for c in columns], axis=-1)
        if not np.all(np.isfinite(out)):
            bad = np.argwhere(~np.isfinite(out))[0]
            agent = self.negotiation.agents[int(bad[-1])].name
            raise ScenarioError(
                f"the payoff of {agent} is not finite at some outcome (check divisions and powers)",
                key=f"agents[{int(bad[-1])}].payoff",
            )
        return out

    def chance_probabilities(self, parameters: Mapping[str, Any] | None = None) -> np.ndarray:
        """Edge probabilities ``[N]`` (or ``[B, N]``) for the given parameters.

        Raises
        ------
        ScenarioError
            If some outcome's probability is negative or a chance event's probabilities do
            not sum to 1 (naming the event and, for a batch, the first bad setting).
        """
        env, batch = self.parameter_env(parameters)
        lead = () if batch is None else (batch,)
        tables = []
        for s, exprs in enumerate(self.chance_exprs):
            if not exprs:
                tables.append(None)
                continue
            columns = []
            for expr in exprs:
                value = np.asarray(expr.evaluate(env), np.float64)
                columns.append(np.broadcast_to(value.reshape(-1) if value.ndim else value, lead))
            probs = np.stack(columns, axis=-1)
            step = self.steps[s]
            where = f"chance[{self._chance_index(step)}].outcomes"
            if not np.all(np.isfinite(probs)):
                raise ScenarioError(f"probabilities of {step.name!r} are not finite", key=where)
            if np.any(probs < -PROBABILITY_TOLERANCE):
                first = probs.reshape(-1, probs.shape[-1])[np.any(probs.reshape(-1, probs.shape[-1]) < 0, axis=1)][0]
                raise ScenarioError(f"probabilities of {step.name!r} are negative: {first.tolist()}", key=where)
            sums = probs.sum(axis=-1)
            if np.any(np.abs(sums - 1.0) > 1e-9):
                total = float(np.atleast_1d(sums)[np.argmax(np.abs(np.atleast_1d(sums) - 1.0))])
                raise ScenarioError(f"probabilities of {step.name!r} sum to {total!r}, not 1", key=where)
            tables.append(np.clip(probs, 0.0, None) / sums[..., None])
        edges = self._edge_outcome
        out = np.ones(lead + (len(edges),))
        rows = np.flatnonzero(edges[:, 0] >= 0)
        for s, table in enumerate(tables):
            if table is None:
                continue
            mine = rows[edges[rows, 0] == s]
            out[..., mine] = table[..., edges[mine, 1]]
        return out

    def _chance_index(self, step: Chance) -> int:
        return [c.name for c in self.negotiation.chance].index(step.name)

    def game_for(self, parameters: Mapping[str, Any] | None = None) -> ExtensiveFormGame:
        """The game with the given parameter values (arrays give a batch); the tree is reused.

        Examples
        --------
        >>> from negsim.scenarios import load_scenario
        >>> compiled = load_scenario("istanbul-2025").compile()
        >>> batch = compiled.game_for({"secondary_tariff": [1.0, 2.0, 5.0]})
        >>> batch.batch_size
        3
        """
        payoffs = self.payoffs(parameters)
        chance = self.chance_probabilities(parameters)
        if self.game is None:
            a = self._arrays
            return ExtensiveFormGame(
                self.negotiation.agent_names,
                parent=a["parent"],
                kind=a["kind"],
                player=a["player"],
                infoset=a["infoset"],
                chance_prob=chance,
                payoffs=payoffs,
                infosets=self._infosets,
                chance_infosets=self._chance_infosets,
                node_labels=a["labels"],
                title=self.negotiation.title,
                comment=self.negotiation.description,
            )
        return self.game.with_batch(payoffs=payoffs, chance_prob=chance)

    # ------------------------------------------------------------------ outcomes
    def condition(self, text: str, where: str = "condition") -> Expression:
        """Parse a condition over the final state (issues, stage choices, chance outcomes, parameters)."""
        names = {n: v.type() for n, v in self.variables.items()}
        names.update({p.name: NameType(NUMBER) for p in self.negotiation.parameters})
        return parse_expression(text, names, mode="condition", where=where)

    def terminal_condition(self, expression: Expression, parameters: Mapping[str, Any] | None = None) -> np.ndarray:
        """A condition evaluated at every terminal: ``bool[T]`` (or ``[B, T]``)."""
        env, batch = self.parameter_env(parameters)
        env.update(self._state_env())
        shape = (self.num_terminals,) if batch is None else (batch, self.num_terminals)
        return np.broadcast_to(expression.evaluate(env), shape)

    def terminal_values(self, name: str) -> list[Any]:
        """The value of one variable at every terminal (readable values, not codes)."""
        var = self.variables[name]
        return [var.values[c] for c in self.terminal_codes[name]]


# ---------------------------------------------------------------------------- compile
def compile_negotiation(negotiation: Negotiation, parameters: Mapping[str, Any] | None = None) -> CompiledNegotiation:
    """Compile a negotiation into an extensive-form game.

    Parameters
    ----------
    negotiation : Negotiation
    parameters : mapping, optional
        Parameter values overriding the defaults; arrays of equal length ``B`` give a
        batched game.

    Returns
    -------
    CompiledNegotiation
        With ``.game`` the compiled :class:`~negsim.games.ExtensiveFormGame`.

    Raises
    ------
    ScenarioError
        For unknown agents, issues or moves, bad expressions, an empty protocol, or a
        tree larger than ``negotiation.max_nodes``.
    """
    checked = _Checker(negotiation)
    compiled = checked.enumerate()
    compiled.step_observers = tuple(checked.step_observers)
    for k, exp in enumerate(negotiation.expectations):
        compiled.condition(exp.condition, where=f"expect[{k}].condition")
    try:
        game = compiled.game_for(parameters)
    except GameError as exc:
        raise ScenarioError(f"the compiled game is invalid: {exc}") from None
    compiled.game = game
    return compiled


class _Checker:
    """Validates a negotiation and enumerates its tree."""

    def __init__(self, neg: Negotiation) -> None:
        self.neg = neg
        agents = [a.name for a in neg.agents]
        if not agents:
            raise ScenarioError("a negotiation needs at least one agent", key="agents")
        _unique(agents, "agents")
        self.agent_index = {name: i for i, name in enumerate(agents)}
        if not neg.stages:
            raise ScenarioError("the protocol is empty: add at least one stage", key="stages")
        _unique([s.name for s in neg.stages], "stages")
        _unique([c.name for c in neg.chance], "chance")
        _unique([i.name for i in neg.issues], "issues")
        _unique([p.name for p in neg.parameters], "parameters")
        # variables
        variables: dict[str, Variable] = {}
        for k, issue in enumerate(neg.issues):
            _identifier(issue.name, f"issues[{k}].name")
            if not issue.values:
                raise ScenarioError("an issue needs at least one value", key=f"issues[{k}].values")
            if len(set(map(repr, issue.values))) != len(issue.values):
                raise ScenarioError("the values of an issue must be distinct", key=f"issues[{k}].values")
            if issue.kind == "number":
                try:
                    ok = all(np.isfinite(float(v)) for v in issue.values)
                except OverflowError:
                    ok = False
                if not ok:
                    raise ScenarioError("the values of a number issue must be finite", key=f"issues[{k}].values")
            if issue.kind == "category" and not all(isinstance(v, str) for v in issue.values):
                raise ScenarioError(
                    "an issue's values must be all strings, all numbers or [false, true]", key=f"issues[{k}].values"
                )
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
                raise ScenarioError(
                    f"chance event {ev.name!r} has the name of an issue or stage", key=f"chance[{k}].name"
                )
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
        self.variables = variables
        self.var_names = list(variables)
        self.var_index = {n: i for i, n in enumerate(self.var_names)}
        state_types = {n: v.type() for n, v in variables.items()}
        param_types = {p.name: NameType(NUMBER) for p in neg.parameters}
        self.state_types = state_types
        self.all_types = {**state_types, **param_types}
        self.param_names = frozenset(param_types)
        self.state_names = frozenset(state_types)
        initial = []
        for k, name in enumerate(self.var_names):
            var = variables[name]
            if var.origin == "issue":
                issue = neg.issues[[i.name for i in neg.issues].index(name)]
                initial.append(var.code_of(issue.initial, f"issues[{k}].initial"))
            else:
                initial.append(0)
        self.initial = tuple(initial)
        self._build_steps()
        self._build_moves()
        self._build_payoffs()

    # ------------------------------------------------------------------ protocol
    def _build_steps(self) -> None:
        neg = self.neg
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
        self.steps = tuple(steps)
        # observers and conditions
        self.step_when: list[Expression | None] = []
        self.step_observers: list[frozenset[int]] = []
        self.chance_exprs: list[list[Expression]] = []
        for step in self.steps:
            if isinstance(step, Stage):
                k = stage_names.index(step.name)
                where = f"stages[{k}]"
                if step.agent not in self.agent_index:
                    raise ScenarioError(_unknown("agent", step.agent, list(self.agent_index)), key=f"{where}.agent")
                observers = self._observers(step.observed_by, f"{where}.observed_by", default_all=True)
                observers = observers | {self.agent_index[step.agent]}
                self.chance_exprs.append([])
            else:
                k = [c.name for c in neg.chance].index(step.name)
                where = f"chance[{k}]"
                observers = self._observers(step.observed_by, f"{where}.observed_by", default_all=False)
                exprs = []
                for outcome, prob in step.outcomes.items():
                    _identifier_like(outcome, f"{where}.outcomes")
                    exprs.append(
                        parse_expression(
                            prob,
                            self.all_types,
                            mode="value",
                            where=f"{where}.outcomes.{outcome}",
                            allow=self.param_names,
                        )
                    )
                self.chance_exprs.append(exprs)
            self.step_observers.append(observers)
            self.step_when.append(
                None
                if step.when is None
                else parse_expression(step.when, self.state_types, mode="condition", where=f"{where}.when")
            )

    def _observers(self, spec: Any, where: str, *, default_all: bool) -> frozenset[int]:
        if isinstance(spec, str):
            if spec == "all":
                return frozenset(range(len(self.agent_index)))
            if spec in ("", "none"):
                return frozenset()
            spec = (spec,)
        out = set()
        for name in spec:
            if name not in self.agent_index:
                raise ScenarioError(_unknown("agent", name, list(self.agent_index)), key=where)
            out.add(self.agent_index[name])
        return frozenset(out)

    def _build_moves(self) -> None:
        neg = self.neg
        stage_names = [s.name for s in neg.stages]
        # move lookup for preconditions: "move" or "stage.move"
        by_name: dict[str, list[tuple[str, str]]] = {}
        for stage in neg.stages:
            for move in stage.moves:
                by_name.setdefault(move.name, []).append((stage.name, move.name))
                by_name.setdefault(f"{stage.name}.{move.name}", []).append((stage.name, move.name))
        self.move_when: dict[tuple[str, str], Expression] = {}
        self.move_effects: dict[tuple[str, str], list[tuple[int, Any]]] = {}
        for k, stage in enumerate(neg.stages):
            for j, move in enumerate(stage.moves):
                where = f"stages[{k}].moves[{j}]"
                _identifier_like(move.name, f"{where}.name")
                key = (stage.name, move.name)
                if move.when is not None:
                    self.move_when[key] = parse_expression(
                        move.when, self.state_types, mode="condition", where=f"{where}.when"
                    )
                effects = []
                for issue_name, value in dict(move.set).items():
                    if issue_name not in self.variables or self.variables[issue_name].origin != "issue":
                        issues = [i.name for i in neg.issues]
                        raise ScenarioError(_unknown("issue", issue_name, issues), key=f"{where}.set")
                    var = self.variables[issue_name]
                    if var.kind == "category" or not isinstance(value, str):
                        effects.append((self.var_index[issue_name], var.code_of(value, f"{where}.set.{issue_name}")))
                    else:
                        expr = parse_expression(
                            value, self.state_types, mode="value", where=f"{where}.set.{issue_name}"
                        )
                        effects.append((self.var_index[issue_name], expr))
                self.move_effects[key] = effects
        self.hard: dict[tuple[str, str], list[tuple[Expression, str]]] = {}
        softs: list[_Soft] = []
        for a, agent in enumerate(neg.agents):
            for j, pre in enumerate(agent.preconditions):
                where = f"agents[{a}].preconditions[{j}]"
                targets = by_name.get(pre.move)
                if not targets:
                    known = sorted({m.name for s in neg.stages for m in s.moves if s.agent == agent.name})
                    raise ScenarioError(_unknown(f"move of {agent.name}", pre.move, known), key=f"{where}.move")
                if len(targets) > 1:
                    raise ScenarioError(
                        f"move {pre.move!r} is in several stages; write 'stage.move'", key=f"{where}.move"
                    )
                target = targets[0]
                owner = neg.stages[stage_names.index(target[0])].agent
                if owner != agent.name:
                    raise ScenarioError(
                        f"{agent.name} can only attach preconditions to its own moves; "
                        f"{pre.move!r} is a move of {owner}",
                        key=f"{where}.move",
                    )
                cond = parse_expression(pre.condition, self.state_types, mode="condition", where=f"{where}.condition")
                if pre.kind == "hard":
                    if pre.cost is not None:
                        raise ScenarioError("a hard precondition has no cost (make it soft)", key=f"{where}.cost")
                    self.hard.setdefault(target, []).append((cond, f"{agent.name}'s precondition: {cond.text}"))
                elif pre.kind == "soft":
                    if pre.cost is None:
                        raise ScenarioError("a soft precondition needs a cost", key=f"{where}.cost")
                    cost = parse_expression(
                        pre.cost, self.all_types, mode="value", where=f"{where}.cost", allow=self.param_names
                    )
                    softs.append(_Soft(a, target, cond, cost, cond.text))
                else:
                    raise ScenarioError(f"kind must be 'hard' or 'soft', not {pre.kind!r}", key=f"{where}.kind")
        self.softs = tuple(softs)

    def _build_payoffs(self) -> None:
        self.payoff_terms = []
        for a, agent in enumerate(self.neg.agents):
            terms = []
            payoff = agent.payoff
            if isinstance(payoff, Mapping):
                if not payoff:
                    raise ScenarioError("payoff terms are empty", key=f"agents[{a}].payoff")
                for term, text in payoff.items():
                    terms.append(
                        (
                            str(term),
                            parse_expression(text, self.all_types, mode="value", where=f"agents[{a}].payoff.{term}"),
                        )
                    )
            else:
                terms.append(
                    ("payoff", parse_expression(payoff, self.all_types, mode="value", where=f"agents[{a}].payoff"))
                )
            self.payoff_terms.append(terms)

    # ------------------------------------------------------------------ enumerate
    def _holds(self, expr: Expression, state: tuple[int, ...], cache: dict) -> bool:
        key = (id(expr), state)
        found = cache.get(key)
        if found is None:
            env = {n: self.variables[n].env_values(np.asarray(state[self.var_index[n]])) for n in expr.names}
            found = bool(expr.evaluate(env))
            cache[key] = found
        return found

    def enumerate(self) -> CompiledNegotiation:
        neg = self.neg
        n_agents = len(neg.agents)
        max_nodes = int(neg.max_nodes)
        parent, kind, player, infoset_key, step_of, labels = [-1], [], [], [], [], [""]
        edge_outcome: list[tuple[int, int]] = [(-1, -1)]
        terminal_states: list[tuple[int, ...]] = []
        node_states: list[tuple[int, ...]] = []
        terminal_waivers: list[tuple[int, ...]] = []
        notes: dict[int, list[str]] = {}
        blocked: dict[int, list[tuple[str, str]]] = {}
        cache: dict = {}
        queue = deque([(0, 0, self.initial, tuple(() for _ in range(n_agents)), (0,) * len(self.softs))])
        count = 1
        while queue:
            node, pos, state, obs, waived = queue.popleft()
            node_states.append(state)
            step_index, moves = -1, []
            while pos < len(self.steps):
                step = self.steps[pos]
                when = self.step_when[pos]
                if when is not None and not self._holds(when, state, cache):
                    pos += 1
                    continue
                if isinstance(step, Stage):
                    moves, why = self._available(step, state, cache)
                    if why:
                        blocked.setdefault(node, []).extend(why)
                    if not moves:
                        notes.setdefault(node, []).append(
                            f"stage {step.name!r} skipped: every move of {step.agent} was blocked"
                        )
                        pos += 1
                        continue
                step_index = pos
                break
            if step_index < 0:
                kind.append(TERMINAL)
                player.append(-1)
                infoset_key.append(None)
                step_of.append(-1)
                terminal_states.append(state)
                terminal_waivers.append(waived)
                continue
            step = self.steps[step_index]
            observers = self.step_observers[step_index]
            if isinstance(step, Stage):
                a = self.agent_index[step.agent]
                kind.append(DECISION)
                player.append(a)
                infoset_key.append((a, step.name, obs[a], tuple(m.name for m in moves)))
                children = []
                var = self.var_index[step.name]
                for move in moves:
                    new_state = list(state)
                    new_state[var] = self.variables[step.name].values.index(move.name)
                    for idx, effect in self.move_effects[(step.name, move.name)]:
                        new_state[idx] = self._effect_code(idx, effect, state, step, move)
                    new_waived = list(waived)
                    for k, soft in enumerate(self.softs):
                        if (
                            soft.agent == a
                            and soft.move_key == (step.name, move.name)
                            and not self._holds(soft.condition, state, cache)
                        ):
                            new_waived[k] += 1
                    # the mover also remembers which moves it was offered (availability may depend on
                    # things it did not see; remembering keeps its recall perfect)
                    offered = (_OFFERED + step.name, "|".join(m.name for m in moves))
                    new_obs = tuple(
                        o + (((step.name, move.name), offered) if i == a else ((step.name, move.name),))
                        if i in observers
                        else o
                        for i, o in enumerate(obs)
                    )
                    next_pos = len(self.steps) if move.end else step_index + 1
                    children.append((next_pos, tuple(new_state), new_obs, tuple(new_waived), move.name, (-1, -1)))
            else:
                kind.append(CHANCE)
                player.append(-1)
                infoset_key.append(("chance", step_index))
                children = []
                var = self.var_index[step.name]
                for o, outcome in enumerate(step.outcomes):
                    new_state = list(state)
                    new_state[var] = o + 1
                    new_obs = tuple(o_ + ((step.name, outcome),) if i in observers else o_ for i, o_ in enumerate(obs))
                    children.append((step_index + 1, tuple(new_state), new_obs, waived, outcome, (step_index, o)))
            step_of.append(step_index)
            if count + len(children) > max_nodes:
                raise ScenarioError(
                    f"the protocol grows a game tree of more than {max_nodes:,} nodes (the limit, max_nodes); "
                    "merge stages, remove moves or raise max_nodes",
                    key="scenario.max_nodes",
                )
            for next_pos, new_state, new_obs, new_waived, label, edge in children:
                parent.append(node)
                labels.append(label)
                edge_outcome.append(edge)
                queue.append((count, next_pos, new_state, new_obs, new_waived))
                count += 1
        compiled = self._finish(
            parent,
            kind,
            player,
            infoset_key,
            step_of,
            labels,
            edge_outcome,
            terminal_states,
            terminal_waivers,
            notes,
            blocked,
        )
        compiled.node_codes = np.array(node_states, np.int64).reshape(len(node_states), len(self.var_names))
        return compiled

    def _available(self, stage: Stage, state, cache) -> tuple[list, list[tuple[str, str]]]:
        moves, why = [], []
        for move in stage.moves:
            key = (stage.name, move.name)
            when = self.move_when.get(key)
            if when is not None and not self._holds(when, state, cache):
                why.append((move.name, f"protocol: {when.text}"))
                continue
            failed = [text for cond, text in self.hard.get(key, []) if not self._holds(cond, state, cache)]
            if failed:
                why.append((move.name, "; ".join(failed)))
                continue
            moves.append(move)
        return moves, why

    def _effect_code(self, idx: int, effect: Any, state, stage, move) -> int:
        if isinstance(effect, int):
            return effect
        var = self.variables[self.var_names[idx]]
        env = {n: self.variables[n].env_values(np.asarray(state[self.var_index[n]])) for n in effect.names}
        value = float(effect.evaluate(env))
        if var.kind == "boolean":
            return int(bool(value))
        for i, v in enumerate(var.values):
            if float(v) == value:
                return i
        k = [s.name for s in self.neg.stages].index(stage.name)
        j = [m.name for m in stage.moves].index(move.name)
        raise ScenarioError(
            f"move {move.name!r} sets {var.name} to {value:g}, which is not one of its values {list(var.values)}",
            key=f"stages[{k}].moves[{j}].set.{var.name}",
        )

    def _finish(
        self,
        parent,
        kind,
        player,
        infoset_key,
        step_of,
        labels,
        edge_outcome,
        terminal_states,
        terminal_waivers,
        notes,
        blocked,
    ) -> CompiledNegotiation:
        neg = self.neg
        n_agents = len(neg.agents)
        kind_arr = np.array(kind, np.int8)
        # decision information sets: per agent, in order of first appearance
        per_agent: list[dict] = [dict() for _ in range(n_agents)]
        chance_sets: dict[int, int] = {}
        for key in infoset_key:
            if key is None:
                continue
            if key[0] == "chance":
                chance_sets.setdefault(key[1], len(chance_sets))
            else:
                per_agent[key[0]].setdefault(key, len(per_agent[key[0]]))
        offsets = np.concatenate(([0], np.cumsum([len(d) for d in per_agent])))
        infoset = np.full(len(kind), -1, np.int64)
        for h, key in enumerate(infoset_key):
            if key is None:
                continue
            if key[0] == "chance":
                infoset[h] = chance_sets[key[1]]
            else:
                infoset[h] = offsets[key[0]] + per_agent[key[0]][key]
        iset_player, iset_number, iset_labels, iset_actions = [], [], [], []
        for a in range(n_agents):
            for key, local in per_agent[a].items():
                _, stage_name, observed, moves = key
                seen = ", ".join(f"{s}={v}" for s, v in observed if not s.startswith(_OFFERED)) or "start"
                iset_player.append(a)
                iset_number.append(local + 1)
                iset_labels.append(f"{stage_name} | {seen}")
                iset_actions.append(moves)
        infosets = Infosets(iset_player, iset_number, iset_labels, iset_actions)
        chance_order = sorted(chance_sets, key=chance_sets.get)
        chance_table = Infosets(
            player=[-1] * len(chance_order),
            number=list(range(1, len(chance_order) + 1)),
            labels=[self.steps[s].name for s in chance_order],
            actions=[tuple(self.steps[s].outcomes) for s in chance_order],
        )
        term_states = np.array(terminal_states, np.int64).reshape(len(terminal_states), len(self.var_names))
        terminal_codes = {name: term_states[:, i].copy() for i, name in enumerate(self.var_names)}
        waivers = np.array(terminal_waivers, np.float64).reshape(len(terminal_waivers), len(self.softs))
        arrays = {
            "parent": np.array(parent, np.int64),
            "kind": kind_arr,
            "player": np.array(player, np.int64),
            "infoset": infoset,
            "step": np.array(step_of, np.int64),
            "labels": labels,
        }
        return CompiledNegotiation(
            neg,
            self.steps,
            self.variables,
            arrays,
            infosets,
            chance_table,
            terminal_codes,
            waivers,
            self.softs,
            self.payoff_terms,
            self.chance_exprs,
            np.array(edge_outcome, np.int64),
            notes,
            blocked,
        )


# ---------------------------------------------------------------------------- helpers
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
    import keyword

    if keyword.iskeyword(name) or name in ("true", "false", "min", "max", "abs"):
        raise ScenarioError(f"{name!r} is a reserved word and cannot be a name", key=where)


def _identifier_like(name: Any, where: str) -> None:
    if not isinstance(name, str) or not name or any(c in name for c in "\"'\n|"):
        raise ScenarioError(f"{name!r} is not a valid move or outcome name", key=where)


def _unknown(what: str, name: Any, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = f" (known: {', '.join(known)})" if known and len(known) <= 12 else ""
    return f"unknown {what} {name!r}{hint}{listing}"
