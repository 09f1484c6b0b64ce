"""Safe expressions over the negotiation state and parameters.

Preconditions (``"withdrawn_regions >= 4 and neutrality"``), payoffs
(``"war_value - bite * (eu_sanctions == 'massive')"``) and chance probabilities are
written as small expressions. They are parsed with Python's :mod:`ast` into a whitelist of
node types and compiled into closures over numpy arrays -- never passed to ``eval``.

Allowed in every expression: names, numbers, strings, ``True``/``False`` (also
``true``/``false``), comparisons (``== != < <= > >=``, chained), ``in`` / ``not in`` a
literal set, tuple or list, and ``and``/``or``/``not``. Value expressions (payoffs,
probabilities, costs) may also use ``+ - * / **``, unary minus, ``x if condition else y``
and the functions ``min``, ``max`` and ``abs``. Attribute access, subscripts, other calls,
lambdas, comprehensions and names starting with an underscore are refused.

Names have types: a *number* (a numeric issue or a parameter), a *boolean* issue, or a
*category* (an issue whose values are strings). A category compares with its own values
only, and ``<``-style comparisons follow the order in which the issue lists its values.
Evaluation is vectorized: every name maps to an array (categories to integer codes), and
the result broadcasts over all of them -- a batch of states ``[T]`` against a batch of
parameters ``[B, 1]`` gives ``[B, T]`` in one call.
"""

from __future__ import annotations

import ast
import difflib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.errors import ScenarioError

__all__ = ["NameType", "Expression", "parse_expression", "NUMBER", "BOOLEAN"]

MAX_LENGTH = 4000
"""Longest expression accepted (characters)."""

_PARSE_LOCK = threading.Lock()
# CPython 3.11's ast.parse is not safe in several threads at once (a "recursion depth mismatch"
# SystemError seen when a sweep's thread pool compiles scenarios), so parsing is serialized.

MAX_DEPTH = 60
"""Deepest nesting of operations accepted."""

NUMBER = "number"
BOOLEAN = "boolean"


@dataclass(frozen=True)
class NameType:
    """The type of a name in expressions.

    Attributes
    ----------
    kind : {"number", "boolean", "category"}
    values : tuple of str
        For a category, its values in order (their codes are 0, 1, ...).
    """

    kind: str
    values: tuple[str, ...] = ()

    @staticmethod
    def category(values: tuple[str, ...] | list[str]) -> NameType:
        return NameType("category", tuple(str(v) for v in values))


_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": np.minimum, "max": np.maximum, "abs": np.abs}
_COMPARE = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}
_BINARY = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_SYMBOL = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_REFUSED = {
    ast.Attribute: "attribute access (.) is not allowed",
    ast.Subscript: "subscripts ([...]) are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Slice: "slices are not allowed",
}


@dataclass(frozen=True, eq=False)
class _Node:
    """A compiled sub-expression: its static type and an evaluator over an environment."""

    kind: str  # "number", "boolean", "category", "string", "set"
    run: Callable[[Mapping[str, Any]], Any]
    category: tuple[str, ...] = ()
    constant: Any = None  # python value for string / number constants, set of values for "set"
    names: frozenset[str] = field(default_factory=frozenset)


class Expression:
    """A parsed, type-checked expression, evaluated with numpy.

    Use :func:`parse_expression` to make one.

    Attributes
    ----------
    text : str
        The source text.
    mode : {"condition", "value"}
        Conditions give booleans; values give floats.
    names : frozenset of str
        The names the expression uses.
    """

    __slots__ = ("text", "mode", "names", "_node")

    def __init__(self, text: str, mode: str, node: _Node) -> None:
        self.text = text
        self.mode = mode
        self.names = node.names
        self._node = node

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, mode={self.mode!r})"

    def evaluate(self, env: Mapping[str, Any]) -> np.ndarray:
        """Evaluate over arrays.

        Parameters
        ----------
        env : mapping of name to array_like
            A value (or array of values) for every name in :attr:`names`; categories as
            integer codes. Arrays broadcast against each other.

        Returns
        -------
        ndarray
            ``bool`` for conditions, ``float64`` for values.
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self._node.run(env)
        if self.mode == "condition":
            return np.asarray(out, dtype=bool)
        return np.asarray(out, dtype=np.float64)


def parse_expression(
    text: Any,
    names: Mapping[str, NameType],
    *,
    mode: str = "condition",
    where: str = "expression",
    allow: frozenset[str] | set[str] | None = None,
) -> Expression:
    """Parse and type-check an expression.

    Parameters
    ----------
    text : str
        The expression.
    names : mapping of str to NameType
        Every name the expression may use, with its type.
    mode : {"condition", "value"}
        ``"condition"``: a boolean expression (comparisons, ``and``/``or``/``not``,
        boolean names; no arithmetic or calls). ``"value"``: a number (arithmetic,
        ``if``-``else``, ``min``/``max``/``abs``; conditions count as 0 or 1).
    where : str
        What the expression is (for error messages), e.g. ``"agents[1].payoff"``.
    allow : set of str, optional
        Restrict the usable names to this subset of ``names`` (others are reported as
        not allowed here).

    Returns
    -------
    Expression

    Raises
    ------
    ScenarioError
        For a syntax error, a refused construct, an unknown name (with the nearest valid
        name), or a type error such as comparing a category with a value it lacks.

    Examples
    --------
    >>> import numpy as np
    >>> names = {"withdrawn_regions": NameType(NUMBER), "neutrality": NameType(BOOLEAN),
    ...          "ceasefire": NameType.category(["none", "30-day", "permanent"])}
    >>> e = parse_expression("withdrawn_regions >= 4 and neutrality", names)
    >>> e.evaluate({"withdrawn_regions": np.array([4, 4, 2]), "neutrality": np.array([1, 0, 1])})
    array([ True, False, False])
    >>> parse_expression("ceasefire in {'30-day', 'permanent'}", names).evaluate({"ceasefire": np.array([0, 1, 2])})
    array([False,  True,  True])
    >>> parse_expression("__import__('os')", names)
    Traceback (most recent call last):
    ...
    negsim.errors.ScenarioError: expression: calls are not allowed in conditions (at column 1)
    """
    if mode not in ("condition", "value"):
        raise ValueError(f"mode must be 'condition' or 'value', not {mode!r}")
    if mode == "value" and isinstance(text, int | float) and not isinstance(text, bool):
        try:
            value = float(text)
        except OverflowError:
            raise ScenarioError("the number is too large", key=where) from None
        if not np.isfinite(value):
            raise ScenarioError(f"the number {text!r} is not finite", key=where)
        return Expression(str(text), mode, _Node(NUMBER, lambda env, v=value: v, constant=value))
    if mode == "condition" and isinstance(text, bool):
        flag = bool(text)
        return Expression(str(text).lower(), mode, _Node(BOOLEAN, lambda env, v=flag: v, constant=flag))
    if not isinstance(text, str):
        expected = "a string or a number" if mode == "value" else "a string"
        raise ScenarioError(f"expected {expected}, got {type(text).__name__} {text!r}", key=where)
    if len(text) > MAX_LENGTH:
        raise ScenarioError(f"expression is longer than {MAX_LENGTH} characters", key=where)
    if not text.strip():
        raise ScenarioError("expression is empty", key=where)
    source = " ".join(text.split())  # newlines inside TOML strings are just spaces
    try:
        with _PARSE_LOCK:
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = f" (at column {exc.offset})" if exc.offset else ""
        raise ScenarioError(f"syntax error in {source!r}: {exc.msg}{col}", key=where) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise ScenarioError(f"cannot parse {source[:80]!r}: {type(exc).__name__}", key=where) from None
    _refuse_look_alikes(tree, source, where)
    checker = _Compiler(names, mode, where, None if allow is None else frozenset(allow))
    try:
        node = checker.compile(tree.body, 0)
    except RecursionError:
        raise ScenarioError("expression is nested too deeply", key=where) from None
    if mode == "condition":
        if node.kind not in (BOOLEAN,):
            raise ScenarioError(f"{source!r} is not a condition (it gives a {node.kind})", key=where)
    else:
        if node.kind not in (NUMBER, BOOLEAN):
            raise ScenarioError(f"{source!r} is not a number (it gives a {node.kind})", key=where)
    return Expression(source, mode, node)


def _refuse_look_alikes(tree: ast.AST, source: str, where: str) -> None:
    """Refuse names that Python's parser normalized (NFKC): ``ｖ`` would silently read as ``v``.

    Python folds compatibility characters in identifiers (fullwidth letters, ligatures,
    mathematical alphabets) to their plain forms, so two names that look different in the
    file would be the same name here, and a name that looks like ``true`` would be ``true``.
    Every name must be written exactly as the parser reads it.
    """
    pending = [tree]  # ast.walk imports at each call; this walk runs with no import at all
    while pending:
        node = pending.pop()
        pending.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Name):
            raw = ast.get_source_segment(source, node)
            if raw is not None and raw != node.id:
                raise ScenarioError(
                    f"the name {raw!r} uses look-alike characters (it would read as {node.id!r}); "
                    "write names in plain letters",
                    key=where,
                )


class _Compiler:
    def __init__(self, names: Mapping[str, NameType], mode: str, where: str, allow: frozenset[str] | None) -> None:
        self.names = names
        self.mode = mode
        self.where = where
        self.allow = allow

    def fail(self, node: ast.AST, message: str) -> ScenarioError:
        col = getattr(node, "col_offset", None)
        suffix = f" (at column {col + 1})" if col is not None else ""
        return ScenarioError(f"{message}{suffix}", key=self.where)

    # ------------------------------------------------------------------ dispatch
    def compile(self, node: ast.AST, depth: int) -> _Node:
        if depth > MAX_DEPTH:
            raise self.fail(node, "expression is nested too deeply")
        for kind, message in _REFUSED.items():
            if isinstance(node, kind):
                raise self.fail(node, message)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BoolOp):
            return self.boolop(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.IfExp):
            return self.ifexp(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Set | ast.Tuple | ast.List):
            return self.literal_set(node, depth)
        raise self.fail(node, f"{type(node).__name__} is not allowed in expressions")

    # ------------------------------------------------------------------ leaves
    def constant(self, node: ast.Constant) -> _Node:
        value = node.value
        if isinstance(value, bool):
            return _Node(BOOLEAN, lambda env, v=value: v, constant=value)
        if isinstance(value, int | float):
            try:
                v = float(value)
            except OverflowError:
                raise self.fail(node, "the number is too large") from None
            if not np.isfinite(v):
                raise self.fail(node, f"the number {value!r} is not finite")
            return _Node(NUMBER, lambda env, v=v: v, constant=v)
        if isinstance(value, str):
            return _Node("string", lambda env, v=value: v, constant=value)
        raise self.fail(node, f"constants of type {type(value).__name__} are not allowed")

    def name(self, node: ast.Name) -> _Node:
        ident = node.id
        if ident in ("true", "false"):
            flag = ident == "true"
            return _Node(BOOLEAN, lambda env, v=flag: v, constant=flag)
        if ident.startswith("_"):
            raise self.fail(node, "names starting with '_' are not allowed")
        if ident in _FUNCTIONS:
            raise self.fail(node, f"{ident!r} is a function; call it as {ident}(a, b)")
        if ident not in self.names:
            close = difflib.get_close_matches(ident, list(self.names), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.fail(node, f"unknown name {ident!r}{hint}")
        if self.allow is not None and ident not in self.allow:
            raise self.fail(node, f"{ident!r} cannot be used here")
        typ = self.names[ident]
        names = frozenset([ident])

        def fetch(env, ident=ident):
            return env[ident]

        if typ.kind == BOOLEAN:
            return _Node(BOOLEAN, lambda env, f=fetch: np.asarray(f(env)).astype(bool), names=names)
        if typ.kind == "category":
            return _Node("category", fetch, category=typ.values, names=names)
        return _Node(NUMBER, fetch, names=names)

    def literal_set(self, node: ast.Set | ast.Tuple | ast.List, depth: int) -> _Node:
        items = []
        for elt in node.elts:
            if not isinstance(elt, ast.Constant) or not isinstance(elt.value, str | int | float | bool):
                raise self.fail(elt, "a set may only hold literal strings, numbers or booleans")
            items.append(elt.value)
        return _Node("set", lambda env: None, constant=tuple(items))

    # ------------------------------------------------------------------ operators
    def boolop(self, node: ast.BoolOp, depth: int) -> _Node:
        parts = [self.as_bool(self.compile(v, depth + 1), v) for v in node.values]
        op = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        names = frozenset().union(*(p.names for p in parts))

        def run(env, parts=parts, op=op):
            out = parts[0].run(env)
            for p in parts[1:]:
                out = op(out, p.run(env))
            return out

        return _Node(BOOLEAN, run, names=names)

    def unary(self, node: ast.UnaryOp, depth: int) -> _Node:
        inner = self.compile(node.operand, depth + 1)
        if isinstance(node.op, ast.Not):
            inner = self.as_bool(inner, node.operand)
            return _Node(BOOLEAN, lambda env, i=inner: np.logical_not(i.run(env)), names=inner.names)
        if isinstance(node.op, ast.USub | ast.UAdd):
            self.require_value(node)
            inner = self.as_number(inner, node.operand)
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            const = None if inner.constant is None else sign * inner.constant
            return _Node(NUMBER, lambda env, i=inner, s=sign: s * i.run(env), constant=const, names=inner.names)
        raise self.fail(node, "the operator ~ is not allowed")

    def binop(self, node: ast.BinOp, depth: int) -> _Node:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise self.fail(node, f"the operator {type(node.op).__name__} is not allowed")
        self.require_value(node)
        left = self.as_number(self.compile(node.left, depth + 1), node.left)
        right = self.as_number(self.compile(node.right, depth + 1), node.right)
        return _Node(
            NUMBER,
            lambda env, a=left, b=right, op=op: op(a.run(env), b.run(env)),
            names=left.names | right.names,
        )

    def ifexp(self, node: ast.IfExp, depth: int) -> _Node:
        self.require_value(node)
        test = self.as_bool(self.compile(node.test, depth + 1), node.test)
        yes = self.as_number(self.compile(node.body, depth + 1), node.body)
        no = self.as_number(self.compile(node.orelse, depth + 1), node.orelse)
        return _Node(
            NUMBER,
            lambda env, t=test, a=yes, b=no: np.where(t.run(env), a.run(env), b.run(env)),
            names=test.names | yes.names | no.names,
        )

    def call(self, node: ast.Call, depth: int) -> _Node:
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in _FUNCTIONS or self.mode != "value":
            if self.mode != "value":
                raise self.fail(node, "calls are not allowed in conditions")
            raise self.fail(node, "calls are not allowed (except min, max and abs)")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        args = [self.as_number(self.compile(a, depth + 1), a) for a in node.args]
        name = func.id
        if name == "abs" and len(args) != 1:
            raise self.fail(node, "abs takes one argument")
        if name in ("min", "max") and len(args) < 2:
            raise self.fail(node, f"{name} takes two or more arguments")
        fn = _FUNCTIONS[name]
        names = frozenset().union(*(a.names for a in args))

        def run(env, args=args, fn=fn, name=name):
            if name == "abs":
                return fn(args[0].run(env))
            out = args[0].run(env)
            for a in args[1:]:
                out = fn(out, a.run(env))
            return out

        return _Node(NUMBER, run, names=names)

    def compare(self, node: ast.Compare, depth: int) -> _Node:
        left = self.compile(node.left, depth + 1)
        parts = []
        for op, right_ast in zip(node.ops, node.comparators, strict=True):
            right = self.compile(right_ast, depth + 1)
            parts.append(self.one_comparison(node, op, left, right))
            left = right
        names = frozenset().union(*(p.names for p in parts))

        def run(env, parts=parts):
            out = parts[0].run(env)
            for p in parts[1:]:
                out = np.logical_and(out, p.run(env))
            return out

        return _Node(BOOLEAN, run, names=names)

    def one_comparison(self, node: ast.AST, op: ast.cmpop, left: _Node, right: _Node) -> _Node:
        symbol = _SYMBOL.get(type(op), type(op).__name__)
        names = left.names | right.names
        if isinstance(op, ast.In | ast.NotIn):
            if right.kind != "set":
                raise self.fail(node, f"'{symbol}' needs a literal set on its right, such as {{'a', 'b'}}")
            if left.kind == "category":
                codes = [self.code(node, left, v) for v in right.constant]
                values = np.array(codes, dtype=np.int64)
            elif left.kind in (NUMBER, BOOLEAN):
                if not all(isinstance(v, int | float | bool) for v in right.constant):
                    raise self.fail(node, f"a number can only be '{symbol}' a set of numbers")
                try:
                    values = np.array([float(v) for v in right.constant])
                except OverflowError:
                    raise self.fail(node, "a number in the set is too large") from None
            else:
                raise self.fail(node, f"the left side of '{symbol}' must be a name or a number")
            negate = isinstance(op, ast.NotIn)

            def run(env, a=left, values=values, negate=negate):
                out = np.isin(np.asarray(a.run(env)), values)
                return np.logical_not(out) if negate else out

            return _Node(BOOLEAN, run, names=names)
        fn = _COMPARE.get(type(op))
        if fn is None:
            raise self.fail(node, f"the comparison {type(op).__name__} is not allowed")
        if "set" in (left.kind, right.kind):
            raise self.fail(node, f"a set can only appear on the right of 'in' (not with '{symbol}')")
        # category against string (either side)
        if left.kind == "category" or right.kind == "category":
            cat, other = (left, right) if left.kind == "category" else (right, left)
            if other.kind == "string":
                code = self.code(node, cat, other.constant)
                if cat is left:
                    return _Node(BOOLEAN, lambda env, a=left, c=code, fn=fn: fn(a.run(env), c), names=names)
                return _Node(BOOLEAN, lambda env, b=right, c=code, fn=fn: fn(c, b.run(env)), names=names)
            if other.kind == "category" and other.category == cat.category:
                return _Node(BOOLEAN, lambda env, a=left, b=right, fn=fn: fn(a.run(env), b.run(env)), names=names)
            raise self.fail(
                node,
                f"cannot compare {self.describe(left)} with {self.describe(right)}",
            )
        if "string" in (left.kind, right.kind):
            if left.kind == right.kind == "string":
                raise self.fail(node, "comparing two strings is always true or false; compare a name with a string")
            raise self.fail(node, f"cannot compare {self.describe(left)} with {self.describe(right)}")
        a = self.as_number(left, node)
        b = self.as_number(right, node)
        return _Node(BOOLEAN, lambda env, a=a, b=b, fn=fn: fn(a.run(env), b.run(env)), names=names)

    # ------------------------------------------------------------------ helpers
    def code(self, node: ast.AST, category: _Node, value: Any) -> int:
        if not isinstance(value, str) or value not in category.category:
            close = difflib.get_close_matches(str(value), list(category.category), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            owner = next(iter(category.names), "the issue")
            raise self.fail(
                node,
                f"{value!r} is not a value of {owner} (values: {', '.join(repr(v) for v in category.category)}){hint}",
            )
        return category.category.index(value)

    def describe(self, n: _Node) -> str:
        if n.kind == "category":
            return f"{next(iter(n.names), 'a category')} (a category)"
        if n.kind == "string":
            return f"the string {n.constant!r}"
        return f"a {n.kind}"

    def require_value(self, node: ast.AST) -> None:
        if self.mode != "value":
            raise self.fail(node, "arithmetic is not allowed in conditions")

    def as_bool(self, n: _Node, node: ast.AST) -> _Node:
        if n.kind == BOOLEAN:
            return n
        raise self.fail(node, f"expected a condition, found {self.describe(n)}")

    def as_number(self, n: _Node, node: ast.AST) -> _Node:
        if n.kind == NUMBER:
            return n
        if n.kind == BOOLEAN:
            return _Node(NUMBER, lambda env, i=n: np.asarray(i.run(env), dtype=np.float64), names=n.names)
        raise self.fail(node, f"expected a number, found {self.describe(n)}")
