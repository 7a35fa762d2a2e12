"""Travelling with the medicine (by air, through customs, abroad) and medicine no longer needed are
storage questions (``synonyms.toml``, storage topic terms); travel with no medicine in it is not a
question GabaCare answers. Wordings are our own."""

from __future__ import annotations

import pytest

from gabacare.guide import ask


def _topic(q: str) -> str | None:
    r = ask(q)
    return r.answers[0].topic if r.answers else None


@pytest.mark.parametrize("question", [
    "is it ok to pack my gabapentin capsules for the plane",
    "will gabapentin get stopped at customs when I go to Thailand",
])
def test_travel_with_the_medicine_is_storage(question: str) -> None:
    assert _topic(question) == "storage"


@pytest.mark.parametrize("question", ["cheap flights to spain", "which airport is closest to Malaga"])
def test_travel_alone_is_not_answered(question: str) -> None:
    assert _topic(question) is None
