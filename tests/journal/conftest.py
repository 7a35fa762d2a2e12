"""Journal service fixtures: a fixed clock and journals over each backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.services import Journal

NOW = datetime(2026, 6, 30, 12, 0)


@pytest.fixture
def mem_journal() -> Journal:
    """A journal on the in-memory repository with a fixed clock (for analysis and rules)."""
    return Journal(InMemoryJournalRepository(), clock=lambda: NOW)


@pytest.fixture
def sql_journal(db_url: str) -> Iterator[Journal]:
    """A journal on SQLite, then on PostgreSQL, with a fixed clock."""
    from gabacare.composition import repository

    repo = repository(db_url)
    yield Journal(repo, clock=lambda: NOW)
    repo.close()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_journal(request: pytest.FixtureRequest) -> Iterator[Journal]:
    """The same journal behaviour on every backend."""
    if request.param == "memory":
        yield Journal(InMemoryJournalRepository(), clock=lambda: NOW)
        return
    from gabacare.composition import repository

    repo = repository(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    yield Journal(repo, clock=lambda: NOW)
    repo.close()
