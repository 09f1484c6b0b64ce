"""Dates for the hindsight rule: citations read in every written form, stage dates, and the
stages each parameter informs."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from negsim.analysis import informed_stages, source_dates, stage_dates
from negsim.negotiation import Agent, Issue, Move, Negotiation, Parameter, Precondition, Stage
from negsim.scenarios import parse_scenario
from tests.audit_scenarios import PLANTED


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("Trump, 14 Jul 2025: about 100% secondary tariffs", ["2025-07-14"]),
        ("Reuters, 19 and 28 May 2025: Trump holds off", ["2025-05-19", "2025-05-28"]),
        ("Peskov, 16-17 May 2025 [F]", ["2025-05-16", "2025-05-17"]),
        ("Reuters, 23-25 May 2025: the exchange", ["2025-05-23", "2025-05-25"]),
        ("memorandum of 2025-06-02", ["2025-06-02"]),
        ("July 14, 2025 statement", ["2025-07-14"]),
        ("talks of 30 May-2 Jun 2025", ["2025-05-30", "2025-06-02"]),
        ("published in May 2025", ["2025-05-01"]),
        ("Medinsky statement, 16 May 2025 (Reuters): a 1,000-for-1,000 exchange", ["2025-05-16"]),
        ("17th package of 189 tankers, 1 Apr 2025 bill", ["2025-04-01"]),
        ("Trump, 14 Jul 2025 (CNBC): 50 days; shortened on 28 Jul to '10 or 12 days'", ["2025-07-14", "2025-07-28"]),
        ("assumption", []),
        ("31 Feb 2025 is no date", []),
    ],
)
def test_source_dates(text, dates):
    assert [d.isoformat() for d in source_dates(text)] == dates


@given(st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2099, 12, 31)),
       st.sampled_from(["{d.day} {d:%b %Y}", "{d.day} {d:%B %Y}", "{d:%B} {d.day}, {d.year}", "{d:%Y-%m-%d}"]))
def test_source_dates_read_every_written_form(date, form):
    assert source_dates("Outlet, " + form.format(d=date) + ": a statement") == [date]


def test_stages_without_a_date_take_the_one_before():
    text = PLANTED.replace('date = "2025-05-15"\n[[stages.moves]]\nname = "hold_summit"',
                           '[[stages.moves]]\nname = "hold_summit"')
    assert text != PLANTED
    dates = stage_dates(parse_scenario(text).negotiation)
    assert {k: v.isoformat() for k, v in dates.items()} == {
        "exchange": "2025-05-14", "offer": "2025-05-15", "summit": "2025-05-15", "answer": "2025-05-16"}
    undated = parse_scenario(text.replace('date = "2025-05-14"\n', "", 1)).negotiation
    assert stage_dates(undated)["exchange"] == datetime.date(2025, 5, 15)  # the scenario's date


def test_which_stages_a_parameter_informs():
    informs = informed_stages(parse_scenario(PLANTED).compile())
    moscow = {"exchange", "summit", "answer"}
    # payoffs: every stage of the agent; the type's prior: the stages after it is drawn
    assert informs["war_gain"] == informs["peace_value"] == informs["exchange_value"] == moscow
    assert informs["offer_cost"] == {"offer"}
    assert informs["q_hawk"] == {"offer", "summit", "answer"}  # moscow_type is drawn after the exchange
    # a soft precondition's cost informs its agent's stages, and only those
    talks = Negotiation(
        title="a waiver",
        parameters=[Parameter("waiver_cost", 1.0, source="assumption"), Parameter("unused", 0.0, source="x")],
        issues=[Issue("truce", [False, True])],
        agents=[Agent("Kyiv", payoff="truce",
                      preconditions=[Precondition("go", "truce", kind="soft", cost="waiver_cost")]),
                Agent("Moscow", payoff="truce")],
        stages=[Stage("first", "Kyiv", [Move("go"), Move("stay")]),
                Stage("second", "Moscow", [Move("agree", set={"truce": True}), Move("refuse")]),
                Stage("third", "Kyiv", [Move("go2"), Move("stay2")])],
    )
    informs = informed_stages(talks.compile())
    assert informs == {"waiver_cost": {"first", "third"}, "unused": set()}
