"""The protocol compiler: a :class:`~negsim.negotiation.Negotiation` becomes an extensive game.

Compiling takes three steps, each in its own module:

1. :func:`~negsim.negotiation.validation.validate` checks the negotiation (names,
   references, expressions) and resolves it: the protocol in order, every expression
   parsed, every name an index.
2. :func:`~negsim.negotiation.tree.enumerate_tree` walks the protocol breadth-first and
   returns the tree as arrays. Nodes of an agent at the same stage with the same
   observations form one information set. The tree is refused, with a clear error, as
   soon as it would exceed the negotiation's ``max_nodes``.
3. :func:`compile_negotiation` evaluates payoffs and chance probabilities and returns a
   frozen :class:`CompiledNegotiation`.

Only the tree is built node by node. Payoffs and chance probabilities are expressions over
parameters, evaluated afterwards for all terminals at once -- and for a whole batch of
parameter settings at once: :meth:`CompiledNegotiation.game_for` with arrays of ``B``
values gives a batched game (payoffs ``[B, T, n]``) without rebuilding the tree.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.errors import GameError, ScenarioError
from negsim.games.extensive import ExtensiveFormGame
from negsim.negotiation.expressions import Expression
from negsim.negotiation.model import Chance, Negotiation, Stage
from negsim.negotiation.tree import EnumeratedTree, enumerate_tree
from negsim.negotiation.validation import SKIPPED, SoftPrecondition, ValidatedNegotiation, Variable, validate

__all__ = ["CompiledNegotiation", "compile_negotiation", "SKIPPED", "Variable"]

PROBABILITY_TOLERANCE = 1e-9

ParameterValues = Mapping[str, Any] | None


@dataclass(frozen=True, eq=False)
class CompiledNegotiation:
    """A negotiation compiled into a game tree, ready to be evaluated for any parameters.

    Built once by :func:`compile_negotiation`; its fields cannot be reassigned and its
    arrays are read-only.

    Attributes
    ----------
    negotiation : Negotiation
    validated : ValidatedNegotiation
        The checked and resolved negotiation (parsed expressions, steps in order).
    tree : EnumeratedTree
        The enumerated tree as arrays.
    game : ExtensiveFormGame
        The game with the parameters given to :func:`compile_negotiation` (batched when
        they were arrays).

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> compiled = load_scenario("istanbul-2025").compile()
    >>> compiled.steps[0].name, compiled.num_terminals == compiled.game.num_terminals
    ('russia_aims', True)
    """

    negotiation: Negotiation
    validated: ValidatedNegotiation
    tree: EnumeratedTree
    game: ExtensiveFormGame

    # ------------------------------------------------------------------ the tree
    @property
    def steps(self) -> tuple[Stage | Chance, ...]:
        """The protocol in order (stages and chance events)."""
        return self.validated.steps

    @property
    def variables(self) -> Mapping[str, Variable]:
        """Issues, stage choices and chance outcomes, by name."""
        return self.validated.variables

    @property
    def step_observers(self) -> tuple[frozenset[int], ...]:
        """For each step, the indices of the agents who observe it."""
        return self.validated.step_observers

    @property
    def softs(self) -> tuple[SoftPrecondition, ...]:
        """The soft preconditions (the columns of :attr:`waivers`)."""
        return self.validated.softs

    @property
    def payoff_terms(self) -> tuple[tuple[tuple[str, Expression], ...], ...]:
        """For each agent, its payoff terms as ``(name, expression)`` pairs."""
        return self.validated.payoff_terms

    @property
    def chance_exprs(self) -> tuple[tuple[Expression, ...], ...]:
        """For each step, the probabilities of its outcomes (empty for stages)."""
        return self.validated.chance_exprs

    @property
    def node_stage(self) -> np.ndarray:
        """``[N]``: index into :attr:`steps` of the step each node starts (-1 at terminals)."""
        return self.tree.step

    @property
    def node_codes(self) -> np.ndarray:
        """``[N, V]``: every variable's code (in the order of :attr:`variables`) at every node, before its step."""
        return self.tree.node_codes

    @property
    def terminal_codes(self) -> dict[str, np.ndarray]:
        """The code of every variable at every terminal: ``{name: [T]}`` (terminals in the game's order)."""
        return {name: self.tree.terminal_codes[:, i] for i, name in enumerate(self.variables)}

    @property
    def waivers(self) -> np.ndarray:
        """``[T, K]``: how often each soft precondition was waived on the path to each terminal."""
        return self.tree.waivers

    @property
    def notes(self) -> Mapping[int, list[str]]:
        """For nodes where stages were skipped because every move was blocked: why."""
        return self.tree.notes

    @property
    def blocked(self) -> Mapping[int, list[tuple[str, str]]]:
        """For nodes where some moves were blocked: ``[(move, reason), ...]``."""
        return self.tree.blocked

    @property
    def num_terminals(self) -> int:
        """Number of terminals of the compiled tree."""
        return self.tree.num_terminals

    # ------------------------------------------------------------------ parameters
    def parameter_env(self, parameters: ParameterValues = None) -> tuple[dict[str, Any], int | None]:
        """Parameter values for expressions, with defaults filled in, and the batch size."""
        return _parameter_env(self.negotiation, parameters)

    def payoff_term_values(self, parameters: ParameterValues = None) -> dict[str, dict[str, np.ndarray]]:
        """Each agent's payoff terms at every terminal: ``{agent: {term: [T] or [B, T]}}``.

        Waived soft preconditions appear as terms named ``"waived: <condition>"``.
        """
        return _payoff_term_values(self.validated, self.tree, parameters)

    def payoffs(self, parameters: ParameterValues = None) -> np.ndarray:
        """Terminal payoffs ``[T, n]`` (or ``[B, T, n]`` for arrays of parameters)."""
        return _payoffs(self.validated, self.tree, parameters)

    def chance_probabilities(self, parameters: ParameterValues = None) -> np.ndarray:
        """Edge probabilities ``[N]`` (or ``[B, N]``) for the given parameters.

        Raises
        ------
        ScenarioError
            If some outcome's probability is negative or a chance event's probabilities do
            not sum to 1 (naming the event and, for a batch, the first bad setting).
        """
        return _chance_probabilities(self.validated, self.tree, parameters)

    def game_for(self, parameters: ParameterValues = None) -> ExtensiveFormGame:
        """The game with the given parameter values (arrays give a batch); the tree is reused.

        Examples
        --------
        >>> from negsim.scenarios import load_scenario
        >>> compiled = load_scenario("istanbul-2025").compile()
        >>> batch = compiled.game_for({"tariff_rate": [1.0, 2.0, 5.0]})
        >>> batch.batch_size
        3
        """
        return self.game.with_batch(payoffs=self.payoffs(parameters), chance_prob=self.chance_probabilities(parameters))

    def payoffs_at(self, states: Mapping[str, Any], parameters: ParameterValues = None) -> np.ndarray:
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
        >>> compiled.payoffs_at({"ceasefire": ["none", "unconditional"], "truce_from": [0, 1],
        ...                      "russia_aims": ["limited", "limited"]})[:, 1]
        array([3. , 0.5])
        """
        sizes = {len(v) for v in states.values()}
        if len(sizes) > 1:
            raise ScenarioError("every variable needs the same number of values")
        K = sizes.pop() if sizes else 1
        env, batch = self.parameter_env(parameters)
        for i, (name, var) in enumerate(self.variables.items()):
            if name in states:
                codes = np.array([var.code_of(v, f"states.{name}") for v in states[name]], np.int64)
            else:
                initial = self.node_codes[0, i] if len(self.node_codes) else 0
                codes = np.full(K, initial, np.int64)
            env[name] = var.env_values(codes)
        unknown = set(states) - set(self.variables)
        if unknown:
            name = sorted(unknown)[0]
            close = difflib.get_close_matches(name, list(self.variables), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(f"unknown variable {name!r}{hint}")
        shape = (K,) if batch is None else (batch, K)
        columns = []
        for terms in self.payoff_terms:
            total = sum(np.broadcast_to(expr.evaluate(env), shape) for _, expr in terms)
            columns.append(np.broadcast_to(np.asarray(total, np.float64), shape))
        return np.stack(columns, axis=-1)

    # ------------------------------------------------------------------ outcomes
    def condition(self, text: str, where: str = "condition") -> Expression:
        """Parse a condition over the final state (issues, stage choices, chance outcomes, parameters)."""
        return self.validated.condition(text, where)

    def terminal_condition(self, expression: Expression, parameters: ParameterValues = None) -> np.ndarray:
        """A condition evaluated at every terminal: ``bool[T]`` (or ``[B, T]``)."""
        env, batch = self.parameter_env(parameters)
        env.update(_state_env(self.validated, self.tree))
        shape = (self.num_terminals,) if batch is None else (batch, self.num_terminals)
        return np.broadcast_to(expression.evaluate(env), shape)

    def terminal_values(self, name: str) -> list[Any]:
        """The value of one variable at every terminal (readable values, not codes)."""
        var = self.variables[name]
        return [var.values[c] for c in self.terminal_codes[name]]


# ---------------------------------------------------------------------------- compile
def compile_negotiation(negotiation: Negotiation, parameters: ParameterValues = None) -> CompiledNegotiation:
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

    Examples
    --------
    >>> from negsim.negotiation import Agent, Move, Negotiation, Stage
    >>> talks = Negotiation("t", agents=[Agent("A", payoff="2 * (s == 'go')")],
    ...                     stages=[Stage("s", "A", [Move("go"), Move("stay")])])
    >>> compile_negotiation(talks).game.payoffs.ravel().tolist()
    [2.0, 0.0]
    """
    validated = validate(negotiation)
    tree = enumerate_tree(validated)
    try:
        game = _build_game(validated, tree, parameters)
    except GameError as exc:
        raise ScenarioError(f"the compiled game is invalid: {exc}") from None
    return CompiledNegotiation(negotiation=negotiation, validated=validated, tree=tree, game=game)


def _build_game(
    validated: ValidatedNegotiation, tree: EnumeratedTree, parameters: ParameterValues
) -> ExtensiveFormGame:
    neg = validated.negotiation
    return ExtensiveFormGame(
        neg.agent_names,
        parent=tree.parent,
        kind=tree.kind,
        player=tree.player,
        infoset=tree.infoset,
        chance_prob=_chance_probabilities(validated, tree, parameters),
        payoffs=_payoffs(validated, tree, parameters),
        infosets=tree.infosets,
        chance_infosets=tree.chance_infosets,
        node_labels=list(tree.labels),
        title=neg.title,
        comment=neg.description,
    )


# ---------------------------------------------------------------------------- evaluation
def _parameter_env(negotiation: Negotiation, parameters: ParameterValues) -> tuple[dict[str, Any], int | None]:
    values: dict[str, Any] = negotiation.parameter_values()
    batch = None
    for name, value in (parameters or {}).items():
        negotiation.parameter(name)  # raises with a suggestion
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


def _state_env(validated: ValidatedNegotiation, tree: EnumeratedTree) -> dict[str, np.ndarray]:
    return {
        name: var.env_values(tree.terminal_codes[:, i]) for i, (name, var) in enumerate(validated.variables.items())
    }


def _payoff_term_values(
    validated: ValidatedNegotiation, tree: EnumeratedTree, parameters: ParameterValues
) -> dict[str, dict[str, np.ndarray]]:
    env, batch = _parameter_env(validated.negotiation, parameters)
    env.update(_state_env(validated, tree))
    shape = (tree.num_terminals,) if batch is None else (batch, tree.num_terminals)
    out: dict[str, dict[str, np.ndarray]] = {}
    for a, agent in enumerate(validated.negotiation.agents):
        terms = {}
        for term, expr in validated.payoff_terms[a]:
            terms[term] = np.broadcast_to(expr.evaluate(env), shape).astype(np.float64)
        for k, soft in enumerate(validated.softs):
            if soft.agent == a and np.any(tree.waivers[:, k]):
                cost = np.asarray(soft.cost.evaluate(env), np.float64)
                key = f"waived: {soft.text}"
                # two preconditions with the same condition add up in one term
                terms[key] = terms.get(key, 0.0) + np.broadcast_to(-tree.waivers[:, k] * cost, shape)
        out[agent.name] = terms
    return out


def _payoffs(validated: ValidatedNegotiation, tree: EnumeratedTree, parameters: ParameterValues) -> np.ndarray:
    terms = _payoff_term_values(validated, tree, parameters)
    agents = validated.negotiation.agents
    columns = []
    for agent in agents:
        total = sum(terms[agent.name].values()) if terms[agent.name] else 0.0
        columns.append(np.asarray(total, np.float64))
    _, batch = _parameter_env(validated.negotiation, parameters)
    shape = (tree.num_terminals,) if batch is None else (batch, tree.num_terminals)
    out = np.stack([np.broadcast_to(c, shape) for c in columns], axis=-1)
    if not np.all(np.isfinite(out)):
        bad = np.argwhere(~np.isfinite(out))[0]
        agent = agents[int(bad[-1])].name
        raise ScenarioError(
            f"the payoff of {agent} is not finite at some outcome (check divisions and powers)",
            key=f"agents[{int(bad[-1])}].payoff",
        )
    return out


def _chance_probabilities(
    validated: ValidatedNegotiation, tree: EnumeratedTree, parameters: ParameterValues
) -> np.ndarray:
    env, batch = _parameter_env(validated.negotiation, parameters)
    lead = () if batch is None else (batch,)
    edges = tree.edge_outcome
    out = np.ones(lead + (len(edges),))
    rows = np.flatnonzero(edges[:, 0] >= 0)
    for s, exprs in enumerate(validated.chance_exprs):
        if not exprs:
            continue
        table = _outcome_table(validated, s, exprs, env, lead)
        mine = rows[edges[rows, 0] == s]
        out[..., mine] = table[..., edges[mine, 1]]
    return out


def _outcome_table(
    validated: ValidatedNegotiation, s: int, exprs: tuple[Expression, ...], env: dict[str, Any], lead: tuple[int, ...]
) -> np.ndarray:
    """The probabilities of step ``s``'s outcomes, ``[K]`` or ``[B, K]``, checked and normalized."""
    columns = []
    for expr in exprs:
        value = np.asarray(expr.evaluate(env), np.float64)
        columns.append(np.broadcast_to(value.reshape(-1) if value.ndim else value, lead))
    probs = np.stack(columns, axis=-1)
    name = validated.steps[s].name
    where = f"{validated.step_key(s)}.outcomes"
    if not np.all(np.isfinite(probs)):
        raise ScenarioError(f"probabilities of {name!r} are not finite", key=where)
    if np.any(probs < -PROBABILITY_TOLERANCE):
        flat = probs.reshape(-1, probs.shape[-1])
        first = flat[np.any(flat < 0, axis=1)][0]
        raise ScenarioError(f"probabilities of {name!r} are negative: {first.tolist()}", key=where)
    sums = probs.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > 1e-9):
        total = float(np.atleast_1d(sums)[np.argmax(np.abs(np.atleast_1d(sums) - 1.0))])
        raise ScenarioError(f"probabilities of {name!r} sum to {total!r}, not 1", key=where)
    return np.clip(probs, 0.0, None) / sums[..., None]
