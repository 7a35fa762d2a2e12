"""CSV and JSON export/import round-trip exactly; bad rows are all reported and nothing is imported."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from gabacare.journal.errors import ImportValidationError
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal


def _fill(j: Journal) -> int:
    pid = j.add_patient("Ada", birth_date=date(1960, 1, 1), sex="female", weight_kg=70).id
    j.set_plan(pid, PlanSpec("titrate", date(2026, 5, 1), indication="phn"))
    j.set_plan(pid, PlanSpec("taper", date(2026, 6, 1), regimen="300-300-600", risk="high"))
    j.log_dose(pid, 300, at=datetime(2026, 6, 1, 7, 5, 30))
    j.log_dose(pid, 300, at=datetime(2026, 6, 1, 14), status="skipped")
    j.log_dose(pid, 0.1 + 0.2, at=datetime(2026, 6, 1, 22), status="late")  # a float that needs every digit
    j.log_symptom(pid, "spasm_count", 12, at=datetime(2026, 6, 1, 22))
    j.log_symptom(pid, "my custom scale", 7.25, at=datetime(2026, 6, 1, 22))
    j.log_trigger(pid, "cold, wet weather", at=datetime(2026, 6, 1, 8))
    j.log_side_effect(pid, "dizziness", at=datetime(2026, 6, 1, 9))
    j.log_lab(pid, "creatinine", 88.4, unit="umol/L", at=datetime(2026, 6, 2, 9))
    j.log_note(pid, 'Said "much better";\nslept 8h — ünïcode ✓', at=datetime(2026, 6, 2, 21))
    return pid


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_export_is_identical(any_journal: Journal, fmt: str) -> None:
    a = _fill(any_journal)
    first = any_journal.export(a, fmt)  # type: ignore[arg-type]
    b = any_journal.add_patient("Copy").id
    assert any_journal.import_text(b, first, fmt) == {"entries": 9, "plans": 2, "already_present": 0}  # type: ignore[arg-type]
    assert any_journal.export(b, fmt) == first  # type: ignore[arg-type]
    assert [p.plan for p in any_journal.plans(b)] == [p.plan for p in any_journal.plans(a)]
    assert [e.data for e in any_journal.entries(b)] == [e.data for e in any_journal.entries(a)]


def test_formats_carry_the_same_rows(mem_journal: Journal) -> None:
    a = _fill(mem_journal)
    b = mem_journal.add_patient("Copy").id
    mem_journal.import_text(b, mem_journal.export(a, "json"), "json")
    assert mem_journal.export(b, "csv") == mem_journal.export(a, "csv")
    doc = json.loads(mem_journal.export(a, "json"))
    assert doc["format"] == "gabacare-journal" and len(doc["rows"]) == 11


def test_json_import_reports_every_bad_row_with_its_line(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    text = "\n".join([
        '{"format": "gabacare-journal", "version": 1,',
        '"rows": [',
        '  {"kind": "dose", "at": "2026-06-01T08:00:00", "mg": 300, "status": "taken"},',
        '  {"kind": "dose", "at": "2026-06-01T20:00:00", "mg": -300, "status": "taken"},',
        '  {"kind": "symptom", "at": "2026-06-01T09:00:00", "name": "pain", "value": 11},',
        '  {"kind": "plan", "at": "2026-06-01", "text": "{\\"source\\":\\"regimen\\",\\"start\\":\\"2026-06-01\\"}"},',
        '  {"kind": "note", "at": "2099-01-01T00:00:00", "text": "from the future"}',
        "]}",
    ])
    with pytest.raises(ImportValidationError) as info:
        mem_journal.import_text(pid, text, "json")
    assert [line for line, _ in info.value.problems] == [4, 5, 6, 7]
    assert "negative" in info.value.problems[0][1] and "future" in info.value.problems[3][1]
    assert mem_journal.repo.count_entries(pid) == 0 and mem_journal.plans(pid) == []


def test_import_accepts_an_export_with_no_rows(mem_journal: Journal) -> None:
    a = mem_journal.add_patient("Ada").id
    for fmt in ("csv", "json"):
        assert mem_journal.import_text(a, mem_journal.export(a, fmt), fmt) == {"entries": 0, "plans": 0, "already_present": 0}  # type: ignore[arg-type]
