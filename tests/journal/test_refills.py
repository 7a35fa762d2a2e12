"""Refills through the journal (issue 15): pick-ups are validated and stored, taken doses count them
down, and `gabacare log pickup` / `gabacare supply` keep the CLI contract (exit 2 and one line for bad
input; the JSON keys)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.journal import settings
from gabacare.journal.errors import JournalInputError, UnknownPatientError
from gabacare.journal.model import PlanSpec
from gabacare.journal.refills import log_pickup, supply
from gabacare.journal.services import Journal

from .conftest import NOW

runner = CliRunner()


def _patient_on_300_tid(j: Journal, start: date) -> int:
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", start, regimen="300 mg TID"))
    return pid


def test_the_worked_case_through_the_journal(mem_journal: Journal) -> None:
    # NOW is 2026-06-30 12:00. Plan 300 mg TID (07:00, 14:00, 21:00) from 30 June; 90 capsules at 06:00;
    # the 07:00 dose logged as taken: 89 on hand. Still to come today: 14:00 and 21:00 (87 left after),
    # then 29 full days (1..29 July): the 30 July 07:00 dose cannot be made. Reminder 7 days before.
    pid = _patient_on_300_tid(mem_journal, NOW.date())
    log_pickup(mem_journal, pid, 300, 90, at=datetime(2026, 6, 30, 6, 0))
    mem_journal.log_dose(pid, 300, at=datetime(2026, 6, 30, 7, 5))
    view = supply(mem_journal, pid)
    f = view.forecast
    assert [(s.strength_mg, s.count) for s in f.on_hand] == [(300, 89)]
    assert (f.run_out, f.refill_reminder) == (date(2026, 7, 30), date(2026, 7, 23))
    assert supply(mem_journal, pid, lead_days=14).forecast.refill_reminder == date(2026, 7, 16)
    # a dose logged early for the 14:00 slot is counted once, not also as still to come
    mem_journal.log_dose(pid, 300, at=datetime(2026, 6, 30, 11, 50), slot=datetime(2026, 6, 30, 14, 0))
    assert supply(mem_journal, pid).forecast.run_out == date(2026, 7, 30)
    # a second pick-up moves the run-out date by 30 days' worth
    log_pickup(mem_journal, pid, 300, 90, at=datetime(2026, 6, 30, 11, 55))
    assert supply(mem_journal, pid).forecast.run_out == date(2026, 8, 29)
    # a skipped dose uses no pill
    mem_journal.log_dose(pid, 0, status="skipped", slot=datetime(2026, 6, 30, 21, 0))
    assert supply(mem_journal, pid).forecast.on_hand[0].count == 178


@pytest.mark.parametrize("strength,count,at,why", [
    (250, 30, None, "strength must be one of 100, 300, 400, 600, 800"),
    (300, 0, None, "count of 300 mg pieces must be from 1 to 1200"),
    (800, 451, None, "from 1 to 450"),
    (300, 2.5, None, "whole number"),
    (300, float("nan"), None, "whole number"),
    (True, 30, None, "whole number"),
    (300, 30, NOW + timedelta(days=2), "in the future"),
    (300, 30, datetime(1980, 1, 1), "1990 or later"),
])
def test_implausible_pickups_are_refused_and_nothing_is_written(mem_journal: Journal, strength: Any, count: Any,
                                                                at: datetime | None, why: str) -> None:
    pid = mem_journal.add_patient("Ada").id
    with pytest.raises(JournalInputError, match=why):
        log_pickup(mem_journal, pid, strength, count, at=at)
    assert mem_journal.repo.list_pickups(pid) == []


def test_lead_days_are_bounded_and_an_unknown_patient_is_refused(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    assert supply(mem_journal, pid).forecast.lead_days == settings.REFILL_LEAD_DAYS
    for bad in (-1, settings.REFILL_LEAD_DAYS_MAX + 1, 2.5, True):
        with pytest.raises(JournalInputError):
            supply(mem_journal, pid, lead_days=bad)
    with pytest.raises(UnknownPatientError):
        log_pickup(mem_journal, 999, 300, 30)
    assert supply(mem_journal, pid).forecast.tracked is False


def _run(db: str, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--db", db, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr)
    if code == 0:
        return json.loads(result.stdout)
    lines = result.stderr.strip().splitlines()
    assert result.stdout == "" and len(lines) == 1 and lines[0].startswith("gabacare: error:"), result.stderr
    return lines[0]


def test_cli_log_pickup_and_supply(db_url: str) -> None:
    today = date.today()
    pid = str(_run(db_url, "patient", "add", "Ada")["id"])
    _run(db_url, "plan", "set", "--patient", pid, "300 mg TID", "--start", (today + timedelta(days=1)).isoformat())
    up = _run(db_url, "log", "pickup", "--patient", pid, "--strength", "300", "--count", "90")
    assert {"id", "patient", "uid", "picked_up_at", "strength_mg", "count", "form", "recorded_at"} <= set(up)
    assert (up["strength_mg"], up["count"], up["form"]) == (300, 90, "capsule")
    out = _run(db_url, "supply", "--patient", pid, "--lead-days", "10")
    assert {"patient", "as_of", "tracked", "on_hand", "short", "run_out", "refill_reminder", "lead_days",
            "checked_until", "uncounted_doses", "pickup_list", "list_until", "citations", "pickups"} <= set(out)
    # nothing taken yet, the plan starts tomorrow: 90 capsules = 30 days, out on day 31
    assert out["on_hand"] == [{"form": "capsule", "strength_mg": 300, "count": 90}]
    assert out["run_out"] == (today + timedelta(days=31)).isoformat()
    assert out["refill_reminder"] == (today + timedelta(days=21)).isoformat() and out["lead_days"] == 10
    human = runner.invoke(app, ["supply", "--patient", pid, "--db", db_url])
    assert human.exit_code == 0 and "Pills on hand: 300 mg: 90 capsules" in human.stdout


@pytest.mark.parametrize("args,why", [
    (("log", "pickup", "--strength", "250", "--count", "30"), "strength must be one of"),
    (("log", "pickup", "--strength", "300", "--count", "0"), "count of 300 mg pieces"),
    (("log", "pickup", "--strength", "300", "--count", "99999"), "count of 300 mg pieces"),
    (("log", "pickup", "--strength", "300", "--count", "30", "--at", "soon"), "--at must be"),
    (("supply", "--lead-days", "-1"), "refill lead time"),
    (("supply", "--lead-days", "61"), "refill lead time"),
])
def test_cli_bad_input_exits_2_with_one_line(sqlite_url: str, args: tuple[str, ...], why: str) -> None:
    pid = str(_run(sqlite_url, "patient", "add", "Ada")["id"])
    line = _run(sqlite_url, *args[:2] if args[0] == "log" else args[:1], "--patient", pid,
                *(args[2:] if args[0] == "log" else args[1:]), code=2)
    assert why in line


def test_cli_unknown_patient_exits_2(sqlite_url: str) -> None:
    assert "unknown patient" in _run(sqlite_url, "supply", "--patient", "42", code=2)
    assert "unknown patient" in _run(sqlite_url, "log", "pickup", "--patient", "42", "--strength", "300",
                                     "--count", "30", code=2)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_pickups_travel_in_the_export_and_import_once(mem_journal: Journal, fmt: str) -> None:
    from gabacare.journal.memory import InMemoryJournalRepository

    pid = _patient_on_300_tid(mem_journal, NOW.date())
    first = log_pickup(mem_journal, pid, 300, 90, at=datetime(2026, 6, 30, 6, 0))
    text = mem_journal.export(pid, fmt)  # type: ignore[arg-type]
    assert "pickup" in text
    other = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    copy = other.add_patient("Ada").id
    assert other.import_text(copy, text, fmt)["entries"] == 1  # type: ignore[arg-type]
    assert other.import_text(copy, text, fmt)["entries"] == 0  # the uid is kept: nothing twice
    (got,) = other.repo.list_pickups(copy)
    assert (got.uid, got.data) == (first.uid, first.data)
    assert other.export(copy, fmt) == text  # type: ignore[arg-type]
    assert supply(other, copy).forecast.run_out == supply(mem_journal, pid).forecast.run_out


def test_an_implausible_pickup_row_refuses_the_whole_import(mem_journal: Journal) -> None:
    from gabacare.journal.errors import ImportValidationError

    pid = mem_journal.add_patient("Ada").id
    text = ("kind,at,mg,status,name,value,unit,text,slot,prn,uid\n"
            "note,2026-06-01T08:00:00,,,,,,hello,,,\n"
            "pickup,2026-06-01T09:00:00,250,,,90,,,,,\n")
    with pytest.raises(ImportValidationError, match="line 3: strength must be one of"):
        mem_journal.import_text(pid, text, "csv")
    assert mem_journal.entries(pid) == [] and mem_journal.repo.list_pickups(pid) == []


def test_the_patients_own_lead_time_is_kept_and_bounded(mem_journal: Journal) -> None:
    from gabacare.journal.refills import set_lead_days

    pid = _patient_on_300_tid(mem_journal, NOW.date())
    log_pickup(mem_journal, pid, 300, 90, at=datetime(2026, 6, 30, 6, 0))
    assert set_lead_days(mem_journal, pid, 14) == 14
    f = supply(mem_journal, pid).forecast  # out 30 July (the worked case above, nothing taken today)
    assert (f.lead_days, f.refill_reminder) == (14, f.run_out - timedelta(days=14))  # type: ignore[operator]
    assert supply(mem_journal, pid, lead_days=3).forecast.lead_days == 3  # one answer's choice wins
    for bad in (-1, settings.REFILL_LEAD_DAYS_MAX + 1, 1.5):
        with pytest.raises(JournalInputError):
            set_lead_days(mem_journal, pid, bad)
    assert set_lead_days(mem_journal, pid, None) == settings.REFILL_LEAD_DAYS


def test_cli_remember_keeps_the_lead_time(sqlite_url: str) -> None:
    pid = str(_run(sqlite_url, "patient", "add", "Ada")["id"])
    assert _run(sqlite_url, "supply", "--patient", pid, "--lead-days", "12", "--remember")["lead_days"] == 12
    assert _run(sqlite_url, "supply", "--patient", pid)["lead_days"] == 12
    assert "give --lead-days too" in _run(sqlite_url, "supply", "--patient", pid, "--remember", code=2)
    assert "refill lead time" in _run(sqlite_url, "supply", "--patient", pid, "--lead-days", "99", "--remember",
                                      code=2)
    assert _run(sqlite_url, "supply", "--patient", pid)["lead_days"] == 12
