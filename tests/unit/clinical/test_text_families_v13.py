"""Families of wording learnt from the thirteenth author's texts (held-out v13, rotated into development).

Each case is written here afresh, in other words than the corpus, to test the family, not the row:
the emergency must be read (rules only, no semantic net), and its near misses must not be.
"""

from __future__ import annotations

import pytest

from gabacare.clinical import check_interactions
from gabacare.clinical.text import read_text
from gabacare.clinical.text.normalise import sentences, tokenise


@pytest.mark.parametrize("text", [
    # the others managing once the person is gone
    "my wife keeps saying the kids would cope better once she is gone",
    "he told me we would all manage fine when he is gone",
    # the pull to step off, jump or drive into something, as a picture, a thought or a voice
    "i keep picturing driving off the cliff road",
    "my head keeps telling me to step in front of the lorry",
    "she seriously considered jumping off the bridge on the way home",
    "keep imagining swimming out and not coming back",
    # belongings not needed where the person is going
    "gave away his guitar, said he would not be needing it where he is going",
    # better not to live; to sleep and not wake (patois too)
    "maybe it is better not to live like this",
    "i just want to sleep and never wake again",
    "mi waan sleep an nuh wake up",
    # the same thought in other languages, accents typed or not
    "ich will nicht mehr leben",
    "no quiero vivir",
    "je ne veux plus vivre",
    "non voglio più vivere",
    "nie chcę żyć",
    # more taken than meant, told as two counts
    "I took 6 tablets this morning, I'm supposed to take 2",
    "she had 5 capsules when she should have 3",
    "had 4 caps today, the box says 2",
    # the dose taken two times, tablets given to someone else who took them
    "my son took his dose two times tonight",
    "my daughter gave her pills to a classmate at school",
    # breathing that makes a sound it should not, with sleepiness and an opioid
    "his breathing is making a weird noise and he is very drowsy on morphine",
    # sores in the mouth that stop eating or drinking
    "ulcers all over my gums and I can't eat anything",
    "sores inside my cheeks, too sore to drink",
    # swelling of the lips or tongue that went away was still an allergic reaction
    "my tongue swelled up yesterday but went down after an hour",
    "lips were swollen this morning, cleared up by lunch",
])
def test_the_emergency_is_read(text: str) -> None:
    assert read_text(text, net=False).urgency == "emergency", text


@pytest.mark.parametrize("text", [
    "I took 2 tablets when I'm meant to take 3",          # fewer than meant
    "I take 3 capsules a day, meant to have 3",           # as meant
    "had 8 hours sleep when I'm meant to have 7",         # not a count of doses
    "I had 3 coffees when meant to have 1",               # not a count of doses
    "I take my dose two times a day",                     # the schedule, not a repeat
    "mouth ulcer, hurts to eat",                          # a sore mouth that still eats
    "sore throat, can barely eat",                        # a sore throat is not mouth sores
    "my lips are fine, ankles swollen",                   # a present denial still negates
    "ankles puffy by evening, face and lips normal",
    "feeling slow after my tablets, breathing normal",   # "breathing normal" denies the breathing sign
    "ate a sandwich with my meds and feel dozy",          # food taken with medicines is not an overdose
])
def test_near_misses_of_the_families_are_not_emergencies(text: str) -> None:
    assert read_text(text, net=False).urgency != "emergency", text


def test_accents_are_folded_not_dropped() -> None:
    assert tokenise(sentences("Ich möchte nicht mehr leben, não, straße, łóżko")[0]) == [
        "ich", "mochte", "nicht", "mehr", "leben", ",", "nao", ",", "strasse", ",", "lozko"]


def test_a_denial_before_a_passed_swelling_still_negates() -> None:
    assert read_text("no swelling of my lips, it went down", net=False).urgency != "emergency"


@pytest.mark.parametrize(("typed", "ingredients", "klass"), [
    ("soju", {"alcohol"}, "alcohol"),
    ("Wray & Nephew overproof", {"alcohol"}, "alcohol"),
    ("samogon", {"alcohol"}, "alcohol"),
    ("Tachipirina 1000", {"paracetamol"}, None),
    ("Dafalgan", {"paracetamol"}, None),
    ("Biogesic 500mg", {"paracetamol"}, None),
    ("Stilpane", {"codeine", "paracetamol"}, "opioids"),
    ("Dolcet", {"tramadol", "paracetamol"}, "opioids"),
    ("Relanium 5 mg", {"diazepam"}, "benzodiazepines"),
    ("fenazepam", {"phenazepam"}, "benzodiazepines"),
    ("Corvalol drops", {"phenobarbital"}, "barbiturates"),
    ("Hypnogen", {"zolpidem"}, "z-drugs"),
])
def test_names_from_other_countries(typed: str, ingredients: set[str], klass: str | None) -> None:
    r = check_interactions([typed]).results[0]
    assert ingredients <= set(r.ingredients), (typed, r.ingredients)
    if klass is not None:
        assert klass in r.classes, (typed, r.classes)
