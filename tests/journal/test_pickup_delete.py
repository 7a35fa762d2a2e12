"""Deleting a pick-up logged by mistake (issue 15, refills): the use case on every backend (the supply
forecast follows at once; another patient's id, one deleted already or an id no pick-up can have is
refused, nothing changed) and ``gabacare log pickup-delete`` (JSON keys, audit row, exit 2 and one
line for an unknown id)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.errors import NotFoundError
from gabacare.journal.errors import UnknownPickUpError
from gabacare.journal.model import PlanSpec
from gabacare.journal.refills import delete_pickup, log_pickup, supply
from gabacare.journal.services import Journal

from .conftest import NOW
from .test_refills import _run  # the CLI with --json: stdout parsed, or the one error line

runner = CliRunner()


def test_deleting_a_pickup_moves_the_run_out_date_back(any_journal: Journal) -> None:
    # The worked case of test_refills: 300 mg TID from 30 June, 90 capsules, then a second 90 by mistake.
    j = any_journal
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", NOW.date(), regimen="300 mg TID"))
    first = log_pickup(j, pid, 300, 90, at=datetime(2026, 6, 30, 6, 0))
    j.log_dose(pid, 300, at=datetime(2026, 6, 30, 7, 5))
    mistake = log_pickup(j, pid, 300, 90, at=datetime(2026, 6, 30, 11, 55))
    assert supply(j, pid).forecast.run_out == date(2026, 8, 29)
    removed = delete_pickup(j, pid, mistake.id)
    assert removed == mistake
    after = supply(j, pid)
    assert (after.forecast.run_out, after.forecast.refill_reminder) == (date(2026, 7, 30), date(2026, 7, 23))
    assert [p.id for p in after.pickups] == [first.id]
    assert [(s.strength_mg, s.count) for s in after.forecast.on_hand] == [(300, 89)]


def test_unknown_other_patients_and_impossible_ids_are_refused(any_journal: Journal) -> None:
    j = any_journal
    a, b = j.add_patient("A").id, j.add_patient("B").id
    mine = log_pickup(j, a, 300, 30, at=NOW)
    for bad in (0, -1, 2**31, 2**63, True, "1", mine.id + 1000):
        with pytest.raises(UnknownPickUpError) as refused:
            delete_pickup(j, a, bad)
        assert isinstance(refused.value, NotFoundError)
    with pytest.raises(UnknownPickUpError):
        delete_pickup(j, b, mine.id)  # another patient's: not found, untouched
    assert [p.id for p in j.repo.list_pickups(a)] == [mine.id]
    delete_pickup(j, a, mine.id)
    with pytest.raises(UnknownPickUpError):
        delete_pickup(j, a, mine.id)  # deleted already
    assert j.repo.list_pickups(a) == [] and supply(j, a).forecast.tracked is False


def test_cli_log_pickup_delete(sqlite_url: str) -> None:
    from gabacare.composition import accounts

    pid = str(_run(sqlite_url, "patient", "add", "Ada")["id"])
    up = _run(sqlite_url, "log", "pickup", "--patient", pid, "--strength", "300", "--count", "90")
    gone = _run(sqlite_url, "log", "pickup-delete", "--patient", pid, str(up["id"]))
    assert gone == {**up, "deleted": True}  # the pick-up's keys as `log pickup` answers them, and deleted
    assert _run(sqlite_url, "supply", "--patient", pid)["pickups"] == []
    audit = accounts(sqlite_url).repo.list_audit(int(pid))
    assert [(a.actor_kind, a.action, a.resource_kind) for a in audit if a.action == "delete"] == [
        ("cli", "delete", "entry")]
    assert "unknown pick-up id" in _run(sqlite_url, "log", "pickup-delete", "--patient", pid, str(up["id"]), code=2)
    assert "unknown patient" in _run(sqlite_url, "log", "pickup-delete", "--patient", "999", "1", code=2)
    human = runner.invoke(app, ["log", "pickup-delete", "--patient", pid, "1", "--db", sqlite_url])
    assert human.exit_code == 2
