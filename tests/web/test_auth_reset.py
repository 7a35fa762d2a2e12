"""Password reset by a printed one-time code (issue 18 item 4): ``gabacare account reset-code`` on the
machine prints a code; ``/account/reset`` takes the e-mail, the code and a new password, once, within
``RESET_CODE_TTL``, counted by the sign-in limiters; the account's other sessions end."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gabacare.cli import app as cli_app
from gabacare.web.settings import RESET_CODE_TTL

from .conftest import form_token
from .test_journal_pages import PASSWORD, make_app, sign_up

NEW = "a brand new long passphrase"
runner = CliRunner()


@pytest.fixture(scope="module")
def db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reset") / "journal.sqlite3"


@pytest.fixture(scope="module")
def rapp(db_file: Path) -> FastAPI:
    return make_app(db_file, signin_attempts=3)


def _account(app: FastAPI) -> tuple[str, TestClient]:
    email = f"z-{uuid.uuid4().hex[:8]}@example.org"
    c = TestClient(app, base_url="http://testserver")
    sign_up(c, email)
    return email, c


def _reset(c: TestClient, email: str, code: str, new: str = NEW, repeat: str | None = None):  # type: ignore[no-untyped-def]
    token = form_token(c.get("/account/reset").text)
    return c.post("/account/reset", data={"csrf_token": token, "email": email, "code": code, "new": new,
                                          "repeat": new if repeat is None else repeat}, follow_redirects=False)


def _cli_code(db_file: Path, email: str) -> str:
    result = runner.invoke(cli_app, ["account", "reset-code", "--email", email, "--db", f"sqlite:///{db_file}"])
    assert result.exit_code == 0, result.stderr
    code = result.stdout.strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code), code
    return code


def test_a_printed_code_resets_the_password_once_and_signs_out_everywhere_else(rapp: FastAPI, db_file: Path) -> None:
    email, elsewhere = _account(rapp)
    assert elsewhere.get("/patients", follow_redirects=False).status_code == 200
    code = _cli_code(db_file, email)
    with TestClient(rapp, base_url="http://testserver") as c:
        r = _reset(c, email, code.lower().replace("-", " "))  # case and separators do not count
        assert r.status_code == 303 and r.headers["location"] == "/patients"
        assert c.get("/patients", follow_redirects=False).status_code == 200  # this browser: signed in
    assert elsewhere.get("/patients", follow_redirects=False).status_code == 303  # the other: signed out
    accounts = rapp.state.journal_web.accounts()
    assert accounts.authenticate(email, NEW) is not None and accounts.authenticate(email, PASSWORD) is None
    with TestClient(rapp, base_url="http://testserver") as c:
        r = _reset(c, email, code, new="yet another long passphrase")
        assert r.status_code == 422 and "already used" in r.text  # single use
    assert accounts.authenticate(email, NEW) is not None


def test_an_expired_code_is_refused(rapp: FastAPI) -> None:
    email, _ = _account(rapp)
    accounts = rapp.state.journal_web.accounts()
    _, code, expires_at = accounts.issue_reset_code(email, RESET_CODE_TTL)
    real = accounts.clock
    accounts.clock = lambda: expires_at + timedelta(seconds=1)
    try:
        with TestClient(rapp, base_url="http://testserver") as c:
            r = _reset(c, email, code)
            assert r.status_code == 422 and "expired" in r.text
    finally:
        accounts.clock = real
    assert accounts.authenticate(email, PASSWORD) is not None


def test_a_code_works_only_for_its_own_account(rapp: FastAPI, db_file: Path) -> None:
    email, _ = _account(rapp)
    other, _ = _account(rapp)
    code = _cli_code(db_file, email)
    with TestClient(rapp, base_url="http://testserver") as c:
        assert _reset(c, other, code).status_code == 422
        assert _reset(c, "nobody-here@example.org", code).status_code == 422
        assert _reset(c, email, code).status_code == 303


def test_a_weak_or_mismatched_new_password_does_not_spend_the_code(rapp: FastAPI, db_file: Path) -> None:
    email, _ = _account(rapp)
    code = _cli_code(db_file, email)
    with TestClient(rapp, base_url="http://testserver") as c:
        r = _reset(c, email, code, new="short", repeat="short")
        assert r.status_code == 422 and "at least" in r.text
        assert _reset(c, email, code, repeat=NEW + "x").status_code == 422
        assert _reset(c, email, code).status_code == 303


def test_wrong_codes_are_counted_by_the_sign_in_limiter(rapp: FastAPI, db_file: Path) -> None:
    email, _ = _account(rapp)
    code = _cli_code(db_file, email)
    with TestClient(rapp, base_url="http://testserver") as c:
        for _ in range(3):  # signin_attempts=3
            assert _reset(c, email, "AAAA-AAAA-AAAA-AAAA").status_code == 422
        r = _reset(c, email, code)  # the right code, but the limit is reached
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        token = form_token(c.get("/account/sign-in").text)  # the same count as sign-in
        r = c.post("/account/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
        assert r.status_code == 429
    assert rapp.state.journal_web.accounts().authenticate(email, PASSWORD) is not None


def test_the_sign_in_page_says_where_a_code_comes_from(rapp: FastAPI) -> None:
    with TestClient(rapp) as c:
        sign_in = c.get("/account/sign-in").text
        page = c.get("/account/reset").text
    assert 'href="/account/reset"' in sign_in and "Forgot your password?" in sign_in
    assert "gabacare account reset-code" in sign_in and "machine that runs" in sign_in
    assert "gabacare account reset-code --email" in page and f"{int(RESET_CODE_TTL.total_seconds() // 60)} minutes" in page


def test_the_cli_refuses_an_unknown_email_with_exit_2_and_one_line(db_file: Path, rapp: FastAPI) -> None:
    for email in ("nobody@example.org", "not an address"):
        result = runner.invoke(cli_app, ["account", "reset-code", "--email", email, "--db", f"sqlite:///{db_file}"])
        assert result.exit_code == 2 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gabacare: error:") and "Traceback" not in result.stderr


def test_the_cli_json_names_the_code_and_its_expiry(db_file: Path, rapp: FastAPI) -> None:
    email, _ = _account(rapp)
    result = runner.invoke(cli_app, ["account", "reset-code", "--email", email, "--db", f"sqlite:///{db_file}",
                                     "--json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"account_id", "code", "expires_at", "valid_minutes"}
    assert out["valid_minutes"] == int(RESET_CODE_TTL.total_seconds() // 60)


def test_only_a_hash_of_the_code_is_stored(rapp: FastAPI, db_file: Path) -> None:
    import sqlalchemy as sa

    email, _ = _account(rapp)
    code = _cli_code(db_file, email)
    engine = sa.create_engine(f"sqlite:///{db_file}")
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(sa.text("SELECT jti_digest FROM web_seen_jti"))]
    engine.dispose()
    assert rows and all(r.startswith("r:") for r in rows)
    assert not any(code.replace("-", "") in r or code in r for r in rows)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=16, max_size=16),
       st.lists(st.sampled_from(["", " ", "-", "  "]), min_size=4, max_size=4), st.booleans())
def test_a_code_is_read_whatever_its_case_and_separators(code: str, seps: list[str], lower: bool) -> None:
    from gabacare.accounts.service import Accounts

    typed = "".join(sep + code[i:i + 4] for sep, i in zip(seps, range(0, 16, 4), strict=True))
    assert Accounts._normal_code(typed.lower() if lower else typed) == code
