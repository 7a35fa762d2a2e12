"""The encrypted account backup (issue 15, item 5) end to end over real databases: an account with two
patients is backed up from one SQLite file and restored into a fresh database (a new SQLite file, then
PostgreSQL), and the restored journals hold the same patients, entries (uids and current contents),
plans and questionnaires. Restoring twice adds nothing; a wrong passphrase, a cut, altered or oversized
file and a backup with one bad row are refused with a clear input error, and nothing is written."""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from gabacare.accounts.model import Actor, User
from gabacare.accounts.service import Accounts
from gabacare.app import backup
from gabacare.app.backup import BackupInputError, BackupTooLarge, KdfParams
from gabacare.journal.model import PlanSpec
from gabacare.journal.refills import log_pickup, set_lead_days
from gabacare.journal.services import Journal

from .conftest import NOW

FAST = KdfParams(log2_n=10)  # the cheapest cost a file may name: these tests are about contents, not the KDF
PASS = "correct horse battery staple"
PASSWORD = "a long enough secret"
EMPTY_JOURNAL = '{"format": "gabacare-journal", "version": 2, "rows": []}'


@dataclass
class Site:
    """One GabaCare install: a database, its journal and accounts, and the account under test."""

    journal: Journal
    accounts: Accounts
    user: User
    engine: object

    @property
    def actor(self) -> Actor:
        return Actor.for_user(self.user)


def _site(url: str, email: str = "ana@example.org", *, signed_up: bool = False) -> Site:
    """The install at ``url``, its account ``email`` signed up now (or, ``signed_up``, found where it was)."""
    from gabacare.accounts.sql import SqlAccountRepository
    from gabacare.journal.db import make_engine, migrate
    from gabacare.journal.sql import SqlJournalRepository

    engine = make_engine(url)
    migrate(engine)
    journal = Journal(SqlJournalRepository(engine), clock=lambda: NOW)
    accounts = Accounts(SqlAccountRepository(engine), clock=lambda: NOW.replace(tzinfo=None),
                        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    if signed_up:
        found = accounts.repo.find_user(email)
        assert found is not None
        return Site(journal, accounts, found[0], engine)
    return Site(journal, accounts, accounts.sign_up(email, PASSWORD, "Ana"), engine)


def fill(site: Site) -> None:
    """Two patients: one titrating (doses taken, late, skipped and as needed, an edited dose, a deleted note,
    a side effect, a symptom, a lab, a note with a CRLF and non-Latin text, two questionnaires, two pick-ups of
    pills); one on a
    steady regimen then a new one."""
    j, a, u = site.journal, site.accounts, site.user
    day = NOW.date() - timedelta(days=6)
    ann = a.create_patient_for(u, "Ann Backup", birth_date=datetime(1961, 3, 4).date(), sex="female", weight_kg=70.0)
    j.set_plan(ann.id, PlanSpec("titrate", day, indication="postherpetic-neuralgia"))
    at = datetime.combine(day, datetime.min.time())
    j.log_dose(ann.id, 300.0, at=at.replace(hour=22))
    j.log_dose(ann.id, 300.0, at=at.replace(hour=23, minute=40), status="late", prn=True)
    d = j.log_dose(ann.id, 300.0, at=at + timedelta(days=1, hours=21, minutes=30))
    j.edit_entry(ann.id, d.id, mg=200.0, at=at + timedelta(days=1, hours=22, minutes=5))  # an edited entry
    j.log_side_effect(ann.id, "dizzy after the evening dose", at=at + timedelta(days=2, hours=8))
    j.log_symptom(ann.id, "pain", 6, at=at + timedelta(days=2, hours=9))
    j.log_lab(ann.id, "creatinine", 0.9, unit="mg/dL", at=at + timedelta(days=3, hours=9))
    j.log_note(ann.id, "slept badly,\r\n\"quotes\" and 睡眠 =1+1", at=at + timedelta(days=3, hours=10))
    gone = j.log_note(ann.id, "typo", at=at + timedelta(days=3, hours=11))
    j.delete_entry(ann.id, gone.id)
    j.log_questionnaire(ann.id, "gad7", [1, 1, 0, 2, 1, 0, 1], at=at + timedelta(days=4, hours=9))
    j.log_questionnaire(ann.id, "pain_nrs", [5], at=at + timedelta(days=5, hours=9))
    log_pickup(j, ann.id, 300, 90, at=at + timedelta(hours=9))  # pills collected (issue 15, refills)
    log_pickup(j, ann.id, 100, 30, at=at + timedelta(days=4, hours=9))
    set_lead_days(j, ann.id, 10)  # a setting of the patient's own, outside the journal
    bob = a.create_patient_for(u, "Bob Backup", sex="male")
    j.set_plan(bob.id, PlanSpec("regimen", day - timedelta(days=30), regimen="300 mg TID"))
    j.set_plan(bob.id, PlanSpec("regimen", day, regimen="300 mg BID"))
    j.log_dose(bob.id, 300.0, at=at + timedelta(days=2, hours=8), status="skipped")
    j.log_trigger(bob.id, "long drive", at=at + timedelta(days=2, hours=12))


def snapshot(site: Site) -> dict[str, object]:
    """Everything the account's journals hold that a backup must carry, by patient name (ids differ)."""
    out: dict[str, object] = {}
    for p in site.accounts.patients_of(site.user):
        j = site.journal
        out[p.name] = {
            "profile": (p.birth_date, p.sex, p.weight_kg),
            "entries": sorted((e.uid, repr(e.data)) for e in j.entries(p.id)),
            "plans": [sp.plan.spec.to_text() for sp in j.plans(p.id)],
            "questionnaires": sorted((q.uid, q.data) for q in j.repo.list_questionnaires(p.id)),
            "pickups": sorted((k.uid, k.data) for k in j.repo.list_pickups(p.id)),
            "refill_lead_days": j.repo.get_refill_lead_days(p.id),
        }
    return out


@pytest.fixture(scope="module")
def filled_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The source install, signed up and filled once for the module: each test gets a copy of the file
    (filling it again for every test repeated the same writes, most of this module's setup time)."""
    target = tmp_path_factory.mktemp("backup-source") / "source.sqlite3"
    shutil.copyfile(sqlite_template, target)
    site = _site(f"sqlite:///{target}")
    fill(site)
    site.engine.dispose()  # type: ignore[attr-defined]  # the last connection checkpoints the WAL into the file
    assert not target.with_name(target.name + "-wal").exists()
    return target


@pytest.fixture
def source(filled_template: Path, tmp_path: Path) -> Iterator[Site]:
    target = tmp_path / "source.sqlite3"
    shutil.copyfile(filled_template, target)
    site = _site(f"sqlite:///{target}", signed_up=True)
    yield site
    site.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def fresh(db_url: str) -> Iterator[Site]:
    """A fresh install (new SQLite file, then PostgreSQL) with an empty account of the same person."""
    site = _site(db_url)
    yield site
    site.engine.dispose()  # type: ignore[attr-defined]


def _backup(site: Site, passphrase: str = PASS) -> bytes:
    return backup.make_backup(site.journal, site.accounts, site.user, passphrase, actor=site.actor, kdf=FAST).data


def _restore(site: Site, data: bytes, passphrase: str = PASS) -> backup.RestoreResult:
    return backup.restore_backup(site.journal, site.accounts, site.user, data, passphrase, actor=site.actor)


def test_round_trip_into_a_fresh_database_keeps_everything(source: Site, fresh: Site) -> None:
    before = snapshot(source)
    assert set(before) == {"Ann Backup", "Bob Backup"}
    made = backup.make_backup(source.journal, source.accounts, source.user, PASS, actor=source.actor, kdf=FAST)
    assert made.patients == 2 and made.plans == 3 and made.questionnaires == 2 and made.entries == 9
    assert made.other_rows == 2  # the two pick-ups, carried by the journal export
    assert b"Ann Backup" not in made.data and b"dizzy" not in made.data  # encrypted, not merely compressed

    result = _restore(fresh, made.data)
    assert (result.created, result.matched, result.plans, result.already_present) == (2, 0, 3, 0)
    assert result.entries == 13  # entries, questionnaires and pick-ups, as an import counts them
    after = snapshot(fresh)
    assert after == before  # same profiles, uids, current contents, plan specs and questionnaires
    ann = next(p for p in fresh.accounts.patients_of(fresh.user) if p.name == "Ann Backup")
    edited = [e for e in fresh.journal.entries(ann.id, kinds=["dose"]) if e.data.mg == 200.0]
    assert len(edited) == 1 and edited[0].data.at.hour == 22  # the edit's result is what comes back
    assert all(e.data.text != "typo" for e in fresh.journal.entries(ann.id))  # a deleted entry stays deleted
    assert fresh.journal.entries(ann.id, kinds=["side_effect"])[0].data.urgency is not None  # triage derived again


def test_restoring_the_same_file_twice_adds_nothing(source: Site, fresh: Site) -> None:
    data = _backup(source)
    _restore(fresh, data)
    first = snapshot(fresh)
    again = _restore(fresh, data)
    assert (again.created, again.matched, again.entries, again.plans) == (0, 2, 0, 0)
    assert again.already_present == 16  # 9 entries + 2 questionnaires + 3 plans + 2 pick-ups
    assert snapshot(fresh) == first
    # and into the account it came from: nothing new either
    back = _restore(source, data)
    assert (back.created, back.entries, back.plans, back.already_present) == (0, 0, 0, 16)


def test_a_restore_completes_a_journal_that_is_partly_there(source: Site, fresh: Site) -> None:
    data = _backup(source)
    _restore(fresh, data)
    ann = next(p for p in fresh.accounts.patients_of(fresh.user) if p.name == "Ann Backup")
    newer = fresh.journal.log_note(ann.id, "written after the restore", at=NOW - timedelta(hours=1))
    again = _restore(fresh, data)
    assert again.entries == 0 and again.created == 0
    assert any(e.uid == newer.uid for e in fresh.journal.entries(ann.id))  # nothing of the account is removed


def test_a_setting_is_restored_only_where_the_patient_has_none(source: Site, fresh: Site) -> None:
    data = _backup(source)
    _restore(fresh, data)
    ann = next(p for p in fresh.accounts.patients_of(fresh.user) if p.name == "Ann Backup")
    assert fresh.journal.repo.get_refill_lead_days(ann.id) == 10
    set_lead_days(fresh.journal, ann.id, 3)  # chosen again in the new install
    _restore(fresh, data)
    assert fresh.journal.repo.get_refill_lead_days(ann.id) == 3  # the account's own choice stays


def test_audit_rows_name_ids_and_words_only(source: Site, fresh: Site) -> None:
    data = _backup(source)
    _restore(fresh, data)
    for site, action in ((source, "export"), (fresh, "import")):
        for p in site.accounts.patients_of(site.user):
            rows = [(r.actor_kind, r.action, r.resource_kind) for r in site.accounts.repo.list_audit(p.id)]
            assert ("user", action, "patient") in rows


def _rows(site: Site) -> int:
    from sqlalchemy import text

    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        return sum(int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                   for t in ("patients", "entries", "plans", "questionnaires", "pickups"))


@pytest.mark.parametrize("damage", ["wrong passphrase", "cut short", "flipped tag byte", "flipped header byte",
                                    "flipped ciphertext byte", "not a backup", "empty", "stronger cost than allowed"])
def test_a_bad_file_or_passphrase_is_refused_and_nothing_is_written(source: Site, fresh: Site, damage: str) -> None:
    data = bytearray(_backup(source))
    passphrase = PASS
    if damage == "wrong passphrase":
        passphrase = PASS + "!"
    elif damage == "cut short":
        data = data[: len(data) // 2]
    elif damage == "flipped tag byte":
        data[-1] ^= 0x01
    elif damage == "flipped header byte":
        data[12] ^= 0x80  # inside the salt (bytes 9 to 24)
    elif damage == "flipped ciphertext byte":
        data[backup.HEADER.size + 3] ^= 0x04
    elif damage == "not a backup":
        data = bytearray(b"kind,at\ndose,2026-01-01T08:00\n")
    elif damage == "empty":
        data = bytearray()
    else:
        data[6] = backup.MAX_LOG2_N + 1  # the header's log2(n)
    before = _rows(fresh)
    with pytest.raises(BackupInputError) as info:
        _restore(fresh, bytes(data), passphrase)
    assert "nothing was restored" in str(info.value) or "not a GabaCare backup" in str(info.value)
    assert _rows(fresh) == before == 0


def _sealed(document: object, *, raw: bytes | None = None) -> bytes:
    """A correctly encrypted file around any document (what a hand-made or hostile backup looks like)."""
    body = raw if raw is not None else json.dumps(document).encode()
    return backup.encrypt(zlib.compress(body), PASS, kdf=FAST)


def test_one_bad_row_in_the_second_patient_writes_nothing_at_all(source: Site, fresh: Site) -> None:
    doc = backup.read_document(_backup(source), PASS)
    journal = json.loads(doc["patients"][1]["journal"])
    journal["rows"].append({"kind": "dose", "at": "2026-06-01T08:00:00", "mg": 1e9, "status": "taken"})
    doc["patients"][1]["journal"] = json.dumps(journal)
    with pytest.raises(BackupInputError, match=r"patient 2 of the backup.*nothing was restored"):
        _restore(fresh, _sealed(doc))
    assert _rows(fresh) == 0  # patient 1, valid, was not written either


def test_a_database_failure_part_way_takes_back_the_patients_it_made(source: Site, fresh: Site) -> None:
    """The second patient's write fails (the database goes away, simulated at the journal's import): the
    first patient, already written and committed, is removed again, with an audit row saying so."""
    from gabacare.errors import StorageError
    from gabacare.journal.errors import JournalStorageError

    data = _backup(source)
    real = fresh.journal.import_text
    calls = 0

    def failing(*args: object, **kwargs: object) -> dict[str, int]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise JournalStorageError("the journal database refused the operation (simulated)")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    fresh.journal.import_text = failing  # type: ignore[method-assign]
    with pytest.raises(StorageError):
        _restore(fresh, data)
    assert _rows(fresh) == 0 and fresh.accounts.patients_of(fresh.user) == []
    first = fresh.accounts.repo.list_audit(1)
    assert [(r.action, r.resource_kind) for r in first] == [("create", "patient"), ("import", "patient"),
                                                           ("delete", "patient")]
    fresh.journal.import_text = real  # type: ignore[method-assign]
    assert _restore(fresh, data).created == 2  # restoring again completes it


@pytest.mark.parametrize("document", [
    {"format": "gabacare-backup", "version": 99, "patients": []},
    {"format": "something-else", "version": 1, "patients": []},
    {"format": "gabacare-backup", "version": 1, "patients": {}},
    {"format": "gabacare-backup", "version": 1, "patients": [{"profile": {"name": "X"}}]},
    {"format": "gabacare-backup", "version": 1, "patients": [{"profile": {"name": ""}, "journal": ""}]},
    {"format": "gabacare-backup", "version": 1, "patients": [{"profile": {"name": "X", "birth_date": "soon"},
                                                                "journal": ""}]},
    {"format": "gabacare-backup", "version": 1, "patients": [{"profile": {"name": "X", "weight_kg": "heavy"},
                                                                "journal": ""}]},
    {"format": "gabacare-backup", "version": 1, "patients": [{"profile": {"name": "X"}, "journal": "{nope"}]},
    {"format": "gabacare-backup", "version": 1, "patients": [{"profile": {"name": "X"}, "journal": "",
                                                                "settings": []}]},
    {"format": "gabacare-backup", "version": 1, "patients": [{"profile": {"name": "X"}, "settings":
                                                                {"refill_lead_days": 400}, "journal": EMPTY_JOURNAL}]},
    [1, 2, 3],
])
def test_a_malformed_document_is_an_input_error(fresh: Site, document: object) -> None:
    with pytest.raises(BackupInputError):
        _restore(fresh, _sealed(document))
    assert _rows(fresh) == 0


def test_a_minimal_hand_made_backup_restores(fresh: Site) -> None:
    doc = {"format": "gabacare-backup", "version": 1,
           "patients": [{"profile": {"name": "X"}, "settings": {"refill_lead_days": 5}, "journal": EMPTY_JOURNAL}]}
    result = _restore(fresh, _sealed(doc))
    assert (result.created, result.entries, result.app_version) == (1, 0, None)
    assert fresh.journal.repo.get_refill_lead_days(fresh.accounts.patients_of(fresh.user)[0].id) == 5


def test_damaged_contents_deeply_nested_json_and_bombs_are_refused(fresh: Site) -> None:
    with pytest.raises(BackupInputError, match="damaged"):
        _restore(fresh, backup.encrypt(b"not zlib at all", PASS, kdf=FAST))
    with pytest.raises(BackupInputError, match="not a GabaCare backup document"):
        _restore(fresh, _sealed(None, raw=b"[" * 100_000))
    # A small file that inflates past the document limit is refused while inflating (never held whole).
    bomb = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    parts = [bomb.compress(chunk) for _ in range(backup.MAX_DOCUMENT_BYTES // len(chunk) + 1)]
    small = b"".join(parts) + bomb.flush()
    assert len(small) < backup.MAX_BACKUP_BYTES
    with pytest.raises(BackupTooLarge, match="larger than"):
        _restore(fresh, backup.encrypt(small, PASS, kdf=FAST))


def test_an_oversized_file_is_refused_before_any_work(fresh: Site) -> None:
    import time

    huge = backup.MAGIC + b"\0" * backup.MAX_BACKUP_BYTES
    started = time.perf_counter()
    with pytest.raises(BackupTooLarge, match="MiB"):
        _restore(fresh, huge)
    assert time.perf_counter() - started < 1.0  # no key derivation, no decryption


def test_a_new_backup_needs_a_passphrase_the_rules_accept(source: Site) -> None:
    for bad in ("", "short", "x" * (backup.PASSPHRASE_MAX_CHARS + 1), "\ud800 lone surrogate here"):
        with pytest.raises(BackupInputError, match="passphrase"):
            _backup(source, bad)


def test_the_document_carries_versions_and_no_secrets(source: Site) -> None:
    doc = backup.read_document(_backup(source), PASS)
    assert doc["format"] == "gabacare-backup" and doc["version"] == backup.BACKUP_VERSION
    assert doc["app_version"] and datetime.fromisoformat(doc["created"].replace("Z", "+00:00")).tzinfo == UTC
    assert doc["account"] == {"display_name": "Ana", "role": "patient"}
    text = json.dumps(doc)
    for secret in ("argon2", "password", "token", "session", "ana@example.org"):
        assert secret not in text
    rows = json.loads(doc["patients"][0]["journal"])["rows"]
    assert all(r["uid"] for r in rows if r["kind"] != "plan")  # every entry and questionnaire carries its uid


def test_the_default_cost_is_the_documented_one() -> None:
    assert (backup.DEFAULT_KDF.log2_n, backup.DEFAULT_KDF.r, backup.DEFAULT_KDF.p) == (17, 8, 1)
    data = backup.encrypt(b"x", PASS)  # the real cost once: it opens, and the header says what it used
    assert data[6:9] == bytes([17, 8, 1]) and backup.decrypt(data, PASS) == b"x"

