"""Plain language: the topic pages aim at a reading age of about 12.

Measured with the Flesch-Kincaid grade (US school grade; reading age is roughly grade + 5) using a
simple vowel-group syllable count, and with sentence lengths. Medicine names are long words, so the
guide as a whole must stay at grade 8 or below and each topic at grade 11 or below; no sentence may
run past 35 words and each topic averages 16 words a sentence or fewer.
"""

from __future__ import annotations

import re

import pytest

from gabacare.guide import all_topics, topic
from gabacare.guide.topics import TOPIC_IDS


def syllables(word: str) -> int:
    w = re.sub(r"[^a-z]", "", word.lower())
    n = len(re.findall(r"[aeiouy]+", w))
    if w.endswith("e") and not w.endswith("le") and n > 1:
        n -= 1
    return max(1, n)


def measure(text: str) -> tuple[int, int, int, int]:
    """(sentences, words, syllables, longest sentence in words)."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    words = [re.findall(r"[A-Za-z][A-Za-z'-]*", s) for s in sentences]
    flat = [w for ws in words for w in ws]
    return len(sentences), len(flat), sum(syllables(w) for w in flat), max(len(ws) for ws in words)


def grade(sentences: int, words: int, syl: int) -> float:
    return 0.39 * words / sentences + 11.8 * syl / words - 15.59


@pytest.mark.parametrize("topic_id", TOPIC_IDS)
def test_each_topic_is_plain(topic_id: str) -> None:
    page = topic(topic_id)
    s, w, y, longest = measure(f"{page.summary} {page.text}")
    assert longest <= 35
    assert w / s <= 16
    assert grade(s, w, y) <= 11


def test_the_guide_reads_at_about_age_twelve() -> None:
    totals = [measure(f"{p.summary} {p.text}") for p in all_topics()]
    s, w, y = (sum(t[i] for t in totals) for i in range(3))
    assert grade(s, w, y) <= 8
