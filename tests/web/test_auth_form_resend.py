"""A form sent with an old CSRF token is not lost (issue 18 item 4): the page comes back with what was
typed in a form with a fresh token and one "Send again" button; a forged token is still refused
without echoing anything; passwords and codes never come back; a restart keeps open forms valid."""

from __future__ import annotations

import html
import re
import time
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.web import WebSettings, create_app
from gabacare.web.security import CSRF_COOKIE, CsrfSigner

from .conftest import form_token
from .test_journal_pages import PASSWORD, add_patient, make_app, sign_up

HTML = {"accept": "text/html"}
KEY = "journal-secret-key-0123456789"  # make_app's key


@pytest.fixture(scope="module")
def rapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("resend") / "journal.sqlite3")


def old_token(client: TestClient, key: str = KEY, hours: float = 9) -> str:
    """A token this browser's page would have carried ``hours`` ago (validly signed, bound to its nonce)."""
    then = time.time() - hours * 3600
    return CsrfSigner(key, 8 * 3600, clock=lambda: then).token_for(client.cookies[CSRF_COOKIE])


def side_effects(app: FastAPI, patient_id: int) -> list[str]:
    journal = app.state.journal_web.journal()
    return [e.data.text for e in journal.entries(patient_id, kinds=["side_effect"])]


def resend_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and the fields of the "Send again" form on a page."""
    form = re.search(r'<form method="post" action="([^"]+)" class="account-form" id="resend-form">(.*?)</form>', page, re.S)
    assert form, page
    fields = {m.group(1): html.unescape(m.group(2))
              for m in re.finditer(r'<input id="resend-\d+" name="([^"]+)" type="text" value="([^"]*)"', form.group(2))}
    fields |= {m.group(1): html.unescape(m.group(2))
               for m in re.finditer(r'<textarea id="resend-\d+" name="([^"]+)" rows="4">(.*?)</textarea>',
                                    form.group(2), re.S)}
    fields["csrf_token"] = form_token(form.group(2))
    return html.unescape(form.group(1)), fields


def test_an_old_token_brings_the_note_back_and_one_click_stores_it_once(rapp: FastAPI) -> None:
    note = 'dizzy after the 14:00 dose <b>& "unsteady"</b>'
    with TestClient(rapp, base_url="http://testserver") as c:
        sign_up(c, f"r-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(c)
        c.get(f"/patients/{pid}/log")
        r = c.post(f"/patients/{pid}/side-effects", data={"csrf_token": old_token(c), "text": note}, headers=HTML,
                   follow_redirects=False)
        assert r.status_code == 403
        assert "Send again" in r.text and "Nothing was saved" in r.text
        assert "<b>&" not in r.text and "&lt;b&gt;" in r.text  # escaped, never markup
        assert side_effects(rapp, pid) == []  # nothing stored by the refused post
        action, fields = resend_form(r.text)
        assert action == f"/patients/{pid}/side-effects"
        assert fields["text"] == note
        assert CsrfSigner(KEY, 8 * 3600).valid(fields["csrf_token"], c.cookies[CSRF_COOKIE])  # a fresh token
        again = c.post(action, data=fields, headers=HTML)
        assert again.status_code == 200, again.text[:300]
        assert side_effects(rapp, pid) == [note]  # exactly one entry


def test_a_forged_token_is_refused_and_nothing_is_echoed(rapp: FastAPI) -> None:
    marker = f"secret-note-{uuid.uuid4().hex}"
    with TestClient(rapp, base_url="http://testserver") as c:
        sign_up(c, f"r-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(c)
        c.get(f"/patients/{pid}/log")
        forged = [old_token(c, key="another-key-0123456789abcdef"), "forged.token.value", ""]
        with TestClient(rapp, base_url="http://testserver") as other:
            other.get("/account/sign-in")
            forged.append(old_token(other))  # validly signed and old, but another browser's nonce
        for token in forged:
            r = c.post(f"/patients/{pid}/side-effects", data={"csrf_token": token, "text": marker}, headers=HTML)
            assert r.status_code == 403 and marker not in r.text and "Send again" not in r.text
        assert side_effects(rapp, pid) == []


def test_passwords_and_codes_never_come_back(rapp: FastAPI) -> None:
    email = f"r-{uuid.uuid4().hex[:8]}@example.org"
    with TestClient(rapp, base_url="http://testserver") as c:
        sign_up(c, email)
        c.post("/account/sign-out", data={"csrf_token": form_token(c.get("/patients").text)})
        c.get("/account/sign-in")
        r = c.post("/account/sign-in", data={"csrf_token": old_token(c), "email": email, "password": PASSWORD,
                                             "remember": "1"}, headers=HTML)
        assert r.status_code == 403 and PASSWORD not in r.text
        assert html.escape(email) in r.text
        assert re.search(r'name="password" type="password"', r.text)  # an empty box to type it again
        action, fields = resend_form(r.text)
        assert action == "/account/sign-in" and "password" not in fields and fields["remember"] == "1"
        again = c.post(action, data=fields | {"password": PASSWORD}, follow_redirects=False)
        assert again.status_code == 303  # signed in with one click (and the password typed again)
        new = "a different long secret phrase"
        r = c.post("/account/reset", data={"csrf_token": old_token(c), "email": email, "code": "ABCD-EFGH-JKMN-PQRS",
                                           "new": new, "repeat": new}, headers=HTML)
        assert r.status_code == 403 and new not in r.text and "ABCD-EFGH" not in r.text


def test_an_htmx_form_gets_the_section_alone_and_a_json_caller_a_problem(rapp: FastAPI) -> None:
    with TestClient(rapp, base_url="http://testserver") as c:
        c.get("/symptoms")
        r = c.post("/symptoms", data={"symptoms": "swollen lips", "csrf_token": old_token(c)},
                   headers={"hx-request": "true"})
        assert r.status_code == 403 and "<html" not in r.text and "Send again" in r.text and "swollen lips" in r.text
        r = c.post("/symptoms", data={"symptoms": "swollen lips", "csrf_token": old_token(c)},
                   headers={"accept": "application/json"})
        assert r.status_code == 403 and r.json()["type"].endswith("/problems/csrf") and "swollen" not in r.text


def test_a_file_field_cannot_be_echoed_so_the_page_sends_people_back(rapp: FastAPI) -> None:
    with TestClient(rapp, base_url="http://testserver") as c:
        c.get("/symptoms")
        r = c.post("/symptoms", data={"csrf_token": old_token(c), "symptoms": "rash"},
                   files={"upload": ("x.csv", b"a,b\n")}, headers=HTML)
        assert r.status_code == 403 and "choose the file again" in r.text and "Send again" not in r.text


def test_a_huge_form_is_refused_as_before_rather_than_half_echoed(rapp: FastAPI) -> None:
    with TestClient(rapp, base_url="http://testserver") as c:
        c.get("/symptoms")
        r = c.post("/symptoms", data={"csrf_token": old_token(c), "symptoms": "x" * 100_000}, headers=HTML)
        assert r.status_code == 403 and "Send again" not in r.text and "xxxxxxxx" not in r.text


def test_a_token_signed_with_a_retired_key_comes_back_as_expired(tmp_path: Path) -> None:
    settings = WebSettings(secret_key="the-new-key-0123456789abcdef", previous_secret_keys="the-old-key-0123456789abcdef",
                           access_log=False, db=f"sqlite:///{tmp_path / 'j.sqlite3'}")  # type: ignore[arg-type]
    with TestClient(create_app(settings)) as c:
        c.get("/symptoms")
        fresh_old_key = CsrfSigner("the-old-key-0123456789abcdef", 60).token_for(c.cookies[CSRF_COOKIE])
        r = c.post("/symptoms", data={"csrf_token": fresh_old_key, "symptoms": "rash"}, headers=HTML)
        assert r.status_code == 403 and "Send again" in r.text and 'value="rash"' in r.text


def test_a_restart_keeps_open_forms_valid(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    first = create_app(WebSettings(access_log=False, db=db))  # type: ignore[call-arg]
    with TestClient(first) as c:
        token = form_token(c.get("/symptoms").text)
        nonce = c.cookies[CSRF_COOKIE]
    key_file = tmp_path / "journal.sqlite3.form-key"
    assert key_file.exists() and key_file.stat().st_mode & 0o077 == 0  # owner-only
    restarted = create_app(WebSettings(access_log=False, db=db))  # type: ignore[call-arg]
    with TestClient(restarted) as c:
        c.cookies.set(CSRF_COOKIE, nonce)
        r = c.post("/symptoms", data={"symptoms": "dizzy", "csrf_token": token})
        assert r.status_code == 200 and "Dizziness" in r.text


def test_the_nonce_cookie_outlives_a_browser_restart(client: TestClient) -> None:
    cookie = client.get("/plan/titrate").headers["set-cookie"]
    assert "Max-Age=2592000" in cookie  # 30 days: as long as the longest session


def test_verdicts() -> None:
    signer = CsrfSigner("k" * 32, max_age_s=60, clock=lambda: 1_000_000.0)
    nonce = signer.new_nonce()
    token = signer.token_for(nonce)
    assert signer.verdict(token, nonce) == "ok"
    later = CsrfSigner("k" * 32, max_age_s=60, clock=lambda: 1_000_061.0)
    assert later.verdict(token, nonce) == "expired"
    assert later.verdict(token, signer.new_nonce()) == "forged"
    assert later.verdict(token[:-2] + "xx", nonce) == "forged"
    assert CsrfSigner("o" * 32, 60, previous_keys=("k" * 32,)).verdict(token, nonce) == "expired"
    assert CsrfSigner("o" * 32, 60).verdict(token, nonce) == "forged"


def test_signed_out_meanwhile_the_page_says_sign_in_in_another_tab_and_the_resend_then_works(rapp: FastAPI) -> None:
    email = f"r-{uuid.uuid4().hex[:8]}@example.org"
    with TestClient(rapp, base_url="http://testserver") as c:
        sign_up(c, email)
        pid = add_patient(c)
        c.get(f"/patients/{pid}/log")
        c.post("/account/sign-out", data={"csrf_token": form_token(c.get("/patients").text)})  # the session ends
        r = c.post(f"/patients/{pid}/side-effects", data={"csrf_token": old_token(c), "text": "a rash"}, headers=HTML)
        assert r.status_code == 403 and "You were signed out meanwhile" in r.text
        action, fields = resend_form(r.text)
        token = form_token(c.get("/account/sign-in").text)  # "another tab": same browser, same nonce
        c.post("/account/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
        assert c.post(action, data=fields, headers=HTML).status_code == 200
        assert side_effects(rapp, pid) == ["a rash"]


_NAMES = st.sampled_from(["text", "note", "password", "new_password", "current", "new", "repeat", "code", "token",
                          "csrf_token", "slot", "status", "Password2"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_NAMES, st.text(max_size=40)), max_size=30))
def test_what_comes_back_is_every_text_field_in_order_and_no_secret(items: list[tuple[str, str]]) -> None:
    from starlette.datastructures import FormData

    from gabacare.web.security import _is_secret, _resend_fields

    kept = _resend_fields(FormData(items))
    assert kept is not None
    fields, secret_names, files = kept
    assert fields == [(n, v) for n, v in items if n != "csrf_token" and not _is_secret(n)]
    assert all(_is_secret(n) for n in secret_names) and files == []
    assert not any("password" in n.lower() or n in ("current", "new", "repeat", "code", "token", "csrf_token")
                   for n, _ in fields)
