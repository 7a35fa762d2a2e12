"""Issue 15: entries made on the Log page sent by the offline queue (scores, trigger, side effect, lab,
note) are stored once however often they are sent. The use case (``Journal.log_entries_once``) on the
in-memory, SQLite and PostgreSQL repositories, then the Log routes in process: the same ``client_id`` sent twice
answers the same entries and audits one create each; a malformed id is a 422, never a 500; ids are per
patient; a resend after a deletion is a 409 that adds nothing; a form's scores are all-or-nothing.
The browser side is in ``tests/e2e/test_offline_log.py``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.errors import ConflictError, InputError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.services import ClientIdConflictError, Journal

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, sign_up

NOW = datetime(2026, 6, 30, 12, 0)
IDS = [str(uuid.UUID(int=n, version=4)) for n in range(1, 5)]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    if request.param == "memory":
        yield Journal(InMemoryJournalRepository(), clock=lambda: NOW)
        return
    from gabacare.composition import repository

    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'j.sqlite3'}"
    repo = repository(url)
    yield Journal(repo, clock=lambda: NOW)
    repo.close()


def _scores(j: Journal, at: datetime, **scores: float) -> list[Any]:
    return [j.draft("symptom", at=at, name=k, value=v) for k, v in scores.items()]


@settings(max_examples=30, deadline=None)
@given(sends=st.lists(st.tuples(st.sampled_from(IDS), st.integers(0, 600)), min_size=1, max_size=10))
def test_any_run_of_resends_stores_each_form_once(sends: list[tuple[str, int]]) -> None:
    """However often and in whatever order forms are (re)sent, each client id's entries exist once, and
    every resend answers exactly the entries its first send stored."""
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Queue").id
    first: dict[str, list[int]] = {}
    when: dict[str, datetime] = {}
    for cid, minutes_ago in sends:
        at = when.setdefault(cid, NOW - timedelta(minutes=minutes_ago))  # a resend carries the form's own time
        entries, created = j.log_entries_once(pid, _scores(j, at, pain=3, sleep=4), client_id=cid)
        assert created == (cid not in first)
        assert [e.id for e in entries] == first.setdefault(cid, [e.id for e in entries])
        assert entries[0].uid == cid and len({e.uid for e in entries}) == 2
    assert len(j.entries(pid, kinds=["symptom"])) == 2 * len(first)


def test_every_log_kind_is_stored_once(journal: Journal) -> None:
    pid = journal.add_patient("Kinds").id
    at = NOW - timedelta(hours=1)
    forms = [
        [journal.draft("trigger", at=at, text="cold")],
        [journal.draft("side_effect", at=at, text="dizziness")],
        [journal.draft("note", at=at, text="slept badly")],
        [journal.draft("lab", at=at, name="creatinine", value=1.0, unit="mg/dL")],
        _scores(journal, at, pain=2, spasm_count=5),
    ]
    for drafts in forms:
        cid = str(uuid.uuid4())
        made, created = journal.log_entries_once(pid, drafts, client_id=cid)
        again, created_again = journal.log_entries_once(pid, drafts, client_id=cid.upper())
        assert created and not created_again and again == made
    assert len(journal.entries(pid)) == 6
    side = next(e for e in journal.entries(pid) if e.kind == "side_effect")
    assert side.data.urgency == "expected"  # triaged like log_side_effect


def test_ids_are_per_patient_and_a_deleted_entrys_id_is_a_conflict(journal: Journal) -> None:
    a, b = journal.add_patient("A").id, journal.add_patient("B").id
    cid = str(uuid.uuid4())
    at = NOW - timedelta(hours=1)
    mine, _ = journal.log_entries_once(a, [journal.draft("note", at=at, text="a")], client_id=cid)
    theirs, created = journal.log_entries_once(b, [journal.draft("note", at=at, text="b")], client_id=cid)
    assert created and theirs[0].patient_id == b and theirs[0].id != mine[0].id
    journal.delete_entry(a, mine[0].id)
    with pytest.raises(ClientIdConflictError) as refused:
        journal.log_entries_once(a, [journal.draft("note", at=at, text="a")], client_id=cid)
    assert isinstance(refused.value, ConflictError)
    assert journal.entries(a) == []


def test_a_form_is_all_or_nothing_and_bad_ids_are_input_errors(journal: Journal) -> None:
    pid = journal.add_patient("Atomic").id
    with pytest.raises(InputError):  # the second score is out of range: neither is stored
        journal.log_entries_once(pid, _scores(journal, NOW, pain=3, sleep=11), client_id=str(uuid.uuid4()))
    for bad in ("", "nope", "1" * 65):
        with pytest.raises(InputError, match="client_id must be a UUID"):
            journal.log_entries_once(pid, _scores(journal, NOW, pain=3), client_id=bad)
    with pytest.raises(InputError):
        journal.log_entries_once(pid, [journal.draft("dose", at=NOW, mg=100.0, status="taken")],
                                 client_id=str(uuid.uuid4()))
    assert journal.entries(pid) == []


# -- the Log routes ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("offline-log") / "journal.sqlite3")


@pytest.fixture
def owner(lapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    c = TestClient(lapp, base_url="http://testserver")
    c.__enter__()
    sign_up(c, f"log-{uuid.uuid4().hex[:8]}@example.org")
    pid = add_patient(c)
    yield c, pid
    c.__exit__(None, None, None)


def _send(c: TestClient, pid: int, kind: str, fields: dict[str, str], client_id: str | None) -> Any:
    data = {"csrf_token": form_token(c.get(f"/patients/{pid}/log").text), **fields}
    if client_id is not None:
        data["client_id"] = client_id
    return c.post(f"/patients/{pid}/{kind}", data=data, headers={"hx-request": "true"}, follow_redirects=False)


def _creates(app: FastAPI, pid: int) -> int:
    accounts = app.state.journal_web.accounts()
    return sum(1 for a in accounts.repo.list_audit(pid) if a.action == "create" and a.resource_kind == "entry")


def _entries(app: FastAPI, pid: int) -> list[Any]:
    return app.state.journal_web.journal().entries(pid)


def test_the_same_form_sent_twice_is_stored_once(lapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    at = (datetime.now() - timedelta(minutes=30)).replace(microsecond=0).isoformat()
    cid = str(uuid.uuid4())
    scores = {"pain": "4", "sleep": "2", "at": at}
    first = _send(c, pid, "symptoms", scores, cid)
    again = _send(c, pid, "symptoms", scores, cid)
    assert first.status_code == again.status_code == 200
    assert "2 score(s) saved." in first.text and "2 score(s) saved." in again.text
    assert len(_entries(lapp, pid)) == 2 and _creates(lapp, pid) == 2  # audited once
    side = {"text": "dizziness", "at": at}
    cid2 = str(uuid.uuid4())
    assert _send(c, pid, "side-effects", side, cid2).status_code == 200
    assert "Side effect saved." in _send(c, pid, "side-effects", side, cid2).text
    assert [e.data.at.isoformat() for e in _entries(lapp, pid)] == [at] * 3  # the form's time, not the send's
    # Without a client id (a browser without the script) every post is a new entry, as before.
    _send(c, pid, "notes", {"text": "a note"}, None)
    _send(c, pid, "notes", {"text": "a note"}, None)
    assert sum(e.kind == "note" for e in _entries(lapp, pid)) == 2


def test_bad_ids_deleted_entries_and_other_patients(lapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    for bad in ("nope", "x" * 65, "123e4567-e89b-12d3-a456"):
        r = _send(c, pid, "notes", {"text": "n"}, bad)
        assert r.status_code == 422 and "client_id must be a UUID" in r.text
    assert _entries(lapp, pid) == []
    cid = str(uuid.uuid4())
    assert _send(c, pid, "triggers", {"tag": "cold"}, cid).status_code == 200
    (entry,) = _entries(lapp, pid)
    other = add_patient(c, "Second")
    assert _send(c, other, "triggers", {"tag": "cold"}, cid).status_code == 200  # ids are per patient
    assert len(_entries(lapp, other)) == 1 and _entries(lapp, pid) == [entry]
    token = form_token(c.get(f"/patients/{pid}/today").text)
    assert c.post(f"/patients/{pid}/entries/{entry.id}/delete", data={"csrf_token": token},
                  follow_redirects=False).status_code == 303
    late = _send(c, pid, "triggers", {"tag": "cold", "at": entry.data.at.isoformat()}, cid)
    assert late.status_code == 409  # the queue then drops it: the server had it
    assert _entries(lapp, pid) == []


def test_the_log_forms_are_queued_and_the_page_has_the_queue_box(owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    page = c.get(f"/patients/{pid}/log").text
    forms = re.findall(r"<form [^>]*>", page)
    log_forms = [f for f in forms if re.search(r'action="/patients/\d+/(symptoms|triggers|side-effects|labs|notes)"', f)]
    assert len(log_forms) == 6 and all("data-queue" in f for f in log_forms)
    assert 'id="offline-queue"' in page and "Saved on this phone, not yet sent" in page
    assert '<p id="offline-copy" hidden></p>' in page and "/static/offline-queue.js" in page
    # A side effect kept on the phone is not triaged yet: the box says so, with the red flags.
    from gabacare.knowledge.language import load_language

    box = page[page.index('id="offline-queue"'):page.index("</section>", page.index('id="offline-queue"'))]
    assert "checked only once it is sent" in box
    assert all(flag.text in box for flag in load_language().red_flags)


def test_the_worker_stores_the_plain_log_page_and_opens_today_from_a_notification(lapp: FastAPI) -> None:
    with TestClient(lapp) as c:
        text = c.get("/sw.js").text
    assert r"const LOG = /^\/patients\/(\d+)\/log$/;" in text
    assert 'today(event, url, url.search === "")' in text  # never a ?saved= answer
    assert 'self.addEventListener("notificationclick"' in text and "self.clients.openWindow(target)" in text


# -- the API -------------------------------------------------------------------------------------

@pytest.fixture
def api(lapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    accounts = lapp.state.journal_web.accounts()
    user = accounts.sign_up(f"api-{uuid.uuid4().hex[:8]}@example.org", "a long enough secret", "Script")
    with TestClient(lapp) as c:
        c.headers["authorization"] = f"Bearer {accounts.create_api_token(user, 'tests')[0]}"
        yield c, c.post("/api/v1/patients", json={"name": "Api"}).json()["id"]


@pytest.mark.parametrize("kind,body,keys", [
    ("symptoms", {"scale": "pain", "score": 3}, set()),
    ("triggers", {"tag": "cold"}, set()),
    ("side-effects", {"text": "swollen lips and trouble breathing"}, {"emergency", "advice"}),
    ("labs", {"value": 1.1, "unit": "mg/dL"}, {"renal", "renal_skipped"}),
    ("notes", {"text": "slept badly"}, {"urgency"}),
])
def test_the_api_takes_a_client_id_for_every_entry_kind(lapp: FastAPI, api: tuple[TestClient, int], kind: str,
                                                        body: dict[str, Any], keys: set[str]) -> None:
    c, pid = api
    cid = str(uuid.uuid4())
    first = c.post(f"/api/v1/patients/{pid}/{kind}", json={**body, "client_id": cid})
    again = c.post(f"/api/v1/patients/{pid}/{kind}", json={**body, "client_id": cid})
    assert (first.status_code, again.status_code) == (201, 200), (first.text, again.text)
    assert first.json() == again.json() and keys <= set(first.json())  # the same answer, triage included
    assert len(_entries(lapp, pid)) == 1 and _creates(lapp, pid) == 1
    plain = c.post(f"/api/v1/patients/{pid}/{kind}", json=body)  # without one: a new entry, as before
    assert plain.status_code == 201 and len(_entries(lapp, pid)) == 2
    bad = c.post(f"/api/v1/patients/{pid}/{kind}", json={**body, "client_id": "nope"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert c.delete(f"/api/v1/patients/{pid}/entries/{first.json()['id']}").status_code == 200
    gone = c.post(f"/api/v1/patients/{pid}/{kind}", json={**body, "client_id": cid})
    assert gone.status_code == 409 and len(_entries(lapp, pid)) == 1


def test_an_emergency_side_effect_sent_again_still_says_emergency(api: tuple[TestClient, int]) -> None:
    c, pid = api
    body = {"text": "swollen lips and trouble breathing", "client_id": str(uuid.uuid4())}
    answers = [c.post(f"/api/v1/patients/{pid}/side-effects", json=body).json() for _ in range(2)]
    assert [a["emergency"] for a in answers] == [True, True]
