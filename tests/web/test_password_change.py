"""Changing the password in the browser (issue 18 item 4): the current password is checked, other
sessions end while this browser stays signed in, weak or mismatched new passwords are refused."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import form_token
from .test_journal_pages import PASSWORD, make_app, sign_up

OLD, NEW = PASSWORD, "another long secret phrase 42"


@pytest.fixture(scope="module")
def papp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("password") / "journal.sqlite3")


def _signed_in(app: FastAPI, email: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver")
    page = c.get("/account/sign-in").text
    r = c.post("/account/sign-in", data={"csrf_token": form_token(page), "email": email, "password": OLD})
    assert r.status_code in (200, 303), r.text
    return c


def test_the_password_changes_other_sessions_end_and_this_one_stays(papp: FastAPI) -> None:
    email = f"p-{uuid.uuid4().hex[:8]}@example.org"
    with TestClient(papp, base_url="http://testserver") as c:
        sign_up(c, email)
        other = _signed_in(papp, email)
        assert other.get("/patients").status_code == 200
        page = c.get("/account/password").text
        r = c.post("/account/password", data={"csrf_token": form_token(page), "current": OLD, "new": NEW,
                                              "repeat": NEW})
        assert r.status_code == 200 and "Your password is changed" in r.text
        assert c.get("/patients").status_code == 200  # this browser: a fresh session
        assert other.get("/patients", follow_redirects=False).status_code == 303  # the other one: signed out
        accounts = papp.state.journal_web.accounts()
        assert accounts.authenticate(email, NEW) is not None and accounts.authenticate(email, OLD) is None


@pytest.mark.parametrize(("current", "new", "repeat", "why"), [
    ("wrong password here", NEW, NEW, "current password"),
    (OLD, NEW, NEW + "x", "not the same"),
    (OLD, "short", "short", "password"),
    (OLD, OLD, OLD, "differ"),
])
def test_a_bad_change_is_refused_and_nothing_changes(papp: FastAPI, current: str, new: str, repeat: str,
                                                    why: str) -> None:
    email = f"p-{uuid.uuid4().hex[:8]}@example.org"
    with TestClient(papp, base_url="http://testserver") as c:
        sign_up(c, email)
        page = c.get("/account/password").text
        r = c.post("/account/password", data={"csrf_token": form_token(page), "current": current, "new": new,
                                              "repeat": repeat})
        assert r.status_code == 422 and why in r.text
        assert papp.state.journal_web.accounts().authenticate(email, OLD) is not None


def test_signed_out_is_sent_to_sign_in_and_csrf_is_required(papp: FastAPI) -> None:
    with TestClient(papp, base_url="http://testserver") as c:
        assert c.get("/account/password", follow_redirects=False).status_code == 303
        sign_up(c, f"p-{uuid.uuid4().hex[:8]}@example.org")
        assert c.post("/account/password", data={"current": OLD, "new": NEW, "repeat": NEW}).status_code == 403
