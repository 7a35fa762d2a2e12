"""The Today page records what happened (issue 18), without JavaScript: every tap, change and undo is
a plain form answered by Post/Redirect/Get; the app runs in process over a real SQLite file, its
clock moved with time-machine to 08:44 on June 10 (300 mg TID: 07:00, 14:00, 21:00)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app

NOW = datetime(2026, 6, 10, 8, 44)


def token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    app = create_app(WebSettings(secret_key="today-secret-key-0123456789", access_log=False,
                                 db=f"sqlite:///{tmp_path / 'journal.sqlite3'}"))
    app.state.journal_web.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return app


@pytest.fixture
def page(app: FastAPI) -> Iterator[tuple[TestClient, int]]:
    """A signed-in owner and a patient on 300 mg TID since June 1, at 08:44 on June 10."""
    with time_machine.travel(NOW, tick=False), TestClient(app, base_url="http://testserver") as c:
        t = token(c.get("/account/sign-up").text)
        c.post("/account/sign-up", data={"csrf_token": t, "email": f"a-{uuid.uuid4().hex[:6]}@example.org",
                                         "password": "a long enough secret", "display_name": "Ana"})
        r = c.post("/patients", data={"csrf_token": token(c.get("/patients").text), "name": "Ana"})
        pid = int(re.findall(r"/patients/(\d+)/plan", str(r.url))[0])
        r = c.post(f"/patients/{pid}/plan", data={"csrf_token": token(r.text), "source": "regimen",
                                                  "regimen": "300 mg TID", "start": "2026-06-01"})
        assert r.status_code == 200, r.text[:300]
        yield c, pid


def tap(c: TestClient, pid: int, status: str, slot: str, **extra: str) -> Any:
    data = {"csrf_token": token(c.get(f"/patients/{pid}/today").text), "status": status, "mg": "300",
            "scheduled": f"2026-06-10T{slot}:00", **extra}
    return c.post(f"/patients/{pid}/doses", data=data)


def today(app: FastAPI, pid: int) -> list[tuple[str, str, str | None]]:
    journal = app.state.journal_web.journal()
    return [(f"{d.at:%H:%M}", d.status, None if d.taken_at is None else f"{d.taken_at:%H:%M}")
            for d in journal.today(pid, on=NOW.date()).doses]


def stored(app: FastAPI, pid: int, entry_id: int) -> Any:
    return app.state.journal_web.journal().get_entry(pid, entry_id)


def saved_id(response: Any) -> int:
    m = re.search(r"[?&]saved=(\d+)", str(response.url))
    assert m, response.url
    return int(m.group(1))


def test_the_three_taps_of_the_issue(app: FastAPI, page: tuple[TestClient, int]) -> None:
    c, pid = page
    with time_machine.travel(NOW, tick=False):
        late = tap(c, pid, "taken", "07:00")
        assert late.status_code == 200 and late.history[0].status_code == 303  # Post/Redirect/Get
        e = stored(app, pid, saved_id(late))
        assert (e.data.slot, e.data.at) == (datetime(2026, 6, 10, 7), NOW)  # was: stored at 07:00, on time
        assert "Saved: the 07:00 dose taken at" in late.text and "/undo" in late.text
        skip = stored(app, pid, saved_id(tap(c, pid, "skipped", "14:00")))
        assert skip.data.slot == skip.data.at == datetime(2026, 6, 10, 14)  # was: stored at 08:44
        tap(c, pid, "taken", "21:00")
        # was: 14:00 "taken" and 21:00 "skipped"
        assert today(app, pid) == [("07:00", "late", "08:44"), ("14:00", "skipped", "14:00"), ("21:00", "taken", "08:44")]


def test_taken_at_edit_undo_and_delete_without_javascript(app: FastAPI, page: tuple[TestClient, int]) -> None:
    c, pid = page
    with time_machine.travel(NOW, tick=False):
        earlier = tap(c, pid, "taken", "07:00", taken_at="07:10")  # "taken at 07:10", told at 08:44
        entry_id = saved_id(earlier)
        assert today(app, pid)[0] == ("07:00", "taken", "07:10")
        assert tap(c, pid, "taken", "14:00", taken_at="09:30").status_code == 422  # later than now

        t = token(c.get(f"/patients/{pid}/today").text)
        r = c.post(f"/patients/{pid}/entries/{entry_id}/edit", data={"csrf_token": t, "taken_at": "07:40"})
        assert r.status_code == 200 and "Changed: the 07:00 dose taken at" in r.text and "Undo this change" in r.text
        assert today(app, pid)[0] == ("07:00", "taken", "07:40") and stored(app, pid, entry_id).version == 2

        r = c.post(f"/patients/{pid}/entries/{entry_id}/undo", data={"csrf_token": t, "version": "2"})
        assert r.status_code == 200 and "Undone." in r.text
        assert today(app, pid)[0] == ("07:00", "taken", "07:10") and stored(app, pid, entry_id).version == 3
        assert c.post(f"/patients/{pid}/entries/{entry_id}/undo",
                      data={"csrf_token": t, "version": "2"}).status_code == 422  # stale: never a later change

        fresh = saved_id(tap(c, pid, "skipped", "14:00"))
        r = c.post(f"/patients/{pid}/entries/{fresh}/undo", data={"csrf_token": t, "version": "1"})
        assert today(app, pid)[1] == ("14:00", "upcoming", None)  # the tap is gone
        r = c.post(f"/patients/{pid}/entries/{entry_id}/delete", data={"csrf_token": t})
        assert r.status_code == 200 and today(app, pid)[0] == ("07:00", "missed", None)
        history = app.state.journal_web.journal().history(pid, entry_id)
        assert [v.version for v in history] == [1, 2, 3, 4] and history[-1].deleted_at is not None

        actions = [(a.action, a.resource_id) for a in app.state.journal_web.accounts().repo.list_audit(pid)
                   if a.resource_kind == "entry" and a.action != "read"]
        assert actions == [("create", entry_id), ("update", entry_id), ("update", entry_id), ("create", fresh),
                           ("delete", fresh), ("delete", entry_id)]


def test_prn_doses_are_logged_apart(app: FastAPI, page: tuple[TestClient, int]) -> None:
    c, pid = page
    with time_machine.travel(NOW, tick=False):
        t = token(c.get(f"/patients/{pid}/today").text)
        r = c.post(f"/patients/{pid}/doses", data={"csrf_token": t, "status": "prn", "mg": "100", "taken_at": "08:00"})
        assert r.status_code == 200 and "As-needed doses" in r.text
        e = stored(app, pid, saved_id(r))
        assert (e.data.prn, e.data.slot, e.data.at) == (True, None, datetime(2026, 6, 10, 8))
        adh = app.state.journal_web.journal().adherence(pid, start=NOW.date(), end=NOW.date())
        assert (adh.prn_doses, adh.extra, adh.taken) == (1, 0, 0)


def test_another_patients_entry_cannot_be_changed(app: FastAPI, page: tuple[TestClient, int]) -> None:
    c, pid = page
    with time_machine.travel(NOW, tick=False):
        entry_id = saved_id(tap(c, pid, "taken", "07:00"))
        r = c.post("/patients", data={"csrf_token": token(c.get("/patients").text), "name": "Bo"})
        other = int(re.findall(r"/patients/(\d+)/plan", str(r.url))[0])
        t = token(c.get(f"/patients/{pid}/today").text)
        for action, data in (("edit", {"taken_at": "07:30"}), ("undo", {"version": "1"}), ("delete", {})):
            r = c.post(f"/patients/{other}/entries/{entry_id}/{action}", data={"csrf_token": t, **data})
            assert r.status_code == 404, (action, r.status_code)
        assert stored(app, pid, entry_id).version == 1


# -- the API mirrors the CLI: PATCH / DELETE /api/v1/patients/{id}/entries/{entry} ------------------

@pytest.fixture
def api(app: FastAPI) -> Iterator[tuple[TestClient, int]]:
    accounts = app.state.journal_web.accounts()
    user = accounts.sign_up(f"api-{uuid.uuid4().hex[:6]}@example.org", "a long enough secret", "Script")
    with time_machine.travel(NOW, tick=False), TestClient(app) as c:
        c.headers["authorization"] = f"Bearer {accounts.create_api_token(user, 'tests')[0]}"
        pid = c.post("/api/v1/patients", json={"name": "Ana"}).json()["id"]
        assert c.put(f"/api/v1/patients/{pid}/plan", json={"source": "regimen", "regimen": "300 mg TID",
                                                            "start": "2026-06-01"}).status_code == 200
        yield c, pid


def test_the_api_edits_and_deletes_entries_like_the_cli(api: tuple[TestClient, int]) -> None:
    c, pid = api
    with time_machine.travel(NOW, tick=False):
        r = c.post(f"/api/v1/patients/{pid}/doses", json={"mg": 300, "slot": "2026-06-10T07:00:00"})
        assert r.status_code == 201, r.text
        e = r.json()
        assert (e["slot"], e["at"], e["prn"], e["deleted"]) == ("2026-06-10T07:00:00", "2026-06-10T08:44:00", False, False)
        prn = c.post(f"/api/v1/patients/{pid}/doses", json={"mg": 100, "prn": True}).json()
        adh = c.get(f"/api/v1/patients/{pid}/adherence", params={"from": "2026-06-10", "to": "2026-06-10"}).json()
        assert (adh["prn_doses"], adh["prn_mg"], adh["extra"]) == (1, 100, 0)

        url = f"/api/v1/patients/{pid}/entries/{e['id']}"
        r = c.patch(url, json={"at": "2026-06-10T07:30:00"})
        assert r.status_code == 200 and (r.json()["version"], r.json()["at"]) == (2, "2026-06-10T07:30:00")
        bad = c.patch(url, json={"mg": 1e12})
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        assert "at most" in bad.json()["detail"] and "1e" not in bad.json()["detail"]
        assert c.patch(url, json={}).status_code == 422
        assert c.patch(url, json={"colour": "red"}).status_code == 422

        history = c.get(f"{url}/history").json()
        assert [v["version"] for v in history["versions"]] == [1, 2]
        r = c.delete(f"/api/v1/patients/{pid}/entries/{prn['id']}")
        assert r.status_code == 200 and (r.json()["version"], r.json()["deleted"]) == (2, True)
        assert c.delete(f"/api/v1/patients/{pid}/entries/{prn['id']}").status_code == 404
        other = c.post("/api/v1/patients", json={"name": "Bo"}).json()["id"]
        assert c.delete(f"/api/v1/patients/{other}/entries/{e['id']}").status_code == 404
        assert c.patch(f"/api/v1/patients/{pid}/entries/0", json={"mg": 300}).status_code == 404
