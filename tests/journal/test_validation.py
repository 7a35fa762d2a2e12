"""Bad input gets a clear error and writes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gabacare.journal.errors import ImportValidationError, JournalInputError, UnknownPatientError
from gabacare.journal.services import Journal

from .conftest import NOW

AT = datetime(2026, 6, 1, 8, 0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda j, p: j.log_dose(p, -300, at=AT), "negative"),
        (lambda j, p: j.log_dose(p, float("nan"), at=AT), "finite"),
        (lambda j, p: j.log_dose(p, 0, at=AT, status="taken"), "more than 0 mg"),
        (lambda j, p: j.log_dose(p, 300, at=AT, status="forgot"), "status"),
        (lambda j, p: j.log_symptom(p, "pain", 11, at=AT), "between 0 and 10"),
        (lambda j, p: j.log_symptom(p, "pain", -1, at=AT), "between 0 and 10"),
        (lambda j, p: j.log_symptom(p, "spasm_count", 2.5, at=AT), "whole number"),
        (lambda j, p: j.log_symptom(p, "no such scale!", 3, at=AT), "scale name"),
        (lambda j, p: j.log_symptom(p, "pain", 3, at=NOW + timedelta(days=1, minutes=1)), "future"),
        (lambda j, p: j.log_note(p, "   ", at=AT), "empty"),
        (lambda j, p: j.log_note(p, "x" * 5000, at=AT), "longer"),
        (lambda j, p: j.log_lab(p, "creatinine", 1.0, unit="mmol/L", at=AT), "unit"),
        (lambda j, p: j.log_lab(p, "creatinine", 90, unit="mg/dL", at=AT), "check the value and the unit"),
        (lambda j, p: j.log_lab(p, "creatinine", -1, at=AT), "above 0"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(sql_journal: Journal, call, message: str) -> None:
    pid = sql_journal.add_patient("Ada").id
    with pytest.raises(JournalInputError, match=message):
        call(sql_journal, pid)
    assert sql_journal.repo.count_entries(pid) == 0


def test_a_day_ahead_is_still_accepted(sql_journal: Journal) -> None:
    pid = sql_journal.add_patient("Ada").id
    sql_journal.log_symptom(pid, "pain", 3, at=NOW + timedelta(days=1))
    assert sql_journal.repo.count_entries(pid) == 1


def test_unknown_patient_is_refused(sql_journal: Journal) -> None:
    with pytest.raises(UnknownPatientError, match="unknown patient id 42"):
        sql_journal.log_dose(42, 300, at=AT)
    assert sql_journal.list_patients() == []


def test_malformed_csv_imports_nothing_and_lists_every_bad_row(sql_journal: Journal) -> None:
    pid = sql_journal.add_patient("Ada").id
    sql_journal.log_dose(pid, 300, at=AT)
    text = (
        "kind,at,mg,status,name,value,unit,text\n"
        "dose,2026-06-01T08:00:00,300,taken,,,,\n"
        "dose,2026-06-01T20:00:00,-5,taken,,,,\n"
        "symptom,2026-06-01T09:00:00,,,pain,11,,\n"
        "symptom,not-a-time,,,pain,3,,\n"
        "note,2026-06-01T10:00:00,,,,,,fine\n"
        "dose,2026-06-02T08:00:00,3OO,taken,,,,\n"
        "teleport,2026-06-02T08:00:00,,,,,,\n"
        "dose,2026-06-02T08:00:00,300\n"
    )
    with pytest.raises(ImportValidationError) as info:
        sql_journal.import_text(pid, text, "csv")
    assert [line for line, _ in info.value.problems] == [3, 4, 5, 7, 8, 9]  # a short row among the others
    text = text.replace("dose,2026-06-02T08:00:00,300\n", "")
    with pytest.raises(ImportValidationError) as info:
        sql_journal.import_text(pid, text, "csv")
    assert [line for line, _ in info.value.problems] == [3, 4, 5, 7, 8]
    assert sql_journal.repo.count_entries(pid) == 1


@pytest.mark.parametrize(
    "text",
    ["", "kind,when\nnote,2026-01-01T00:00\n", 'kind,at,text\nnote,2026-06-01T08:00,"unbalanced\n',
     '{"format": "gabacare-journal", "version": 1, "rows": [', '{"format": "other", "version": 1, "rows": []}'],
)
def test_malformed_files_are_refused(mem_journal: Journal, text: str) -> None:
    pid = mem_journal.add_patient("Ada").id
    with pytest.raises(ImportValidationError):
        mem_journal.import_text(pid, text, "json" if text.startswith("{") else "csv")
    assert mem_journal.repo.count_entries(pid) == 0


def test_error_messages_never_echo_patient_data(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Zebedee Quux").id
    secret = "my-secret-note-" + "q" * 3000
    with pytest.raises(JournalInputError) as info:
        mem_journal.log_note(pid, secret, at=AT)
    assert "secret" not in str(info.value)
    with pytest.raises(JournalInputError) as info:
        mem_journal.log_symptom(pid, "pain", 13.75, at=AT)
    assert "13.75" not in str(info.value)
    with pytest.raises(JournalInputError) as info:
        mem_journal.log_dose(pid, -987.5, at=AT)
    assert "987" not in str(info.value)


def test_bad_patient_profiles_are_refused(mem_journal: Journal) -> None:
    with pytest.raises(JournalInputError, match="name"):
        mem_journal.add_patient("  ")
    with pytest.raises(JournalInputError, match="weight"):
        mem_journal.add_patient("Ada", weight_kg=2)
    with pytest.raises(JournalInputError, match="future"):
        mem_journal.add_patient("Ada", birth_date=(NOW + timedelta(days=3)).date())
    assert mem_journal.list_patients() == []
