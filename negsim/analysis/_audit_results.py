"""The audit's results: findings, flips, each fact's details and the report (:mod:`negsim.analysis.audit`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AuditReport", "FactAudit", "Finding", "Flip"]


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
