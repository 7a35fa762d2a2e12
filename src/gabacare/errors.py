"""The one error tree of GabaCare: every error the package raises on purpose derives from
:class:`GabaCareError`, and the faces map it by type, never by message.

::

    GabaCareError
    ├── InputError (ValueError)          the caller's input is refused: CLI exit 2, HTTP 422 (or 400)
    │   ├── clinical.ClinicalInputError
    │   │   └── clinical.RegimenParseError
    │   ├── journal.JournalInputError
    │   │   ├── journal.ImportValidationError
    │   │   └── journal.AccountInputError
    │   ├── interop.FhirResourceError, interop.BundleImportError, interop.UnreadableOrder,
    │   │   interop.CdsRequestError
    │   └── reports: a plot file name GabaCare cannot write (raised as InputError itself)
    ├── NotFoundError (LookupError)      no such patient, entry, topic…: CLI exit 2, HTTP 404
    │   ├── journal.UnknownPatientError, journal.UnknownEntryError (also JournalInputError)
    ├── AccessError                      not allowed: HTTP 401/403 (never says whether the thing exists)
    │   ├── journal.AccessDenied, interop.CdsAuthError
    ├── ConflictError                    the request clashes with what is stored: HTTP 409
    │   └── journal.EmailTakenError (also AccountInputError)
    ├── StorageError                     the database cannot be read or written: CLI exit 1, HTTP 503
    │   ├── journal.JournalStorageError → JournalReadOnlyError, JournalCorruptError (CLI exit 2:
    │   │                                the user must act on the file)
    │   └── interop.FhirFetchError       an EHR's FHIR server was not read (CDS skips what it needed)
    └── InternalError                    a defect or broken installation: CLI exit 1, HTTP 500
        └── knowledge.KnowledgeBaseError (the data files do not load)

Rules: an error's message names the field and the rule, never a patient's value; a built-in
exception (``ValueError``, ``KeyError``…) that is not in this tree is a defect and is reported as
internal (exit 1 / 500), never as the user's fault. This module imports nothing from GabaCare, so
every layer can use it.
"""

from __future__ import annotations

__all__ = [
    "AccessError",
    "ConflictError",
    "GabaCareError",
    "InputError",
    "InternalError",
    "NotFoundError",
    "StorageError",
    "exit_code",
    "http_status",
]


class GabaCareError(Exception):
    """Base of every error GabaCare raises on purpose.

    ``cli_exit`` overrides the CLI exit code its branch gives (e.g. a damaged journal file is a
    storage error, 503 on the web, but on the command line the user must act on the file: exit 2).
    """

    cli_exit: int | None = None


class InputError(GabaCareError, ValueError):
    """The caller's input is refused (missing, malformed or implausible); the message says what to change."""


class NotFoundError(GabaCareError, LookupError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class AccessError(GabaCareError):
    """The caller may not do this."""


class ConflictError(GabaCareError):
    """The request clashes with what is already stored."""


class StorageError(GabaCareError):
    """The database or file cannot be read or written; nothing was changed."""


class InternalError(GabaCareError):
    """A defect or a broken installation (e.g. knowledge-base files that do not load)."""


def exit_code(exc: BaseException) -> int:
    """The CLI exit code for an error: its ``cli_exit`` if it sets one, else 2 for the caller's input
    (and unknown ids, refused access, conflicts), 1 for everything else."""
    override = getattr(exc, "cli_exit", None)
    if isinstance(override, int):
        return override
    return 2 if isinstance(exc, InputError | NotFoundError | ConflictError | AccessError) else 1


def http_status(exc: BaseException) -> int:
    """The HTTP status for an error of the tree (500 for anything outside it)."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, AccessError):
        return 403
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, StorageError):
        return 503
    return 500
