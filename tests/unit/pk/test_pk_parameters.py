"""Parameters derived from the knowledge base (label §12.3) and the modelling choices (gabacare-policy)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

import gabacare.pk
from gabacare.knowledge import load_monograph
from gabacare.pk import default_parameters
from gabacare.pk.parameters import _derive, renal_fit_points, time_of_peak_h

PK = load_monograph().pk
P = default_parameters()


def test_half_lives_follow_the_label_at_the_reference_points() -> None:
    assert float(P.half_life_h(PK.reference_crcl_ml_min)) == pytest.approx(PK.half_life_normal_h)
    assert float(P.half_life_h(0.0)) == pytest.approx(PK.half_life_anuric_h)
    assert float(P.half_life_h(0.0, dialysis=True)) == pytest.approx(PK.half_life_hemodialysis_h)
    assert P.volume_l == PK.volume_l


def test_clearance_rises_with_crcl_and_bends_only_at_low_crcl() -> None:
    crcl = np.linspace(0.0, 250.0, 2501)
    cl = P.clearance_l_per_h(crcl)
    assert np.all(np.diff(cl) > 0)
    assert float(cl[0]) == pytest.approx(P.cl_nonrenal_l_per_h)
    # Well above the bend the renal part is nearly a straight line in CrCl - K (slopes within 5 %) ...
    k = P.crcl_bend_ml_min
    renal = P.renal_clearance_l_per_h(np.array([60.0, 100.0, 150.0]))
    slopes = np.diff(renal) / np.array([40.0, 50.0])
    assert slopes[1] == pytest.approx(slopes[0], rel=0.05)
    assert float(P.renal_clearance_l_per_h(150.0) / P.renal_clearance_l_per_h(100.0)) == pytest.approx(
        (150.0 - k) / (100.0 - k), rel=0.01)
    # ... and below it the renal part is smaller than the straight line through zero would give.
    straight = replace(P, crcl_bend_ml_min=0.0)
    assert float(P.renal_clearance_l_per_h(10.0)) < 0.6 * float(straight.renal_clearance_l_per_h(10.0))


def test_the_bend_is_the_least_squares_optimum_of_the_group_figures() -> None:
    points = renal_fit_points(PK)
    assert len(points) == 3  # two group half-lives and one CL/F ratio (label §12.3)

    def loss(k: float) -> float:
        q = replace(P, crcl_bend_ml_min=k)
        return sum(math.log(pt.model(lambda c, q=q: float(q.clearance_l_per_h(c)), q.volume_l) / pt.published) ** 2
                   for pt in points)

    grid = np.linspace(0.0, PK.reference_crcl_ml_min, 1001)
    best = float(grid[int(np.argmin([loss(float(k)) for k in grid]))])
    assert P.crcl_bend_ml_min == pytest.approx(best, abs=0.1)
    assert 5.0 < P.crcl_bend_ml_min < 20.0
    assert loss(P.crcl_bend_ml_min) < 0.1 * loss(0.0)


def test_without_group_figures_clearance_stays_a_straight_line() -> None:
    q = _derive(PK.model_copy(update={"renal_groups": ()}))
    assert q.crcl_bend_ml_min == 0.0
    cl = q.clearance_l_per_h(np.array([0.0, 50.0, 100.0]))
    assert cl[2] - cl[1] == pytest.approx(cl[1] - cl[0])
    assert float(q.half_life_h(PK.reference_crcl_ml_min)) == pytest.approx(PK.half_life_normal_h)


def test_the_severe_group_half_life_is_reproduced_at_its_mean_crcl() -> None:
    severe = next(g for g in PK.renal_groups if g.crcl_max_ml_min == 30.0)
    assert severe.crcl_mean_ml_min == 13.0 and severe.half_life_h == 52.0
    assert float(P.half_life_h(severe.crcl_mean_ml_min)) == pytest.approx(52.0, rel=0.05)


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


def test_every_bioavailability_row_and_renal_group_cites_its_own_source() -> None:
    for point in PK.bioavailability:
        assert (point.source, point.section) == ("label", "12.3")
    for group in PK.renal_groups:
        assert group.source and group.study_source == "blum-1994"
        assert group.curve_source == "osp-qualification-ckd" and len(group.curve_t_h) == len(group.curve) >= 5
    assert (PK.renal_study_dose_mg, PK.renal_study_citation.render()) == (400.0, "label §12.3")


def test_public_names_are_sorted_and_exist() -> None:
    assert gabacare.pk.__all__ == sorted(gabacare.pk.__all__)
    public = {name for name in vars(gabacare.pk) if not name.startswith("_")}
    modules = {"calibration", "dosing", "estimation", "model", "parameters", "population"}
    assert set(gabacare.pk.__all__) == public - modules
