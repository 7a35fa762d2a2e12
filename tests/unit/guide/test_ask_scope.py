"""What `ask` answers: questions anchored to the medicine, off-topic ones left unanswered, and the
topic of an emergency read in the question first (``synonyms.toml`` ``[search]``)."""

from __future__ import annotations

import pytest

from gabacare.guide import ask


def _top(question: str) -> str | None:
    r = ask(question)
    return r.answers[0].topic if r.answers else None


@pytest.mark.parametrize(
    "question",
    [
        "can dogs eat grapes",
        "how long does a cold last",
        "is metformin good for weight loss",
        "is amoxicillin ok for a sore throat",
        "how do i get rid of hiccups",
    ],
)
def test_questions_about_something_else_get_no_answer_and_the_topic_list(question: str) -> None:
    r = ask(question)
    assert r.answers == ()
    assert r.message is not None
    assert r.to_json()["topics"]


@pytest.mark.parametrize(
    ("question", "topic"),
    [("can i eat grapes with it", "food-and-antacids"), ("does a cold make it work less well", None)],
)
def test_the_same_words_pointing_at_the_medicine_are_in_scope(question: str, topic: str | None) -> None:
    got = _top(question)
    assert got is not None
    if topic:
        assert got == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("when should i go to a&e", "emergencies"),
        ("dog ate my gabapentin", "overdose"),
        ("face has puffed right up and i feel wheezy", "emergencies"),
        ("my kid got into my pill box, might have eaten some", "overdose"),
        ("gabapentin in the over 65s", "older-adults"),
        ("is it ok in my 80s", "older-adults"),
    ],
)
def test_topic_vocabulary_and_emergencies_read_now(question: str, topic: str) -> None:
    assert _top(question) == topic


def test_a_possible_emergency_from_the_net_does_not_choose_the_topic() -> None:
    # The net may say "may be an overdose" for a general question; only rules raise a topic.
    assert _top("when should i go to a&e on gabapentin") == "emergencies"


# Whether or how to do something is a question, not a report (synonyms.toml [general_questions]).
@pytest.mark.parametrize("question", [
    "is it ok to open the capsule if i cant swallow it", "can i take all my gaba at once before bed",
    "is it safe to crush them if she can't swallow tablets", "how do i take it if i cannot swallow capsules",
])
def test_how_to_questions_are_not_emergencies(question: str) -> None:
    assert not ask(question).emergency


@pytest.mark.parametrize("question", [
    "is it ok to take it, i cant breathe", "can i take it if my lips are swelling right now",
])
def test_a_symptom_now_beside_a_how_to_question_is_still_triaged(question: str) -> None:
    assert ask(question).emergency


@pytest.mark.parametrize("question", ["how much does a prescription cost in scotland", "how long does a cold last"])
def test_everyday_questions_get_no_topic(question: str) -> None:
    assert ask(question).answers == ()
