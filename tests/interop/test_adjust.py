"""suggest_regimen: the renal band's regimen in the ordered regimen's column (label 2.3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.clinical import CrCl, parse_regimen, renal_limits
from gabacare.clinical.adjust import suggest_regimen
from gabacare.clinical.errors import ClinicalInputError


@pytest.mark.parametrize(("ordered", "crcl", "expected"), [
    ("600 mg TID", 26, "400 mg QD"),     # worked example (i): 1800 mg/day column -> 400 mg once daily
    ("300 mg TID", 45, "200 mg BID"),
    ("800 mg TID", 45, "500 mg BID"),
    ("1200 mg TID", 20, "700 mg QD"),
    ("1600 mg TID", 90, "1200 mg TID"),  # above 3600 mg/day -> the label maximum
    ("600 mg TID", 10, "100 mg QD"),     # below 15 mL/min: scaled by CrCl/15, rounded to a measurable amount
    ("300 mg BID", 25, "200 mg QD"),
])
def test_column_mapping(ordered: str, crcl: float, expected: str) -> None:
    assert suggest_regimen(parse_regimen(ordered), CrCl(crcl)).describe() == expected


def test_order_within_the_band_is_unchanged() -> None:
    reg = parse_regimen("300 mg TID")
    assert suggest_regimen(reg, CrCl(80)) is reg


def test_single_dose_is_refused() -> None:
    with pytest.raises(ClinicalInputError):
        suggest_regimen(parse_regimen("400 mg once"), CrCl(40))


@settings(max_examples=60, deadline=None)
@given(per_dose=st.sampled_from([100, 200, 300, 400, 600, 800, 1200, 1600]), n=st.integers(1, 3),
       crcl=st.floats(5, 140))
def test_never_above_order_band_or_band_doses(per_dose: int, n: int, crcl: float) -> None:
    reg = parse_regimen(f"{per_dose} mg {['QD', 'BID', 'TID'][n - 1]}")
    lim = renal_limits(CrCl(crcl))
    out = suggest_regimen(reg, CrCl(crcl))
    assert out.total_mg <= reg.total_mg + 1e-9
    assert out.total_mg <= lim.max_daily_mg + 1e-9 and out.total_mg <= 3600
    assert out.doses_per_day <= lim.doses_per_day
