"""Creatinine clearance by Cockcroft-Gault with actual body weight.

Source: Neurontin US label §2.3 (as in ``clinical-reference.md``):
``CrCl (mL/min) = (140 − age) × weight(kg) / (72 × SCr(mg/dL))``, × 0.85 for women;
SCr in µmol/L ÷ 88.4 = mg/dL. Inputs outside the plausible ranges (GabaCare policy,
``[renal.plausible]``: age 12-120 y, weight 20-350 kg, SCr 0.1-25 mg/dL) are refused, never guessed.

Every expected value below was worked by hand from the formula, e.g. the second row:
(140 − 60) × 72 / (72 × 1.0) × 0.85 = 80 × 0.85 = 68.0.
"""

from __future__ import annotations

import pytest
from _table import Table

from gabacare.clinical import ClinicalInputError, SerumCreatinine, cockcroft_gault

WORKED = Table(
    """
    patient               | age | sex    | weight_kg | scr    | unit   | crcl    | by_hand
    ----------------------+-----+--------+-----------+--------+--------+---------+----------------------------------------
    label-textbook-man    | 60  | male   | 72        | 1.0    | mg/dL  | 80.00   | 80 × 72 / 72
    same-woman            | 60  | female | 72        | 1.0    | mg/dL  | 68.00   | 80 × 0.85
    middle-aged-man       | 40  | male   | 80        | 1.2    | mg/dL  | 92.59   | 100 × 80 / 86.4
    frail-older-woman     | 85  | female | 55        | 1.4    | mg/dL  | 25.51   | 55 × 55 / 100.8 × 0.85
    older-man-umol        | 70  | male   | 70        | 106.08 | umol/L | 56.71   | 106.08/88.4 = 1.2; 70 × 70 / 86.4
    young-woman-umol      | 30  | female | 60        | 70.72  | umol/L | 97.40   | 70.72/88.4 = 0.8; 110 × 60 / 57.6 × 0.85
    teenager-12           | 12  | male   | 40        | 0.5    | mg/dL  | 142.22  | 128 × 40 / 36
    one-mg-dl-in-umol     | 60  | male   | 72        | 88.4   | umol/L | 80.00   | 88.4 µmol/L is exactly 1 mg/dL
    severe-ckd-man        | 75  | male   | 65        | 4.0    | mg/dL  | 14.67   | 65 × 65 / 288
    """
)


@pytest.mark.parametrize(WORKED.argnames, WORKED.rows, ids=WORKED.ids)
def test_worked_patients(patient, age, sex, weight_kg, scr, unit, crcl, by_hand):
    result = cockcroft_gault(age_years=age, sex=sex, weight_kg=weight_kg, scr=SerumCreatinine(scr, unit))
    assert result.crcl_ml_min == pytest.approx(crcl, abs=0.01), by_hand
    assert any(c.source == "label" and c.section == "2.3" for c in result.citations)


def test_women_are_exactly_0_85_of_men():
    kw = {"age_years": 50, "weight_kg": 70, "scr": SerumCreatinine(0.9)}
    man, woman = cockcroft_gault(sex="male", **kw), cockcroft_gault(sex="female", **kw)
    assert woman.crcl_ml_min == pytest.approx(man.crcl_ml_min * 0.85)
    assert "0.85" in woman.formula and "0.85" not in man.formula


def test_umol_per_l_converts_by_88_4():
    assert SerumCreatinine(176.8, "umol/L").mg_dl == pytest.approx(2.0)
    assert SerumCreatinine(2.0).mg_dl == 2.0


REFUSED = Table(
    """
    what                  | age  | sex    | weight_kg | scr   | unit
    ----------------------+------+--------+-----------+-------+-------
    age-200               | 200  | male   | 70        | 1.0   | mg/dL
    age-121               | 121  | female | 70        | 1.0   | mg/dL
    child-age-11          | 11   | male   | 35        | 0.5   | mg/dL
    negative-age          | -1   | male   | 70        | 1.0   | mg/dL
    weight-5-kg           | 60   | male   | 5         | 1.0   | mg/dL
    weight-1000-kg        | 60   | male   | 1000      | 1.0   | mg/dL
    scr-30-mg-dl          | 60   | male   | 70        | 30    | mg/dL
    scr-0.05-mg-dl        | 60   | male   | 70        | 0.05  | mg/dL
    scr-mg-dl-typed-umol  | 60   | male   | 70        | 1.0   | umol/L
    scr-umol-typed-mg-dl  | 60   | male   | 70        | 88.4  | mg/dL
    sex-unknown           | 60   | other  | 70        | 1.0   | mg/dL
    result-833-ml-min     | 20   | male   | 150       | 0.3   | mg/dL
    """
)


@pytest.mark.parametrize(REFUSED.argnames, REFUSED.rows, ids=REFUSED.ids)
def test_implausible_inputs_refused(what, age, sex, weight_kg, scr, unit):
    with pytest.raises(ClinicalInputError):
        cockcroft_gault(age_years=age, sex=sex, weight_kg=weight_kg, scr=SerumCreatinine(scr, unit))


@pytest.mark.parametrize(("value", "unit"), [(0, "mg/dL"), (-1.0, "mg/dL"), (float("nan"), "mg/dL"), (1.0, "mmol/L")])
def test_serum_creatinine_refuses_nonsense(value, unit):
    with pytest.raises(ClinicalInputError):
        SerumCreatinine(value, unit)


def test_error_message_names_the_input():
    with pytest.raises(ClinicalInputError, match="age 200"):
        cockcroft_gault(age_years=200, sex="male", weight_kg=70, scr=SerumCreatinine(1.0))
