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

import datetime
import math
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.analysis.dates import informed_stages, source_dates, stage_dates
from negsim.analysis.solve import solve_game
from negsim.analysis.sweep import _compiled, draw_parameters, solve_settings
from negsim.errors import GameError, ScenarioError
from negsim.negotiation.compiler import CompiledNegotiation
from negsim.negotiation.model import Expectation, Negotiation, Parameter, Stage

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
_PLAYED = 0.01  # a move is played when its path probability reaches this somewhere
_INERT = 0.01  # a type works when it moves the path distribution by this much somewhere
_TOLERANCE = 1e-9


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Finding:
    """One problem (or excused breach) found by :func:`audit`.

    Attributes
    ----------
    kind : str
        One of :data:`FINDING_KINDS`.
    severity : {"error", "warning", "note"}
    names : tuple of str
        The facts, parameters, agents, moves (``stage.move``) or chance events involved.
    numbers : dict
        The figures behind it (box points, probabilities, dates, thresholds).
    message : str
        One readable sentence.
    """

    kind: str
    severity: str
    names: tuple[str, ...]
    numbers: dict[str, Any]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "names": list(self.names),
                "numbers": dict(self.numbers), "message": self.message}


@dataclass(frozen=True)
class Flip:
    """Where one parameter, the others at their defaults, flips a fact's verdict.

    ``holds_below`` tells whether the fact holds just below ``value``.
    """

    parameter: str
    value: float
    bracket: tuple[float, float]
    holds_below: bool

    def to_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "value": self.value, "bracket": list(self.bracket),
                "holds_below": self.holds_below}


@dataclass(frozen=True)
class FactAudit:
    """The audit of one ``[[expect]]`` fact.

    Attributes
    ----------
    fact, condition : str
    holds_at_default : bool
    box_share : float or None
        Share of the box points at which the fact holds (None when the box was not
        explored: no ``box``, ``moves`` or ``types`` check).
    by_construction : bool or None
        It holds at every box point (None when the box was not explored).
    structural : str
        The scenario's reason, if it declares the fact structural.
    flips : tuple of Flip
        Every single-parameter flip inside the declared ranges.
    prior_share : float or None
        Share of the prior draws in which it holds (None without priors).
    flippers_without_prior : tuple of str
    flipped_outside_ranges : dict of str to list of float
        For a fact by construction: parameters without a range and the probed values at
        which the fact fails.
    """

    fact: str
    condition: str
    holds_at_default: bool
    box_share: float | None
    by_construction: bool | None
    structural: str = ""
    flips: tuple[Flip, ...] = ()
    prior_share: float | None = None
    flippers_without_prior: tuple[str, ...] = ()
    flipped_outside_ranges: dict[str, list[float]] = field(default_factory=dict)

    @property
    def flipped_by(self) -> tuple[str, ...]:
        """The parameters that flip the fact, each once, in order of their first flip."""
        return tuple(dict.fromkeys(f.parameter for f in self.flips))

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact, "condition": self.condition, "holds_at_default": self.holds_at_default,
            "box_share": self.box_share, "by_construction": self.by_construction, "structural": self.structural,
            "flips": [f.to_dict() for f in self.flips], "flipped_by": list(self.flipped_by),
            "prior_share": self.prior_share, "flippers_without_prior": list(self.flippers_without_prior),
            "flipped_outside_ranges": {k: list(v) for k, v in self.flipped_outside_ranges.items()},
        }


@dataclass(frozen=True)
class AuditReport:
    """What :func:`audit` found.

    Attributes
    ----------
    scenario : str
    findings : tuple of Finding
        Errors first, then warnings, then notes.
    facts : tuple of FactAudit
    box : dict
        ``parameters`` (the ranged ones), ``points``, ``corners``, ``samples``, ``seed``.
    draws : int
        Prior draws solved (0 without priors or without the ``priors`` check).
    checks : tuple of str
        The parts of the audit that ran.
    seconds : float
    """

    scenario: str
    findings: tuple[Finding, ...]
    facts: tuple[FactAudit, ...]
    box: dict[str, Any]
    draws: int
    checks: tuple[str, ...]
    seconds: float

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def clean(self) -> bool:
        """No errors and no warnings (notes allowed): ``negsim audit`` exits 0."""
        return not self.errors and not self.warnings

    def of_kind(self, kind: str) -> tuple[Finding, ...]:
        """The findings of one kind."""
        return tuple(f for f in self.findings if f.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "clean": self.clean, "errors": len(self.errors),
            "warnings": len(self.warnings), "findings": [f.to_dict() for f in self.findings],
            "facts": [f.to_dict() for f in self.facts], "box": dict(self.box), "draws": self.draws,
            "checks": list(self.checks), "seconds": self.seconds,
        }

    def text(self) -> str:
        """A readable report: a table of the facts, then the findings."""
        lines = [f"{self.scenario}: audit over {self.box.get('points', 0):,} box settings "
                 f"({len(self.box.get('parameters', []))} ranged parameters), {self.draws:,} prior draws, "
                 f"{self.seconds:.1f} s"]
        if self.facts:
            lines.append("")
            width = min(max(len(f.fact) for f in self.facts), 60)
            lines.append(f"  {'fact':<{width}}  default  box    prior  flipped by (threshold)")
            for f in self.facts:
                name = f.fact if len(f.fact) <= width else f.fact[: width - 3] + "..."
                prior = "-" if f.prior_share is None else f"{f.prior_share:.2f}"
                flips = ", ".join(f"{x.parameter} {x.value:.4g}" for x in f.flips) or "-"
                verdict = "holds" if f.holds_at_default else "FAILS"
                box = "-" if f.box_share is None else f"{f.box_share:.2f}"
                lines.append(f"  {name:<{width}}  {verdict:<7}  {box:<5}  {prior:<5}  {flips}")
        lines.append("")
        counts = f"{len(self.errors)} errors, {len(self.warnings)} warnings"
        notes = len(self.findings) - len(self.errors) - len(self.warnings)
        lines.append(f"Findings: {counts}, {notes} notes" if self.findings else "Findings: none")
        for f in self.findings:
            lines.append(f"  {f.severity.upper():<8} {f.kind:<25} {f.message}")
        return "\n".join(lines)


def _day(d: datetime.date) -> str:
    return f"{d.day} {d:%b %Y}"


def _days(delta: datetime.timedelta) -> str:
    return "1 day" if delta.days == 1 else f"{delta.days:,} days"


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
    findings: list[Finding] = []
    steps = [c for c in ("box", "flips", "priors") if c in wanted] or ["box"]
    bar = _Steps(len(steps) + 1, f"audit {name}") if progress else _Steps(0, "")
    facts_by_index: dict[int, dict[str, Any]] = {k: {} for k in range(len(exps))}
    try:
        # -------- the box (without the box-wide checks, only its default point: the facts' verdicts there)
        box, corners = _box(neg, ranged, box_samples, seed)
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
        solved_points = reach.shape[0]
        bar.update()
        box_info = {"parameters": [p.name for p in ranged], "points": int(solved_points), "corners": int(corners),
                    "samples": int(len(box) - 1 - corners), "seed": seed}  # points: those solved
        for k in facts_by_index:
            facts_by_index[k].update(holds_at_default=bool(holds[k, 0]),
                                     box_share=float(holds[k].mean()) if explored else None,
                                     by_construction=bool(holds[k].all()) if explored else None)
        # -------- single-parameter flips
        if "flips" in wanted and exps:
            flips = _flips(compiled, ranged, grid_points, tol, opts, progress)
            for k in facts_by_index:
                facts_by_index[k]["flips"] = tuple(flips[k])
            bar.update()
        # -------- priors
        draws_done = 0
        if "priors" in wanted and exps:
            priored = {p.name for p in neg.parameters if p.prior}
            if priored:
                drawn = draw_parameters(neg, draws=draws, seed=seed)
                prior_reach = _solve(compiled, drawn, draws, opts, progress)
                prior_holds = _holds(compiled, prior_reach, drawn)
                draws_done = draws
                for k in facts_by_index:
                    facts_by_index[k]["prior_share"] = float(prior_holds[k].mean())
            for k in facts_by_index:
                flippers = dict.fromkeys(f.parameter for f in facts_by_index[k].get("flips", ()))
                facts_by_index[k]["flippers_without_prior"] = tuple(p for p in flippers if p not in priored)
            bar.update()
        # -------- what parameters without a range would flip a fact by construction
        if "box" in wanted:
            stuck = [k for k in facts_by_index if facts_by_index[k]["by_construction"] and not exps[k].structural]
            if stuck:
                outside = _probe_unranged(compiled, ranged, stuck, opts, progress)
                for k in stuck:
                    facts_by_index[k]["flipped_outside_ranges"] = outside.get(k, {})
        fact_audits = tuple(
            FactAudit(fact=exp.fact, condition=exp.condition, structural=exp.structural, **facts_by_index[k])
            for k, exp in enumerate(exps)
        )
        if "box" in wanted:
            findings += _fact_findings(fact_audits, solved_points, "flips" in wanted, "priors" in wanted)
        if "preconditions" in wanted:
            findings += _precondition_findings(compiled)
        if "moves" in wanted:
            findings += _move_findings(compiled, reach, solved_points)
        if "types" in wanted:
            findings += _type_findings(compiled, reach)
        if "hindsight" in wanted:
            findings += _hindsight_findings(compiled)
        bar.update()
    finally:
        bar.close()
    order = {"error": 0, "warning": 1, "note": 2}
    findings.sort(key=lambda f: order[f.severity])
    return AuditReport(scenario=name, findings=tuple(findings), facts=fact_audits, box=box_info, draws=draws_done,
                       checks=wanted, seconds=time.perf_counter() - started)


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
        ok &= probability >= exp.at_least - _TOLERANCE
    if exp.at_most is not None:
        ok &= probability <= exp.at_most + _TOLERANCE
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


# ---------------------------------------------------------------------------- findings: facts
def _fact_findings(facts: tuple[FactAudit, ...], points: int, flips: bool, priors: bool) -> list[Finding]:
    out = []
    for f in facts:
        if f.by_construction:
            outside = f.flipped_outside_ranges
            hint = ""
            if outside:
                hint = "; it fails only outside the declared ranges: " + ", ".join(
                    f"{p} = {v[0]:.4g} (it has no range)" for p, v in outside.items())
            if f.structural:
                out.append(Finding("by_construction", "note", (f.fact,), {"box_points": points},
                                   f"'{f.fact}' holds at all {points:,} box settings; declared structural: "
                                   f"{f.structural}"))
            else:
                out.append(Finding("by_construction", "error", (f.fact, *outside), {
                    "box_points": points, "outside_ranges": {k: list(v) for k, v in outside.items()}},
                    f"'{f.fact}' holds at all {points:,} box settings: it says nothing about the talks{hint}"))
            continue
        if f.box_share == 0.0:
            out.append(Finding("never_holds", "warning", (f.fact,), {"box_points": points},
                               f"'{f.fact}' holds at none of the {points:,} box settings"))
            continue
        if flips and not f.flips:
            out.append(Finding("no_single_flip", "warning", (f.fact,), {"box_share": f.box_share},
                               f"'{f.fact}' holds at {f.box_share:.0%} of the box, but no single parameter "
                               "flips it from the defaults inside its range"))
        if priors and f.flippers_without_prior:
            thresholds = {p: [x.value for x in f.flips if x.parameter == p] for p in f.flippers_without_prior}
            out.append(Finding("flip_without_prior", "warning", (f.fact, *f.flippers_without_prior),
                               {"thresholds": thresholds},
                               f"'{f.fact}' flips with {', '.join(f.flippers_without_prior)}, which "
                               f"{'has' if len(f.flippers_without_prior) == 1 else 'have'} no prior"))
    return out


# ---------------------------------------------------------------------------- findings: the tree
@dataclass(frozen=True)
class _Tree:
    """Per node of the compiled tree: its state, and the protocol steps considered there."""

    codes: np.ndarray  # [N, V] state at the node (before its own step)
    entry: np.ndarray  # [N] first step considered on the way to the node
    last: np.ndarray  # [N] last step considered (the node's own step; the last step at a terminal)
    stage_of: np.ndarray  # [N]
    parent: np.ndarray  # [N]


def _tree(compiled: CompiledNegotiation) -> _Tree:
    parent = np.asarray(compiled.game.parent)
    stage_of = np.asarray(compiled.node_stage)
    codes = np.asarray(compiled.node_codes)
    steps = compiled.steps
    names = list(compiled.variables)
    entry = np.zeros(parent.size, np.int64)
    child = np.flatnonzero(parent >= 0)
    entry[child] = stage_of[parent[child]] + 1
    for pos, step in enumerate(steps):
        if isinstance(step, Stage):
            ends = [compiled.variables[step.name].values.index(m.name) for m in step.moves if m.end]
            if ends:
                mine = child[stage_of[parent[child]] == pos]
                made = codes[mine, names.index(step.name)]
                entry[mine[np.isin(made, ends)]] = len(steps)  # the talks ended: nothing more considered
    last = np.where(stage_of >= 0, stage_of, len(steps) - 1)
    return _Tree(codes, entry, last, stage_of, parent)


def _at_nodes(compiled: CompiledNegotiation, text: str | None, codes: np.ndarray) -> np.ndarray:
    """A condition over the state evaluated at the given node states: ``bool[M]``."""
    if text is None:
        return np.ones(codes.shape[0], bool)
    expr = compiled.condition(text)
    names = list(compiled.variables)
    env = {n: compiled.variables[n].env_values(codes[:, names.index(n)]) for n in expr.names if n in names}
    return np.broadcast_to(np.asarray(expr.evaluate(env), bool), (codes.shape[0],))


def _target(neg: Negotiation, agent: str, move: str) -> tuple[Stage, Any] | None:
    for stage in neg.stages:
        for m in stage.moves:
            if stage.agent == agent and (move == m.name or move == f"{stage.name}.{m.name}"):
                return stage, m
    return None


def _offered(compiled: CompiledNegotiation, tree: _Tree, stage: Stage, move_name: str) -> np.ndarray:
    """Decision nodes of ``stage`` at which the move is offered."""
    pos = compiled.steps.index(stage)
    code = compiled.variables[stage.name].values.index(move_name)
    col = list(compiled.variables).index(stage.name)
    child = np.flatnonzero(tree.parent >= 0)
    hit = child[(tree.stage_of[tree.parent[child]] == pos) & (tree.codes[child, col] == code)]
    return np.unique(tree.parent[hit])


def _precondition_findings(compiled: CompiledNegotiation) -> list[Finding]:
    neg = compiled.negotiation
    tree = _tree(compiled)
    out = []
    for agent in neg.agents:
        for pre in agent.preconditions:
            target = _target(neg, agent.name, pre.move)
            if target is None:
                continue
            stage, move = target
            label = f"{stage.name}.{move.name}"
            if pre.kind == "soft":
                nodes = _offered(compiled, tree, stage, move.name)
            else:
                pos = compiled.steps.index(stage)
                considered = np.flatnonzero((tree.entry <= pos) & (pos <= tree.last))
                states = tree.codes[considered]
                nodes = considered[_at_nodes(compiled, stage.when, states) & _at_nodes(compiled, move.when, states)]
            if nodes.size == 0:
                continue  # the move is never available for other reasons: reported with the moves
            met = _at_nodes(compiled, pre.condition, tree.codes[nodes])
            numbers = {"histories": int(nodes.size), "met": int(met.sum()), "condition": pre.condition}
            names = (agent.name, label)
            if not met.any():
                if pre.kind == "hard":
                    out.append(Finding("hard_always_blocks", "warning", names, numbers,
                                       f"{agent.name}'s hard precondition '{pre.condition}' blocks {label} in all "
                                       f"{nodes.size:,} histories where it applies: the move is removed"))
                else:
                    out.append(Finding("soft_never_met", "warning", names, numbers,
                                       f"{agent.name}'s soft precondition '{pre.condition}' on {label} is met in "
                                       f"none of the {nodes.size:,} histories where the move is offered: a "
                                       "constant cost"))
            elif met.all():
                out.append(Finding("precondition_never_binds", "warning", names, numbers,
                                   f"{agent.name}'s {pre.kind} precondition '{pre.condition}' on {label} holds in "
                                   f"all {nodes.size:,} histories where it applies: it never binds"))
    return out


def _move_findings(compiled: CompiledNegotiation, reach: np.ndarray, points: int) -> list[Finding]:
    neg = compiled.negotiation
    tree = _tree(compiled)
    blocked = set()
    for f in _precondition_findings(compiled):
        if f.kind == "hard_always_blocks":
            blocked.add(f.names[1])
    out = []
    for stage in neg.stages:
        codes = compiled.terminal_codes[stage.name]
        for move in stage.moves:
            label = f"{stage.name}.{move.name}"
            offered = _offered(compiled, tree, stage, move.name).size
            if offered == 0:
                if label not in blocked:
                    out.append(Finding("unplayed_move", "warning", (stage.agent, label), {"offered_histories": 0},
                                       f"no history offers {label}: the stage never takes place there or the "
                                       "move's protocol condition never holds"))
                continue
            code = compiled.variables[stage.name].values.index(move.name)
            played = reach[:, codes == code].sum(axis=1)
            top = float(played.max(initial=0.0))
            if top < _PLAYED:
                out.append(Finding("unplayed_move", "warning", (stage.agent, label),
                                   {"max_probability": top, "box_points": points, "offered_histories": int(offered)},
                                   f"{stage.agent} plays {label} at none of the {points:,} box settings "
                                   f"(highest probability {top:.3g})"))
    return out


def _type_findings(compiled: CompiledNegotiation, reach: np.ndarray) -> list[Finding]:
    neg = compiled.negotiation
    everyone = set(neg.agent_names)
    # the path of moves at every terminal, as one id per distinct path
    moves = np.stack([compiled.terminal_codes[s.name] for s in neg.stages], axis=1)
    _, path = np.unique(moves, axis=0, return_inverse=True)
    path = np.asarray(path).reshape(-1)
    # terminals grouped by path: a path's probability is one reduceat over its terminals
    order = np.argsort(path, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(path[order]) != 0])
    out = []
    for ev in neg.chance:
        spec = ev.observed_by
        if isinstance(spec, str):
            spec = tuple(everyone) if spec == "all" else () if spec in ("", "none") else (spec,)
        seen = set(spec)
        if not seen or seen >= everyone:
            continue  # public, or no one's information: not a type
        codes = compiled.terminal_codes[ev.name]
        conditional = []
        for o in range(1, len(ev.outcomes) + 1):
            mass = reach[:, codes == o].sum(axis=1)  # [B]
            joint = np.add.reduceat((reach * (codes == o))[:, order], starts, axis=1)  # [B, paths]
            safe = np.where(mass > _TOLERANCE, mass, 1.0)
            conditional.append((joint / safe[:, None], mass > _TOLERANCE))
        gap = np.zeros(reach.shape[0])
        for i in range(len(conditional)):
            for j in range(i + 1, len(conditional)):
                (pi, oki), (pj, okj) = conditional[i], conditional[j]
                tv = 0.5 * np.abs(pi - pj).sum(axis=1)
                gap = np.maximum(gap, np.where(oki & okj, tv, 0.0))
        top = float(gap.max(initial=0.0))
        if top < _INERT:
            owners = tuple(a for a in neg.agent_names if a in seen)
            out.append(Finding("inert_type", "warning", (ev.name, *owners),
                               {"max_total_variation": top, "box_points": int(reach.shape[0])},
                               f"{ev.name} (seen by {', '.join(owners)}) never changes anyone's moves at any of the "
                               f"{reach.shape[0]:,} box settings: its types always pool"))
    return out


# ---------------------------------------------------------------------------- findings: hindsight
def _hindsight_findings(compiled: CompiledNegotiation) -> list[Finding]:
    neg = compiled.negotiation
    dates = stage_dates(neg)
    informs = informed_stages(compiled)
    order = [s.name for s in neg.stages]
    out = []
    for p in neg.parameters:
        cited = [datetime.date.fromisoformat(p.source_date)] if p.source_date else source_dates(p.source)
        dated = [(dates[s], order.index(s), s) for s in informs[p.name] if dates.get(s) is not None]
        if not cited or not dated:
            continue
        decision, _, stage = min(dated)
        known = max(cited)
        if known <= decision:
            continue
        numbers = {"source_date": known.isoformat(), "decision_date": decision.isoformat(), "stage": stage,
                   "days_after": (known - decision).days}
        if p.calibrated:
            out.append(Finding("hindsight", "note", (p.name, stage), numbers,
                               f"{p.name}: source dated {_day(known)}, after {stage} ({_day(decision)}); "
                               f"calibrated: {p.calibrated}"))
        else:
            out.append(Finding("hindsight", "error", (p.name, stage), numbers,
                               f"{p.name}: its source is dated {_day(known)}, {_days(known - decision)} after "
                               f"{stage} ({_day(decision)}), the first decision it informs; source it from "
                               "before, or mark it calibrated"))
    return out
