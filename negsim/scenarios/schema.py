"""The scenario format, declared once: every section and key with its type, default and meaning.

The documentation's reference page and the JSON Schema that ``negsim schema`` prints are
both generated from :data:`SECTIONS`, and a test checks that the loader
(:mod:`negsim.scenarios.loader`) accepts exactly these keys, so the three cannot drift.

Each :class:`Key` gives the type as a reader would say it, the JSON Schema fragment that
checks it, its default (or that it is required), its meaning, *when* it is evaluated if it
is a condition, and an example value in the world of the template scenario that
``negsim new`` writes (:func:`template`).

Examples
--------
>>> from negsim.scenarios.schema import SECTIONS, json_schema
>>> [section.header for section in SECTIONS][:3]
['[scenario]', '[solver]', '[parameters.NAME]']
>>> sorted(json_schema()["properties"])
['agents', 'chance', 'expect', 'issues', 'parameters', 'scenario', 'solver', 'stages']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from negsim.negotiation.model import MOVE_KINDS

__all__ = [
    "Key",
    "Section",
    "SECTIONS",
    "PRIORS",
    "json_schema",
    "json_schema_text",
    "template",
    "toml_value",
    "allowed_keys",
]

REQUIRED = "required"
"""The default shown for a key that must be given."""

# JSON Schema fragments for the types that recur
_STRING: dict[str, Any] = {"type": "string"}
_NUMBER: dict[str, Any] = {"type": "number"}
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_NAME: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"}
_CONDITION: dict[str, Any] = {"type": "string", "minLength": 1}
_VALUE: dict[str, Any] = {"type": ["string", "number"]}
_LITERAL: dict[str, Any] = {"type": ["string", "number", "boolean"]}
_PROBABILITY: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}
_OBSERVERS: dict[str, Any] = {
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

_STATE = "the issues, the choices of the stages and the outcomes of the chance events so far"
_FINAL = "the issues, the stages' choices and the chance outcomes at the end of the game, and the parameters"

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
                _STRING,
                "the file's name, ``_`` read as ``-``",
                "truce-talks",
            ),
            Key("title", "string", "A one-line title, printed above every result.", _STRING, "the name", "Truce talks"),
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
                _STRING,
                '``""``',
                "Kyiv proposes a ceasefire; Moscow answers.",
            ),
            Key(
                "sources",
                "array of strings",
                "The sources of the episode, one citation (outlet and date) per string.",
                {"type": "array", "items": _STRING},
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
                _STRING,
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
            Key("value", "number", "The default value.", _NUMBER, REQUIRED, 2.0),
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
                {"type": "array", "items": _NUMBER, "minItems": 2, "maxItems": 2},
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
            Key("unit", "string", "The unit, for tables and plots.", _STRING, '``""``', "utility per round"),
            Key(
                "description",
                "string",
                "What the parameter means.",
                _STRING,
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
                _NAME,
                REQUIRED,
                "ceasefire",
            ),
            Key(
                "values",
                "array",
                "The values: all strings (a category, ordered as listed, so ``<`` compares by that order), all "
                "numbers, or ``[false, true]``.",
                {"type": "array", "items": _LITERAL, "minItems": 1},
                REQUIRED,
                ["none", "30-day", "permanent"],
            ),
            Key(
                "initial",
                "one of the values",
                "The value at the start of the game.",
                _LITERAL,
                "the first value",
                "none",
            ),
            Key("description", "string", "What the issue means.", _STRING, '``""``', "Whether a ceasefire is agreed."),
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
                _STRING,
                REQUIRED,
                "Kyiv",
            ),
            Key(
                "payoff",
                "value expression, or a table of them",
                "What the agent gets at the end of the game. A table of named terms is added up; the narrative "
                "shows each term.",
                {"anyOf": [_VALUE, {"type": "object", "additionalProperties": _VALUE, "minProperties": 1}]},
                "0",
                {"truce": "3 * ceasefire", "war": "-war_cost * (not ceasefire)"},
                "At every end of the game, over " + _FINAL + "; for a batch of parameter settings at once.",
            ),
            Key(
                "preconditions",
                "array of tables",
                "Conditions the agent attaches to its own moves: ``[[agents.preconditions]]``.",
                {"type": "array", "items": {"$ref": "#/$defs/precondition"}},
                "``[]``",
                None,
            ),
            Key("description", "string", "Who the agent is.", _STRING, '``""``', "Ukraine's government."),
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
                _STRING,
                REQUIRED,
                "agree",
            ),
            Key(
                "condition",
                "condition",
                "What must hold for the move.",
                _CONDITION,
                REQUIRED,
                "demands != 'territory'",
                "Each time the move is offered, on the state at that moment: " + _STATE + " (not parameters).",
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
                _VALUE,
                "none",
                "face_cost",
                "Over the parameters only.",
            ),
            Key(
                "description",
                "string",
                "What the precondition means.",
                _STRING,
                '``""``',
                "Kyiv never agrees to give up territory.",
            ),
            Key(
                "source", "string", "Where the precondition was stated.", _STRING, '``""``', "Zelensky, 11 May 2025 (X)"
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
                _NAME,
                REQUIRED,
                "answer",
            ),
            Key("agent", "string", "The agent who moves.", _STRING, REQUIRED, "Moscow"),
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
                _CONDITION,
                "always",
                "demands != 'none'",
                "When the stage is reached, on " + _STATE + " (not parameters).",
            ),
            Key(
                "observed_by",
                '"all", "none", or array of agent names',
                "Who sees the move chosen; the mover always does. Agents who do not see it cannot tell the "
                "moves apart, nor whether the stage took place.",
                _OBSERVERS,
                '``"all"``',
                "all",
            ),
            Key(
                "description",
                "string",
                "What happens at this stage.",
                _STRING,
                '``""``',
                "Moscow answers the proposal.",
            ),
            Key("date", "string", "When it happened (shown in the narrative).", _STRING, '``""``', "2025-05-16"),
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
                {"type": "object", "additionalProperties": _LITERAL},
                "``{}``",
                {"ceasefire": True},
                "An expression value: when the move is made, on the state before it (not parameters).",
            ),
            Key(
                "when",
                "condition",
                "A rule of the protocol: the move exists only when this holds.",
                _CONDITION,
                "always",
                "demands == 'none'",
                "When the stage is reached, on " + _STATE + " (not parameters).",
            ),
            Key("end", "boolean", "The talks end after this move.", _BOOLEAN, "``false``", True),
            Key(
                "kind",
                "string",
                "What sort of move it is, to phrase the narrative: one of "
                + ", ".join(f"``{k}``" for k in ("propose", "accept", "reject", "counter", "threaten", "impose"))
                + " and the others of :data:`negsim.negotiation.model.MOVE_KINDS`.",
                {"anyOf": [{"enum": list(MOVE_KINDS)}, _STRING]},
                '``"other"``',
                "accept",
            ),
            Key(
                "label",
                "string",
                "A readable label for the output.",
                _STRING,
                "the name",
                "accept the 30-day ceasefire",
            ),
            Key("description", "string", "A longer description.", _STRING, '``""``', "Moscow accepts."),
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
                _NAME,
                REQUIRED,
                "moscow_type",
            ),
            Key(
                "outcomes",
                "table of outcome = probability",
                "The outcomes and their probabilities, which must sum to 1.",
                {"type": "object", "additionalProperties": _VALUE, "minProperties": 1},
                REQUIRED,
                {"dove": "1 - hawk_prior", "hawk": "hawk_prior"},
                "Over the parameters only; for a batch of parameter settings at once.",
            ),
            Key(
                "observed_by",
                '"all", "none", or array of agent names',
                "Who learns the outcome. A private type is observed by its owner only.",
                _OBSERVERS,
                "no one",
                ["Moscow"],
            ),
            Key(
                "after",
                "stage name",
                "The event happens right after this stage (several events after one stage happen in the order "
                "written).",
                _STRING,
                "before the first stage",
                "answer",
            ),
            Key(
                "when",
                "condition",
                "The event takes place only when this holds; otherwise its variable is ``'skipped'``.",
                _CONDITION,
                "always",
                "answer == 'refuse'",
                "When the event is reached, on " + _STATE + " (not parameters).",
            ),
            Key("description", "string", "What the event means.", _STRING, '``""``', "Moscow's type."),
        ),
        array=True,
    ),
    Section(
        "expect",
        "[[expect]]",
        "Stylized facts the solved model must reproduce; ``negsim check`` tests each one.",
        (
            Key("fact", "string", "The fact in words.", _STRING, REQUIRED, "Kyiv proposes a ceasefire"),
            Key(
                "condition",
                "condition",
                "The event whose equilibrium probability is bounded.",
                _CONDITION,
                REQUIRED,
                "proposal == 'propose'",
                "At every end of the game, over " + _FINAL + ".",
            ),
            Key(
                "at_least",
                "probability",
                "The probability of the condition is at least this.",
                _PROBABILITY,
                "no bound (give at_least, at_most or both)",
                0.9,
            ),
            Key(
                "at_most",
                "probability",
                "The probability of the condition is at most this.",
                _PROBABILITY,
                "no bound",
                0.01,
            ),
            Key(
                "counterfactual",
                "table of parameter = number",
                "Parameter values under which the fact should fail, to show that it does not hold by "
                "construction (``negsim check --counterfactuals``).",
                {"type": "object", "additionalProperties": _NUMBER},
                "none",
                {"hawk_war_value": 1.0},
            ),
            Key(
                "description",
                "string",
                "Why the fact holds, with its source.",
                _STRING,
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


def allowed_keys() -> dict[str, frozenset[str]]:
    """The keys each section allows: ``{section path: keys}``, with ``""`` for the top level.

    Examples
    --------
    >>> sorted(allowed_keys()["expect"])[:3]
    ['at_least', 'at_most', 'condition']
    """
    out = {"": frozenset(s.path for s in SECTIONS if "." not in s.path)}
    for section in SECTIONS:
        out[section.path] = frozenset(k.name for k in section.keys)
    return out


def _table_schema(section: Section) -> dict[str, Any]:
    properties = {}
    for k in section.keys:
        properties[k.name] = {**k.schema, "description": _plain(k.meaning)}
    out: dict[str, Any] = {
        "type": "object",
        "description": _plain(section.meaning),
        "properties": properties,
        "additionalProperties": False,
    }
    if section.required:
        out["required"] = list(section.required)
    return out


def _plain(text: str) -> str:
    return text.replace("``", "").replace(":func:", "").replace(":data:", "").replace("`", "")


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the scenario format, for editors and validators.

    TOML dates are strings in it; the loader's checks that a schema cannot express (names
    that exist, expressions that parse, probabilities that sum to 1) happen in
    ``negsim check``.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$defs"]["move"]["required"]
    ['name']
    """
    from negsim.solvers.dispatch import methods

    by_path = {s.path: s for s in SECTIONS}
    defs: dict[str, Any] = {}
    solver = _table_schema(by_path["solver"])
    solver["properties"]["method"]["enum"] = list(methods())
    prior_keys = sorted({k for required, optional in PRIORS.values() for k in (*required, *optional)})
    defs["prior"] = {
        "type": "object",
        "description": "A prior distribution for Monte Carlo.",
        "required": ["dist"],
        "properties": {"dist": {"enum": list(PRIORS)}, **{k: _NUMBER for k in prior_keys}},
        "additionalProperties": False,
        "allOf": [
            {
                "if": {"properties": {"dist": {"const": dist}}},
                "then": {
                    "required": list(required),
                    "propertyNames": {"enum": ["dist", *required, *optional]},
                },
            }
            for dist, (required, optional) in PRIORS.items()
        ],
    }
    defs["precondition"] = _table_schema(by_path["agents.preconditions"])
    defs["move"] = _table_schema(by_path["stages.moves"])
    expect = _table_schema(by_path["expect"])
    expect["anyOf"] = [{"required": ["at_least"]}, {"required": ["at_most"]}]
    properties = {
        "scenario": _table_schema(by_path["scenario"]),
        "solver": solver,
        "parameters": {
            "type": "object",
            "description": _plain(by_path["parameters"].meaning),
            "additionalProperties": _table_schema(by_path["parameters"]),
        },
        "issues": {"type": "array", "items": _table_schema(by_path["issues"])},
        "agents": {"type": "array", "items": _table_schema(by_path["agents"])},
        "stages": {"type": "array", "items": _table_schema(by_path["stages"]), "minItems": 1},
        "chance": {"type": "array", "items": _table_schema(by_path["chance"])},
        "expect": {"type": "array", "items": expect},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/negsim/negsim/negsim/scenarios/scenario.schema.json",
        "title": "negsim scenario",
        "description": "A negsim scenario file (TOML): agents, issues, stages, chance events, parameters and "
        "stylized facts. Generated by negsim.scenarios.schema.json_schema().",
        "type": "object",
        "properties": properties,
        "required": ["agents", "stages"],
        "additionalProperties": False,
        "$defs": defs,
    }


def json_schema_text() -> str:
    """:func:`json_schema` as the text of ``scenario.schema.json`` (sorted keys, 2-space indent)."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def template(name: str = "my-scenario") -> str:
    """The commented template scenario that ``negsim new NAME`` writes; it runs and checks as it is.

    Examples
    --------
    >>> from negsim.scenarios import parse_scenario
    >>> parse_scenario(template("truce")).name
    'truce'
    """
    text = (resources.files("negsim.scenarios") / "template.toml").read_text(encoding="utf-8")
    return text.replace("__NAME__", name)


def toml_value(value: Any) -> str:
    """A value as TOML text: strings, numbers, booleans, arrays and inline tables.

    Examples
    --------
    >>> toml_value({"dist": "beta", "a": 3.0})
    '{ dist = "beta", a = 3.0 }'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "a").replace("-", "a").isalnum() and key.isascii() else json.dumps(key)
