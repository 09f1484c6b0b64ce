"""The declared scenario format: the loader, the JSON Schema and the template agree with it."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

import pytest

from negsim.cli import main
from negsim.errors import ScenarioError
from negsim.scenarios import bundled_scenarios, load_scenario, loader, parse_scenario
from negsim.scenarios.schema import PRIORS, SECTIONS, allowed_keys, json_schema, json_schema_text, template, toml_value

jsonschema = pytest.importorskip("jsonschema", reason="needs jsonschema: pip install jsonschema (in the test extra)")

DATA = Path(__file__).parent / "data"



def _loader_keys() -> dict[str, frozenset[str]]:
    return loader._ALLOWED_KEYS


def _validator():
    return jsonschema.Draft202012Validator(json_schema())


def _as_json(data):
    # TOML dates are strings to a JSON Schema
    return json.loads(json.dumps(data, default=str))


def _document(data: dict) -> str:
    """A TOML document from parsed data (one inline value per top-level key)."""
    return "\n".join(f"{key} = {toml_value(value)}" for key, value in data.items()) + "\n"


def _template_data() -> dict:
    return tomllib.loads(template("truce"))


def _element(data: dict, path: str) -> dict:
    """The first table of a section in parsed data (``stages.moves`` -> the first stage's first move)."""
    if path == "parameters":
        return data["parameters"]["war_cost"]
    head, _, tail = path.partition(".")
    table = data[head][0] if isinstance(data[head], list) else data[head]
    return table[tail][0] if tail else table


# ---------------------------------------------------------------------------- drift
def test_the_loader_allows_exactly_the_keys_of_the_schema():
    schema = allowed_keys()
    ours = _loader_keys()
    assert set(schema) == set(ours)
    for section, keys in schema.items():
        assert set(ours[section]) == keys, f"the loader and the schema differ in {section!r}"


def test_priors_agree_with_the_loader():
    assert set(PRIORS) == set(loader._PRIOR_KEYS)
    for dist, (required, optional) in PRIORS.items():
        assert set(required) | set(optional) == loader._PRIOR_KEYS[dist]


def test_the_shipped_json_schema_is_up_to_date():
    shipped = Path(loader.__file__).with_name("scenario.schema.json").read_text(encoding="utf-8")
    assert shipped == json_schema_text(), "regenerate it: negsim schema -o negsim/scenarios/scenario.schema.json"


def test_the_json_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


# ---------------------------------------------------------------------------- agreement on files
@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_bundled_scenarios_validate(name):
    path = bundled_scenarios()[name][1]
    errors = list(_validator().iter_errors(_as_json(tomllib.loads(path.read_text(encoding="utf-8")))))
    assert errors == []


def test_the_template_validates_loads_and_checks():
    from negsim.analysis import check, solve_game

    assert list(_validator().iter_errors(_template_data())) == []
    scenario = parse_scenario(template("truce"))
    compiled = scenario.compile()
    solution = solve_game(compiled.game, scenario.solver)
    facts = check(compiled, solution)
    assert len(facts) == 3 and all(fact.holds for fact in facts)


KEYS = [(s.path, k.name) for s in SECTIONS for k in s.keys if k.example is not None]


@pytest.mark.parametrize(("section", "key"), KEYS, ids=[f"{s}.{k}" for s, k in KEYS])
def test_every_example_is_accepted_by_the_loader_and_the_json_schema(section, key):
    data = _template_data()
    example = next(k for s in SECTIONS if s.path == section for k in s.keys if k.name == key).example
    _element(data, section)[key] = copy.deepcopy(example)
    if section == "stages.moves" and key == "name":
        _element(data, section)[key] = "propose_now"  # keep move names unique in their stage
    assert list(_validator().iter_errors(data)) == []
    parse_scenario(_document(data))


REQUIRED = [(s.path, name) for s in SECTIONS for name in s.required]


@pytest.mark.parametrize(("section", "key"), REQUIRED, ids=[f"{s}.{k}" for s, k in REQUIRED])
def test_a_missing_required_key_is_refused_by_both(section, key):
    data = _template_data()
    del _element(data, section)[key]
    assert list(_validator().iter_errors(data)) != []
    with pytest.raises(ScenarioError):
        parse_scenario(_document(data)).compile()


def test_an_unknown_key_is_refused_by_both():
    data = _template_data()
    data["stages"][0]["observers"] = "all"
    assert list(_validator().iter_errors(data)) != []
    with pytest.raises(ScenarioError, match="did you mean 'observed_by'"):
        parse_scenario(_document(data))


def test_a_wrong_type_is_refused_by_both():
    data = _template_data()
    data["scenario"]["max_nodes"] = "many"
    assert list(_validator().iter_errors(data)) != []
    with pytest.raises(ScenarioError, match="whole number"):
        parse_scenario(_document(data))


# ---------------------------------------------------------------------------- written from the reference
def test_a_scenario_written_from_the_reference_page_runs_checks_and_validates():
    """tests/data/from_reference.toml was written from docs/scenario-format only, not by copying a file."""
    from negsim.analysis import check, solve_game

    path = DATA / "from_reference.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert list(_validator().iter_errors(_as_json(data))) == []
    scenario = load_scenario(path)
    compiled = scenario.compile()
    solution = solve_game(compiled.game, scenario.solver)
    facts = check(compiled, solution)
    assert facts and all(fact.holds for fact in facts), [f.fact for f in facts if not f.holds]
    # and `negsim check`, with its audit of the facts, passes
    assert main(["check", str(path), "--counterfactuals"]) == 0
