"""``gabacare estimate``: a measured gabapentin level read from the journal into this patient's clearance
and a proposal within the renal band (issue 17). The estimator itself is tested in
``tests/unit/pk/test_pk_estimation.py``; here: the journal's doses, levels and units, the CLI and
JSON contract, the proposal rule and bad input."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gabacare.app.estimate import estimate_patient
from gabacare.cli import app
from gabacare.clinical.renal import renal_limits
from gabacare.clinical.units import CrCl
from gabacare.journal.errors import JournalInputError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.knowledge import load_monograph
from gabacare.pk.estimation import estimate, population_model

NOW = datetime(2026, 11, 21, 12, 0)
START = datetime(2026, 11, 13, 8, 0)


def _journal(mg: float = 300.0, *, plan: str | None = "300 mg TID", crcl_scr: float | None = None) -> tuple[Journal, int]:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Level Person", birth_date=date(1960, 1, 1), sex="female", weight_kg=70).id
    if plan:
        j.set_plan(pid, PlanSpec("regimen", START.date(), regimen=plan))
    for k in range(21):
        j.log_dose(pid, mg, at=START + timedelta(hours=8 * k))
    if crcl_scr is not None:
        j.log_lab(pid, "creatinine", crcl_scr, unit="mg/dL", at=START)
    return j, pid


def test_the_answer_is_the_core_estimate_of_the_logged_doses_and_level() -> None:
    j, pid = _journal()
    j.log_lab(pid, "gabapentin", 3.0, unit="mg/L", at=datetime(2026, 11, 20, 7, 30))
    a = estimate_patient(j, pid, crcl=100)
    origin = datetime(2026, 11, 13)
    direct = estimate([((START - origin).total_seconds() / 3600 + 8 * k, 300.0) for k in range(21)],
                      [((datetime(2026, 11, 20, 7, 30) - origin).total_seconds() / 3600, 3.0)], crcl_ml_min=100)
    assert a.estimate.individual == direct.individual and a.estimate.cl_interval == direct.cl_interval
    data = a.to_json()
    for key in ("population", "individual", "interval", "levels", "proposal", "citations", "notice"):
        assert key in data
    assert set(data["individual"]) >= {"cl_l_per_h", "v_l", "ka_per_h"}
    assert data["levels"][0]["measured_mg_per_l"] == 3.0 and data["crcl_source"] == "given"


def test_a_level_in_umol_per_l_is_the_same_level_in_mg_per_l() -> None:
    mass = population_model().molar_mass_g_per_mol
    a_j, a_pid = _journal()
    a_j.log_lab(a_pid, "gabapentin", 3.0, unit="mg/L", at=datetime(2026, 11, 20, 7, 30))
    b_j, b_pid = _journal()
    b_j.log_lab(b_pid, "gabapentin level", 3.0 * 1000 / mass, unit="µmol/L", at=datetime(2026, 11, 20, 7, 30))
    a, b = estimate_patient(a_j, a_pid, crcl=100), estimate_patient(b_j, b_pid, crcl=100)
    assert b.levels[0].reported_unit == "umol/L"
    assert b.levels[0].mg_per_l == pytest.approx(3.0)
    assert b.estimate.individual.cl_l_per_h == pytest.approx(a.estimate.individual.cl_l_per_h, rel=1e-6)


@pytest.mark.parametrize("unit", ["mg/L", "ug/mL", "µg/mL", "mcg/mL", "MG/L"])
def test_micrograms_per_millilitre_are_milligrams_per_litre(unit: str) -> None:
    j, pid = _journal()
    e = j.log_lab(pid, "gabapentin", 4.0, unit=unit, at=datetime(2026, 11, 20, 7, 30)).entry
    assert (e.data.name, e.data.unit) == ("gabapentin", "mg/L")


@pytest.mark.parametrize("unit", ["mg/dL", "ng", "mmol/L"])
def test_a_level_in_another_unit_is_refused(unit: str) -> None:
    j, pid = _journal()
    with pytest.raises(JournalInputError, match="mg/L"):
        j.log_lab(pid, "gabapentin", 4.0, unit=unit, at=datetime(2026, 11, 20, 7, 30))


def test_without_a_level_the_error_says_what_to_log() -> None:
    j, pid = _journal()
    with pytest.raises(JournalInputError, match=r"log lab --patient .* --test gabapentin"):
        estimate_patient(j, pid)


def test_a_level_drawn_before_the_first_dose_is_refused() -> None:
    j, pid = _journal()
    j.log_lab(pid, "gabapentin", 2.0, at=START - timedelta(hours=3))
    with pytest.raises(ValueError, match="before any dose"):
        estimate_patient(j, pid, crcl=100)


def test_a_trough_inside_the_range_keeps_the_plan_in_force() -> None:
    j, pid = _journal(600.0, plan="600 mg TID")
    j.log_lab(pid, "gabapentin", 6.0, at=datetime(2026, 11, 20, 7, 45))
    a = estimate_patient(j, pid, crcl=100)
    assert a.current is not None and a.current.prediction.in_range
    assert a.proposal is a.current and a.change == "none"


def test_a_low_trough_proposes_an_increase_within_the_renal_band() -> None:
    j, pid = _journal()
    j.log_lab(pid, "gabapentin", 1.0, at=datetime(2026, 11, 20, 7, 45))
    a = estimate_patient(j, pid, crcl=100)
    assert a.current is not None and not a.current.prediction.in_range
    assert a.proposal is not None and a.change == "increase"
    lim = renal_limits(CrCl(100))
    assert lim.min_daily_mg <= a.proposal.daily_mg <= lim.max_daily_mg
    assert a.proposal.prediction.in_range


@settings(max_examples=15, deadline=None)
@given(crcl=st.floats(min_value=8, max_value=140), level=st.floats(min_value=0.2, max_value=60))
def test_every_option_and_the_proposal_stay_within_the_renal_band(crcl: float, level: float) -> None:
    """Whatever the level and kidney function: options are the band's real-pill regimens only, and a
    proposal (when there is one) is one of them with its trough inside the reference range."""
    j, pid = _journal(100.0, plan=None)
    j.log_lab(pid, "gabapentin", level, at=datetime(2026, 11, 20, 7, 45))
    a = estimate_patient(j, pid, crcl=crcl)
    lim = renal_limits(CrCl(crcl))
    granule = load_monograph().limits.dose_granule_mg
    assert a.options
    for o in a.options:
        assert o.daily_mg <= lim.max_daily_mg + 1e-9
        assert abs(o.mg_per_dose / granule - round(o.mg_per_dose / granule)) < 1e-9
    if a.proposal is not None:
        assert a.proposal in a.options and a.proposal.prediction.in_range
    else:
        assert not any(o.prediction.in_range for o in a.options) and a.reason


def test_cli_estimate_json_and_exit_codes(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/e.db"
    run = CliRunner().invoke
    assert run(app, ["patient", "add", "Ada", "--db", db]).exit_code == 0
    no_dose = run(app, ["estimate", "--patient", "1", "--db", db])
    assert no_dose.exit_code == 2
    for k in range(9):
        at = (START + timedelta(hours=8 * k)).isoformat(timespec="minutes")
        assert run(app, ["log", "dose", "--patient", "1", "--mg", "300", "--at", at, "--db", db]).exit_code == 0
    no_level = run(app, ["estimate", "--patient", "1", "--db", db])
    assert no_level.exit_code == 2 and "--test gabapentin" in no_level.output
    bad_unit = run(app, ["log", "lab", "--patient", "1", "--test", "gabapentin", "--value", "5", "--unit", "mg/dL",
                         "--db", db])
    assert bad_unit.exit_code == 2
    logged = run(app, ["log", "lab", "--patient", "1", "--test", "gabapentin", "--value", "2.5", "--unit", "mg/L",
                       "--at", "2026-11-16T07:45", "--db", db])
    assert logged.exit_code == 0 and "gabacare estimate" in logged.output
    out = run(app, ["estimate", "--patient", "1", "--crcl", "90", "--json", "--db", db])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["interval"]["cl_l_per_h"][0] < data["individual"]["cl_l_per_h"] < data["interval"]["cl_l_per_h"][1]
    assert data["levels"][0]["measured_mg_per_l"] == 2.5 and data["citations"] and data["notice"]
    text = run(app, ["estimate", "--patient", "1", "--crcl", "90", "--db", db])
    assert text.exit_code == 0 and "mg/L" in text.output and "not a substitute" in text.output


def test_a_plan_above_the_renal_maximum_is_never_kept_even_with_a_trough_in_range() -> None:
    """CrCl 49 mL/min allows at most the 30-59 band's maximum (label 2.3): 600 mg TID is above it, so the
    proposal is a regimen of the band, and a warning names the maximum."""
    j, pid = _journal(600.0, plan="600 mg TID")
    j.log_lab(pid, "gabapentin", 9.5, at=datetime(2026, 11, 20, 6, 45))
    a = estimate_patient(j, pid, crcl=49)
    lim = renal_limits(CrCl(49))
    assert a.current is not None and a.current.daily_mg > lim.max_daily_mg and a.current.prediction.in_range
    assert a.proposal is not None and a.proposal is not a.current and a.change == "decrease"
    assert a.proposal.daily_mg <= lim.max_daily_mg and a.proposal.doses_per_day == lim.doses_per_day
    assert any(f"{lim.max_daily_mg:g} mg/day" in w for w in a.warnings)


@pytest.mark.parametrize("crcl", ["0", "-5", "nan", "1e9", "lots"])
def test_cli_estimate_refuses_an_implausible_crcl_with_exit_2(tmp_path, crcl: str) -> None:
    db = f"sqlite:///{tmp_path}/e.db"
    run = CliRunner().invoke
    assert run(app, ["patient", "add", "Ada", "--db", db]).exit_code == 0
    for k in range(3):
        at = (START + timedelta(hours=8 * k)).isoformat(timespec="minutes")
        assert run(app, ["log", "dose", "--patient", "1", "--mg", "300", "--at", at, "--db", db]).exit_code == 0
    assert run(app, ["log", "lab", "--patient", "1", "--test", "gabapentin", "--value", "2", "--at",
                     "2026-11-14T07:45", "--db", db]).exit_code == 0
    out = run(app, ["estimate", "--patient", "1", "--crcl", crcl, "--db", db])
    assert out.exit_code == 2 and "Traceback" not in out.output
