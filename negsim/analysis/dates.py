"""When was a number known, and which decisions does it inform? Dates for the hindsight rule.

A scenario's decisions are dated by its stages (``date = "YYYY-MM-DD"``); its numbers by
the dates their ``source`` cites. :func:`source_dates` reads those dates from citation
text, :func:`stage_dates` dates every stage, and :func:`informed_stages` says which
stages' decisions each parameter informs. The rule:

* a parameter in an agent's payoff, or in the cost of one of its soft preconditions,
  informs every stage of that agent (the agent weighs it whenever it moves);
* a parameter in a chance event's probabilities informs every stage after the event (the
  agents who do not see the outcome weigh it in their beliefs from then on);
* a stage without a date takes that of the stage before it; the first ones take the
  scenario's date.

:func:`negsim.analysis.audit` reports **hindsight** where a parameter's latest cited date
is after the date of the first stage it informs.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from negsim.negotiation.compiler import CompiledNegotiation
from negsim.negotiation.expressions import NUMBER, NameType, parse_expression
from negsim.negotiation.model import Chance, Negotiation, Stage

__all__ = ["source_dates", "stage_dates", "informed_stages"]

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_SEP = r"\s*(?:-|\u2013|\u2014|/|,|&|and|to)\s*"
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# "19 and 28 May 2025", "16-17 May 2025", "30 May" (year from a later date), "May 2025"
_DAY_FIRST = re.compile(
    rf"(?<![\d,])(?P<days>\d{{1,2}}(?:{_SEP}\d{{1,2}})*)\s+{_MONTH}(?:\s+(?P<year>\d{{4}}))?\b", re.I
)
# "July 14, 2025", "May 19 and 28, 2025"
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+(?P<days>\d{{1,2}}(?:{_SEP}\d{{1,2}})*),?\s+(?P<year>\d{{4}})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?P<year>\d{{4}})\b", re.I)


def source_dates(text: str) -> list[datetime.date]:
    """The dates a source citation mentions, in order of appearance.

    Understands ``"14 Jul 2025"``, ``"19 and 28 May 2025"``, ``"16-17 May 2025"``,
    ``"July 14, 2025"``, ``"2025-07-14"``, and a month alone (``"May 2025"``, read as its
    first day). A day and month without a year take the next year given (``"30 May-2 Jun
    2025"``), or else that of the date before (``"14 Jul 2025; shortened on 28 Jul"``).
    ``"assumption"`` has no date.

    Examples
    --------
    >>> [d.isoformat() for d in source_dates("Reuters, 19 and 28 May 2025: Trump holds off")]
    ['2025-05-19', '2025-05-28']
    >>> [d.isoformat() for d in source_dates("Peskov, 16-17 May 2025; Trump, 14 Jul 2025")]
    ['2025-05-16', '2025-05-17', '2025-07-14']
    >>> source_dates("assumption")
    []
    """
    found: list[tuple[int, datetime.date]] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    def add(pos: int, year: int, month: int, day: int) -> None:
        try:
            found.append((pos, datetime.date(year, month, day)))
        except ValueError:  # "31 Feb": not a date
            pass

    for m in _ISO.finditer(text):
        taken.append(m.span())
        add(m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _MONTH_FIRST.finditer(text):
        if free(m.span()):
            taken.append(m.span())
            month = _MONTHS[m.group("month")[:3].lower()]
            for day in re.findall(r"\d{1,2}", m.group("days")):
                add(m.start(), int(m.group("year")), month, int(day))
    pending: list[tuple[int, int, list[str]]] = []  # day-month without a year, waiting for one
    for m in _DAY_FIRST.finditer(text):
        if not free(m.span()):
            continue
        taken.append(m.span())
        month = _MONTHS[m.group("month")[:3].lower()]
        days = re.findall(r"\d{1,2}", m.group("days"))
        if m.group("year") is None:
            pending.append((m.start(), month, days))
            continue
        year = int(m.group("year"))
        for pos, pmonth, pdays in pending:
            for day in pdays:
                add(pos, year, pmonth, int(day))
        pending.clear()
        for day in days:
            add(m.start(), year, month, int(day))
    for m in _MONTH_YEAR.finditer(text):
        if free(m.span()):
            taken.append(m.span())
            add(m.start(), int(m.group("year")), _MONTHS[m.group("month")[:3].lower()], 1)
    # no later year ("14 Jul 2025 ... shortened on 28 Jul"): the year of the date before
    for pos, pmonth, pdays in pending:
        before = [item for item in found if item[0] < pos]
        if before:
            year = max(before)[1].year  # the nearest date before, in the text
            for day in pdays:
                add(pos, year, pmonth, int(day))
    found.sort(key=lambda item: (item[0], item[1]))
    return [d for _, d in found]


def stage_dates(negotiation: Negotiation) -> dict[str, datetime.date | None]:
    """The date of every stage's decision: its own, or that of the stage before it.

    The first stages without a date take the scenario's date (None if it has none). Dates
    are ``YYYY-MM-DD``; other text is read with :func:`source_dates` (its first date).

    Examples
    --------
    >>> from negsim.negotiation import Agent, Move, Negotiation, Stage
    >>> talks = Negotiation(
    ...     title="two rounds", date="2025-05-16", agents=[Agent("Kyiv"), Agent("Moscow")],
    ...     stages=[Stage("offer", "Kyiv", [Move("propose"), Move("wait")]),
    ...             Stage("answer", "Moscow", [Move("accept"), Move("refuse")]),
    ...             Stage("round_two", "Kyiv", [Move("propose2"), Move("wait2")], date="2025-06-02")],
    ... )
    >>> {name: d.isoformat() for name, d in stage_dates(talks).items()}
    {'offer': '2025-05-16', 'answer': '2025-05-16', 'round_two': '2025-06-02'}
    """
    current = _date(negotiation.date)
    out: dict[str, datetime.date | None] = {}
    for stage in negotiation.stages:
        current = _date(stage.date) or current
        out[stage.name] = current
    return out


def informed_stages(compiled: CompiledNegotiation) -> dict[str, set[str]]:
    """The stages whose decisions each parameter informs (the rule in the module docstring).

    Returns
    -------
    dict of str to set of str
        ``{parameter: {stage, ...}}``; an empty set for a parameter no decision weighs.

    Examples
    --------
    >>> from negsim.negotiation import Agent, Chance, Issue, Move, Negotiation, Parameter, Stage
    >>> talks = Negotiation(
    ...     title="a threat",
    ...     parameters=[Parameter("bite", 1.0, source="assumption"), Parameter("resolve", 0.3, source="assumption")],
    ...     issues=[Issue("truce", [False, True])],
    ...     agents=[Agent("Moscow", payoff="truce - bite * (us == 'resolved')"), Agent("Kyiv", payoff="truce")],
    ...     stages=[Stage("answer", "Moscow", [Move("accept", set={"truce": True}), Move("refuse")]),
    ...             Stage("reply", "Kyiv", [Move("thank"), Move("protest")])],
    ...     chance=[Chance("us", {"resolved": "resolve", "not": "1 - resolve"}, after="answer")],
    ... )
    >>> informs = informed_stages(talks.compile())
    >>> sorted(informs["bite"]), sorted(informs["resolve"])  # Moscow's payoff; drawn after its answer
    (['answer'], ['reply'])
    """
    neg = compiled.negotiation
    types = {n: v.type() for n, v in compiled.variables.items()}
    types.update({p.name: NameType(NUMBER) for p in neg.parameters})
    params = {p.name for p in neg.parameters}

    def used(text: Any) -> set[str]:
        return set(parse_expression(text, types, mode="value").names) & params

    out: dict[str, set[str]] = {p.name: set() for p in neg.parameters}
    for agent in neg.agents:
        mine = {s.name for s in neg.stages if s.agent == agent.name}
        names = set().union(*(used(t) for t in agent.payoff_terms.values()))
        for pre in agent.preconditions:
            if pre.cost is not None:
                names |= used(pre.cost)
        for n in names:
            out[n] |= mine
    steps = list(compiled.steps)
    for pos, step in enumerate(steps):
        if isinstance(step, Chance):
            later = {s.name for s in steps[pos + 1 :] if isinstance(s, Stage)}
            for prob in step.outcomes.values():
                for n in used(prob):
                    out[n] |= later
    return out


def _date(text: str) -> datetime.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        dates = source_dates(text)
        return dates[0] if dates else None
