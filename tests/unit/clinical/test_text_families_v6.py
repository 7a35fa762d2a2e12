"""Families of wording learnt from the sixth author's texts (held-out v6, rotated into development).

Each case is written here afresh, in other words than the corpus, to test the family, not the row:
the emergency must be read, and its near misses must not be.
"""

from __future__ import annotations

import pytest

from gabacare.clinical.text import read_text


@pytest.mark.parametrize("text", [
    "keep thinking about steering into the oncoming lorry on the way to work",
    "had thoughts to jump off the multi storey car park",
    "sat in the garage last night with the car running",
    "it would be a mercy if God took me in my sleep",
    "my brother says he's going to check out early",
    "i fink i wont to kil my self",
    "the booklet warns about thoughts of harming yourself, i get them most days",
    "neither me nor the carer could rouse him this morning",
    "we cannot make her wake up and she breathe very little",
    "he was shaking and his eyes went up, not answering",
    "I did faint at the bus stop",
    "took 20 of my dads tablets",
    "medication error: the night nurse gave 800 mg instead of 100 mg",
    "took the 800s thinking they were the 300s",
    "whole mouth covered in ulcers and I feel shivery",
    "blisters came up on my palms and the soles of my feet",
    "spotty rash on my chest and my mouth is full of sores",
    "his sats keep dropping",
])
def test_the_emergency_is_read(text: str) -> None:
    assert read_text(text, net=False).urgency == "emergency", text


@pytest.mark.parametrize("text", [
    "I have to say my mood is a bit low",                         # "say" is not oxygen "sats"
    "I had a fall in the kitchen, no injury, didn't lose consciousness",
    "my feet are puffy, face and lips completely normal",
    "nurse asked whether I had thoughts of self-harm. I haven't.",
    "I checked the dosette box twice, nothing missed",
    "went down a dose and I've been itchy and a bit feverish",   # itching is not the DRESS rash
    "I wouldn't mind a lie down after lunch",
    "a mouth ulcer again",
])
def test_the_near_miss_is_not_an_emergency(text: str) -> None:
    assert read_text(text).urgency != "emergency", text
