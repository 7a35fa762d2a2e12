"""Encrypted backup of everything an account owns, and its restore into an account (issue 15, item 5).

A backup file is one small binary header followed by the AES-256-GCM encryption of a zlib-compressed
JSON document:

* **document** (UTF-8 JSON): ``{"format": "gabacare-backup", "version": 1, "app_version": ...,
  "created": "<UTC ISO time>", "account": {"display_name", "role"}, "patients": [{"profile":
  {"name", "birth_date", "sex", "weight_kg"}, "settings": {"refill_lead_days"}, "journal": "<text>"},
  ...]}``. ``settings`` are the patient's own choices kept outside the journal (the refill reminder's
  lead time, null when the patient kept the default; optional when reading). Each ``journal`` is the
  patient's journal export exactly as :mod:`gabacare.journal.transfer` writes it in JSON (plans with
  their specs and their records as made, entries with their ``uid``, current version, slot and as-needed flag, questionnaires
  with their answers and ``uid``, and whatever else the export carries, such as pick-ups of pills):
  the backup reuses that format and its import rather than a second one. It never holds a password
  hash, a session, an API token, a share link, a calendar feed or the audit log. An entry's earlier
  versions are not carried (the export carries the current version); entries a newer rule refuses
  are left out and counted (``invalid_entries``), as in an export.
* **header** (``HEADER``, 36 bytes): the magic ``GCBK``, the file format version, the KDF id (1 =
  scrypt), scrypt's ``log2(n)``, ``r`` and ``p``, a random 16-byte salt and a random 12-byte nonce.
  The whole header is the AEAD's associated data, so changing any byte of it (a weaker cost, another
  salt) makes the file refuse to open, like changing the ciphertext.
* **key**: scrypt(passphrase, salt, n, r, p) → 32 bytes (AES-256). The passphrase is never stored.

Restore (:func:`restore_backup`) reads the header, refuses cost parameters outside the bounds below
(a crafted file cannot make the server allocate gigabytes), decrypts (a wrong passphrase and a
damaged or altered file are the same :class:`BackupInputError`: GCM cannot tell them apart),
decompresses at most ``MAX_DOCUMENT_BYTES``, and checks the document. Then, before anything is
written, every patient's profile and journal is validated by importing it into a scratch in-memory
journal with the same rules and clock (:class:`~gabacare.journal.memory.InMemoryJournalRepository`):
a backup with one bad row writes nothing. Only then are the patients written, each journal in one
transaction (``Journal.import_stream``); if the database fails part-way, the patients this restore
created are removed again, so a failed restore leaves at most entries added to patients that were
already there, which a second restore completes (imports are idempotent).

Idempotence: a backed-up patient is the account's existing patient with the same name (spacing and
letter case aside), birth date and sex, not already matched in this restore; otherwise a new patient
is created. Entries and questionnaires are matched by ``uid`` and plans by their spec (the journal's
import rules), so restoring the same file twice adds nothing and reports everything "already present".
A patient's setting from the backup is applied only where the patient has none of its own.

Handles patient data: nothing here logs; error messages name the rule, never a value.
"""

from __future__ import annotations

import io
import json
import os
import struct
import time
import zlib
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final, cast

from gabacare._record import record
from gabacare.errors import InputError
from gabacare.journal import settings as journal_settings

if TYPE_CHECKING:
    from gabacare.accounts.model import Actor, User
    from gabacare.accounts.service import Accounts
    from gabacare.journal.model import NewPatient, Patient
    from gabacare.journal.services import Journal

__all__ = [
    "BACKUP_FORMAT",
    "BACKUP_VERSION",
    "DEFAULT_KDF",
    "HEADER",
    "MAGIC",
    "MAX_BACKUP_BYTES",
    "MAX_DOCUMENT_BYTES",
    "BackupInputError",
    "BackupMade",
    "BackupTooLarge",
    "KdfParams",
    "RestoreResult",
    "account_by_email",
    "decrypt",
    "encrypt",
    "make_backup",
    "read_document",
    "restore_backup",
]

BACKUP_FORMAT: Final = "gabacare-backup"
BACKUP_VERSION: Final = 1
"""The document's version (``"version"``), raised when its shape changes."""

MAGIC: Final = b"GCBK"
FILE_VERSION: Final = 1
"""The binary header's version (the byte after ``MAGIC``)."""
KDF_SCRYPT: Final = 1
HEADER: Final = struct.Struct(">4sBBBBB16s12s")
"""magic, file version, KDF id, log2(n), r, p, salt, nonce: 36 bytes, all of it authenticated."""
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12  # GCM's standard nonce; random per file, and each file has its own key anyway
KEY_BYTES: Final = 32  # AES-256

# scrypt cost. GabaCare writes n = 2**17, r = 8, p = 1: the first scrypt setting of the OWASP Password
# Storage Cheat Sheet (128 MiB of memory, about half a second here), because a backup file can be
# copied and attacked offline for as long as the attacker likes, so its key should cost more than a
# sign-in's. Reading accepts only r = 8 and p = 1 and n between 2**10 and 2**17: never more memory or
# time than writing costs (a crafted header cannot make the server do unbounded work), and the small
# n values let tests run quickly (a weak n only weakens the file that chose it).
SCRYPT_LOG2_N: Final = 17
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
MIN_LOG2_N: Final = 10
MAX_LOG2_N: Final = SCRYPT_LOG2_N

# Size policy (GabaCare's own, not clinical). A backup file above MAX_BACKUP_BYTES is refused before it
# is read further; a document that decompresses to more than MAX_DOCUMENT_BYTES is refused as it is
# decompressed. 8 MiB of compressed JSON is about ten years of a busy journal for several patients
# (the demo account's three weeks are a few kilobytes) and stays under the web app's request limit
# (GABACARE_MAX_BODY_BYTES, 16 MiB by default); 64 MiB bounds the memory one restore can take.
MAX_BACKUP_BYTES: Final = 8 * 1024 * 1024
MAX_DOCUMENT_BYTES: Final = 64 * 1024 * 1024
# A new backup's passphrase follows the sign-in password's length rules; any passphrase up to the
# maximum is tried when restoring (an older file may have been made under other rules).
PASSPHRASE_MIN_CHARS: Final = journal_settings.PASSWORD_MIN_CHARS
PASSPHRASE_MAX_CHARS: Final = journal_settings.PASSWORD_MAX_CHARS

_CANNOT_OPEN = ("the backup cannot be opened: the passphrase is wrong, or the file was changed or damaged; "
                "nothing was restored")


class BackupInputError(InputError):
    """The backup file or the passphrase is refused; the message says why (never a value). Nothing was written."""


class BackupTooLarge(BackupInputError):
    """The backup file (or what it decompresses to) is above this GabaCare's size limits."""


@record
class KdfParams:
    """scrypt's cost: ``n = 2**log2_n``, block size ``r``, parallelism ``p``."""

    log2_n: int = SCRYPT_LOG2_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    def check(self) -> None:
        """``BackupInputError`` unless this cost is one GabaCare reads (see the module constants)."""
        if not (MIN_LOG2_N <= self.log2_n <= MAX_LOG2_N and self.r == SCRYPT_R and self.p == SCRYPT_P):
            raise BackupInputError("the backup's key settings are outside what this GabaCare accepts; nothing was restored")


DEFAULT_KDF: Final = KdfParams()


def _key(passphrase: str, salt: bytes, kdf: KdfParams) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=KEY_BYTES, n=2**kdf.log2_n, r=kdf.r, p=kdf.p).derive(passphrase.encode("utf-8"))


def _check_passphrase(passphrase: object, *, new: bool) -> str:
    if not isinstance(passphrase, str) or not passphrase:
        raise BackupInputError("the passphrase must not be empty")
    if len(passphrase) > PASSPHRASE_MAX_CHARS:
        raise BackupInputError(f"the passphrase must be at most {PASSPHRASE_MAX_CHARS} characters")
    if new and len(passphrase) < PASSPHRASE_MIN_CHARS:
        raise BackupInputError(f"the passphrase must be at least {PASSPHRASE_MIN_CHARS} characters")
    try:
        passphrase.encode("utf-8")
    except UnicodeEncodeError:
        raise BackupInputError("the passphrase must be valid text") from None
    return passphrase


def encrypt(plaintext: bytes, passphrase: str, *, kdf: KdfParams = DEFAULT_KDF) -> bytes:
    """``header + AES-256-GCM(plaintext)`` under a key scrypt derives from ``passphrase`` and a fresh salt.

    The salt and nonce come from ``os.urandom``; the header is the associated data. No compression
    here (:func:`make_backup` compresses the document first); no size check either.

    >>> sealed = encrypt(b"diary", "correct horse battery staple")
    >>> decrypt(sealed, "correct horse battery staple")
    b'diary'
    >>> try:
    ...     decrypt(sealed, "another passphrase entirely")
    ... except BackupInputError as exc:
    ...     print(type(exc).__name__)
    BackupInputError
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kdf.check()
    _check_passphrase(passphrase, new=False)
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    header = HEADER.pack(MAGIC, FILE_VERSION, KDF_SCRYPT, kdf.log2_n, kdf.r, kdf.p, salt, nonce)
    return header + AESGCM(_key(passphrase, salt, kdf)).encrypt(nonce, plaintext, header)


def decrypt(data: bytes, passphrase: str) -> bytes:
    """The plaintext of :func:`encrypt`'s output; ``BackupInputError`` for anything else.

    Refused with a reason: not a GabaCare backup (magic), a newer file version, a KDF or cost outside
    the accepted bounds, a file cut short; then, the same message for a wrong passphrase and for any
    change to the header or the ciphertext (GCM's tag cannot tell them apart).
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    passphrase = _check_passphrase(passphrase, new=False)
    if not data:
        raise BackupInputError("the backup file is empty; nothing was restored")
    if len(data) < len(MAGIC) or data[:len(MAGIC)] != MAGIC:
        raise BackupInputError("this is not a GabaCare backup file (it does not start with the backup's mark)")
    if len(data) < HEADER.size + 16:  # 16: GCM's tag
        raise BackupInputError("the backup file is cut short; nothing was restored")
    _magic, version, kdf_id, log2_n, r, p, salt, nonce = HEADER.unpack_from(data)
    if version != FILE_VERSION:
        raise BackupInputError(f"this backup file has version {version}; this GabaCare reads version {FILE_VERSION}")
    if kdf_id != KDF_SCRYPT:
        raise BackupInputError("the backup's key settings are outside what this GabaCare accepts; nothing was restored")
    kdf = KdfParams(log2_n, r, p)
    kdf.check()
    header = data[:HEADER.size]
    try:
        return AESGCM(_key(passphrase, salt, kdf)).decrypt(nonce, data[HEADER.size:], header)
    except InvalidTag:
        raise BackupInputError(_CANNOT_OPEN) from None


# -- the document ----------------------------------------------------------------------------------
@record
class BackupMade:
    """A backup: the file's ``data`` and what it holds (counts, no contents), for the faces to report."""

    data: bytes
    patients: int
    entries: int
    plans: int
    questionnaires: int
    other_rows: int
    invalid_entries: int
    document_bytes: int
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {"bytes": len(self.data), "patients": self.patients, "entries": self.entries, "plans": self.plans,
                "questionnaires": self.questionnaires, "other_rows": self.other_rows,
                "invalid_entries_left_out": self.invalid_entries, "document_bytes": self.document_bytes,
                "seconds": round(self.seconds, 3)}


def account_by_email(accounts: Accounts, email: str) -> User:
    """The account with that e-mail (for the local command line), or ``BackupInputError``."""
    from gabacare.accounts.service import normalize_email

    found = accounts.repo.find_user(normalize_email(email))
    if found is None:
        raise BackupInputError("no account has that e-mail address")
    return found[0]


def _profile(p: Patient) -> dict[str, Any]:
    return {"name": p.name, "birth_date": None if p.birth_date is None else p.birth_date.isoformat(),
            "sex": p.sex, "weight_kg": p.weight_kg}


def make_backup(journal: Journal, accounts: Accounts, user: User, passphrase: str, *, actor: Actor,
                kdf: KdfParams = DEFAULT_KDF) -> BackupMade:
    """Back up every patient ``user`` owns, encrypted with ``passphrase``; audited (an ``export`` per
    patient and one for the account). ``BackupInputError`` for a passphrase the rules refuse and
    ``BackupTooLarge`` when the account's journals exceed the size limits (a file this GabaCare could
    not restore is never made)."""
    from gabacare import __version__

    started = time.perf_counter()
    passphrase = _check_passphrase(passphrase, new=True)
    patients = accounts.patients_of(user)
    counts = {"entries": 0, "plans": 0, "questionnaires": 0, "other": 0, "invalid": 0}
    items = []
    for p in patients:
        out = io.StringIO(newline="")
        result = journal.export_to(p.id, "json", out)
        held = journal.record_counts(p.id)
        entries = held["entries"] - len(result.invalid_entries)
        counts["plans"] += held["plans"]
        counts["questionnaires"] += held["questionnaires"]
        counts["entries"] += entries
        # Rows of other kinds the export carries (pick-ups of pills): counted, not named, so a new kind
        # in the export is backed up without a change here.
        counts["other"] += result.rows - held["plans"] - held["questionnaires"] - entries
        counts["invalid"] += len(result.invalid_entries)
        items.append({"profile": _profile(p), "settings": {"refill_lead_days": journal.repo.get_refill_lead_days(p.id)},
                      "journal": out.getvalue()})
    document = {"format": BACKUP_FORMAT, "version": BACKUP_VERSION, "app_version": __version__,
                "created": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
                "account": {"display_name": user.display_name, "role": user.role}, "patients": items}
    raw = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise BackupTooLarge(f"this account's journals are larger than the {MAX_DOCUMENT_BYTES // 2**20} MiB one backup "
                             "may hold; export each journal instead")
    data = encrypt(zlib.compress(raw, 9), passphrase, kdf=kdf)
    if len(data) > MAX_BACKUP_BYTES:
        raise BackupTooLarge(f"the backup would be larger than {MAX_BACKUP_BYTES // 2**20} MiB; export each journal instead")
    for p in patients:
        accounts.audit(actor, "export", p.id, "patient", p.id)
    accounts.audit(actor, "export", None, "account", user.id)
    return BackupMade(data, len(patients), counts["entries"], counts["plans"], counts["questionnaires"],
                      counts["other"], counts["invalid"], len(raw), time.perf_counter() - started)


def _inflate(compressed: bytes) -> bytes:
    d = zlib.decompressobj()
    try:
        raw = d.decompress(compressed, MAX_DOCUMENT_BYTES + 1)
    except zlib.error:
        raise BackupInputError("the backup's contents are damaged; nothing was restored") from None
    if len(raw) > MAX_DOCUMENT_BYTES or d.unconsumed_tail:
        raise BackupTooLarge(f"the backup's contents are larger than the {MAX_DOCUMENT_BYTES // 2**20} MiB this "
                             "GabaCare restores; nothing was restored")
    if not d.eof or d.unused_data:
        raise BackupInputError("the backup's contents are damaged; nothing was restored")
    return raw


@record
class _Item:
    """One backed-up patient: the profile as read (validated later) and the journal export text."""

    profile: NewPatient
    journal: str
    lead_days: Any = None


def _text(raw: dict[str, Any], key: str, what: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise BackupInputError(f"{what} must be text")
    return value


def _item(raw: Any, n: int) -> _Item:
    from gabacare.journal.model import NewPatient, Sex

    where = f"patient {n} of the backup"
    if not isinstance(raw, dict) or not isinstance(raw.get("profile"), dict) or not isinstance(raw.get("journal"), str):
        raise BackupInputError(f"{where} must have a profile and a journal")
    prof = raw["profile"]
    birth = _text(prof, "birth_date", f"{where}: birth date")
    try:
        born = None if birth is None else date.fromisoformat(birth)
    except ValueError:
        raise BackupInputError(f"{where}: birth date must be a date YYYY-MM-DD") from None
    weight = prof.get("weight_kg")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float)):
        raise BackupInputError(f"{where}: weight must be a number")
    return _Item(NewPatient(_text(prof, "name", f"{where}: name") or "", born,
                            cast("Sex | None", _text(prof, "sex", f"{where}: sex")),
                            None if weight is None else float(weight)), raw["journal"], _lead_days(raw, where))


def _lead_days(raw: dict[str, Any], where: str) -> Any:
    """The patient's refill lead time as read (None: the default; checked in :func:`_validated`)."""
    chosen = raw.get("settings", {})
    if not isinstance(chosen, dict):
        raise BackupInputError(f"{where}: settings must be an object")
    return chosen.get("refill_lead_days")


def read_document(data: bytes, passphrase: str) -> dict[str, Any]:
    """Decrypt, decompress and parse a backup file into its document (shape checked, contents not yet).

    ``BackupTooLarge`` above ``MAX_BACKUP_BYTES`` (checked first, before any work) or when the contents
    decompress past ``MAX_DOCUMENT_BYTES``; ``BackupInputError`` for everything else wrong.
    """
    if len(data) > MAX_BACKUP_BYTES:
        raise BackupTooLarge(f"the file is larger than the {MAX_BACKUP_BYTES // 2**20} MiB a backup may be; "
                             "nothing was restored")
    raw = _inflate(decrypt(data, passphrase))
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BackupInputError("the backup's contents are not a GabaCare backup document") from None
    if not isinstance(doc, dict) or doc.get("format") != BACKUP_FORMAT:
        raise BackupInputError("the backup's contents are not a GabaCare backup document")
    version = doc.get("version")
    if isinstance(version, bool) or version != BACKUP_VERSION:
        raise BackupInputError(f"unsupported backup version (this GabaCare reads version {BACKUP_VERSION})")
    if not isinstance(doc.get("patients"), list):
        raise BackupInputError("the backup document has no list of patients")
    return doc


@record
class RestoreResult:
    """What a restore did: patients ``created`` and ``matched`` (already in the account), rows added
    (``entries`` counts entries and questionnaires, as an import does; ``plans``) and
    ``already_present`` (rows the account's journals already held)."""

    created: int
    matched: int
    entries: int
    plans: int
    already_present: int
    app_version: str | None
    backup_created: str | None
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {"patients": {"created": self.created, "matched": self.matched}, "entries": self.entries,
                "plans": self.plans, "already_present": self.already_present, "app_version": self.app_version,
                "backup_created": self.backup_created, "seconds": round(self.seconds, 3)}


def _key_of(p: NewPatient | Patient) -> tuple[str, date | None, str | None]:
    return " ".join(p.name.split()).casefold(), p.birth_date, p.sex


def _validated(items: list[_Item], journal: Journal) -> list[_Item]:
    """Every profile and journal checked by the journal's own rules in a scratch in-memory journal."""
    from gabacare.journal.errors import JournalInputError
    from gabacare.journal.memory import InMemoryJournalRepository
    from gabacare.journal.model import validate_patient
    from gabacare.journal.refills import check_lead_days
    from gabacare.journal.services import Journal as JournalService

    scratch = JournalService(InMemoryJournalRepository(), clock=journal.clock)
    out = []
    for n, item in enumerate(items, 1):
        try:
            profile = validate_patient(item.profile, today=journal.clock().date())
            pid = scratch.add_patient(profile.name, birth_date=profile.birth_date, sex=profile.sex,
                                      weight_kg=profile.weight_kg).id
            scratch.import_text(pid, item.journal, "json")
            lead_days = None if item.lead_days is None else check_lead_days(item.lead_days)
        except JournalInputError as exc:
            raise BackupInputError(f"patient {n} of the backup: {exc}; nothing was restored") from None
        out.append(_Item(profile, item.journal, lead_days))
    return out


def restore_backup(journal: Journal, accounts: Accounts, user: User, data: bytes, passphrase: str, *,
                   actor: Actor) -> RestoreResult:
    """Restore a backup file into ``user``'s account (module docstring: validation first, then the writes,
    idempotent); audited (``create`` for each new patient, ``import`` for each patient written to and
    one for the account). ``BackupInputError`` (``BackupTooLarge``) and nothing written for a bad file."""
    started = time.perf_counter()
    doc = read_document(data, passphrase)
    items = _validated([_item(raw, n) for n, raw in enumerate(doc["patients"], 1)], journal)
    owned = list(accounts.patients_of(user))
    created: list[int] = []
    totals = {"entries": 0, "plans": 0, "already_present": 0}
    matched = 0
    try:
        for item in items:
            twin = next((p for p in owned if _key_of(p) == _key_of(item.profile)), None)
            if twin is not None:
                owned.remove(twin)
                pid = twin.id
                matched += 1
            else:
                prof = item.profile
                pid = accounts.create_patient_for(user, prof.name, birth_date=prof.birth_date, sex=prof.sex,
                                                  weight_kg=prof.weight_kg).id
                created.append(pid)
            counts = journal.import_text(pid, item.journal, "json")
            if item.lead_days is not None and journal.repo.get_refill_lead_days(pid) is None:
                journal.repo.set_refill_lead_days(pid, item.lead_days)  # never overrides the account's own choice
            for key in totals:
                totals[key] += counts[key]
            accounts.audit(actor, "import", pid, "patient", pid)
    except BaseException:
        for pid in created:  # NOTE: a database failure part-way: take back the patients this restore made
            try:
                accounts.repo.delete_patient(pid)
                accounts.audit(actor, "delete", pid, "patient", pid)
            except Exception:  # NOTE: keep going; the original failure is the one to report
                continue
        raise
    accounts.audit(actor, "import", None, "account", user.id)
    version, made = doc.get("app_version"), doc.get("created")
    return RestoreResult(len(created), matched, totals["entries"], totals["plans"], totals["already_present"],
                         version if isinstance(version, str) else None, made if isinstance(made, str) else None,
                         time.perf_counter() - started)
