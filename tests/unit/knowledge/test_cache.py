"""The derived-data cache only saves time: a damaged, missing or disabled cache changes no result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gabacare.knowledge.cache import derived


def _build() -> dict[str, list[int]]:
    return {"stems": [1, 2, 3]}


def test_a_result_is_stored_and_served_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    calls = []

    def build() -> dict[str, list[int]]:
        calls.append(1)
        return _build()

    assert derived("t", ("language.toml",), (), build) == _build()
    assert derived("t", ("language.toml",), (), build) == _build()
    assert len(calls) == 1 and len(list(tmp_path.glob("t-*.json"))) == 1


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    derived("t", ("language.toml",), (), _build)
    (path,) = tmp_path.glob("t-*.json")
    path.write_text("{not json", encoding="utf-8")
    assert derived("t", ("language.toml",), (), _build) == _build()


def test_values_json_cannot_hold_exactly_are_built_each_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    value = {"pair": (1, 2)}  # a tuple comes back from JSON as a list: never cached
    assert derived("t", ("language.toml",), (), lambda: value) == value
    assert not list(tmp_path.glob("t-*.json"))


def test_the_cache_can_be_turned_off_or_be_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE", "off")
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    assert derived("t", ("language.toml",), (), _build) == _build()
    assert not list(tmp_path.iterdir())
    monkeypatch.delenv("GABACARE_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(blocker / "sub"))  # a file where a folder should be
    assert derived("t", ("language.toml",), (), _build) == _build()


def test_a_changed_data_file_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    derived("t", ("language.toml",), (), _build)
    derived("t", ("lexicon.toml",), (), lambda: {"other": [0]})
    files = sorted(tmp_path.glob("t-*.json"))
    # One file per name: the newer key replaced the older one.
    assert len(files) == 1 and json.loads(files[0].read_text(encoding="utf-8")) == {"other": [0]}
