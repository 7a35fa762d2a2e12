"""Taper (step-down) plans: never abrupt, never rising, ending at 0 mg after at least a week.

Sources: reduce or stop gradually over at least 1 week (label §2, §5.5); linear 300 mg less each week
(nhs-fife, article-spasms); proportional steps by withdrawal risk, about 25% (low), 15% (moderate),
10% (high) of the *current* dose, in whole 100 mg amounts (maudsley-2024, chapter 4), held 7/14/28
days (GabaCare's step lengths: the guidelines time each next step by the symptoms); withdrawal in
reported cases began 12 hours to 7 days after stopping (mersfelder-2016), so every step carries a
watch window from 12 h to 168 h after its first day began.

Tables read ``days first-last: total mg/day = per-dose mg``; the last row is the stop (0 mg).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from _table import Table, expected_steps, numbers, plan_steps

from gabacare.clinical import ClinicalInputError, CrCl, parse_regimen, taper

START = date(2026, 3, 2)


LINEAR_300_TID = Table(
    """
    first | last | total | doses
    ------+------+-------+---------
    1     | 7    | 600   | 300+300
    8     | 14   | 300   | 300
    15    | 15   | 0     | -
    """,
    doses=numbers,
)

LINEAR_600_TID = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 7    | 1500  | 500+500+500
    8     | 14   | 1200  | 400+400+400
    15    | 21   | 900   | 300+300+300
    22    | 28   | 600   | 300+300
    29    | 35   | 300   | 300
    36    | 36   | 0     | -
    """,
    doses=numbers,
)

# 25% of the current dose, rounded DOWN to whole 100 mg amounts (never a bigger cut than the
# source's fraction) but at least 100 mg, one step a week.
LOW_RISK_600_TID = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 7    | 1400  | 400+500+500
    8     | 14   | 1100  | 300+400+400
    15    | 21   | 900   | 300+300+300
    22    | 28   | 700   | 200+200+300
    29    | 35   | 600   | 200+200+200
    36    | 42   | 500   | 100+200+200
    43    | 49   | 400   | 100+100+200
    50    | 56   | 300   | 100+100+100
    57    | 63   | 200   | 100+100
    64    | 70   | 100   | 100
    71    | 71   | 0     | -
    """,
    doses=numbers,
)

# The lowest dose: held a full week before stopping (never stopped abruptly).
LINEAR_100_QD = Table(
    """
    first | last | total | doses
    ------+------+-------+------
    1     | 7    | 100   | 100
    8     | 8    | 0     | -
    """,
    doses=numbers,
)

# 300 mg/day: never straight to zero; one smaller step first, held at least a week.
LINEAR_300_QD = Table(
    """
    first | last | total | doses
    ------+------+-------+------
    1     | 7    | 200   | 200
    8     | 8    | 0     | -
    """,
    doses=numbers,
)

# Taper at CrCl 25 from 300 mg TID (900 mg/day, above the 15-29 band's one daily dose): day 1 brings it
# into the band in the same column of the label's renal table (first column: 200 mg once daily),
# flagged for the prescriber; 200 mg/day is at most the 300 mg stop-from level, so the next step is the stop.
LINEAR_300_TID_CRCL_25 = Table(
    """
    first | last | total | doses
    ------+------+-------+------
    1     | 7    | 200   | 200
    8     | 8    | 0     | -
    """,
    doses=numbers,
)

# `taper --from "1200 mg TID" --crcl 20`: 3600 mg/day is the fifth column; at CrCl 15-29 that column is
# 700 mg once daily (label 2.3). Then 300 mg less a week, each day one of the band's regimens (400 mg),
# a step of at most half the dose (400 -> 200), and the stop from 200 mg.
LINEAR_1200_TID_CRCL_20 = Table(
    """
    first | last | total | doses
    ------+------+-------+------
    1     | 7    | 700   | 700
    8     | 14   | 400   | 400
    15    | 21   | 200   | 200
    22    | 22   | 0     | -
    """,
    doses=numbers,
)

# `taper --from "600 mg TID" --crcl 40`: into the 30-59 band's same column (400 mg twice daily), then
# the band's regimen nearest 300 mg less (600 = 300+300), then below the band's lowest regimen one dose.
LINEAR_600_TID_CRCL_40 = Table(
    """
    first | last | total | doses
    ------+------+-------+--------
    1     | 7    | 800   | 400+400
    8     | 14   | 600   | 300+300
    15    | 21   | 300   | 300
    22    | 22   | 0     | -
    """,
    doses=numbers,
)

# `taper --from "1200 mg TID" --step-mg 1800`: no step removes more than half the dose, no single
# administration above 1200 mg, and the stop only from 300 mg or less (the steps are shortened, with a warning).
STEP_1800_FROM_3600 = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 7    | 1800  | 600+600+600
    8     | 14   | 900   | 300+300+300
    15    | 21   | 500   | 500
    22    | 28   | 300   | 300
    29    | 29   | 0     | -
    """,
    doses=numbers,
)

PLANS = [
    ("300 mg TID", None, None, LINEAR_300_TID),
    ("600 mg TID", None, None, LINEAR_600_TID),
    ("600 mg TID", "low", None, LOW_RISK_600_TID),
    ("100 mg QD", None, None, LINEAR_100_QD),
    ("300 mg QD", None, None, LINEAR_300_QD),
    ("300 mg TID", None, 25, LINEAR_300_TID_CRCL_25),
    ("1200 mg TID", None, 20, LINEAR_1200_TID_CRCL_20),
    ("600 mg TID", None, 40, LINEAR_600_TID_CRCL_40),
]


@pytest.mark.parametrize(("regimen", "risk", "crcl", "table"), PLANS, ids=[f"{p[0]}-{p[1]}-{p[2]}" for p in PLANS])
def test_taper_tables(regimen, risk, crcl, table):
    plan = taper(parse_regimen(regimen), start=START, risk=risk, crcl=None if crcl is None else CrCl(crcl))
    assert plan_steps(plan) == expected_steps(table)


# Proportional levels from 1800 mg/day by risk: (daily total, days held) per step, then the stop.
RISK_LEVELS = Table(
    """
    risk     | step_days | levels
    ---------+-----------+----------------------------------------------------------------------------
    low      | 7         | 1400 1100 900 700 600 500 400 300 200 100 0
    moderate | 14        | 1600 1400 1200 1100 1000 900 800 700 600 500 400 300 200 100 0
    high     | 28        | 1700 1600 1500 1400 1300 1200 1100 1000 900 800 700 600 500 400 300 200 100 0
    """,
    levels=numbers,
)


@pytest.mark.parametrize(RISK_LEVELS.argnames, RISK_LEVELS.rows, ids=RISK_LEVELS.ids)
def test_proportional_levels_by_risk(risk, step_days, levels):
    plan = taper(parse_regimen("600 mg TID"), start=START, risk=risk)
    steps = plan.steps
    assert tuple(s.total_mg for s in steps) == levels
    assert all((s.end - s.start).days + 1 == step_days for s in steps[:-1])


@pytest.mark.parametrize("risk", ["low", "moderate", "high"])
def test_first_reduction_is_about_the_risk_fraction(risk):
    fraction = {"low": 0.25, "moderate": 0.15, "high": 0.10}[risk]
    plan = taper(parse_regimen("600 mg TID"), start=START, risk=risk)
    cut = 1800 - plan.days[0].total_mg
    # Whole 100 mg amounts, rounded down: never more than the fraction, less by under one amount.
    assert 1800 * fraction - 100 < cut <= 1800 * fraction


CASES = ["100 mg QD", "200 mg QD", "300 mg QD", "300 mg BID", "300 mg TID", "400 mg TID", "600 mg TID", "800 mg TID",
         "1200 mg TID", "300-300-600", "100-200"]


@pytest.mark.parametrize("risk", [None, "low", "moderate", "high"])
@pytest.mark.parametrize("regimen", CASES)
def test_taper_invariants(regimen, risk):
    reg = parse_regimen(regimen)
    plan = taper(reg, start=START, risk=risk)
    totals = [d.total_mg for d in plan.days]
    assert totals[0] <= reg.total_mg
    assert all(b <= a for a, b in pairwise(totals)), "never rising"
    assert totals[-1] == 0 and plan.days[-1].doses == (), "ends at 0"
    assert totals.count(0) == 1, "stops once, on the last day"
    assert len(plan.days) - 1 >= 7, "at least 7 days before 0"
    assert [d.date for d in plan.days] == [START + timedelta(days=i) for i in range(len(plan.days))]
    for d in plan.days[:-1]:
        assert sum(x.mg for x in d.doses) == d.total_mg
        for x in d.doses:
            assert sum(u.strength_mg * u.count for u in x.units) == x.mg


@pytest.mark.parametrize("regimen", ["300 mg TID", "600 mg TID"])
def test_withdrawal_watch_window_12h_to_7_days_after_each_step(regimen):
    plan = taper(parse_regimen(regimen), start=START, risk="moderate")
    for step in plan.steps:
        begin = datetime.combine(step.start, datetime.min.time())
        assert step.watch_from == begin + timedelta(hours=12)
        assert step.watch_until == begin + timedelta(days=7)
    assert any("12 hours to 7 days" in n for n in plan.notes)
    assert any("suddenly" in n for n in plan.notes)


def test_taper_json_last_day_is_zero_and_cited():
    data = taper(parse_regimen("300 mg TID"), start=START).to_json()
    assert data["days"][-1]["total_mg"] == 0 and data["days"][-1]["doses"] == []
    sources = {c.source for c in data["citations"]}
    assert {"label", "nhs-fife", "maudsley-2024"} <= sources
    assert all(s["withdrawal_watch"] is not None for s in data["steps"])


def test_taper_above_the_renal_maximum_enters_the_band_first_and_says_so():
    plan = taper(parse_regimen("600 mg TID"), start=START, crcl=CrCl(25))
    assert any(w.startswith("Problem for the prescriber") and "400" in w for w in plan.warnings)
    # Every day is within the 15-29 band: at most 700 mg/day, one dose a day.
    for d in plan.days[:-1]:
        assert d.total_mg <= 700 and len(d.doses) == 1, d


def test_a_step_larger_than_half_the_dose_is_shortened_with_a_warning():
    plan = taper(parse_regimen("1200 mg TID"), start=START, step_mg=1800)
    assert plan_steps(plan) == expected_steps(STEP_1800_FROM_3600)
    assert any("shortened" in w for w in plan.warnings)


def test_a_regimen_above_the_label_maximum_is_brought_within_it_on_day_1():
    plan = taper(parse_regimen("1600 mg TID"), start=START)
    assert plan.days[0].total_mg == 3600 and max(x.mg for x in plan.days[0].doses) == 1200
    assert any("Problem for the prescriber" in w for w in plan.warnings)


@pytest.mark.parametrize(("regimen", "kwargs", "match"), [
    ("400 mg once", {}, "single dose"),
    ("300 mg TID", {"risk": "extreme"}, "risk"),
    ("300 mg TID", {"step_mg": 150}, "multiple"),
    ("300 mg TID", {"step_mg": 0}, "multiple"),
    ("250 mg TID", {}, "whole number"),
])
def test_bad_taper_requests_refused(regimen, kwargs, match):
    with pytest.raises(ClinicalInputError, match=match):
        taper(parse_regimen(regimen), start=START, **kwargs)


@pytest.mark.parametrize("mg", [3e-300, 1e-9, 0.5])
def test_a_dose_below_one_amount_is_refused_not_a_crash(mg):
    # Found by the CDS fuzz test: a MedicationRequest dose of 3e-300 mg made an empty taper (IndexError).
    base = parse_regimen("300 mg TID")
    tiny = replace(base, doses=tuple(replace(d, mg=replace(d.mg, value=mg)) for d in base.doses))
    with pytest.raises(ClinicalInputError, match="whole number"):
        taper(tiny, start=START)
