"""The SQL journal repository (SQLAlchemy 2): SQLite by default, PostgreSQL through psycopg 3.

The account adapter (:mod:`gabacare.accounts.sql`) runs on the same engine (one store).

Every public method runs in one transaction (``Session.begin()``); ``add_batch`` writes plans and
entries in chunks inside a single transaction, so a crash part-way leaves nothing behind.
Handles patient data: rows are never logged (``echo`` stays off) and errors carry no values.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gabacare.journal import settings
from gabacare.journal.errors import JournalError, JournalStorageError, UnknownEntryError, UnknownPatientError
from gabacare.journal.model import (
    DOSE_STATUSES,
    ENTRY_KINDS,
    DoseStatus,
    Entry,
    EntryData,
    EntryKind,
    NewPatient,
    NewPlan,
    NewQuestionnaire,
    Patient,
    PlanKind,
    PlanSpec,
    ScheduledDose,
    Sex,
    StoredPlan,
    StoredQuestionnaire,
    is_row_id,
)
from gabacare.journal.orm import (
    EntryRevisionRow,
    EntryRow,
    PatientRow,
    PickUpRow,
    PlanDoseRow,
    PlanRow,
    QuestionnaireRow,
    SupplySettingsRow,
)
from gabacare.journal.pickups import NewPickUp, StoredPickUp
from gabacare.journal.plan_record import PlanRecord
from gabacare.journal.repository import BatchEntry, BatchPickUp, BatchQuestionnaire, JournalRepository, Progress

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.engine import Connection, Engine, Row, RowMapping

    AnyRow = Row[*tuple[Any, ...]]  # a Core row of any width

__all__ = ["SqlJournalRepository"]

_Status = DoseStatus | None
_ENTRIES = cast(Table, EntryRow.__table__)
_CONTENT = ("kind", "at", "mg", "status", "name", "value", "unit", "text", "urgency", "slot", "prn")


_KINDS = frozenset(ENTRY_KINDS)
_STATUSES = frozenset((None, *DOSE_STATUSES))


def _check_row(d: EntryData) -> None:
    """The ``entries`` table's CHECK constraints (orm.py ``KIND_CHECK``, ``STATUS_CHECK``, ``MG_CHECK``)."""
    if d.kind not in _KINDS or d.status not in _STATUSES or (d.mg is not None and not d.mg >= 0):
        raise JournalStorageError("the journal database refused the operation (a CHECK constraint)")


def _content(data: EntryData) -> dict[str, Any]:
    return {k: getattr(data, k) for k in _CONTENT}


def _entry(row: RowMapping | EntryRow, *, entry_id: int, patient_id: int, uid: str | None = None) -> Entry:
    """An entry from a row of ``entries`` or ``entry_revisions`` (which has no ``uid``: pass the entry's)."""
    # One type check per row, not one per field (this runs for every entry a year's report reads).
    get: Callable[[str], Any] = (lambda key: getattr(row, key, None)) if isinstance(row, EntryRow) else row.get

    data = EntryData(
        kind=cast(EntryKind, get("kind")), at=get("at"), mg=get("mg"), status=cast(_Status, get("status")),
        name=get("name"), value=get("value"), unit=get("unit"), text=get("text"), urgency=get("urgency"),
        slot=get("slot"), prn=bool(get("prn")),
    )
    return Entry(entry_id, patient_id, int(get("version")), get("recorded_at"), data,
                 uid=uid if uid is not None else (get("uid") or ""), deleted_at=get("deleted_at"))


# The columns list_entries reads, in this order (deleted_at is NULL on every row it lists).
_LISTED = ("id", "version", "recorded_at", "uid", *_CONTENT)
_new = object.__new__


def _listed(patient_id: int, rows: Iterable[Sequence[Any]]) -> list[Entry]:
    """Entries from rows of ``_LISTED``: the objects ``_entry`` makes, built by filling each one's
    ``__dict__`` (the frozen dataclasses' ``__init__`` calls ``object.__setattr__`` once per field,
    about a third of a year's read; neither class has a ``__post_init__`` or ``__slots__``, and
    tests/journal/test_period_read_fast.py checks the result equals ``_entry``'s, field by field)."""
    out: list[Entry] = []
    append = out.append
    for entry_id, version, recorded_at, uid, kind, at, mg, status, name, value, unit, text, urgency, slot, prn in rows:
        data = _new(EntryData)
        data.__dict__.update({"kind": kind, "at": at, "mg": mg, "status": status, "name": name, "value": value,
                              "unit": unit, "text": text, "urgency": urgency, "slot": slot, "prn": bool(prn)})
        entry = _new(Entry)
        entry.__dict__.update({"id": entry_id, "patient_id": patient_id, "version": int(version),
                               "recorded_at": recorded_at, "data": data, "uid": uid or "", "deleted_at": None})
        append(entry)
    return out


# The Today page's reads, built once: building a select (and its cache key) cost more than running it
# on SQLite, and every page view runs these. Core rows through the session's connection, as list_entries.
_PLANS = cast(Table, PlanRow.__table__)
_PLAN_DOSES = cast(Table, PlanDoseRow.__table__)
_PATIENTS = cast(Table, PatientRow.__table__)
_PATIENT_BY_ID = select(_PATIENTS.c.id, _PATIENTS.c.name, _PATIENTS.c.birth_date, _PATIENTS.c.sex, _PATIENTS.c.weight_kg,
                        _PATIENTS.c.created_at, _PATIENTS.c.owner_user_id).where(_PATIENTS.c.id == bindparam("patient_id"))
_PLANS_OF = (select(_PLANS.c.id, _PLANS.c.created_at, _PLANS.c.kind, _PLANS.c.spec, _PLANS.c.label,
                    _PLANS.c.start_date, _PLANS.c.end_date, _PLANS.c.continues, _PLANS.c.warnings, _PLANS.c.made)
             .where(_PLANS.c.patient_id == bindparam("patient_id")).order_by(_PLANS.c.id))
_DOSES_OF_PLANS = (select(_PLAN_DOSES.c.plan_id, _PLAN_DOSES.c.at, _PLAN_DOSES.c.mg)
                   .where(_PLAN_DOSES.c.plan_id.in_(bindparam("plan_ids", expanding=True)))
                   .order_by(_PLAN_DOSES.c.plan_id, _PLAN_DOSES.c.at, _PLAN_DOSES.c.id))


@functools.lru_cache(maxsize=64)
def _spec(text: str) -> PlanSpec:
    """``PlanSpec.from_text``, remembered by text: the same text gives an equal spec, which is frozen."""
    return PlanSpec.from_text(text)


@functools.lru_cache(maxsize=64)
def _warnings(text: str) -> tuple[str, ...]:
    """A plan's stored warnings (JSON text) as a tuple, remembered by text."""
    return tuple(json.loads(text))


def _scheduled(at: datetime, mg: float) -> ScheduledDose:
    """``ScheduledDose(at, mg)`` without the frozen dataclass's ``__init__`` (one ``object.__setattr__``
    per field; a taper has hundreds of doses per plan and every Today view reads them): the same object,
    as ``_listed`` builds entries (tests/journal/test_today_read_fast.py compares them)."""
    dose = _new(ScheduledDose)
    dose.__dict__.update({"at": at, "mg": mg})
    return dose


@functools.lru_cache(maxsize=8)
def _entries_query(start: bool, end: bool, kinds: bool) -> Select[Any]:
    """``list_entries``' select for the bounds it is given, built once per shape (bound parameters
    ``patient_id`` and, as asked, ``start``, ``end``, ``kinds``)."""
    t = _ENTRIES
    q = select(*(t.c[name] for name in _LISTED)).where(t.c.patient_id == bindparam("patient_id"),
                                                         t.c.deleted_at.is_(None))
    if start:
        q = q.where(t.c.at >= bindparam("start"))
    if end:
        q = q.where(t.c.at < bindparam("end"))
    if kinds:
        q = q.where(t.c.kind.in_(bindparam("kinds", expanding=True)))
    return q.order_by(t.c.at, t.c.id)


def _uid_and_data(item: EntryData | tuple[str | None, EntryData]) -> tuple[str, EntryData]:
    """An ``add_batch`` item as (uid, data): a bare ``EntryData`` gets a new uid."""
    if isinstance(item, EntryData):
        return str(uuid.uuid4()), item
    uid, data = item
    return uid or str(uuid.uuid4()), data


def _questionnaire(row: QuestionnaireRow) -> StoredQuestionnaire:
    answers = tuple(int(a) for a in row.answers.split(",") if a)
    data = NewQuestionnaire(row.instrument, row.at, answers, row.total, row.severity, bool(row.emergency))
    return StoredQuestionnaire(row.id, row.patient_id, row.uid, row.recorded_at, data)


def _questionnaire_row(patient_id: int, uid: str, data: NewQuestionnaire, recorded_at: datetime) -> QuestionnaireRow:
    return QuestionnaireRow(patient_id=patient_id, uid=uid, at=data.at, instrument=data.instrument,
                            answers=data.answers_text(), total=data.total, severity=data.severity,
                            emergency=data.emergency, recorded_at=recorded_at)


def _pickup(row: PickUpRow) -> StoredPickUp:
    return StoredPickUp(row.id, row.patient_id, row.uid, row.recorded_at,
                        NewPickUp(row.picked_up_at, row.strength_mg, row.count))


def _patient(row: PatientRow | AnyRow) -> Patient:
    return Patient(row.id, row.name, row.birth_date, cast(Sex | None, row.sex), row.weight_kg, row.created_at)


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Database errors of the block become ``JournalStorageError`` without row data."""
    try:
        yield
    except JournalError:
        raise
    except SQLAlchemyError as exc:
        from gabacare.journal.db import storage_error

        raise storage_error(exc, "the journal database refused the operation") from exc


@contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
    """One ORM session in one transaction; database errors become ``JournalStorageError`` without row data.

    Pass :func:`_reader` of an engine for read-only work: on SQLite it begins a plain (deferred)
    transaction, so readers run side by side in WAL mode instead of queueing for the write lock.
    """
    with _storage_errors(), Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def _core_transaction(engine: Engine) -> Iterator[Connection]:
    """One Core transaction (a connection, no ORM session), with :func:`_transaction`'s errors: for a
    write of plain rows on every request (the audit row), where the session's set-up and unit of work
    cost more than the INSERT."""
    with _storage_errors(), engine.begin() as conn:
        yield conn


# The read snapshot a request has open, per engine (``SqlJournalRepository.snapshot``): reads inside it
# reuse its session, so a page that asks for the patient, the plans, the entries and the account's rights
# uses one transaction and one connection, and repeated lookups by id come from the session's identity map.
_SNAPSHOT: ContextVar[dict[int, Session] | None] = ContextVar("gabacare_read_snapshot", default=None)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[None]:
    open_ = _SNAPSHOT.get()
    if open_ is not None and id(engine) in open_:  # nested: the outer snapshot serves
        yield
        return
    with _transaction(_reader(engine)) as session:
        token = _SNAPSHOT.set({**(open_ or {}), id(engine): session})
        try:
            yield
        finally:
            _SNAPSHOT.reset(token)


def _read_session(engine: Engine, reader: Engine) -> AbstractContextManager[Session]:
    """The open snapshot's session for ``engine`` if there is one, else a new read-only transaction."""
    open_ = _SNAPSHOT.get()
    found = open_.get(id(engine)) if open_ is not None else None
    return nullcontext(found) if found is not None else _transaction(reader)


def _storable(row_id: int) -> bool:
    """Whether ``row_id`` could be a stored id (``is_row_id``): a larger one is answered as unknown here,
    never sent, because PostgreSQL refuses it even in a comparison (an out-of-range error, not "no row")."""
    return is_row_id(row_id)


def _reader(engine: Engine) -> Engine:
    """The same engine marked read-only (see ``gabacare.journal.db``: no ``BEGIN IMMEDIATE``).

    On PostgreSQL its transactions are also ``REPEATABLE READ READ ONLY``: under the server's default
    (READ COMMITTED) every statement sees what was committed before it, so the reads of one snapshot
    (:meth:`SqlJournalRepository.snapshot`) could mix two states of the journal; in REPEATABLE READ they
    all see the state of the transaction's first read, as a SQLite read transaction in WAL mode does.
    A read-only transaction is never refused for serialisation, and the level travels in the BEGIN
    statement itself (no extra round trip).
    SEE: https://www.postgresql.org/docs/current/transaction-iso.html#XACT-REPEATABLE-READ
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(gabacare_read_only=True, isolation_level="REPEATABLE READ",
                                        postgresql_readonly=True)
    return engine.execution_options(gabacare_read_only=True)


class SqlJournalRepository(JournalRepository):
    """Journal storage on any SQLAlchemy engine whose schema :func:`gabacare.journal.db.migrate` made."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = _reader(engine)

    def _tx(self) -> AbstractContextManager[Session]:
        return _transaction(self.engine)

    def _read(self) -> AbstractContextManager[Session]:
        return _read_session(self.engine, self._reader)

    def snapshot(self) -> AbstractContextManager[None]:
        return _snapshot(self.engine)

    @staticmethod
    def _check_patient(session: Session, patient_id: int) -> AnyRow:
        """The patient's row (``_PATIENT_BY_ID``'s columns, by name), else ``UnknownPatientError``.

        Read once per session: the session keeps the row until it closes, so the checks of one
        snapshot (a Today view makes five) read it once. A Core row, not a ``PatientRow``: nothing
        changes it through the ORM, and the ORM's load cost more than the query."""
        kept: dict[int, AnyRow] = session.info.setdefault("gabacare_patients", {})
        row = kept.get(patient_id)
        if row is None:
            row = session.connection().execute(_PATIENT_BY_ID, {"patient_id": patient_id}).first() \
                if _storable(patient_id) else None
            if row is None:
                raise UnknownPatientError(patient_id)
            kept[patient_id] = row
        return row

    def add_patient(self, patient: NewPatient, *, created_at: datetime) -> Patient:
        with self._tx() as s:
            row = PatientRow(name=patient.name, birth_date=patient.birth_date, sex=patient.sex,
                             weight_kg=patient.weight_kg, created_at=created_at)
            s.add(row)
            s.flush()
            return _patient(row)

    def get_patient(self, patient_id: int) -> Patient:
        with self._read() as s:
            return _patient(self._check_patient(s, patient_id))

    def list_patients(self) -> list[Patient]:
        with self._read() as s:
            return [_patient(r) for r in s.scalars(select(PatientRow).order_by(PatientRow.id))]

    @staticmethod
    def _insert_plan(s: Session, patient_id: int, plan: NewPlan, created_at: datetime) -> int:
        row = PlanRow(patient_id=patient_id, kind=plan.kind, label=plan.label, start_date=plan.start,
                      end_date=plan.end, continues=plan.continues, spec=plan.spec.to_text(),
                      warnings=json.dumps(list(plan.warnings)), created_at=created_at,
                      made=None if plan.made is None else plan.made.to_text())
        s.add(row)
        s.flush()
        if plan.doses:
            s.execute(insert(PlanDoseRow), [{"plan_id": row.id, "at": d.at, "mg": d.mg} for d in plan.doses])
        return row.id

    def add_plan(self, patient_id: int, plan: NewPlan, *, created_at: datetime) -> StoredPlan:
        with self._tx() as s:
            self._check_patient(s, patient_id)
            plan_id = self._insert_plan(s, patient_id, plan, created_at)
            return StoredPlan(plan_id, patient_id, created_at, plan)

    def list_plans(self, patient_id: int) -> list[StoredPlan]:
        with self._read() as s:
            self._check_patient(s, patient_id)
            conn = s.connection()
            rows = conn.execute(_PLANS_OF, {"patient_id": patient_id}).all()
            doses: dict[int, list[ScheduledDose]] = {r[0]: [] for r in rows}
            if rows:
                for plan_id, at, mg in conn.execute(_DOSES_OF_PLANS, {"plan_ids": list(doses)}):
                    doses[plan_id].append(_scheduled(at, mg))
            return [
                StoredPlan(plan_id, patient_id, created_at, NewPlan(
                    kind=cast(PlanKind, kind), spec=_spec(spec), label=label, start=start, end=end,
                    continues=continues, doses=tuple(doses[plan_id]), warnings=_warnings(warnings),
                    made=None if made is None else PlanRecord.from_text(made)))
                for plan_id, created_at, kind, spec, label, start, end, continues, warnings, made in rows
            ]

    def add_entry(self, patient_id: int, data: EntryData, *, recorded_at: datetime, uid: str | None = None) -> Entry:
        uid = uid or str(uuid.uuid4())
        with self._tx() as s:
            self._check_patient(s, patient_id)
            row = EntryRow(patient_id=patient_id, version=1, recorded_at=recorded_at, uid=uid, **_content(data))
            s.add(row)
            s.flush()
            return Entry(row.id, patient_id, 1, recorded_at, data, uid=uid)

    def add_batch(
        self,
        patient_id: int,
        *,
        plans: Iterable[NewPlan] = (),
        entries: Iterable[BatchEntry] = (),
        recorded_at: datetime,
        progress: Progress | None = None,
        questionnaires: Iterable[BatchQuestionnaire] = (),
        pickups: Iterable[BatchPickUp] = (),
    ) -> int:
        with self._tx() as s:
            self._check_patient(s, patient_id)
            dialect = s.get_bind().dialect.name
            if dialect == "postgresql":
                written = self._copy_entries(s, patient_id, entries, recorded_at, progress)
            elif dialect == "sqlite":
                written = self._sqlite_entries(s, patient_id, entries, recorded_at, progress)
            else:  # pragma: no cover - only SQLite and PostgreSQL are supported
                written = self._insert_entries(s, patient_id, entries, recorded_at, progress)
            for plan in plans:  # after the entries: see JournalRepository.add_batch
                self._insert_plan(s, patient_id, plan, recorded_at)
            seen = set(s.scalars(select(QuestionnaireRow.uid).where(QuestionnaireRow.patient_id == patient_id)))
            for q_uid, q in questionnaires:
                q_uid = q_uid or str(uuid.uuid4())
                if q_uid not in seen:
                    seen.add(q_uid)
                    s.add(_questionnaire_row(patient_id, q_uid, q, recorded_at))
                    written += 1
            seen_up = set(s.scalars(select(PickUpRow.uid).where(PickUpRow.patient_id == patient_id)))
            for p_uid, up in pickups:
                p_uid = p_uid or str(uuid.uuid4())
                if p_uid not in seen_up:
                    seen_up.add(p_uid)
                    s.add(PickUpRow(patient_id=patient_id, uid=p_uid, picked_up_at=up.picked_up_at,
                                    strength_mg=up.strength_mg, count=up.count, recorded_at=recorded_at))
                    written += 1
            return written

    def add_questionnaire(
        self, patient_id: int, data: NewQuestionnaire, *, recorded_at: datetime, uid: str | None = None,
    ) -> StoredQuestionnaire:
        uid = uid or str(uuid.uuid4())
        with self._tx() as s:
            self._check_patient(s, patient_id)
            row = _questionnaire_row(patient_id, uid, data, recorded_at)
            s.add(row)
            s.flush()
            return StoredQuestionnaire(row.id, patient_id, uid, recorded_at, data)

    def list_questionnaires(
        self, patient_id: int, *, start: datetime | None = None, end: datetime | None = None,
    ) -> list[StoredQuestionnaire]:
        with self._read() as s:
            self._check_patient(s, patient_id)
            q = select(QuestionnaireRow).where(QuestionnaireRow.patient_id == patient_id)
            if start is not None:
                q = q.where(QuestionnaireRow.at >= start)
            if end is not None:
                q = q.where(QuestionnaireRow.at < end)
            return [_questionnaire(r) for r in s.scalars(q.order_by(QuestionnaireRow.at, QuestionnaireRow.id))]

    @staticmethod
    def _insert_entries(
        s: Session, patient_id: int, entries: Iterable[BatchEntry], recorded_at: datetime, progress: Progress | None
    ) -> int:
        """Portable path: one SQLAlchemy insert per entry whose uid is new."""
        it, written, read = iter(entries), 0, 0
        while chunk := list(islice(it, settings.IMPORT_CHUNK_ROWS)):
            for uid, d in map(_uid_and_data, chunk):
                taken = s.scalar(select(EntryRow.id).where(EntryRow.patient_id == patient_id, EntryRow.uid == uid))
                if taken is None:
                    s.execute(insert(_ENTRIES), [{"patient_id": patient_id, "version": 1, "recorded_at": recorded_at,
                                                  "uid": uid, **_content(d)}])
                    written += 1
            read += len(chunk)
            if progress is not None:
                progress(read)
        return written

    @staticmethod
    def _sqlite_entries(
        s: Session, patient_id: int, entries: Iterable[BatchEntry], recorded_at: datetime, progress: Progress | None
    ) -> int:
        """SQLite bulk path: the driver's own ``executemany`` with tuples, a chunk at a time, on the
        session's connection (same transaction).

        Datetimes are written as SQLAlchemy's SQLite ``DATETIME`` type writes them (``YYYY-MM-DD
        HH:MM:SS.ffffff``, a test checks the two agree): SQLAlchemy's per-value parameter handling
        cost as much as the insert itself.

        NOTE: the table's CHECK constraints are switched off for this transaction's bulk insert
        (``PRAGMA ignore_check_constraints``) and enforced here instead, row by row, with the same
        rules: SQLite 3.40 evaluates ``kind IN (...)`` by building a temporary index per row, which
        made the constraints cost four times the rest of the insert (measured: 15.8 vs 3.4 µs/row).
        SEE: https://www.sqlite.org/pragma.html#pragma_ignore_check_constraints

        An entry whose ``uid`` the patient already has is skipped (``ON CONFLICT DO NOTHING`` on the
        unique index): the count returned is of the rows actually added.
        SEE: https://www.sqlite.org/lang_upsert.html
        """
        from sqlalchemy import DateTime

        conn = s.connection()
        process = DateTime().dialect_impl(conn.dialect).bind_processor(conn.dialect)

        def stamp(moment: datetime) -> Any:
            return process(moment) if process is not None else moment

        columns = ("patient_id", "version", "recorded_at", "uid", *_CONTENT)
        sql = (f"INSERT INTO entries ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
               "ON CONFLICT (patient_id, uid) DO NOTHING")
        recorded = stamp(recorded_at)

        def moment(at: datetime | None) -> Any:
            if at is None:
                return None
            return at.isoformat(" ", "microseconds") if at.tzinfo is None else stamp(at)

        it, written, read = iter(entries), 0, 0
        raw: Any = conn.connection.driver_connection  # sqlite3.Connection, inside the session's transaction
        raw.execute("PRAGMA ignore_check_constraints=ON")
        try:
            while chunk := list(islice(it, settings.IMPORT_CHUNK_ROWS)):
                rows = []
                for uid, d in map(_uid_and_data, chunk):
                    _check_row(d)
                    rows.append((patient_id, 1, recorded, uid, d.kind, moment(d.at), d.mg, d.status, d.name,
                                 d.value, d.unit, d.text, d.urgency, moment(d.slot), d.prn))
                written += raw.executemany(sql, rows).rowcount
                read += len(rows)
                if progress is not None:
                    progress(read)
        finally:
            raw.execute("PRAGMA ignore_check_constraints=OFF")
        return written

    @staticmethod
    def _copy_entries(
        s: Session, patient_id: int, entries: Iterable[BatchEntry], recorded_at: datetime, progress: Progress | None
    ) -> int:
        """PostgreSQL bulk path: ``COPY ... FROM STDIN`` on the session's own connection (same transaction)
        into a temporary table, then one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (COPY itself
        cannot skip the uids the patient already has); returns the rows actually added."""
        columns = ("patient_id", "version", "recorded_at", "uid", *_CONTENT)
        names = ", ".join(columns)
        raw: Any = s.connection().connection.driver_connection
        chunk = settings.IMPORT_CHUNK_ROWS
        read = 0
        with raw.cursor() as cur:
            cur.execute(f"CREATE TEMPORARY TABLE gabacare_import ON COMMIT DROP AS SELECT {names} FROM entries "
                        "WITH NO DATA")
            cur.execute("ALTER TABLE gabacare_import ADD COLUMN seq bigint")
            with cur.copy(f"COPY gabacare_import ({names}, seq) FROM STDIN") as copy:
                for uid, d in map(_uid_and_data, entries):
                    copy.write_row((patient_id, 1, recorded_at, uid, d.kind, d.at, d.mg, d.status, d.name, d.value,
                                    d.unit, d.text, d.urgency, d.slot, d.prn, read))  # the order of _CONTENT
                    read += 1
                    if progress is not None and read % chunk == 0:
                        progress(read)
            cur.execute(f"INSERT INTO entries ({names}) SELECT {names} FROM gabacare_import ORDER BY seq "
                        "ON CONFLICT (patient_id, uid) DO NOTHING")
            written = int(cur.rowcount)
            cur.execute("DROP TABLE gabacare_import")
        if progress is not None and read % chunk:
            progress(read)
        return written

    def list_entries(
        self,
        patient_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Sequence[EntryKind] | None = None,
    ) -> list[Entry]:
        with self._read() as s:
            self._check_patient(s, patient_id)
            params: dict[str, Any] = {"patient_id": patient_id}
            if start is not None:
                params["start"] = start
            if end is not None:
                params["end"] = end
            if kinds is not None:
                params["kinds"] = list(kinds)
            q = _entries_query(start is not None, end is not None, kinds is not None)
            # Core rows through the session's connection: the same rows without the ORM's result
            # layer, about a fifth of a year's read (benchmarks/report_year.py).
            return _listed(patient_id, s.connection().execute(q, params).all())

    @staticmethod
    def _entry_row(
        s: Session, patient_id: int, entry_id: int, *, lock: bool = False, deleted: bool = False
    ) -> EntryRow:
        if not _storable(entry_id):
            raise UnknownEntryError(entry_id)
        q = select(EntryRow).where(EntryRow.id == entry_id, EntryRow.patient_id == patient_id)
        if not deleted:
            q = q.where(EntryRow.deleted_at.is_(None))
        row = s.scalars(q.with_for_update() if lock else q).first()
        if row is None:
            raise UnknownEntryError(entry_id)
        return row

    def get_entry(self, patient_id: int, entry_id: int) -> Entry:
        with self._read() as s:
            self._check_patient(s, patient_id)
            return _entry(self._entry_row(s, patient_id, entry_id), entry_id=entry_id, patient_id=patient_id)

    def update_entry(self, patient_id: int, entry_id: int, data: EntryData, *, recorded_at: datetime) -> Entry:
        return self._new_version(patient_id, entry_id, data, recorded_at=recorded_at, delete=False)

    def delete_entry(self, patient_id: int, entry_id: int, *, recorded_at: datetime) -> Entry:
        return self._new_version(patient_id, entry_id, None, recorded_at=recorded_at, delete=True)

    def _new_version(
        self, patient_id: int, entry_id: int, data: EntryData | None, *, recorded_at: datetime, delete: bool
    ) -> Entry:
        """Keep the current version in ``entry_revisions``, then write the next one (one transaction)."""
        with self._tx() as s:
            self._check_patient(s, patient_id)
            old = self._entry_row(s, patient_id, entry_id, lock=True)
            snapshot = {k: getattr(old, k) for k in (*_CONTENT, "version", "recorded_at")}
            s.execute(insert(EntryRevisionRow), [{"entry_id": entry_id, **snapshot}])
            version = old.version + 1
            content = _content(data) if data is not None else {}
            s.execute(update(EntryRow).where(EntryRow.id == entry_id)
                      .values(version=version, recorded_at=recorded_at, deleted_at=recorded_at if delete else None,
                              **content))
            kept = data if data is not None else _entry(old, entry_id=entry_id, patient_id=patient_id).data
            return Entry(entry_id, patient_id, version, recorded_at, kept, uid=old.uid,
                         deleted_at=recorded_at if delete else None)

    def entry_history(self, patient_id: int, entry_id: int) -> list[Entry]:
        t = EntryRevisionRow.__table__
        with self._read() as s:
            self._check_patient(s, patient_id)
            row = self._entry_row(s, patient_id, entry_id, deleted=True)
            current = _entry(row, entry_id=entry_id, patient_id=patient_id)
            q = select(t).where(t.c.entry_id == entry_id).order_by(t.c.version)
            old = [_entry(r, entry_id=entry_id, patient_id=patient_id, uid=row.uid) for r in s.execute(q).mappings()]
            return [*old, current]

    def add_pickup(self, patient_id: int, data: NewPickUp, *, recorded_at: datetime, uid: str | None = None) -> StoredPickUp:
        uid = uid or str(uuid.uuid4())
        with self._tx() as s:
            self._check_patient(s, patient_id)
            row = PickUpRow(patient_id=patient_id, uid=uid, picked_up_at=data.picked_up_at,
                            strength_mg=data.strength_mg, count=data.count, recorded_at=recorded_at)
            s.add(row)
            s.flush()
            return _pickup(row)

    def list_pickups(self, patient_id: int) -> list[StoredPickUp]:
        with self._read() as s:
            self._check_patient(s, patient_id)
            q = select(PickUpRow).where(PickUpRow.patient_id == patient_id).order_by(PickUpRow.picked_up_at, PickUpRow.id)
            return [_pickup(r) for r in s.scalars(q)]

    def delete_pickup(self, patient_id: int, pickup_id: int) -> StoredPickUp:
        from gabacare.journal.errors import UnknownPickUpError

        with self._tx() as s:
            self._check_patient(s, patient_id)
            q = select(PickUpRow).where(PickUpRow.id == pickup_id, PickUpRow.patient_id == patient_id)
            row = s.scalars(q.with_for_update()).first() if _storable(pickup_id) else None
            if row is None:
                raise UnknownPickUpError(pickup_id)
            found = _pickup(row)
            s.delete(row)
            return found

    def get_refill_lead_days(self, patient_id: int) -> int | None:
        with self._read() as s:
            self._check_patient(s, patient_id)
            row = s.get(SupplySettingsRow, patient_id)
            return None if row is None else row.refill_lead_days

    def set_refill_lead_days(self, patient_id: int, days: int | None) -> None:
        with self._tx() as s:
            self._check_patient(s, patient_id)
            row = s.get(SupplySettingsRow, patient_id)
            if days is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(SupplySettingsRow(patient_id=patient_id, refill_lead_days=days))
            else:
                row.refill_lead_days = days

    def count_entries(self, patient_id: int) -> int:
        with self._read() as s:
            self._check_patient(s, patient_id)
            n = s.scalar(select(func.count()).select_from(EntryRow)
                         .where(EntryRow.patient_id == patient_id, EntryRow.deleted_at.is_(None)))
            return int(n or 0)

    def close(self) -> None:
        self.engine.dispose()
