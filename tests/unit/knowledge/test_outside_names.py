"""The outside list of medicine names (gabacare.knowledge.outside_names) and how names are read from it."""

from __future__ import annotations

import bz2
import collections
import pickle
from pathlib import Path

import pytest

from gabacare.clinical import check_interactions
from gabacare.clinical.drug_names import known_names, read_name
from gabacare.clinical.interactions import resolve_ingredients
from gabacare.knowledge import outside_names as on
from gabacare.knowledge.monograph import load_monograph

SOURCE = load_monograph().names.outside_source


def _write(path: Path, value: object) -> Path:
    path.write_bytes(bz2.compress(pickle.dumps(value)))
    return path


def _dictionary(variants: dict[str, list[str]], canonical: dict[str, dict[str, str]]) -> dict[str, object]:
    return {"drug_variant_to_canonical": variants, "drug_canonical_to_data": canonical, "drug_variant_to_variant_data": {}}


def test_only_medicines_and_never_everyday_words_are_kept(tmp_path: Path) -> None:
    data = _dictionary(
        {
            "ziagen": ["abacavir"],            # a brand of a medicine: kept
            "generics": ["oxazepam"],          # an English word: never read as a medicine
            "dona": ["glucosamine"],           # a single word under MIN_LETTERS letters
            "fargo": ["triallate"],            # a herbicide (MeSH only) and an English word
            "buffer blend": ["buffers"],       # MeSH-only entry: no medicine identifier
            "Insulin Glargine": ["insulin glargine (rdna origin)"],  # several words, not all English: kept
        },
        {
            "abacavir": {"medline_plus_id": "a699012"},
            "oxazepam": {"drugbank_id": "DB00842"},
            "glucosamine": {"drugbank_id": "DB01296"},
            "triallate": {"mesh_id": "D014219"},
            "buffers": {"mesh_id": "D002021"},
            "insulin glargine (rdna origin)": {"medline_plus_id": "a600027"},
        },
    )
    table = on.build(_write(tmp_path / "d.pkl.bz2", data))
    assert table == {"ziagen": ["abacavir"], "insulin glargine": ["insulin glargine (rdna origin)"]}


def test_a_file_holding_anything_but_plain_data_is_refused_not_run(tmp_path: Path) -> None:
    # An OrderedDict is pickled as a call of its class: the unpickler refuses to look the class up.
    path = _write(tmp_path / "d.pkl.bz2", collections.OrderedDict(a=1))
    with pytest.raises(pickle.UnpicklingError, match=r"refused collections\.OrderedDict"):
        on.build(path)


def test_a_damaged_dictionary_file_leaves_gabacares_own_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = tmp_path / "d.pkl.bz2"
    damaged.write_bytes(b"not a bz2 file at all")
    monkeypatch.setattr(on, "dictionary_file", lambda: damaged)
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(tmp_path / "cache"))
    on.outside_names.cache_clear()
    try:
        assert on.outside_names() == {}
        assert "unavailable" in (on.unavailable_reason() or "")
        assert read_name("Percocet").ingredients == ("oxycodone", "paracetamol")
    finally:
        on.outside_names.cache_clear()


def test_without_the_package_only_gabacares_own_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> Path:
        raise FileNotFoundError("the drug-named-entity-recognition package is not installed")

    monkeypatch.setattr(on, "dictionary_file", missing)
    on.outside_names.cache_clear()
    try:
        assert on.outside_names() == {}
        assert "unavailable" in (on.unavailable_reason() or "")
        assert read_name("ziagen").ingredients == ()
        assert read_name("Percocet").ingredients == ("oxycodone", "paracetamol")  # GabaCare's own names still read
    finally:
        on.outside_names.cache_clear()


def test_a_name_gabacare_does_not_list_is_read_from_the_outside_list_and_flagged() -> None:
    assert SOURCE == "drug-ner"
    r = read_name("Ziagen 300 mg tab")
    assert r.ingredients == ("abacavir",)
    assert r.outside == ("ziagen",) and r.guessed == (("ziagen", "abacavir"),)
    # A reading from the outside list is never used for a decision without the person's check.
    assert resolve_ingredients("ziagen") == ()
    result = check_interactions(["Ziagen 300 mg tab"]).results[0]
    assert result.ingredients == ("abacavir",) and not result.known
    assert [c.source for c in result.citations] == [SOURCE]
    assert "outside list" in result.advice


def test_an_outside_brand_of_an_opioid_gets_the_opioid_warning() -> None:
    # Phenaphen (paracetamol with codeine, US) is not in GabaCare's own list.
    assert ("phenaphen",) not in known_names()
    report = check_interactions(["Phenaphen with Codeine No. 3", "Xanax"])
    first = report.results[0]
    assert first.class_id == "opioids" and "codeine" in first.ingredients
    assert SOURCE in {c.source for c in first.citations}
    assert report.warnings, "an opioid with a benzodiazepine on one list gets its own warning"


def test_gabacares_own_names_win_and_everyday_words_are_not_read() -> None:
    assert read_name("tramal retard 100").outside == ()
    assert read_name("Lexotan 3mg").outside == ()
    assert read_name("generics").ingredients == ()
    assert read_name("xyzzy").ingredients == ()


def test_every_outside_ingredient_gabacare_knows_is_named_as_gabacare_names_it() -> None:
    # "aluminum hydroxide and magnesium hydroxide" (US spelling, "and" between ingredients)
    table = on.outside_names()
    brand = next(v for v, names in table.items() if names == ("aluminum hydroxide and magnesium hydroxide",)
                 and not read_name(v).matched)
    assert read_name(brand).ingredients == ("aluminium hydroxide", "magnesium hydroxide")


def test_a_name_known_exactly_is_never_swapped_for_a_sound_alike_of_another_kind() -> None:
    # "lionstout" sounds like Lunesta (eszopiclone); the stout is known exactly and stays alcohol.
    assert read_name("Lion Stout").ingredients == ("alcohol",)
    # ... while a name in pieces whose joined sound is the same kind of medicine is still joined.
    assert read_name("pre gabba lynn").ingredients == ("pregabalin",)
