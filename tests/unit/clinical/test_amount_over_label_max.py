"""An amount taken above the label's maximum daily dose is an overdose (reading.read_text with the
``[dose_counts] over_label_max_taken`` rule and the monograph's ``[limits] max_daily_mg``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gabacare.clinical import triage
from gabacare.knowledge import load_monograph

MAX = load_monograph().limits.max_daily_mg  # label 2.1, 2.2


def _urgency(text: str) -> str | None:
    return triage([text]).most_urgent


@given(mg=st.integers(min_value=100, max_value=99_999), joined=st.booleans(),
       verb=st.sampled_from(["took", "have taken", "swallowed", "had"]),
       name=st.sampled_from(["gabapentin", "my gabapentin", "Neurontin", "pregabalin", ""]))
def test_an_amount_taken_is_an_overdose_exactly_above_the_label_maximum(mg: int, joined: bool, verb: str,
                                                                         name: str) -> None:
    amount = f"{mg}mg" if joined else f"{mg} mg"
    text = f"I {verb} {amount} of {name} today" if name else f"I {verb} {amount} today"
    read = _urgency(text)
    if mg > MAX:
        assert read == "emergency", text
    else:
        assert read != "emergency", text


@pytest.mark.parametrize("text", [
    "can I take 4000 mg of gabapentin?",            # a question, not a dose taken
    "I took 4000 mg a day for years",               # a regimen: the prescriber's to judge
    "I took 4000mg of paracetamol",                 # another medicine's amount
    "I have never taken 4800 mg of gabapentin",     # denied
    "I've taken 9000mg of gabapentin this week",    # a week's total, not a day's
    "I took 5000 mg over the last month",           # a month's
])
def test_what_is_not_an_amount_of_gabapentin_taken_is_not_read_as_one(text: str) -> None:
    assert _urgency(text) != "emergency"


@pytest.mark.parametrize("text", ["took 4000mg of gabapentin in one day", "I had 4200 mg of gabapentin yesterday"])
def test_a_days_total_above_the_maximum_stays_an_overdose(text: str) -> None:
    assert _urgency(text) == "emergency"


def test_a_word_of_the_over_maximum_rule_that_is_not_a_taken_word_is_refused() -> None:
    # Its words must be words of [dose_counts] taken, which the rule reads its counts after: another
    # phrase would be listed and never read.
    from pydantic import ValidationError

    from gabacare.knowledge.language import load_language

    rule = load_language().dose_counts
    assert rule is not None
    with pytest.raises(ValidationError, match="over_label_max_taken"):
        type(rule).model_validate({**rule.model_dump(), "over_label_max_taken": ["took", "take it easy"]})
    assert type(rule).model_validate(rule.model_dump()) == rule  # the shipped data passes
