"""``/api/v1/patients``: bearer tokens and session+CSRF, the CLI's JSON keys, owner scoping, audit."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import form_token
from .test_journal_pages import make_app, sign_up


@pytest.fixture(scope="module")
def japp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("journal-api") / "journal.sqlite3")


def new_token(app: FastAPI) -> str:
    accounts = app.state.journal_web.accounts()
    user = accounts.sign_up(f"api-{uuid.uuid4().hex[:8]}@example.org", "a long enough secret", "Script Owner")
    return str(accounts.create_api_token(user, "tests")[0])


@pytest.fixture
def api(japp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    """A client with a bearer token and one patient on a titration plan that started three days ago."""
    with TestClient(japp) as c:
        c.headers["authorization"] = f"Bearer {new_token(japp)}"
        r = c.post("/api/v1/patients", json={"name": "Ana", "birth_date": "1961-03-04", "sex": "female", "weight_kg": 70})
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        start = (date.today() - timedelta(days=3)).isoformat()
        r = c.put(f"/api/v1/patients/{pid}/plan", json={"source": "titrate", "indication": "phn", "start": start})
        assert r.status_code == 200, r.text
        yield c, pid


def test_without_credentials_the_api_answers_401_problems(japp: FastAPI) -> None:
    with TestClient(japp) as c:
        r = c.get("/api/v1/patients")
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert c.get("/api/v1/patients", headers={"authorization": "Bearer nope"}).status_code == 401


def test_patients_and_plan_use_the_cli_keys(api: tuple[TestClient, int]) -> None:
    c, pid = api
    listing = c.get("/api/v1/patients").json()
    assert [p["id"] for p in listing["patients"]] == [pid]
    assert set(listing["patients"][0]) >= {"id", "name", "birth_date", "sex", "weight_kg", "created_at"}
    plan = c.get(f"/api/v1/patients/{pid}/plan").json()
    assert plan["kind"] == "titration" and plan["patient"] == pid and plan["spec"]["source"] == "titrate"
    assert plan["days"][0]["doses"][0]["units"] and plan["citations"]


def test_logging_and_views_answer_like_the_cli(api: tuple[TestClient, int]) -> None:
    c, pid = api
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    first = c.get(f"/api/v1/patients/{pid}/today", params={"date": yesterday}).json()["doses"][0]
    r = c.post(f"/api/v1/patients/{pid}/doses", json={"mg": first["mg"], "at": first["at"]})
    assert r.status_code == 201 and r.json()["kind"] == "dose" and r.json()["status"] == "taken"
    assert c.post(f"/api/v1/patients/{pid}/symptoms", json={"scale": "pain", "score": 4}).status_code == 201
    assert c.post(f"/api/v1/patients/{pid}/triggers", json={"tag": "cold"}).status_code == 201
    assert c.post(f"/api/v1/patients/{pid}/notes", json={"text": "fine"}).status_code == 201
    se = c.post(f"/api/v1/patients/{pid}/side-effects", json={"text": "trouble breathing"}).json()
    assert se["emergency"] is True and se["advice"] and se["citations"]
    lab = c.post(f"/api/v1/patients/{pid}/labs", json={"value": 1.0}).json()
    assert lab["renal"]["crcl_ml_min"] > 0 and lab["renal_skipped"] is None
    adh = c.get(f"/api/v1/patients/{pid}/adherence").json()
    assert {"adherence_pct", "scheduled", "taken", "on_time_pct", "on_time", "longest_missed_streak", "weeks"} <= set(adh)
    assert adh["taken"] == 1
    trends = c.get(f"/api/v1/patients/{pid}/trends").json()
    assert trends["scales"]["pain"][0]["mean"] == 4 and "dose_response" in trends
    kinds = {e["kind"] for e in c.get(f"/api/v1/patients/{pid}/entries").json()["entries"]}
    assert kinds == {"dose", "symptom", "trigger", "note", "side_effect", "lab"}
    only = c.get(f"/api/v1/patients/{pid}/entries", params={"kind": "note"}).json()["entries"]
    assert [e["text"] for e in only] == ["fine"]
    export = c.get(f"/api/v1/patients/{pid}/export", params={"format": "csv"}).json()
    assert export["format"] == "csv" and "trouble breathing" in export["content"]


def test_bad_input_is_a_422_problem_and_nothing_is_written(api: tuple[TestClient, int]) -> None:
    c, pid = api
    r = c.post(f"/api/v1/patients/{pid}/symptoms", json={"scale": "pain", "score": 11})
    assert r.status_code == 422 and r.json()["type"].endswith("/problems/journal-input")
    assert "between 0 and 10" in r.json()["detail"]
    r = c.put(f"/api/v1/patients/{pid}/plan", json={"source": "regimen", "regimen": "plenty"})
    assert r.status_code == 422
    r = c.put(f"/api/v1/patients/{pid}/plan", json={"source": "regimen", "regimen": "10000 mg TID"})
    assert r.status_code == 422 and "the most one dose can be" in r.json()["detail"]
    r = c.get(f"/api/v1/patients/{pid}/adherence", params={"from": "1900-01-01", "to": "2999-01-01"})
    assert r.status_code == 422
    assert c.get(f"/api/v1/patients/{pid}/entries").json()["entries"] == []


def test_another_accounts_patient_is_404_on_every_route(japp: FastAPI, api: tuple[TestClient, int]) -> None:
    _, pid = api
    with TestClient(japp, headers={"authorization": f"Bearer {new_token(japp)}"}) as other:
        for path in ("/plan", "/today", "/adherence", "/trends", "/entries", "/export"):
            assert other.get(f"/api/v1/patients/{pid}{path}").status_code == 404, path
        for path, body in (("/doses", {"mg": 300}), ("/symptoms", {"scale": "pain", "score": 1}),
                           ("/triggers", {"tag": "x"}), ("/side-effects", {"text": "x"}), ("/labs", {"value": 1}),
                           ("/notes", {"text": "x"})):
            assert other.post(f"/api/v1/patients/{pid}{path}", json=body).status_code == 404, path
        assert other.put(f"/api/v1/patients/{pid}/plan", json={"source": "regimen", "regimen": "300 mg TID"}).status_code == 404
        assert other.get("/api/v1/patients").json() == {"patients": []}


def test_token_use_is_audited_under_the_token(japp: FastAPI, api: tuple[TestClient, int]) -> None:
    c, pid = api
    c.get(f"/api/v1/patients/{pid}/export")
    audit = japp.state.journal_web.accounts().repo.list_audit(pid)
    assert {(a.actor_kind, a.action, a.resource_kind) for a in audit} >= {
        ("user", "create", "patient"), ("token", "create", "plan"), ("token", "export", "entry")}


def test_a_browser_session_can_use_the_api_with_a_csrf_header(japp: FastAPI) -> None:
    with TestClient(japp) as browser:
        sign_up(browser, f"web-{uuid.uuid4().hex[:8]}@example.org")
        assert browser.get("/api/v1/patients").status_code == 200
        assert browser.post("/api/v1/patients", json={"name": "Bo"}).status_code == 403
        token = form_token(browser.get("/patients").text)
        r = browser.post("/api/v1/patients", json={"name": "Bo"}, headers={"x-csrf-token": token})
        assert r.status_code == 201


def test_a_bearer_header_is_never_combined_with_the_session_cookie(japp: FastAPI) -> None:
    with TestClient(japp) as browser:
        sign_up(browser, f"mix-{uuid.uuid4().hex[:8]}@example.org")
        # A forged bearer would skip CSRF; it must not borrow the cookie's session instead.
        r = browser.post("/api/v1/patients", json={"name": "Bo"}, headers={"authorization": "Bearer forged"})
        assert r.status_code == 401


def test_journal_routes_are_in_the_openapi_schema_with_problems(japp: FastAPI) -> None:
    with TestClient(japp) as c:
        paths = c.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/patients", "/api/v1/patients/{patient_id}/plan", "/api/v1/patients/{patient_id}/today",
            "/api/v1/patients/{patient_id}/side-effects", "/api/v1/patients/{patient_id}/export"} <= set(paths)
    assert "404" in paths["/api/v1/patients/{patient_id}/today"]["get"]["responses"]
    assert not any(re.match(r"^/(patients|shared|account)", p) for p in paths), "pages stay out of the API schema"
