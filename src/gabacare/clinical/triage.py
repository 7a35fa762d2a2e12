"""Symptom triage: what a person types → emergency / contact prescriber / expected.

Phrases and advice come from the knowledge base ``[[adverse_effects]]`` (label sections 5 and 6,
fda-dsc-2019). A text may match several phrases: the most urgent wins. Results list emergencies
first, then contact-the-prescriber, then unrecognised text (which may still be serious), then
expected effects. Unrecognised text says so and points to the clinician.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.monograph import AdverseEffect

__all__ = ["URGENCY_ORDER", "TriageReport", "TriageResult", "triage"]

URGENCY_ORDER = ("emergency", "contact_prescriber", "expected")
_RANK = {"emergency": 0, "contact_prescriber": 1, None: 2, "expected": 3}


@dataclass(frozen=True)
class TriageResult:
    """One input's triage (contract keys: input, recognized, urgency, advice)."""

    input: str
    recognized: bool
    urgency: str | None
    advice: str
    effect_id: str | None
    title: str | None
    matched: str | None
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "input": self.input, "recognized": self.recognized, "urgency": self.urgency, "advice": self.advice,
            "effect": self.effect_id, "title": self.title, "matched": self.matched, "citations": list(self.citations),
        }


@dataclass(frozen=True)
class TriageReport:
    """Results ordered emergencies first; ``most_urgent`` is the highest recognised urgency."""

    results: tuple[TriageResult, ...]
    most_urgent: str | None
    notice: str

    @property
    def emergency(self) -> bool:
        return self.most_urgent == "emergency"

    def to_json(self) -> dict[str, object]:
        return {
            "results": [r.to_json() for r in self.results],
            "most_urgent": self.most_urgent,
            "emergency": self.emergency,
            "notice": self.notice,
        }


def _normalise(text: str) -> str:
    s = text.lower().replace("’", "'")
    s = re.sub(r"[^a-z0-9' -]", " ", s)
    return " ".join(s.split())


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str, AdverseEffect], ...]:
    out = []
    for effect in load_monograph().adverse_effects:
        for phrase in effect.phrases:
            norm = _normalise(phrase)
            out.append((re.compile(rf"(?<![a-z']){re.escape(norm)}(?![a-z])"), norm, effect))
    return tuple(out)


_STOP = frozenset({"and", "a", "with", "my", "the", "of", "to", "i", "am", "is", "are", "feel", "feeling"})


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _words(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in text.split() if w not in _STOP)


def _one(text: str) -> TriageResult:
    norm = _normalise(text)
    hits = [(effect, phrase) for pattern, phrase, effect in _patterns() if pattern.search(norm)]
    # People reorder words ("my lips are swollen"): a multi-word phrase also matches when all of
    # its words are present. Over-matching errs towards the more urgent advice, never away from it.
    words = _words(norm)
    for _pattern, phrase, effect in _patterns():
        needed = _words(phrase)
        if len(needed) > 1 and needed <= words:
            hits.append((effect, phrase))
    if not hits:
        return TriageResult(text, False, None, load_monograph().triage.unrecognised_advice, None, None, None, ())
    effect, phrase = min(hits, key=lambda h: (_RANK[h[0].urgency], -len(h[1])))
    return TriageResult(text, True, effect.urgency, effect.advice, effect.id, effect.title, phrase, effect.citations)


def triage(symptoms: Sequence[str]) -> TriageReport:
    """Triage each symptom text; emergencies come first.

    Examples
    --------
    >>> r = triage(["sleepy", "swollen lips"])
    >>> (r.most_urgent, r.results[0].input, r.results[0].urgency)
    ('emergency', 'swollen lips', 'emergency')
    """
    results = sorted((_one(s) for s in symptoms if s.strip()), key=lambda r: _RANK[r.urgency])
    recognised = [r.urgency for r in results if r.urgency]
    most = min(recognised, key=lambda u: _RANK[u], default=None)
    return TriageReport(tuple(results), most, load_monograph().notice_text)
