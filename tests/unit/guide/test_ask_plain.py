"""``ask`` reads the knowledge base as plain values (:mod:`gabacare.guide.plain`): they must be exactly
what the validated guide, monograph and topic model give, from the cache as built, and a damaged
cached file must never be used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest

from gabacare._cli.common import citations_text
from gabacare.guide import plain
from gabacare.guide.plain import AskData, AskSearch, ask_data, build_json, from_json
from gabacare.knowledge.guide_data import SearchSettings, load_guide
from gabacare.knowledge.language import load_topic_model
from gabacare.knowledge.monograph import load_monograph
from gabacare.serialize import citation_json, jsonable


@pytest.fixture
def fresh() -> Iterator[None]:
    ask_data.cache_clear()
    yield
    ask_data.cache_clear()


def _check_equals_the_models(data: AskData) -> None:
    guide, m, model = load_guide(), load_monograph(), load_topic_model()
    assert [t.id for t in data.topics] == [t.id for t in guide.topics]
    for mine, theirs in zip(data.topics, guide.topics, strict=True):
        assert (mine.title, mine.summary, mine.terms, mine.examples, mine.text) == (
            theirs.title, theirs.summary, theirs.terms, theirs.examples, theirs.text)
        assert data.topic(mine.id) is mine
        assert len(mine.paragraphs) == len(theirs.paragraphs)
        for p, q in zip(mine.paragraphs, theirs.paragraphs, strict=True):
            assert p.text == q.text
            assert [c.to_json() for c in p.citations] == [citation_json(c) for c in q.citations]
            assert [(c.source, c.section, c.render()) for c in p.citations] == [
                (c.source, c.section, c.render()) for c in q.citations]
            # the JSON, the terminal's and the web page's renderings of the citations are the model's
            assert jsonable(p.citations) == jsonable(q.citations)
            assert citations_text(p.citations) == citations_text(q.citations)
    assert [(a.drug, a.brands, a.interaction_name) for a in data.alternatives] == [
        (a.drug, a.brands, a.interaction_name) for a in guide.alternatives]
    assert data.stopwords == guide.stopwords
    for f in fields(AskSearch):
        assert getattr(data.search, f.name) == getattr(guide.search, f.name), f.name
        assert type(getattr(data.search, f.name)) is type(getattr(guide.search, f.name)), f.name
    cues = guide.general_cues
    assert (data.general_cues.general, data.general_cues.now, data.general_cues.refers_back) == (
        cues.general, cues.now, cues.refers_back)
    assert data.self_names == (m.drug.name, *m.drug.brands)
    assert data.inert_classes == {c.id for c in m.interaction_classes if c.severity == "none"}
    assert data.notice_text == m.notice_text
    tm = data.topic_model
    assert (tm.topics, tm.dimensions, tm.bias, tm.weight) == (model.topics, model.dimensions, model.bias, model.weight)
    assert tm.weights == tuple(tuple(row) for row in model.weights)


def test_every_search_setting_is_copied() -> None:
    # A new setting in the guide's [search] must be added to AskSearch (or ask could not read it).
    cited = {"source", "sources", "section"}
    assert {f.name for f in fields(AskSearch)} == set(SearchSettings.model_fields) - cited


def test_the_plain_values_equal_the_validated_models(cache_dir: Path, fresh: None) -> None:
    built = from_json(build_json())
    _check_equals_the_models(built)
    first = ask_data()  # built and kept
    (path,) = cache_dir.glob("ask-plain-*.json")
    ask_data.cache_clear()
    again = ask_data()  # from the file
    assert again == first == built
    assert again is not first
    _check_equals_the_models(again)
    assert json.loads(path.read_text(encoding="utf-8")) == build_json()


@pytest.mark.parametrize("damage", [
    "", "{not json", '{"topics": []}', "[1, 2]", "null",
    "search float as text", "topic without a field", "citation of another type", "weight as an integer",
])
def test_a_damaged_or_wrong_file_is_not_used(cache_dir: Path, fresh: None, damage: str) -> None:
    expected = from_json(build_json())
    ask_data()
    (path,) = cache_dir.glob("ask-plain-*.json")
    good = json.loads(path.read_text(encoding="utf-8"))
    if damage == "search float as text":
        good["search"]["min_combined"] = str(good["search"]["min_combined"])
        damage = json.dumps(good)
    elif damage == "topic without a field":
        del good["topics"][0]["summary"]
        damage = json.dumps(good)
    elif damage == "citation of another type":
        good["topics"][0]["paragraphs"][0]["citations"][0]["section"] = 2
        damage = json.dumps(good)
    elif damage == "weight as an integer":
        good["topic_model"]["weight"] = 1
        damage = json.dumps(good)
    path.write_text(damage, encoding="utf-8")
    ask_data.cache_clear()
    assert ask_data() == expected


def test_a_file_under_another_key_is_not_read(cache_dir: Path, fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ask_data()
    (path,) = cache_dir.glob("ask-plain-*.json")
    good = json.loads(path.read_text(encoding="utf-8"))
    good["notice_text"] = "stale"
    path.write_text(json.dumps(good), encoding="utf-8")
    data, code = plain._key_files()
    # another version of the data files (here: one more of them) has another key: the stale file is ignored
    monkeypatch.setattr(plain, "_key_files", lambda: ((*data, "sources.toml"), code))
    ask_data.cache_clear()
    assert ask_data().notice_text == load_monograph().notice_text


def test_no_file_when_caching_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh: None) -> None:
    monkeypatch.setenv("GABACARE_CACHE", "off")
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    assert ask_data() == from_json(build_json())
    assert not list(tmp_path.iterdir())
