"""Refills on the web (issue 15): ``/api/v1/patients/{id}/supply`` and ``…/pickups`` answer what the CLI
answers, bad input is a 422 problem (never a 500), another account sees 404; the pages show the
"Pills on hand" section and take a pick-up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.journal.refills import supply
from gabacare.serialize import jsonable

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, sign_up


@pytest.fixture(scope="module")
def sapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("supply") / "journal.sqlite3")


@pytest.fixture
def api(sapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    accounts = sapp.state.journal_web.accounts()
    user = accounts.sign_up(f"s-{uuid.uuid4().hex[:8]}@example.org", "a long enough secret", "Script Owner")
    with TestClient(sapp) as c:
        c.headers["authorization"] = f"Bearer {accounts.create_api_token(user, 'tests')[0]}"
        r = c.post("/api/v1/patients", json={"name": "Ana"})
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        start = (date.today() + timedelta(days=1)).isoformat()
        assert c.put(f"/api/v1/patients/{pid}/plan", json={"source": "regimen", "regimen": "300 mg TID",
                                                            "start": start}).status_code == 200
        yield c, pid


def test_a_pickup_moves_the_run_out_date_and_the_api_answers_what_the_cli_answers(
        sapp: FastAPI, api: tuple[TestClient, int]) -> None:
    c, pid = api
    before = c.get(f"/api/v1/patients/{pid}/supply")
    assert before.status_code == 200 and before.json()["tracked"] is False and before.json()["run_out"] is None
    r = c.post(f"/api/v1/patients/{pid}/pickups", json={"strength_mg": 300, "count": 90})
    assert r.status_code == 201, r.text
    assert (r.json()["strength_mg"], r.json()["count"], r.json()["form"]) == (300, 90, "capsule")
    got = c.get(f"/api/v1/patients/{pid}/supply", params={"lead_days": 10})
    assert got.status_code == 200
    body = got.json()
    assert body["run_out"] == (date.today() + timedelta(days=31)).isoformat()  # 30 days of 3 from tomorrow
    assert body["refill_reminder"] == (date.today() + timedelta(days=21)).isoformat()
    journal = sapp.state.journal_web.journal()
    expected = jsonable(supply(journal, pid, lead_days=10).to_json())
    assert {k: v for k, v in body.items() if k != "as_of"} == {k: v for k, v in expected.items() if k != "as_of"}


@pytest.mark.parametrize("payload", [
    {"strength_mg": 250, "count": 30},
    {"strength_mg": 300, "count": 0},
    {"strength_mg": 300, "count": 100000},
    {"strength_mg": 300, "count": 2.5},
    {"strength_mg": 300},
    {"strength_mg": "lots", "count": 3},
    {"strength_mg": 300, "count": 30, "at": (datetime.now() + timedelta(days=3)).isoformat()},
    {"strength_mg": 300, "count": 30, "at": "1970-01-01T00:00"},
    {"strength_mg": 300, "count": 30, "extra": 1},
])
def test_bad_pickups_are_422_problems_and_nothing_is_written(api: tuple[TestClient, int], payload: dict) -> None:
    c, pid = api
    r = c.post(f"/api/v1/patients/{pid}/pickups", json=payload)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json") and r.json()["detail"]
    assert c.get(f"/api/v1/patients/{pid}/supply").json()["pickups"] == []


@pytest.mark.parametrize("lead", ["-1", "61", "soon", "1e3"])
def test_a_bad_lead_time_is_a_422_problem(api: tuple[TestClient, int], lead: str) -> None:
    c, pid = api
    r = c.get(f"/api/v1/patients/{pid}/supply", params={"lead_days": lead})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_another_account_gets_404(sapp: FastAPI, api: tuple[TestClient, int]) -> None:
    _, pid = api
    accounts = sapp.state.journal_web.accounts()
    other = accounts.sign_up(f"x-{uuid.uuid4().hex[:8]}@example.org", "a long enough secret", "Other")
    with TestClient(sapp) as c:
        c.headers["authorization"] = f"Bearer {accounts.create_api_token(other, 'tests')[0]}"
        assert c.get(f"/api/v1/patients/{pid}/supply").status_code == 404
        assert c.post(f"/api/v1/patients/{pid}/pickups", json={"strength_mg": 300, "count": 9}).status_code == 404


def test_the_pages_show_pills_on_hand_and_take_a_pickup(sapp: FastAPI) -> None:
    with TestClient(sapp, base_url="http://testserver") as b:
        sign_up(b, f"p-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(b)
        today = b.get(f"/patients/{pid}/today").text
        assert f'hx-get="/patients/{pid}/supply/section"' in today and "Pills on hand" in today
        assert "No pick-up logged yet" in b.get(f"/patients/{pid}/supply/section").text
        page = b.get(f"/patients/{pid}/supply")
        assert page.status_code == 200 and f'action="/patients/{pid}/pickups"' in page.text
        token = form_token(page.text)
        bad = b.post(f"/patients/{pid}/pickups", data={"csrf_token": token, "strength_mg": "300", "count": "0"})
        assert bad.status_code == 422 and "count of 300 mg pieces must be from 1 to 1200" in bad.text
        ok = b.post(f"/patients/{pid}/pickups", data={"csrf_token": token, "strength_mg": "400", "count": "60"},
                    follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == f"/patients/{pid}/supply?saved=1"
        section = b.get(f"/patients/{pid}/supply/section").text
        assert "60</strong> × 400 mg capsules" in section
        assert b.post(f"/patients/{pid}/pickups", data={"strength_mg": "400", "count": "60"}).status_code == 403


def test_the_lead_time_is_kept_by_the_api_and_the_page(sapp: FastAPI, api: tuple[TestClient, int]) -> None:
    c, pid = api
    r = c.put(f"/api/v1/patients/{pid}/supply/lead-days", json={"lead_days": 21})
    assert r.status_code == 200 and r.json()["lead_days"] == 21
    assert c.get(f"/api/v1/patients/{pid}/supply").json()["lead_days"] == 21
    for bad in ({"lead_days": -1}, {"lead_days": 61}, {"lead_days": 2.5}, {"lead_days": "x"}, {}):
        r = c.put(f"/api/v1/patients/{pid}/supply/lead-days", json=bad)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), bad
    assert c.put(f"/api/v1/patients/{pid}/supply/lead-days", json={"lead_days": None}).json()["lead_days"] == 7

    with TestClient(sapp, base_url="http://testserver") as b:
        sign_up(b, f"l-{uuid.uuid4().hex[:8]}@example.org")
        own = add_patient(b)
        token = form_token(b.get(f"/patients/{own}/supply").text)
        bad = b.post(f"/patients/{own}/supply/lead-days", data={"csrf_token": token, "lead_days": "90"})
        assert bad.status_code == 422 and "from 0 to 60" in bad.text
        ok = b.post(f"/patients/{own}/supply/lead-days", data={"csrf_token": token, "lead_days": "3"},
                    follow_redirects=False)
        assert ok.status_code == 303
        page = b.get(ok.headers["location"]).text
        assert "Refill reminder time saved." in page and 'value="3"' in page
