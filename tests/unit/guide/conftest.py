"""Fixtures shared by the guide's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of this test's own (``GABACARE_CACHE_DIR``), the cache switched on."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(folder))
    monkeypatch.delenv("GABACARE_CACHE", raising=False)
    return folder
