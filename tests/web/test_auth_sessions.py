"""Sliding sessions (issue 18 item 4): "stay signed in on this device" keeps a browser signed in until
it has gone ``SESSION_REMEMBER_TTL`` without use, renewed at most once per ``SESSION_RENEW_EVERY``;
without the box a session lasts ``SESSION_TTL`` from sign-in, as before. Time is the accounts' clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.accounts.memory import InMemoryAccountRepository
from gabacare.accounts.model import AccountInputError
from gabacare.accounts.service import Accounts
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.settings import SESSION_TTL
from gabacare.web.security import SESSION_COOKIE
from gabacare.web.settings import SESSION_REMEMBER_TTL, SESSION_RENEW_EVERY

from .conftest import form_token
from .test_journal_pages import PASSWORD, make_app, sign_up


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def sapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("sessions") / "journal.sqlite3")


@pytest.fixture
def clock(sapp: FastAPI) -> Iterator[Clock]:
    accounts = sapp.state.journal_web.accounts()
    real, accounts.clock = accounts.clock, Clock()
    yield accounts.clock
    accounts.clock = real


def _signed_in(app: FastAPI, *, remember: bool) -> tuple[TestClient, str]:
    email = f"s-{uuid.uuid4().hex[:8]}@example.org"
    c = TestClient(app, base_url="http://testserver")
    sign_up(c, email)
    c.post("/account/sign-out", data={"csrf_token": form_token(c.get("/patients").text)})
    data = {"csrf_token": form_token(c.get("/account/sign-in").text), "email": email, "password": PASSWORD}
    r = c.post("/account/sign-in", data=data | ({"remember": "1"} if remember else {}), follow_redirects=False)
    assert r.status_code == 303, r.text
    return c, r.headers["set-cookie"]


def _signed_in_now(c: TestClient) -> bool:
    return c.get("/patients", follow_redirects=False).status_code == 200


def _session_cookie(headers: object) -> list[str]:
    return [v for k, v in headers.multi_items() if k == "set-cookie" and v.startswith(f"{SESSION_COOKIE}=")]  # type: ignore[attr-defined]


def test_the_sign_in_page_offers_the_box_and_says_what_it_does(sapp: FastAPI) -> None:
    with TestClient(sapp) as c:
        page = c.get("/account/sign-in").text
    assert 'type="checkbox" name="remember"' in page and "Stay signed in on this device" in page
    assert f"{SESSION_REMEMBER_TTL.days} days" in page and "shared computer" in page


def test_without_the_box_a_session_lasts_as_before_and_never_slides(sapp: FastAPI, clock: Clock) -> None:
    c, cookie = _signed_in(sapp, remember=False)
    assert f"Max-Age={int(SESSION_TTL.total_seconds())}" in cookie
    for _ in range(int(SESSION_TTL / SESSION_RENEW_EVERY) - 1):  # used every hour...
        clock.now += SESSION_RENEW_EVERY
        r = c.get("/patients", follow_redirects=False)
        assert r.status_code == 200 and not _session_cookie(r.headers)
    clock.now += 2 * SESSION_RENEW_EVERY  # ...and still over when SESSION_TTL is up
    assert not _signed_in_now(c)


def test_with_the_box_each_use_moves_the_end_and_renewal_is_hourly_at_most(sapp: FastAPI, clock: Clock) -> None:
    c, cookie = _signed_in(sapp, remember=True)
    assert f"Max-Age={int(SESSION_REMEMBER_TTL.total_seconds())}" in cookie
    session_id = c.cookies[SESSION_COOKIE]
    for _ in range(3):  # used every 20 days: 60 days in all, never signed out
        clock.now += timedelta(days=20)
        r = c.get("/patients", follow_redirects=False)
        assert r.status_code == 200
        renewed = _session_cookie(r.headers)
        assert len(renewed) == 1 and f"Max-Age={int(SESSION_REMEMBER_TTL.total_seconds())}" in renewed[0]
        assert "HttpOnly" in renewed[0] and f"{SESSION_COOKIE}={session_id};" in renewed[0]
    accounts = sapp.state.journal_web.accounts()
    from gabacare.accounts.service import _digest

    end = accounts.repo.get_session(_digest(session_id)).expires_at
    assert end == clock.now + SESSION_REMEMBER_TTL
    clock.now += SESSION_RENEW_EVERY / 2  # within the hour: no write, no cookie
    r = c.get("/patients", follow_redirects=False)
    assert r.status_code == 200 and not _session_cookie(r.headers)
    assert accounts.repo.get_session(_digest(session_id)).expires_at == end
    clock.now += SESSION_RENEW_EVERY  # past it: renewed again
    assert _session_cookie(c.get("/patients", follow_redirects=False).headers)
    clock.now += SESSION_REMEMBER_TTL + timedelta(seconds=1)  # a month unused: signed out
    assert not _signed_in_now(c)


def test_a_route_that_sets_the_cookie_itself_is_not_overridden_by_the_renewal(sapp: FastAPI, clock: Clock) -> None:
    c, _ = _signed_in(sapp, remember=True)
    first = c.cookies[SESSION_COOKIE]
    clock.now += timedelta(days=2)  # the password page's request renews the session...
    page = c.get("/account/password")
    new = "another long secret phrase 42"
    clock.now += timedelta(days=2)  # ...and so does the change itself, which also sets a fresh session
    r = c.post("/account/password", data={"csrf_token": form_token(page.text), "current": PASSWORD, "new": new,
                                          "repeat": new})
    cookies = _session_cookie(r.headers)
    assert r.status_code == 200 and len(cookies) == 1 and f"{SESSION_COOKIE}={first};" not in cookies[0]
    clock.now += timedelta(days=1)
    r = c.post("/account/sign-out", data={"csrf_token": form_token(c.get("/patients").text)}, follow_redirects=False)
    cookies = _session_cookie(r.headers)
    assert len(cookies) == 1 and ("max-age=0" in cookies[0].lower() or "expires=" in cookies[0].lower())
    c.cookies.set(SESSION_COOKIE, first)
    assert not _signed_in_now(c)


def test_renew_session_rules() -> None:
    mem = InMemoryJournalRepository()
    clock = Clock()
    from argon2 import PasswordHasher

    accounts = Accounts(InMemoryAccountRepository(mem), clock, password_hasher=PasswordHasher(1, 8, 1))
    user = accounts.sign_up("r@example.org", PASSWORD, "R")
    ordinary, _ = accounts.start_session(user)
    remembered, _ = accounts.start_session(user, SESSION_REMEMBER_TTL)
    clock.now += SESSION_RENEW_EVERY
    assert accounts.renew_session(ordinary, SESSION_REMEMBER_TTL, SESSION_RENEW_EVERY) is None
    renewed = accounts.renew_session(remembered, SESSION_REMEMBER_TTL, SESSION_RENEW_EVERY)
    assert renewed is not None and renewed.expires_at == clock.now + SESSION_REMEMBER_TTL
    assert accounts.renew_session(remembered, SESSION_REMEMBER_TTL, SESSION_RENEW_EVERY) is None  # just done
    assert accounts.renew_session("no-such-session", SESSION_REMEMBER_TTL, SESSION_RENEW_EVERY) is None
    accounts.end_session(remembered)
    clock.now += 2 * SESSION_RENEW_EVERY
    assert accounts.renew_session(remembered, SESSION_REMEMBER_TTL, SESSION_RENEW_EVERY) is None  # revoked
    with pytest.raises(AccountInputError):
        accounts.renew_session(remembered, timedelta(days=365), SESSION_RENEW_EVERY)


def test_a_password_change_keeps_the_stay_signed_in_choice(sapp: FastAPI, clock: Clock) -> None:
    for remember, ttl in ((True, SESSION_REMEMBER_TTL), (False, SESSION_TTL)):
        c, _ = _signed_in(sapp, remember=remember)
        page = c.get("/account/password").text
        new = "another long secret phrase 42"
        r = c.post("/account/password", data={"csrf_token": form_token(page), "current": PASSWORD, "new": new,
                                              "repeat": new})
        cookies = _session_cookie(r.headers)
        assert r.status_code == 200 and len(cookies) == 1 and f"Max-Age={int(ttl.total_seconds())}" in cookies[0]


def test_a_database_that_cannot_be_written_skips_the_renewal_not_the_page(sapp: FastAPI, clock: Clock,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from gabacare.journal.errors import JournalStorageError

    c, _ = _signed_in(sapp, remember=True)
    repo = sapp.state.journal_web.accounts().repo

    def read_only(*_: object) -> None:
        raise JournalStorageError("attempt to write a readonly database")

    monkeypatch.setattr(repo, "extend_session", read_only)
    clock.now += timedelta(days=3)
    r = c.get("/patients", follow_redirects=False)
    assert r.status_code == 200 and not _session_cookie(r.headers)
