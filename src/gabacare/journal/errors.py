"""Errors raised by the journal.

::

    JournalError                         base of every journal error
    ├── JournalInputError (ValueError)   bad input: out of range, malformed, in the future;
    │   │                                nothing was written
    │   ├── UnknownPatientError (LookupError)   no patient with that id
    │   ├── UnknownEntryError (LookupError)     no entry with that id for that patient
    │   └── ImportValidationError        an import file has bad rows; ``problems`` lists them
    │                                    as (line, message), ``total`` counts them; nothing was imported
    └── JournalStorageError              the database could not be opened or written
        ├── JournalReadOnlyError         a change was asked of a journal opened read-only (a read-only
        │                                file or file system); reading still works
        └── JournalCorruptError          the file is damaged or is not a GabaCare journal

Every class sits in GabaCare's one error tree (:mod:`gabacare.errors`): ``JournalInputError`` is an
``InputError``, the unknown-id errors are also ``NotFoundError``, ``JournalStorageError`` a
``StorageError``; faces map them by type.

Messages never contain patient data (names, scores, doses, notes): they name the field and the
rule, and, for imports, the line number. Faces map ``JournalInputError`` to exit code 2 / HTTP 4xx;
``JournalReadOnlyError`` and ``JournalCorruptError`` to exit code 2 (the user must act on the file) and
HTTP 503 (the service is unavailable, not the request wrong).
"""

from __future__ import annotations

from gabacare.errors import GabaCareError, InputError, NotFoundError, StorageError

__all__ = [
    "ImportValidationError",
    "JournalCorruptError",
    "JournalError",
    "JournalInputError",
    "JournalReadOnlyError",
    "JournalStorageError",
    "UnknownEntryError",
    "UnknownPatientError",
    "UnknownPickUpError",
    "UnknownPlanError",
]


class JournalError(GabaCareError):
    """Base of every journal error."""


class JournalInputError(JournalError, InputError):
    """Bad input; the message names the field and the rule (never the value itself)."""


class UnknownPatientError(JournalInputError, NotFoundError):
    """No patient with that id."""

    def __init__(self, patient_id: int) -> None:
        super().__init__(f"unknown patient id {patient_id}; see `gabacare patient list`")
        self.patient_id = patient_id


class UnknownEntryError(JournalInputError, NotFoundError):
    """No entry with that id for that patient."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"unknown entry id {entry_id} for this patient")
        self.entry_id = entry_id


class UnknownPickUpError(JournalInputError, NotFoundError):
    """No pick-up with that id for that patient."""

    def __init__(self, pickup_id: int) -> None:
        super().__init__(f"unknown pick-up id {pickup_id} for this patient; see `gabacare supply --json`")
        self.pickup_id = pickup_id


class UnknownPlanError(JournalError, NotFoundError):
    """No plan with that id for that patient (the message names the ids, never patient data)."""


class ImportValidationError(JournalInputError):
    """Some rows of an import are bad; ``problems`` lists (line, message) for the first of them and
    ``total`` counts them all (``settings.IMPORT_MAX_PROBLEMS`` bounds the list). Nothing was imported."""

    def __init__(self, problems: list[tuple[int, str]], total: int | None = None) -> None:
        self.problems = problems
        self.total = max(total or 0, len(problems))
        shown = "; ".join(f"line {line}: {msg}" for line, msg in problems[:5])
        more = f" (and {self.total - 5} more)" if self.total > 5 else ""
        super().__init__(f"import refused, {self.total} bad row(s), nothing imported: {shown}{more}")


class JournalStorageError(JournalError, StorageError):
    """The database could not be opened, migrated or written."""


class JournalReadOnlyError(JournalStorageError):
    """The journal is read-only here (file permissions or a read-only file system): nothing was written."""


class JournalCorruptError(JournalStorageError):
    """The journal file is damaged or is not a GabaCare journal (SQLite's "not a database", "malformed")."""

    cli_exit = 2  # the user must act on the file (restore a backup, point --db elsewhere): like bad input
