"""Scenario files: bundled lookup, precise errors (file, key path, line), the CLI on bad files, fuzzing."""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import negsim
from negsim import ScenarioError
from negsim.cli import main
from negsim.negotiation import CompiledNegotiation
from negsim.negotiation.model import (
    Agent,
    Chance,
    Expectation,
    Issue,
    Move,
    Negotiation,
    Parameter,
    Precondition,
    Stage,
)
from negsim.scenarios import Scenario, bundled_scenarios, load_scenario, parse_scenario, scenario_path
from negsim.scenarios.schema import SECTIONS, template, toml_value

MINIMAL = """\
[scenario]
name = "mini"
title = "A minimal truce"
max_nodes = 1000

[parameters.war_cost]
value = 2.0
source = "assumption"

[parameters.q]
value = 0.5
source = "assumption"

[[issues]]
name = "truce"
values = [false, true]

[[agents]]
name = "Kyiv"
payoff = "3 * truce - war_cost * (not truce)"

[[agents]]
name = "Moscow"
payoff = "1 + truce"

[[agents.preconditions]]
move = "accept"
condition = "not truce"
kind = "hard"

[[chance]]
name = "mood"
observed_by = ["Moscow"]
[chance.outcomes]
calm = "q"
angry = "1 - q"

[[stages]]
name = "offer"
agent = "Kyiv"
[[stages.moves]]
name = "propose"
[[stages.moves]]
name = "wait"
end = true

[[stages]]
name = "answer"
agent = "Moscow"
when = "offer == 'propose'"
[[stages.moves]]
name = "accept"
set = { truce = true }
[[stages.moves]]
name = "refuse"

[[expect]]
fact = "Moscow accepts"
condition = "truce"
at_least = 0.9
counterfactual = { war_cost = 0.0 }
"""

REPO = Path(negsim.__file__).resolve().parents[1]


def _replace(old: str, new: str, count: int = 1):
    def mutate(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)

    return mutate


def _line(text: str, snippet: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``snippet``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if snippet in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{snippet!r} not in the text")


# (id, mutation, key path, (snippet, occurrence) of the line or None, message fragment)
BAD = [
    ("toml-syntax", _replace('name = "Kyiv"', 'name = "Kyiv'), None, ('name = "Kyiv', 1), "TOML syntax error"),
    (
        "toml-duplicate-key",
        _replace("value = 2.0\n", "value = 2.0\nvalue = 3.0\n"),
        None,
        ("value = 3.0", 1),
        "TOML syntax error",
    ),
    (
        "unknown-section",
        lambda t: t + '\n[scenari]\ntitle = "x"\n',
        "scenari",
        ("[scenari]", 1),
        "did you mean 'scenario'?",
    ),
    (
        "misspelt-stage-key",
        _replace('when = "offer', 'whn = "offer'),
        "stages[1].whn",
        ("whn =", 1),
        "did you mean 'when'?",
    ),
    (
        "misspelt-parameter-key",
        _replace('source = "assumption"', 'sorce = "assumption"'),
        "parameters.war_cost.sorce",
        ("sorce", 1),
        "did you mean 'source'?",
    ),
    (
        "misspelt-scenario-key",
        _replace("max_nodes = 1000", "max_node = 1000"),
        "scenario.max_node",
        ("max_node =", 1),
        "did you mean 'max_nodes'?",
    ),
    (
        "unknown-agent-in-stage",
        _replace('agent = "Moscow"', 'agent = "Moskow"'),
        "stages[1].agent",
        ('agent = "Moskow"', 1),
        "unknown agent 'Moskow'; did you mean 'Moscow'?",
    ),
    (
        "unknown-observer",
        _replace('observed_by = ["Moscow"]', 'observed_by = ["Mosco"]'),
        "chance[0].observed_by",
        ("observed_by", 1),
        "unknown agent 'Mosco'",
    ),
    (
        "unknown-issue-in-set",
        _replace("set = { truce = true }", "set = { truse = true }"),
        "stages[1].moves[0].set",
        ("truse", 1),
        "unknown issue 'truse'; did you mean 'truce'?",
    ),
    (
        "bad-value-in-set",
        _replace("set = { truce = true }", 'set = { truce = "maybe" }'),
        "stages[1].moves[0].set.truce",
        ("maybe", 1),
        "unknown name 'maybe'",
    ),
    (
        "unknown-move-in-precondition",
        _replace('move = "accept"', 'move = "acept"'),
        "agents[1].preconditions[0].move",
        ('move = "acept"', 1),
        "unknown move of Moscow 'acept'; did you mean 'accept'?",
    ),
    (
        "precondition-unknown-variable",
        _replace('condition = "not truce"', 'condition = "not trcue"'),
        "agents[1].preconditions[0].condition",
        ("trcue", 1),
        "unknown name 'trcue'; did you mean 'truce'?",
    ),
    (
        "precondition-import",
        _replace('condition = "not truce"', "condition = \"__import__('os').system('true')\""),
        "agents[1].preconditions[0].condition",
        ("__import__", 1),
        "calls are not allowed",
    ),
    (
        "precondition-call",
        _replace('condition = "not truce"', "condition = \"open('/etc/passwd')\""),
        "agents[1].preconditions[0].condition",
        ("open(", 1),
        "calls are not allowed",
    ),
    (
        "precondition-attribute",
        _replace('condition = "not truce"', 'condition = "truce.__class__"'),
        "agents[1].preconditions[0].condition",
        ("__class__", 1),
        "attribute access",
    ),
    (
        "precondition-dunder",
        _replace('condition = "not truce"', 'condition = "__builtins__"'),
        "agents[1].preconditions[0].condition",
        ("__builtins__", 1),
        "names starting with '_'",
    ),
    (
        "soft-without-cost",
        _replace('kind = "hard"', 'kind = "soft"'),
        "agents[1].preconditions[0].cost",
        ("[[agents.preconditions]]", 1),
        "a soft precondition needs a cost",
    ),
    (
        "negative-probability",
        lambda t: t.replace('calm = "q"', "calm = -0.5").replace('angry = "1 - q"', "angry = 1.5"),
        "chance[0].outcomes.calm",
        ("calm = -0.5", 1),
        "negative",
    ),
    (
        "negative-probability-expression",
        lambda t: t.replace('calm = "q"', 'calm = "q - 1"').replace('angry = "1 - q"', 'angry = "2 - q"'),
        "chance[0].outcomes",
        ("[chance.outcomes]", 1),
        "negative",
    ),
    (
        "probabilities-sum",
        _replace('calm = "q"', "calm = 0.3"),
        "chance[0].outcomes",
        ("[chance.outcomes]", 1),
        "sum to 0.8",
    ),
    (
        "probability-uses-the-state",
        _replace('calm = "q"', 'calm = "truce"'),
        "chance[0].outcomes.calm",
        ('calm = "truce"', 1),
        "cannot be used here",
    ),
    (
        "nan-parameter",
        _replace("value = 2.0", "value = nan"),
        "parameters.war_cost.value",
        ("value = nan", 1),
        "finite",
    ),
    (
        "inf-parameter",
        _replace("value = 2.0", "value = -inf"),
        "parameters.war_cost.value",
        ("value = -inf", 1),
        "finite",
    ),
    ("nan-probability", _replace('calm = "q"', "calm = nan"), "chance[0].outcomes.calm", ("calm = nan", 1), "NaN"),
    (
        "nan-counterfactual",
        _replace("war_cost = 0.0 }", "war_cost = nan }"),
        "expect[0].counterfactual.war_cost",
        ("counterfactual", 1),
        "finite",
    ),
    (
        "string-for-number",
        _replace("value = 2.0", 'value = "two"'),
        "parameters.war_cost.value",
        ('value = "two"', 1),
        "expected a number, got a string",
    ),
    (
        "boolean-for-number",
        _replace("value = 0.5", "value = true"),
        "parameters.q.value",
        ("value = true", 1),
        "expected a number, got a boolean",
    ),
    (
        "string-for-bound",
        _replace("at_least = 0.9", 'at_least = "high"'),
        "expect[0].at_least",
        ('at_least = "high"', 1),
        "expected a number",
    ),
    (
        "bound-outside-0-1",
        _replace("at_least = 0.9", "at_least = 1.5"),
        "expect[0].at_least",
        ("at_least = 1.5", 1),
        "[0, 1]",
    ),
    (
        "string-for-integer",
        _replace("max_nodes = 1000", 'max_nodes = "many"'),
        "scenario.max_nodes",
        ("max_nodes", 1),
        "expected a whole number",
    ),
    (
        "table-for-array-of-tables",
        _replace("[[issues]]", "[issues]"),
        "issues",
        ("[issues]", 1),
        "expected an array of tables",
    ),
    (
        "table-for-values",
        _replace("values = [false, true]", "values = { a = 1 }"),
        "issues[0].values",
        ("values = {", 1),
        "list of values",
    ),
    (
        "table-for-observers",
        _replace('observed_by = ["Moscow"]', "observed_by = { Moscow = true }"),
        "chance[0].observed_by",
        ("observed_by", 1),
        "list of agent names",
    ),
    (
        "string-for-sources",
        _replace('title = "A minimal truce"', 'title = "A minimal truce"\nsources = "Reuters"'),
        "scenario.sources",
        ("sources", 1),
        "list of strings",
    ),
    (
        "array-for-payoff",
        _replace('payoff = "1 + truce"', "payoff = [1, 2]"),
        "agents[1].payoff",
        ("payoff = [1, 2]", 1),
        "expected an expression",
    ),
    (
        "string-for-end",
        _replace("end = true", 'end = "yes"'),
        "stages[0].moves[1].end",
        ('end = "yes"', 1),
        "true or false",
    ),
    (
        "payoff-unknown-name",
        _replace("war_cost * (not truce)", "war_cst * (not truce)"),
        "agents[0].payoff",
        ("war_cst", 1),
        "did you mean 'war_cost'?",
    ),
    (
        "empty-protocol",
        lambda t: t[: t.index("[[stages]]")] + t[t.index("[[expect]]") :],
        "stages",
        None,
        "the protocol is empty",
    ),
    (
        "stage-without-moves",
        lambda t: re.sub(r'\[\[stages\.moves\]\]\nname = "(accept|refuse)"\n(set = .*\n)?', "", t),
        "stages[1].moves",
        ("[[stages]]", 2),
        "has no moves",
    ),
    (
        "over-the-size-limit",
        _replace("max_nodes = 1000", "max_nodes = 5"),
        "scenario.max_nodes",
        ("max_nodes = 5", 1),
        "more than 5 nodes",
    ),
    (
        "parameter-without-source",
        _replace('value = 2.0\nsource = "assumption"\n', "value = 2.0\n"),
        "parameters.war_cost.source",
        ("[parameters.war_cost]", 1),
        "needs a source",
    ),
    (
        "parameter-with-empty-source",
        _replace('value = 2.0\nsource = "assumption"', 'value = 2.0\nsource = " "'),
        "parameters.war_cost.source",
        ('source = " "', 1),
        "needs a source",
    ),
    (
        "duplicate-agent",
        lambda t: t.replace('name = "Moscow"', 'name = "Kyiv"').replace('"Moscow"', '"Kyiv"'),
        "agents[1].name",
        ('name = "Kyiv"', 2),
        "the name 'Kyiv' is used twice",
    ),
    (
        "duplicate-stage",
        _replace('name = "answer"', 'name = "offer"'),
        "stages[1].name",
        ('name = "offer"', 2),
        "the name 'offer' is used twice",
    ),
    (
        "duplicate-move",
        _replace('name = "refuse"', 'name = "accept"'),
        "stages[1].moves[1].name",
        ('name = "accept"', 2),
        "the name 'accept' is used twice",
    ),
    (
        "duplicate-issue",
        _replace("[[agents]]", '[[issues]]\nname = "truce"\nvalues = ["a", "b"]\n\n[[agents]]'),
        "issues[1].name",
        ('name = "truce"', 2),
        "the name 'truce' is used twice",
    ),
    (
        "counterfactual-unknown-parameter",
        _replace("war_cost = 0.0 }", "war_cots = 0.0 }"),
        "expect[0].counterfactual.war_cots",
        ("counterfactual", 1),
        "unknown parameter 'war_cots'; did you mean",
    ),
    (
        "chance-after-unknown-stage",
        _replace('name = "mood"', 'name = "mood"\nafter = "offr"'),
        "chance[0].after",
        ('after = "offr"', 1),
        "did you mean 'offer'?",
    ),
    (
        "bad-issue-initial",
        _replace("values = [false, true]", 'values = [false, true]\ninitial = "maybe"'),
        "issues[0].initial",
        ('initial = "maybe"', 1),
        "not a value of truce",
    ),
    (
        "value-outside-its-range",
        _replace("value = 2.0\n", "value = 2.0\nrange = [0.0, 1.0]\n"),
        "parameters.war_cost.value",
        ("value = 2.0", 1),
        "outside its range",
    ),
    (
        "prior-with-zero-sd",
        _replace("value = 2.0\n", 'value = 2.0\nprior = { dist = "normal", mean = 1.0, sd = 0.0 }\n'),
        "parameters.war_cost.prior.sd",
        ("prior =", 1),
        "sd must be positive",
    ),
    (
        "tremble-too-large",
        lambda t: t + "\n[solver]\ntremble = 0.5\n",
        "solver.tremble",
        ("tremble = 0.5", 1),
        "[0, 0.1)",
    ),
    (
        "unknown-solver-method",
        lambda t: t + '\n[solver]\nmethod = "cfrr"\n',
        "solver.method",
        ('method = "cfrr"', 1),
        "did you mean 'cfr'?",
    ),
    (
        "zero-max-nodes",
        _replace("max_nodes = 1000", "max_nodes = 0"),
        "scenario.max_nodes",
        ("max_nodes = 0", 1),
        "at least 1",
    ),
    (
        "prior-beyond-the-range",
        _replace("value = 0.5\n", 'value = 0.5\nrange = [0.0, 1.0]\nprior = { dist = "normal", mean = 0.5, sd = 1 }\n'),
        "parameters.q.prior",
        ("prior =", 1),
        "the prior draws from [-inf, inf], beyond the parameter's range [0, 1]; truncate it with low and high",
    ),
    (
        "max-nodes-above-the-ceiling",
        _replace("max_nodes = 1000", "max_nodes = 1000000000000"),
        "scenario.max_nodes",
        ("max_nodes = 1000000000000", 1),
        "at most 100,000,000",
    ),
    (
        "look-alike-parameter-name",
        _replace("[parameters.q]", '[parameters."\uff51"]'),
        "parameters.\uff51",
        ('[parameters."\uff51"]', 1),
        "look-alike characters (an expression would read it as 'q')",
    ),
    (
        "reserved-name",
        lambda t: t.replace('name = "offer"', 'name = "min"').replace("offer ==", "min =="),
        "stages[0].name",
        ('name = "min"', 1),
        "reserved",
    ),
]

IDS = [case[0] for case in BAD]


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "bad.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _load_and_compile(path: Path):
    scenario = load_scenario(path)
    return scenario.compile()


# ---------------------------------------------------------------------------- valid scenarios
def test_minimal_fixture_is_valid(write):
    path = write(MINIMAL, "mini.toml")
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name == "mini" and scenario.title == "A minimal truce"
    assert scenario.path == path
    neg = scenario.negotiation
    assert neg.agent_names == ("Kyiv", "Moscow")
    assert neg.parameter_values() == {"war_cost": 2.0, "q": 0.5}
    assert [s.name for s in neg.stages] == ["offer", "answer"]
    assert neg.max_nodes == 1000
    compiled = scenario.compile()
    assert isinstance(compiled, CompiledNegotiation)
    # mood (2) x offer: propose -> answer (2) or wait
    assert compiled.game.num_terminals == 6


def test_a_byte_order_mark_is_accepted_and_lines_still_count_from_the_first(write, tmp_path):
    # editors on Windows save "UTF-8 with BOM"; the Gambit readers accept it too
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert load_scenario(path).name == "mini"
    broken = MINIMAL.replace("max_nodes = 1000", "max_nodes = 0")
    path.write_bytes(b"\xef\xbb\xbf" + broken.encode("utf-8"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.line == _line(broken, "max_nodes = 0")


def test_bundled_scenario_is_listed_with_its_title():
    table = bundled_scenarios()
    assert "istanbul-2025" in table
    title, path = table["istanbul-2025"]
    assert title.startswith("The 2025 talks")
    assert path.name == "istanbul_2025.toml" and path.is_file()


@pytest.mark.parametrize(
    "spec", ["istanbul-2025", " istanbul-2025 ", "istanbul_2025", "istanbul_2025.toml"]
)
def test_bundled_scenario_loads_by_name_from_any_directory(spec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario(spec)
    assert scenario.name == "istanbul-2025"
    assert [a.name for a in scenario.negotiation.agents] == ["Ukraine", "Russia", "US", "EU"]
    assert scenario.path == bundled_scenarios()["istanbul-2025"][1]


def test_bundled_scenario_loads_by_path(tmp_path, monkeypatch):
    path = bundled_scenarios()["istanbul-2025"][1]
    monkeypatch.chdir(tmp_path)
    by_path = load_scenario(str(path))
    assert by_path.name == "istanbul-2025"
    assert by_path.negotiation == load_scenario("istanbul-2025").negotiation
    # a copy elsewhere loads by its own path
    copy = tmp_path / "copy.toml"
    copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_scenario(copy).path == copy
    assert scenario_path(copy) == copy


def test_unknown_scenario_name_suggests_the_nearest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match=r"no scenario named 'istambul-2025'; did you mean 'istanbul-2025'\?"):
        load_scenario("istambul-2025")


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nowhere" / "missing.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing)
    assert str(missing) in str(info.value)
    assert "no such file" in str(info.value)


def test_parse_scenario_names_its_source():
    with pytest.raises(ScenarioError) as info:
        parse_scenario(MINIMAL.replace("value = 2.0", 'value = "x"'), source="memory.toml")
    assert str(info.value).startswith("memory.toml:7: parameters.war_cost.value: ")


def test_not_utf8_is_refused(write, tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINIMAL.replace("A minimal truce", "Tr\xeave").encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8") as info:
        load_scenario(path)
    assert str(path) in str(info.value)


def test_with_values_checks_parameter_names(write):
    scenario = load_scenario(write(MINIMAL))
    assert scenario.with_values({"war_cost": 0.0}).negotiation.parameter_values()["war_cost"] == 0.0
    with pytest.raises(ScenarioError, match=r"--set: no parameter named 'war_cots'; did you mean 'war_cost'\?"):
        scenario.with_values({"war_cots": 1.0})


# ---------------------------------------------------------------------------- bad files
@pytest.mark.parametrize("case", BAD, ids=IDS)
def test_bad_scenario_error_names_file_key_and_line(case, write):
    _, mutate, key, where, fragment = case
    text = mutate(MINIMAL)
    assert text != MINIMAL
    path = write(text)
    with pytest.raises(ScenarioError) as info:
        _load_and_compile(path)
    err = info.value
    assert type(err) is ScenarioError
    message = str(err)
    assert "\n" not in message
    assert err.source == str(path)
    assert message.startswith(str(path))
    assert fragment in err.message, message
    assert err.key == key, message
    if key is not None:
        assert f": {key}: " in message
    if where is not None:
        line = _line(text, *where)
        assert err.line == line, message
        assert message.startswith(f"{path}:{line}: ")


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize("case", BAD, ids=IDS)
def test_bad_scenario_through_the_cli_in_process(case, command, write, capsys):
    _, mutate, key, _, _ = case
    path = write(mutate(MINIMAL))
    status = main([command, str(path)])
    out, err = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in err + out
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"negsim {command}: error: {path}")
    if key is not None:
        assert key in err


SUBPROCESS_CASES = ["toml-syntax", "precondition-import", "negative-probability-expression", "over-the-size-limit"]


@pytest.mark.parametrize("case_id, command", list(zip(SUBPROCESS_CASES, ["run", "check", "run", "check"], strict=True)))
def test_bad_scenario_through_the_cli_in_a_subprocess(case_id, command, tmp_path):
    case = BAD[IDS.index(case_id)]
    path = tmp_path / "bad.toml"
    path.write_text(case[1](MINIMAL), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "negsim", command, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"negsim {command}: error: {path}")
    if case[2] is not None:
        assert case[2] in proc.stderr


def test_invalid_expectation_condition_is_reported_by_check(write, capsys):
    text = MINIMAL.replace('condition = "truce"', 'condition = "truse"')
    path = write(text)
    status = main(["check", str(path)])
    _, err = capsys.readouterr()
    assert status == 2
    assert err.count("\n") == 1
    line = _line(text, 'condition = "truse"')
    assert err.startswith(f"negsim check: error: {path}:{line}: expect[0].condition: ")
    assert "did you mean 'truce'?" in err


# ---------------------------------------------------------------------------- known bugs
def test_huge_integer_parameter_is_refused_cleanly(write):
    path = write(MINIMAL.replace("value = 2.0", "value = 1" + "0" * 400))
    with pytest.raises(ScenarioError):
        _load_and_compile(path)


def test_huge_integer_issue_value_is_refused_cleanly(write):
    text = MINIMAL.replace(
        "[[agents]]", '[[issues]]\nname = "troops"\nvalues = [0, 1' + "0" * 400 + "]\n\n[[agents]]", 1
    )
    text = text.replace('payoff = "1 + truce"', 'payoff = "1 + truce + troops"')
    with pytest.raises(ScenarioError):
        _load_and_compile(write(text))


@pytest.mark.parametrize("command", ["run", "check"])
def test_solver_tolerance_must_be_a_number(command, write, capsys):
    text = MINIMAL + '\n[solver]\ntolerance = "tight"\n'
    path = write(text)
    status = main([command, str(path)])
    _, err = capsys.readouterr()
    assert status == 2
    assert err.startswith(f"negsim {command}: error: {path}:{_line(text, 'tolerance')}: solver.tolerance: ")


def test_unknown_solver_method_names_the_file_and_key(write, capsys):
    text = MINIMAL + '\n[solver]\nmethod = "cfr++"\n'
    path = write(text)
    status = main(["run", str(path)])
    _, err = capsys.readouterr()
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(f"negsim run: error: {path}:{_line(text, 'method =')}: solver.method: ")


# ---------------------------------------------------------------------------- fuzzing
ISTANBUL = bundled_scenarios()["istanbul-2025"][1].read_text(encoding="utf-8")
_TOKEN = re.compile(r"\w+|[^\w\s]")
REPLACEMENTS = [
    "",
    "0",
    "1",
    "-1",
    "0.5",
    "1.5",
    "1e400",
    "-1e-9",
    "nan",
    "inf",
    "-inf",
    "true",
    "false",
    "[",
    "]",
    "{",
    "}",
    "[[",
    "]]",
    '"',
    "'",
    '"""',
    "=",
    ".",
    ",",
    "#",
    "\\",
    "\n",
    "[]",
    "{}",
    '""',
    '"x"',
    "[1, 2]",
    "{ a = 1 }",
    "__import__('os')",
    "\"__import__('os')\"",
    '"a.__class__"',
    "2025-05-16",
    "stages",
    "agents",
    "issues",
    "chance",
    "expect",
    "parameters",
    "moves",
    "name",
    "agent",
    "set",
    "when",
    "end",
    "after",
    "observed_by",
    "outcomes",
    "kind",
    "soft",
    "hard",
    "cost",
    "Kyiv",
    "Moscow",
    "Russia",
    "truce",
    "offer",
    "answer",
    "accept",
    "q",
    "war_cost",
    "skipped",
    "min",
    "é",
    "\x00",
    "\ud7ff",
]


@st.composite
def mutations(draw, base: str):
    lines = base.splitlines(keepends=True)
    kind = draw(st.sampled_from(["delete", "duplicate", "token", "truncate", "insert", "swap"]))
    if kind == "delete":
        i = draw(st.integers(0, len(lines) - 1))
        return "".join(lines[:i] + lines[i + 1 :])
    if kind == "duplicate":
        i = draw(st.integers(0, len(lines) - 1))
        return "".join(lines[: i + 1] + lines[i:])
    if kind == "swap":
        i = draw(st.integers(0, len(lines) - 2))
        return "".join(lines[:i] + [lines[i + 1], lines[i]] + lines[i + 2 :])
    if kind == "truncate":
        return base[: draw(st.integers(0, len(base)))]
    if kind == "insert":
        at = draw(st.integers(0, len(base)))
        return base[:at] + draw(st.text(max_size=20)) + base[at:]
    tokens = list(_TOKEN.finditer(base))
    out = base
    for _ in range(draw(st.integers(1, 3))):
        tokens = list(_TOKEN.finditer(out))
        match = tokens[draw(st.integers(0, len(tokens) - 1))]
        out = out[: match.start()] + draw(st.sampled_from(REPLACEMENTS)) + out[match.end() :]
    return out


def _load_or_refuse(path: Path) -> None:
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        assert type(exc) is ScenarioError
        assert exc.source == str(path) or str(path) in str(exc)
        assert "\n" not in str(exc)
        if exc.line is not None:
            assert 1 <= exc.line <= path.read_bytes().count(b"\n") + 1
        return
    assert isinstance(scenario, Scenario)
    try:
        compiled = scenario.compile()
    except ScenarioError as exc:
        assert exc.source == str(path)
        return
    assert isinstance(compiled, CompiledNegotiation)
    assert compiled.game.num_terminals == compiled.num_terminals
    assert compiled.game.payoffs.shape == (compiled.num_terminals, len(scenario.negotiation.agents))


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


FUZZ = settings(deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(text=mutations(MINIMAL))
def test_fuzz_mutated_minimal_scenario(text, fuzz_dir):
    path = fuzz_dir / "mutated.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load_or_refuse(path)


@settings(FUZZ, max_examples=20)
@given(text=mutations(ISTANBUL))
def test_fuzz_mutated_istanbul_scenario(text, fuzz_dir):
    path = fuzz_dir / "istanbul.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load_or_refuse(path)


@FUZZ
@given(at=st.integers(0, len(MINIMAL)), junk=st.binary(min_size=1, max_size=16), truncate=st.booleans())
def test_fuzz_random_bytes(at, junk, truncate, fuzz_dir):
    raw = MINIMAL.encode("utf-8")
    data = raw[:at] + junk + (b"" if truncate else raw[at:])
    path = fuzz_dir / "bytes.toml"
    path.write_bytes(data)
    _load_or_refuse(path)


@FUZZ
@given(data=st.binary(max_size=200))
def test_fuzz_pure_random_bytes(data, fuzz_dir):
    path = fuzz_dir / "random.toml"
    path.write_bytes(data)
    _load_or_refuse(path)


# ---------------------------------------------------------------------------- keys = the model's fields
# Each section of a file fills one model class; its keys are that class's dataclass fields.
# The documented differences: [scenario] holds the Negotiation fields that are not sections
# of their own, [[expect]] fills Negotiation.expectations, and a parameter's name is the key of
# its table ([parameters.NAME]) rather than a key inside it.
_SECTION_MODELS = {
    "scenario": (Negotiation, {"agents", "issues", "stages", "chance", "parameters", "expectations", "solver"}),
    "parameters": (Parameter, {"name"}),
    "issues": (Issue, set()),
    "agents": (Agent, set()),
    "agents.preconditions": (Precondition, set()),
    "stages": (Stage, set()),
    "stages.moves": (Move, set()),
    "chance": (Chance, set()),
    "expect": (Expectation, set()),
}
_SECTION_KEYS = [
    (section, name)
    for section, (model, without) in _SECTION_MODELS.items()
    for name in sorted({f.name for f in dataclasses.fields(model)} - without)
]


def _template_data() -> dict:
    return tomllib.loads(template("truce"))


def _first(data: dict, section: str) -> dict:
    """The first table of a section in parsed data (``stages.moves`` -> the first stage's first move)."""
    if section == "parameters":
        return data["parameters"]["war_cost"]
    head, _, tail = section.partition(".")
    table = data[head][0] if isinstance(data[head], list) else data[head]
    return table[tail][0] if tail else table


def _first_model(negotiation: Negotiation, section: str):
    if section == "scenario":
        return negotiation
    if section == "parameters":
        return next(p for p in negotiation.parameters if p.name == "war_cost")
    head, _, tail = section.partition(".")
    element = getattr(negotiation, "expectations" if head == "expect" else head)[0]
    return getattr(element, tail)[0] if tail else element


def _plain(value):
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_the_section_models_are_the_negotiations_parts():
    negotiation_fields = {f.name for f in dataclasses.fields(Negotiation)}
    assert _SECTION_MODELS["scenario"][1] <= negotiation_fields
    assert {"scenario", *_SECTION_MODELS} >= {"scenario", "parameters", "agents", "stages", "chance", "expect"}


@pytest.mark.parametrize(("section", "key"), _SECTION_KEYS, ids=[f"{s}.{k}" for s, k in _SECTION_KEYS])
def test_every_field_of_a_sections_model_is_a_key_that_reaches_the_model(section, key):
    # the declared example of the key (the format reference's) must come out in the model's field
    declared = next(s for s in SECTIONS if s.path == section)
    example = declared.key(key).example
    data = _template_data()
    if example is None:  # a list of tables (preconditions, moves): the template already has one
        example = _first(data, section)[key]
    elif section == "stages.moves" and key == "name":
        example = "propose_now"  # move names are unique in their stage
    _first(data, section)[key] = copy.deepcopy(example)
    scenario = parse_scenario(_document(data))
    value = getattr(_first_model(scenario.negotiation, section), key)
    if isinstance(example, list) and example and isinstance(example[0], dict):
        assert len(value) == len(example)  # tables became model objects
    else:
        assert _plain(value) == _plain(example)


def _document(data: dict) -> str:
    """A TOML document from parsed data (one inline value per top-level key)."""
    return "\n".join(f"{key} = {toml_value(value)}" for key, value in data.items()) + "\n"


_HEADERS = {
    "scenario": "[scenario]",
    "solver": "[solver]",
    "parameters": "[parameters.war_cost]",
    "issues": "[[issues]]",
    "agents": "[[agents]]",
    "agents.preconditions": "[[agents.preconditions]]",
    "stages": "[[stages]]",
    "stages.moves": "[[stages.moves]]",
    "chance": "[[chance]]",
    "expect": "[[expect]]",
}


def _path_of(data, key: str, path: str = "") -> str | None:
    """The key path (``agents[0].preconditions[0].colour``) of the first ``key`` in parsed data."""
    if isinstance(data, dict):
        for k, v in data.items():
            here = f"{path}.{k}" if path else k
            if k == key:
                return here
            found = _path_of(v, key, here)
            if found:
                return found
    if isinstance(data, list):
        for i, v in enumerate(data):
            found = _path_of(v, key, f"{path}[{i}]")
            if found:
                return found
    return None


@pytest.mark.parametrize("section", [*_HEADERS, ""])
def test_a_key_outside_the_model_is_refused_with_file_key_and_line(section, tmp_path):
    lines = template("truce").splitlines()
    if section:
        at = next(i for i, line in enumerate(lines) if line.split("#")[0].strip() == _HEADERS[section]) + 1
    else:
        at = next(i for i, line in enumerate(lines) if line.startswith("[")) - 1  # before the first table
    lines.insert(at, 'colour = "blue"')
    path = tmp_path / "colour.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    where = _path_of(tomllib.loads(path.read_text(encoding="utf-8")), "colour")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    assert error.message.startswith("unknown key 'colour'")
    assert (error.source, error.key, error.line) == (str(path), where, at + 1)
    assert str(path) in str(error) and str(at + 1) in str(error)
