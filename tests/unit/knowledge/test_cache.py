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


def test_a_file_digest_is_the_sha256_of_its_content_and_a_recent_file_is_always_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from gabacare.knowledge import cache

    monkeypatch.setattr(cache, "_digests", {})
    f = tmp_path / "data.toml"
    f.write_bytes(b"a = 1\n")
    assert cache.file_digest(f) == hashlib.sha256(b"a = 1\n").digest()
    assert str(f) not in cache._digests  # changed just now: another write could keep its size and times
    f.write_bytes(b"a = 2\n")
    assert cache.file_digest(f) == hashlib.sha256(b"a = 2\n").digest()


def test_a_settled_files_digest_is_kept_while_its_status_is_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib
    import os

    from gabacare.knowledge import cache

    monkeypatch.setattr(cache, "_digests", {})
    monkeypatch.setattr(cache, "_SETTLED_S", -1.0)  # (every file counts as settled)
    f = tmp_path / "data.toml"
    f.write_bytes(b"a = 1\n")
    assert cache.file_digest(f) == hashlib.sha256(b"a = 1\n").digest()
    status, _ = cache._digests[str(f)]
    cache._digests[str(f)] = (status, b"kept")
    assert cache.file_digest(f) == b"kept"  # the same status: not read again
    f.write_bytes(b"a = 22\n")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # (its times move on, as a later write's do)
    assert cache.file_digest(f) == hashlib.sha256(b"a = 22\n").digest()
