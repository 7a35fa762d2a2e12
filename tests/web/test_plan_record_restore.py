"""The restore upload (the web's door for a journal export, inside an encrypted backup) keeps each plan as
it was made, and answers a backup whose plan record was tampered with by the page and a 422 naming the
line, writing nothing (issue 18 item 7)."""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from gabacare.app import backup
from gabacare.app.backup import KdfParams

from .test_backup_pages import PASS, _client, _state, download, upload
from .test_journal_pages import add_patient, make_app, set_titration, sign_up


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("record-home") / "journal.sqlite3")


def _plans(app: FastAPI, email: str) -> list[tuple[Any, ...]]:
    accounts, journal = app.state.journal_web.accounts(), app.state.journal_web.journal()
    user = accounts.repo.find_user(email)[0]
    return [(sp.plan.made, sp.plan.doses) for p in accounts.patients_of(user) for sp in journal.plans(p.id)]


def _huge_dose(record: dict[str, Any]) -> None:
    record["days"][0]["doses"][0]["mg"] = 10_000


def _late_start(record: dict[str, Any]) -> None:
    record["days"][0]["date"] = "2099-01-01"


def _resealed(data: bytes, change: Callable[[dict[str, Any]], Any]) -> bytes:
    """The backup with its first plan's record changed, encrypted again with the same passphrase."""
    doc = backup.read_document(data, PASS)
    journal = json.loads(doc["patients"][0]["journal"])
    row = next(r for r in journal["rows"] if r["kind"] == "plan")
    record = json.loads(row["record"])
    out = change(record)
    row["record"] = out if isinstance(out, str) else json.dumps(record)
    doc["patients"][0]["journal"] = json.dumps(journal)
    return backup.encrypt(zlib.compress(json.dumps(doc).encode()), PASS, kdf=KdfParams(log2_n=10))


def test_restore_keeps_the_plan_as_made_and_refuses_a_tampered_record(home: FastAPI, tmp_path: Path) -> None:
    email = f"rec-{uuid.uuid4().hex[:8]}@example.org"
    with _client(home) as c:
        sign_up(c, email)
        set_titration(c, add_patient(c, "Rita Record"))
        data = download(c)
    other = make_app(tmp_path / "fresh.sqlite3")
    with _client(other) as fresh:
        moved = f"moved-{uuid.uuid4().hex[:8]}@example.org"
        sign_up(fresh, moved)
        for change, words in ((_huge_dose, "dose of 10000 mg"), (_late_start, "consecutive dates"),
                              (lambda r: "{garbage", "not valid JSON")):
            r = upload(fresh, _resealed(data, change))
            assert r.status_code == 422, r.text[:300]  # type: ignore[attr-defined]
            text = " ".join(r.text.split())  # type: ignore[attr-defined]
            assert "plan record refused" in text and words in text and "line " in text, words
            assert _state(other, moved) == {}  # nothing written, not even the patient
        ok = upload(fresh, data)
        assert ok.status_code == 200  # type: ignore[attr-defined]
        assert _plans(other, moved) == _plans(home, email)  # the record and the dose rows, exactly
