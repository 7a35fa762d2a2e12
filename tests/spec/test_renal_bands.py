"""Renal dose bands: the US label's table of daily dose by creatinine clearance.

Source: Neurontin US prescribing information, section 2.3 (``label §2.3``), as copied into
``clinical-reference.md``; the edge rule is GabaCare policy (``gabacare-policy``): where the label's
bands leave a gap (59.5, exactly 30, exactly 15) the lower, more conservative band wins. Below
15 mL/min the CrCl-15 doses fall in proportion to CrCl (7.5 mL/min → exactly half).

The columns of the label table correspond across rows: the same column index is the same patient's
dose at each level of kidney function, and the hemodialysis supplement of that column.
"""

from __future__ import annotations

import math

import pytest
from _table import Table, numbers

from gabacare.clinical import ClinicalInputError, CrCl, renal_limits

# The label's table, all five columns per band. `per_dose` is mg per dose, `daily` is the day's
# total for that column (per_dose × doses), `hd` is the post-hemodialysis supplement (label §2.3).
LABEL_TABLE = Table(
    """
    band  | crcl | min_daily | max_daily | doses | per_dose                 | daily                      | hd
    ------+------+-----------+-----------+-------+--------------------------+----------------------------+------------------------
    60+   | 100  | 900       | 3600      | 3     | 300 400 600 800 1200     | 900 1200 1800 2400 3600    | 125 150 200 250 350
    30-59 | 45   | 400       | 1400      | 2     | 200 300 400 500 700      | 400 600 800 1000 1400      | 125 150 200 250 350
    15-29 | 20   | 200       | 700       | 1     | 200 300 400 500 700      | 200 300 400 500 700        | 125 150 200 250 350
    15    | 15   | 100       | 300       | 1     | 100 125 150 200 300      | 100 125 150 200 300        | 125 150 200 250 350
    """,
    per_dose=numbers,
    daily=numbers,
    hd=numbers,
)


@pytest.mark.parametrize(LABEL_TABLE.argnames, LABEL_TABLE.rows, ids=LABEL_TABLE.ids)
def test_label_renal_table(band, crcl, min_daily, max_daily, doses, per_dose, daily, hd):
    lim = renal_limits(CrCl(crcl), hemodialysis=True)
    assert lim.band_id == str(band)
    assert (lim.min_daily_mg, lim.max_daily_mg, lim.doses_per_day) == (min_daily, max_daily, doses)
    assert lim.columns_mg == per_dose
    assert tuple(c * lim.doses_per_day for c in lim.columns_mg) == daily
    assert lim.hemodialysis_supplement_mg == hd
    assert lim.proportion == 1.0
    assert any(c.source == "label" and c.section == "2.3" for c in lim.citations)


def test_no_supplement_without_hemodialysis():
    assert renal_limits(CrCl(45)).hemodialysis_supplement_mg is None


# Every band edge, with the conservative-band-wins rule. `proportion` is 1 except below 15 mL/min.
EDGES = Table(
    """
    crcl  | band  | max_daily | doses | proportion | why
    ------+-------+-----------+-------+------------+------------------------------------------
    250   | 60+   | 3600      | 3     | 1          | highest plausible CrCl
    60.1  | 60+   | 3600      | 3     | 1          | just above 60
    60    | 60+   | 3600      | 3     | 1          | label: ≥60 includes 60
    59.9  | 30-59 | 1400      | 2     | 1          | gap 59-60 goes down
    59.5  | 30-59 | 1400      | 2     | 1          | gap 59-60 goes down, not rounded up to 60
    59    | 30-59 | 1400      | 2     | 1          | top of the 30-59 band
    30.1  | 30-59 | 1400      | 2     | 1          | label: >30 to 59
    30    | 15-29 | 700       | 1     | 1          | exactly 30 is not >30: conservative band
    29.5  | 15-29 | 700       | 1     | 1          | gap 29-30 in the 15-29 band
    15.1  | 15-29 | 700       | 1     | 1          | label: >15 to 29
    15    | 15    | 300       | 1     | 1          | exactly 15: the CrCl-15 row
    14.9  | 15    | 298       | 1     | 0.99333    | below 15: proportional
    7.5   | 15    | 150       | 1     | 0.5        | half the CrCl-15 doses
    1.5   | 15    | 30        | 1     | 0.1        | a tenth
    """
)


@pytest.mark.parametrize(EDGES.argnames, EDGES.rows, ids=EDGES.ids)
def test_band_edges(crcl, band, max_daily, doses, proportion, why):
    lim = renal_limits(CrCl(crcl))
    assert lim.band_id == str(band), why
    assert lim.max_daily_mg == pytest.approx(max_daily, abs=0.05), why
    assert lim.doses_per_day == doses, why
    assert lim.proportion == pytest.approx(proportion, abs=1e-4), why


def test_crcl_7_5_is_exactly_half_the_crcl_15_doses():
    half, full = renal_limits(CrCl(7.5)), renal_limits(CrCl(15))
    assert half.columns_mg == tuple(c / 2 for c in full.columns_mg) == (50, 62.5, 75, 100, 150)
    assert (half.min_daily_mg, half.max_daily_mg) == (full.min_daily_mg / 2, full.max_daily_mg / 2)
    assert any(c.source == "label" for c in half.citations)
    assert "proportion" in " ".join(half.notes)


def test_edge_rule_is_stated_and_cited():
    lim = renal_limits(CrCl(30))
    assert any("conservative" in n for n in lim.notes)
    assert any(c.source == "gabacare-policy" for c in lim.citations)


REFUSED = Table(
    """
    crcl   | why
    -------+------------------------------
    0      | no clearance is not a CrCl
    -5     | negative
    -0.1   | negative
    250.1  | above the plausible maximum
    1000   | implausible
    """
)


@pytest.mark.parametrize(REFUSED.argnames, REFUSED.rows, ids=REFUSED.ids)
def test_implausible_crcl_refused(crcl, why):
    with pytest.raises(ClinicalInputError):
        CrCl(crcl)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, "45"])
def test_non_numbers_refused(value):
    with pytest.raises(ClinicalInputError):
        CrCl(value)
