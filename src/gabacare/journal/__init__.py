"""The journal: a durable record of plans, doses, scores, triggers, side effects, labs and notes.

Layers inside the package::

    model.py        values (Patient, StoredPlan, Entry, EntryData) and their validation
    repository.py   the storage port; memory.py and sql.py (SQLite, PostgreSQL) implement it
    orm.py, db.py   SQLAlchemy tables, engine settings, Alembic migrations (migrations/)
    schedule.py     which doses the plans call for on a day (pure)
    analysis.py     adherence, streaks, trends, dose-response (pure)
    transfer.py     CSV/JSON export (row by row) and streamed import parsing
    services.py     the use cases (``Journal``) the faces call through ``gabacare.composition``

Importing this package does not import SQLAlchemy.
"""

from __future__ import annotations

from gabacare.journal.errors import (
    ImportValidationError,
    JournalCorruptError,
    JournalError,
    JournalInputError,
    JournalReadOnlyError,
    JournalStorageError,
    UnknownEntryError,
    UnknownPatientError,
)
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import (
    Entry,
    EntryData,
    InvalidEntry,
    NewPlan,
    Patient,
    PlanSpec,
    ScheduledDose,
    StoredPlan,
)
from gabacare.journal.repository import JournalRepository
from gabacare.journal.services import Journal

__all__ = [
    "Entry",
    "EntryData",
    "ImportValidationError",
    "InMemoryJournalRepository",
    "InvalidEntry",
    "Journal",
    "JournalCorruptError",
    "JournalError",
    "JournalInputError",
    "JournalReadOnlyError",
    "JournalRepository",
    "JournalStorageError",
    "NewPlan",
    "Patient",
    "PlanSpec",
    "ScheduledDose",
    "StoredPlan",
    "UnknownEntryError",
    "UnknownPatientError",
]
