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

A Monte Carlo can keep every draw (:class:`BatchResult`) or, with ``keep="summary"``, only
mergeable statistics over the draws (:class:`MonteCarloSummary`): each chunk's draws are
then made from the seed (:mod:`negsim.analysis._priors`), solved and reduced where the
chunk is solved, so memory does not grow with the number of draws.

Any :class:`concurrent.futures.Executor` (threads, processes, or a ``dask.distributed``
client, or its ``client.get_executor()``) can split a large batch into chunks.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from negsim.analysis._moments import Moments
from negsim.analysis._priors import DRAW_BLOCK, PriorDraws, draw_parameters, prior_draws
from negsim.analysis._summary import MonteCarloSummary
from negsim.analysis.batch import BatchSolution, solve_batch
from negsim.errors import ScenarioError
from negsim.negotiation.compiler import CompiledNegotiation
from negsim.negotiation.model import Negotiation

__all__ = [
    "BatchResult",
    "MonteCarloSummary",
    "DRAW_BLOCK",
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
                "see negsim.analysis._sweep.KEEP_REACH_ENTRIES): for a Monte Carlo, ask for it upfront with "
                "monte_carlo(..., keep='summary', conditions=[(condition, given)]), or add it as an [[expect]] fact"
            )
        return self._shaped(_conditional(self.terminal_reach, _mask(self.compiled, condition),
                                         None if given is None else _mask(self.compiled, given)))

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

    @property
    def certified_share(self) -> float:
        """Share of settings whose equilibrium is certified exact."""
        return float(self.certified.mean())

    @property
    def max_nash_conv(self) -> float:
        """The largest NashConv over the settings (0 when every setting is exact)."""
        return float(self.nash_conv.max(initial=0.0))

    def parameter_ranges(self) -> dict[str, tuple[float, float]]:
        """``{parameter: (min, max)}`` over the settings."""
        return {k: (float(v.min()), float(v.max())) for k, v in self.parameters.items()}

    def issue_probabilities(self) -> dict[str, dict[str, float]]:
        """``{issue: {value: probability}}``, averaged over the settings."""
        return {name: {v: float(p.mean()) for v, p in table.items()} for name, table in self.issues.items()}

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
                "certified": self.certified_share,
                "max_nash_conv": self.max_nash_conv,
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
            "certified": self.certified_share,
            "max_nash_conv": self.max_nash_conv,
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


def _mask(compiled: CompiledNegotiation, condition: str) -> np.ndarray:
    """The terminals where ``condition`` holds."""
    return np.asarray(compiled.terminal_condition(compiled.condition(condition)), bool)


def _conditional(reach: np.ndarray, mask: np.ndarray, base: np.ndarray | None) -> np.ndarray:
    """``P(mask | base)`` per setting from terminal reach ``[B, T]`` (NaN where ``base`` cannot happen)."""
    if base is None:
        return reach[:, mask].sum(axis=1)
    joint = reach[:, mask & base].sum(axis=1)
    total = reach[:, base].sum(axis=1)
    return np.where(total > 0, joint / np.where(total > 0, total, 1.0), np.nan)


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


_WORKER_CACHE: dict[int, Any] = {}

CHUNK_BYTES: int = 128 * 2**20
"""Working memory one chunk of settings may use (estimated from the game's sizes).

:func:`solve_settings` splits a batch into chunks of at most this much work, so each
solving process holds one chunk at a time. With ``keep="summary"`` each chunk is reduced
where it is solved to a few statistics per column and merged as it arrives: peak memory is
about the interpreter and libraries plus ``CHUNK_BYTES`` per solving process plus
``O(columns)`` for the statistics, whatever the number of settings. With ``keep="draws"``
(the default) per-setting summaries are kept, which adds ``8 * (n + K + facts + issue
values + parameters + 4)`` bytes per setting (``K`` outcomes; about 2.4 KiB per draw for
istanbul-2025)."""

KEEP_REACH_ENTRIES: int = 4_000_000
"""Batches with at most this many (setting, terminal) pairs keep ``terminal_reach``
(for :meth:`BatchResult.probability`); larger ones keep summaries only."""

IN_FLIGHT: int = 32
"""Least number of chunks submitted to an executor ahead of the one being collected
(more when ``chunks=`` asks for more): enough to keep the workers busy, few enough that
finished chunks do not pile up in the client."""


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
        self.compiled = compiled
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
        self.condition_masks: dict[str, np.ndarray] = {}

    def __call__(self, solved: BatchSolution, keep_reach: bool) -> dict[str, Any]:
        reach = solved.profile.node_reach()[:, solved.game.terminals]
        return self._rows(solved, reach, keep_reach)

    def _rows(self, solved: BatchSolution, reach: np.ndarray, keep_reach: bool) -> dict[str, Any]:
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

    def _mask(self, condition: str) -> np.ndarray:
        if condition not in self.condition_masks:
            self.condition_masks[condition] = _mask(self.compiled, condition)
        return self.condition_masks[condition]

    def reduce(self, solved: BatchSolution, parameters: Mapping[str, np.ndarray],
               conditions: Sequence[tuple[str, str | None]]) -> dict[str, Any]:
        """The chunk's statistics (:class:`Moments`) per column, instead of its rows."""
        reach = solved.profile.node_reach()[:, solved.game.terminals]
        rows = self._rows(solved, reach, keep_reach=False)
        agents = self.compiled.negotiation.agent_names
        columns: list[tuple[Any, ...]] = [("value", a) for a in agents]
        blocks = [rows["values"].reshape(reach.shape[0], len(agents))]
        columns += [("outcome", label) for label in self.outcomes]
        blocks.append(rows["outcome_probabilities"])
        singles: list[tuple[tuple[Any, ...], np.ndarray]] = []
        singles += [(("issue", name, v), p) for name, table in rows["issues"].items() for v, p in table.items()]
        singles += [(("fact", fact), p) for fact, p in rows["facts"].items()]
        singles += [(("parameter", name), np.asarray(v, np.float64)) for name, v in parameters.items()]
        singles += [(("nash_conv",), rows["nash_conv"]), (("certified",), rows["certified"].astype(np.float64))]
        singles += [(("condition", c, g), _conditional(reach, self._mask(c), None if g is None else self._mask(g)))
                    for c, g in conditions]
        columns += [key for key, _ in singles]
        blocks += [np.asarray(p, np.float64).reshape(-1, 1) for _, p in singles]
        return {
            "moments": Moments.of(np.concatenate(blocks, axis=1)),
            "columns": tuple(columns),
            "draws": int(reach.shape[0]),
            "outcomes": self.outcomes,
            "method": rows["method"],
            "seeded": rows["seeded"],
            "strategy": rows["strategy"],
        }


Piece = dict[str, np.ndarray] | tuple[PriorDraws, int, int]  # the settings themselves, or draws [lo, hi) to make


def _solve_piece(compiled: CompiledNegotiation, summarize: _Summarizer, piece: Piece, options: dict[str, Any],
                 strategy: str, keep_reach: bool, conditions: Sequence[tuple[str, str | None]] | None,
                 progress: bool = False) -> dict[str, Any]:
    """Solve one chunk and summarize it: its rows, or (``conditions`` not None) its statistics."""
    params = piece if isinstance(piece, dict) else piece[0].range(piece[1], piece[2])
    solved = solve_batch(compiled.game_for(params), options, strategy=strategy, progress=progress)
    if conditions is None:
        return summarize(solved, keep_reach)
    return summarize.reduce(solved, params, conditions)


def _solve_chunk(
    negotiation: Negotiation, piece: Piece, options: dict[str, Any], strategy: str,
    keep_reach: bool = False, conditions: Sequence[tuple[str, str | None]] | None = None,
) -> dict[str, Any]:
    """Solve one chunk (in a worker): summaries out, so that any executor can ship them back.

    ``piece`` is the chunk's settings or, for a Monte Carlo, the range of draws to make here.
    With ``conditions`` (a summarized run) the chunk comes back as statistics per column.
    """
    key = hash(repr(negotiation))
    cached = _WORKER_CACHE.get(key)
    if cached is None:
        compiled = negotiation.compile()
        cached = _WORKER_CACHE[key] = (compiled, _Summarizer(compiled))
    compiled, summarize = cached
    return _solve_piece(compiled, summarize, piece, options, strategy, keep_reach, conditions)


def _pieces(parameters: Mapping[str, np.ndarray] | PriorDraws, bounds: np.ndarray) -> Iterator[Piece]:
    """The chunks' settings, made one at a time (a Monte Carlo's are ranges of draws, made where solved)."""
    for lo, hi in itertools.pairwise(int(b) for b in bounds):
        if hi > lo:
            yield (parameters, lo, hi) if isinstance(parameters, PriorDraws) else {
                k: v[lo:hi] for k, v in parameters.items()}


def _submitted(executor: Executor, pieces: Iterator[Piece], args: tuple[Any, ...], window: int) -> Iterator[Any]:
    """``_solve_chunk`` of every piece on ``executor``, in order, with at most ``window`` chunks in flight.

    A ``dask.distributed.Client`` given as the executor gets the negotiation once per worker
    (``scatter``) and each chunk a reference to it: dask keeps the last 1,000 messages to
    and from every worker for debugging, so a negotiation sent with each chunk would stay
    in memory 1,000 times over in the client and in each worker (about 130 MB for
    istanbul-2025).
    """
    negotiation = args[0]
    scatter = getattr(executor, "scatter", None)
    if callable(scatter):
        negotiation = scatter(negotiation, broadcast=True, hash=False)
    pending: deque[Any] = deque()
    try:
        for piece in pieces:
            pending.append(executor.submit(_solve_chunk, negotiation, piece, *args[1:]))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # interrupted: the chunks not collected are not wanted any more
        for future in pending:
            future.cancel()


def _size(piece: Piece) -> int:
    return piece[2] - piece[1] if isinstance(piece, tuple) else len(next(iter(piece.values())))


def solve_settings(
    model: Any,
    parameters: Mapping[str, Any] | PriorDraws,
    *,
    options: Mapping[str, Any] | None = None,
    strategy: str = "cfr",
    executor: Executor | None = None,
    chunks: int | None = None,
    progress: bool = False,
    shape: tuple[int, ...] | None = None,
    info: Mapping[str, Any] | None = None,
    chunk_bytes: int | None = None,
    keep: Literal["draws", "summary"] = "draws",
    conditions: Sequence[tuple[str, str | None] | str] | None = None,
) -> BatchResult | MonteCarloSummary:
    """Solve a negotiation for a batch of parameter settings (the engine of sweep and Monte Carlo).

    The settings are solved in chunks of at most :data:`CHUNK_BYTES` of work each, one
    chunk at a time per solving process. With ``keep="draws"`` per-setting summaries are
    kept (a few numbers per setting: values, NashConv, outcome, issue and fact
    probabilities). With ``keep="summary"`` each chunk is reduced where it is solved to
    statistics per column (count, mean, sum of squared deviations, min, max), merged as
    it arrives and dropped, so peak memory is about the interpreter and libraries plus
    ``CHUNK_BYTES`` per solving process plus ``O(columns)``, whatever the number of
    settings. If the run is interrupted (Ctrl-C) after at least one chunk, the result
    holds the settings finished so far, with ``info["interrupted"] = True`` and
    ``info["requested"]`` the number asked for.

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
    parameters : mapping of str to array [B]
        Values of the varied parameters (the others keep their defaults).
    options : mapping, optional
        Solver options (default: the negotiation's ``[solver]`` table).
    strategy : {"cfr", "reuse"}
        See :func:`negsim.analysis.batch.solve_batch`.
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Solve the chunks with ``executor.submit`` (threads, processes, a dask client's
        ``client.get_executor()``, or the dask ``Client`` itself), at most
        :data:`IN_FLIGHT` of them ahead of the one being collected. Prefer the ``Client``
        on a cluster: it sends the negotiation to each worker once, where an executor
        sends it with every chunk and dask's message logs keep the last 1,000 copies.
    chunks : int, optional
        Least number of chunks for the executor (default: 4); more when the memory
        budget asks for smaller ones.
    progress : bool
        Progress bar.
    chunk_bytes : int, optional
        Memory budget of one chunk (default :data:`CHUNK_BYTES`).
    keep : {"draws", "summary"}
        Keep every setting (a :class:`BatchResult`) or only statistics over them (a
        :class:`MonteCarloSummary`, for settings that are a sample).
    conditions : sequence of (condition, given or None), optional
        With ``keep="summary"``: the conditions whose probability (``P(condition |
        given)``) :meth:`MonteCarloSummary.condition_summary` will report.

    Returns
    -------
    BatchResult or MonteCarloSummary

    Examples
    --------
    >>> import numpy as np
    >>> from negsim.scenarios import load_scenario
    >>> result = solve_settings(load_scenario("istanbul-2025"), {"eu_bite": np.array([0.2, 0.8])})
    >>> result.draws, result.values.shape[0]
    (2, 2)
    """
    started = time.perf_counter()
    compiled = _compiled(model)
    wanted = _wanted_conditions(compiled, keep, conditions)
    params, B = _checked_parameters(compiled, parameters, materialize=wanted is None)
    opts = dict(compiled.negotiation.solver)
    opts.update(options or {})
    step = chunk_size(_sizes(compiled), budget=chunk_bytes)
    n_chunks = max(-(-B // step), min(int(chunks or 4), B) if executor is not None else 1)
    bounds = np.linspace(0, B, n_chunks + 1).astype(int)
    keep_reach = wanted is None and B * compiled.num_terminals <= KEEP_REACH_ENTRIES
    sink = _Rows() if wanted is None else _Merged()
    bar = None
    if progress and n_chunks > 1:
        from tqdm.auto import tqdm

        bar = tqdm(total=B, unit="setting", leave=False)
    interrupted = False
    try:
        if executor is not None:
            window = max(IN_FLIGHT, 2 * int(chunks or 4))
            args = (compiled.negotiation, opts, strategy, keep_reach, wanted)
            for part in _submitted(executor, _pieces(params, bounds), args, window):
                sink.add(part)
                if bar is not None:
                    bar.update(part["draws"] if "draws" in part else len(part["nash_conv"]))
        else:
            summarize = _Summarizer(compiled)
            for piece in _pieces(params, bounds):
                sink.add(_solve_piece(compiled, summarize, piece, opts, strategy, keep_reach, wanted,
                                      progress=progress and n_chunks == 1))
                if bar is not None:
                    bar.update(_size(piece))
    except KeyboardInterrupt:
        if sink.done == 0:
            raise
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
    details = dict(info or {})
    details.update({"strategy": sink.first["strategy"] or strategy, "method": sink.first["method"],
                    "seeded": sink.seeded, "chunks": sink.chunks})
    if interrupted:
        details.update({"interrupted": True, "requested": int(B)})
    if isinstance(sink, _Merged):
        return sink.result(compiled, time.perf_counter() - started, details)
    kept = {k: v[:sink.done] for k, v in params.items()}
    return _collect(compiled, kept, sink.parts, started, shape if shape and not interrupted else (sink.done,),
                    details)


Condition = tuple[str, str | None]  # (condition, given or None)


def _wanted_conditions(compiled: CompiledNegotiation, keep: str,
                       conditions: Sequence[Condition | str] | None) -> tuple[Condition, ...] | None:
    """The conditions a summarized run computes per draw (checked now), or None to keep the draws."""
    if keep not in ("draws", "summary"):
        raise ScenarioError(f"keep must be 'draws' or 'summary', not {keep!r}")
    if keep == "draws":
        if conditions:
            raise ScenarioError("conditions= is for keep='summary'; with keep='draws' use result.probability()")
        return None
    wanted = []
    for entry in conditions or ():
        condition, given = (entry, None) if isinstance(entry, str) else entry
        compiled.condition(condition)  # a mistyped condition fails before any solving
        if given is not None:
            compiled.condition(given)
        wanted.append((str(condition), None if given is None else str(given)))
    return tuple(dict.fromkeys(wanted))


def _checked_parameters(compiled: CompiledNegotiation, parameters: Mapping[str, Any] | PriorDraws, *,
                        materialize: bool) -> tuple[dict[str, np.ndarray] | PriorDraws, int]:
    """The settings and their number; a Monte Carlo's draws are made here only if every draw is kept."""
    if isinstance(parameters, PriorDraws):
        return (parameters.range(0, parameters.draws) if materialize else parameters), parameters.draws
    params = {k: np.atleast_1d(np.asarray(v, np.float64)) for k, v in parameters.items()}
    sizes = {v.size for v in params.values()}
    if len(sizes) != 1:
        raise ScenarioError("all parameter arrays must have the same length")
    B = sizes.pop()
    if B < 1:
        raise ScenarioError("no parameter settings to solve (the arrays are empty)")
    for name in params:
        compiled.negotiation.parameter(name)
    return params, B


class _Rows:
    """Collects each chunk's per-setting summaries (``keep="draws"``)."""

    def __init__(self) -> None:
        self.parts: list[dict[str, Any]] = []
        self.done = self.seeded = self.chunks = 0

    @property
    def first(self) -> dict[str, Any]:
        return self.parts[0]

    def add(self, part: dict[str, Any]) -> None:
        self.parts.append(part)
        self.done += len(part["nash_conv"])
        self.seeded += int(part["seeded"])
        self.chunks += 1


class _Merged:
    """Merges each chunk's statistics as it arrives and drops the chunk (``keep="summary"``)."""

    def __init__(self) -> None:
        self.moments: Moments | None = None
        self.first: dict[str, Any] = {}
        self.done = self.seeded = self.chunks = 0

    def add(self, part: dict[str, Any]) -> None:
        if self.moments is None:
            self.first = {k: v for k, v in part.items() if k != "moments"}
            self.moments = part["moments"]
        else:
            self.moments = self.moments.merge(part["moments"])
        self.done += int(part["draws"])
        self.seeded += int(part["seeded"])
        self.chunks += 1

    def result(self, compiled: CompiledNegotiation, seconds: float, info: dict[str, Any]) -> MonteCarloSummary:
        assert self.moments is not None
        return MonteCarloSummary(draws=self.done, seconds=seconds, agents=compiled.negotiation.agent_names,
                                 outcomes=self.first["outcomes"], columns=self.first["columns"],
                                 statistics=self.moments, info=info)


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
    if options.get("keep", "draws") != "draws":
        raise ScenarioError("a grid is reported point by point: sweep keeps every point (keep='draws')")
    return solve_settings(model, params, shape=tuple(a.size for a in axes), info={"kind": "sweep"}, **options)


# ---------------------------------------------------------------------------- Monte Carlo
def monte_carlo(
    model: Any,
    priors: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    draws: int = 1000,
    seed: int | None = None,
    keep: Literal["draws", "summary"] = "draws",
    conditions: Sequence[tuple[str, str | None] | str] | None = None,
    **options: Any,
) -> BatchResult | MonteCarloSummary:
    """Solve the negotiation for parameters drawn from their priors.

    The draws are made in blocks (see :func:`draw_parameters`), so a seed gives the same
    draws however the run is split into chunks, and the first ``N`` draws of a larger run
    are the draws of an ``N``-draw run.

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
    priors : mapping, optional
        Priors overriding the scenario's (see :func:`draw_parameters`).
    draws : int
    seed : int, optional
        Makes the draws, and so the result, reproducible. Without it, fresh entropy is
        chosen once and recorded as ``info["entropy"]`` (pass it as ``seed`` to repeat
        the run).
    keep : {"draws", "summary"}
        ``"draws"`` (default) keeps every draw's parameters and summaries: a
        :class:`BatchResult`, whose memory grows by a few KiB per draw. ``"summary"`` makes
        and solves each chunk's draws where the chunk is solved (in an executor's worker)
        and keeps only statistics over the draws: a :class:`MonteCarloSummary` with the
        same ``summary()``, ``to_dict()`` and ``condition_summary()``, in memory that
        does not grow with ``draws`` (about the interpreter and libraries plus
        :data:`CHUNK_BYTES` per solving process plus ``O(columns)``).
    conditions : sequence of (condition, given or None), optional
        With ``keep="summary"``: conditions whose probability ``P(condition | given)``
        is computed per draw, for :meth:`MonteCarloSummary.condition_summary`.
    **options
        Passed to :func:`solve_settings` (``options=``, ``executor=``, ``chunks=``,
        ``progress=``, ``chunk_bytes=``).

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> result = monte_carlo(load_scenario("istanbul-2025"), draws=50, seed=1)
    >>> result.draws, bool(result.nash_conv.max() < 0.01)  # most draws certified exact, the rest CFR+
    (50, True)
    >>> summary = result.summary()  # {outcome: {"probability", "standard_error"}}
    >>> light = monte_carlo(load_scenario("istanbul-2025"), draws=50, seed=1, keep="summary")
    >>> bool(abs(light.summary()[next(iter(summary))]["probability"]
    ...          - next(iter(summary.values()))["probability"]) < 1e-12)
    True
    """
    compiled = _compiled(model)
    lazy = prior_draws(compiled.negotiation, priors, draws=draws, seed=seed)
    info: dict[str, Any] = {"kind": "monte_carlo", "seed": seed}
    if seed is None:
        info["entropy"] = lazy.entropy
    return solve_settings(compiled, lazy, info=info, keep=keep, conditions=conditions, **options)
