"""Making a dose from real products: capsules whole, scored tablets whole or halved, or oral solution.

Sources: label §3 and §16 (capsules 100, 300, 400 mg swallowed whole; scored tablets 600, 800 mg may
be halved, an unused half taken at the next dose; oral solution 250 mg/5 mL = 50 mg/mL, measured in
0.1 mL steps). GabaCare's rule (``pills.py``): the fewest pieces win; ties go to whole units over
halves, then to fewer distinct products, then to the largest strength first. Dispense totals round
halves *up* to whole tablets.
"""

from __future__ import annotations

import math

import pytest
from _table import Table

from gabacare.clinical import ClinicalInputError, pill_plan
from gabacare.clinical.pills import Unit, dispense_totals, is_makeable
from gabacare.knowledge import load_monograph


def units_text(plan) -> str:
    return " + ".join(f"{u.count:g}x{u.strength_mg:g} {u.form}" for u in plan.units)


DOSES = Table(
    """
    mg    | units                                  | pieces
    ------+----------------------------------------+-------
    100   | 1x100 capsule                          | 1
    200   | 2x100 capsule                          | 2
    300   | 1x300 capsule                          | 1
    400   | 1x400 capsule                          | 1
    500   | 1x400 capsule + 1x100 capsule          | 2
    600   | 1x600 tablet                           | 1
    700   | 1x600 tablet + 1x100 capsule           | 2
    800   | 1x800 tablet                           | 1
    900   | 1x800 tablet + 1x100 capsule           | 2
    1000  | 1x600 tablet + 1x400 capsule           | 2
    1100  | 1x800 tablet + 1x300 capsule           | 2
    1200  | 2x600 tablet                           | 2
    1400  | 1x800 tablet + 1x600 tablet            | 2
    1500  | 2x600 tablet + 1x300 capsule           | 3
    1600  | 2x800 tablet                           | 2
    1800  | 3x600 tablet                           | 3
    2400  | 3x800 tablet                           | 3
    3600  | 4x800 tablet + 1x400 capsule           | 5
    """
)


@pytest.mark.parametrize(DOSES.argnames, DOSES.rows, ids=DOSES.ids)
def test_dose_to_units(mg, units, pieces):
    plan = pill_plan(mg)
    assert units_text(plan) == units
    assert sum(u.count for u in plan.units) == pieces
    assert sum(u.strength_mg * u.count for u in plan.units) == mg
    assert any(c.source == "label" for c in plan.citations)


@pytest.mark.parametrize("mg", range(100, 3601, 100))
def test_every_100_mg_step_is_made_exactly_with_halves_only_of_scored_tablets(mg):
    splittable = {(f.form, f.strength_mg) for f in load_monograph().forms if f.splittable}
    plan = pill_plan(mg)
    assert sum(u.strength_mg * u.count for u in plan.units) == mg
    for u in plan.units:
        assert u.count > 0 and u.count * 2 == int(u.count * 2), "whole or half units only"
        if u.count != int(u.count):
            assert (u.form, u.strength_mg) in splittable, "capsules are never split"


def test_only_the_600_and_800_mg_tablets_are_splittable():
    assert sorted(f.strength_mg for f in load_monograph().forms if f.splittable) == [600, 800]
    assert {f.form for f in load_monograph().forms if f.splittable} == {"tablet"}


UNMAKEABLE = Table(
    """
    mg    | why
    ------+------------------------------------------------
    50    | half a 100 mg capsule: capsules are not split
    150   | half a 300 mg capsule
    250   | no combination of 100/300/400/600/800 or halves
    333   | not a whole number of 100 mg
    0.5   | far below the smallest unit
    """
)


@pytest.mark.parametrize(UNMAKEABLE.argnames, UNMAKEABLE.rows, ids=UNMAKEABLE.ids)
def test_doses_that_solids_cannot_make(mg, why):
    with pytest.raises(ClinicalInputError, match="oral solution"):
        pill_plan(mg)
    assert not is_makeable(mg)


SOLUTION = Table(
    """
    mg    | ml
    ------+------
    5     | 0.1
    65    | 1.3
    125   | 2.5
    250   | 5
    1200  | 24
    """
)


@pytest.mark.parametrize(SOLUTION.argnames, SOLUTION.rows, ids=SOLUTION.ids)
def test_oral_solution_in_ml(mg, ml):
    (unit,) = pill_plan(mg, form="solution").units
    assert (unit.form, unit.strength_mg) == ("oral-solution", 50)
    assert unit.count == pytest.approx(ml)


@pytest.mark.parametrize("mg", [1, 2.5, 7, 333.5])
def test_solution_finer_than_the_syringe_step_refused(mg):
    with pytest.raises(ClinicalInputError, match=r"0\.1 mL"):
        pill_plan(mg, form="solution")


def test_zero_is_nothing_and_negative_or_nan_refused():
    assert pill_plan(0).units == ()
    for bad in (-100, math.nan, math.inf):
        with pytest.raises(ClinicalInputError):
            pill_plan(bad)


DISPENSE = Table(
    """
    pieces                                    | expected                          | why
    ------------------------------------------+-----------------------------------+--------------------------------
    0.5 tablet-600 x3                         | tablet-600:2                      | 1.5 tablets: round the half up
    0.5 tablet-600 x2                         | tablet-600:1                      | two halves are one tablet
    0.5 tablet-800 x1                         | tablet-800:1                      | a lone half needs a whole tablet
    2 capsule-100 x3                          | capsule-100:6                     | whole units add up
    2.5 oral-solution-50 x2                   | oral-solution-50:5                | mL are not rounded
    1.3 oral-solution-50 x3                   | oral-solution-50:3.9              | mL are not rounded
    """
)


def _units(spec: str) -> list[Unit]:
    count, product, times = spec.split()
    form, strength = product.rsplit("-", 1)
    return [Unit(form, float(strength), float(count))] * int(times.lstrip("x"))


@pytest.mark.parametrize(DISPENSE.argnames, DISPENSE.rows, ids=DISPENSE.ids)
def test_dispense_totals(pieces, expected, why):
    ((form_strength, count),) = [e.split(":") for e in expected.split()]
    form, strength = form_strength.rsplit("-", 1)
    (line,) = dispense_totals(_units(pieces))
    assert (line.form, line.strength_mg) == (form, float(strength)), why
    assert line.count == pytest.approx(float(count)), why


def test_dispense_for_a_whole_plan():
    from datetime import date

    from gabacare.clinical import parse_regimen, taper

    plan = taper(parse_regimen("300 mg TID"), start=date(2026, 3, 2))
    # 7 days of 300+300, 7 days of 300, then stop: 21 capsules of 300 mg.
    assert [(x.form, x.strength_mg, x.count) for x in plan.dispense] == [("capsule", 300, 21)]
