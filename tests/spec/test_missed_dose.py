"""Missed-dose advice: take it when remembered unless the next dose is near; then skip; never double.

Sources: article-400mg (the rule), gabacare-policy ("near" = past the halfway point between the
missed dose and the next one), label §2.2 (in epilepsy no more than 12 h between doses). A missed
time later than "now" is yesterday's dose (the 21:00 dose remembered at 07:30). When a later dose
time has already come, that dose is the one to take: the advice is ``skip`` and ``next_dose`` names
the dose that is due.
"""

from __future__ import annotations

import re
from datetime import time

import pytest
from _table import Table, words

from gabacare.clinical import ClinicalInputError, missed_dose_advice
from gabacare.knowledge import load_monograph


def clock(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


CASES = Table(
    """
    schedule             | missed | now   | advice   | next_dose | why
    ---------------------+--------+-------+----------+-----------+-------------------------------------------------
    08:00,20:00          | 08:00  | 10:00 | take_now | 20:00     | 2 h late of a 12 h interval
    08:00,20:00          | 08:00  | 13:59 | take_now | 20:00     | just before halfway
    08:00,20:00          | 08:00  | 14:00 | skip     | 20:00     | halfway: the next dose is near
    08:00,20:00          | 08:00  | 17:00 | skip     | 20:00     | 3 h before the next dose
    08:00,20:00          | 08:00  | 20:00 | skip     | 20:00     | the next dose is already due
    08:00,20:00          | 08:00  | 21:00 | skip     | 20:00     | the next dose is overdue: take that one only
    08:00,20:00          | 20:00  | 01:00 | take_now | 08:00     | overnight, 5 h late of 12 h
    08:00,20:00          | 20:00  | 02:30 | skip     | 08:00     | overnight, past halfway
    07:00,14:00,21:00    | 07:00  | 09:00 | take_now | 14:00     | 2 h late of 7 h
    07:00,14:00,21:00    | 07:00  | 11:00 | skip     | 14:00     | 4 h late of 7 h
    07:00,14:00,21:00    | 07:00  | 14:00 | skip     | 14:00     | the next dose is due now
    07:00,14:00,21:00    | 07:00  | 22:00 | skip     | 21:00     | two doses later: the 21:00 one is due
    07:00,14:00,21:00    | 14:00  | 14:00 | take_now | 21:00     | remembered on time
    07:00,14:00,21:00    | 21:00  | 23:00 | take_now | 07:00     | overnight gap is 10 h: 2 h late
    07:00,14:00,21:00    | 21:00  | 01:00 | take_now | 07:00     | overnight: 4 h late of 10 h
    07:00,14:00,21:00    | 21:00  | 02:00 | skip     | 07:00     | overnight: halfway
    07:00,14:00,21:00    | 21:00  | 07:30 | skip     | 07:00     | overnight: the morning dose is already due
    21:00                | 21:00  | 08:00 | take_now | 21:00     | once daily: 11 h late of 24 h
    21:00                | 21:00  | 10:00 | skip     | 21:00     | once daily: 13 h late of 24 h
    14:00,07:00,21:00    | 07:00  | 09:00 | take_now | 14:00     | schedule given out of order
    """,
    schedule=lambda s: tuple(clock(t) for t in words(s)),
    missed=clock,
    now=clock,
)


IDS = [f"{len(s)}-a-day, {m:%H:%M} missed, now {n:%H:%M}" for s, m, n, *_ in CASES.rows]


@pytest.mark.parametrize(CASES.argnames, CASES.rows, ids=IDS)
def test_missed_dose_table(schedule, missed, now, advice, next_dose, why):
    a = missed_dose_advice(schedule, missed, now)
    assert (a.advice, a.next_dose) == (advice, next_dose), why


@pytest.mark.parametrize(CASES.argnames, CASES.rows, ids=IDS)
def test_never_double(schedule, missed, now, advice, next_dose, why):
    a = missed_dose_advice(schedule, missed, now)
    assert re.search(r"never (take )?two doses|do not double", a.message, re.IGNORECASE)
    assert a.to_json()["never_double"] is True
    if a.advice == "skip":
        assert "Skip" in a.message
    else:
        assert "Take the missed" in a.message


def test_epilepsy_adds_the_12_hour_note():
    a = missed_dose_advice([time(7), time(14), time(21)], time(7), time(9), epilepsy=True)
    assert "12 hours" in a.message
    assert any(c.source == "label" and c.section == "2.2" for c in a.citations)


def test_advice_is_cited():
    a = missed_dose_advice([time(8), time(20)], time(8), time(10))
    assert {c.source for c in a.citations} >= {"article-400mg", "gabacare-policy"}


@pytest.mark.parametrize(("schedule", "missed"), [
    ([time(8), time(20)], time(9)),
    ([time(7), time(14), time(21)], time(20)),
    ([], time(8)),
])
def test_missed_time_not_in_schedule_is_an_error(schedule, missed):
    with pytest.raises(ClinicalInputError):
        missed_dose_advice(schedule, missed, time(10))


EPILEPSY = Table(
    """
    schedule             | missed | now   | advice   | why
    ---------------------+--------+-------+----------+--------------------------------------------------------
    07:00,14:00,21:00    | 21:00  | 02:30 | take_now | skipping would leave 17 h from 14:00 to 07:00 (> 12 h); 07:00 is 4.5 h away
    08:00,20:00          | 08:00  | 15:00 | take_now | skipping would leave 24 h between doses
    07:00,14:00,21:00    | 14:00  | 17:31 | skip     | the 21:00 dose is 3.5 h away: never two doses within 4 h
    07:00,14:00,21:00    | 07:00  | 11:00 | skip     | the 14:00 dose is 3 h away: never two doses within 4 h
    07:00,14:00,21:00    | 21:00  | 06:30 | skip     | the 07:00 dose is 30 minutes away: not two doses together
    07:00,14:00,21:00    | 14:00  | 21:30 | skip     | the 21:00 dose is already due: take that one only
    """,
    schedule=lambda s: tuple(clock(t) for t in words(s)),
    missed=clock,
    now=clock,
)


@pytest.mark.parametrize(EPILEPSY.argnames, EPILEPSY.rows, ids=EPILEPSY.ids)
def test_epilepsy_never_skips_into_a_gap_over_12_hours(schedule, missed, now, advice, why):
    """Label 2.2: in epilepsy no more than 12 hours between doses, so "near the next dose" does not
    justify a skip that would leave a longer gap."""
    result = missed_dose_advice(schedule, missed, now, epilepsy=True)
    assert result.advice == advice, why
    assert "12 hours" in result.message


# A dose that is not yet due is not missed: the advice is "skip" (nothing to take now) with status "not_due".
NOT_DUE = Table(
    """
    schedule             | missed | now   | status   | next_dose
    ---------------------+--------+-------+----------+----------
    08:00,20:00          | 08:00  | 07:00 | not_due  | 08:00
    08:00,20:00          | 20:00  | 10:00 | not_due  | 20:00
    07:00,14:00,21:00    | 14:00  | 13:30 | not_due  | 14:00
    07:00,14:00,21:00    | 21:00  | 07:30 | next_due | 07:00
    21:00                | 21:00  | 08:00 | late     | 21:00
    """,
    schedule=lambda s: tuple(clock(t) for t in words(s)),
    missed=clock,
    now=clock,
)


@pytest.mark.parametrize(NOT_DUE.argnames, NOT_DUE.rows, ids=NOT_DUE.ids)
def test_a_dose_not_yet_due_is_not_missed(schedule, missed, now, status, next_dose):
    result = missed_dose_advice(schedule, missed, now)
    assert result.status == status
    assert result.next_dose == next_dose
    if status == "not_due":
        assert result.advice == "skip" and "not due yet" in result.message
        assert result.to_json()["status"] == "not_due"


def test_the_window_is_cited_and_in_the_json():
    data = missed_dose_advice([clock("08:00"), clock("20:00")], clock("08:00"), clock("10:00")).to_json()
    assert data["min_gap_h"] == 4.0
    assert load_monograph().missed_dose.min_gap_source in {c.source for c in data["citations"]}
