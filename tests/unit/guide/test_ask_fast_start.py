"""``gabacare ask`` starts fast and answers the same: the compiled guide, the compiled token table,
the embedder that skips building the net, and the command line's ``ask ... --json`` without Typer.

Each cache only saves time: answers with and without it are identical; a damaged, stale or
misshapen file is ignored (and rebuilt where the code writes one); nothing is written when caching
is off. Real knowledge base, real tokenizer, real embeddings throughout.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from gabacare import cli
from gabacare.clinical.text import semantic
from gabacare.guide import _compiled, _tokens
from gabacare.guide._compiled import PlainArray
from gabacare.guide.plain import ask_data
from gabacare.knowledge import guide_data
from gabacare.knowledge.guide_data import _raw_files, build_guide, load_guide
from gabacare.knowledge.monograph import load_monograph

if TYPE_CHECKING:
    from conftest import WarmRun

ask_module = importlib.import_module("gabacare.guide.ask")  # the package exports ask() by that name
QUESTIONS = Path(__file__).resolve().parents[2] / "eval" / "data"
EXE = Path(sys.executable).with_name("gabacare")


def _dev_questions() -> list[str]:
    out: list[str] = []
    for path in sorted(QUESTIONS.glob("questions_dev*.toml")):
        with path.open("rb") as fh:
            out.extend(str(row["text"]) for row in tomllib.load(fh)["case"])
    return list(dict.fromkeys(out))


@pytest.fixture
def fresh_guide() -> Iterator[None]:
    load_guide.cache_clear()
    yield
    load_guide.cache_clear()


@pytest.fixture
def fresh_semantic() -> Iterator[dict[str, Any]]:
    state = ask_module._semantic_state
    saved = dict(state)
    state.clear()
    yield state
    state.clear()
    state.update(saved)


# --- the compiled guide ---------------------------------------------------------------------------
def _built() -> guide_data.Guide:
    return build_guide(tuple(_raw_files()), load_monograph())


def test_the_cached_guide_equals_the_built_one(cache_dir: Path, fresh_guide: None) -> None:
    first = load_guide()
    assert len(list(cache_dir.glob("guide-*.json"))) == 1
    load_guide.cache_clear()
    again = load_guide()  # from the file
    assert again == first == _built()
    assert again is not first


@pytest.mark.parametrize("damage", ["", "{not json", '{"topics": []}', "[1, 2]"])
def test_a_damaged_or_wrong_guide_file_is_not_used(cache_dir: Path, fresh_guide: None, damage: str) -> None:
    load_guide()
    (path,) = cache_dir.glob("guide-*.json")
    path.write_text(damage, encoding="utf-8")
    load_guide.cache_clear()
    assert load_guide() == _built()


def test_no_guide_file_when_caching_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_guide: None) -> None:
    monkeypatch.setenv("GABACARE_CACHE", "off")
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    assert load_guide() == _built()
    assert not list(tmp_path.iterdir())


def test_a_read_only_cache_folder_is_only_slower(cache_dir: Path, fresh_guide: None) -> None:
    cache_dir.mkdir()
    cache_dir.chmod(0o500)
    try:
        assert load_guide() == _built()
    finally:
        cache_dir.chmod(0o700)


# --- the token table ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(semantic.model_files()[1]))


@pytest.fixture(scope="module")
def table(tokenizer: Any) -> dict[str, Any]:
    texts, inner = ask_module._table_texts(ask_data())
    return _tokens.compile_segments(tokenizer, texts, inner)


def test_the_table_gives_the_tokenizers_own_ids_for_every_dev_question(tokenizer: Any, table: dict[str, Any]) -> None:
    assert _tokens.table_fits(table) and len(table["ids"]) > 10_000
    reader = _tokens.SegmentTokenizer.from_arrays(table, semantic.model_files()[1])
    texts = [" ".join(q.split()).lower() for q in _dev_questions()]
    texts += ["can't", "88-year-old mum", "is it ok?!", "what's this…", "a  b", " lead", "x ", "tab\there", "<s> hi", "😀 ok"]
    covered = 0
    expected = tokenizer.encode_batch(texts, add_special_tokens=False)
    for text, enc in zip(texts, expected, strict=True):
        mine = reader.ids(text)
        covered += mine is not None
        assert mine is None or mine == list(enc.ids), text
    assert covered > 0.8 * len(texts)
    # encode_batch answers every text, from the table or the tokenizer, as the tokenizer does
    assert [e.ids for e in reader.encode_batch(texts, add_special_tokens=False)] == [list(e.ids) for e in expected]


def test_a_tokenizer_of_another_kind_gets_an_empty_table(tokenizer: Any) -> None:
    from tokenizers import Tokenizer, pre_tokenizers

    other = Tokenizer.from_str(tokenizer.to_str())
    other.pre_tokenizer = pre_tokenizers.Whitespace()
    empty = _tokens.compile_segments(other, ["how does it work"])
    assert _tokens.table_fits(empty) and len(empty["keys"]) == 0 and len(empty["pairs"]) == 0
    reader = _tokens.SegmentTokenizer.from_arrays(empty, semantic.model_files()[1])
    assert reader.ids("how does it work") is None


def test_a_misshapen_table_does_not_fit(table: dict[str, Any]) -> None:
    ids, offsets = table["ids"], table["offsets"]
    wider = np.frombuffer(ids.data, dtype="<i4").astype("<i8")
    assert not _tokens.table_fits({**table, "ids": PlainArray("<i8", wider.shape, wider.tobytes())})
    assert not _tokens.table_fits({**table, "offsets": PlainArray("<i8", (len(offsets) - 1,), offsets.data[:-8])})
    assert not _tokens.table_fits({**table, "keys": PlainArray("<i4", (1,), b"abcd")})


# --- the embedder that skips building the net -----------------------------------------------------
def _answers(questions: list[str]) -> list[dict[str, object]]:
    return [ask_module.ask(q).to_json() for q in questions]


@pytest.mark.untraced  # a sweep over every development text (tests/conftest.py)
def test_the_fast_embedder_answers_as_the_net(cache_dir: Path, fresh_semantic: dict[str, Any]) -> None:
    every = _dev_questions()
    # 400 questions spread over every split: a fixed number, so the sweep does not grow with each new split.
    questions = every[:: max(1, len(every) // 400)]
    first = ask_module._load_semantic()  # no files yet: the net, then both files written
    assert first is not None and first.net_loaded
    assert len(list(cache_dir.glob("ask-topics-*.npz"))) == 1 and len(list(cache_dir.glob("ask-tokens-*.npz"))) == 1
    fresh_semantic["s"] = first
    with_net = _answers(questions)
    fast = ask_module._load_semantic()
    assert fast is not None and not fast.net_loaded
    fresh_semantic["s"] = fast
    assert _answers(questions) == with_net


def test_the_plain_embedding_is_the_nets_to_single_precision() -> None:
    """The question's vector in plain Python (double precision) and the net's (NumPy, single
    precision) agree to ~1e-7 per component, and so do the cosines ask ranks topics by."""
    net = semantic.semantic_net()
    assert net is not None
    weights, tokenizer = semantic.model_files()
    mapped = semantic.mapped_table(weights)
    assert mapped is not None
    plain = _tokens.Embedder(mapped, _tokens.SegmentTokenizer.without_table(tokenizer))
    texts = [q.lower() for q in _dev_questions()[::40]] + ["", "?", "zzzzqqq", "a " * 300]
    theirs = net.embed(texts)
    for text, row in zip(texts, theirs, strict=True):
        mine = np.asarray(plain.embed_one(text))
        assert np.abs(mine - row).max() < 1e-6, text
        assert (np.linalg.norm(mine) == 0) == (np.linalg.norm(row) == 0)


@pytest.mark.parametrize("damage", [b"", b"not a zip file", "truncate", "other key"])
def test_a_damaged_or_stale_token_table_is_not_used_and_is_rebuilt(cache_dir: Path, fresh_semantic: dict[str, Any],
                                                                    damage: bytes | str) -> None:
    ask_module._load_semantic()
    (path,) = cache_dir.glob("ask-tokens-*.npz")
    key = path.stem.rsplit("-", 1)[1]
    good = _compiled._load(path, key, lambda a: True)
    assert good is not None
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "other key":
        stale: dict[str, Any] = {"__key__": np.asarray("0" * 32),
                                 **{k: np.frombuffer(v.data, dtype=v.descr).reshape(v.shape) for k, v in good.items()}}
        with path.open("wb") as fh:
            np.savez(fh, **stale)
    else:
        assert isinstance(damage, bytes)
        path.write_bytes(damage)
    again = ask_module._load_semantic()
    assert again is not None and again.net_loaded  # not trusted: the net
    rebuilt = _compiled._load(path, key, lambda a: True)
    assert rebuilt == good


def test_no_token_table_when_caching_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            fresh_semantic: dict[str, Any]) -> None:
    monkeypatch.setenv("GABACARE_CACHE", "off")
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(ask_module, "_token_table", lambda guide: pytest.fail("built with nowhere to keep it"))
    sem = ask_module._load_semantic()
    assert sem is not None and sem.net_loaded
    assert not list(tmp_path.iterdir())


# --- the command line -----------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "plain"), [
    (["ask", "can", "I", "drive", "--json"], ("ask", ["can", "I", "drive"], True)),
    (["ask", "--json", "can I drive"], ("ask", ["can I drive"], True)),
    (["ask", "--json", "x", "--json"], ("ask", ["x"], True)),
    (["ask", "can I drive"], ("ask", ["can I drive"], False)),
    (["ask", "--json"], None),  # no question: the application's usage error
    (["ask"], None),
    (["ask", "-h", "--json"], None),
    (["ask", "--", "-5 mg", "--json"], None),
    (["ask", "x", "--jsn"], None),
    (["symptoms", "x", "--json"], ("symptoms", ["x"], True)),
    (["symptoms", "swollen lips", "dizzy"], ("symptoms", ["swollen lips", "dizzy"], False)),
    (["symptoms", "--json"], None),
    (["symptoms", "x", "--help"], None),
    (["interactions", "x", "--json"], None),
    (["--json", "ask", "x"], None),
])
def test_only_a_plain_ask_or_symptoms_takes_the_short_way(args: list[str], plain: tuple[str, list[str], bool] | None) -> None:
    assert cli._plain_command(args) == plain


def _run(args: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GABACARE_CACHE_DIR": str(cache)}
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, check=False)


def test_the_short_way_prints_what_the_application_prints(cache_dir: Path) -> None:
    from gabacare.app import ask
    from gabacare.serialize import dumps

    for question in ("how does gabapentin work", "my lips are swollen, can I keep taking it?"):
        short = _run(["ask", question, "--json"], cache_dir)
        assert short.returncode == 0 and short.stderr == ""
        assert short.stdout == dumps(ask(question)) + "\n"
        assert json.loads(short.stdout)["question"] == question
    # an error: the same line and exit code as through the application ("--" sends it there)
    short, long = _run(["ask", " ", "--json"], cache_dir), _run(["ask", "--json", "--", " "], cache_dir)
    assert (short.returncode, short.stdout, short.stderr) == (long.returncode, long.stdout, long.stderr)
    assert short.returncode == 2 and short.stderr.startswith("gabacare: error: ask a question in words")


def test_the_short_way_leaves_its_whole_answer_in_a_file(cache_dir: Path, tmp_path: Path) -> None:
    """The short way ends its process without the interpreter's teardown: what it printed to a file
    (block-buffered, unlike a terminal) is all there, and the exit status is the command's."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"} | {"GABACARE_CACHE_DIR": str(cache_dir)}
    for args, status in ((["symptoms", "swollen lips", "--json"], 0), (["ask", "can I drive"], 0), (["ask", " "], 2)):
        out, err = tmp_path / "out.txt", tmp_path / "err.txt"
        with out.open("w") as o, err.open("w") as e:
            code = subprocess.run([str(EXE), *args], stdout=o, stderr=e, env=env, check=False).returncode
        piped = _run(args, cache_dir)
        assert (code, out.read_text(), err.read_text()) == (status, piped.stdout, piped.stderr)
        assert piped.stdout or piped.stderr


def test_a_warm_ordinary_ask_validates_nothing_and_parses_no_toml(warm_run: WarmRun) -> None:
    """From a warm cache, an ordinary question reads the knowledge base as plain values
    (:mod:`gabacare.guide.plain`): pydantic is not even imported, nothing is parsed, a question
    without an unknown word needs no edit distance, and its vector is compared in plain Python (no NumPy)."""
    modules = ("tomllib", "rapidfuzz", "pydantic", "gabacare.knowledge.monograph", "numpy")
    loaded, answer, command = warm_run(["ask", "how does gabapentin work", "--json"], modules)
    assert loaded == []
    assert answer == command


@pytest.mark.parametrize("words", [["my lips are swollen, can I keep taking it?"], ["can", "I", "drive?"], [" "]])
def test_the_short_way_renders_what_the_application_renders(cache_dir: Path, words: list[str]) -> None:
    short, long = _run(["ask", *words], cache_dir), _run(["ask", "--", *words], cache_dir)
    assert (short.returncode, short.stdout, short.stderr) == (long.returncode, long.stdout, long.stderr)
    assert short.stdout or short.stderr


@pytest.mark.parametrize("module", [_tokens, guide_data, _compiled])
def test_doctests(module: Any) -> None:
    import doctest

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0 and result.failed == 0
