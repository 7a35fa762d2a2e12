"""The knowledge base's fast load: a cache hit rebuilds exactly the objects validation made.

:func:`gabacare.knowledge.cache.validated_model` validates the monograph and the language once per
version of their data and code and later rebuilds them with ``model_construct``; the lexicon's
compiled matcher turns patterns into tuples on first use. Both must change no value, type or
``model_fields_set``, and a damaged cache must fall back to validation.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from gabacare.clinical.text import lexicon
from gabacare.knowledge import cache
from gabacare.knowledge.cache import derived, validated_model
from gabacare.knowledge.guide_data import Guide, _raw_files, build_guide
from gabacare.knowledge.language import EmergencyModel, Language, TopicModel, build_language, load_language
from gabacare.knowledge.monograph import (
    MONOGRAPH_FILES,
    Monograph,
    _read_toml,
    build_monograph,
    load_monograph,
    read_raw_monograph,
)


def _same(a: Any, b: Any, where: str = "") -> None:
    """``a`` and ``b`` equal with the same types all the way down (``==`` alone would let a list
    pass for a tuple inside a set, or a set for a frozenset)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, BaseModel):
        assert a.model_fields_set == b.model_fields_set, where
        assert list(a.__dict__) == list(b.__dict__), where  # same field order (repr, iteration)
        assert a.__pydantic_extra__ == b.__pydantic_extra__ and a.__pydantic_private__ == b.__pydantic_private__
        for name in a.__dict__:
            _same(a.__dict__[name], b.__dict__[name], f"{where}.{name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (set, frozenset)):
        assert a == b and {type(x) for x in a} == {type(x) for x in b}, where
    else:
        assert a == b, where


def _monograph() -> Monograph:
    return build_monograph(read_raw_monograph(), _read_toml("sources.toml"))


def _language() -> Language:
    return build_language(_read_toml("language.toml"), _read_toml("lexicon.toml"))


def _guide() -> Guide:
    return build_guide(tuple(_raw_files()), load_monograph())


def _topic_model() -> TopicModel:
    return TopicModel.model_validate(_read_toml("topic_model.toml")["model"])


def _emergency_words_model() -> EmergencyModel:
    return EmergencyModel.model_validate(_read_toml("emergency_words.toml")["model"])


def _twice(name: str, model: type[Any], build: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The model from a cold cache (validated), then from the cache (constructed, never validated)."""
    files = (*MONOGRAPH_FILES, "sources.toml", "language.toml", "lexicon.toml")
    first = validated_model(name, model, files, (), build, verify=True)
    assert len(list(Path(os.environ["GABACARE_CACHE_DIR"]).glob(f"{name}-*.json"))) == 1

    def no_validation() -> Any:
        raise AssertionError("a cache hit validated again")

    second = validated_model(name, model, files, (), no_validation)
    _same(first, second, model.__name__)
    assert first == second
    return second


@pytest.mark.parametrize(("model", "build"), [(Monograph, _monograph), (Language, _language), (Guide, _guide),
                                               (TopicModel, _topic_model), (EmergencyModel, _emergency_words_model)])
def test_a_cache_hit_rebuilds_exactly_the_validated_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: type[Any], build: Any
) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    rebuilt = _twice("t", model, build, monkeypatch)
    _same(build(), rebuilt, model.__name__)


def test_the_loaders_give_the_validated_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    _same(load_monograph(), _monograph())
    _same(load_language(), _language())


def test_the_key_covers_the_data_the_models_code_and_pydantic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pydantic.version

    seen: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    real = cache.derived

    def spy(name: str, data_files: Any, code_files: Any, build: Any) -> Any:
        seen[name] = (tuple(data_files), tuple(code_files))
        return real(name, data_files, code_files, build)

    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "derived", spy)
    load_monograph.__wrapped__()  # the loaders themselves, not their per-process cache
    load_language.__wrapped__()
    (mono_data, mono_code), (lang_data, lang_code) = seen["monograph"], seen["language"]
    from gabacare.knowledge import language, monograph

    assert set(mono_data) == {*MONOGRAPH_FILES, "sources.toml"}
    assert set(lang_data) >= {"language.toml", "lexicon.toml", *MONOGRAPH_FILES, "sources.toml"}
    for code in (mono_code, lang_code):
        assert {monograph.__file__, cache.__file__, pydantic.version.__file__} <= set(code)
    assert language.__file__ in lang_code


def test_a_damaged_cached_model_is_validated_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    files = (*MONOGRAPH_FILES, "sources.toml")
    validated_model("t", Monograph, files, (), _monograph)
    (path,) = tmp_path.glob("t-*.json")
    calls: list[int] = []

    def build() -> Monograph:
        calls.append(1)
        return _monograph()

    for damage in ({"fields": {"no_such_field": 1}}, {"fields": {"forms": "not a list"}}, {}, [1], {"fields": {}}):
        path.write_text(json.dumps(damage), encoding="utf-8")
        calls.clear()
        _same(validated_model("t", Monograph, files, (), build), _monograph())
        assert calls == [1]


def test_a_union_of_scalars_and_one_sequence_is_rebuilt_with_each_values_type() -> None:
    convert = cache._converter(dict[str, int | float | str | tuple[str, ...]])
    rebuilt = convert(json.loads(json.dumps({"n": 3, "x": 1.0, "s": "a", "t": ("p", "q"), "e": ()})))
    _same(rebuilt, {"n": 3, "x": 1.0, "s": "a", "t": ("p", "q"), "e": ()})
    with pytest.raises(TypeError):  # two kinds of sequence: a list could be either
        cache._converter(tuple[str, ...] | frozenset[str])
    with pytest.raises(TypeError):
        cache._converter(int | Monograph)


def test_a_model_whose_cached_form_rebuilds_differently_is_validated_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    real = cache._constructed

    def altered(cls: type[Any], data: dict[str, Any]) -> Any:
        made = real(cls, data)
        if cls is not Monograph:
            return made
        return made.model_copy(update={"notice": made.notice.model_copy(update={"text": "changed"})})

    monkeypatch.setattr(cache, "_constructed", altered)
    calls: list[int] = []

    def build() -> Monograph:
        calls.append(1)
        return _monograph()

    files = (*MONOGRAPH_FILES, "sources.toml")
    for _ in range(2):
        _same(validated_model("t", Monograph, files, (), build, verify=True), _monograph())
    assert calls == [1, 1]


def test_the_lazy_lexicon_matcher_holds_the_eagerly_compiled_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    raw = lexicon._build_lists()
    # The conversion as it was before patterns became lazy and the cache held wordings as strings.
    phrases = {k: tuple((tuple(stems), sign) for stems, sign in v) for k, v in raw["phrases"].items()}
    alone = {tuple(stems): sign for stems, sign in raw["alone"]}
    patterns = tuple((sign, tuple(tuple(tuple(alt) for alt in group) for group in groups)) for sign, groups in raw["patterns"])
    firsts = tuple(tuple(frozenset(alt[0] for alt in group if alt) for group in groups) for _, groups in patterns)
    index: dict[str, list[int]] = {}
    for k, groups in enumerate(firsts):
        for stem_ in groups[0]:
            index.setdefault(stem_, []).append(k)
    for _ in range(2):  # built, then served from the cache
        lexicon._compiled.cache_clear()
        try:
            c = lexicon._compiled()
            # (key order: the old one followed a frozenset's, which varies with the hash seed)
            by_first = {s: tuple(v) for s, v in index.items()}
            _same(dict(sorted(c.by_first_group.items())), dict(sorted(by_first.items())))
            _same({k: c.phrases[k] for k in phrases}, phrases)  # (converted when first asked for)
            assert c.phrases["no-such-stem"] == () and "no-such-stem" not in c.phrases
            _same(c.alone, alone)
            for k in range(len(patterns)):
                _same(c.patterns[k], patterns[k])
                _same(c.firsts[k], firsts[k])
            with pytest.raises(IndexError):
                c.patterns[len(patterns)]
        finally:
            lexicon._compiled.cache_clear()
    assert len(list(tmp_path.glob("text-lexicon-*.json"))) == 1


def test_wordings_the_cache_cannot_join_stay_lists() -> None:
    for stems in (["swell", "lip"], ["a b", "c"], ["", "x"], []):
        assert lexicon._split(lexicon._joined(stems)) == tuple(stems)
        if stems:
            assert lexicon._first(lexicon._joined(stems)) == stems[0]


def test_two_installations_side_by_side_keep_their_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    other = tmp_path / "t-0123abcd-00000000000000000000000000000000.json"  # another checkout's version
    other.write_text("[1]", encoding="utf-8")
    derived("t", ("language.toml",), (), lambda: {"a": [1]})
    derived("t", ("lexicon.toml",), (), lambda: {"b": [2]})
    mine = [p for p in tmp_path.glob("t-*.json") if p != other]
    assert other.exists() and len(mine) == 1  # my earlier version was replaced, theirs kept
    month_ago = time.time() - 31 * 24 * 3600
    os.utime(other, (month_ago, month_ago))
    derived("t", ("language.toml",), (), lambda: {"a": [1]})
    assert not other.exists()  # unused for a month: forgotten


def test_the_cached_medicine_name_index_is_the_one_built_from_the_monograph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gabacare.clinical import drug_names

    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    raw = drug_names._build_index()
    names = {tuple(k): tuple(v) for k, v in raw["names"]}
    for _ in range(2):  # built, then served from the cache
        drug_names._index.cache_clear()
        try:
            idx = drug_names._index()
            assert list(idx.names.items()) == list(names.items())
            assert all(type(k) is tuple and type(v) is tuple for k, v in idx.names.items())
            assert idx.decoration == frozenset(raw["decoration"]) and idx.decoration >= drug_names._CONNECTORS
            assert idx.longest == max(len(k) for k in names)
            exact = frozenset(tuple(k) for k in raw["exact_only"])
            assert idx.exact_only == exact and len(exact) > 1000  # [names.exact]: known, never guessed towards
            assert idx.flat == tuple(sorted(" ".join(k) for k in names if all(t.isalpha() for t in k) and k not in exact))
            assert idx.flat_ingredients == tuple(names[tuple(f.split())] for f in idx.flat)
        finally:
            drug_names._index.cache_clear()
    assert len(list(tmp_path.glob("drug-names-*.json"))) == 1


def test_the_question_readers_vocabularies_are_the_same_from_the_cache(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # `ask` keeps the words it knows compiled (knowledge.cache): a hit must give what a build gives, in
    # the same order (the order of equal counts decides which spelling a slip is corrected towards).
    from gabacare.guide.ask import _vocabularies

    monkeypatch.setenv("GABACARE_CACHE", "off")
    built = _vocabularies()
    monkeypatch.delenv("GABACARE_CACHE")
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    first, hit = _vocabularies(), _vocabularies()
    assert list(tmp_path.glob("ask-vocabulary-*.json"))
    _same(built, first, "built")
    _same(built, hit, "hit")
    assert built["medicine_words"] == sorted(built["medicine_words"])  # no set order: the same in every process


def test_an_english_word_is_found_in_the_lists_text_as_in_the_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from gabacare.knowledge import words as language  # (the functions `gabacare.knowledge.language` exports)

    english = language.english_words()
    words = [*sorted(english)[::97], "gabapentin", "zzqx", "", " work", "work ", "a b", "work\n", "wörk", "é", "\n",
             "dont", "don't", "it's", "-", "the", "The"]
    assert language._english_lines() is not None  # the shipped list is searched as text
    monkeypatch.setattr(language, "_text_lookups", [0])
    assert [w for w in words if language.is_english_word(w) != (w in english)] == []
    assert language._text_lookups[0] > 0
    monkeypatch.setattr(language, "_text_lookups", [language._TEXT_LOOKUPS])  # a long-running process: the set
    assert [w for w in words if language.is_english_word(w) != (w in english)] == []


@pytest.mark.parametrize("body", ["alpha\nbeta gamma\n", "alpha\tbeta\n", "alpha\r\nbeta\n", "caf\u00e9\nbeta\n"])
def test_a_word_list_with_other_white_space_is_searched_in_the_set(monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    from gabacare.knowledge import words as language  # (the functions `gabacare.knowledge.language` exports)

    monkeypatch.setattr(language, "_english_body", lambda: body)
    language._english_lines.cache_clear()
    try:
        assert language._english_lines() is None
    finally:
        language._english_lines.cache_clear()


def test_the_language_file_names_are_the_languages_own_built_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gabacare.knowledge import language

    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path))
    lang = _language()
    expected = language.LanguageFiles(lang.semantic.weights, lang.semantic.tokenizer, lang.spelling.english_words_file)
    for _ in range(2):  # built, then from the file
        language.language_files.cache_clear()
        try:
            assert language.language_files() == expected
        finally:
            language.language_files.cache_clear()
    (path,) = tmp_path.glob("language-files-*.json")
    path.write_text('{"weights": 1}', encoding="utf-8")  # another shape: read from the language
    try:
        assert language.language_files() == expected
    finally:
        language.language_files.cache_clear()


def test_the_data_folder_is_importlib_resources_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # Named without importlib.resources for a package loaded from a folder; any other loader gets its own.
    import sys
    from importlib import resources

    from gabacare.knowledge import files

    expected = resources.files("gabacare.knowledge").joinpath("data")
    assert files.data_dir() == expected and Path(str(files.data_dir())).is_dir()
    spec = sys.modules["gabacare.knowledge"].__spec__
    assert spec is not None
    monkeypatch.setattr(spec, "origin", None)  # (as for a package that is not a folder of files)
    assert files.data_dir() == expected


def test_a_missing_or_broken_data_file_is_named_in_the_error(tmp_path, monkeypatch) -> None:
    from gabacare.knowledge import files

    (tmp_path / "broken.toml").write_text("x = [1,\n", encoding="utf-8")
    monkeypatch.setattr(files, "data_dir", lambda: tmp_path)
    with pytest.raises(files.KnowledgeBaseError, match=r"knowledge base file missing: topics/nowhere\.toml"):
        files.read_toml("topics/nowhere.toml")
    with pytest.raises(files.KnowledgeBaseError, match=r"broken\.toml: not valid TOML"):
        files.read_toml("broken.toml")
