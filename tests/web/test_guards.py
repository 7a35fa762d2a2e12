"""The request guards in-process: a bug still answers a problem with the security headers, a body
over the limit is a 413, a JSON lone surrogate a 400, a damaged database a 503, and dates are ISO text."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app
from gabacare.web.guards import classify, has_lone_surrogate

router = APIRouter()


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("a bug")


@router.get("/damaged")
def damaged() -> None:
    raise sqlite3.DatabaseError("file is not a database")


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(WebSettings(secret_key="guard-secret-key-0123456789", access_log=False, max_body_bytes=4096),
                     routers=[router])
    return TestClient(app, raise_server_exceptions=False)


def test_a_bug_answers_a_500_problem_with_the_security_headers(client: TestClient) -> None:
    r = client.get("/boom")
    assert r.status_code == 500 and r.json()["type"].endswith("/problems/internal")
    assert "a bug" not in r.text  # nothing about the request or the exception leaks
    assert r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"


def test_a_damaged_database_is_a_503(client: TestClient) -> None:
    r = client.get("/damaged")
    assert r.status_code == 503 and r.json()["type"].endswith("/problems/unavailable")
    assert r.headers["content-security-policy"]


def test_bodies_over_the_limit_are_413(client: TestClient) -> None:
    r = client.post("/api/v1/symptoms", json={"symptoms": ["dizzy " * 2000]})
    assert r.status_code == 413 and r.json()["type"].endswith("/problems/too-large")
    small = client.post("/api/v1/symptoms", json={"symptoms": ["dizzy"]})
    assert small.status_code == 200


@pytest.mark.parametrize("text", ['["\\udc80"]', '{"\\ud800": 1}', '["ok", {"a": ["\\udfff x"]}]'])
def test_lone_surrogates_are_400(client: TestClient, text: str) -> None:
    r = client.post("/api/v1/symptoms", content=f'{{"symptoms": {text}}}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["type"].endswith("/problems/invalid-request")


def test_a_surrogate_pair_is_fine(client: TestClient) -> None:
    r = client.post("/api/v1/symptoms", content='{"symptoms": ["dizzy \\ud83d\\ude00"]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 200


@pytest.mark.parametrize("start", [1700000000, "1700000000", 1.5, True, "05/01/2026"])
def test_dates_are_iso_text_only(client: TestClient, start: object) -> None:
    r = client.post("/api/v1/titrate", json={"indication": "phn", "start": start})
    assert r.status_code == 422, r.text
    ok = client.post("/api/v1/titrate", json={"indication": "phn", "start": "2026-01-05"})
    assert ok.status_code == 200


def test_helpers() -> None:
    assert has_lone_surrogate({"a": ["x", "\udc80"]}) and not has_lone_surrogate({"a": ["x", 1, None]})
    assert classify(UnicodeEncodeError("utf-8", "\udc80", 0, 1, "surrogates not allowed"))[0] == 400
    assert classify(ValueError("x"))[0] == 500
