"""Parameter sweeps and Monte Carlo over priors (thresholds and comparative statics: :mod:`.thresholds`).

Every function here evaluates the payoffs of the whole batch of parameter settings in
one vectorized call (:meth:`negsim.negotiation.CompiledNegotiation.game_for`) and solves
the batch with :func:`negsim.analysis.batch.solve_batch`: no Python loop over settings.

* :func:`sweep` solves a grid (the Cartesian product of the given values).
* :func:`monte_carlo` draws parameters from the priors declared in the scenario (or
  given) with scipy.stats -- uniform, normal (optionally truncated), beta (optionally
  rescaled) and triangular -- and summarizes the outcome distribution with Monte Carlo
  standard errors.
* :func:`solve_settings` is what both do, and what :mod:`negsim.analysis.thresholds` and
  :mod:`negsim.analysis.audit` call for their batches.

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
from negsim.negotiation.compiler import CompiledNegotiation
from negsim.negotiation.model import Negotiation
from negsim.negotiation.validation import check_prior_range

__all__ = [
    "BatchResult",
    "sweep",
    "monte_carlo",
    "draw_parameters",
    "solve_settings",
]


# ---------------------------------------------------------------------------- results
_ZERO = 1e-12  # an outcome this unlikely is reported as not happening (rounding in the reach products)


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
            raise ScenarioError(
                "this result does not keep the terminal probabilities (too many settings times terminals; "
                "see negsim.analysis.sweep.KEEP_REACH_ENTRIES): add the condition as an [[expect]] fact instead"
            )
        mask = np.asarray(self.compiled.terminal_condition(self.compiled.condition(condition)), bool)
        if given is None:
            return self._shaped(self.terminal_reach[:, mask].sum(axis=1))
        base = np.asarray(self.compiled.terminal_condition(self.compiled.condition(given)), bool)
        joint = self.terminal_reach[:, mask & base].sum(axis=1)
        total = self.terminal_reach[:, base].sum(axis=1)
        return self._shaped(np.where(total > 0, joint / np.where(total > 0, total, 1.0), np.nan))

    def _shaped(self, flat: np.ndarray) -> np.ndarray:
        """A per-setting array in the grid's shape (flat for Monte Carlo or an interrupted grid)."""
        return flat.reshape(self.shape) if int(np.prod(self.shape)) == flat.size else flat

    @property
    def is_grid(self) -> bool:
        """Whether the settings are a grid from :func:`sweep` (not random draws)."""
        return self.info.get("kind") == "sweep"

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

    def condition_summary(self, condition: str, given: str | None = None) -> dict[str, Any]:
        """The probability of ``condition`` (given ``given``) over all settings, with its standard error.

        Settings where ``given`` cannot happen have no conditional probability and are left
        out. For a grid this is the mean over grid points (the standard error is then only a
        descriptive spread).

        Returns
        -------
        dict
            ``probability`` (NaN when ``given`` happens in no setting), ``standard_error`` and
            ``draws_defined`` (the settings where the probability is defined).

        Examples
        --------
        >>> from negsim.analysis import monte_carlo
        >>> from negsim.scenarios import load_scenario
        >>> result = monte_carlo(load_scenario("istanbul-2025"), draws=20, seed=1)
        >>> summary = result.condition_summary("ceasefire == 'none'")
        >>> 0.0 <= summary["probability"] <= 1.0, summary["draws_defined"]
        (True, 20)
        """
        prob = np.asarray(self.probability(condition, given), np.float64).ravel()
        seen = prob[np.isfinite(prob)]
        return {
            "probability": float(seen.mean()) if seen.size else float("nan"),
            "standard_error": float(seen.std(ddof=1) / np.sqrt(seen.size)) if seen.size > 1 else 0.0,
            "draws_defined": int(seen.size),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready.

        Monte Carlo: ``{"draws", "seconds", "outcomes": {outcome: probability},
        "standard_errors", "parameters": {name: {"mean", "min", "max"}}, "values", "facts",
        ...}``, averages over the draws. A grid is not a sample, so it has no draws, averages
        or standard errors: ``{"points", "shape", "seconds", "parameters": {name: [value per
        point]}, "grid": [{parameters, "outcomes", "facts", "values", "nash_conv",
        "certified"} per point], ...}``. Outcomes of probability 0 are left out of both.
        """
        if self.is_grid:
            return {
                "points": self.draws,
                "shape": list(self.shape),
                "seconds": self.seconds,
                "parameters": {k: [float(x) for x in v] for k, v in self.parameters.items()},
                "grid": [self._point(b) for b in range(self.draws)],
                "certified": float(self.certified.mean()),
                "max_nash_conv": float(self.nash_conv.max(initial=0.0)),
                "info": self.info,
            }
        summary = {k: v for k, v in self.summary().items() if v["probability"] > _ZERO}
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

    def _point(self, b: int) -> dict[str, Any]:
        probs = self.outcome_probabilities[b]
        order = np.argsort(-probs, kind="stable")
        return {
            **{k: float(v[b]) for k, v in self.parameters.items()},
            "outcomes": {self.outcomes[k]: float(probs[k]) for k in order if probs[k] > _ZERO},
            "facts": {k: float(v[b]) for k, v in self.facts.items()},
            "values": {a: float(self.values[b, i]) for i, a in enumerate(self.agents)},
            "nash_conv": float(self.nash_conv[b]),
            "certified": bool(self.certified[b]),
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

CHUNK_BYTES: int = 128 * 2**20
"""Working memory one chunk of settings may use (estimated from the game's sizes).

:func:`solve_settings` splits a batch into chunks of at most this much work and keeps only
per-setting summaries of each (values, NashConv, outcome, issue and fact probabilities), so
its peak memory is about ``CHUNK_BYTES`` plus ``8 * (n + K + facts + issue values + 4)``
bytes per setting (``K`` outcomes), whatever the number of settings."""

KEEP_REACH_ENTRIES: int = 4_000_000
"""Batches with at most this many (setting, terminal) pairs keep ``terminal_reach``
(for :meth:`BatchResult.probability`); larger ones keep summaries only."""


def chunk_size(game_sizes: Mapping[str, int], *, budget: int | None = None) -> int:
    """Settings per chunk so that one chunk's arrays stay within ``budget`` bytes (default :data:`CHUNK_BYTES`).

    ``game_sizes`` holds ``nodes``, ``terminals``, ``players`` and ``sequences`` (summed over
    players). The estimate counts, per setting, the batched payoffs and chance
    probabilities, node reach, and the solvers' per-sequence work arrays, with room to spare.

    Examples
    --------
    >>> chunk_size({"nodes": 1000, "terminals": 600, "players": 3, "sequences": 500})
    626
    """
    per_setting = 8 * (
        8 * int(game_sizes["nodes"])
        + 6 * int(game_sizes["terminals"]) * max(int(game_sizes["players"]), 1)
        + 16 * int(game_sizes["sequences"])
    )
    return max(1, int(budget or CHUNK_BYTES) // max(per_setting, 1))


def _sizes(compiled: CompiledNegotiation) -> dict[str, int]:
    game = compiled.game
    return {"nodes": int(game.num_nodes), "terminals": int(game.num_terminals), "players": int(game.num_players),
            "sequences": int(sum(game.sequence_form.num_sequences))}


class _Summarizer:
    """Per-setting summaries of a solved chunk: the masks over terminals are built once."""

    def __init__(self, compiled: CompiledNegotiation) -> None:
        neg = compiled.negotiation
        outcomes, self.index = np.unique(_terminal_labels(compiled), return_inverse=True)
        self.outcomes = tuple(str(o) for o in outcomes)
        self.issue_masks: dict[str, dict[str, np.ndarray]] = {}
        for issue in neg.issues:
            var = compiled.variables[issue.name]
            codes = compiled.terminal_codes[issue.name]
            self.issue_masks[issue.name] = {
                _text(value): codes == c for c, value in enumerate(var.values) if np.any(codes == c)
            }
        self.fact_masks = {}
        for k, exp in enumerate(neg.expectations):
            condition = compiled.condition(exp.condition, where=f"expect[{k}].condition")
            self.fact_masks[exp.fact] = np.asarray(compiled.terminal_condition(condition), bool)

    def __call__(self, solved: BatchSolution, keep_reach: bool) -> dict[str, Any]:
        reach = solved.profile.node_reach()[:, solved.game.terminals]
        outcome_probs = np.zeros((reach.shape[0], len(self.outcomes)))
        np.add.at(outcome_probs.T, self.index, reach.T)
        return {
            "values": np.asarray(solved.values),
            "nash_conv": np.asarray(solved.nash_conv),
            "certified": np.asarray(solved.certified),
            "outcome_probabilities": outcome_probs,
            "issues": {name: {v: reach[:, m].sum(axis=1) for v, m in masks.items()}
                       for name, masks in self.issue_masks.items()},
            "facts": {fact: reach[:, m].sum(axis=1) for fact, m in self.fact_masks.items()},
            "reach": reach if keep_reach else None,
            "outcomes": self.outcomes,
            "method": solved.method,
            "seeded": int(solved.info.get("seeded", 0)),
            "strategy": solved.info.get("strategy"),
        }


def _solve_chunk(
    negotiation: Negotiation, parameters: dict[str, np.ndarray], options: dict[str, Any], strategy: str,
    keep_reach: bool = False,
) -> dict[str, Any]:
    """Solve one chunk (in a worker): per-setting summaries out, so that any executor can ship them back."""
    key = hash(repr(negotiation))
    cached = _WORKER_CACHE.get(key)
    if cached is None:
        compiled = negotiation.compile()
        cached = _WORKER_CACHE[key] = (compiled, _Summarizer(compiled))  # type: ignore[assignment]
    compiled, summarize = cached  # type: ignore[misc]
    solved = solve_batch(compiled.game_for(parameters), options, strategy=strategy)
    return summarize(solved, keep_reach)


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
    chunk_bytes: int | None = None,
) -> BatchResult:
    """Solve a negotiation for a batch of parameter settings (the engine of sweep and Monte Carlo).

    The settings are solved in chunks (see :data:`CHUNK_BYTES`) and only per-setting
    summaries are kept, so memory does not grow with the number of settings beyond a few
    numbers each. If the run is interrupted (Ctrl-C) after at least one chunk, the result
    holds the settings finished so far, with ``info["interrupted"] = True`` and
    ``info["requested"]`` the number asked for.

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
        Solve the chunks with ``executor.map`` (threads, processes, or a dask client's
        ``client.get_executor()``).
    chunks : int, optional
        Least number of chunks for the executor (default: 4); more when the memory
        budget asks for smaller ones.
    progress : bool
        Progress bar.
    chunk_bytes : int, optional
        Memory budget of one chunk (default :data:`CHUNK_BYTES`).

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
    if B < 1:
        raise ScenarioError("no parameter settings to solve (the arrays are empty)")
    for name in params:
        neg.parameter(name)
    opts = dict(neg.solver)
    opts.update(options or {})
    step = chunk_size(_sizes(compiled), budget=chunk_bytes)
    n_chunks = max(-(-B // step), min(int(chunks or 4), B) if executor is not None else 1)
    bounds = np.linspace(0, B, n_chunks + 1).astype(int)
    pieces = [{k: v[lo:hi] for k, v in params.items()} for lo, hi in itertools.pairwise(bounds) if hi > lo]
    keep_reach = B * compiled.num_terminals <= KEEP_REACH_ENTRIES
    parts: list[dict[str, Any]] = []
    interrupted = False
    try:
        if executor is not None:
            for part in executor.map(_solve_chunk, [neg] * len(pieces), pieces, [opts] * len(pieces),
                                     [strategy] * len(pieces), [keep_reach] * len(pieces)):
                parts.append(part)
        else:
            summarize = _Summarizer(compiled)
            bar = None
            if progress and len(pieces) > 1:
                from tqdm.auto import tqdm

                bar = tqdm(total=B, unit="setting", leave=False)
            for piece in pieces:
                solved = solve_batch(compiled.game_for(piece), opts, strategy=strategy,
                                     progress=progress and len(pieces) == 1)
                parts.append(summarize(solved, keep_reach))
                del solved  # free the chunk's game and profile before the next chunk is built
                if bar is not None:
                    bar.update(len(next(iter(piece.values()))))
            if bar is not None:
                bar.close()
    except KeyboardInterrupt:
        if not parts:
            raise
        interrupted = True
    done = sum(len(part["nash_conv"]) for part in parts)
    kept = {k: v[:done] for k, v in params.items()}
    details = dict(info or {})
    details.update({"strategy": parts[0]["strategy"] or strategy, "method": parts[0]["method"],
                    "seeded": int(sum(part["seeded"] for part in parts)), "chunks": len(parts)})
    if interrupted:
        details.update({"interrupted": True, "requested": int(B)})
    return _collect(compiled, kept, parts, started, shape if shape and not interrupted else (done,), details)


def _collect(compiled: CompiledNegotiation, params, parts, started, shape, info) -> BatchResult:
    def join(key: str) -> np.ndarray:
        return np.concatenate([part[key] for part in parts])

    first = parts[0]
    issues = {name: {v: np.concatenate([part["issues"][name][v] for part in parts]) for v in table}
              for name, table in first["issues"].items()}
    facts = {fact: np.concatenate([part["facts"][fact] for part in parts]) for fact in first["facts"]}
    reach = join("reach") if all(part["reach"] is not None for part in parts) else None
    return BatchResult(
        parameters=dict(params),
        agents=compiled.negotiation.agent_names,
        values=join("values"),
        nash_conv=join("nash_conv"),
        outcomes=first["outcomes"],
        outcome_probabilities=join("outcome_probabilities"),
        issues=issues,
        facts=facts,
        certified=join("certified"),
        seconds=time.perf_counter() - started,
        shape=tuple(shape),
        info=info,
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
        declared = negotiation.parameter(name)
        spec = dict(priors[name])
        if declared.range is not None and (spec.get("dist") in ("normal", "beta") or {"low", "high"} <= spec.keys()):
            check_prior_range(spec, declared.range, f"priors.{name}")  # a draw outside would fail the batch
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
