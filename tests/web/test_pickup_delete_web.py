"""Deleting a pick-up on the web (issue 15, refills): ``DELETE /api/v1/patients/{id}/pickups/{p}`` answers
what ``gabacare log pickup-delete --json`` answers and the supply follows; the Supply page's "Delete"
button (CSRF, Post/Redirect/Get) does the same; each deletion is audited; an unknown id, one deleted
already, another account's patient or a member of the patient get 404 and change nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, sign_up


@pytest.fixture(scope="module")
def dapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("pickup-delete") / "journal.sqlite3")


def _bearer(app: FastAPI, name: str) -> tuple[dict[str, str], object]:
    accounts = app.state.journal_web.accounts()
    user = accounts.sign_up(f"{name}-{uuid.uuid4().hex[:8]}@example.org", "a long enough secret", name.title())
    return {"authorization": f"Bearer {accounts.create_api_token(user, 'tests')[0]}"}, user


@pytest.fixture
def api(dapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    headers, _ = _bearer(dapp, "owner")
    with TestClient(dapp) as c:
        c.headers.update(headers)
        pid = c.post("/api/v1/patients", json={"name": "Ana"}).json()["id"]
        assert c.put(f"/api/v1/patients/{pid}/plan", json={"source": "regimen", "regimen": "300 mg TID"}).status_code == 200
        yield c, pid


def _deletes(app: FastAPI, pid: int) -> int:
    return sum(1 for a in app.state.journal_web.accounts().repo.list_audit(pid) if a.action == "delete")


def test_the_api_deletes_a_pickup_and_the_supply_follows(dapp: FastAPI, api: tuple[TestClient, int]) -> None:
    c, pid = api
    keep = c.post(f"/api/v1/patients/{pid}/pickups", json={"strength_mg": 300, "count": 90}).json()
    mistake = c.post(f"/api/v1/patients/{pid}/pickups", json={"strength_mg": 300, "count": 90}).json()
    before = c.get(f"/api/v1/patients/{pid}/supply").json()
    r = c.delete(f"/api/v1/patients/{pid}/pickups/{mistake['id']}")
    assert r.status_code == 200, r.text
    assert r.json() == {**mistake, "deleted": True}
    after = c.get(f"/api/v1/patients/{pid}/supply").json()
    assert [p["id"] for p in after["pickups"]] == [keep["id"]]
    assert after["on_hand"][0]["count"] == before["on_hand"][0]["count"] - 90
    assert after["run_out"] < before["run_out"]
    assert _deletes(dapp, pid) == 1
    for gone in (mistake["id"], 0, 2**40):
        again = c.delete(f"/api/v1/patients/{pid}/pickups/{gone}")
        assert again.status_code == 404 and again.headers["content-type"].startswith("application/problem+json")
    assert c.delete(f"/api/v1/patients/{pid}/pickups/nope").status_code == 422
    assert _deletes(dapp, pid) == 1 and len(c.get(f"/api/v1/patients/{pid}/supply").json()["pickups"]) == 1


def test_another_account_and_members_get_404(dapp: FastAPI, api: tuple[TestClient, int]) -> None:
    c, pid = api
    up = c.post(f"/api/v1/patients/{pid}/pickups", json={"strength_mg": 400, "count": 30}).json()
    stranger, _ = _bearer(dapp, "stranger")
    logger_headers, logger = _bearer(dapp, "logger")
    accounts = dapp.state.journal_web.accounts()
    owner = next(u for u in [accounts.token_user(c.headers["authorization"].removeprefix("Bearer "))] if u)
    accounts.add_member(owner, pid, logger.email, "logger")  # type: ignore[attr-defined]
    with TestClient(dapp) as other:
        for headers in (stranger, logger_headers):
            assert other.delete(f"/api/v1/patients/{pid}/pickups/{up['id']}", headers=headers).status_code == 404
    assert [p["id"] for p in c.get(f"/api/v1/patients/{pid}/supply").json()["pickups"]] == [up["id"]]


def test_the_supply_page_deletes_a_pickup(dapp: FastAPI) -> None:
    with TestClient(dapp, base_url="http://testserver") as b:
        sign_up(b, f"page-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(b)
        token = form_token(b.get(f"/patients/{pid}/supply").text)
        for count in ("60", "30"):
            assert b.post(f"/patients/{pid}/pickups", data={"csrf_token": token, "strength_mg": "400", "count": count},
                          follow_redirects=False).status_code == 303
        page = b.get(f"/patients/{pid}/supply").text
        actions = re.findall(rf'action="/patients/{pid}/pickups/(\d+)/delete"', page)
        assert len(actions) == 2 and "Delete<span class=\"visually-hidden\"> the pick-up of" in page
        assert "90</strong> × 400 mg capsules" in page
        assert b.post(f"/patients/{pid}/pickups/{actions[0]}/delete", data={}).status_code == 403  # CSRF
        r = b.post(f"/patients/{pid}/pickups/{actions[0]}/delete", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/patients/{pid}/supply?saved=3"
        page = b.get(r.headers["location"]).text
        assert "Pick-up deleted: it is no longer counted." in page
        assert re.findall(rf'action="/patients/{pid}/pickups/(\d+)/delete"', page) == actions[1:]
        assert b.post(f"/patients/{pid}/pickups/{actions[0]}/delete", data={"csrf_token": token},
                      follow_redirects=False).status_code == 404  # a second click
        other = add_patient(b, "Second")  # the id belongs to the first patient, not this one
        assert b.post(f"/patients/{other}/pickups/{actions[1]}/delete", data={"csrf_token": token},
                      follow_redirects=False).status_code == 404
        assert _deletes(dapp, pid) == 1
