"""A referee's audit of a scenario: do its facts come from a mechanism, or by construction?

:func:`audit` runs the checklist of the domain notes ("Rules a scenario must keep") on a
scenario and returns an :class:`AuditReport`: every problem as a :class:`Finding` (a
kind, a severity, the names involved, numbers and a sentence), and per ``[[expect]]``
fact the details (:class:`FactAudit`).

**The box.** The declared ``range`` of every parameter that has one (a range with equal
ends counts as fixed); the other parameters stay at their values. The box is explored at
its default point, at its corners and at a scrambled Sobol sample of at least
``box_samples`` points (``scipy.stats.qmc``, rounded up to a power of two, seeded: the
same seed gives the same report). Corners: all ``2**d`` when ``d <= 10`` parameters vary;
beyond that, the rows of a Sylvester-Hadamard matrix of order ``2**ceil(log2(d + 1))`` and
their negatives (a fold-over two-level design: every pair of parameters takes all four
low/high combinations). All of it is one batched solve
(:func:`negsim.analysis.solve_settings`) -- except when only the facts' verdicts are
wanted (``negsim check``): then the default point, the corners and the first 256 Sobol
points come first, and the rest is solved only while some fact has failed nowhere yet.

**Facts.** A fact that holds at every box point holds **by construction** (an error,
unless the fact is declared ``structural = "why"``); for such a fact, every parameter
without a range is probed at ``v + s * (-2, -1, -1/2, 1/2, 1, 2)`` (``s = max(|v|, 1)``)
to name what would flip it. A fact that holds at no box point is reported too. **Flips**:
for every ranged parameter, a grid of ``grid_points`` values over its range plus its
default, the others at their defaults (all parameters in one batched solve); each change
of the verdict between neighbours is narrowed by batched bisection (each round solves 3
points inside every open bracket at once) to ``tol`` times the range. A fact that no
single parameter flips breaks the rule "each fact flips under a change of one parameter".
**Priors**: the share of ``draws`` prior draws (:func:`negsim.analysis.draw_parameters`,
seeded) in which each fact holds, and the parameters that flip a fact but have no prior.

**Preconditions** (from the compiled tree, for any parameters): a hard precondition
*applies* where its move's stage takes place and the move's own protocol condition
holds; a soft one where the move is offered. One that fails wherever it applies blocks
the move in every history (hard) or is a constant cost (soft); one that holds wherever it
applies never binds. **Moves** never played (probability below ``0.01`` on the
equilibrium path at every box point; moves no history offers are reported as never
available). **Inert types**: a chance event seen by some agents but not all, whose
outcome never moves the distribution of the path of moves (conditional on each outcome
of positive probability; total variation below ``0.01``) at any box point.

**Hindsight.** The dates a parameter's ``source`` cites (or its ``source_date``) are
compared with the date of the first stage whose decision it informs (the rules of
:mod:`negsim.analysis.dates`: a parameter in an agent's payoff or soft-precondition cost
informs every stage of that agent, one in a chance event's probabilities every stage after
the event). A source whose latest cited date is after that stage's date is **hindsight**
(an error) unless the parameter is marked ``calibrated = "what it was calibrated to"``
(then a note).

**Scenario keys** the audit reads: ``[[expect]] structural = "why"`` (the fact holds by
construction on purpose), ``[parameters.X] calibrated = "to what"`` and
``[parameters.X] source_date = "YYYY-MM-DD"`` (when the number was known, if the dates
in ``source`` do not say it).

**Severities.** ``error``: a fact by construction, unmarked hindsight -- ``negsim check``
fails on these. ``warning``: the other breaches of the checklist (a fact that no single
parameter flips or that never holds, a flip without a prior, preconditions that never or
always bind, moves never played, inert types) -- ``negsim audit`` fails on errors and
warnings. ``note``: excused (structural facts, calibrated parameters).
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from negsim.analysis._audit_checks import (
    TOLERANCE,
    fact_findings,
    hindsight_findings,
    move_findings,
    precondition_findings,
    type_findings,
)
from negsim.analysis._audit_results import AuditReport, FactAudit, Finding, Flip
from negsim.analysis._sweep import _compiled, draw_parameters, solve_settings
from negsim.analysis.solve import solve_game
from negsim.errors import GameError, ScenarioError
from negsim.negotiation.compiler import CompiledNegotiation
from negsim.negotiation.model import Expectation, Negotiation, Parameter

__all__ = ["AuditReport", "FactAudit", "Finding", "Flip", "audit", "CHECKS", "FINDING_KINDS"]

CHECKS = ("box", "flips", "priors", "preconditions", "moves", "types", "hindsight")
"""The parts of the audit, for ``audit(..., checks=)``."""

FINDING_KINDS = {
    "by_construction": "a fact holds at every point of the box of declared ranges",
    "never_holds": "a fact holds at no point of the box",
    "no_single_flip": "no single parameter flips a fact inside its declared range",
    "flip_without_prior": "parameters that flip a fact have no prior",
    "hard_always_blocks": "a hard precondition blocks its move in every history where it applies",
    "soft_never_met": "a soft precondition is never met where it applies (a constant cost)",
    "precondition_never_binds": "a precondition holds in every history where it applies",
    "unplayed_move": "a move is played nowhere in the box (or no history offers it)",
    "inert_type": "a private chance event never changes anyone's moves over the box",
    "hindsight": "a parameter's source is dated after the first decision it informs",
}
"""Every kind of :class:`Finding`, with what it means."""

_CORNERS_FULL = 10  # all 2**d corners up to d = 10 (1,024 settings)
_FIRST_CHUNK = 256  # Sobol points solved first when only the facts' verdicts are needed


# ---------------------------------------------------------------------------- audit
def audit(
    model: Any,
    *,
    checks: Collection[str] | None = None,
    box_samples: int = 2048,
    grid_points: int = 17,
    draws: int = 1000,
    seed: int = 0,
    tol: float = 1e-3,
    options: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> AuditReport:
    """Audit a scenario against the referee's checklist (see the module docstring).

    Parameters
    ----------
    model : Scenario, Negotiation or CompiledNegotiation
    checks : collection of str, optional
        The parts to run (default all of :data:`CHECKS`). ``negsim check`` runs
        ``{"box", "hindsight"}``; without ``"moves"`` and ``"types"`` the box is solved in
        two chunks and the second is skipped once every fact fails somewhere.
    box_samples : int
        Sobol points in the box (rounded up to a power of two), besides its corners.
    grid_points : int
        Grid points per parameter when looking for single-parameter flips.
    draws : int
        Prior draws for the facts' prior shares.
    seed : int
        Seeds the Sobol sample and the prior draws.
    tol : float
        Thresholds are located to ``tol`` times the parameter's range.
    options : mapping, optional
        Solver options (default: the scenario's ``[solver]`` table).
    progress : bool
        Show a progress bar.

    Returns
    -------
    AuditReport

    Raises
    ------
    ScenarioError
        For an unknown check, or a scenario that does not compile or solve.

    Examples
    --------
    A truce Moscow accepts whatever the war costs Kyiv holds by construction:

    >>> from negsim.negotiation import Agent, Expectation, Issue, Move, Negotiation, Parameter, Stage
    >>> talks = Negotiation(
    ...     title="A truce offer",
    ...     parameters=[Parameter("war_cost", 2.0, source="assumption", range=(0.0, 4.0))],
    ...     issues=[Issue("truce", [False, True])],
    ...     agents=[Agent("Kyiv", payoff="3 * truce - war_cost * (not truce)"),
    ...             Agent("Moscow", payoff="1 + truce")],
    ...     stages=[Stage("answer", "Moscow", [Move("accept", set={"truce": True}), Move("refuse")])],
    ...     expectations=[Expectation("Moscow accepts", "truce", at_least=0.9)],
    ... )
    >>> report = audit(talks, checks={"box"}, box_samples=16)
    >>> [(f.kind, f.names) for f in report.errors]
    [('by_construction', ('Moscow accepts',))]
    """
    started = time.perf_counter()
    asked = set(CHECKS if checks is None else checks)
    unknown = sorted(asked - set(CHECKS))
    if unknown:
        raise ScenarioError(f"unknown audit check {unknown[0]!r} (checks: {', '.join(CHECKS)})")
    wanted = tuple(c for c in CHECKS if c in asked)
    if box_samples < 1 or grid_points < 2 or draws < 1 or not 0 < tol < 1:
        raise ScenarioError("need box_samples >= 1, grid_points >= 2, draws >= 1 and 0 < tol < 1")
    compiled = _compiled(model)
    neg = compiled.negotiation
    name = neg.name or str(getattr(model, "name", "")) or neg.title
    opts = dict(neg.solver)
    opts.update(options or {})
    exps = neg.expectations
    ranged = [p for p in neg.parameters if p.range is not None and p.range[1] > p.range[0]]
    steps = [c for c in ("box", "flips", "priors") if c in wanted] or ["box"]
    bar = _Steps(len(steps) + 1, f"audit {name}") if progress else _Steps(0, "")
    facts_by_index: dict[int, dict[str, Any]] = {k: {} for k in range(len(exps))}
    try:
        reach, box_info = _explore_box(compiled, ranged, wanted, facts_by_index, box_samples, seed, opts, progress)
        bar.update()
        if "flips" in wanted and exps:
            flips = _flips(compiled, ranged, grid_points, tol, opts, progress)
            for k in facts_by_index:
                facts_by_index[k]["flips"] = tuple(flips[k])
            bar.update()
        draws_done = 0
        if "priors" in wanted and exps:
            draws_done = _prior_shares(compiled, facts_by_index, draws, seed, opts, progress)
            bar.update()
        if "box" in wanted:
            _probe_stuck_facts(compiled, ranged, facts_by_index, opts, progress)
        fact_audits = tuple(
            FactAudit(fact=exp.fact, condition=exp.condition, structural=exp.structural, **facts_by_index[k])
            for k, exp in enumerate(exps)
        )
        findings = _findings(compiled, wanted, fact_audits, reach, box_info["points"])
        bar.update()
    finally:
        bar.close()
    return AuditReport(scenario=name, findings=tuple(findings), facts=fact_audits, box=box_info, draws=draws_done,
                       checks=wanted, seconds=time.perf_counter() - started)


def _explore_box(compiled: CompiledNegotiation, ranged: list[Parameter], wanted: tuple[str, ...],
                 facts_by_index: dict[int, dict[str, Any]], box_samples: int, seed: int,
                 opts: Mapping[str, Any], progress: bool) -> tuple[np.ndarray, dict[str, Any]]:
    """Solve the box (without the box-wide checks, only its default point: the facts' verdicts there).

    Records each fact's verdict at the defaults, its share of the box and whether it holds
    by construction; returns the terminal reach at the points solved and the box's description.
    """
    box, corners = _box(compiled.negotiation, ranged, box_samples, seed)
    explored = bool({"box", "moves", "types"} & set(wanted))
    if not explored:
        box, corners = box[:1], 0
    settings = {p.name: box[:, j] for j, p in enumerate(ranged)}
    need_all = "moves" in wanted or "types" in wanted
    first = min(len(box), 1 + corners + min(_FIRST_CHUNK, box_samples))
    reach = _solve(compiled, _rows(settings, slice(0, first)), first, opts, progress)
    holds = _holds(compiled, reach, _rows(settings, slice(0, first)))
    # the second chunk matters for the facts only while one of them has not failed anywhere yet
    if first < len(box) and (need_all or bool(holds.all(axis=1).any())):
        rest = _rows(settings, slice(first, None))
        more = _solve(compiled, rest, len(box) - first, opts, progress)
        reach = np.concatenate([reach, more])
        holds = np.concatenate([holds, _holds(compiled, more, rest)], axis=1)
    box_info = {"parameters": [p.name for p in ranged], "points": int(reach.shape[0]), "corners": int(corners),
                "samples": int(len(box) - 1 - corners), "seed": seed}  # points: those solved
    for k in facts_by_index:
        facts_by_index[k].update(holds_at_default=bool(holds[k, 0]),
                                 box_share=float(holds[k].mean()) if explored else None,
                                 by_construction=bool(holds[k].all()) if explored else None)
    return reach, box_info


def _prior_shares(compiled: CompiledNegotiation, facts_by_index: dict[int, dict[str, Any]], draws: int, seed: int,
                  opts: Mapping[str, Any], progress: bool) -> int:
    """Each fact's share of prior draws, and which of its flippers have no prior; returns the draws solved."""
    neg = compiled.negotiation
    priored = {p.name for p in neg.parameters if p.prior}
    draws_done = 0
    if priored:
        drawn = draw_parameters(neg, draws=draws, seed=seed)
        prior_holds = _holds(compiled, _solve(compiled, drawn, draws, opts, progress), drawn)
        draws_done = draws
        for k in facts_by_index:
            facts_by_index[k]["prior_share"] = float(prior_holds[k].mean())
    for k in facts_by_index:
        flippers = dict.fromkeys(f.parameter for f in facts_by_index[k].get("flips", ()))
        facts_by_index[k]["flippers_without_prior"] = tuple(p for p in flippers if p not in priored)
    return draws_done


def _probe_stuck_facts(compiled: CompiledNegotiation, ranged: list[Parameter],
                       facts_by_index: dict[int, dict[str, Any]], opts: Mapping[str, Any], progress: bool) -> None:
    """For facts that hold by construction: which parameters without a range would flip them."""
    exps = compiled.negotiation.expectations
    stuck = [k for k in facts_by_index if facts_by_index[k]["by_construction"] and not exps[k].structural]
    if stuck:
        outside = _probe_unranged(compiled, ranged, stuck, opts, progress)
        for k in stuck:
            facts_by_index[k]["flipped_outside_ranges"] = outside.get(k, {})


def _findings(compiled: CompiledNegotiation, wanted: tuple[str, ...], fact_audits: tuple[FactAudit, ...],
              reach: np.ndarray, points: int) -> list[Finding]:
    """Every finding of the checks asked for, errors first, then warnings, then notes."""
    findings: list[Finding] = []
    if "box" in wanted:
        findings += fact_findings(fact_audits, points, "flips" in wanted, "priors" in wanted)
    if "preconditions" in wanted:
        findings += precondition_findings(compiled)
    if "moves" in wanted:
        findings += move_findings(compiled, reach, points)
    if "types" in wanted:
        findings += type_findings(compiled, reach)
    if "hindsight" in wanted:
        findings += hindsight_findings(compiled)
    order = {"error": 0, "warning": 1, "note": 2}
    findings.sort(key=lambda f: order[f.severity])
    return findings


# ---------------------------------------------------------------------------- solving
class _Steps:
    """A tqdm bar over the audit's steps, or nothing (tqdm is imported only when shown)."""

    def __init__(self, total: int, desc: str) -> None:
        self._bar = None
        if total:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="step", leave=False)

    def update(self) -> None:
        if self._bar is not None:
            self._bar.update()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _rows(settings: dict[str, np.ndarray], rows: slice) -> dict[str, np.ndarray]:
    return {k: v[rows] for k, v in settings.items()}


def _solve(compiled: CompiledNegotiation, settings: Mapping[str, np.ndarray], size: int,
           options: Mapping[str, Any], progress: bool) -> np.ndarray:
    """Equilibrium probability of every terminal, ``[size, T]``, in one batched solve."""
    neg = compiled.negotiation
    if not settings:
        if not neg.parameters:  # nothing can vary: one solve, repeated
            solution = solve_game(compiled.game, options)
            reach = solution.profile.node_reach()[compiled.game.terminals]
            return np.broadcast_to(reach, (size, reach.shape[-1]))
        first = neg.parameters[0]
        settings = {first.name: np.full(size, float(first.value))}
    return solve_settings(compiled, settings, options=options, progress=progress).terminal_reach


def _holds(compiled: CompiledNegotiation, reach: np.ndarray, settings: Mapping[str, np.ndarray]) -> np.ndarray:
    """Whether each fact holds at each setting: ``bool[F, B]``."""
    exps = compiled.negotiation.expectations
    out = np.zeros((len(exps), reach.shape[0]), bool)
    for k, exp in enumerate(exps):
        cond = compiled.condition(exp.condition, where=f"expect[{k}].condition")
        # facts may name parameters: evaluate the condition with each setting's values
        mask = compiled.terminal_condition(cond, dict(settings) or None)
        out[k] = _verdict(exp, (reach * mask).sum(axis=-1))
    return out


def _verdict(exp: Expectation, probability: np.ndarray) -> np.ndarray:
    ok = np.ones(np.shape(probability), bool)
    if exp.at_least is not None:
        ok &= probability >= exp.at_least - TOLERANCE
    if exp.at_most is not None:
        ok &= probability <= exp.at_most + TOLERANCE
    return ok


# ---------------------------------------------------------------------------- the box
def _box(neg: Negotiation, ranged: list[Parameter], samples: int, seed: int) -> tuple[np.ndarray, int]:
    """The default point, the corners and a Sobol sample: ``[1 + corners + samples, d]``."""
    from scipy.stats import qmc

    d = len(ranged)
    default = np.array([[float(p.value) for p in ranged]])
    if d == 0:
        return default.reshape(1, 0), 0
    lo = np.array([p.range[0] for p in ranged])
    hi = np.array([p.range[1] for p in ranged])
    if d <= _CORNERS_FULL:
        signs = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(bool)
    else:
        from scipy.linalg import hadamard

        order = 2 ** math.ceil(math.log2(d + 1))
        h = hadamard(order)[:, 1 : d + 1] > 0
        signs = np.concatenate([h, ~h])
    corners = np.where(signs, hi, lo)
    m = max(0, math.ceil(math.log2(samples)))
    unit = qmc.Sobol(d, scramble=True, seed=seed).random_base2(m)
    return np.concatenate([default, corners, lo + unit * (hi - lo)]), int(corners.shape[0])


def _flips(compiled: CompiledNegotiation, ranged: list[Parameter], points: int, tol: float,
           options: Mapping[str, Any], progress: bool) -> list[list[Flip]]:
    """Every single-parameter flip of every fact, by a grid and batched bisection."""
    exps = compiled.negotiation.expectations
    out: list[list[Flip]] = [[] for _ in exps]
    if not ranged:
        return out
    defaults = np.array([float(p.value) for p in ranged])

    def solve_rows(which: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """Verdicts ``[F, R]`` with parameter ``which[r]`` at ``xs[r]``, the others at defaults."""
        table = np.repeat(defaults[None], len(xs), axis=0)
        table[np.arange(len(xs)), which] = xs
        settings = {p.name: table[:, j] for j, p in enumerate(ranged)}
        return _holds(compiled, _solve(compiled, settings, len(xs), options, progress), settings)

    grids = [np.unique(np.append(np.linspace(p.range[0], p.range[1], points), float(p.value))) for p in ranged]
    which = np.concatenate([np.full(g.size, j) for j, g in enumerate(grids)])
    xs = np.concatenate(grids)
    verdicts = solve_rows(which, xs)
    # open brackets: [fact, parameter, a, b, holds at a]
    brackets: list[list[Any]] = []
    start = 0
    for j, g in enumerate(grids):
        part = verdicts[:, start : start + g.size]
        start += g.size
        for k in range(len(exps)):
            for i in np.flatnonzero(part[k, 1:] != part[k, :-1]):
                brackets.append([k, j, float(g[i]), float(g[i + 1]), bool(part[k, i])])
    inner = 3
    widths = np.array([tol * (p.range[1] - p.range[0]) for p in ranged])
    for _ in range(60):  # each round divides every bracket by 4; 60 rounds is far beyond any tol
        open_ = [b for b in brackets if b[3] - b[2] > widths[b[1]]]
        if not open_:
            break
        probe_which = np.repeat([b[1] for b in open_], inner)
        probe_x = np.concatenate([np.linspace(b[2], b[3], inner + 2)[1:-1] for b in open_])
        found = solve_rows(probe_which, probe_x)
        for i, b in enumerate(open_):
            xs_b = np.concatenate(([b[2]], probe_x[i * inner : (i + 1) * inner], [b[3]]))
            side = np.concatenate(([b[4]], found[b[0], i * inner : (i + 1) * inner], [not b[4]]))
            c = int(np.flatnonzero(side[1:] != side[:-1])[0])
            b[2], b[3], b[4] = float(xs_b[c]), float(xs_b[c + 1]), bool(side[c])
    for k, j, a, b, below in sorted(brackets, key=lambda b: (b[0], b[1], b[2])):
        out[k].append(Flip(parameter=ranged[j].name, value=0.5 * (a + b), bracket=(a, b), holds_below=below))
    return out


def _probe_unranged(compiled: CompiledNegotiation, ranged: list[Parameter], facts: list[int],
                    options: Mapping[str, Any], progress: bool) -> dict[int, dict[str, list[float]]]:
    """For facts by construction: values of parameters without a range at which they fail."""
    neg = compiled.negotiation
    names = {p.name for p in ranged}
    blocks: list[tuple[str, np.ndarray]] = []
    for p in neg.parameters:
        if p.name in names:
            continue
        scale = max(abs(float(p.value)), 1.0)
        values = float(p.value) + scale * np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
        try:  # values the model refuses (a probability below 0, a division by 0) are not probed
            compiled.game_for({p.name: values})
        except (ScenarioError, GameError):
            continue
        blocks.append((p.name, values))
    if not blocks:
        return {}
    base = {p.name: float(p.value) for p in neg.parameters}
    size = sum(v.size for _, v in blocks)
    settings = {n: np.full(size, base[n]) for n, _ in blocks}
    start = 0
    for n, values in blocks:
        settings[n][start : start + values.size] = values
        start += values.size
    verdicts = _holds(compiled, _solve(compiled, settings, size, options, progress), settings)
    out: dict[int, dict[str, list[float]]] = {}
    for k in facts:
        start = 0
        for n, values in blocks:
            fails = ~verdicts[k, start : start + values.size]
            start += values.size
            if fails.any():
                # nearest the default first: the smallest change that breaks the fact
                failing = sorted(values[fails], key=lambda v, d=base[n]: abs(v - d))
                out.setdefault(k, {})[n] = [float(v) for v in failing]
    return out
