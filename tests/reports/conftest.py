"""Fixtures for the report tests: the journal of ``_journal.py`` in a module-wide SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gabacare.journal.services import Journal

from ._journal import Facts, build_journal


@pytest.fixture(scope="module")
def journal_facts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Journal, Facts, str]]:
    path: Path = tmp_path_factory.mktemp("report") / "journal.sqlite3"
    url = f"sqlite:///{path}"
    j, facts = build_journal(url)
    yield j, facts, url
    j.repo.close()
