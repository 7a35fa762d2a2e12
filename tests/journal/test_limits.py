"""Finite, plausible numbers at every journal door (issue 13 item 3): the service, the import, the CLI.

The bounds come from the knowledge base's ``[journal_limits]``; a dose above the label's largest single
dose but within them is logged with a warning.
"""

from __future__ import annotations

import json
import math
from datetime import datetime

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.journal.errors import ImportValidationError, JournalInputError
from gabacare.journal.model import EntryData, NewPatient, check_entry_fields, entry_warnings, validate_entry, validate_patient
from gabacare.journal.services import Journal
from gabacare.knowledge import load_monograph

AT = datetime(2026, 6, 1, 8, 0)
NOW = datetime(2026, 6, 30, 12, 0)
LIMITS = load_monograph().journal_limits
ABSURD = [math.inf, -math.inf, math.nan, 1e308, 1e12, 3600.5]


def test_the_limits_come_from_the_knowledge_base_with_their_sources() -> None:
    assert (LIMITS.max_dose_mg, LIMITS.warn_dose_mg) == (3600, 1200)
    assert LIMITS.max_dose_citation.render() == "label §2.1"
    assert LIMITS.warn_dose_citation.render() == "label §2.3"
    assert LIMITS.max_lab_source == LIMITS.earliest_source == "gabacare-policy"
    assert LIMITS.max_lab_note and LIMITS.earliest_note


@pytest.mark.parametrize("mg", ABSURD)
def test_absurd_doses_are_refused_by_the_service(mem_journal: Journal, mg: float) -> None:
    pid = mem_journal.add_patient("Ada").id
    with pytest.raises(JournalInputError, match="dose mg") as info:
        mem_journal.log_dose(pid, mg, at=AT)
    assert str(mg) not in str(info.value)  # the rule, never the value
    assert mem_journal.repo.count_entries(pid) == 0


@pytest.mark.parametrize(("kind", "fields", "rule"), [
    ("symptom", {"name": "pain", "value": math.nan}, "finite"),
    ("symptom", {"name": "spasm_count", "value": math.inf}, "finite"),
    ("lab", {"name": "gabapentin", "value": 1e308, "unit": "mg/L"}, "at most"),
    ("lab", {"name": "creatinine", "value": math.inf}, "finite"),
    ("note", {"text": "x\x00y"}, "valid text"),
    ("note", {"text": "lone \udc80 surrogate"}, "valid text"),
    ("trigger", {"text": "nul \x00"}, "valid text"),
    ("lab", {"name": "vitamin_d", "value": 5.0, "unit": "mg/L\x1b"}, "printable"),
])
def test_non_finite_absurd_and_unprintable_values_are_refused(kind: str, fields: dict[str, object], rule: str) -> None:
    with pytest.raises(JournalInputError, match=rule):
        check_entry_fields(kind, AT, **fields)  # type: ignore[arg-type]


def test_free_text_keeps_what_was_typed_escapes_included() -> None:
    text = "esc \x1b[31m red\r\nnext line\ttab"
    assert check_entry_fields("note", AT, text=text).text == text


def test_dates_before_gabapentin_or_beyond_the_calendar_are_refused() -> None:
    with pytest.raises(JournalInputError, match=f"{LIMITS.earliest_year} or later"):
        validate_entry(EntryData("dose", datetime(1, 1, 1), mg=300.0), now=NOW)
    assert validate_entry(EntryData("dose", datetime(LIMITS.earliest_year, 1, 1), mg=300.0), now=NOW)
    with pytest.raises(JournalInputError, match="before the year"):
        check_entry_fields("dose", datetime(9999, 12, 31, 23, 59), mg=300.0)


def test_patient_names_must_be_printable() -> None:
    with pytest.raises(JournalInputError, match="patient name"):
        validate_patient(NewPatient("Ann\x1b[31mRed"), today=NOW.date())
    with pytest.raises(JournalInputError, match="weight"):
        validate_patient(NewPatient("Ann", weight_kg=math.inf), today=NOW.date())


def test_a_dose_above_the_largest_single_dose_is_logged_with_a_warning(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    normal = mem_journal.log_dose(pid, 1200, at=AT)
    assert normal.warnings == ()
    big = mem_journal.log_dose(pid, 2400, at=AT)
    assert big.problem is None and len(big.warnings) == 1
    assert "1200 mg" in big.warnings[0] and "label §2.3" in big.warnings[0] and "2400" not in big.warnings[0]
    assert entry_warnings(EntryData("dose", AT, mg=LIMITS.max_dose_mg)) == big.warnings
    assert [e.warnings for e in mem_journal.today(pid, on=AT.date()).entries] == [(), big.warnings]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_import_refuses_absurd_numbers_in_every_spelling(mem_journal: Journal, fmt: str) -> None:
    pid = mem_journal.add_patient("Ada").id
    spellings = ["1e308", "Infinity", "NaN", "-Infinity", "1e999", "12" + "0" * 400, "3601"]
    if fmt == "csv":
        body = "".join(f"dose,2026-06-01T08:{i:02d}:00,{s},taken,,,,\n" for i, s in enumerate(spellings))
        text = "kind,at,mg,status,name,value,unit,text\n" + body
    else:  # JSON: bare literals (Python's json reads NaN/Infinity), a huge integer, a string
        rows = ",".join(f'{{"kind": "dose", "at": "2026-06-01T08:{i:02d}:00", "mg": {s}, "status": "taken"}}'
                        for i, s in enumerate(spellings)) + ', {"kind": "dose", "at": "2026-06-01T09:00", "mg": "1e400"}'
        text = f'{{"format": "gabacare-journal", "version": 1, "rows": [{rows}]}}'
    with pytest.raises(ImportValidationError) as info:
        mem_journal.import_text(pid, text, fmt)  # type: ignore[arg-type]
    assert info.value.total == len(spellings) + (fmt == "json")
    assert all("dose mg" in m or "mg must be" in m for _, m in info.value.problems)
    assert mem_journal.repo.count_entries(pid) == 0


runner = CliRunner()


def test_the_cli_refuses_absurd_doses_with_exit_2_and_warns_on_large_ones(sqlite_url: str) -> None:
    pid = str(json.loads(runner.invoke(app, ["patient", "add", "Ada", "--db", sqlite_url, "--json"]).stdout)["id"])
    for mg in ("1e308", "1e12", "inf", "nan"):
        result = runner.invoke(app, ["log", "dose", "--patient", pid, "--mg", mg, "--db", sqlite_url])
        assert result.exit_code == 2, (mg, result.stdout, result.stderr)
        assert result.stderr.startswith("gabacare: error: dose mg") and "Traceback" not in result.stderr
    result = runner.invoke(app, ["log", "dose", "--patient", pid, "--mg", "1500", "--db", sqlite_url])
    assert result.exit_code == 0 and "1200 mg" in result.stdout and "check the amount" in result.stdout
    result = runner.invoke(app, ["log", "dose", "--patient", pid, "--mg", "1500", "--db", sqlite_url, "--json"])
    assert result.exit_code == 0 and len(json.loads(result.stdout)["warnings"]) == 1
