"""The journal repository port: the one interface every storage adapter implements.

Adapters: :class:`gabacare.journal.memory.InMemoryJournalRepository` (tests, demos) and
:class:`gabacare.journal.sql.SqlJournalRepository` (SQLite and PostgreSQL through SQLAlchemy).
``tests/contract/test_journal_repository.py`` runs one suite against all of them.

Rules every adapter keeps:

* each method is one transaction: it writes all or nothing;
* ``add_batch`` writes plans and entries in a single transaction (imports are all or nothing); it
  reads ``entries`` once, in order, as it writes them (a generator streaming an import file works,
  and an exception it raises rolls everything back), and only then reads ``plans``;
* ``update_entry`` and ``delete_entry`` keep the superseded version (``entry_history`` returns every
  version, a deleted entry's too); a deleted entry is left out of ``list_entries``, ``get_entry``
  and ``count_entries``;
* every entry has a ``uid`` unique per patient; ``add_batch`` skips an entry whose uid the patient
  already has (a deleted entry's included) and counts only the entries it added;
* entries come back ordered by ``(at, id)``; plans by ``id``;
* questionnaires (:class:`~gabacare.journal.model.StoredQuestionnaire`) are never edited; each has a
  ``uid`` unique per patient, and ``add_batch`` skips one whose uid the patient already has; they come
  back ordered by ``(at, id)``;
* pick-ups of pills (:class:`~gabacare.journal.pickups.StoredPickUp`) are never edited; each has a ``uid``
  unique per patient; they come back ordered by ``(picked_up_at, id)``; the refill lead time a patient
  chose is one value per patient (``get_refill_lead_days``/``set_refill_lead_days``);
* an unknown patient raises :class:`~gabacare.journal.errors.UnknownPatientError`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from gabacare.journal.model import (
    Entry,
    EntryData,
    EntryKind,
    NewPatient,
    NewPlan,
    NewQuestionnaire,
    Patient,
    StoredPlan,
    StoredQuestionnaire,
)
from gabacare.journal.pickups import NewPickUp, StoredPickUp

__all__ = ["BatchEntry", "BatchPickUp", "BatchQuestionnaire", "JournalRepository", "Progress"]

Progress = Callable[[int], None]
"""Called with the number of rows read so far during ``add_batch`` (inside the transaction)."""

BatchEntry = EntryData | tuple[str | None, EntryData]
"""An entry for ``add_batch``: its data, or ``(uid, data)`` to keep the uid an export carried."""

BatchQuestionnaire = tuple[str | None, NewQuestionnaire]
"""A questionnaire for ``add_batch``: ``(uid, data)`` (uid None: a new one)."""

BatchPickUp = tuple[str | None, NewPickUp]
"""A pick-up of pills for ``add_batch``: ``(uid, data)`` (uid None: a new one)."""


class JournalRepository(abc.ABC):
    """Storage of patients, plans and entries. Values in, values out; no business rules."""

    @abc.abstractmethod
    def add_patient(self, patient: NewPatient, *, created_at: datetime) -> Patient:
        """Store a new patient and return it with its id."""

    @abc.abstractmethod
    def get_patient(self, patient_id: int) -> Patient:
        """The patient with that id, or ``UnknownPatientError``."""

    @abc.abstractmethod
    def list_patients(self) -> list[Patient]:
        """Every patient, by id."""

    @abc.abstractmethod
    def add_plan(self, patient_id: int, plan: NewPlan, *, created_at: datetime) -> StoredPlan:
        """Store a plan with its dose schedule."""

    @abc.abstractmethod
    def list_plans(self, patient_id: int) -> list[StoredPlan]:
        """The patient's plans, oldest first."""

    @abc.abstractmethod
    def add_entry(self, patient_id: int, data: EntryData, *, recorded_at: datetime, uid: str | None = None) -> Entry:
        """Store one entry (already validated) and return it with its id (and ``uid``, new when not given)."""

    @abc.abstractmethod
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
        """Store entries, then plans, questionnaires and pick-ups, in one transaction; return the number of
        entries, questionnaires and pick-ups added (one whose uid the patient already has is skipped).

        ``entries`` is iterated once, while writing (memory stays flat for a streamed import), and
        ``plans`` only after it is exhausted, so a parser may collect the plans it meets into the list
        it passed as ``plans``. Any exception (from the iterator too) leaves nothing written.
        """

    @abc.abstractmethod
    def list_entries(
        self,
        patient_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Sequence[EntryKind] | None = None,
    ) -> list[Entry]:
        """Current versions of entries with ``start <= at < end``, ordered by ``(at, id)``."""

    @abc.abstractmethod
    def get_entry(self, patient_id: int, entry_id: int) -> Entry:
        """The current version of one entry, or ``UnknownEntryError``."""

    @abc.abstractmethod
    def update_entry(self, patient_id: int, entry_id: int, data: EntryData, *, recorded_at: datetime) -> Entry:
        """Replace an entry's content, keeping the previous version in its history."""

    @abc.abstractmethod
    def delete_entry(self, patient_id: int, entry_id: int, *, recorded_at: datetime) -> Entry:
        """Delete an entry: its next version (``deleted_at`` set) ends its life; the history keeps every version."""

    @abc.abstractmethod
    def entry_history(self, patient_id: int, entry_id: int) -> list[Entry]:
        """Every version of an entry, oldest first (the last one is current)."""

    @abc.abstractmethod
    def add_questionnaire(
        self, patient_id: int, data: NewQuestionnaire, *, recorded_at: datetime, uid: str | None = None,
    ) -> StoredQuestionnaire:
        """Store one scored questionnaire (already validated); a new ``uid`` when none is given."""

    @abc.abstractmethod
    def list_questionnaires(
        self, patient_id: int, *, start: datetime | None = None, end: datetime | None = None,
    ) -> list[StoredQuestionnaire]:
        """The questionnaires with ``start <= at < end``, ordered by ``(at, id)``."""

    @abc.abstractmethod
    def add_pickup(self, patient_id: int, data: NewPickUp, *, recorded_at: datetime, uid: str | None = None) -> StoredPickUp:
        """Store one pick-up of pills (already validated); a new ``uid`` when none is given."""

    @abc.abstractmethod
    def list_pickups(self, patient_id: int) -> list[StoredPickUp]:
        """The patient's pick-ups, ordered by ``(picked_up_at, id)``."""

    @abc.abstractmethod
    def delete_pickup(self, patient_id: int, pickup_id: int) -> StoredPickUp:
        """Remove one of the patient's pick-ups for good (it no longer counts) and return it as it was;
        ``UnknownPickUpError`` when the patient has no pick-up with that id (another patient's included)."""

    @abc.abstractmethod
    def get_refill_lead_days(self, patient_id: int) -> int | None:
        """The refill lead time (days) the patient chose, None when none was chosen."""

    @abc.abstractmethod
    def set_refill_lead_days(self, patient_id: int, days: int | None) -> None:
        """Keep the patient's refill lead time (already checked); None forgets it (the default applies)."""

    @abc.abstractmethod
    def count_entries(self, patient_id: int) -> int:
        """How many (current) entries the patient has."""

    def snapshot(self) -> AbstractContextManager[None]:
        """A context in which this repository's reads (and those of the account repository on the same
        database) share one read-only transaction: one consistent view and one connection for a whole
        page instead of one transaction per read. Writes inside it go through their own transactions
        as always, and reads inside it may not see them: use it only around work that reads. A no-op
        for adapters that need none (the in-memory fake)."""
        return nullcontext()

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections (no-op for adapters without any)."""
