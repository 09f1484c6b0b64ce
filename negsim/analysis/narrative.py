"""The equilibrium path of a negotiation, told stage by stage.

:func:`explain` turns a solved negotiation into a :class:`Narrative`: for every stage the
probability that it is reached, the probability of each move there (overall and, when the
mover holds private information, for each of its types), the moves that were blocked and
by which precondition, what the mover believes about the others' private types (its
posterior, by Bayes' rule from the equilibrium path, at each information set it can reach),
the distribution of the final outcome, each agent's expected payoff broken down into its
payoff terms, and the NashConv of the profile.
:func:`narrative_text` prints it for a student; :meth:`Narrative.to_dict` gives the JSON
of ``negsim run --json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.games.profile import BehaviorProfile
from negsim.negotiation.compiler import SKIPPED, CompiledNegotiation
from negsim.negotiation.model import Chance, Stage
from negsim.solvers.solution import Solution

__all__ = ["MoveShare", "Belief", "StageReport", "Narrative", "explain", "narrative_text"]

SHOW = 0.005
"""Moves and stages less likely than this are left out of the text."""


@dataclass(frozen=True)
class MoveShare:
    """One move at one stage: how likely it is, and how often it was blocked."""

    move: str
    label: str
    probability: float
    blocked: float = 0.0
    reason: str = ""
    by_type: dict[str, float] = field(default_factory=dict)
    value: float = float("nan")
    value_by_type: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Belief:
    """What the mover believes about another agent's private type at one stage.

    The mover's information sets at the stage differ in what it has seen; each has its own
    posterior. ``cases`` lists them (merged when equal): the probability of being at such an
    information set when the stage is reached, and the posterior over the type's outcomes
    there, by Bayes' rule from the prior and the equilibrium strategies.
    """

    about: str
    owner: str
    cases: tuple[tuple[float, dict[str, float]], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "about": self.about,
            "owner": self.owner,
            "cases": [{"probability": w, "posterior": post} for w, post in self.cases],
        }


@dataclass(frozen=True)
class StageReport:
    """One step of the protocol on the equilibrium path."""

    stage: str
    agent: str
    date: str
    description: str
    reached: float
    moves: tuple[MoveShare, ...]
    is_chance: bool = False
    types: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    beliefs: tuple[Belief, ...] = ()


@dataclass(frozen=True)
class Narrative:
    """A solved negotiation, ready to print or to dump as JSON."""

    scenario: str
    title: str
    method: str
    stages: tuple[StageReport, ...]
    outcome: dict[str, dict[str, float]]
    values: dict[str, float]
    terms: dict[str, dict[str, float]]
    nash_conv: float
    seconds: float
    iterations: int
    info: dict[str, Any] = field(default_factory=dict)

    def most_likely_outcome(self) -> dict[str, Any]:
        """The most likely value of every issue."""
        return {issue: max(dist, key=dist.get) for issue, dist in self.outcome.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"scenario", "method", "path", "outcome", "values", "nash_conv", ...}``."""
        path = []
        for st in self.stages:
            for mv in st.moves:
                if mv.probability <= 0.0:
                    continue
                entry = {
                    "stage": st.stage,
                    "agent": st.agent,
                    "move": mv.move,
                    "probability": mv.probability * st.reached,
                    "probability_if_reached": mv.probability,
                }
                if mv.by_type:
                    entry["by_type"] = mv.by_type
                if np.isfinite(mv.value):
                    entry["value_to_agent"] = mv.value
                path.append(entry)
        return {
            "scenario": self.scenario,
            "title": self.title,
            "method": self.method,
            "path": path,
            "outcome": self.most_likely_outcome(),
            "outcome_distribution": self.outcome,
            "values": self.values,
            "payoff_terms": self.terms,
            "nash_conv": self.nash_conv,
            "iterations": self.iterations,
            "seconds": self.seconds,
            "beliefs": [
                {"stage": st.stage, "agent": st.agent, **b.to_dict()} for st in self.stages for b in st.beliefs
            ],
            "blocked": [
                {"stage": st.stage, "agent": st.agent, "move": mv.move, "probability": mv.blocked, "reason": mv.reason}
                for st in self.stages
                for mv in st.moves
                if mv.blocked > 0
            ],
            "stopped_early": bool(self.info.get("stopped_early", False)),
        }


def explain(compiled: CompiledNegotiation, solution: Solution, *, scenario: str = "") -> Narrative:
    """The equilibrium path of a solved (single, unbatched) negotiation game.

    Parameters
    ----------
    compiled : CompiledNegotiation
    solution : Solution
        A solution of ``compiled.game`` (or of the same tree with other parameters).
    scenario : str
        The scenario's name, for the report.

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> from negsim.analysis import solve_game
    >>> compiled = load_scenario("istanbul-2025").compile()
    >>> story = explain(compiled, solve_game(compiled.game))
    >>> story.most_likely_outcome()["ceasefire"]
    'none'
    """
    game = solution.game
    profile: BehaviorProfile = solution.profile
    reach = profile.node_reach()
    edge = profile.edge_probabilities()
    node_values = profile.node_values()
    neg = compiled.negotiation
    var_names = list(compiled.variables)
    stages = []
    for s, step in enumerate(compiled.steps):
        nodes = np.flatnonzero(compiled.node_stage == s)
        total = float(reach[nodes].sum()) if nodes.size else 0.0
        if isinstance(step, Stage):
            stages.append(_stage_report(compiled, game, step, nodes, reach, edge, total, var_names, node_values))
        else:
            stages.append(_chance_report(compiled, game, step, nodes, reach, edge, total))
    # outcome distribution over issues
    terminal_reach = reach[game.terminals]
    outcome = {}
    for issue in neg.issues:
        var = compiled.variables[issue.name]
        codes = compiled.terminal_codes[issue.name]
        dist = np.bincount(codes, weights=terminal_reach, minlength=len(var.values))
        outcome[issue.name] = {_text(v): float(p) for v, p in zip(var.values, dist, strict=True) if p > 1e-12}
    values = {a: float(v) for a, v in zip(game.players, np.asarray(solution.values), strict=True)}
    terms = {}
    term_values = compiled.payoff_term_values()
    for agent, table in term_values.items():
        terms[agent] = {
            name: float(np.dot(terminal_reach, np.broadcast_to(v, terminal_reach.shape))) for name, v in table.items()
        }
    return Narrative(
        scenario=scenario or neg.name,
        title=neg.title,
        method=solution.method,
        stages=tuple(stages),
        outcome=outcome,
        values=values,
        terms=terms,
        nash_conv=float(solution.nash_conv),
        seconds=float(solution.seconds),
        iterations=int(solution.iterations),
        info=dict(solution.info),
    )


def _stage_report(compiled, game, step: Stage, nodes, reach, edge, total, var_names, node_values) -> StageReport:
    moves = {m.name: m for m in step.moves}
    weight = {m: 0.0 for m in moves}
    # the mover's expected payoff after each move, where the move was available
    value_sum = {m: 0.0 for m in moves}
    value_weight = {m: 0.0 for m in moves}
    type_value: dict[str, dict[str, list[float]]] = {m: {} for m in moves}
    blocked_weight = {m: 0.0 for m in moves}
    reasons: dict[str, str] = {}
    # private information the mover holds: chance events it observes, except public ones
    agent = compiled.negotiation.agent_names.index(step.agent)
    private = [
        c
        for c in compiled.steps
        if isinstance(c, Chance)
        and agent in _observer_indices(compiled, c)
        and len(_observer_indices(compiled, c)) < len(compiled.negotiation.agents)
    ]
    by_type: dict[str, dict[str, float]] = {m: {} for m in moves}
    type_total: dict[str, float] = {}
    for h in nodes:
        r = float(reach[h])
        kids = game.children(h)
        labels = game.node_actions(h)
        for child, label in zip(kids, labels, strict=True):
            weight[label] += r * float(edge[child])
            value_sum[label] += r * float(node_values[child, agent])
            value_weight[label] += r
        for move, reason in compiled.blocked.get(int(h), []):
            # a stage whose every move is blocked is skipped, and its blocked moves are recorded at
            # the node of the next stage: they are not this stage's, unless the name is reused here
            # for a move that is not playable at this node
            if move in blocked_weight and move not in labels:
                blocked_weight[move] += r
                reasons.setdefault(move, reason)
        for c in private:
            code = compiled.node_codes[h, var_names.index(c.name)]
            value = compiled.variables[c.name].values[code]
            if value == SKIPPED:
                continue
            key = f"{c.name}={value}"
            type_total[key] = type_total.get(key, 0.0) + r
            for child, label in zip(kids, labels, strict=True):
                by_type[label][key] = by_type[label].get(key, 0.0) + r * float(edge[child])
                acc = type_value[label].setdefault(key, [0.0, 0.0])
                acc[0] += r * float(node_values[child, agent])
                acc[1] += r
    shares = []
    for name, move in moves.items():
        prob = weight[name] / total if total > 0 else 0.0
        types = {k: v / type_total[k] for k, v in by_type[name].items() if type_total.get(k, 0) > 0}
        shares.append(
            MoveShare(
                move=name,
                label=move.label or name.replace("_", " "),
                probability=prob,
                blocked=blocked_weight[name] / total if total > 0 else 0.0,
                reason=reasons.get(name, ""),
                by_type=types if len(type_total) > 1 else {},
                value=value_sum[name] / value_weight[name] if value_weight[name] > 0 else float("nan"),
                value_by_type={k: v[0] / v[1] for k, v in type_value[name].items() if v[1] > 0}
                if len(type_total) > 1
                else {},
            )
        )
    notes = sorted({n for h in nodes for n in compiled.notes.get(int(h), [])})
    beliefs = _beliefs(compiled, game, agent, nodes, reach, var_names)
    return StageReport(
        stage=step.name,
        agent=step.agent,
        date=step.date,
        description=step.description,
        reached=total,
        moves=tuple(shares),
        types=tuple(sorted(type_total)),
        notes=tuple(notes),
        beliefs=beliefs,
    )


def _beliefs(compiled, game, agent: int, nodes, reach, var_names) -> tuple[Belief, ...]:
    """The mover's posterior over each type it does not see, per reached information set."""
    total = float(reach[nodes].sum()) if nodes.size else 0.0
    if total <= 0.0:
        return ()
    infoset = np.asarray(game.infoset)[nodes]
    weights = reach[nodes]
    owners = compiled.negotiation.agent_names
    beliefs = []
    for c in compiled.steps:
        if not isinstance(c, Chance):
            continue
        seen_by = _observer_indices(compiled, c)
        if agent in seen_by or not seen_by or len(seen_by) == len(owners):
            continue  # only the private information of others
        codes = compiled.node_codes[nodes, var_names.index(c.name)]
        values = compiled.variables[c.name].values
        cases: dict[tuple[float, ...], float] = {}
        for i in np.unique(infoset):
            here = infoset == i
            mass = float(weights[here].sum())
            if mass <= 0.0:
                continue  # an information set the equilibrium never reaches: no Bayes posterior
            post = np.array([float(weights[here & (codes == k)].sum()) / mass for k in range(len(values))])
            key = tuple(np.round(post, 4))
            cases[key] = cases.get(key, 0.0) + mass / total
        labelled = [
            (w, {_text(v): p for v, p in zip(values, key, strict=True) if v != SKIPPED})
            for key, w in sorted(cases.items(), key=lambda kv: -kv[1])
        ]
        owner = ", ".join(owners[j] for j in sorted(seen_by))
        beliefs.append(Belief(about=c.name, owner=owner, cases=tuple(labelled)))
    return tuple(beliefs)


def _chance_report(compiled, game, step: Chance, nodes, reach, edge, total) -> StageReport:
    weight: dict[str, float] = {o: 0.0 for o in step.outcomes}
    for h in nodes:
        for child, label in zip(game.children(h), game.node_actions(h), strict=True):
            weight[label] += float(reach[h]) * float(edge[child])
    shares = tuple(MoveShare(move=o, label=o, probability=(w / total if total > 0 else 0.0)) for o, w in weight.items())
    who = step.observed_by if isinstance(step.observed_by, str) else ", ".join(step.observed_by) or "no one"
    return StageReport(
        stage=step.name,
        agent="chance",
        date="",
        description=step.description + (f" (seen by {who})" if who else ""),
        reached=total,
        moves=shares,
        is_chance=True,
    )


def _observer_indices(compiled: CompiledNegotiation, chance: Chance) -> set[int]:
    # the compiler resolved "all", "none", a single name or a list into agent indices
    return set(compiled.step_observers[list(compiled.steps).index(chance)])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _pct(p: float) -> str:
    if p >= 0.9995:
        return "certainly"
    if p <= 0.0005:
        return "never"
    return f"with probability {p:.2f}"


def _why(st: StageReport) -> str:
    """'why': the mover's expected payoff after each available move.

    A move blocked (nearly) everywhere is left out: its value comes from the few cases where it
    was open and would read as the best choice on offer. A move blocked in some cases is marked.
    """
    offered = [m for m in st.moves if np.isfinite(m.value) and m.blocked < 1 - SHOW]
    if len(offered) < 2:
        return ""

    def name(m: MoveShare) -> str:
        return m.move if m.blocked < SHOW else f"{m.move} (where open; blocked in {m.blocked:.0%})"

    typed = [m for m in offered if m.value_by_type]
    if typed and len({k for m in typed for k in m.value_by_type}) > 1:
        parts = []
        for key in sorted({k for m in typed for k in m.value_by_type}):
            vals = ", ".join(f"{name(m)} {m.value_by_type[key]:+.2f}" for m in offered if key in m.value_by_type)
            parts.append(f"{key}: {vals}")
        return f"why: what each move is worth to {st.agent} - " + "; ".join(parts)
    vals = ", ".join(f"{name(m)} {m.value:+.2f}" for m in sorted(offered, key=lambda m: -m.value))
    return f"why: what each move is worth to {st.agent} - {vals}"


def _belief_text(agent: str, belief: Belief) -> str:
    def dist(post: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.2f}" for k, v in post.items())

    head = f"believes about {belief.owner}'s {belief.about}:"
    if len(belief.cases) == 1:
        return f"{head} {dist(belief.cases[0][1])}"
    parts = "; ".join(f"in {w:.0%} of cases {dist(post)}" for w, post in belief.cases)
    return f"{head} {parts} (it has seen different things)"


def narrative_text(story: Narrative, *, width: int = 88) -> str:
    """The narrative as text a student can read.

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> from negsim.analysis import solve_game
    >>> compiled = load_scenario("istanbul-2025").compile()
    >>> text = narrative_text(explain(compiled, solve_game(compiled.game)))
    >>> "Outcome" in text and "Payoffs" in text
    True
    """
    import textwrap

    out = [story.title, "=" * min(len(story.title), width), ""]
    out.append("The equilibrium path, stage by stage:")
    number = 0
    for st in story.stages:
        if st.reached < SHOW:
            continue
        number += 1
        if st.is_chance:
            parts = ", ".join(f"{m.move} {m.probability:.2f}" for m in st.moves)
            out.append(f"{number:>2}. Chance: {st.stage} - {parts}. {st.description.strip()}")
            continue
        when = f" ({st.date})" if st.date else ""
        reached = "" if st.reached >= 0.9995 else f" [reached with probability {st.reached:.2f}]"
        out.append(f"{number:>2}. {st.agent}{when}, {st.stage}{reached}:")
        if st.description:
            out.extend(textwrap.wrap(st.description.strip(), width, initial_indent="    ", subsequent_indent="    "))
        for mv in sorted(st.moves, key=lambda m: -m.probability):
            if mv.probability < SHOW:
                continue
            line = f"    -> {st.agent} chooses to {mv.label} ({_pct(mv.probability)})"
            out.append(line)
            if mv.by_type and len({round(v, 3) for v in mv.by_type.values()}) > 1:
                detail = "; ".join(f"{k}: {v:.2f}" for k, v in sorted(mv.by_type.items()))
                out.append(f"       by private type - {detail}")
        why = _why(st)
        if why:
            out.extend(textwrap.wrap(why, width, initial_indent="       ", subsequent_indent="       "))
        for belief in st.beliefs:
            out.extend(
                textwrap.wrap(
                    _belief_text(st.agent, belief), width, initial_indent="       ", subsequent_indent="         "
                )
            )
        for mv in st.moves:
            if mv.blocked >= SHOW:
                share = "" if mv.blocked >= 0.9995 else f" in {mv.blocked:.0%} of cases"
                out.append(f"    x  '{mv.label}' was not available{share}: blocked by {mv.reason}")
        for note in st.notes:
            out.append(f"    (note: {note})")
    out.append("")
    out.append("Outcome:")
    for issue, dist in story.outcome.items():
        parts = ", ".join(
            f"{v} ({p:.2f})" if p < 0.9995 else str(v)
            for v, p in sorted(dist.items(), key=lambda x: -x[1])
            if p >= SHOW
        )
        out.append(f"    {issue}: {parts}")
    out.append("")
    out.append("Payoffs (expected, with the terms that make them up):")
    for agent, value in story.values.items():
        terms = ", ".join(f"{k} {v:+.2f}" for k, v in story.terms.get(agent, {}).items() if abs(v) >= 0.005)
        out.append(f"    {agent:<8} {value:+.3f}" + (f"   = {terms}" if terms else ""))
    out.append("")
    certified = story.nash_conv <= 1e-9
    quality = "an exact equilibrium" if certified else "an approximate equilibrium"
    shown = 0.0 if abs(story.nash_conv) <= 1e-12 else story.nash_conv  # rounding noise of exact zeros
    out.append(
        f"Solved with {story.method} in {story.seconds:.2f} s ({story.iterations:,} iterations): NashConv "
        f"{shown:.2g}, {quality} (NashConv is what all agents together could gain by deviating)."
    )
    if story.info.get("stopped_early"):
        out.append(f"Stopped early at the {story.info['time_limit']:g} s limit: the best profile measured so far.")
    return "\n".join(out)
