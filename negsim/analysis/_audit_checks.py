"""The audit's findings: the facts' verdicts over the box, and the model's preconditions, moves, types and sources.

Each ``*_findings`` function turns what :func:`negsim.analysis.audit` solved (or the
compiled tree alone) into :class:`~negsim.analysis.audit.Finding` objects; the module
docstring of :mod:`negsim.analysis.audit` says what each check looks for and why.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.analysis._audit_results import FactAudit, Finding
from negsim.analysis.dates import informed_stages, source_dates, stage_dates
from negsim.negotiation.compiler import CompiledNegotiation
from negsim.negotiation.model import Negotiation, Stage

__all__ = ["fact_findings", "precondition_findings", "move_findings", "type_findings", "hindsight_findings"]

PLAYED = 0.01  # a move is played when its path probability reaches this somewhere
INERT = 0.01  # a type works when it moves the path distribution by this much somewhere
TOLERANCE = 1e-9


def _day(d: datetime.date) -> str:
    return f"{d.day} {d:%b %Y}"


def _days(delta: datetime.timedelta) -> str:
    return "1 day" if delta.days == 1 else f"{delta.days:,} days"


# ---------------------------------------------------------------------------- findings: facts
def fact_findings(facts: tuple[FactAudit, ...], points: int, flips: bool, priors: bool) -> list[Finding]:
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


def precondition_findings(compiled: CompiledNegotiation) -> list[Finding]:
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


def move_findings(compiled: CompiledNegotiation, reach: np.ndarray, points: int) -> list[Finding]:
    neg = compiled.negotiation
    tree = _tree(compiled)
    blocked = set()
    for f in precondition_findings(compiled):
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
            if top < PLAYED:
                out.append(Finding("unplayed_move", "warning", (stage.agent, label),
                                   {"max_probability": top, "box_points": points, "offered_histories": int(offered)},
                                   f"{stage.agent} plays {label} at none of the {points:,} box settings "
                                   f"(highest probability {top:.3g})"))
    return out


def type_findings(compiled: CompiledNegotiation, reach: np.ndarray) -> list[Finding]:
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
            safe = np.where(mass > TOLERANCE, mass, 1.0)
            conditional.append((joint / safe[:, None], mass > TOLERANCE))
        gap = np.zeros(reach.shape[0])
        for i in range(len(conditional)):
            for j in range(i + 1, len(conditional)):
                (pi, oki), (pj, okj) = conditional[i], conditional[j]
                tv = 0.5 * np.abs(pi - pj).sum(axis=1)
                gap = np.maximum(gap, np.where(oki & okj, tv, 0.0))
        top = float(gap.max(initial=0.0))
        if top < INERT:
            owners = tuple(a for a in neg.agent_names if a in seen)
            out.append(Finding("inert_type", "warning", (ev.name, *owners),
                               {"max_total_variation": top, "box_points": int(reach.shape[0])},
                               f"{ev.name} (seen by {', '.join(owners)}) never changes anyone's moves at any of the "
                               f"{reach.shape[0]:,} box settings: its types always pool"))
    return out


# ---------------------------------------------------------------------------- findings: hindsight
def hindsight_findings(compiled: CompiledNegotiation) -> list[Finding]:
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
