"""GabaCare measured on the evaluation corpora (``tests/eval/data``), both splits.

The held-out split was written by another author and is never used to change the lexicons; the
figures for both splits are printed by ``benchmarks/text_understanding.py``. These tests hold the
floors the issue sets: every emergency recognised (recall 100%), no emergency read in a text whose
only symptoms are denied, at most 5% of non-emergency texts escalated to an emergency, medicine
names resolved at 98% or better.
"""

from __future__ import annotations

import pytest

from gabacare.clinical import check_interactions, triage

from . import corpus

# Quality over ~35,000 texts, not code coverage: run with coverage paused (tests/conftest.py).
pytestmark = pytest.mark.untraced


def _shown(split: str, rows: object) -> object:
    """What a failure message may show: the rows on the dev split, only their number on the held-out
    split (so that nobody tunes on held-out wording by reading a failed test)."""
    return rows if split != "heldout" else f"{len(rows)} held-out rows (texts hidden)"  # type: ignore[arg-type]


def _urgency(text: str) -> str | None:
    return triage([text]).most_urgent


def _drug(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    r = check_interactions([text]).results[0]
    return r.ingredients, r.classes


@pytest.fixture(scope="module", params=corpus.ASSERTED)
def scored(request: pytest.FixtureRequest) -> tuple[str, corpus.SymptomScore]:
    return request.param, corpus.score_symptoms(corpus.load("symptoms", request.param), _urgency)


def test_every_emergency_is_recognised(scored: tuple[str, corpus.SymptomScore]) -> None:
    split, score = scored
    assert not score.missed_emergencies, _shown(split, score.missed_emergencies)


# Denied-style rows that GabaCare escalates on purpose ("when unsure, escalate"): each names an
# emergency sign that did happen, and only a later clause says it passed. Development rows only.
ACCEPTED_OVER_TRIAGE = {
    "my throat felt tight for a second but it was just a crumb, I'm swallowing fine now",
    # "can't stay awake" is read as extreme sleepiness (label 5.7); the denial is of other medicines.
    "not on any other meds, still can't stay awake after 2 months",
}


def test_denied_symptoms_never_raise_an_emergency(scored: tuple[str, corpus.SymptomScore]) -> None:
    split, score = scored
    raised = [t for t in score.negated_emergencies if t not in ACCEPTED_OVER_TRIAGE]
    assert not raised, _shown(split, raised)


def test_few_non_emergencies_are_escalated(scored: tuple[str, corpus.SymptomScore]) -> None:
    split, score = scored
    assert score.false_emergency_rate <= 0.05, _shown(split, score.false_emergencies)


def test_everyday_diary_notes_are_never_emergencies() -> None:
    # What the journal's free-text fields mostly hold: a dose taken, an errand, a good night's sleep.
    notes = corpus.everyday_notes()
    assert len(notes) >= 80
    raised = [note for note in notes if _urgency(note) == "emergency"]
    # The semantic net may still call a rare short note a possible emergency (it leans to escalate, and
    # its threshold is set on symptom reports); a few in a hundred is the budget, as for symptom texts.
    assert len(raised) <= 0.03 * len(notes), raised


@pytest.mark.parametrize("split", [s for s in corpus.ASSERTED if s in corpus.splits("drug_names")])
def test_medicine_names_resolve(split: str) -> None:
    score = corpus.score_drugs(corpus.load("drug_names", split), _drug)
    assert score.resolution >= 0.98, _shown(split, score.wrong)


def test_the_corpora_are_big_enough_and_labelled_consistently() -> None:
    symptoms = [r for s in corpus.splits("symptoms") for r in corpus.load("symptoms", s)]
    drugs = [r for s in corpus.splits("drug_names") for r in corpus.load("drug_names", s)]
    questions = [r for s in corpus.splits("questions") for r in corpus.load("questions", s)]
    assert (len(symptoms), len(drugs), len(questions)) >= (400, 150, 200)
    assert {r["urgency"] for r in symptoms} == set(corpus.URGENCIES)
    assert sum("negated" in corpus.styles(r) for r in symptoms) >= 50


@pytest.mark.parametrize("name", ["symptoms", "drug_names", "questions"])
def test_no_held_out_text_is_also_a_development_text(name: str) -> None:
    # The held-out figures measure wording the lexicons were not tuned on. Between a rotation and the
    # next author's split there is no held-out file: nothing to compare.
    if not corpus.has_heldout(name):
        pytest.skip(f"no held-out {name} split yet")
    dev = {r["text"].lower() for s in corpus.dev_splits(name) for r in corpus.load(name, s)}
    held = {r["text"].lower() for r in corpus.load(name, "heldout")}
    both = len(dev & held)  # a count only: the held-out texts must never be printed
    assert both == 0, f"{name}: {both} texts in both splits"


def _topic(question: str) -> str | None:
    from gabacare.guide import ask

    result = ask(question)
    return result.answers[0].topic if result.answers else None


@pytest.mark.parametrize("split", [s for s in corpus.ASSERTED if s in corpus.splits("questions")])
def test_ask_finds_the_topic(split: str) -> None:
    """The right topic first (or, off topic, no answer) for at least 90% of the questions."""
    score = corpus.score_questions(corpus.load("questions", split), _topic)
    assert score.accuracy >= 0.90, _shown(split, score.wrong)


def test_the_names_score_counts_a_no_action_class_as_none_and_one_substance_by_either_name() -> None:
    rows = [
        {"text": "Naprosyn", "ingredients": ["naproxen"], "klass": "none"},       # small PK change, no action
        {"text": "Percocet", "ingredients": ["oxycodone"], "klass": "none"},      # an opioid is never "none"
        {"text": "Antivert", "ingredients": ["meclizine"], "klass": "sedating-antihistamines"},
    ]
    read = {"Naprosyn": (("naproxen",), ("small-pk-change",)), "Percocet": (("oxycodone",), ("opioids",)),
            "Antivert": (("meclozine",), ("sedating-antihistamines",))}
    score = corpus.score_drugs(rows, read.__getitem__)
    assert (score.resolved, score.class_right) == (3, 2)
    assert [text for text, _ in score.wrong] == ["Percocet"]
