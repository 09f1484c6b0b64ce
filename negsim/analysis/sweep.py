"""Parameter sweeps, Monte Carlo over priors, thresholds and comparative statics.

Every function here evaluates the payoffs of the whole batch of parameter settings in
one vectorized call (:meth:`negsim.negotiation.CompiledNegotiation.game_for`) and solves
the batch with :func:`negsim.analysis.batch.solve_batch`: no Python loop over settings.

* :func:`sweep` solves a grid (the Cartesian product of the given values).
* :func:`monte_carlo` draws parameters from the priors declared in the scenario (or
  given) with scipy.stats -- uniform, normal (optionally truncated), beta (optionally
  rescaled) and triangular -- and summarizes the outcome distribution with Monte Carlo
  standard errors.
* :func:`threshold` finds where an equilibrium choice flips by bracketing and repeated
  batched bisection (each step evaluates a grid of points inside the bracket at once).
* :func:`derivatives` gives the derivative of each agent's equilibrium value with
  respect to parameters, holding the equilibrium fixed (defined where the equilibrium
  does not change within the step).

Any :class:`concurrent.futures.Executor` (threads, processes, or a ``dask.distributed``
client's executor, ``client.get_executor()``) can split a large batch into chunks.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.analysis.batch import BatchSolution, solve_batch
from negsim.errors import ScenarioError
from negsim.games.profile import BehaviorProfile
from negsim.negotiation.compiler import CompiledNegotiation
from negsim.negotiation.model import Negotiation
from negsim.solvers.best_response import deviation_gains, expected_values

__all__ = [
    "BatchResult",
    "Threshold",
    "sweep",
    "monte_carlo",
    "draw_parameters",
    "threshold",
    "derivatives",
    "solve_settings",
]


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class BatchResult:
    """Equilibria of many parameter settings of one negotiation.

    Attributes
    ----------
    parameters : dict of str to ndarray [B]
        The varied parameters, one value per setting.
    agents : tuple of str
    values : ndarray [B, n]
        Each agent's equilibrium payoff.
    nash_conv : ndarray [B]
    outcomes : tuple of str
        The distinct outcomes (a readable label of the final issue values).
    outcome_probabilities : ndarray [B, K]
        Probability of each outcome in each setting's equilibrium (chance included).
    issues : dict of str to dict of str to ndarray [B]
        Probability of each value of each issue, per setting.
    facts : dict of str to ndarray [B]
        Probability of each ``[[expect]]`` fact's condition, per setting.
    certified : ndarray of bool [B]
    seconds : float
    shape : tuple of int
        The grid shape for :func:`sweep` (``(B,)`` for Monte Carlo).
    info : dict
    """

    parameters: dict[str, np.ndarray]
    agents: tuple[str, ...]
    values: np.ndarray
    nash_conv: np.ndarray
    outcomes: tuple[str, ...]
    outcome_probabilities: np.ndarray
    issues: dict[str, dict[str, np.ndarray]]
    facts: dict[str, np.ndarray]
    certified: np.ndarray
    seconds: float
    shape: tuple[int, ...]
    info: dict[str, Any] = field(default_factory=dict)
    terminal_reach: np.ndarray | None = field(default=None, repr=False)
    compiled: CompiledNegotiation | None = field(default=None, repr=False)

    def probability(self, condition: str, given: str | None = None) -> np.ndarray:
        """Equilibrium probability of a condition on the final state, per setting: ``[B]``.

        With ``given``, the conditional probability ``P(condition | given)`` (NaN where
        ``given`` has probability 0).
        """
        if self.compiled is None or self.terminal_reach is None:
            raise ScenarioError("this result does not keep the terminal probabilities")
        mask = np.asarray(self.compiled.terminal_condition(self.compiled.condition(condition)), bool)
        if given is None:
            return self.terminal_reach[:, mask].sum(axis=1)
        base = np.asarray(self.compiled.terminal_condition(self.compiled.condition(given)), bool)
        joint = self.terminal_reach[:, mask & base].sum(axis=1)
        total = self.terminal_reach[:, base].sum(axis=1)
        return np.where(total > 0, joint / np.where(total > 0, total, 1.0), np.nan)

    @property
    def draws(self) -> int:
        """Number of settings."""
        return int(self.values.shape[0])

    def most_likely_outcome(self) -> np.ndarray:
        """The most likely outcome label of every setting."""
        return np.array(self.outcomes, dtype=object)[self.outcome_probabilities.argmax(axis=1)]

    def summary(self) -> dict[str, dict[str, float]]:
        """Probability of each outcome over all settings, with its Monte Carlo standard error.

        For a grid this is the share over grid points (the standard error is then only a
        descriptive spread).
        """
        probs = self.outcome_probabilities
        mean = probs.mean(axis=0)
        se = probs.std(axis=0, ddof=1) / np.sqrt(max(self.draws, 1)) if self.draws > 1 else np.zeros_like(mean)
        order = np.argsort(-mean)
        return {self.outcomes[k]: {"probability": float(mean[k]), "standard_error": float(se[k])} for k in order}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"draws", "seconds", "outcomes": {outcome: probability}, "parameters": {...}, ...}``."""
        summary = self.summary()
        return {
            "draws": self.draws,
            "seconds": self.seconds,
            "outcomes": {k: v["probability"] for k, v in summary.items()},
            "standard_errors": {k: v["standard_error"] for k, v in summary.items()},
            "parameters": {
                k: {"mean": float(v.mean()), "min": float(v.min()), "max": float(v.max())}
                for k, v in self.parameters.items()
            },
            "values": {a: float(self.values[:, i].mean()) for i, a in enumerate(self.agents)},
            "facts": {k: float(v.mean()) for k, v in self.facts.items()},
            "certified": float(self.certified.mean()),
            "max_nash_conv": float(self.nash_conv.max(initial=0.0)),
            "info": self.info,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per setting: parameters, most likely outcome, values, NashConv (for CSV)."""
        likely = self.most_likely_outcome()
        out = []
        for b in range(self.draws):
            row: dict[str, Any] = {k: float(v[b]) for k, v in self.parameters.items()}
            row["outcome"] = likely[b]
            row["outcome_probability"] = float(self.outcome_probabilities[b].max())
            for i, a in enumerate(self.agents):
                row[f"value_{a}"] = float(self.values[b, i])
            row["nash_conv"] = float(self.nash_conv[b])
            out.append(row)
        return out


@dataclass(frozen=True)
class Threshold:
    """Where an equilibrium choice flips along one parameter.

    Attributes
    ----------
    parameter : str
    value : float
        The midpoint of the final bracket.
    bracket : (float, float)
        The condition's probability is below 1/2 at one end and at or above it at the other.
    below, above : float
        The condition's probability at the two ends of the bracket.
    evaluations : int
        Settings solved in all.
    condition : str
        The condition (``"condition | given"`` for a conditional probability).
    fixed : dict
        Other parameters held fixed while searching.
    """

    parameter: str
    value: float
    bracket: tuple[float, float]
    below: float
    above: float
    evaluations: int
    condition: str = ""
    fixed: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "value": self.value,
            "bracket": list(self.bracket),
            "probability_at_bracket": [self.below, self.above],
            "evaluations": self.evaluations,
            "condition": self.condition,
            "fixed": dict(self.fixed),
        }


# ---------------------------------------------------------------------------- core
def _compiled(model: Any) -> CompiledNegotiation:
    if isinstance(model, CompiledNegotiation):
        return model
    if isinstance(model, Negotiation):
        return model.compile()
    compile_ = getattr(model, "compile", None)  # a Scenario
    if compile_ is not None:
        return compile_()
    raise ScenarioError(
        f"expected a scenario, a Negotiation or a CompiledNegotiation, not {type(model).__name__}"
    )


_WORKER_CACHE: dict[int, CompiledNegotiation] = {}


def _solve_chunk(
    negotiation: Negotiation, parameters: dict[str, np.ndarray], options: dict[str, Any], strategy: str
) -> tuple[list[np.ndarray], np.ndarray, dict[str, Any]]:
    """Solve one chunk (in a worker): plain arrays out, so that any executor can ship them back."""
    key = hash(repr(negotiation))
    compiled = _WORKER_CACHE.get(key)
    if compiled is None:
        compiled = negotiation.compile()
        _WORKER_CACHE[key] = compiled
    solved = solve_batch(compiled.game_for(parameters), options, strategy=strategy)
    return [np.asarray(p) for p in solved.profile.probabilities], solved.certified, dict(solved.info)


def solve_settings(
    model: Any,
    parameters: Mapping[str, Any],
    *,
    options: Mapping[str, Any] | None = None,
    strategy: str = "reuse",
    executor: Executor | None = None,
    chunks: int | None = None,
    progress: bool = False,
    shape: tuple[int, ...] | None = None,
    info: Mapping[str, Any] | None = None,
) -> BatchResult:
    """Solve a negotiation for a batch of parameter settings (the engine of sweep and Monte Carlo).

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
    parameters : mapping of str to array [B]
        Values of the varied parameters (the others keep their defaults).
    options : mapping, optional
        Solver options (default: the negotiation's ``[solver]`` table).
    strategy : {"reuse", "cfr"}
        See :func:`negsim.analysis.batch.solve_batch`.
    executor : concurrent.futures.Executor, optional
        Split the batch into ``chunks`` and solve them with ``executor.map``.
    chunks : int, optional
        Number of chunks for the executor (default: 4).
    progress : bool
        Progress bar.

    Returns
    -------
    BatchResult
    """
    started = time.perf_counter()
    compiled = _compiled(model)
    neg = compiled.negotiation
    params = {k: np.atleast_1d(np.asarray(v, np.float64)) for k, v in parameters.items()}
    sizes = {v.size for v in params.values()}
    if len(sizes) != 1:
        raise ScenarioError("all parameter arrays must have the same length")
    B = sizes.pop()
    for name in params:
        neg.parameter(name)
    opts = dict(neg.solver)
    opts.update(options or {})
    game = compiled.game_for(params)
    if executor is None:
        solved = solve_batch(game, opts, strategy=strategy, progress=progress)
    else:
        n_chunks = max(1, min(int(chunks or 4), B))
        bounds = np.linspace(0, B, n_chunks + 1).astype(int)
        pieces = [{k: v[lo:hi] for k, v in params.items()} for lo, hi in itertools.pairwise(bounds) if hi > lo]
        parts = list(
            executor.map(_solve_chunk, [neg] * len(pieces), pieces, [opts] * len(pieces), [strategy] * len(pieces))
        )
        probs = [np.concatenate([part[0][p] for part in parts]) for p in range(game.num_players)]
        profile = BehaviorProfile(game, probs)
        gains = deviation_gains(game, profile)
        solved = BatchSolution(
            game=game,
            profile=profile,
            values=expected_values(game, profile),
            nash_conv=gains.sum(axis=-1),
            certified=np.concatenate([part[1] for part in parts]),
            method=str(parts[0][2].get("method", opts.get("method", "auto"))),
            seconds=time.perf_counter() - started,
            info={"strategy": strategy, "seeded": int(sum(part[2].get("seeded", 0) for part in parts)),
                  "chunks": len(parts)},
        )
    return _collect(compiled, params, solved, started, shape or (B,), info or {})


def _collect(compiled: CompiledNegotiation, params, solved: BatchSolution, started, shape, info) -> BatchResult:
    neg = compiled.negotiation
    values, nash, certified = solved.values, solved.nash_conv, solved.certified
    # equilibrium probability of every terminal, per setting
    reach = solved.profile.node_reach()[:, solved.game.terminals]
    # outcome labels of the terminals from the issues' final values
    labels = _terminal_labels(compiled)
    outcomes, index = np.unique(labels, return_inverse=True)
    outcome_probs = np.zeros((reach.shape[0], outcomes.size))
    np.add.at(outcome_probs.T, index, reach.T)
    issues = {}
    for issue in neg.issues:
        var = compiled.variables[issue.name]
        codes = compiled.terminal_codes[issue.name]
        table = {}
        for c, value in enumerate(var.values):
            mask = codes == c
            if np.any(mask):
                table[_text(value)] = reach[:, mask].sum(axis=1)
        issues[issue.name] = table
    facts = {}
    for k, exp in enumerate(neg.expectations):
        cond = compiled.condition(exp.condition, where=f"expect[{k}].condition")
        mask = np.asarray(compiled.terminal_condition(cond), bool)
        facts[exp.fact] = reach[:, mask].sum(axis=1)
    details = dict(info)
    details.update({"strategy": solved.info.get("strategy"), "method": solved.method,
                    "seeded": int(solved.info.get("seeded", 0)), "chunks": int(solved.info.get("chunks", 1))})
    return BatchResult(
        parameters=dict(params),
        agents=neg.agent_names,
        values=values,
        nash_conv=nash,
        outcomes=tuple(str(o) for o in outcomes),
        outcome_probabilities=outcome_probs,
        issues=issues,
        facts=facts,
        certified=certified,
        seconds=time.perf_counter() - started,
        shape=tuple(shape),
        info=details,
        terminal_reach=reach,
        compiled=compiled,
    )


def _terminal_labels(compiled: CompiledNegotiation) -> np.ndarray:
    parts = []
    for issue in compiled.negotiation.issues:
        var = compiled.variables[issue.name]
        codes = compiled.terminal_codes[issue.name]
        initial = var.values.index(issue.initial) if issue.initial in var.values else 0
        texts = []
        for c in codes:
            if c == initial:
                texts.append("")
            elif var.kind == "boolean":
                texts.append(issue.name if var.values[c] else f"not {issue.name}")
            else:
                texts.append(f"{issue.name}={var.values[c]}")
        parts.append(texts)
    labels = []
    for row in zip(*parts, strict=True) if parts else []:
        text = ", ".join(t for t in row if t)
        labels.append(text or "status quo")
    if not parts:
        labels = ["status quo"] * compiled.num_terminals
    return np.array(labels, dtype=object)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# ---------------------------------------------------------------------------- sweep
def sweep(
    model: Any,
    grid: Mapping[str, Sequence[float] | np.ndarray],
    **options: Any,
) -> BatchResult:
    """Solve the negotiation on the Cartesian product of parameter values.

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
    grid : mapping of str to sequence of float
        Values of each parameter; the result has one setting per combination, in
        row-major order (``result.shape`` is the grid shape).
    **options
        Passed to :func:`solve_settings` (``options=``, ``executor=``, ``progress=``, ...).

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> result = sweep(load_scenario("istanbul-2025"), {"eu_bite": [0.25, 0.6],
    ...                                                  "q_maximal": [0.6, 1.0]})
    >>> result.shape
    (2, 2)
    >>> [round(float(p), 2) for p in result.facts["23 July: Russia refuses again, with another exchange"]]
    [1.0, 1.0, 0.0, 1.0]
    """
    if not grid:
        raise ScenarioError("a sweep needs at least one parameter")
    names = list(grid)
    axes = [np.atleast_1d(np.asarray(grid[n], np.float64)) for n in names]
    for name, axis in zip(names, axes, strict=True):
        if axis.ndim != 1 or axis.size == 0:
            raise ScenarioError(f"the values of {name!r} must be a non-empty list of numbers")
        if not np.all(np.isfinite(axis)):
            raise ScenarioError(f"the values of {name!r} must be finite")
    mesh = np.meshgrid(*axes, indexing="ij")
    params = {n: m.ravel() for n, m in zip(names, mesh, strict=True)}
    return solve_settings(model, params, shape=tuple(a.size for a in axes), info={"kind": "sweep"}, **options)


# ---------------------------------------------------------------------------- Monte Carlo
def draw_parameters(
    negotiation: Negotiation, priors: Mapping[str, Mapping[str, Any]] | None = None, *, draws: int,
    seed: int | None = None
) -> dict[str, np.ndarray]:
    """Draw parameter values from priors with scipy.stats.

    Parameters
    ----------
    negotiation : Negotiation
    priors : mapping, optional
        ``{parameter: {"dist": "uniform"|"normal"|"beta"|"triangular", ...}}``; default:
        the priors declared in the scenario. ``normal`` may be truncated with ``low`` and
        ``high``; ``beta`` rescaled to ``[low, high]`` (default ``[0, 1]``).
    draws : int
    seed : int, optional

    Returns
    -------
    dict of str to ndarray [draws]
    """
    from scipy import stats

    if draws < 1:
        raise ScenarioError("draws must be at least 1")
    if priors is None:
        priors = {p.name: p.prior for p in negotiation.parameters if p.prior}
    if not priors:
        raise ScenarioError("no priors: declare 'prior' for some parameters or pass priors=")
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(priors):  # sorted: the same seed gives the same draws whatever the order
        negotiation.parameter(name)
        spec = dict(priors[name])
        dist = spec.get("dist")
        if dist == "uniform":
            low, high = float(spec["low"]), float(spec["high"])
            sample = stats.uniform(low, high - low).rvs(draws, random_state=rng)
        elif dist == "normal":
            mean, sd = float(spec["mean"]), float(spec["sd"])
            low, high = float(spec.get("low", -np.inf)), float(spec.get("high", np.inf))
            a, b = (low - mean) / sd, (high - mean) / sd
            sample = stats.truncnorm(a, b, loc=mean, scale=sd).rvs(draws, random_state=rng)
        elif dist == "beta":
            low, high = float(spec.get("low", 0.0)), float(spec.get("high", 1.0))
            sample = stats.beta(float(spec["a"]), float(spec["b"]), loc=low, scale=high - low).rvs(
                draws, random_state=rng
            )
        elif dist == "triangular":
            low, mode, high = float(spec["low"]), float(spec["mode"]), float(spec["high"])
            c = 0.5 if high == low else (mode - low) / (high - low)
            sample = stats.triang(c, loc=low, scale=high - low).rvs(draws, random_state=rng)
        else:
            raise ScenarioError(f"unknown prior {dist!r} for {name!r}; use uniform, normal, beta or triangular")
        out[name] = np.asarray(sample, np.float64).reshape(draws)
    return out


def monte_carlo(
    model: Any,
    priors: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    draws: int = 1000,
    seed: int | None = None,
    **options: Any,
) -> BatchResult:
    """Solve the negotiation for parameters drawn from their priors.

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
    priors : mapping, optional
        Priors overriding the scenario's (see :func:`draw_parameters`).
    draws : int
    seed : int, optional
        Makes the draws, and so the result, reproducible.
    **options
        Passed to :func:`solve_settings`.

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> result = monte_carlo(load_scenario("istanbul-2025"), draws=50, seed=1)
    >>> result.draws, bool(result.nash_conv.max() < 0.01)  # most draws certified exact, the rest CFR+
    (50, True)
    >>> summary = result.summary()  # {outcome: {"probability", "standard_error"}}
    """
    compiled = _compiled(model)
    params = draw_parameters(compiled.negotiation, priors, draws=draws, seed=seed)
    return solve_settings(compiled, params, info={"kind": "monte_carlo", "seed": seed}, **options)


# ---------------------------------------------------------------------------- thresholds
def threshold(
    model: Any,
    parameter: str,
    bracket: tuple[float, float] | None = None,
    *,
    condition: str | None = None,
    fact: str | None = None,
    given: str | None = None,
    tol: float = 1e-3,
    points: int = 9,
    fixed: Mapping[str, float] | None = None,
    **options: Any,
) -> Threshold:
    """Where the equilibrium probability of a condition crosses 1/2 along one parameter.

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
    parameter : str
    bracket : (float, float), optional
        Where to look (default: the parameter's declared range).
    condition : str, optional
        A condition on the final state (like an ``[[expect]]`` condition).
    fact : str, optional
        Or the name of an ``[[expect]]`` fact (its condition is used).
    given : str, optional
        Use the conditional probability ``P(condition | given)``, for example the choice of
        one type of an agent (``"russia_aims == 'limited'"``).
    tol : float
        Stop when the bracket is narrower than this.
    points : int
        Settings evaluated per bisection step (in one batch).
    fixed : mapping, optional
        Other parameters held at these values.

    Returns
    -------
    Threshold

    Raises
    ------
    ScenarioError
        If the condition does not change side within the bracket.

    Examples
    --------
    How much each level of EU sanctions must cost Russia before Russia with limited aims
    accepts the ceasefire:

    >>> from negsim.scenarios import load_scenario
    >>> t = threshold(load_scenario("istanbul-2025"), "eu_bite", (0.0, 1.0),
    ...               condition="ceasefire == 'unconditional'", given="russia_aims == 'limited'",
    ...               tol=0.01)
    >>> round(t.value, 1)
    0.4
    """
    compiled = _compiled(model)
    neg = compiled.negotiation
    param = neg.parameter(parameter)
    if (condition is None) == (fact is None):
        raise ScenarioError("give exactly one of condition= or fact=")
    if fact is not None:
        match = [e for e in neg.expectations if e.fact == fact]
        if not match:
            import difflib

            close = difflib.get_close_matches(fact, [e.fact for e in neg.expectations], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(f"no fact {fact!r}{hint}")
        condition = match[0].condition
    compiled.condition(condition)  # parse early: errors before any solving
    if given is not None:
        compiled.condition(given)
    if bracket is None:
        if param.range is None:
            raise ScenarioError(f"give a bracket: parameter {parameter!r} has no range")
        bracket = param.range
    lo, hi = float(bracket[0]), float(bracket[1])
    if not lo < hi:
        raise ScenarioError(f"the bracket must be increasing, got {bracket}")
    points = max(int(points), 3)
    evaluations = 0

    def probabilities(xs: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        settings = {parameter: xs}
        for k, v in (fixed or {}).items():
            settings[k] = np.full(xs.size, float(v))
        result = solve_settings(compiled, settings, **options)
        evaluations += xs.size
        return result.probability(condition, given)

    xs = np.linspace(lo, hi, points)
    probs = probabilities(xs)
    side = probs >= 0.5
    flips = np.flatnonzero(side[1:] != side[:-1])
    if flips.size == 0:
        raise ScenarioError(
            f"P({condition}{' | ' + given if given else ''}) stays {'at or above' if side[0] else 'below'} 1/2 "
            f"on [{lo:g}, {hi:g}]; "
            "widen the bracket"
        )
    k = int(flips[0])
    a, b, pa, pb = xs[k], xs[k + 1], probs[k], probs[k + 1]
    while b - a > tol:
        xs = np.linspace(a, b, points)[1:-1]
        inner = probabilities(xs)
        all_x = np.concatenate(([a], xs, [b]))
        all_p = np.concatenate(([pa], inner, [pb]))
        s = all_p >= 0.5
        j = int(np.flatnonzero(s[1:] != s[:-1])[0])
        a, b, pa, pb = all_x[j], all_x[j + 1], all_p[j], all_p[j + 1]
    return Threshold(parameter=parameter, value=float(0.5 * (a + b)), bracket=(float(a), float(b)),
                     below=float(pa), above=float(pb), evaluations=evaluations,
                     condition=condition if given is None else f"{condition} | {given}",
                     fixed={k: float(v) for k, v in (fixed or {}).items()})


# ---------------------------------------------------------------------------- derivatives
def derivatives(
    model: Any,
    parameters: Sequence[str],
    *,
    at: Mapping[str, float] | None = None,
    step: float = 1e-4,
    **options: Any,
) -> dict[str, np.ndarray]:
    """Derivatives of every agent's equilibrium value with respect to parameters.

    The equilibrium profile found at ``at`` is held fixed and each agent's expected payoff
    is differentiated by central differences; the derivative is reported only where the
    same profile is still the (certified) equilibrium at ``+step`` and ``-step`` --
    elsewhere (at a threshold) it is not defined and comes back as NaN.

    Returns
    -------
    dict of str to ndarray [n]
        ``{parameter: d value / d parameter}`` per agent.

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> d = derivatives(load_scenario("istanbul-2025"), ["tariff_bite"])
    >>> round(float(d["tariff_bite"][1]), 3)  # Russia pays the first step, 5% of the 500% on the table
    -0.25
    """
    from negsim.analysis.refine import certify
    from negsim.solvers.best_response import expected_values

    compiled = _compiled(model)
    neg = compiled.negotiation
    base = dict(at or {})
    for name in list(base) + list(parameters):
        neg.parameter(name)
    opts = dict(neg.solver)
    opts.update(options.get("options") or {})
    center = {k: np.array([v]) for k, v in base.items()}
    solved = solve_batch(compiled.game_for(center) if center else compiled.game, opts)
    profile = [a[0] for a in solved.profile.probabilities]
    defaults = neg.parameter_values()
    defaults.update(base)
    tremble = float(opts.get("tremble", 0.0) or 0.0)
    out = {}
    for name in parameters:
        x = defaults[name]
        h = step * max(1.0, abs(x))
        settings = {k: np.full(2, v) for k, v in base.items()}
        settings[name] = np.array([x - h, x + h])
        game = compiled.game_for(settings)
        values = expected_values(game, profile)
        still = certify(game, profile, tremble=tremble)
        deriv = (values[1] - values[0]) / (2 * h)
        out[name] = deriv if bool(np.all(still)) else np.full(deriv.shape, np.nan)
    return out
