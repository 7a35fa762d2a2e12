"""The text pipeline and the triage read the knowledge base as plain values
(:mod:`gabacare.clinical.text.plain`): they must be exactly what the validated language and monograph
give, from the cache as built; a damaged cached file must never be used; and a warm ``gabacare
symptoms`` imports no pydantic and prints what the application prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gabacare._cli.common import citations_text
from gabacare.clinical.text import plain
from gabacare.clinical.text.plain import Language, Monograph, TextData, build_json, text_data
from gabacare.knowledge.language import load_language
from gabacare.knowledge.monograph import Citation, load_monograph
from gabacare.knowledge.plain import PlainCitation, from_json, mirror_json
from gabacare.serialize import citation_json, jsonable

if TYPE_CHECKING:
    from conftest import WarmRun

EXE = Path(sys.executable).with_name("gabacare")


@pytest.fixture
def fresh() -> Iterator[None]:
    text_data.cache_clear()
    yield
    text_data.cache_clear()


def _same(mine: Any, theirs: Any, where: str) -> None:
    """``mine`` (a plain value) holds exactly ``theirs`` (the validated model's), recursively."""
    if isinstance(mine, PlainCitation):
        assert isinstance(theirs, Citation), where
        assert mine.to_json() == citation_json(theirs), where
        assert (mine.source, mine.section, mine.render()) == (theirs.source, theirs.section, theirs.render()), where
        return
    if is_dataclass(mine):
        for f in fields(mine):
            _same(getattr(mine, f.name), getattr(theirs, f.name), f"{where}.{f.name}")
        return
    if isinstance(mine, tuple):
        assert isinstance(theirs, tuple | list), where
        assert len(mine) == len(theirs), where
        for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            _same(a, b, f"{where}[{i}]")
        return
    if isinstance(mine, Mapping):
        assert list(mine) == list(theirs), where  # the same keys in the same order
        for k in mine:
            _same(mine[k], theirs[k], f"{where}[{k!r}]")
        return
    assert type(mine) is type(theirs), where
    assert mine == theirs, where


def _check_equals_the_models(data: TextData) -> None:
    _same(data.language, load_language(), "language")
    _same(data.monograph, load_monograph(), "monograph")
    # the JSON and the terminal's renderings of the citations are the model's
    for mine, theirs in zip(data.monograph.adverse_effects, load_monograph().adverse_effects, strict=True):
        assert jsonable(mine.citations) == jsonable(theirs.citations)
        assert citations_text(mine.citations) == citations_text(theirs.citations)
        assert tuple(Citation.of(c) for c in mine.citations) == theirs.citations


def test_the_mirrors_name_fields_of_the_models() -> None:
    # Every field of a mirror is an attribute of the model it copies (the equality test reads each one).
    lang, m = load_language(), load_monograph()
    assert {f.name for f in fields(Language)} <= set(type(lang).model_fields)
    assert {f.name for f in fields(Monograph)} <= set(type(m).model_fields) | {"notice_text"}
    assert mirror_json(lang, Language) == build_json()["language"]


def test_the_plain_values_equal_the_validated_models(cache_dir: Path, fresh: None) -> None:
    built = from_json(TextData, build_json())
    _check_equals_the_models(built)
    first = text_data()  # built and kept
    (path,) = cache_dir.glob("text-plain-*.json")
    text_data.cache_clear()
    again = text_data()  # from the file
    assert again == first == built
    assert again is not first
    _check_equals_the_models(again)
    assert json.loads(path.read_text(encoding="utf-8")) == build_json()


@pytest.mark.parametrize(("plain_model", "model_file"), [("emergency_model", "emergency_net"),
                                                      ("emergency_words_model", "emergency_words")])
def test_the_emergency_models_equal_the_validated_ones(cache_dir: Path, plain_model: str, model_file: str) -> None:
    from gabacare.knowledge import language

    load = getattr(plain, plain_model)
    validated = getattr(language, f"load_{plain_model}")()
    load.cache_clear()
    try:
        first = load()  # built and kept
        _same(first, validated, plain_model)
        (path,) = cache_dir.glob(f"text-{model_file}-*.json")
        load.cache_clear()
        assert load() == first  # from the file
        good = json.loads(path.read_text(encoding="utf-8"))
        for key, bad in (("bias", 1), ("weights", [1, 2]), ("threshold", "0.5")):
            path.write_text(json.dumps({**good, key: bad}), encoding="utf-8")
            load.cache_clear()
            assert load() == first
    finally:
        load.cache_clear()


def test_without_a_cache_the_values_are_the_same(monkeypatch: pytest.MonkeyPatch, fresh: None) -> None:
    monkeypatch.setenv("GABACARE_CACHE", "off")
    _check_equals_the_models(text_data())


@pytest.mark.parametrize("damage", [
    "", "{not json", '{"language": {}}', "[1, 2]", "null",
    "window as text", "sign without a field", "citation of another type", "threshold as an integer", "an extra field",
])
def test_a_damaged_or_wrong_file_is_not_used(cache_dir: Path, fresh: None, damage: str) -> None:
    expected = from_json(TextData, build_json())
    text_data()
    (path,) = cache_dir.glob("text-plain-*.json")
    good = json.loads(path.read_text(encoding="utf-8"))
    lang = good["language"]
    if damage == "window as text":
        lang["negation"]["window"] = str(lang["negation"]["window"])
        damage = json.dumps(good)
    elif damage == "sign without a field":
        del lang["lexicon"]["signs"][0]["effect"]
        damage = json.dumps(good)
    elif damage == "citation of another type":
        good["monograph"]["adverse_effects"][0]["citations"][0]["section"] = 2
        damage = json.dumps(good)
    elif damage == "threshold as an integer":
        lang["semantic"]["threshold"] = 1
        damage = json.dumps(good)
    elif damage == "an extra field":
        lang["negation"]["extra"] = []
        damage = json.dumps(good)
    path.write_text(damage, encoding="utf-8")
    text_data.cache_clear()
    assert text_data() == expected


def test_a_file_under_another_key_is_not_read(cache_dir: Path, fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    text_data()
    (path,) = cache_dir.glob("text-plain-*.json")
    good = json.loads(path.read_text(encoding="utf-8"))
    good["monograph"]["notice_text"] = "stale"
    path.write_text(json.dumps(good), encoding="utf-8")
    data, code = plain._key_files()
    # another version of the data files (here: one more of them) has another key: the stale file is ignored
    monkeypatch.setattr(plain, "_key_files", lambda: ((*data, "sources.toml"), code))
    text_data.cache_clear()
    assert text_data().monograph.notice_text == load_monograph().notice_text


def test_the_compiled_idioms_are_the_ones_built(cache_dir: Path) -> None:
    from gabacare.clinical.text import reading

    built = reading._built_idioms()

    def table() -> dict[str, tuple[tuple[str, ...], ...]]:
        reading._idioms.cache_clear()
        reading._idioms_after.cache_clear()
        reading._idioms_by_length.cache_clear()
        return {w: reading._idioms_after(w) for w in built}

    try:
        assert table() == built  # built and kept
        (path,) = cache_dir.glob("text-idioms-*.json")
        assert table() == built  # from the file
        for damage in ("[1]", '{"x": ["a", 2]}', '{"x": ""}', '{"x": 1}', "{not json"):
            path.write_text(damage, encoding="utf-8")
            assert table() == built
        assert reading._idioms_after("nonsense-word") == ()
    finally:
        reading._idioms.cache_clear()
        reading._idioms_after.cache_clear()
        reading._idioms_by_length.cache_clear()


def test_the_compiled_backstop_is_the_one_built(cache_dir: Path) -> None:
    from gabacare.clinical.text import backstop

    built = backstop._read_concepts(backstop._build_concepts())
    backstop._concepts.cache_clear()
    try:
        first = backstop._concepts()  # built and kept
        assert first[0] == built[0] and first[2] == built[1] and first[0]
        (path,) = cache_dir.glob("text-backstop-*.json")
        good = json.loads(path.read_text(encoding="utf-8"))
        backstop._concepts.cache_clear()
        assert backstop._concepts() == first  # from the file
        wrong_alt = json.loads(json.dumps(good))
        wrong_alt["concepts"][0][2][0][0] = [[]]  # an empty alternative: the matcher needs a first stem
        wrong_id = json.loads(json.dumps(good))
        wrong_id["concepts"][0][0] = 1
        short = json.loads(json.dumps(good))
        short["concepts"][0] = short["concepts"][0][:3]
        for damage in ("[1]", "{not json", json.dumps({"concepts": []}), json.dumps(wrong_alt), json.dumps(wrong_id),
                       json.dumps(short)):
            path.write_text(damage, encoding="utf-8")
            backstop._concepts.cache_clear()
            assert backstop._concepts() == first
    finally:
        backstop._concepts.cache_clear()


# --- the command line -----------------------------------------------------------------------------
def _run(args: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GABACARE_CACHE_DIR": str(cache)}
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, check=False)


def test_a_warm_symptoms_command_validates_nothing(warm_run: WarmRun) -> None:
    """From a warm cache, ``gabacare symptoms ... --json`` on a text the rules read reads the knowledge
    base as plain values: neither pydantic nor Typer is imported, nothing is parsed."""
    modules = ("tomllib", "pydantic", "typer", "gabacare.knowledge.monograph")
    loaded, answer, command = warm_run(["symptoms", "my lips are swollen", "--json"], modules)
    assert loaded == []
    assert answer == command
    assert json.loads(answer)["most_urgent"] == "emergency"


@pytest.mark.parametrize("words", [
    ["my lips are swollen", "--json"], ["sleepy", "no rash", "--json"], ["purple elephants dancing", "--json"],
    ["my lips are swollen"], ["feeling a bit dizzy today"], [" ", "--json"], [" "], ["", "--json"],
])
def test_the_short_way_prints_what_the_application_prints(cache_dir: Path, words: list[str]) -> None:
    # "--" after the command sends the same words through the application (Typer), which reads them alike
    texts = [w for w in words if w != "--json"]
    flags = [w for w in words if w == "--json"]
    short, long = _run(["symptoms", *words], cache_dir), _run(["symptoms", *flags, "--", *texts], cache_dir)
    assert (short.returncode, short.stdout, short.stderr) == (long.returncode, long.stdout, long.stderr)
    assert short.stdout or short.stderr


def test_idioms_are_found_by_length_as_they_were_one_by_one() -> None:
    # _without_idioms compares a text with one set of idioms per length, longest first; that finds what
    # comparing each idiom of the first word in turn (longest first) found.
    from gabacare.clinical.text import reading

    def one_by_one(words: list[str]) -> list[str]:
        out, i = list(words), 0
        while i < len(out):
            seq = next((q for q in reading._idioms_after(out[i]) if tuple(out[i:i + len(q)]) == q), None)
            if seq is None:
                i += 1
                continue
            out[i:i + len(seq)] = [reading.IDIOM] * len(seq)
            i += len(seq)
        return out

    texts = [[*seq, "and", "then", *seq[:1]] for seqs in list(reading._built_idioms().values())[:400] for seq in seqs[:3]]
    texts += [["i", "nearly", "died", "laughing", "at", "him"], ["the", "vacuum", "choked", "on", "a", "sock"],
              ["i", "nearly", "died"]]
    for words in texts:
        assert reading._without_idioms(words) == one_by_one(words)
