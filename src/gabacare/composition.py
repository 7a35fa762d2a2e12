"""Composition root: wires the real journal adapters together (the faces call this, tests wire fakes).

``journal(db)`` opens the database ``db`` names (else ``$GABACARE_DB``, else the SQLite file in the
user data directory), applies migrations on first use and returns a
:class:`gabacare.journal.services.Journal`. SQLAlchemy is imported only here, when a journal is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gabacare.journal.repository import JournalRepository
    from gabacare.journal.services import Journal

__all__ = ["journal", "repository"]


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


def journal(db: str | None = None) -> Journal:
    """The journal service over the database ``db`` selects (see the module docstring)."""
    from gabacare.journal.services import Journal

    return Journal(repository(db))
