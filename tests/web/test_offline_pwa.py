"""Issue 15 part 1, in process: the use case behind the offline queue (``Journal.log_dose_once``) on
the in-memory and SQLite repositories, and what the service worker and the sign-out answer promise
about the stored Today page (only Today pages, dropped at sign-out). The browser side is in
``tests/e2e/test_offline_queue.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.errors import ConflictError, InputError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.services import ClientIdConflictError, Journal
from gabacare.web import WebSettings, create_app
from gabacare.web.pwa import TODAY_CACHE, shell_files

from .conftest import form_token

NOW = datetime(2026, 6, 30, 12, 0)
IDS = [str(uuid.UUID(int=n, version=4)) for n in range(1, 6)]


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    if request.param == "memory":
        yield Journal(InMemoryJournalRepository(), clock=lambda: NOW)
        return
    from gabacare.composition import repository

    repo = repository(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    yield Journal(repo, clock=lambda: NOW)
    repo.close()


@settings(max_examples=30, deadline=None)
@given(sends=st.lists(st.tuples(st.sampled_from(IDS), st.integers(0, 180)), min_size=1, max_size=12))
def test_any_run_of_resends_logs_one_entry_per_client_id(sends: list[tuple[str, int]]) -> None:
    """However often and in whatever order taps are (re)sent, one entry per distinct client id, and
    every send of an id answers the entry its first send made."""
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Queue").id
    first: dict[str, int] = {}
    for cid, minutes_ago in sends:
        entry, created = j.log_dose_once(pid, 100, client_id=cid, at=NOW - timedelta(minutes=minutes_ago), prn=True)
        assert created == (cid not in first)
        assert entry.id == first.setdefault(cid, entry.id) and entry.uid == cid
    assert sorted(e.uid for e in j.entries(pid, kinds=["dose"])) == sorted(first)


def test_a_resend_of_a_slot_tap_answers_the_entry_not_already_answered(journal: Journal) -> None:
    from gabacare.journal.model import PlanSpec

    pid = journal.add_patient("Slot").id
    journal.set_plan(pid, PlanSpec("regimen", date(2026, 6, 20), regimen="300 mg TID"))
    slot = NOW.replace(hour=7)
    cid = str(uuid.uuid4())
    entry, created = journal.log_dose_once(pid, 300, client_id=cid, at=NOW - timedelta(hours=4), slot=slot)
    assert created and entry.data.slot == slot and entry.uid == cid
    again, created = journal.log_dose_once(pid, 300, client_id=cid.upper(), at=NOW - timedelta(hours=4), slot=slot)
    assert not created and again == entry
    # another tap (another id) for the same slot is still refused as before: the slot is answered
    with pytest.raises(InputError):
        journal.log_dose_once(pid, 300, client_id=str(uuid.uuid4()), slot=slot)
    assert [e.id for e in journal.entries(pid, kinds=["dose"])] == [entry.id]


def test_ids_are_per_patient_and_a_deleted_entrys_id_is_a_conflict(journal: Journal) -> None:
    a, b = journal.add_patient("A").id, journal.add_patient("B").id
    cid = str(uuid.uuid4())
    mine, _ = journal.log_dose_once(a, 100, client_id=cid, prn=True)
    theirs, created = journal.log_dose_once(b, 200, client_id=cid, prn=True)
    assert created and theirs.patient_id == b and theirs.id != mine.id
    assert journal.get_entry(a, mine.id) == mine
    journal.delete_entry(a, mine.id)
    with pytest.raises(ClientIdConflictError) as refused:
        journal.log_dose_once(a, 100, client_id=cid, prn=True)
    assert isinstance(refused.value, ConflictError)
    assert journal.entries(a, kinds=["dose"]) == []


@pytest.mark.parametrize("bad", ["", "  ", "nope", "1" * 65, "123e4567-e89b-12d3-a456"])
def test_a_malformed_client_id_is_an_input_error(journal: Journal, bad: str) -> None:
    pid = journal.add_patient("Bad").id
    with pytest.raises(InputError, match="client_id must be a UUID"):
        journal.log_dose_once(pid, 100, client_id=bad, prn=True)
    assert journal.entries(pid) == []


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(secret_key="pwa-offline-key-0123456789", access_log=False))) as c:
        yield c


def test_the_worker_stores_only_today_pages_and_drops_them_at_sign_out(client: TestClient) -> None:
    text = client.get("/sw.js").text
    assert f'const TODAY_CACHE = "{TODAY_CACHE}"' in text
    assert r"const TODAY = /^\/patients\/(\d+)\/today$/;" in text  # the one journal page it stores
    assert 'importScripts("/static/offline-queue.js")' in text and "/static/offline-queue.js" in shell_files()
    assert "caches.delete(TODAY_CACHE)" in text and '"/account/sign-out"' in text
    assert client.get("/static/offline-queue.js").status_code == 200


def test_the_sign_out_answer_clears_the_stored_pages(client: TestClient) -> None:
    token = form_token(client.get("/account/sign-in").text)
    r = client.post("/account/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["clear-site-data"] == '"cache"'


def test_the_fresh_csrf_token_is_never_stored(client: TestClient) -> None:
    r = client.get("/pwa/csrf-token")
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"
    assert isinstance(r.json()["csrf_token"], str) and "access-control-allow-origin" not in r.headers


def test_sends_racing_each_other_log_one_entry(tmp_path: Path) -> None:
    """Eight threads send the same tap at once (a page and the worker's Background Sync, two tabs):
    every send answers the same entry and the journal holds one."""
    from concurrent.futures import ThreadPoolExecutor

    from gabacare.composition import repository

    repo = repository(f"sqlite:///{tmp_path / 'race.sqlite3'}")
    try:
        j = Journal(repo, clock=lambda: NOW)
        pid = j.add_patient("Race").id
        cid = str(uuid.uuid4())
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _: j.log_dose_once(pid, 100, client_id=cid, at=NOW, prn=True), range(8)))
        assert len({entry.id for entry, _ in answers}) == 1
        assert sum(created for _, created in answers) == 1
        assert [e.uid for e in j.entries(pid, kinds=["dose"])] == [cid]
    finally:
        repo.close()
