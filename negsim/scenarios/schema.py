"""The scenario format, declared once: every section and key with its type, default and meaning.

The documentation's reference page and the JSON Schema that ``negsim schema`` prints are
both generated from :data:`SECTIONS`, and a test checks that the loader
(:mod:`negsim.scenarios.loader`) accepts exactly these keys, so the three cannot drift.
The declarations themselves, a long table of data, are kept in a module of their own
(``negsim/scenarios/_declarations.py``); this one re-exports them and generates from them.

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
from importlib import resources
from typing import Any

from negsim.scenarios import _declarations
from negsim.scenarios._declarations import NUMBER, Key, Section

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

PRIORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = _declarations.PRIORS
"""Prior distributions: ``{dist: (required keys, optional keys)}``; ``low``/``high`` truncate."""

SECTIONS: tuple[Section, ...] = _declarations.SECTIONS
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
        "properties": {"dist": {"enum": list(PRIORS)}, **{k: NUMBER for k in prior_keys}},
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
