"""The compiled cache of ``ask`` (``gabacare.guide._compiled``) only saves time.

Answers from the cached topic vectors equal the answers built in the process for every question of
the development splits; a damaged, stale, misshapen or unwritable cache is rebuilt (or bypassed)
without a wrong word; the key follows the knowledge base's data files; concurrent writers leave one
whole file. The embedding weights, memory-mapped, are the very values ``safetensors`` reads.
Real files, real embeddings, real knowledge base throughout.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gabacare.clinical.text import semantic
from gabacare.guide import _compiled
from gabacare.guide._compiled import PlainArray
from gabacare.guide.plain import ask_data

QUESTIONS = Path(__file__).resolve().parents[2] / "eval" / "data"
ask_module = importlib.import_module("gabacare.guide.ask")  # the package exports ask() by that name
NAME = "ask-topics"


def _net() -> Any:
    net = semantic.semantic_net()
    assert net is not None, semantic.unavailable_reason()
    return net


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{NAME}-*.npz"))


def _dev_questions() -> list[str]:
    """Every question of the development splits (``tests/eval/data/questions_dev*.toml``)."""
    out: list[str] = []
    for path in sorted(QUESTIONS.glob("questions_dev*.toml")):
        with path.open("rb") as fh:
            out.extend(str(row["text"]) for row in tomllib.load(fh)["case"])
    return out


def _same_arrays(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The same names, types, shapes and bytes (NumPy arrays and the cache's plain arrays alike)."""
    return a.keys() == b.keys() and all(PlainArray.of(a[k]) == PlainArray.of(b[k]) for k in a)


def _numpy(arrays: Mapping[str, PlainArray]) -> dict[str, Any]:
    return {k: np.frombuffer(v.data, dtype=v.descr).reshape(v.shape) for k, v in arrays.items()}


@pytest.mark.untraced  # a sweep over every development text (tests/conftest.py)
def test_the_cached_path_answers_dev_questions_as_the_built_one(cache_dir: Path) -> None:
    net, guide = _net(), ask_data()
    built = ask_module.compile_topics(net, guide)
    ask_module._compiled_topics(net, guide)  # first process: builds and writes the file
    assert len(_files(cache_dir)) == 1
    cached = ask_module._compiled_topics(net, guide)  # a later one: read from the file
    assert _same_arrays(cached, built)  # bit for bit
    plain = ask_module._plain_embedder(None)
    assert plain is not None
    embed = plain.embed_one
    uncached_sem = ask_module._Semantic(embed, guide, {k: PlainArray.of(v) for k, v in built.items()})
    cached_sem = ask_module._Semantic(embed, guide, cached)
    state = ask_module._semantic_state
    saved = dict(state)
    # ~400 development questions spread over every split (a fixed number, so the sweep does not grow with
    # each new split): the arrays are equal bit for bit (above), so this checks that answers built on them
    # are too, without asking all of them twice.
    every = _dev_questions()
    questions = every[:: max(1, len(every) // 400)]
    assert len(questions) >= 400
    try:
        for q in questions:
            state["s"] = uncached_sem
            expected = ask_module.ask(q).to_json()
            state["s"] = cached_sem
            assert ask_module.ask(q).to_json() == expected, q
    finally:
        state.clear()
        state.update(saved)


def test_plain_python_and_numpy_compare_a_question_alike(cache_dir: Path) -> None:
    """A one-shot ``ask`` (no NumPy loaded) and a server (NumPy loaded) score every topic text alike:
    the same double-precision products, summed in another order."""
    sem = ask_module._load_semantic()
    assert sem is not None
    for q in _dev_questions()[::64]:  # ~130 questions of every split
        v = sem.vector(q)
        for name in ("anchors", "off_topic"):
            plain = [ask_module._dot(row, v) for row in sem._rows(name)]
            assert np.allclose(sem._cosines(name, v, np), plain, rtol=0, atol=1e-12), q
    assert sem._cosines("anchors", v) == sem._cosines("anchors", v, np)  # NumPy is loaded here: it is used


def test_a_cold_and_a_warm_command_print_the_same_answer(cache_dir: Path) -> None:
    exe = Path(sys.executable).with_name("gabacare")
    cmd = [str(exe), "ask", "can it make you sleepy?", "--json"]
    env = {**os.environ, "GABACARE_CACHE_DIR": str(cache_dir)}
    cold = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    assert len(_files(cache_dir)) == 1
    warm = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    assert cold == warm and json.loads(warm)["retrieval"] == "hybrid"


@pytest.mark.parametrize("damage", [b"", b"not a zip file", "truncate"])
def test_a_damaged_cache_file_is_rebuilt(cache_dir: Path, damage: bytes | str) -> None:
    net, guide = _net(), ask_data()
    built = ask_module._compiled_topics(net, guide)
    (path,) = _files(cache_dir)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        assert isinstance(damage, bytes)
        path.write_bytes(damage)
    assert _same_arrays(ask_module._compiled_topics(net, guide), built)
    assert _same_arrays(_compiled._load(path, path.stem.rsplit("-", 1)[1], lambda a: True) or {}, built)  # rewritten


def test_a_file_with_another_key_or_shape_is_not_trusted(cache_dir: Path) -> None:
    net, guide = _net(), ask_data()
    built = ask_module._compiled_topics(net, guide)
    (path,) = _files(cache_dir)
    key = path.stem.rsplit("-", 1)[1]
    wrong = {k: np.zeros_like(v) for k, v in _numpy(built).items()}
    with path.open("wb") as fh:  # a stale file under the current name: its own key differs
        np.savez(fh, __key__=np.asarray("0" * 32), **wrong)
    assert _same_arrays(ask_module._compiled_topics(net, guide), built)
    with path.open("wb") as fh:  # the right key but a shape the guide does not give
        np.savez(fh, __key__=np.asarray(key), **{**_numpy(built), "anchors": _numpy(built)["anchors"][:-1]})
    assert _same_arrays(ask_module._compiled_topics(net, guide), built)
    for bad in ([np.nan], [np.inf], [np.inf, -np.inf]):  # the right key and shape, a value that is not finite
        anchors = _numpy(built)["anchors"].copy()
        anchors.flat[[7, 11][: len(bad)]] = bad
        with path.open("wb") as fh:
            np.savez(fh, __key__=np.asarray(key), **{**_numpy(built), "anchors": anchors})
        assert _same_arrays(ask_module._compiled_topics(net, guide), built)
    assert _same_arrays(_compiled._load(path, key, lambda a: True) or {}, built)


def test_the_key_follows_the_data_files_and_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights, tokenizer = semantic.model_files()
    code = tmp_path / "code.py"
    code.write_text("x = 1\n")
    key = _compiled.cache_key(NAME, (code,), (weights, tokenizer))
    assert key == _compiled.cache_key(NAME, (code,), (weights, tokenizer))
    data = tmp_path / "data"
    shutil.copytree(_compiled._data_root(), data)
    monkeypatch.setattr(_compiled, "_data_root", lambda: data)
    assert _compiled.cache_key(NAME, (code,), (weights, tokenizer)) == key  # the same bytes, the same key
    synonyms = data / "synonyms.toml"
    synonyms.write_text(synonyms.read_text(encoding="utf-8") + "\n# another engineer's tuning\n", encoding="utf-8")
    changed = _compiled.cache_key(NAME, (code,), (weights, tokenizer))
    assert changed != key
    # The data files read once for several keys give the keys of reading them each time.
    read = _compiled.data_files()
    tokens_only = lambda rel: rel == "synonyms.toml"  # noqa: E731
    assert _compiled.cache_key(NAME, (code,), (weights, tokenizer), read=read) == changed
    assert (_compiled.cache_key(NAME, (code,), (weights, tokenizer), tokens_only, read)
            == _compiled.cache_key(NAME, (code,), (weights, tokenizer), tokens_only) != changed)
    code.write_text("x = 2\n")
    assert _compiled.cache_key(NAME, (code,), (weights, tokenizer)) not in (key, changed)


def test_a_stale_version_is_replaced_by_the_current_one(cache_dir: Path) -> None:
    arrays = {"a": np.arange(3, dtype=np.float32)}
    assert _same_arrays(_compiled.compiled_arrays(NAME, "1" * 32, lambda: arrays, lambda a: True), arrays)
    newer = {"a": np.arange(4, dtype=np.float32)}
    assert _same_arrays(_compiled.compiled_arrays(NAME, "2" * 32, lambda: newer, lambda a: True), newer)
    (path,) = _files(cache_dir)
    assert path.stem.endswith("2" * 32)


def test_no_cache_when_turned_off_or_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = {"a": np.ones(2, dtype=np.float32)}
    calls: list[int] = []

    def build() -> dict[str, Any]:
        calls.append(1)
        return arrays

    monkeypatch.setenv("GABACARE_CACHE", "off")
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    assert _same_arrays(_compiled.compiled_arrays(NAME, "1" * 32, build, lambda a: True), arrays)
    assert not _files(tmp_path)
    monkeypatch.delenv("GABACARE_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(blocker / "sub"))  # a file where a folder should be
    assert _same_arrays(_compiled.compiled_arrays(NAME, "1" * 32, build, lambda a: True), arrays)
    assert len(calls) == 2


def test_concurrent_writers_leave_one_whole_file(cache_dir: Path) -> None:
    arrays = {"a": np.arange(100_000, dtype=np.float32)}
    results: list[dict[str, Any]] = []
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        results.append(_compiled.compiled_arrays(NAME, "3" * 32, lambda: arrays, lambda a: a["a"].shape == (100_000,)))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(_same_arrays(r, arrays) for r in results)
    (path,) = _files(cache_dir)
    assert _same_arrays(_compiled._load(path, "3" * 32, lambda a: True) or {}, arrays)
    assert not list(cache_dir.glob(".*.tmp"))


def test_the_mapped_weights_are_the_stored_values() -> None:
    from safetensors.numpy import load_file

    weights, _ = semantic.model_files()
    stored = next(iter(load_file(str(weights)).values()))
    mapped = semantic._mapped_table(weights)
    assert mapped is not None and mapped.dtype == stored.dtype and mapped.shape == stored.shape
    assert np.array_equal(mapped.view(np.uint16), stored.view(np.uint16))
    plain = semantic.mapped_table(weights)  # the rows ask reads in plain Python
    assert plain is not None and (plain.rows, plain.columns) == stored.shape
    for i in (0, 1, 777, stored.shape[0] - 1):
        assert plain.row(i) == tuple(float(x) for x in stored[i])
    with pytest.raises(IndexError):
        plain.row(stored.shape[0])


def test_an_unusual_weights_file_is_read_by_safetensors(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    two = tmp_path / "two.safetensors"
    table = np.arange(12, dtype=np.float16).reshape(3, 4)
    save_file({"a": table, "b": table}, str(two))
    assert semantic._mapped_table(two) is None
    assert np.array_equal(semantic._load_table(two), table)
    one = tmp_path / "one.safetensors"
    save_file({"embedding.weight": table}, str(one))
    mapped = semantic._mapped_table(one)
    assert mapped is not None and np.array_equal(mapped, table)


@pytest.mark.parametrize("array", [np.zeros(3, dtype=np.float64), np.asfortranarray(np.zeros((2, 3), dtype=np.float32)),
                                   np.zeros(2, dtype=np.int16)])
def test_an_array_of_a_type_the_cache_never_writes_is_refused(tmp_path: Path, array: Any) -> None:
    path = tmp_path / "odd.npz"
    with path.open("wb") as fh:
        np.savez(fh, __key__=np.asarray("1" * 32), a=array)
    with pytest.raises(ValueError):
        _compiled.read_npz(path)
    assert _compiled._load(path, "1" * 32, lambda a: True) is None  # not trusted: rebuilt


def test_a_plain_array_reads_back_what_numpy_wrote(tmp_path: Path) -> None:
    path = tmp_path / "ok.npz"
    values = {"f": np.arange(6, dtype=np.float32).reshape(2, 3), "q": np.arange(4, dtype=np.int64),
              "i": np.arange(3, dtype=np.int32), "b": np.frombuffer(b"ab", dtype=np.uint8)}
    with path.open("wb") as fh:
        np.savez(fh, __key__=np.asarray("k" * 32), **values)
    read = _compiled.read_npz(path)
    assert read["__key__"].text() == "k" * 32
    for name, a in values.items():
        assert read[name] == PlainArray.of(a) and read[name].numbers().tolist() == a.ravel().tolist()
    assert [r.tolist() for r in read["f"].rows()] == values["f"].tolist()
    with pytest.raises(ValueError):
        read["__key__"].numbers()
    with pytest.raises(ValueError):
        read["q"].rows()
