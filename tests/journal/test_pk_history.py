"""A patient's logged doses through the PK simulator (``simulate --patient``)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.composition import journal
from gabacare.journal.errors import JournalInputError
from gabacare.journal.pk_history import simulate_patient
from gabacare.knowledge import load_monograph
from gabacare.pk.model import simulate_doses


def _journal_with_doses(url: str, skip_last: bool = False):
    j = journal(url)
    p = j.add_patient("Sim Person", birth_date=date(1960, 1, 1), sex="female", weight_kg=70)
    for d in range(1, 4):
        for h in (8, 20):
            status = "skipped" if skip_last and (d, h) == (3, 20) else "taken"
            j.log_dose(p.id, 300, at=datetime(2026, 1, d, h), status=status)
    return j, p


def test_logged_doses_give_the_same_curve_as_the_model_on_those_times(tmp_path):
    j, p = _journal_with_doses(f"sqlite:///{tmp_path}/j.db")
    result = simulate_patient(j, p.id, crcl=90)
    expected = simulate_doses([(24.0 * (d - 1) + h, 300.0) for d in range(1, 4) for h in (8, 20)], crcl=90, end_h=72)
    assert result.doses == 6 and result.crcl_source == "given"
    assert result.origin == datetime(2026, 1, 1)
    assert list(result.simulation.c_mg_per_l) == pytest.approx(list(expected.c_mg_per_l))


def test_a_skipped_dose_is_not_simulated_and_lowers_the_last_trough(tmp_path):
    full, p1 = _journal_with_doses(f"sqlite:///{tmp_path}/a.db")
    skipped, p2 = _journal_with_doses(f"sqlite:///{tmp_path}/b.db", skip_last=True)
    a = simulate_patient(full, p1.id, crcl=90)
    b = simulate_patient(skipped, p2.id, crcl=90)
    assert b.doses == 5
    assert b.simulation.c_mg_per_l[-1] < a.simulation.c_mg_per_l[-1]


def test_crcl_comes_from_the_latest_creatinine_else_the_reference_with_a_warning(tmp_path):
    j, p = _journal_with_doses(f"sqlite:///{tmp_path}/j.db")
    ref = simulate_patient(j, p.id)
    assert ref.crcl_ml_min == load_monograph().pk.reference_crcl_ml_min and ref.warnings
    j.log_lab(p.id, "creatinine", 1.2, at=datetime(2026, 1, 1, 7))
    cg = simulate_patient(j, p.id)
    # (140 - 66) x 70 / (72 x 1.2) x 0.85 for a woman aged 66 on the lab date
    assert cg.crcl_ml_min == pytest.approx((140 - 66) * 70 / (72 * 1.2) * 0.85, abs=0.1)
    assert cg.crcl_source.startswith("journal creatinine") and not cg.warnings


def test_no_doses_is_refused(tmp_path):
    j = journal(f"sqlite:///{tmp_path}/j.db")
    p = j.add_patient("Nobody Yet")
    with pytest.raises(JournalInputError, match="nothing to simulate"):
        simulate_patient(j, p.id)


def test_cli_simulate_patient_json_and_errors(tmp_path):
    url = f"sqlite:///{tmp_path}/j.db"
    _j, p = _journal_with_doses(url)
    runner = CliRunner()
    out = runner.invoke(app, ["simulate", "--patient", str(p.id), "--db", url, "--crcl", "80", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert len(data["curve"]["t_h"]) == len(data["curve"]["c_mg_per_l"]) == 73
    assert data["doses_logged"] == 6 and data["crcl_source"] == "given"
    assert "not a substitute" in data["notice"]
    both = runner.invoke(app, ["simulate", "300 mg TID", "--patient", str(p.id), "--db", url])
    assert both.exit_code == 2 and len(both.stderr.strip().splitlines()) == 1
    unknown = runner.invoke(app, ["simulate", "--patient", "999", "--db", url])
    assert unknown.exit_code == 2 and "unknown patient" in unknown.stderr
