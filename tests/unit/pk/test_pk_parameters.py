"""Parameters derived from the knowledge base (label §12.3) and the modelling choices (gabacare-policy)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gabacare.pk
from gabacare.knowledge import load_monograph
from gabacare.pk import default_parameters
from gabacare.pk.parameters import time_of_peak_h

PK = load_monograph().pk
P = default_parameters()


def test_half_lives_follow_the_label_at_the_reference_points() -> None:
    assert float(P.half_life_h(PK.reference_crcl_ml_min)) == pytest.approx(PK.half_life_normal_h)
    assert float(P.half_life_h(0.0)) == pytest.approx(PK.half_life_anuric_h)
    assert float(P.half_life_h(0.0, dialysis=True)) == pytest.approx(PK.half_life_hemodialysis_h)
    assert P.volume_l == PK.volume_l


def test_clearance_is_linear_in_crcl() -> None:
    cl = P.clearance_l_per_h(np.array([0.0, 50.0, 100.0]))
    assert cl[2] - cl[1] == pytest.approx(cl[1] - cl[0])


def test_absorption_rate_puts_a_single_dose_peak_in_the_label_window() -> None:
    ke = float(P.ke_per_h(PK.reference_crcl_ml_min))
    assert time_of_peak_h(P.ka_per_h, ke) == pytest.approx((PK.tmax_min_h + PK.tmax_max_h) / 2)
    assert time_of_peak_h(0.5, 0.5) == pytest.approx(2.0)


def test_bioavailability_reproduces_the_label_table_per_dose() -> None:
    for point in PK.bioavailability:
        per_dose = point.daily_mg / PK.bioavailability_doses_per_day
        assert float(P.bioavailability(per_dose)) == pytest.approx(point.fraction)


def test_absorbed_amount_never_falls_as_the_dose_rises_and_ends_hold() -> None:
    doses = np.linspace(1.0, 5000.0, 2000)
    absorbed = P.absorbed_mg(doses)
    assert np.all(np.diff(absorbed) >= 0)
    first, last = PK.bioavailability[0].fraction, PK.bioavailability[-1].fraction
    assert float(P.bioavailability(50.0)) == pytest.approx(first)
    assert float(P.bioavailability(4000.0)) == pytest.approx(last)
    assert math.isfinite(float(P.bioavailability(0.0)))


def test_results_cite_the_label_and_the_modelling_policy() -> None:
    assert {c.source for c in P.citations} == {"label", "gabacare-policy"}


def test_public_names_are_sorted_and_exist() -> None:
    assert gabacare.pk.__all__ == sorted(gabacare.pk.__all__)
    public = {name for name in vars(gabacare.pk) if not name.startswith("_")}
    modules = {"calibration", "dosing", "model", "parameters", "population"}
    assert set(gabacare.pk.__all__) == public - modules
