"""Safe expressions: results on hand-written cases, refusals, nothing executed, fuzzing."""

from __future__ import annotations

import ast
import builtins
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negsim
from negsim import ScenarioError
from negsim.negotiation import NameType, parse_expression
from negsim.negotiation.expressions import BOOLEAN, MAX_DEPTH, MAX_LENGTH, NUMBER

NAMES = {
    "n": NameType(NUMBER),
    "k": NameType(NUMBER),
    "flag": NameType(BOOLEAN),
    "other": NameType(BOOLEAN),
    "ceasefire": NameType.category(["none", "30-day", "permanent"]),
    "level": NameType.category(["low", "mid", "high"]),
    "cost": NameType(NUMBER),  # a parameter in the broadcasting tests
    "prob": NameType(NUMBER),
}

# four states: n, k, flag, other, ceasefire (codes), level (codes)
ENV = {
    "n": np.array([0.0, 2.0, 4.0, 6.0]),
    "k": np.array([1.0, 1.0, -3.0, 0.5]),
    "flag": np.array([False, True, False, True]),
    "other": np.array([True, True, False, False]),
    "ceasefire": np.array([0, 1, 2, 1]),
    "level": np.array([2, 0, 1, 2]),
    "cost": np.array([1.5, 1.5, 1.5, 1.5]),
    "prob": np.array([0.25, 0.25, 0.25, 0.25]),
}

T, F = True, False

CONDITIONS = [
    ("n >= 4", [F, F, T, T]),
    ("n == 2.0", [F, T, F, F]),
    ("n != 2", [T, F, T, T]),
    ("flag", [F, T, F, T]),
    ("not flag", [T, F, T, F]),
    ("true", [T, T, T, T]),
    ("False", [F, F, F, F]),
    ("not false", [T, T, T, T]),
    ("flag == true", [F, T, F, T]),
    ("flag and n >= 4", [F, F, F, T]),
    ("flag or n >= 4", [F, T, T, T]),
    ("flag and other or n > 5", [F, T, F, T]),
    ("not (flag or n > 5)", [T, F, T, F]),
    ("flag and (other or n > 5)", [F, T, F, T]),
    ("ceasefire == '30-day'", [F, T, F, T]),
    ("'30-day' == ceasefire", [F, T, F, T]),
    ("ceasefire != 'none'", [F, T, T, T]),
    # categories are ordered as their values are listed: none < 30-day < permanent
    ("ceasefire > 'none'", [F, T, T, T]),
    ("ceasefire >= '30-day'", [F, T, T, T]),
    ("ceasefire < 'permanent'", [T, T, F, T]),
    ("'30-day' < ceasefire", [F, F, T, F]),
    ("'none' < ceasefire < 'permanent'", [F, T, F, T]),
    ("level >= 'mid'", [T, F, T, T]),
    ("level == level", [T, T, T, T]),
    # chained comparisons
    ("1 < n < 5", [F, T, T, F]),
    ("0 <= n <= 2 < 3", [T, T, F, F]),
    ("k < n <= 4", [F, T, T, F]),
    ("6 > n > k", [F, T, T, F]),
    # membership in literal sets, tuples and lists
    ("n in {2, 6}", [F, T, F, T]),
    ("n not in (2, 6)", [T, F, T, F]),
    ("n in [4.0]", [F, F, T, F]),
    ("n in []", [F, F, F, F]),
    ("flag in {True}", [F, T, F, T]),
    ("ceasefire in {'30-day', 'permanent'}", [F, T, T, T]),
    ("ceasefire not in ['none']", [F, T, T, T]),
    ("ceasefire in ('permanent',) and flag", [F, F, F, F]),
    ("level in {'low', 'high'} or ceasefire == 'permanent'", [T, T, T, T]),
]


@pytest.mark.parametrize("text, expected", CONDITIONS)
def test_conditions(text, expected):
    expr = parse_expression(text, NAMES)
    assert expr.mode == "condition"
    out = expr.evaluate(ENV)
    assert out.dtype == bool
    np.testing.assert_array_equal(np.broadcast_to(out, (4,)), expected)


VALUES = [
    ("n * 2 + 1", [1, 5, 9, 13]),
    ("n / 4", [0, 0.5, 1, 1.5]),
    ("n ** 2", [0, 4, 16, 36]),
    ("2 ** -1", [0.5] * 4),
    ("-n", [0, -2, -4, -6]),
    ("+n - k", [-1, 1, 7, 5.5]),
    ("2 - n * k", [2, 0, 14, -1]),
    ("(2 - n) * k", [2, 0, 6, -2]),
    ("3 if flag else -1", [-1, 3, -1, 3]),
    ("n if ceasefire == '30-day' else k * 10", [10, 2, -30, 6]),
    ("min(n, 3)", [0, 2, 3, 3]),
    ("max(n, 1, 5)", [5, 5, 5, 6]),
    ("min(n, k, 0.75)", [0, 0.75, -3, 0.5]),
    ("abs(2 - n)", [2, 0, 2, 4]),
    ("abs(k) + max(k, 0)", [2, 2, 3, 1]),
    # conditions count as 0 or 1
    ("flag + (ceasefire == 'permanent')", [0, 1, 1, 1]),
    ("n * flag", [0, 2, 0, 6]),
    ("10 * (not flag and n < 4)", [10, 0, 0, 0]),
    ("True", [1, 1, 1, 1]),
    ("7", [7, 7, 7, 7]),
    ("1e3", [1000] * 4),
    ("cost * (level == 'high') - prob", [1.25, -0.25, -0.25, 1.25]),
]


@pytest.mark.parametrize("text, expected", VALUES)
def test_values(text, expected):
    expr = parse_expression(text, NAMES, mode="value")
    assert expr.mode == "value"
    out = expr.evaluate(ENV)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.broadcast_to(out, (4,)), expected)


def test_numbers_and_booleans_given_as_such():
    assert float(parse_expression(2.5, {}, mode="value").evaluate({})) == 2.5
    assert float(parse_expression(-3, {}, mode="value").evaluate({})) == -3.0
    assert bool(parse_expression(True, {}).evaluate({})) is True
    assert bool(parse_expression(False, {}).evaluate({})) is False


def test_names_are_recorded():
    expr = parse_expression("cost * flag + min(n, k) if ceasefire == 'none' else 0", NAMES, mode="value")
    assert expr.names == frozenset({"cost", "flag", "n", "k", "ceasefire"})
    assert parse_expression("1 < 2", NAMES).names == frozenset()
    assert "Expression(" in repr(expr)


def test_newlines_are_spaces():
    expr = parse_expression("flag\n  and n >= 4", NAMES)
    np.testing.assert_array_equal(expr.evaluate(ENV), [F, F, F, T])


def test_broadcasting_parameters_against_states():
    states = {k: ENV[k] for k in ("n", "k", "flag", "ceasefire")}
    cost = np.array([0.0, 1.0, 2.5])[:, None]  # [B, 1]
    prob = np.array([0.1, 0.5, 0.9])[:, None]
    env = {**states, "cost": cost, "prob": prob}
    value = parse_expression("cost * n - prob * (ceasefire == 'permanent') + flag", NAMES, mode="value")
    out = value.evaluate(env)
    assert out.shape == (3, 4)
    expected = cost * ENV["n"] - prob * (ENV["ceasefire"] == 2) + ENV["flag"]
    np.testing.assert_allclose(out, expected)
    cond = parse_expression("n >= cost and not flag", NAMES)
    out = cond.evaluate(env)
    assert out.shape == (3, 4) and out.dtype == bool
    np.testing.assert_array_equal(out, (ENV["n"] >= cost) & ~ENV["flag"])
    # a conditional value mixes both batches
    mixed = parse_expression("cost if n > 3 else max(prob, k)", NAMES, mode="value").evaluate(env)
    np.testing.assert_allclose(mixed, np.where(ENV["n"] > 3, cost, np.maximum(prob, ENV["k"])))


def test_allow_restricts_names():
    expr = parse_expression("cost + 1", NAMES, mode="value", allow={"cost"})
    assert float(expr.evaluate({"cost": 1.0})) == 2.0
    with pytest.raises(ScenarioError, match="'n' cannot be used here"):
        parse_expression("cost + n", NAMES, mode="value", allow={"cost"})


# ---------------------------------------------------------------------------- refusals
REFUSED = [
    # calls
    ("__import__('os')", "condition", "calls are not allowed"),
    ("__import__('os')", "value", "calls are not allowed"),
    ("open('x')", "condition", "calls are not allowed"),
    ("open('x')", "value", "calls are not allowed"),
    ("print(1)", "value", "calls are not allowed"),
    ("eval('1')", "value", "calls are not allowed"),
    ("exec('import os')", "value", "calls are not allowed"),
    ("getattr(n, 'real')", "value", "calls are not allowed"),
    ("min(n, 2) > 1", "condition", "calls are not allowed in conditions"),
    ("(lambda: 1)()", "value", "calls are not allowed"),
    # attribute access
    ("a.__class__", "condition", "attribute access"),
    ("().__class__.__bases__", "condition", "attribute access"),
    ("n.real", "value", "attribute access"),
    ("min.__self__", "value", "attribute access"),
    # subscripts and slices
    ("n[0]", "value", "subscripts"),
    ("n[0:1] == 1", "condition", "subscripts"),
    # lambdas, comprehensions, walrus, f-strings, dictionaries
    ("lambda: 1", "value", "lambda"),
    ("lambda x: x", "condition", "lambda"),
    ("[x for x in n]", "value", "comprehensions"),
    ("{x for x in (1, 2)}", "value", "comprehensions"),
    ("{x: 1 for x in (1, 2)}", "value", "comprehensions"),
    ("any(x for x in (1, 2))", "condition", "calls are not allowed"),
    ("(x for x in (1, 2))", "value", "comprehensions"),
    ("(y := 1)", "value", "assignment"),
    ("(flag := True)", "condition", "assignment"),
    ("f'{n}'", "value", "f-strings"),
    ("f'{n}' == 'x'", "condition", "f-strings"),
    ("{'a': 1}", "value", "dictionaries"),
    # dunder and underscore names
    ("__class__", "condition", "names starting with '_'"),
    ("__builtins__", "value", "names starting with '_'"),
    ("_n > 1", "condition", "names starting with '_'"),
    # operators outside the whitelist
    ("n // 2", "value", "not allowed"),
    ("n % 2", "value", "not allowed"),
    ("n @ n", "value", "not allowed"),
    ("n << 1", "value", "not allowed"),
    ("~n", "value", "not allowed"),
    ("n is 1", "condition", "not allowed"),
    ("n is not None", "condition", "not allowed"),
    # arithmetic, if-else and calls in conditions
    ("n + 1 > 2", "condition", "arithmetic is not allowed in conditions"),
    ("-n < 0", "condition", "arithmetic is not allowed in conditions"),
    ("flag if other else flag", "condition", "arithmetic is not allowed in conditions"),
    ("n * 2", "condition", "arithmetic is not allowed in conditions"),
    # types
    ("n", "condition", "not a condition"),
    ("ceasefire", "condition", "not a condition"),
    ("'none'", "condition", "not a condition"),
    ("ceasefire", "value", "not a number"),
    ("(1, 2)", "value", "not a number"),
    ("ceasefire + 1", "value", "expected a number"),
    ("not n", "condition", "expected a condition"),
    ("flag and n", "condition", "expected a condition"),
    ("ceasefire == 1", "condition", "cannot compare"),
    ("ceasefire == level", "condition", "cannot compare"),
    ("ceasefire < flag", "condition", "cannot compare"),
    ("n == 'none'", "condition", "cannot compare"),
    ("'a' == 'b'", "condition", "comparing two strings"),
    ("n in n", "condition", "needs a literal set"),
    ("n in {n}", "condition", "a set may only hold literal"),
    ("n in {'a'}", "condition", "a number can only be 'in' a set of numbers"),
    ("ceasefire in {1}", "condition", "is not a value of ceasefire"),
    ("'none' in {'none'}", "condition", "left side"),
    ("n == {1}", "condition", "a set can only appear on the right of 'in'"),
    ("abs(n, k)", "value", "abs takes one argument"),
    ("min(n)", "value", "min takes two or more arguments"),
    ("max(n, k, key=1)", "value", "keyword arguments"),
    ("min", "value", "is a function"),
    # constants
    ("None", "value", "not allowed"),
    ("...", "value", "not allowed"),
    ("b'x' == b'x'", "condition", "not allowed"),
    ("1j", "value", "not allowed"),
    ("1e999 > n", "condition", "not finite"),
    # syntax
    ("n >", "condition", "syntax error"),
    ("n = 1", "condition", "syntax error"),
    ("import os", "value", "syntax error"),
    ("flag; n", "condition", "syntax error"),
    ("", "condition", "empty"),
    ("   \n ", "value", "empty"),
]


@pytest.mark.parametrize("text, mode, fragment", REFUSED)
def test_refusals_raise_scenario_error(text, mode, fragment):
    with pytest.raises(ScenarioError) as info:
        parse_expression(text, NAMES, mode=mode, where="stages[0].when")
    assert type(info.value) is ScenarioError
    assert fragment in info.value.message
    assert info.value.key == "stages[0].when"
    assert str(info.value).startswith("stages[0].when: ")


@pytest.mark.parametrize(
    "value, mode",
    [
        (None, "condition"),
        ([1, 2], "value"),
        ({"a": 1}, "value"),
        (1.5, "condition"),
        (True, "value"),
        (float("nan"), "value"),
        (float("inf"), "value"),
        (b"flag", "condition"),
    ],
)
def test_refuses_non_strings(value, mode):
    with pytest.raises(ScenarioError):
        parse_expression(value, NAMES, mode=mode)


def test_unknown_name_suggests_the_nearest():
    with pytest.raises(ScenarioError, match=r"unknown name 'cease_fire'; did you mean 'ceasefire'\?"):
        parse_expression("cease_fire == 'none'", NAMES)
    with pytest.raises(ScenarioError, match=r"unknown name 'flga'; did you mean 'flag'\?"):
        parse_expression("flga", NAMES)
    with pytest.raises(ScenarioError) as info:
        parse_expression("zzzzzzzz > 1", NAMES)
    assert "unknown name 'zzzzzzzz'" in info.value.message
    assert "did you mean" not in info.value.message


def test_unknown_category_value_suggests_the_nearest():
    with pytest.raises(ScenarioError, match=r"'permanet' is not a value of ceasefire.*did you mean 'permanent'\?"):
        parse_expression("ceasefire == 'permanet'", NAMES)
    with pytest.raises(ScenarioError, match=r"'30 day' is not a value of ceasefire.*did you mean '30-day'\?"):
        parse_expression("ceasefire in {'none', '30 day'}", NAMES)
    with pytest.raises(ScenarioError, match=r"'hgh' is not a value of level.*did you mean 'high'\?"):
        parse_expression("'hgh' > level", NAMES)


def test_too_long_input_is_refused():
    text = " and ".join(["n > 1"] * (MAX_LENGTH // 9 + 10))
    assert len(text) > MAX_LENGTH
    with pytest.raises(ScenarioError, match="longer than"):
        parse_expression(text, NAMES)
    # just under the limit is fine
    fits = " and ".join(["n > 1"] * ((MAX_LENGTH - 10) // 10))
    assert len(fits) <= MAX_LENGTH
    assert parse_expression(fits, NAMES).evaluate(ENV).shape == (4,)


@pytest.mark.parametrize(
    "text, mode",
    [
        ("not " * (MAX_DEPTH + 5) + "flag", "condition"),
        ("-(" * (MAX_DEPTH + 5) + "n" + ")" * (MAX_DEPTH + 5), "value"),
        ("1 + " * (MAX_DEPTH + 5) + "1", "value"),
        ("(" * 300 + "n" + ")" * 300 + " > 1", "condition"),
        ("-" * 3000 + "1", "value"),
        ("not " * 900 + "flag", "condition"),
        ("[" * 1000 + "]" * 1000, "value"),
    ],
)
def test_too_deeply_nested_input_is_refused(text, mode):
    assert len(text) <= MAX_LENGTH
    with pytest.raises(ScenarioError):
        parse_expression(text, NAMES, mode=mode)


def test_moderate_nesting_is_accepted():
    text = "not " * (MAX_DEPTH // 2) + "flag"
    out = parse_expression(text, NAMES).evaluate(ENV)
    np.testing.assert_array_equal(out, ENV["flag"] if MAX_DEPTH // 2 % 2 == 0 else ~ENV["flag"])


def test_huge_integer_literal_is_refused_cleanly():
    with pytest.raises(ScenarioError):
        parse_expression("1" + "0" * 400 + " > n", NAMES)


def test_huge_integer_value_is_refused_cleanly():
    with pytest.raises(ScenarioError):
        parse_expression(10**400, NAMES, mode="value")


# ---------------------------------------------------------------------------- nothing is executed
HOSTILE = [
    "__import__('os').system('echo pwned')",
    "__import__('os')",
    "eval('1')",
    "exec('import os')",
    "open('/etc/passwd').read()",
    "open('x', 'w')",
    "print(1)",
    "breakpoint()",
    "compile('1', '', 'eval')",
    "globals()",
    "locals()['n']",
    "vars()",
    "input()",
    "exit()",
    "type('X', (), {})",
    "getattr(__builtins__, 'eval')('1')",
    "().__class__.__bases__[0].__subclasses__()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "(lambda: __import__('os'))()",
    "n.__class__.__mro__",
    "f'{__import__(\"os\")}'",
    "(x := __import__('os'))",
    "max(1, __import__('os').getpid())",
    "abs(eval('1'))",
    "min(1, exec('1'))",
    "1 if __import__('os') else 2",
    "flag and __import__('os')",
    "n in {__import__('os')}",
    "__import__",
    "__builtins__['eval']",
    "ceasefire == __import__('os').name",
    "import os",
    "os.system('ls')",
    "subprocess.run(['ls'])",
]


class Executed(BaseException):
    """Raised by the traps: a BaseException so that no `except Exception` can swallow it."""


def test_hostile_strings_are_never_executed(monkeypatch):
    calls: list[str] = []
    real_compile = builtins.compile

    def trap(name):
        def fake(*args, **kwargs):
            calls.append(name)
            raise Executed(name)

        return fake

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        # ast.parse is the only legitimate user of compile(): to an AST, never to code
        if not flags & ast.PyCF_ONLY_AST:
            calls.append("compile to code")
            raise Executed("compile")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    outcomes = []
    monkeypatch.setattr(os, "system", trap("os.system"))
    monkeypatch.setattr(os, "popen", trap("os.popen"))
    monkeypatch.setattr(subprocess, "Popen", trap("subprocess.Popen"))
    monkeypatch.setattr(builtins, "open", trap("open"))
    monkeypatch.setattr(builtins, "eval", trap("eval"))
    monkeypatch.setattr(builtins, "exec", trap("exec"))
    monkeypatch.setattr(builtins, "compile", ast_only_compile)
    monkeypatch.setattr(builtins, "__import__", trap("__import__"))
    try:
        for text in HOSTILE:
            for mode in ("condition", "value"):
                try:
                    parse_expression(text, NAMES, mode=mode)
                except ScenarioError:
                    outcomes.append((text, mode, "refused"))
                else:
                    outcomes.append((text, mode, "accepted"))
        # benign expressions parse and evaluate under the traps too
        benign = parse_expression("cost * (ceasefire in {'none'}) + max(n, k)", NAMES, mode="value")
        benign.evaluate(ENV)
        parse_expression("flag and 0 < n <= 4", NAMES).evaluate(ENV)
    finally:
        monkeypatch.undo()
    assert calls == []
    assert [o for o in outcomes if o[2] != "refused"] == []


def _library_sources():
    root = Path(negsim.__file__).parent
    files = sorted((root / "negotiation").glob("*.py")) + sorted((root / "scenarios").glob("*.py"))
    assert len(files) >= 5
    return files


def test_no_eval_or_exec_in_negotiation_and_scenarios():
    pattern = re.compile(r"(?<![\w.])(eval|exec)\s*\(")
    for path in _library_sources():
        text = path.read_text(encoding="utf-8")
        hits = [line for line in text.splitlines() if pattern.search(line)]
        assert hits == [], f"{path.name}: {hits}"
        # and, by the syntax tree, no call of eval/exec/compile/__import__ at all
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile", "__import__", "breakpoint"}, (
                    f"{path.name}:{node.lineno}: {node.func.id}("
                )


# ---------------------------------------------------------------------------- fuzzing
B, STATES = 3, 5
RNG = np.random.default_rng(7)
FUZZ_ENV = {
    "n": RNG.integers(0, 5, STATES).astype(float),
    "k": RNG.normal(size=STATES),
    "flag": RNG.integers(0, 2, STATES).astype(bool),
    "other": RNG.integers(0, 2, STATES).astype(bool),
    "ceasefire": RNG.integers(0, 3, STATES),
    "level": RNG.integers(0, 3, STATES),
    "cost": RNG.normal(size=(B, 1)),
    "prob": RNG.uniform(size=(B, 1)),
}


def _check_parse(text: str) -> None:
    for mode in ("condition", "value"):
        try:
            expr = parse_expression(text, NAMES, mode=mode)
        except ScenarioError as exc:
            assert type(exc) is ScenarioError
            assert str(exc)
            continue
        assert expr.names <= set(NAMES)
        out = expr.evaluate(FUZZ_ENV)
        assert isinstance(out, np.ndarray)
        assert out.dtype == (bool if mode == "condition" else np.float64)
        expected = np.broadcast_shapes(*(np.shape(FUZZ_ENV[n]) for n in expr.names)) if expr.names else ()
        assert out.shape == expected, (text, out.shape, expected)


FUZZ = pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")


@FUZZ
@settings(deadline=1000)
@given(st.text(max_size=120))
def test_fuzz_random_text(text):
    _check_parse(text)


@FUZZ
@settings(deadline=1000)
@given(st.text(alphabet="nkflagcesi_ ()[]{}.,:'\"=<>!+-*/%~&|@01234.5eE#\\\n", max_size=80))
def test_fuzz_random_text_from_expression_characters(text):
    _check_parse(text)


TOKENS = [
    *NAMES,
    "unknown_x",
    "cease_fire",
    "__import__",
    "__class__",
    "_x",
    "os",
    "open",
    "print",
    "eval",
    "min",
    "max",
    "abs",
    "true",
    "false",
    "True",
    "False",
    "None",
    "lambda",
    "for",
    "in",
    "not",
    "and",
    "or",
    "if",
    "else",
    "is",
    "await",
    "yield",
    "0",
    "1",
    "2.5",
    "1e3",
    "1e999",
    "0x10",
    "1_000",
    "-1",
    "3j",
    "'none'",
    "'30-day'",
    "'permanent'",
    "'mid'",
    "'bogus'",
    '"x"',
    "'",
    '"',
    "f'{n}'",
    "b'x'",
    "+",
    "-",
    "*",
    "/",
    "**",
    "//",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "=",
    ":=",
    "~",
    "@",
    "&",
    "|",
    "\\",
    "#",
    ";",
    "...",
    "\n",
]


@FUZZ
@settings(deadline=1000)
@given(st.lists(st.sampled_from(TOKENS), max_size=25), st.booleans())
def test_fuzz_token_soup(tokens, spaced):
    _check_parse((" " if spaced else "").join(tokens))


def _expressions():
    leaves = st.sampled_from(
        [
            *NAMES,
            "1",
            "0.5",
            "2",
            "true",
            "'none'",
            "'30-day'",
            "'high'",
            "'bogus'",
            "__import__",
            "_x",
            "unknown_x",
            "None",
            "()",
            "{'a', 'b'}",
            "(1, 2)",
            "[]",
        ]
    )

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "//", "%", "@"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "is"]), inner).map(
                lambda t: f"{t[0]} {t[1]} {t[2]}"
            ),
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda a: f"not {a}"),
            inner.map(lambda a: f"-{a}"),
            st.tuples(
                st.sampled_from(["min", "max", "abs", "open", "print", "__import__", "n"]), st.lists(inner, max_size=3)
            ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            st.lists(inner, max_size=3).map(lambda xs: "{" + ", ".join(xs) + "}"),
            inner.map(lambda a: f"{a}.__class__"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            inner.map(lambda a: f"(lambda: {a})"),
            inner.map(lambda a: f"[x for x in {a}]"),
            inner.map(lambda a: f"(y := {a})"),
            inner.map(lambda a: f"f'{{{a}}}'"),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@FUZZ
@settings(deadline=1000)
@given(_expressions())
def test_fuzz_structured_expressions(text):
    _check_parse(text)


@FUZZ
@settings(deadline=1000)
@given(_expressions(), st.integers(0, 200), st.sampled_from(TOKENS))
def test_fuzz_structured_expressions_with_a_corrupted_token(text, at, token):
    at = at % (len(text) + 1)
    _check_parse(text[:at] + token + text[at:])


# typed random expressions, each generated together with an independent numpy oracle
_CATEGORIES = {"ceasefire": ("none", "30-day", "permanent"), "level": ("low", "mid", "high")}
_CMP = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


@st.composite
def _numbers(draw, depth: int, arithmetic: bool):
    """(text, oracle) for a number-valued expression."""
    leaf = not arithmetic or depth <= 0 or draw(st.booleans())
    if leaf:
        choice = draw(st.sampled_from(["n", "k", "cost", "prob", "const"]))
        if choice == "const":
            value = draw(st.sampled_from([0, 1, 2, 0.5, 3.25, 10]))
            return str(value), lambda env, v=float(value): np.float64(v)
        return choice, lambda env, c=choice: env[c]
    kind = draw(st.sampled_from(["binary", "neg", "minmax", "abs", "ifelse", "bool"]))
    if kind == "binary":
        op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
        a, fa = draw(_numbers(depth - 1, arithmetic))
        b, fb = draw(_numbers(depth - 1, arithmetic))
        fn = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}[op]
        return f"({a} {op} {b})", lambda env: fn(fa(env), fb(env))
    if kind == "neg":
        a, fa = draw(_numbers(depth - 1, arithmetic))
        return f"(-({a}))", lambda env: -fa(env)
    if kind == "minmax":
        name = draw(st.sampled_from(["min", "max"]))
        args = draw(st.lists(_numbers(depth - 1, arithmetic), min_size=2, max_size=3))
        fn = np.minimum if name == "min" else np.maximum

        def run(env, args=args, fn=fn):
            out = args[0][1](env)
            for _, f in args[1:]:
                out = fn(out, f(env))
            return out

        return f"{name}({', '.join(a for a, _ in args)})", run
    if kind == "abs":
        a, fa = draw(_numbers(depth - 1, arithmetic))
        return f"abs({a})", lambda env: np.abs(fa(env))
    if kind == "ifelse":
        c, fc = draw(_conditions(depth - 1, arithmetic))
        a, fa = draw(_numbers(depth - 1, arithmetic))
        b, fb = draw(_numbers(depth - 1, arithmetic))
        return f"({a} if {c} else {b})", lambda env: np.where(fc(env), fa(env), fb(env))
    c, fc = draw(_conditions(depth - 1, arithmetic))
    return f"({c})", lambda env: np.asarray(fc(env), dtype=float)


@st.composite
def _conditions(draw, depth: int, arithmetic: bool):
    """(text, oracle) for a condition; without ``arithmetic`` it is valid in condition mode."""
    kinds = ["bool", "compare", "category", "member"] + (["and", "or", "not"] if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "bool":
        choice = draw(st.sampled_from(["flag", "other", "true", "false"]))
        if choice in ("true", "false"):
            return choice, lambda env, v=choice == "true": np.bool_(v)
        return choice, lambda env, c=choice: np.asarray(env[c], dtype=bool)
    if kind == "compare":
        items = draw(st.lists(_numbers(depth - 1, arithmetic), min_size=2, max_size=3))
        ops = draw(st.lists(st.sampled_from(sorted(_CMP)), min_size=len(items) - 1, max_size=len(items) - 1))
        text = items[0][0] + "".join(f" {op} {item[0]}" for op, item in zip(ops, items[1:], strict=True))

        def run(env, items=items, ops=ops):
            out = np.bool_(True)
            for (_, fa), op, (_, fb) in zip(items[:-1], ops, items[1:], strict=True):
                out = np.logical_and(out, _CMP[op](fa(env), fb(env)))
            return out

        return text, run
    if kind == "category":
        name = draw(st.sampled_from(sorted(_CATEGORIES)))
        op = draw(st.sampled_from(sorted(_CMP)))
        code = draw(st.integers(0, 2))
        value = _CATEGORIES[name][code]
        if draw(st.booleans()):
            return f"{name} {op} '{value}'", lambda env: _CMP[op](env[name], code)
        return f"'{value}' {op} {name}", lambda env: _CMP[op](code, env[name])
    if kind == "member":
        negate = draw(st.booleans())
        word = "not in" if negate else "in"
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(_CATEGORIES)))
            codes = draw(st.lists(st.integers(0, 2), max_size=3))
            listed = ", ".join(f"'{_CATEGORIES[name][c]}'" for c in codes)
            text = f"{name} {word} {{{listed}}}" if codes else f"{name} {word} []"
            return text, lambda env: np.isin(env[name], codes) != negate
        name = draw(st.sampled_from(["n", "k"]))
        values = draw(st.lists(st.sampled_from([0, 1, 2, 3, 4]), min_size=1, max_size=3))
        text = f"{name} {word} ({', '.join(map(str, values))},)"
        return text, lambda env: np.isin(env[name], values) != negate
    if kind == "not":
        a, fa = draw(_conditions(depth - 1, arithmetic))
        return f"not ({a})", lambda env: np.logical_not(fa(env))
    parts = draw(st.lists(_conditions(depth - 1, arithmetic), min_size=2, max_size=3))
    fn = np.logical_and if kind == "and" else np.logical_or

    def run(env, parts=parts, fn=fn):
        out = parts[0][1](env)
        for _, f in parts[1:]:
            out = fn(out, f(env))
        return out

    return "(" + f" {kind} ".join(p for p, _ in parts) + ")", run


def _oracle(fn):
    with np.errstate(all="ignore"):
        return fn(FUZZ_ENV)


@settings(deadline=1000)
@given(_conditions(4, arithmetic=False))
def test_random_conditions_match_an_independent_oracle(case):
    text, oracle = case
    out = parse_expression(text, NAMES).evaluate(FUZZ_ENV)
    expected = np.asarray(_oracle(oracle), dtype=bool)
    assert out.dtype == bool
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected, err_msg=text)


@settings(deadline=1000)
@given(_numbers(4, arithmetic=True))
def test_random_values_match_an_independent_oracle(case):
    text, oracle = case
    out = parse_expression(text, NAMES, mode="value").evaluate(FUZZ_ENV)
    expected = np.asarray(_oracle(oracle), dtype=np.float64)
    assert out.dtype == np.float64
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, equal_nan=True, err_msg=text)


@settings(deadline=1000)
@given(_conditions(3, arithmetic=True))
def test_random_conditions_with_arithmetic_are_values_not_conditions(case):
    text, oracle = case
    expected = np.asarray(_oracle(oracle), dtype=bool)
    # always fine in value mode (as 0 or 1) ...
    out = parse_expression(text, NAMES, mode="value").evaluate(FUZZ_ENV)
    np.testing.assert_array_equal(out, expected.astype(float), err_msg=text)
    # ... and in condition mode exactly when there is no arithmetic or call in it
    try:
        cond = parse_expression(text, NAMES)
    except ScenarioError as exc:
        assert "not allowed in conditions" in exc.message
        assert re.search(r"[-+*/]|\bif\b|\b(min|max|abs)\(", text.replace("30-day", ""))
    else:
        np.testing.assert_array_equal(cond.evaluate(FUZZ_ENV), expected, err_msg=text)


@pytest.mark.parametrize("text", ["ｖ + 1", "ｔｒｕｅ", "v > 1 and ｔｒｕｅ", "ﬁ"])
def test_look_alike_names_are_refused_not_normalized(text):
    # Python's parser folds fullwidth letters and ligatures (NFKC): 'ｖ' would silently be 'v'
    names = {"v": NameType(NUMBER), "fi": NameType(NUMBER)}
    with pytest.raises(ScenarioError, match="look-alike"):
        parse_expression(text, names, mode="value")
    assert parse_expression("v + fi", names, mode="value").evaluate({"v": np.array([1.0]), "fi": np.array([2.0])}) == 3
