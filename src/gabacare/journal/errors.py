"""Errors raised by the journal.

::

    JournalError                         base of every journal error
    ├── JournalInputError (ValueError)   bad input: out of range, malformed, in the future;
    │   │                                nothing was written
    │   ├── UnknownPatientError (LookupError)   no patient with that id
    │   ├── UnknownEntryError (LookupError)     no entry with that id for that patient
    │   └── ImportValidationError        an import file has bad rows; ``problems`` lists every
    │                                    one as (line, message); nothing was imported
    └── JournalStorageError              the database could not be opened or written

Messages never contain patient data (names, scores, doses, notes): they name the field and the
rule, and, for imports, the line number. Faces map ``JournalInputError`` to exit code 2 / HTTP 4xx.
"""

from __future__ import annotations

__all__ = [
    "ImportValidationError",
    "JournalError",
    "JournalInputError",
    "JournalStorageError",
    "UnknownEntryError",
    "UnknownPatientError",
]


class JournalError(Exception):
    """Base of every journal error."""


class JournalInputError(JournalError, ValueError):
    """Bad input; the message names the field and the rule (never the value itself)."""


class UnknownPatientError(JournalInputError, LookupError):
    """No patient with that id."""

    def __init__(self, patient_id: int) -> None:
        super().__init__(f"unknown patient id {patient_id}; see `gabacare patient list`")
        self.patient_id = patient_id


class UnknownEntryError(JournalInputError, LookupError):
    """No entry with that id for that patient."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"unknown entry id {entry_id} for this patient")
        self.entry_id = entry_id


class ImportValidationError(JournalInputError):
    """Some rows of an import are bad; ``problems`` has every (line, message). Nothing was imported."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"line {line}: {msg}" for line, msg in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"import refused, {len(problems)} bad row(s), nothing imported: {shown}{more}")


class JournalStorageError(JournalError):
    """The database could not be opened, migrated or written."""
