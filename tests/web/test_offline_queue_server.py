"""The server side of the offline queue (issue 15): a dose tap sent with a ``client_id`` (a UUID the
phone made) is logged once however often it is sent; a malformed id is a 4xx problem, never a 500;
the id is per patient (another patient's entry is never found, shown or changed through it); a
fresh CSRF token is handed out for a queue replayed after the page's token expired."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, set_titration, sign_up


@pytest.fixture(scope="module")
def qapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("offline-queue") / "journal.sqlite3")


def _owner(app: FastAPI) -> tuple[TestClient, int]:
    c = TestClient(app, base_url="http://testserver")
    c.__enter__()
    sign_up(c, f"queue-{uuid.uuid4().hex[:8]}@example.org")
    pid = add_patient(c)
    set_titration(c, pid)
    return c, pid


@pytest.fixture
def owner(qapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    c, pid = _owner(qapp)
    yield c, pid
    c.__exit__(None, None, None)


@pytest.fixture
def stranger(qapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    c, pid = _owner(qapp)
    yield c, pid
    c.__exit__(None, None, None)


def _tap(client: TestClient, pid: int, client_id: str | None, *, htmx: bool = True, slot: int = 0) -> Any:
    page = client.get(f"/patients/{pid}/today").text
    scheduled = re.findall(r'name="scheduled" value="([^"]+)"', page)
    assert scheduled, "a titration plan has doses today"
    data = {"csrf_token": form_token(page), "status": "taken", "mg": "300", "scheduled": scheduled[slot]}
    if client_id is not None:
        data["client_id"] = client_id
    return client.post(f"/patients/{pid}/doses", data=data, headers={"hx-request": "true"} if htmx else {},
                       follow_redirects=False)


def _doses(app: FastAPI, pid: int) -> list[Any]:
    return app.state.journal_web.journal().entries(pid, kinds=["dose"])


def _creates(app: FastAPI, pid: int) -> int:
    accounts = app.state.journal_web.accounts()
    return sum(1 for a in accounts.repo.list_audit(pid) if a.action == "create" and a.resource_kind == "entry")


def _saved_id(html: str) -> int:
    m = re.search(r'/entries/(\d+)/undo', html)
    assert m, "the answer shows the saved entry with its undo"
    return int(m.group(1))


def test_the_same_client_id_sent_twice_logs_one_dose(qapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    cid = str(uuid.uuid4())
    first = _tap(client, pid, cid)
    assert first.status_code == 200, first.text[:300]
    again = _tap(client, pid, cid.upper())  # the same UUID, written differently
    assert again.status_code == 200, again.text[:300]
    doses = _doses(qapp, pid)
    assert len(doses) == 1 and doses[0].uid == cid
    assert _saved_id(first.text) == _saved_id(again.text) == doses[0].id, "the resend answers the first entry"
    assert _creates(qapp, pid) == 1, "audited once: the resend created nothing"
    # without JavaScript too: Post/Redirect/Get to the same entry
    plain = _tap(client, pid, cid, htmx=False)
    assert plain.status_code == 303 and plain.headers["location"].endswith(f"?saved={doses[0].id}")
    assert len(_doses(qapp, pid)) == 1


def test_taps_without_a_client_id_still_log_as_before(qapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    assert _tap(client, pid, None).status_code == 200
    assert _tap(client, pid, "").status_code == 200  # an empty field is no id
    assert len(_doses(qapp, pid)) == 2 and len({d.uid for d in _doses(qapp, pid)}) == 2


@pytest.mark.parametrize("bad", ["nope", "1234", "x" * 65, "0" * 1000, "{not-a-uuid}", "' OR 1=1 --",
                                 "123e4567-e89b-12d3-a456-42661417400g", "\u00e9" * 36])
def test_a_malformed_client_id_is_a_4xx_problem_and_adds_nothing(qapp: FastAPI, owner: tuple[TestClient, int],
                                                                bad: str) -> None:
    client, pid = owner
    r = _tap(client, pid, bad)
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert "the client_id must be a uuid" in r.text.lower()
    assert _doses(qapp, pid) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80))
def test_no_client_id_text_is_ever_a_500(qapp: FastAPI, owner: tuple[TestClient, int], text: str) -> None:
    client, pid = owner
    r = _tap(client, pid, text)
    assert r.status_code < 500, (r.status_code, text)
    for entry in _doses(qapp, pid):  # what was logged is reset for the next example
        qapp.state.journal_web.journal().delete_entry(pid, entry.id)


def test_another_patients_client_id_neither_leaks_nor_overwrites(qapp: FastAPI, owner: tuple[TestClient, int],
                                                                 stranger: tuple[TestClient, int]) -> None:
    client, pid = owner
    other, other_pid = stranger
    cid = str(uuid.uuid4())
    mine = _tap(client, pid, cid)
    assert mine.status_code == 200
    before = _doses(qapp, pid)
    # the stranger sends the same id for their own patient: a new entry of theirs, nothing of the owner's
    theirs = _tap(other, other_pid, cid)
    assert theirs.status_code == 200
    assert _saved_id(theirs.text) != _saved_id(mine.text)
    assert [e.patient_id for e in _doses(qapp, other_pid)] == [other_pid]
    assert _doses(qapp, pid) == before, "the owner's entry is untouched"
    # and to the owner's patient: 404, exactly like a made-up patient
    page = other.get(f"/patients/{other_pid}/today").text
    r = other.post(f"/patients/{pid}/doses", data={"csrf_token": form_token(page), "status": "taken", "mg": "300",
                                                   "scheduled": before[0].data.slot.isoformat(), "client_id": cid},
                   headers={"hx-request": "true"})
    assert r.status_code == 404 and f"/entries/{before[0].id}" not in r.text
    assert _doses(qapp, pid) == before


def test_a_resend_after_the_entry_was_deleted_is_a_409_and_adds_nothing(qapp: FastAPI,
                                                                       owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    cid = str(uuid.uuid4())
    assert _tap(client, pid, cid).status_code == 200
    qapp.state.journal_web.journal().delete_entry(pid, _doses(qapp, pid)[0].id)
    r = _tap(client, pid, cid)
    assert r.status_code == 409 and "already used" in r.text
    assert _doses(qapp, pid) == []


def test_the_api_takes_the_same_client_id(qapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/today").text
    slot = re.findall(r'name="scheduled" value="([^"]+)"', page)[0]
    headers = {"x-csrf-token": form_token(page)}
    cid = str(uuid.uuid4())
    body = {"mg": 300, "slot": slot, "client_id": cid}
    first = client.post(f"/api/v1/patients/{pid}/doses", json=body, headers=headers)
    assert first.status_code == 201 and first.json()["uid"] == cid
    again = client.post(f"/api/v1/patients/{pid}/doses", json=body, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert len(_doses(qapp, pid)) == 1
    bad = client.post(f"/api/v1/patients/{pid}/doses", json={**body, "client_id": "nope"}, headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["type"].endswith("validation") and "client_id" in bad.json()["detail"]
    # without client_id the API answers as before: a new entry each time
    plain = client.post(f"/api/v1/patients/{pid}/doses", json={"mg": 300}, headers=headers)
    assert plain.status_code == 201 and plain.json()["uid"] != cid


def test_a_fresh_csrf_token_replaces_an_expired_one(qapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/today").text
    slot = re.findall(r'name="scheduled" value="([^"]+)"', page)[0]
    form = {"csrf_token": "expired-or-forged", "status": "taken", "mg": "300", "scheduled": slot,
            "client_id": str(uuid.uuid4())}
    refused = client.post(f"/patients/{pid}/doses", data=form, headers={"hx-request": "true"})
    assert refused.status_code == 403 and _doses(qapp, pid) == []
    fresh = client.get("/pwa/csrf-token")
    assert fresh.status_code == 200 and "no-store" in fresh.headers["cache-control"]
    token = fresh.json()["csrf_token"]
    sent = client.post(f"/patients/{pid}/doses", data=form, headers={"hx-request": "true", "x-csrf-token": token})
    assert sent.status_code == 200 and len(_doses(qapp, pid)) == 1
