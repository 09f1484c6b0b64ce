"""The scenario format, declared: every section of a file and every key with its type, default and meaning.

:mod:`negsim.scenarios.schema` re-exports these declarations and generates from them the
JSON Schema, the documentation's reference tables and the template; a test checks that the
loader accepts exactly the declared keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from negsim.negotiation.model import MOVE_KINDS

REQUIRED = "required"
"""The default shown for a key that must be given."""

# JSON Schema fragments for the types that recur
STRING: dict[str, Any] = {"type": "string"}
NUMBER: dict[str, Any] = {"type": "number"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
NAME: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"}
CONDITION: dict[str, Any] = {"type": "string", "minLength": 1}
VALUE: dict[str, Any] = {"type": ["string", "number"]}
LITERAL: dict[str, Any] = {"type": ["string", "number", "boolean"]}
PROBABILITY: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}
OBSERVERS: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "description": '"all", "none", or one agent\'s name'},
        {"type": "array", "items": {"type": "string"}},
    ]
}


@dataclass(frozen=True)
class Key:
    """One key of a section.

    Attributes
    ----------
    name : str
    type : str
        The type in words (``"condition"``, ``"value expression"``, ``"array of strings"``).
    meaning : str
        What the key does (reStructuredText).
    schema : dict
        The JSON Schema fragment that checks a value.
    default : str
        The default in words, or ``"required"``.
    example : object
        A value as it would be written in the template scenario.
    evaluated : str
        For conditions and expressions: when they are evaluated, and over which names.
    """

    name: str
    type: str
    meaning: str
    schema: dict[str, Any]
    default: str = ""
    example: Any = None
    evaluated: str = ""

    @property
    def required(self) -> bool:
        return self.default == REQUIRED


@dataclass(frozen=True)
class Section:
    """A section of a scenario file: a table (``[scenario]``) or an array of tables (``[[stages]]``).

    Attributes
    ----------
    path : str
        Where it sits: ``"stages"``, or ``"stages.moves"`` for a table inside each stage.
    header : str
        The TOML header as written in a file.
    meaning : str
    keys : tuple of Key
    array : bool
        An array of tables (``[[...]]``), one per element.
    """

    path: str
    header: str
    meaning: str
    keys: tuple[Key, ...]
    array: bool = False
    required: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "required", tuple(k.name for k in self.keys if k.required))

    def key(self, name: str) -> Key:
        """A key by name (``KeyError`` if there is none)."""
        for k in self.keys:
            if k.name == name:
                return k
        raise KeyError(name)


PRIORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("low", "high"), ()),
    "normal": (("mean", "sd"), ("low", "high")),
    "beta": (("a", "b"), ("low", "high")),
    "triangular": (("low", "mode", "high"), ()),
}
"""Prior distributions: ``{dist: (required keys, optional keys)}``; ``low``/``high`` truncate."""

STATE = "the issues, the choices of the stages and the outcomes of the chance events so far"
FINAL = "the issues, the stages' choices and the chance outcomes at the end of the game, and the parameters"

SECTIONS: tuple[Section, ...] = (
    Section(
        "scenario",
        "[scenario]",
        "What the scenario is: its name, title, date, description and sources.",
        (
            Key(
                "name",
                "string",
                "The name by which ``negsim run NAME`` finds a bundled scenario.",
                STRING,
                "the file's name, ``_`` read as ``-``",
                "truce-talks",
            ),
            Key("title", "string", "A one-line title, printed above every result.", STRING, "the name", "Truce talks"),
            Key(
                "date",
                "string or TOML date",
                "The date of the episode.",
                {"type": "string"},
                '``""``',
                "2025-01-01",
            ),
            Key(
                "description",
                "string",
                "What happened and what the model asks (a multi-line string).",
                STRING,
                '``""``',
                "Kyiv proposes a ceasefire; Moscow answers.",
            ),
            Key(
                "sources",
                "array of strings",
                "The sources of the episode, one citation (outlet and date) per string.",
                {"type": "array", "items": STRING},
                "``[]``",
                ["Reuters, 16 May 2025: ..."],
            ),
            Key(
                "max_nodes",
                "integer >= 1",
                "The largest game tree the compiler builds; a larger protocol is refused with an error "
                "instead of filling the memory.",
                {"type": "integer", "minimum": 1},
                "200000",
                10000,
            ),
        ),
    ),
    Section(
        "solver",
        "[solver]",
        "How ``negsim run``, ``check`` and ``sweep`` solve the scenario (command-line options override it).",
        (
            Key(
                "method",
                "string",
                "A method of :func:`negsim.solve` (``negsim solve --help`` lists them); ``auto`` takes backward "
                "induction for games of perfect information and CFR+ otherwise.",
                STRING,
                '``"auto"``',
                "cfr+",
            ),
            Key(
                "iterations",
                "integer >= 1",
                "Iterations of an iterative method (CFR and its variants).",
                {"type": "integer", "minimum": 1},
                "2000",
                2000,
            ),
            Key(
                "tremble",
                "number in [0, 0.1)",
                "CFR only: every move is played with at least this probability while solving, so that every "
                "threat is judged by what the threatened agent would really do; the result is then purified.",
                {"type": "number", "minimum": 0, "exclusiveMaximum": 0.1},
                "0.001",
                0.001,
            ),
            Key(
                "tolerance",
                "number >= 0",
                "The NashConv the solution must reach (``negsim check`` fails above it).",
                {"type": "number", "minimum": 0},
                "0.01",
                0.01,
            ),
        ),
    ),
    Section(
        "parameters",
        "[parameters.NAME]",
        "One table per parameter, ``NAME`` being the name that expressions use. Every number in a payoff, "
        "cost or probability should be a parameter, so that it has a source and can be swept.",
        (
            Key("value", "number", "The default value.", NUMBER, REQUIRED, 2.0),
            Key(
                "source",
                "string",
                'A citation (outlet and date) or ``"assumption"`` for a modelling choice.',
                {"type": "string", "minLength": 1, "pattern": "\\S"},
                REQUIRED,
                "assumption",
            ),
            Key(
                "range",
                "[low, high]",
                "A plausible range, which must hold the value; ``negsim sweep`` and thresholds explore it.",
                {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2},
                "none",
                [0.0, 5.0],
            ),
            Key(
                "prior",
                "inline table",
                "A distribution for Monte Carlo (``negsim sweep --draws N``): ``dist`` and its parameters, "
                "see :ref:`priors <scenario-priors>`.",
                {"$ref": "#/$defs/prior"},
                "none",
                {"dist": "beta", "a": 3.0, "b": 7.0},
            ),
            Key("unit", "string", "The unit, for tables and plots.", STRING, '``""``', "utility per round"),
            Key(
                "description",
                "string",
                "What the parameter means.",
                STRING,
                '``""``',
                "What a further round of war costs each side.",
            ),
            Key(
                "calibrated",
                "string",
                "What the value was calibrated to, if it was fitted to outcomes: this exempts a source dated "
                "after the decision it informs from the hindsight check of :func:`negsim.analysis.audit`.",
                {"type": "string", "minLength": 1, "pattern": "\\S"},
                "none",
                "the share of the vote reported a week later",
            ),
            Key(
                "source_date",
                "string YYYY-MM-DD",
                "The date on which the number was known, when the dates cited in ``source`` do not say it "
                "(write it as a quoted string).",
                {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
                "the dates in ``source``",
                "2025-05-10",
            ),
        ),
    ),
    Section(
        "issues",
        "[[issues]]",
        "The state of the negotiation: one table per issue, each with a finite list of values. Moves set "
        "issues; conditions and payoffs read them.",
        (
            Key(
                "name",
                "name",
                "The issue's name in expressions (letters, digits and ``_``, starting with a letter).",
                NAME,
                REQUIRED,
                "ceasefire",
            ),
            Key(
                "values",
                "array",
                "The values: all strings (a category, ordered as listed, so ``<`` compares by that order), all "
                "numbers, or ``[false, true]``.",
                {"type": "array", "items": LITERAL, "minItems": 1},
                REQUIRED,
                ["none", "30-day", "permanent"],
            ),
            Key(
                "initial",
                "one of the values",
                "The value at the start of the game.",
                LITERAL,
                "the first value",
                "none",
            ),
            Key("description", "string", "What the issue means.", STRING, '``""``', "Whether a ceasefire is agreed."),
        ),
        array=True,
    ),
    Section(
        "agents",
        "[[agents]]",
        "The parties, one table each, in the order of the game's players.",
        (
            Key(
                "name",
                "string",
                "The agent's name (stages, ``observed_by`` and the output use it).",
                STRING,
                REQUIRED,
                "Kyiv",
            ),
            Key(
                "payoff",
                "value expression, or a table of them",
                "What the agent gets at the end of the game. A table of named terms is added up; the narrative "
                "shows each term.",
                {"anyOf": [VALUE, {"type": "object", "additionalProperties": VALUE, "minProperties": 1}]},
                "0",
                {"truce": "3 * ceasefire", "war": "-war_cost * (not ceasefire)"},
                "At every end of the game, over " + FINAL + "; for a batch of parameter settings at once.",
            ),
            Key(
                "preconditions",
                "array of tables",
                "Conditions the agent attaches to its own moves: ``[[agents.preconditions]]``.",
                {"type": "array", "items": {"$ref": "#/$defs/precondition"}},
                "``[]``",
                None,
            ),
            Key("description", "string", "Who the agent is.", STRING, '``""``', "Ukraine's government."),
        ),
        array=True,
    ),
    Section(
        "agents.preconditions",
        "[[agents.preconditions]]",
        "A condition an agent attaches to one of its own moves, written after that agent's ``[[agents]]`` table.",
        (
            Key(
                "move",
                "string",
                "The move, by name, or as ``STAGE.MOVE`` when several stages have a move of that name. It must be "
                "a move of this agent.",
                STRING,
                REQUIRED,
                "agree",
            ),
            Key(
                "condition",
                "condition",
                "What must hold for the move.",
                CONDITION,
                REQUIRED,
                "demands != 'territory'",
                "Each time the move is offered, on the state at that moment: " + STATE + " (not parameters).",
            ),
            Key(
                "kind",
                '"hard" or "soft"',
                "Hard: the move is not available while the condition fails (a stage whose moves are all blocked "
                "is skipped). Soft: the move stays available, and the agent pays ``cost`` if it makes the move "
                "while the condition fails.",
                {"enum": ["hard", "soft"]},
                '``"hard"``',
                "soft",
            ),
            Key(
                "cost",
                "value expression",
                "Soft preconditions only (and required there): the payoff lost each time the condition is waived.",
                VALUE,
                "none",
                "face_cost",
                "Over the parameters only.",
            ),
            Key(
                "description",
                "string",
                "What the precondition means.",
                STRING,
                '``""``',
                "Kyiv never agrees to give up territory.",
            ),
            Key(
                "source", "string", "Where the precondition was stated.", STRING, '``""``', "Zelensky, 11 May 2025 (X)"
            ),
        ),
        array=True,
    ),
    Section(
        "stages",
        "[[stages]]",
        "The protocol: one table per step at which one agent chooses a move, in the order they happen.",
        (
            Key(
                "name",
                "name",
                "The stage's name; in expressions it holds the move chosen there, or ``'skipped'``.",
                NAME,
                REQUIRED,
                "answer",
            ),
            Key("agent", "string", "The agent who moves.", STRING, REQUIRED, "Moscow"),
            Key(
                "moves",
                "array of tables",
                "The moves on offer: ``[[stages.moves]]``, at least one.",
                {"type": "array", "items": {"$ref": "#/$defs/move"}, "minItems": 1},
                REQUIRED,
                None,
            ),
            Key(
                "when",
                "condition",
                "The stage takes place only when this holds; otherwise it is skipped (its variable is ``'skipped'``).",
                CONDITION,
                "always",
                "demands != 'none'",
                "When the stage is reached, on " + STATE + " (not parameters).",
            ),
            Key(
                "observed_by",
                '"all", "none", or array of agent names',
                "Who sees the move chosen; the mover always does. Agents who do not see it cannot tell the "
                "moves apart, nor whether the stage took place.",
                OBSERVERS,
                '``"all"``',
                "all",
            ),
            Key(
                "description",
                "string",
                "What happens at this stage.",
                STRING,
                '``""``',
                "Moscow answers the proposal.",
            ),
            Key("date", "string", "When it happened (shown in the narrative).", STRING, '``""``', "2025-05-16"),
        ),
        array=True,
    ),
    Section(
        "stages.moves",
        "[[stages.moves]]",
        "A move of the stage written above it.",
        (
            Key(
                "name",
                "string",
                "The move's name (in expressions, ``STAGE == 'NAME'``).",
                {"type": "string", "minLength": 1, "pattern": "^[^\"'|\\n]+$"},
                REQUIRED,
                "accept",
            ),
            Key(
                "set",
                "table of issue = value",
                "What the move does to the state. A value is one of the issue's values, or, for number and "
                "boolean issues, a value expression.",
                {"type": "object", "additionalProperties": LITERAL},
                "``{}``",
                {"ceasefire": True},
                "An expression value: when the move is made, on the state before it (not parameters).",
            ),
            Key(
                "when",
                "condition",
                "A rule of the protocol: the move exists only when this holds.",
                CONDITION,
                "always",
                "demands == 'none'",
                "When the stage is reached, on " + STATE + " (not parameters).",
            ),
            Key("end", "boolean", "The talks end after this move.", BOOLEAN, "``false``", True),
            Key(
                "kind",
                "string",
                "What sort of move it is, to phrase the narrative: one of "
                + ", ".join(f"``{k}``" for k in ("propose", "accept", "reject", "counter", "threaten", "impose"))
                + " and the others of :data:`negsim.negotiation.model.MOVE_KINDS`.",
                {"anyOf": [{"enum": list(MOVE_KINDS)}, STRING]},
                '``"other"``',
                "accept",
            ),
            Key(
                "label",
                "string",
                "A readable label for the output.",
                STRING,
                "the name",
                "accept the 30-day ceasefire",
            ),
            Key("description", "string", "A longer description.", STRING, '``""``', "Moscow accepts."),
        ),
        array=True,
    ),
    Section(
        "chance",
        "[[chance]]",
        "Chance events: an agent's private type, or whether a threat is carried out.",
        (
            Key(
                "name",
                "name",
                "The event's name; in expressions it holds the outcome, or ``'skipped'``.",
                NAME,
                REQUIRED,
                "moscow_type",
            ),
            Key(
                "outcomes",
                "table of outcome = probability",
                "The outcomes and their probabilities, which must sum to 1.",
                {"type": "object", "additionalProperties": VALUE, "minProperties": 1},
                REQUIRED,
                {"dove": "1 - hawk_prior", "hawk": "hawk_prior"},
                "Over the parameters only; for a batch of parameter settings at once.",
            ),
            Key(
                "observed_by",
                '"all", "none", or array of agent names',
                "Who learns the outcome. A private type is observed by its owner only.",
                OBSERVERS,
                "no one",
                ["Moscow"],
            ),
            Key(
                "after",
                "stage name",
                "The event happens right after this stage (several events after one stage happen in the order "
                "written).",
                STRING,
                "before the first stage",
                "answer",
            ),
            Key(
                "when",
                "condition",
                "The event takes place only when this holds; otherwise its variable is ``'skipped'``.",
                CONDITION,
                "always",
                "answer == 'refuse'",
                "When the event is reached, on " + STATE + " (not parameters).",
            ),
            Key("description", "string", "What the event means.", STRING, '``""``', "Moscow's type."),
        ),
        array=True,
    ),
    Section(
        "expect",
        "[[expect]]",
        "Stylized facts the solved model must reproduce; ``negsim check`` tests each one.",
        (
            Key("fact", "string", "The fact in words.", STRING, REQUIRED, "Kyiv proposes a ceasefire"),
            Key(
                "condition",
                "condition",
                "The event whose equilibrium probability is bounded.",
                CONDITION,
                REQUIRED,
                "proposal == 'propose'",
                "At every end of the game, over " + FINAL + ".",
            ),
            Key(
                "at_least",
                "probability",
                "The probability of the condition is at least this.",
                PROBABILITY,
                "no bound (give at_least, at_most or both)",
                0.9,
            ),
            Key(
                "at_most",
                "probability",
                "The probability of the condition is at most this.",
                PROBABILITY,
                "no bound",
                0.01,
            ),
            Key(
                "counterfactual",
                "table of parameter = number",
                "Parameter values under which the fact should fail, to show that it does not hold by "
                "construction (``negsim check --counterfactuals``).",
                {"type": "object", "additionalProperties": NUMBER},
                "none",
                {"hawk_war_value": 1.0},
            ),
            Key(
                "description",
                "string",
                "Why the fact holds, with its source.",
                STRING,
                '``""``',
                "Reported by Reuters, 16 May 2025.",
            ),
            Key(
                "structural",
                "string",
                "Declares that the fact holds by construction, on purpose, and says why (then "
                ":func:`negsim.analysis.audit` does not count it against the scenario).",
                {"type": "string", "minLength": 1, "pattern": "\\S"},
                "none",
                "the protocol offers Moscow no other move",
            ),
        ),
        array=True,
    ),
)
"""Every section of a scenario file, in the order a file usually has them."""
