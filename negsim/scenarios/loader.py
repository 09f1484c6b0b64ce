"""Scenario files: TOML in, a :class:`~negsim.negotiation.Negotiation` out, with precise errors.

A scenario file has the sections ``[scenario]`` (name, title, date, description,
sources, max_nodes), ``[solver]`` (method and options for ``negsim run``),
``[parameters.NAME]`` (value, source, range, prior, unit, description), ``[[agents]]``
(name, payoff, preconditions), ``[[issues]]``, ``[[stages]]`` (with ``[[stages.moves]]``),
``[[chance]]`` and ``[[expect]]``. Every error names the file, the key path
(``agents[1].preconditions[0].condition``) and, where it can, the line; a misspelt key or
name comes with the nearest valid one. The keys a section allows are the dataclass fields
of the model class it fills (:class:`~negsim.negotiation.Agent` for ``[[agents]]``, ...).

Bundled scenarios are found by name (``istanbul-2025``) from any directory after
``pip install``; any other ``.toml`` file is found by path.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from negsim.errors import ScenarioError
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
from negsim.negotiation.validation import check_values
from negsim.scenarios._lines import key_lines, line_of

__all__ = ["Scenario", "load_scenario", "parse_scenario", "bundled_scenarios", "scenario_path"]


def _fields(model: type, *, without: Iterable[str] = ()) -> frozenset[str]:
    return frozenset(f.name for f in fields(model)) - frozenset(without)


# The keys each section allows are the fields of the model class it fills, so that a field
# added to the model is a key of the file at once. Where a file's names differ from the
# model's: a top-level section fills the Negotiation field of its name, except [[expect]],
# which fills `expectations`; [scenario] holds the Negotiation's other fields; a parameter's
# name is the key of its table ([parameters.NAME]), not a key inside it.
_SECTION_FIELDS = {
    "solver": "solver",
    "parameters": "parameters",
    "agents": "agents",
    "issues": "issues",
    "stages": "stages",
    "chance": "chance",
    "expect": "expectations",
}
_ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"scenario", *_SECTION_FIELDS}),
    "scenario": _fields(Negotiation, without=_SECTION_FIELDS.values()),
    # Negotiation.solver is a plain mapping of options for `negsim run`, with no model class
    "solver": frozenset({"method", "iterations", "tremble", "tolerance"}),
    "parameters": _fields(Parameter, without={"name"}),
    "issues": _fields(Issue),
    "agents": _fields(Agent),
    "agents.preconditions": _fields(Precondition),
    "stages": _fields(Stage),
    "stages.moves": _fields(Move),
    "chance": _fields(Chance),
    "expect": _fields(Expectation),
}
_PRIOR_KEYS = {
    "uniform": {"low", "high"},
    "normal": {"mean", "sd", "low", "high"},
    "beta": {"a", "b", "low", "high"},
    "triangular": {"low", "mode", "high"},
}


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: the negotiation model plus where it came from.

    Attributes
    ----------
    negotiation : Negotiation
    path : Path or None
    name : str
    solver : dict
        Options for ``negsim run`` (``method``, ``iterations``, ``tremble``, ``tolerance``).
    """

    negotiation: Negotiation
    path: Path | None
    name: str
    solver: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return self.negotiation.title

    def error(self, exc: ScenarioError) -> ScenarioError:
        """The same error with this scenario's file and the line of its key."""
        if exc.source is not None:
            return exc
        line = exc.line if exc.line is not None else line_of(self.lines, exc.key)
        return ScenarioError(exc.message, source=str(self.path or self.name), line=line, key=exc.key)

    def compile(self, parameters: Mapping[str, Any] | None = None):
        """Compile the negotiation (errors name this file and line)."""
        try:
            return self.negotiation.compile(parameters)
        except ScenarioError as exc:
            raise self.error(exc) from None

    def with_values(self, values: Mapping[str, float]) -> Scenario:
        """The scenario with new default parameter values (for ``--set``)."""
        from dataclasses import replace

        try:
            negotiation = self.negotiation.with_values(values)
        except ScenarioError as exc:
            raise self.error(ScenarioError(exc.message, key="--set")) from None
        return replace(self, negotiation=negotiation)


# ---------------------------------------------------------------------------- lookup
def _bundled_dirs() -> list[Path]:
    dirs = []
    try:
        packaged = resources.files("negsim") / "_scenarios"
        if packaged.is_dir():
            dirs.append(Path(str(packaged)))
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):  # pragma: no cover
        pass
    repo = Path(__file__).resolve().parents[2] / "scenarios"
    if repo.is_dir():
        dirs.append(repo)
    return dirs


def bundled_scenarios() -> dict[str, tuple[str, Path]]:
    """The scenarios shipped with negsim: ``{name: (title, path)}``.

    Examples
    --------
    >>> "istanbul-2025" in bundled_scenarios()
    True
    """
    found: dict[str, tuple[str, Path]] = {}
    for folder in _bundled_dirs():
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(_read_text(path))
            except (ScenarioError, tomllib.TOMLDecodeError):
                continue
            meta = data.get("scenario", {}) if isinstance(data.get("scenario"), dict) else {}
            name = str(meta.get("name") or path.stem.replace("_", "-"))
            found.setdefault(name, (str(meta.get("title", "")), path))
    return found


def scenario_path(spec: str | Path) -> Path:
    """The file of a scenario given by path or by bundled name.

    Raises
    ------
    ScenarioError
        If ``spec`` is neither an existing file nor a bundled scenario's name.
    """
    text = str(spec)
    path = Path(text).expanduser()
    if path.is_file():
        return path
    table = bundled_scenarios()
    key = text.strip()
    if key in table:
        return table[key][1]
    for name, (_, p) in table.items():
        if key in (p.stem, p.name, name.replace("-", "_")):
            return p
    if text.endswith(".toml") or "/" in text:
        raise ScenarioError(f"{text}: no such file")
    close = difflib.get_close_matches(key, list(table), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ScenarioError(f"no scenario named {text!r}{hint} (bundled: {', '.join(table) or 'none'})")


def load_scenario(spec: str | Path) -> Scenario:
    """Load a scenario by bundled name (``"istanbul-2025"``) or by path.

    Raises
    ------
    ScenarioError
        For a missing file, a TOML syntax error, or an invalid scenario; the message
        names the file, the key and the line.

    Examples
    --------
    >>> scenario = load_scenario("istanbul-2025")
    >>> [agent.name for agent in scenario.negotiation.agents]
    ['Ukraine', 'Russia', 'US', 'EU']
    """
    path = scenario_path(spec)
    return parse_scenario(_read_text(path), source=str(path), path=path)


def _read_text(path: Path) -> str:
    """The text of a scenario file: every file the loader reads is read here."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", source=str(path)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"the file is not UTF-8 text (byte {exc.start})", source=str(path)) from None


def parse_scenario(text: str, *, source: str = "<scenario>", path: Path | None = None) -> Scenario:
    """Parse a scenario from TOML text.

    Raises
    ------
    ScenarioError
        With ``source``, the key path and the line of the first problem.
    """
    # Editors on Windows save "UTF-8 with BOM"; the BOM is not part of the TOML text (the
    # Gambit readers accept it too), and dropping it shifts no line number.
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ScenarioError(f"TOML syntax error: {message}", source=source, line=line) from None
    except (RecursionError, ValueError) as exc:
        raise ScenarioError(f"TOML syntax error: {type(exc).__name__}", source=source) from None
    lines = key_lines(text)
    try:
        return _build(data, path=path, lines=lines)
    except ScenarioError as exc:
        line = exc.line if exc.line is not None else line_of(lines, exc.key)
        raise ScenarioError(exc.message, source=source, line=line, key=exc.key) from None


# ---------------------------------------------------------------------------- schema
# The loader checks syntax only: the allowed keys of each section, required keys, and the
# type of every value. What the values mean (ranges, references between sections, the
# expressions) is checked by negsim.negotiation.validation, in one place for files and for
# negotiations written in Python.
def _build(data: dict[str, Any], *, path: Path | None, lines: dict[str, int]) -> Scenario:
    _keys(data, _ALLOWED_KEYS[""], "")
    meta = _table(data.get("scenario", {}), "scenario")
    _keys(meta, _ALLOWED_KEYS["scenario"], "scenario")
    solver = _solver_section(data.get("solver", {}))
    parameters = _parameters_section(data.get("parameters", {}))
    issues = _issues_section(data.get("issues", []))
    agents = _agents_section(data.get("agents", []))
    stages = _stages_section(data.get("stages", []))
    chance = _chance_section(data.get("chance", []))
    expectations = _expect_section(data.get("expect", []))
    negotiation = Negotiation(
        agents=tuple(agents),
        issues=tuple(issues),
        stages=tuple(stages),
        chance=tuple(chance),
        parameters=tuple(parameters),
        expectations=tuple(expectations),
        solver=solver,
        **_scenario_section(meta, path),
    )
    check_values(negotiation)
    return Scenario(negotiation=negotiation, path=path, name=negotiation.name, solver=dict(solver), lines=lines)


def _scenario_section(meta: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """``[scenario]`` (its keys already checked): the keyword arguments of :class:`Negotiation` it gives."""
    sources = meta.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ScenarioError("sources must be a list of strings", key="scenario.sources")
    max_nodes = _integer(meta.get("max_nodes", 200_000), "scenario.max_nodes")
    name = _string(meta.get("name", path.stem.replace("_", "-") if path else "scenario"), "scenario.name")
    return {
        "name": name,
        "title": _string(meta.get("title", name), "scenario.title"),
        "date": _string(str(meta.get("date", "")), "scenario.date"),
        "description": _string(meta.get("description", ""), "scenario.description"),
        "sources": tuple(sources),
        "max_nodes": max_nodes,
    }


def _solver_section(value: Any) -> dict[str, Any]:
    solver = _table(value, "solver")
    _keys(solver, _ALLOWED_KEYS["solver"], "solver")
    if "iterations" in solver:
        _integer(solver["iterations"], "solver.iterations")
    for key in ("tremble", "tolerance"):
        if key in solver:
            _number(solver[key], f"solver.{key}")
    if "method" in solver:
        _string(solver["method"], "solver.method")
    return dict(solver)


def _parameters_section(value: Any) -> list[Parameter]:
    parameters = []
    for name, spec in _table(value, "parameters").items():
        where = f"parameters.{name}"
        spec = _table(spec, where) if isinstance(spec, dict) else {"value": spec, "source": None}
        _keys(spec, _ALLOWED_KEYS["parameters"], where)
        if "value" not in spec:
            raise ScenarioError("a parameter needs a value", key=f"{where}.value")
        value = _number(spec["value"], f"{where}.value")
        source = spec.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ScenarioError('every parameter needs a source: a citation, or "assumption"', key=f"{where}.source")
        parameters.append(
            Parameter(
                name=str(name),
                value=value,
                source=source.strip(),
                range=_pair(spec["range"], f"{where}.range") if "range" in spec else None,
                prior=_prior(spec["prior"], f"{where}.prior") if "prior" in spec else None,
                unit=_string(spec.get("unit", ""), f"{where}.unit"),
                description=_string(spec.get("description", ""), f"{where}.description"),
                calibrated=_reason(spec, "calibrated", where),
                source_date=_iso_date(spec.get("source_date", ""), f"{where}.source_date"),
            )
        )
    return parameters


def _issues_section(value: Any) -> list[Issue]:
    issues = []
    for k, spec in enumerate(_array(value, "issues")):
        where = f"issues[{k}]"
        spec = _table(spec, where)
        _keys(spec, _ALLOWED_KEYS["issues"], where)
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise ScenarioError("an issue needs a non-empty list of values", key=f"{where}.values")
        for v in values:
            if isinstance(v, int | float) and not isinstance(v, bool):
                _number(v, f"{where}.values")
            if not isinstance(v, str | int | float | bool):
                raise ScenarioError(
                    f"issue values must be strings, numbers or booleans, not {v!r}", key=f"{where}.values"
                )
        issues.append(
            Issue(
                name=_name(spec, where),
                values=tuple(values),
                initial=spec.get("initial"),
                description=_string(spec.get("description", ""), f"{where}.description"),
            )
        )
    return issues


def _agents_section(value: Any) -> list[Agent]:
    agents = []
    for k, spec in enumerate(_array(value, "agents")):
        where = f"agents[{k}]"
        spec = _table(spec, where)
        _keys(spec, _ALLOWED_KEYS["agents"], where)
        payoff = spec.get("payoff", 0.0)
        if isinstance(payoff, dict):
            for term, expr in payoff.items():
                _expression(expr, f"{where}.payoff.{term}")
        else:
            _expression(payoff, f"{where}.payoff")
        pres = _array(spec.get("preconditions", []), f"{where}.preconditions")
        agents.append(
            Agent(
                name=_name(spec, where),
                payoff=payoff,
                preconditions=tuple(_precondition(p, f"{where}.preconditions[{j}]") for j, p in enumerate(pres)),
                description=_string(spec.get("description", ""), f"{where}.description"),
            )
        )
    return agents


def _precondition(value: Any, where: str) -> Precondition:
    spec = _table(value, where)
    _keys(spec, _ALLOWED_KEYS["agents.preconditions"], where)
    for required in ("move", "condition"):
        if required not in spec:
            raise ScenarioError(f"a precondition needs '{required}'", key=f"{where}.{required}")
    cost = spec.get("cost")
    if cost is not None:
        _expression(cost, f"{where}.cost")
    return Precondition(
        move=_string(spec["move"], f"{where}.move"),
        condition=_string(spec["condition"], f"{where}.condition"),
        kind=_string(spec.get("kind", "hard"), f"{where}.kind"),
        cost=cost,
        description=_string(spec.get("description", ""), f"{where}.description"),
        source=_string(spec.get("source", ""), f"{where}.source"),
    )


def _stages_section(value: Any) -> list[Stage]:
    stages = []
    for k, spec in enumerate(_array(value, "stages")):
        where = f"stages[{k}]"
        spec = _table(spec, where)
        _keys(spec, _ALLOWED_KEYS["stages"], where)
        if "agent" not in spec:
            raise ScenarioError("a stage needs an agent", key=f"{where}.agent")
        moves = _array(spec.get("moves", []), f"{where}.moves")
        stages.append(
            Stage(
                name=_name(spec, where),
                agent=_string(spec["agent"], f"{where}.agent"),
                moves=tuple(_move(m, f"{where}.moves[{j}]") for j, m in enumerate(moves)),
                when=_optional_string(spec.get("when"), f"{where}.when"),
                observed_by=_observers(spec.get("observed_by", "all"), f"{where}.observed_by"),
                description=_string(spec.get("description", ""), f"{where}.description"),
                date=_string(spec.get("date", ""), f"{where}.date"),
            )
        )
    return stages


def _move(value: Any, where: str) -> Move:
    spec = _table(value, where)
    _keys(spec, _ALLOWED_KEYS["stages.moves"], where)
    effects = _table(spec.get("set", {}), f"{where}.set")
    for issue, effect in effects.items():
        if isinstance(effect, float) and not math.isfinite(effect):
            raise ScenarioError("a move cannot set an issue to NaN or infinity", key=f"{where}.set.{issue}")
        if not isinstance(effect, str | int | float | bool):
            raise ScenarioError(f"cannot set an issue to {effect!r}", key=f"{where}.set.{issue}")
    end = spec.get("end", False)
    if not isinstance(end, bool):
        raise ScenarioError("end must be true or false", key=f"{where}.end")
    return Move(
        name=_name(spec, where),
        set=effects,
        when=_optional_string(spec.get("when"), f"{where}.when"),
        end=end,
        kind=_string(spec.get("kind", "other"), f"{where}.kind"),
        label=_string(spec.get("label", ""), f"{where}.label"),
        description=_string(spec.get("description", ""), f"{where}.description"),
    )


def _chance_section(value: Any) -> list[Chance]:
    chance = []
    for k, spec in enumerate(_array(value, "chance")):
        where = f"chance[{k}]"
        spec = _table(spec, where)
        _keys(spec, _ALLOWED_KEYS["chance"], where)
        outcomes = _table(spec.get("outcomes", {}), f"{where}.outcomes")
        if not outcomes:
            raise ScenarioError("a chance event needs outcomes with probabilities", key=f"{where}.outcomes")
        for outcome, prob in outcomes.items():
            if isinstance(prob, float) and not math.isfinite(prob):
                raise ScenarioError("a probability cannot be NaN or infinite", key=f"{where}.outcomes.{outcome}")
            _expression(prob, f"{where}.outcomes.{outcome}")
        chance.append(
            Chance(
                name=_name(spec, where),
                outcomes=outcomes,
                observed_by=_observers(spec.get("observed_by", []), f"{where}.observed_by"),
                after=_optional_string(spec.get("after"), f"{where}.after"),
                when=_optional_string(spec.get("when"), f"{where}.when"),
                description=_string(spec.get("description", ""), f"{where}.description"),
            )
        )
    return chance


def _expect_section(value: Any) -> list[Expectation]:
    expectations = []
    for k, spec in enumerate(_array(value, "expect")):
        where = f"expect[{k}]"
        spec = _table(spec, where)
        _keys(spec, _ALLOWED_KEYS["expect"], where)
        for required in ("fact", "condition"):
            if required not in spec:
                raise ScenarioError(f"an expectation needs '{required}'", key=f"{where}.{required}")
        bounds = {b: _number(spec[b], f"{where}.{b}") for b in ("at_least", "at_most") if b in spec}
        if not bounds:
            raise ScenarioError("an expectation needs at_least or at_most", key=where)
        counter = None
        if "counterfactual" in spec:
            counter = {
                str(p): _number(v, f"{where}.counterfactual.{p}")
                for p, v in _table(spec["counterfactual"], f"{where}.counterfactual").items()
            }
        expectations.append(
            Expectation(
                fact=_string(spec["fact"], f"{where}.fact"),
                condition=_string(spec["condition"], f"{where}.condition"),
                counterfactual=counter,
                description=_string(spec.get("description", ""), f"{where}.description"),
                structural=_reason(spec, "structural", where),
                **bounds,
            )
        )
    return expectations


# ---------------------------------------------------------------------------- checks
def _keys(table: Mapping[str, Any], allowed: frozenset[str] | set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            place = f"{where}.{key}" if where else key
            inside = f" in {where}" if where else " at the top level"
            raise ScenarioError(f"unknown key {key!r}{inside}{hint}", key=place)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"expected a table, got {_kind(value)}", key=where)
    return value


def _array(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"expected an array of tables ([[{where.split('.')[-1]}]]), got {_kind(value)}", key=where)
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ScenarioError(f"expected a string, got {_kind(value)}", key=where)
    return value


def _reason(spec: Mapping[str, Any], key: str, where: str) -> str:
    """An optional key whose value is a reason: absent, or a non-empty string."""
    if key not in spec:
        return ""
    text = _string(spec[key], f"{where}.{key}").strip()
    if not text:
        raise ScenarioError(f"{key} needs a reason (a non-empty string)", key=f"{where}.{key}")
    return text


def _iso_date(value: Any, where: str) -> str:
    import datetime

    text = _string(value, where).strip()
    if text:
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            raise ScenarioError(f"expected a date as YYYY-MM-DD, got {text!r}", key=where) from None
    return text


def _optional_string(value: Any, where: str) -> str | None:
    return None if value is None else _string(value, where)


def _name(spec: Mapping[str, Any], where: str) -> str:
    if "name" not in spec:
        raise ScenarioError("a name is required", key=f"{where}.name")
    name = _string(spec["name"], f"{where}.name")
    if not name.strip():
        raise ScenarioError("a name cannot be empty", key=f"{where}.name")
    return name


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"expected a number, got {_kind(value)}", key=where)
    try:
        number = float(value)
    except OverflowError:
        raise ScenarioError("the number is too large", key=where) from None
    if not math.isfinite(number):
        raise ScenarioError(f"expected a finite number, got {value!r}", key=where)
    return number


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"expected a whole number, got {_kind(value)}", key=where)
    return int(value)


def _pair(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ScenarioError("expected [low, high]", key=where)
    return _number(value[0], where), _number(value[1], where)


def _prior(value: Any, where: str) -> dict[str, Any]:
    spec = _table(value, where)
    dist = spec.get("dist")
    if dist not in _PRIOR_KEYS:
        raise ScenarioError(f"dist must be one of {', '.join(_PRIOR_KEYS)}, not {dist!r}", key=f"{where}.dist")
    _keys({k: v for k, v in spec.items() if k != "dist"}, _PRIOR_KEYS[dist], where)
    out: dict[str, Any] = {"dist": dist}
    for key, v in spec.items():
        if key != "dist":
            out[key] = _number(v, f"{where}.{key}")
    required = {
        "uniform": {"low", "high"},
        "normal": {"mean", "sd"},
        "beta": {"a", "b"},
        "triangular": {"low", "mode", "high"},
    }[dist]
    missing = required - set(out)
    if missing:
        raise ScenarioError(f"a {dist} prior needs {', '.join(sorted(missing))}", key=where)
    return out


def _expression(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ScenarioError(f"expected an expression (a string) or a number, got {_kind(value)}", key=where)
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(f"expected a finite number, got {value!r}", key=where)


def _observers(value: Any, where: str) -> tuple[str, ...] | str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ScenarioError('expected "all" or a list of agent names', key=where)


def _kind(value: Any) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        list: "an array",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)
