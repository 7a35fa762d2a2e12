"""Rows an older version stored outside today's rules never crash a reader (issue 13 item 3).

They are written here straight through the repository (no validation) or with SQL, on every backend.
Every reader (today, adherence, trends, entries, PK doses, kidney function, CSV/JSON/FHIR export, the
doctor's report as JSON and HTML, the CLI) leaves them out of its figures, reports them by id and
answers valid JSON (no NaN or Infinity).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.interop.journal_fhir import export_bundle
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import EntryData, InvalidEntry, PlanSpec
from gabacare.journal.services import Journal
from gabacare.journal.settings import FUTURE_TOLERANCE
from gabacare.serialize import dumps

NOW = datetime(2026, 6, 30, 12, 0)
DAY = date(2026, 6, 29)
AT = datetime(2026, 6, 29, 7, 5)


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and ±Infinity, which are not JSON."""
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in JSON output")
    return json.loads(text, parse_constant=refuse)


def _journal_with_a_poisoned_dose(j: Journal) -> tuple[int, int]:
    pid = j.add_patient("Ada", birth_date=date(1960, 1, 1), sex="female", weight_kg=70).id
    j.set_plan(pid, PlanSpec("regimen", date(2026, 6, 1), regimen="300 mg TID"))
    j.log_dose(pid, 300, at=datetime(2026, 6, 29, 14, 0))
    j.log_symptom(pid, "pain", 4, at=datetime(2026, 6, 29, 9, 0))
    bad = j.repo.add_entry(pid, EntryData("dose", AT, mg=1e308, status="taken"), recorded_at=NOW)
    return pid, bad.id


def _check_every_reader(j: Journal, pid: int, bad_ids: set[int], today_ids: set[int] | None = None) -> None:
    today = j.today(pid, on=DAY)
    assert {i.id for i in today.invalid_entries} == (bad_ids if today_ids is None else today_ids)
    assert all(e.id not in bad_ids for e in today.entries) and math.isfinite(today.taken_mg)
    adh = j.adherence(pid, start=date(2026, 6, 1), end=DAY)
    assert {i.id for i in adh.invalid_entries} <= bad_ids and math.isfinite(adh.taken_mg)
    strict_json(dumps(adh))
    trends = j.trends(pid, start=date(2026, 6, 1), end=DAY)
    strict_json(dumps(trends))
    assert all(e.id not in bad_ids for e in j.entries(pid))
    assert {i.id for i in j.invalid_entries(pid)} == bad_ids
    assert all(math.isfinite(mg) for _, mg in j.dose_events(pid))
    j.kidney_function(pid, on=DAY)
    for fmt in ("csv", "json"):
        text = j.export(pid, fmt)  # type: ignore[arg-type]
        copy = j.add_patient("Copy").id
        j.import_text(copy, text, fmt)  # type: ignore[arg-type]  # the export stays importable
    doc = strict_json(j.export(pid, "json"))
    assert set(doc["invalid_entries"]) == bad_ids
    strict_json(json.dumps(export_bundle(j, pid, now=NOW), allow_nan=False))
    from gabacare.reports.doctor_report import build_report

    report = build_report(j, pid, start=date(2026, 6, 1), end=DAY, now=NOW)
    assert {i.id for i in report.invalid_entries} == (bad_ids if today_ids is None else today_ids)  # its period
    strict_json(dumps(report.to_json()))


def test_a_dose_of_1e308_mg_no_longer_poisons_the_journal(any_journal: Journal) -> None:
    pid, bad = _journal_with_a_poisoned_dose(any_journal)
    _check_every_reader(any_journal, pid, {bad})
    today = any_journal.today(pid, on=DAY)
    assert today.taken_mg == 300 and [d.status for d in today.doses][:2] == ["missed", "taken"]
    assert today.invalid_entries == (InvalidEntry(bad, "dose", AT, today.invalid_entries[0].problem),)
    assert "dose mg must be at most 3600" in today.invalid_entries[0].problem
    # The patient corrects it; the history keeps the bad version, which stays readable.
    fixed = any_journal.edit_entry(pid, bad, mg=300.0)
    assert fixed.problem is None and any_journal.today(pid, on=DAY).invalid_entries == ()
    assert [v.problem is None for v in any_journal.history(pid, bad)] == [False, True]


@pytest.mark.parametrize("value", [math.inf, 1e308, math.nan])
def test_values_written_with_sql_are_reported_not_crashed_on(sql_journal: Journal, value: float) -> None:
    from sqlalchemy import text

    pid, bad = _journal_with_a_poisoned_dose(sql_journal)
    score = sql_journal.log_symptom(pid, "sleep", 5, at=datetime(2026, 6, 29, 10, 0)).id
    engine = sql_journal.repo.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text("UPDATE entries SET mg = :v WHERE id = :id"), {"v": value, "id": bad})
        conn.execute(text("UPDATE entries SET value = :v WHERE id = :id"), {"v": value, "id": score})
        conn.execute(text("UPDATE entries SET at = :at WHERE id = :id"), {"at": datetime(1, 1, 1), "id": score})
    _check_every_reader(sql_journal, pid, {bad, score}, today_ids={bad})


def test_the_cli_answers_valid_json_and_names_the_invalid_entries(sqlite_url: str) -> None:
    from gabacare.composition import repository

    repo = repository(sqlite_url)
    pid, bad = _journal_with_a_poisoned_dose(Journal(repo, clock=lambda: NOW))
    repo.add_entry(pid, EntryData("dose", datetime(2026, 6, 29, 21, 0), mg=1e308, status="taken"), recorded_at=NOW)
    repo.close()
    runner = CliRunner()
    for args in (["adherence", "--from", "2026-06-01", "--to", "2026-06-29"], ["today", "--date", "2026-06-29"],
                 ["trends", "--from", "2026-06-01", "--to", "2026-06-29"], ["export", "--format", "json"],
                 ["report", "--from", "2026-06-01", "--to", "2026-06-29"]):
        result = runner.invoke(app, [*args, "--patient", str(pid), "--db", sqlite_url, "--json"])
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        doc = strict_json(result.stdout)
        assert bad in {i["id"] for i in doc["invalid_entries"]}, args
        human = runner.invoke(app, [*args, "--patient", str(pid), "--db", sqlite_url])
        assert human.exit_code == 0, (args, human.stdout, human.stderr)
        assert f"#{bad}" in human.stdout + human.stderr, args
        assert "Infinity" not in result.stdout and "1e+308" not in human.stdout


# -- property: whatever a row holds, no reader crashes -------------------------------------------------
floats = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -1.0, 300.0, 1e308])
anything = st.none() | st.text(max_size=12) | st.sampled_from(["pain", "spasm_count", "creatinine", "mg/dL"])
rows = st.builds(
    EntryData,
    kind=st.sampled_from(["dose", "symptom", "trigger", "side_effect", "lab", "note", "teleport"]),
    at=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)) | st.sampled_from([AT]),
    mg=floats, status=st.none() | st.sampled_from(["taken", "late", "skipped", "lost"]), name=anything,
    value=floats, unit=anything, text=st.none() | st.text(max_size=20), urgency=st.none() | st.text(max_size=5),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile (tests/conftest.py)
@given(st.lists(rows, min_size=1, max_size=4))
def test_any_stored_row_never_crashes_a_reader(stored: list[EntryData]) -> None:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada", birth_date=date(1960, 1, 1), sex="female", weight_kg=70).id
    j.set_plan(pid, PlanSpec("regimen", date(2026, 6, 20), regimen="300 mg TID"))
    ids = [j.repo.add_entry(pid, data, recorded_at=NOW) for data in stored]
    # Invalid: refused by today's rules, or dated beyond what any door accepts now (so exports re-import).
    invalid = {e.id for e in ids if e.problem is not None or e.at > NOW + FUTURE_TOLERANCE}
    today = j.today(pid, on=DAY)
    strict_json(dumps(today))
    adh = j.adherence(pid, start=DAY - timedelta(days=9), end=DAY)
    strict_json(dumps(adh))
    strict_json(dumps(j.trends(pid, start=DAY - timedelta(days=9), end=DAY)))
    j.adherence(pid)  # the default period starts at the first *valid* entry
    assert {i.id for i in j.invalid_entries(pid)} == invalid
    j.dose_events(pid)
    j.kidney_function(pid, on=DAY)
    doc = strict_json(j.export(pid, "json"))
    assert set(doc.get("invalid_entries", [])) == invalid
    j.import_text(j.add_patient("Copy").id, j.export(pid, "csv"), "csv")
    strict_json(json.dumps(export_bundle(j, pid, now=NOW), allow_nan=False))
    from gabacare.reports.doctor_report import build_report

    strict_json(dumps(build_report(j, pid, start=DAY - timedelta(days=9), end=DAY, now=NOW).to_json()))
