"""A question naming alcohol or another sedative is about taking them together (synonyms.toml
``class_topics``); the backstop's "may be an emergency" never steers a general question's topic.
Wordings are our own."""

from __future__ import annotations

import pytest

from gabacare.guide import ask


@pytest.mark.parametrize("question", [
    "GRANNY WANTS TO KNOW IF SHE CAN HAVE A SHERRY BEFORE BED ON THESE",
    "off to a party, can i have a couple of ciders on my 600mg",
    "is my zopiclone ok with my nerve tablets, both make me sleepy",
])
def test_a_named_sedative_raises_its_class_topic(question: str) -> None:
    assert ask(question).answers[0].topic == "alcohol-and-sedatives"


@pytest.mark.parametrize("question", ["what is the capital of france", "who won the football last night"])
def test_off_topic_questions_get_no_answer(question: str) -> None:
    assert ask(question).answers == ()
