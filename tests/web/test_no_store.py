"""Private answers are never stored (issue 18: after sign-out, Back showed the journal): every path
under a private prefix, and any page seen while signed in, carries ``Cache-Control: no-store``;
public pages and static files stay cacheable."""

from __future__ import annotations

import re
import uuid

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app


@pytest.fixture
def client(tmp_path) -> TestClient:  # type: ignore[no-untyped-def]
    app = create_app(WebSettings(secret_key="nostore-secret-key-0123456789", access_log=False,
                                 db=f"sqlite:///{tmp_path / 'journal.sqlite3'}"))
    app.state.journal_web.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return TestClient(app, base_url="http://testserver")


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def test_public_pages_and_static_files_may_be_cached(client: TestClient) -> None:
    assert "no-store" not in client.get("/").headers.get("cache-control", "")
    assert "no-store" not in client.get("/static/gabacare.js").headers.get("cache-control", "")


def test_private_paths_and_signed_in_pages_are_never_stored(client: TestClient) -> None:
    assert "no-store" in client.get("/account/sign-in").headers["cache-control"]
    t = _token(client.get("/account/sign-up").text)
    client.post("/account/sign-up", data={"csrf_token": t, "email": f"n-{uuid.uuid4().hex[:6]}@example.org",
                                          "password": "a long enough secret", "display_name": "Ana"})
    r = client.post("/patients", data={"csrf_token": _token(client.get("/patients").text), "name": "Ana"})
    assert r.status_code == 200 and "no-store" in r.headers["cache-control"]
    assert "no-store" in client.get("/patients").headers["cache-control"]
    assert "no-store" in client.get("/").headers["cache-control"]  # signed in: even the home page
    assert "no-store" in client.get("/api/v1/limits?crcl=45").headers["cache-control"]
