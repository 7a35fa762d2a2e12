"""Composition root: wires the real journal adapters together (the faces call this, tests wire fakes).

``journal(db)`` opens the database ``db`` names (else ``$GABACARE_DB``, else the SQLite file in the
user data directory), applies migrations on first use and returns a
:class:`gabacare.journal.services.Journal`. ``accounts(db)`` returns the
:class:`gabacare.accounts.service.Accounts` over the same database. Both go through :func:`stores`,
which keeps one engine (or, for ``memory://``, one in-memory store) per URL for the process, so
the journal and the accounts that guard it always see the same data. ``repository(db)`` still
opens a fresh, separate engine each call. SQLAlchemy is imported only here, when a journal is opened.
"""

from __future__ import annotations

import threading
from dataclasses import field
from typing import TYPE_CHECKING

from gabacare._record import record

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from gabacare.accounts.audit_writer import GroupCommit
    from gabacare.accounts.model import AuditEntry, NewAuditEntry
    from gabacare.accounts.repository import AccountRepository
    from gabacare.accounts.service import Accounts
    from gabacare.journal.repository import JournalRepository
    from gabacare.journal.services import Journal

__all__ = ["Stores", "accounts", "audit_durability", "close_stores", "journal", "repository", "stores"]

_lock = threading.Lock()
_open: dict[str, Stores] = {}


@record
class Stores:
    """The journal and account repositories over one database, and the audit log's group commit.

    ``audit`` is shared by every :class:`Accounts` made over these stores, so concurrent requests'
    audit rows share transactions (see :mod:`gabacare.accounts.audit_writer`).
    """

    journal: JournalRepository
    accounts: AccountRepository
    audit: GroupCommit[NewAuditEntry, AuditEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from gabacare.accounts.audit_writer import GroupCommit

        object.__setattr__(self, "audit", GroupCommit(self.accounts.append_audits))

    def close(self) -> None:
        self.journal.close()
        self.accounts.close()


def repository(db: str | None = None) -> JournalRepository:
    """The journal repository for a SQLAlchemy URL (``memory://`` gives the in-memory fake)."""
    from gabacare.journal.db import make_engine, migrate, resolve_url

    url = resolve_url(db)
    if url == "memory://":
        from gabacare.journal.memory import InMemoryJournalRepository

        return InMemoryJournalRepository()
    from gabacare.journal.sql import SqlJournalRepository

    engine = make_engine(url)
    migrate(engine)
    return SqlJournalRepository(engine)


def stores(db: str | None = None) -> Stores:
    """Both repositories over the database ``db`` selects, sharing one engine per URL in this process.

    Migrations are applied (or checked, which is one query) on every call.
    """
    from gabacare.journal.db import make_engine, migrate, resolve_url

    url = resolve_url(db)
    with _lock:
        found = _open.get(url)
        if found is None:
            if url == "memory://":
                from gabacare.accounts.memory import InMemoryAccountRepository
                from gabacare.journal.memory import InMemoryJournalRepository

                mem = InMemoryJournalRepository()
                found = Stores(mem, InMemoryAccountRepository(mem))
            else:
                from gabacare.accounts.sql import SqlAccountRepository
                from gabacare.journal.sql import SqlJournalRepository

                engine = make_engine(url)
                migrate(engine)
                found = Stores(SqlJournalRepository(engine),
                               SqlAccountRepository(engine, audit_durability=audit_durability()))
            _open[url] = found
        elif url != "memory://":
            from gabacare.journal.sql import SqlJournalRepository

            assert isinstance(found.journal, SqlJournalRepository)
            migrate(found.journal.engine)
        return found


def audit_durability() -> str:
    """``$GABACARE_AUDIT_DURABILITY``, else the default (``journal.settings.AUDIT_DURABILITIES``:
    "process" or "full"); another value is refused with a storage error naming the variable."""
    import os

    from gabacare.journal import settings

    value = os.environ.get(settings.AUDIT_DURABILITY_ENV_VAR, "").strip().lower() or settings.AUDIT_DURABILITIES[0]
    if value not in settings.AUDIT_DURABILITIES:
        from gabacare.journal.errors import JournalStorageError

        choices = " or ".join(settings.AUDIT_DURABILITIES)
        raise JournalStorageError(f"{settings.AUDIT_DURABILITY_ENV_VAR} must be {choices}")
    return value


def close_stores() -> None:
    """Release every engine :func:`stores` opened (app shutdown, tests); the next call opens afresh."""
    with _lock:
        opened = list(_open.values())
        _open.clear()
    for s in opened:
        s.close()


def journal(db: str | None = None) -> Journal:
    """The journal service over the database ``db`` selects (see the module docstring)."""
    from gabacare.journal.services import Journal

    return Journal(stores(db).journal)


def accounts(db: str | None = None, *, password_hasher: PasswordHasher | None = None) -> Accounts:
    """The account service over the same database as :func:`journal` (same engine, same data).

    ``password_hasher`` defaults to argon2-cffi's production parameters.
    """
    from gabacare.accounts.service import Accounts

    found = stores(db)
    return Accounts(found.accounts, password_hasher=password_hasher, audit_writer=found.audit)
