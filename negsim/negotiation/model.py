"""The negotiation model: parameters, issues, agents, preconditions, moves, stages, chance.

A :class:`Negotiation` is plain data. Agents move in **stages**, choosing one of the
stage's **moves**; a move changes **issues** of the negotiation state and may end the
talks. **Chance** events draw an agent's private type or whether a threat is carried
out. An agent's **preconditions** are conditions on the state attached to its own moves:
a *hard* one removes the move while it fails, a *soft* one lets the agent waive it at a
named cost. Payoffs, costs and probabilities are expressions over the state and named
**parameters** (see :mod:`negsim.negotiation.expressions`), so that a whole batch of
parameter settings is evaluated at once. :meth:`Negotiation.compile` turns the model into
an extensive-form game (:mod:`negsim.negotiation.compiler`).

Observation: every agent sees every move and chance outcome listed in its
``observed_by`` (default: everyone for moves, no one but the listed agents for chance);
the mover always sees its own move. An agent who does not observe a step learns nothing
from it, not even that it happened. Agents therefore remember all they saw and did, so
every compiled game has perfect recall.

Examples
--------
A two-agent ultimatum over a ceasefire, written in Python:

>>> from negsim.negotiation import Agent, Issue, Move, Negotiation, Parameter, Stage
>>> talks = Negotiation(
...     title="A truce offer",
...     parameters=[Parameter("war_cost", 2.0, source="assumption")],
...     issues=[Issue("truce", [False, True])],
...     agents=[Agent("Kyiv", payoff="3 * truce - war_cost * (not truce)"),
...             Agent("Moscow", payoff="1 * truce + 1 * (not truce)")],
...     stages=[Stage("answer", "Moscow", [Move("accept", set={"truce": True}), Move("refuse")])],
... )
>>> compiled = talks.compile()
>>> compiled.game.num_terminals
2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from negsim.errors import ScenarioError

__all__ = [
    "Parameter",
    "Issue",
    "Precondition",
    "Agent",
    "Move",
    "Stage",
    "Chance",
    "Expectation",
    "Negotiation",
    "MOVE_KINDS",
]

MOVE_KINDS = (
    "propose",
    "accept",
    "reject",
    "counter",
    "threaten",
    "impose",
    "lift",
    "exchange",
    "request_meeting",
    "hold_meeting",
    "decline",
    "walk_away",
    "attend",
    "wait",
    "other",
)
"""The vocabulary of move kinds (informative: used to phrase the narrative)."""


@dataclass(frozen=True)
class Parameter:
    """A named number that payoffs, costs and probabilities use.

    Attributes
    ----------
    name : str
    value : float
        The default value.
    source : str
        A citation (outlet and date) or ``"assumption"``.
    range : (float, float), optional
        A plausible range (for sweeps).
    prior : dict, optional
        A distribution for Monte Carlo: ``{"dist": "uniform"|"normal"|"beta"|"triangular", ...}``.
    unit, description : str
    calibrated : str
        What the value was calibrated to, if it was fitted to outcomes (this exempts a
        source dated after the decision it informs from the hindsight rule of
        :func:`negsim.analysis.audit`); empty if it was not.
    source_date : str
        The date (``YYYY-MM-DD``) on which the number was known, when the dates cited in
        ``source`` do not say it; empty to use those dates.
    """

    name: str
    value: float
    source: str
    range: tuple[float, float] | None = None
    prior: Mapping[str, Any] | None = None
    unit: str = ""
    description: str = ""
    calibrated: str = ""
    source_date: str = ""


@dataclass(frozen=True)
class Issue:
    """An issue of the negotiation with a finite domain.

    ``values`` are strings (a category, ordered as listed), numbers, or ``[False, True]``.
    ``initial`` defaults to the first value.
    """

    name: str
    values: tuple[Any, ...]
    initial: Any = None
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if self.initial is None:
            object.__setattr__(self, "initial", self.values[0] if self.values else None)

    @property
    def kind(self) -> str:
        """``"boolean"``, ``"number"`` or ``"category"``."""
        if self.values and all(isinstance(v, bool) for v in self.values):
            return "boolean"
        if self.values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values):
            return "number"
        return "category"


@dataclass(frozen=True)
class Precondition:
    """A condition an agent attaches to one of its own moves.

    Attributes
    ----------
    move : str
        The move's name (``"stage.move"`` if the name is used in several stages).
    condition : str
        An expression over the state that must hold.
    kind : {"hard", "soft"}
        Hard: the move is unavailable while the condition fails. Soft: the move stays
        available, and the agent pays ``cost`` when making it while the condition fails.
    cost : str or float, optional
        For soft preconditions: the payoff lost when waived (an expression over parameters).
    description, source : str
    """

    move: str
    condition: str
    kind: str = "hard"
    cost: str | float | None = None
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class Agent:
    """A party to the negotiation.

    ``payoff`` is one expression, or a mapping of named terms (added up) so that the
    narrative can show each term.
    """

    name: str
    payoff: str | float | Mapping[str, str | float] = 0.0
    preconditions: tuple[Precondition, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "preconditions", tuple(self.preconditions))

    @property
    def payoff_terms(self) -> dict[str, str | float]:
        if isinstance(self.payoff, Mapping):
            return dict(self.payoff)
        return {"payoff": self.payoff}


@dataclass(frozen=True)
class Move:
    """A move an agent can make in a stage.

    Attributes
    ----------
    name : str
    set : mapping of issue to value
        The move's effect on the state. A value is a literal of the issue's domain, or,
        for number and boolean issues, an expression over the state.
    when : str, optional
        A protocol condition on the state (hard): the move exists only when it holds.
    end : bool
        The talks end after this move.
    kind : str
        One of :data:`MOVE_KINDS` (informative).
    label, description : str
        A readable label (defaults to the name) and a longer description.
    """

    name: str
    set: Mapping[str, Any] = field(default_factory=dict)
    when: str | None = None
    end: bool = False
    kind: str = "other"
    label: str = ""
    description: str = ""


@dataclass(frozen=True)
class Stage:
    """A step of the protocol at which one agent chooses a move.

    The stage is skipped when ``when`` fails or when none of its moves is available.
    ``observed_by`` lists the agents who see the choice (default everyone).
    """

    name: str
    agent: str
    moves: tuple[Move, ...]
    when: str | None = None
    observed_by: tuple[str, ...] | str = "all"
    description: str = ""
    date: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "moves", tuple(self.moves))
        if not isinstance(self.observed_by, str):
            object.__setattr__(self, "observed_by", tuple(self.observed_by))


@dataclass(frozen=True)
class Chance:
    """A chance event: an agent's private type, or whether a threat is carried out.

    Attributes
    ----------
    name : str
        Also the name of the variable that holds the outcome.
    outcomes : mapping of str to probability
        Outcome names and their probabilities (expressions over parameters).
    observed_by : sequence of str or "all"
        Who sees the outcome (default: no one; the owner of a type must be listed).
    after : str, optional
        The stage after which the event happens (default: before the first stage).
    when : str, optional
        A condition on the state; the event is skipped when it fails.
    """

    name: str
    outcomes: Mapping[str, str | float]
    observed_by: tuple[str, ...] | str = ()
    after: str | None = None
    when: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcomes", dict(self.outcomes))
        if not isinstance(self.observed_by, str):
            object.__setattr__(self, "observed_by", tuple(self.observed_by))


@dataclass(frozen=True)
class Expectation:
    """A stylized fact the solved model must reproduce.

    The fact holds when the equilibrium probability of ``condition`` (an expression over
    the final state, stage choices and chance outcomes) is at least ``at_least`` and at
    most ``at_most``. ``counterfactual`` names parameter values under which the fact is
    expected to fail, to show that it does not hold by construction. ``structural``, when
    not empty, declares that the fact holds by construction on purpose and says why (then
    :func:`negsim.analysis.audit` does not count it against the scenario).
    """

    fact: str
    condition: str
    at_least: float | None = None
    at_most: float | None = None
    counterfactual: Mapping[str, float] | None = None
    description: str = ""
    structural: str = ""

    def holds(self, probability: float) -> bool:
        """Whether a probability satisfies the bounds (with a 1e-9 tolerance)."""
        ok = True
        if self.at_least is not None:
            ok &= probability >= self.at_least - 1e-9
        if self.at_most is not None:
            ok &= probability <= self.at_most + 1e-9
        return bool(ok)

    @property
    def bounds_text(self) -> str:
        parts = []
        if self.at_least is not None:
            parts.append(f">= {self.at_least:g}")
        if self.at_most is not None:
            parts.append(f"<= {self.at_most:g}")
        return " and ".join(parts) or "(no bound)"


@dataclass(frozen=True)
class Negotiation:
    """A complete negotiation model.

    Attributes
    ----------
    title : str
    agents : tuple of Agent
    issues : tuple of Issue
    stages : tuple of Stage
    chance : tuple of Chance
    parameters : tuple of Parameter
    expectations : tuple of Expectation
    name, date, description : str
    sources : tuple of str
    max_nodes : int
        Refuse to compile a game tree larger than this.
    solver : mapping
        Options for solving (method, iterations, tremble) that ``negsim run`` uses.
    """

    title: str
    agents: tuple[Agent, ...]
    issues: tuple[Issue, ...] = ()
    stages: tuple[Stage, ...] = ()
    chance: tuple[Chance, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    name: str = ""
    date: str = ""
    description: str = ""
    sources: tuple[str, ...] = ()
    max_nodes: int = 200_000
    solver: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("agents", "issues", "stages", "chance", "parameters", "expectations", "sources"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def agent_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.agents)

    def parameter_values(self) -> dict[str, float]:
        """The default value of every parameter."""
        return {p.name: float(p.value) for p in self.parameters}

    def parameter(self, name: str) -> Parameter:
        """A parameter by name.

        Raises
        ------
        ScenarioError
            If there is no such parameter (the message suggests the closest name).
        """
        for p in self.parameters:
            if p.name == name:
                return p
        import difflib

        close = difflib.get_close_matches(name, [p.name for p in self.parameters], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ScenarioError(f"no parameter named {name!r}{hint}")

    def with_values(self, values: Mapping[str, float]) -> Negotiation:
        """The same negotiation with new default values for some parameters."""
        from dataclasses import replace

        for name in values:
            self.parameter(name)
        params = tuple(replace(p, value=float(values[p.name])) if p.name in values else p for p in self.parameters)
        return replace(self, parameters=params)

    def compile(self, parameters: Mapping[str, Any] | None = None):
        """Compile into an extensive-form game; see :func:`negsim.negotiation.compile_negotiation`."""
        from negsim.negotiation.compiler import compile_negotiation

        return compile_negotiation(self, parameters)
