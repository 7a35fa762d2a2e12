"""Journal plans use what the journal knows: the latest creatinine, weight, age and sex (Cockcroft-Gault).

One rule (``gabacare.journal.kidney``) serves plans, the report, the PK history and the renal re-check.
The issue's case: CrCl 37.6 mL/min on file, yet "Set titration plan" built 1800 mg/day with "no
creatinine clearance given". Here the plan must stay within the 30-59 band (1400 mg/day, two doses)
and say which values it used and when they were measured; a creatinine older than the knowledge base's
maximum age is still used (never assume normal kidneys instead) but called stale.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.knowledge import load_monograph

START = date(2026, 6, 30)  # the fixture clock's day


def _patient(journal: Journal) -> int:
    # 71-year-old woman, 62 kg: creatinine 1.3 mg/dL gives (140-71)*62/(72*1.3)*0.85 = 38.9 mL/min.
    return journal.add_patient("Bea", birth_date=date(1955, 1, 10), sex="female", weight_kg=62).id


def expected_crcl(age: int, kg: float, scr: float) -> float:
    return (140 - age) * kg / (72 * scr) * 0.85


def test_titration_uses_the_journals_latest_creatinine(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    mem_journal.log_lab(pid, "creatinine", 0.8, at=datetime(2026, 3, 1, 9))  # older, normal-looking
    mem_journal.log_lab(pid, "creatinine", 1.3, at=datetime(2026, 6, 20, 9))  # the latest decides
    result = mem_journal.set_plan(pid, PlanSpec("titrate", START, indication="dpn"))
    crcl = expected_crcl(71, 62, 1.3)
    assert 30 < crcl < 60
    assert result.stored.plan.spec.crcl_ml_min == pytest.approx(crcl, abs=0.05)
    days = result.plan.days
    assert max(d.total_mg for d in days) <= 1400 and max(len(d.doses) for d in days) <= 2
    basis = result.plan.warnings[0]
    assert f"CrCl {crcl:.1f} mL/min" in basis and "2026-06-20" in basis and "10 days ago" in basis
    assert "age 71" in basis and "female" in basis and "62 kg" in basis
    assert not any("No creatinine clearance given" in w for w in result.plan.warnings)
    # The stored spec rebuilds the same plan (what the plan page shows later).
    from gabacare.journal.services import build_plan

    again = build_plan(result.stored.plan.spec)[1]
    assert again.days == result.plan.days and again.warnings[0] == basis


def test_taper_uses_the_journals_creatinine_and_enters_the_band(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    mem_journal.log_lab(pid, "creatinine", 2.6, at=datetime(2026, 6, 25, 9))  # ~19 mL/min: 15-29 band
    result = mem_journal.set_plan(pid, PlanSpec("taper", START, regimen="600 mg TID"))
    assert all(d.total_mg <= 700 and len(d.doses) <= 1 for d in result.plan.days)
    assert any("Problem for the prescriber" in w for w in result.plan.warnings)


def test_a_stale_creatinine_is_used_and_flagged(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    max_age = load_monograph().renal.creatinine_max_age_days
    mem_journal.log_lab(pid, "creatinine", 1.3, at=datetime(2025, 6, 1, 9))
    kidney = mem_journal.kidney_function(pid)
    assert kidney.days_old is not None and kidney.days_old > max_age and kidney.stale
    result = mem_journal.set_plan(pid, PlanSpec("titrate", START, indication="phn"))
    assert "stale" in result.plan.warnings[0]
    assert max(d.total_mg for d in result.plan.days) <= 1400


def test_a_given_crcl_wins_and_no_creatinine_says_so(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    assert mem_journal.kidney_function(pid).reason == "no serum creatinine logged"
    plain = mem_journal.set_plan(pid, PlanSpec("titrate", START, indication="phn"))
    assert any("No creatinine clearance given" in w for w in plain.plan.warnings)
    mem_journal.log_lab(pid, "creatinine", 1.3, at=datetime(2026, 6, 20, 9))
    given = mem_journal.set_plan(pid, PlanSpec("titrate", START, indication="phn", crcl_ml_min=90))
    assert given.stored.plan.spec.crcl_ml_min == 90 and given.stored.plan.spec.crcl_basis is None


def test_incomplete_profile_gives_the_reason(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Cy").id
    mem_journal.log_lab(pid, "creatinine", 1.3, at=datetime(2026, 6, 20, 9))
    kidney = mem_journal.kidney_function(pid)
    assert kidney.crcl is None and "birth date" in (kidney.reason or "")
    assert kidney.to_json()["crcl_ml_min"] is None


def test_plan_spec_round_trips_the_basis() -> None:
    spec = PlanSpec("titrate", START, indication="phn", crcl_ml_min=38.9, crcl_basis="Kidney function: ...")
    assert PlanSpec.from_text(spec.to_text()) == spec


def test_a_steady_regimen_outside_the_band_carries_the_checks_problems(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    mem_journal.log_lab(pid, "creatinine", 2.6, at=datetime(2026, 6, 25, 9))  # ~19 mL/min: 15-29 band
    result = mem_journal.set_plan(pid, PlanSpec("regimen", START, regimen="600 mg TID"))
    problems = [w for w in result.plan.warnings if w.startswith("Problem for the prescriber")]
    assert any("700 mg/day" in w for w in problems) and any("1 a day" in w for w in problems)
    assert result.plan.warnings[0].startswith("Kidney function from the journal")
    # The prescriber's regimen is recorded as ordered, not changed.
    assert {d.mg for d in result.stored.plan.doses} == {600.0}
