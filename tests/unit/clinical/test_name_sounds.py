"""Medicine names typed by voice or by ear (``language.toml`` ``[name_sounds]``), INN/US name pairs,
and a sound tie-break between equally close spellings. Wordings are our own."""

from __future__ import annotations

import pytest

from gabacare.clinical import check_interactions
from gabacare.clinical.drug_names import read_name, sound_key


@pytest.mark.parametrize(("typed", "ingredient"), [
    ("tram a doll", "tramadol"), ("clona pin", "clonazepam"), ("val yum", "diazepam"),
    ("lorry zapam", "lorazepam"), ("zanacks", "alprazolam"), ("hydro codone", "hydrocodone"),
    ("gabble pentin", "gabapentin"), ("gobblepentin", "gabapentin"),
])
def test_sound_alike_names_are_read_as_a_guess(typed: str, ingredient: str) -> None:
    r = read_name(typed)
    assert r.ingredients == (ingredient,)
    assert r.guessed, "a sound-alike reading is always a guess shown as 'did you mean'"


def test_equally_close_spellings_are_settled_by_sound() -> None:
    assert read_name("codene").ingredients == ("codeine",)


@pytest.mark.parametrize("typed", ["zzzz", "the blue ones", "my water tablet"])
def test_nothing_is_guessed_from_nothing(typed: str) -> None:
    assert not read_name(typed).ingredients


def test_the_sound_key_ignores_spaces_vowels_and_spelling_of_sounds() -> None:
    assert sound_key("fenna barb") == sound_key("phenobarb")
    assert sound_key("xanax")[0] == sound_key("zanacks")[0]


@pytest.mark.parametrize(("us", "inn"), [("meperidine", "pethidine"), ("meclizine", "meclozine")])
def test_us_names_read_as_the_international_name(us: str, inn: str) -> None:
    assert read_name(f"{us} 25 mg tab").ingredients == (inn,)


def test_a_sound_alike_opioid_still_gets_its_warning() -> None:
    r = check_interactions(["tram a doll"]).results[0]
    assert "opioids" in r.classes


@pytest.mark.parametrize("typed", ["zzz-unknown", "zzz unknown", "tuna can", "meds", "my meds"])
def test_words_sharing_only_consonants_with_a_name_stay_unknown(typed: str) -> None:
    # "zzz unknown" has the sound key of "sinequan" but almost none of its letters: an unknown
    # that is reported as unknown, never a medicine made up from a shared consonant skeleton.
    r = read_name(typed)
    assert not r.ingredients, (typed, r)


@pytest.mark.parametrize("word", ["table", "bible", "noble"])
def test_a_syllabic_ble_alone_is_no_medicine(word: str) -> None:
    assert read_name(word).ingredients == ()


@pytest.mark.parametrize(("typed", "klass"), [
    ("antihistamine meds", None), ("drowsy antihistamine", "sedating-antihistamines"),
    ("his antipsychotic medication", "antipsychotics"), ("my benzo meds", "benzodiazepines"),
])
def test_a_class_word_with_a_medicine_noun_names_the_class(typed: str, klass: str | None) -> None:
    r = check_interactions([typed]).results[0]
    assert (r.classes[0] if r.classes else None) == klass


@pytest.mark.parametrize(("typed", "ingredient"), [
    ("klonie", "clonazepam"), ("temmies", "temazepam"), ("goon sack", "alcohol"), ("milk of mag", "magnesium hydroxide"),
])
def test_street_and_short_names(typed: str, ingredient: str) -> None:
    assert ingredient in read_name(typed).ingredients
