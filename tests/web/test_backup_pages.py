"""The Backup page (issue 15, item 5) through the real app over real SQLite files: download an encrypted
backup of an account, restore it into another install's account (a fresh database), restore it again
(nothing added), and every bad input answered with the page and a 4xx, never a 500: a wrong passphrase,
an altered or cut file, a file too large (refused from Content-Length before the form is read, or while
reading it), no file, no CSRF token; audit rows for the export and the import."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.app.backup import MAX_BACKUP_BYTES

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, set_titration, sign_up

PASS = "our family passphrase"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("backup-home") / "journal.sqlite3")


@pytest.fixture
def other_install(tmp_path: Path) -> FastAPI:
    """A fresh GabaCare install: a new, empty SQLite file."""
    return make_app(tmp_path / "fresh.sqlite3")


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://testserver")


@pytest.fixture
def owner(home: FastAPI) -> Iterator[tuple[TestClient, list[int], str]]:
    """A signed-in account with two patients: one on a titration with an edited dose and a note, one empty."""
    email = f"bk-{uuid.uuid4().hex[:8]}@example.org"
    with _client(home) as c:
        sign_up(c, email)
        first = add_patient(c, "Cara Backup")
        set_titration(c, first)
        journal = home.state.journal_web.journal()
        dose = journal.log_dose(first, 300.0, prn=True)
        journal.edit_entry(first, dose.id, mg=200.0)
        journal.log_note(first, "slept badly")
        journal.log_questionnaire(first, "pain_nrs", [4])
        second = add_patient(c, "Dan Backup")
        yield c, [first, second], email


def download(c: TestClient, passphrase: str = PASS, repeat: str | None = None) -> bytes:
    page = c.get("/account/backup").text
    r = c.post("/account/backup", data={"csrf_token": form_token(page), "passphrase": passphrase,
                                        "repeat": passphrase if repeat is None else repeat})
    assert r.status_code == 200, r.text[:400]
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith('attachment; filename="gabacare-backup-')
    assert "no-store" in r.headers["cache-control"]
    return r.content


def upload(c: TestClient, data: bytes | None, passphrase: str = PASS, **extra: str) -> object:
    page = c.get("/account/backup").text
    fields = {"csrf_token": form_token(page), "passphrase": passphrase, **extra}
    files = None if data is None else {"file": ("backup.gcbackup", data, "application/octet-stream")}
    return c.post("/account/backup/restore", data=fields, files=files)


def _state(app: FastAPI, email: str) -> dict[str, list[str]]:
    """Each of the account's patients: the uids of its entries and questionnaires and its plan specs."""
    accounts, journal = app.state.journal_web.accounts(), app.state.journal_web.journal()
    user = accounts.repo.find_user(email)[0]
    return {p.name: sorted([e.uid for e in journal.entries(p.id)] + [q.uid for q in journal.repo.list_questionnaires(p.id)]
                           + [sp.plan.spec.to_text() for sp in journal.plans(p.id)])
            for p in accounts.patients_of(user)}


def test_the_page_is_linked_from_my_journal_and_carries_both_forms(owner: tuple[TestClient, list[int], str]) -> None:
    c, _, _ = owner
    assert 'href="/account/backup"' in c.get("/patients").text
    page = c.get("/account/backup")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    for words in ("Download encrypted backup", "Restore from a backup", 'enctype="multipart/form-data"',
                  'name="passphrase"', 'name="repeat"', 'name="file"', 'name="csrf_token"', "Keep the passphrase"):
        assert words in page.text, words


def test_download_then_restore_into_a_fresh_install_then_again(home: FastAPI, owner: tuple[TestClient, list[int], str],
                                                                 other_install: FastAPI) -> None:
    c, pids, email = owner
    data = download(c)
    assert data[:4] == b"GCBK" and b"Cara Backup" not in data
    with _client(other_install) as fresh:
        moved = f"moved-{uuid.uuid4().hex[:8]}@example.org"
        sign_up(fresh, moved)
        r = upload(fresh, data)
        assert r.status_code == 200, r.text[:400]  # type: ignore[attr-defined]
        assert "Restored." in r.text and "2 journal(s) created" in r.text  # type: ignore[attr-defined]
        assert _state(other_install, moved) == _state(home, email)  # same entries, questionnaires and plans
        again = upload(fresh, data)
        assert again.status_code == 200  # type: ignore[attr-defined]
        assert "0 journal(s) created, 2 already here" in again.text  # type: ignore[attr-defined]
        assert "0 entries and 0 plan(s) added" in again.text  # type: ignore[attr-defined]
        assert _state(other_install, moved) == _state(home, email)
        fresh_accounts = other_install.state.journal_web.accounts()
        new_ids = [p.id for p in other_install.state.journal_web.journal().list_patients()]
        actions = {(a.actor_kind, a.action, a.resource_kind) for pid in new_ids for a in fresh_accounts.repo.list_audit(pid)}
        assert {("user", "create", "patient"), ("user", "import", "patient")} <= actions
    home_accounts = home.state.journal_web.accounts()
    assert ("user", "export", "patient") in {(a.actor_kind, a.action, a.resource_kind)
                                             for a in home_accounts.repo.list_audit(pids[0])}


def test_bad_passphrases_for_a_new_backup_answer_422(owner: tuple[TestClient, list[int], str]) -> None:
    c, _, _ = owner
    page = c.get("/account/backup").text
    for passphrase, repeat, words in ((PASS, PASS + "x", "not the same"), ("short", "short", "at least")):
        r = c.post("/account/backup", data={"csrf_token": form_token(page), "passphrase": passphrase, "repeat": repeat})
        assert r.status_code == 422 and words in r.text and 'role="alert"' in r.text
        assert r.headers["content-type"].startswith("text/html")


def test_every_bad_restore_answers_the_page_with_a_4xx_and_writes_nothing(home: FastAPI,
                                                                          owner: tuple[TestClient, list[int], str]) -> None:
    c, _, email = owner
    data = download(c)
    before = _state(home, email)
    cases = [
        (upload(c, data, "not our passphrase"), 422, "passphrase is wrong"),
        (upload(c, data[:-1]), 422, "passphrase is wrong"),
        (upload(c, data[:40] + bytes([data[40] ^ 0x10]) + data[41:]), 422, "passphrase is wrong"),
        (upload(c, b"kind,at\n"), 422, "not a GabaCare backup"),
        (upload(c, b""), 422, "file is empty"),
        (upload(c, None), 422, "Choose a backup file"),
        (upload(c, b"GCBK" + b"\0" * MAX_BACKUP_BYTES), 413, "MiB"),  # read one byte past the limit, refused
    ]
    for r, status, words in cases:
        assert r.status_code == status, (status, r.text[:300])  # type: ignore[attr-defined]
        assert words in r.text, words  # type: ignore[attr-defined]
    assert _state(home, email) == before


def test_a_declared_oversize_upload_is_refused_before_the_form_is_read(owner: tuple[TestClient, list[int], str]) -> None:
    c, _, _ = owner
    page = c.get("/account/backup").text
    body = b"x" * (MAX_BACKUP_BYTES + 70 * 1024)
    r = c.post("/account/backup/restore", content=body, headers={
        "content-type": "multipart/form-data; boundary=zzz", "x-csrf-token": form_token(page)})
    assert r.status_code == 413 and "MiB" in r.text


def test_csrf_and_sign_in_are_required(home: FastAPI, owner: tuple[TestClient, list[int], str]) -> None:
    c, _, _ = owner
    r = c.post("/account/backup", data={"passphrase": PASS, "repeat": PASS})
    assert r.status_code == 403
    r = c.post("/account/backup/restore", data={"passphrase": PASS}, files={"file": ("b", b"GCBK", "x/y")})
    assert r.status_code == 403
    with _client(home) as stranger:
        r = stranger.get("/account/backup", follow_redirects=False)
        assert r.status_code == 303 and "/account/sign-in" in r.headers["location"]
