"""Up-titration plans, day by day, per indication.

Sources (``knowledge/data/gabapentin.toml`` ``[[indications]]``, summarised in
``clinical-reference.md``): postherpetic neuralgia label §2.1 (day 1: 300 mg once; day 2: 300 mg twice;
day 3: 300 mg three times; then toward 1800 mg/day); epilepsy age ≥12 label §2.2 (start 300 mg TID);
epilepsy age 3-11 label §2.2 (10-15 → 25-40 mg/kg/day over ~3 days in three doses); diabetic
neuropathy (Medscape: 900 mg/day, raised every 3 days to 1800-3600), fibromyalgia (Arnold 2007:
1200-2400 mg/day), restless legs (Medscape: 100-300 mg about 2 h before bed, raised about every
2 weeks, 300-1800 mg/day), spasticity (article-spasms) and anxiety (article-anxiety) as off-label
schemes. Where the source gives no step size or pace (PHN after day 3, adult epilepsy above the
start, and the off-label schemes) the 300 mg (anxiety: 100 mg) step and its interval are GabaCare's
(``increment_source = "gabacare-policy"``). Limits: 3600 mg/day (label §2.1, 2.2) and the renal
band's maximum and doses per day (label §2.3).

Tables read ``days first-last: total mg/day = per-dose mg`` (doses in clock order; the larger
dose goes last in the day).
"""

from __future__ import annotations

from datetime import date

import pytest
from _table import Table, expected_steps, numbers, plan_steps

from gabacare.clinical import ClinicalInputError, CrCl, titrate
from gabacare.clinical.renal import renal_limits

START = date(2026, 3, 2)


PHN = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 1    | 300   | 300
    2     | 2    | 600   | 300+300
    3     | 3    | 900   | 300+300+300
    4     | 6    | 1200  | 400+400+400
    7     | 9    | 1500  | 500+500+500
    10    | 12   | 1800  | 600+600+600
    """,
    doses=numbers,
)

EPILEPSY = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 3    | 900   | 300+300+300
    """,
    doses=numbers,
)

DIABETIC_NEUROPATHY = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 3    | 900   | 300+300+300
    4     | 6    | 1200  | 400+400+400
    7     | 9    | 1500  | 500+500+500
    10    | 12   | 1800  | 600+600+600
    """,
    doses=numbers,
)

FIBROMYALGIA = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 7    | 300   | 300
    8     | 14   | 600   | 300+300
    15    | 21   | 900   | 300+300+300
    22    | 28   | 1200  | 400+400+400
    """,
    doses=numbers,
)

RESTLESS_LEGS = Table(
    """
    first | last | total | doses
    ------+------+-------+------
    1     | 14   | 300   | 300
    15    | 28   | 600   | 600
    29    | 42   | 900   | 900
    """,
    doses=numbers,
)

SPASTICITY = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 3    | 300   | 300
    4     | 6    | 600   | 300+300
    7     | 9    | 900   | 300+300+300
    """,
    doses=numbers,
)

ANXIETY = Table(
    """
    first | last | total | doses
    ------+------+-------+-------------
    1     | 3    | 100   | 100
    4     | 6    | 200   | 100+100
    7     | 9    | 300   | 100+100+100
    10    | 12   | 400   | 100+100+200
    13    | 15   | 500   | 100+200+200
    16    | 18   | 600   | 200+200+200
    19    | 21   | 700   | 200+200+300
    22    | 24   | 800   | 200+300+300
    25    | 27   | 900   | 300+300+300
    """,
    doses=numbers,
)

# PHN at CrCl 25 (15-29 band: 200-700 mg/day, once a day, label 2.3): start low and go slow within
# the band: its lowest regimen first, then one column of the renal table every 3 days, to the band's
# maximum (the default 1800 mg/day target is lowered to 700, with a warning).
PHN_CRCL_25 = Table(
    """
    first | last | total | doses
    ------+------+-------+------
    1     | 3    | 200   | 200
    4     | 6    | 300   | 300
    7     | 9    | 400   | 400
    10    | 12   | 500   | 500
    13    | 15   | 700   | 700
    """,
    doses=numbers,
)

# PHN at CrCl 45 (30-59 band: 400-1400 mg/day, twice a day): every day is one of the band's regimens
# (never "400 mg + 500 mg", which the label's table does not list).
PHN_CRCL_45 = Table(
    """
    first | last | total | doses
    ------+------+-------+--------
    1     | 3    | 400   | 200+200
    4     | 6    | 600   | 300+300
    7     | 9    | 800   | 400+400
    10    | 12   | 1000  | 500+500
    13    | 15   | 1400  | 700+700
    """,
    doses=numbers,
)

# `titrate --indication dpn --crcl 25`: the same climb through the 15-29 band (day 1 is 200 mg, not the
# band's 700 mg maximum).
DPN_CRCL_25 = PHN_CRCL_25

PLANS = [
    ("postherpetic-neuralgia", None, None, PHN),
    ("epilepsy", None, None, EPILEPSY),
    ("diabetic-neuropathy", None, None, DIABETIC_NEUROPATHY),
    ("fibromyalgia", None, None, FIBROMYALGIA),
    ("restless-legs", None, None, RESTLESS_LEGS),
    ("spasticity", None, None, SPASTICITY),
    ("anxiety", None, None, ANXIETY),
    ("postherpetic-neuralgia", None, 25, PHN_CRCL_25),
    ("postherpetic-neuralgia", None, 45, PHN_CRCL_45),
    ("diabetic-neuropathy", None, 25, DPN_CRCL_25),
]


@pytest.mark.parametrize(("indication", "target", "crcl", "table"), PLANS,
                         ids=[f"{p[0]}-crcl-{p[2]}" for p in PLANS])
def test_default_plans(indication, target, crcl, table):
    plan = titrate(indication, start=START, target_mg=target, crcl=None if crcl is None else CrCl(crcl))
    assert plan_steps(plan) == expected_steps(table)
    assert plan.days[0].date == START
    assert [d.day for d in plan.days] == list(range(1, len(plan.days) + 1))


def test_phn_first_three_days_are_the_label_scheme():
    plan = titrate("postherpetic-neuralgia", start=START)
    first3 = [[x.mg for x in d.doses] for d in plan.days[:3]]
    assert first3 == [[300], [300, 300], [300, 300, 300]]
    assert all(u.form == "capsule" and u.strength_mg == 300 and u.count == 1
               for d in plan.days[:3] for x in d.doses for u in x.units)
    assert any(c.source == "label" and c.section == "2.1" for c in plan.citations)


def test_restless_legs_single_evening_dose():
    plan = titrate("restless-legs", start=START, target_mg=1800)
    assert {len(d.doses) for d in plan.days} == {1}
    assert {x.time.strftime("%H:%M") for d in plan.days for x in d.doses} == {"19:00"}
    assert plan.days[-1].total_mg == 1800


@pytest.mark.parametrize(("crcl", "cap", "doses"), [(25, 700, 1), (45, 1400, 2), (15, 300, 1), (7.5, 100, 1)])
def test_renal_capping(crcl, cap, doses):
    plan = titrate("phn", start=START, target_mg=3600, crcl=CrCl(crcl))
    assert max(d.total_mg for d in plan.days) == cap
    assert plan.days[-1].total_mg == cap
    assert max(len(d.doses) for d in plan.days) == doses
    assert plan.cap_mg == cap
    assert all(d.total_mg <= renal_limits(CrCl(crcl)).max_daily_mg for d in plan.days)
    assert any("lowered" in w for w in plan.warnings)


def test_without_crcl_the_plan_says_it_assumes_normal_kidneys():
    plan = titrate("phn", start=START)
    assert any("No creatinine clearance" in w for w in plan.warnings)


def test_crcl_too_low_for_the_smallest_capsule_is_refused():
    with pytest.raises(ClinicalInputError, match="individualised"):
        titrate("phn", start=START, crcl=CrCl(4))


@pytest.mark.parametrize(("target", "match"), [(3700, "maximum"), (4000, "maximum"), (1850, "multiple"), (0, "more than 0"),
                                               (-300, "more than 0")])
def test_bad_targets_refused(target, match):
    with pytest.raises(ClinicalInputError, match=match):
        titrate("postherpetic-neuralgia", start=START, target_mg=target)


def test_target_3600_allowed_and_reached():
    plan = titrate("diabetic-neuropathy", start=START, target_mg=3600)
    assert plan.days[-1].total_mg == 3600
    assert max(d.total_mg for d in plan.days) == 3600


def test_target_above_usual_range_warns():
    plan = titrate("epilepsy", start=START, target_mg=2400)
    assert any("usual range" in w for w in plan.warnings)


def test_unknown_indication_lists_the_known_ones():
    with pytest.raises(ClinicalInputError) as err:
        titrate("gout", start=START)
    for known in ("postherpetic-neuralgia", "epilepsy", "epilepsy-child", "diabetic-neuropathy", "fibromyalgia",
                  "restless-legs", "spasticity", "anxiety"):
        assert known in str(err.value)


ALIASES = Table(
    """
    alias             | indication
    ------------------+-----------------------
    phn               | postherpetic-neuralgia
    PHN               | postherpetic-neuralgia
    rls               | restless-legs
    muscle-spasms     | spasticity
    Muscle Spasms     | spasticity
    neuropathic-pain  | diabetic-neuropathy
    seizures          | epilepsy
    panic_disorder    | anxiety
    """
)


@pytest.mark.parametrize(ALIASES.argnames, ALIASES.rows, ids=ALIASES.ids)
def test_aliases_resolve(alias, indication):
    assert titrate(alias, start=START).days == titrate(indication, start=START).days


def test_adult_epilepsy_refuses_children():
    with pytest.raises(ClinicalInputError, match="epilepsy-child"):
        titrate("epilepsy", start=START, age_years=8)


# Epilepsy age 3-11 (label §2.2): start 10 mg/kg/day, reach the age band's low target on day 3, in
# three equal doses of oral solution (50 mg/mL), rounded *down* to the 0.1 mL syringe step (5 mg).
# 20 kg at 6 y: 200 → 500 mg/day; per dose 66.7 → 65, 116.7 → 115, 166.7 → 165 mg.
# 16 kg at 4 y: 160 → 640 mg/day (40 mg/kg); per dose 53.3 → 50, 133.3 → 130, 213.3 → 210 mg.
CHILD = Table(
    """
    weight_kg | age | day | per_dose_mg | per_dose_ml | total
    ----------+-----+-----+-------------+-------------+------
    20        | 6   | 1   | 65          | 1.3         | 195
    20        | 6   | 2   | 115         | 2.3         | 345
    20        | 6   | 3   | 165         | 3.3         | 495
    16        | 4   | 1   | 50          | 1.0         | 150
    16        | 4   | 2   | 130         | 2.6         | 390
    16        | 4   | 3   | 210         | 4.2         | 630
    """
)


@pytest.mark.parametrize(CHILD.argnames, CHILD.rows, ids=CHILD.ids)
def test_epilepsy_child_in_oral_solution(weight_kg, age, day, per_dose_mg, per_dose_ml, total):
    plan = titrate("epilepsy-child", start=START, weight_kg=weight_kg, age_years=age)
    assert len(plan.days) == 3
    d = plan.days[day - 1]
    assert d.total_mg == pytest.approx(total)
    assert len(d.doses) == 3
    for dose in d.doses:
        assert dose.mg == pytest.approx(per_dose_mg)
        (unit,) = dose.units
        assert (unit.form, unit.strength_mg) == ("oral-solution", 50)
        assert unit.count == pytest.approx(per_dose_ml)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"age_years": 6}, "weight"),
    ({"weight_kg": 20}, "age"),
    ({}, "weight"),
    ({"weight_kg": 20, "age_years": 12}, "ages 3-11"),
    ({"weight_kg": 12, "age_years": 2}, "ages 3-11"),
    ({"weight_kg": 20, "age_years": 6, "target_mg": 1000}, "outside"),
])
def test_epilepsy_child_needs_weight_and_age(kwargs, match):
    with pytest.raises(ClinicalInputError, match=match):
        titrate("epilepsy-child", start=START, **kwargs)
