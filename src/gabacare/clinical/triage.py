"""Symptom triage: what a person types -> emergency / contact prescriber / expected.

Each text goes through the one text pipeline (:func:`gabacare.clinical.text.read_text`): signs in
lay words, negation with its scope, medicines named beside them, combination rules, and the
backstop and the semantic safety net, which can only escalate. Urgency and advice come from the knowledge base
``[[adverse_effects]]`` (label sections 5 and 6, fda-dsc-2019, nhs-999); the reading rules from
``language.toml`` and ``lexicon.toml``.

Results list emergencies first, then contact-the-prescriber, then texts with nothing urgent read
(which may still be serious), then expected effects. A text with nothing urgent in it always
carries the red-flag checklist and names what was not understood: never a silent "unknown".
Someone else's symptoms ("my husband ...") and past events ("had a fit last night") are triaged
like the person's own.

The knowledge base is read as plain values (:mod:`gabacare.clinical.text.plain`: a warm process
imports no pydantic), so the citations, red flags and crisis lines of a result are its plain copies
(:class:`~gabacare.knowledge.plain.PlainCitation`: the monograph citation's fields, short form and JSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from gabacare._record import record
from gabacare.clinical.text import Reading, read_text
from gabacare.clinical.text.plain import AdverseEffect, BackstopConcept, CrisisLine, RedFlag, plain_language, plain_monograph
from gabacare.knowledge.plain import PlainCitation

__all__ = ["URGENCY_ORDER", "TriageReport", "TriageResult", "triage"]

URGENCY_ORDER = ("emergency", "contact_prescriber", "expected")
_RANK = {"emergency": 0, "contact_prescriber": 1, None: 2, "expected": 3}
_SUICIDAL = "suicidal-thoughts"


@record
class TriageResult:
    """One input's triage (contract keys: input, recognized, urgency, advice)."""

    input: str
    recognized: bool
    urgency: str | None
    advice: str
    effect_id: str | None
    title: str | None
    matched: str | None
    citations: tuple[PlainCitation, ...]
    reading: Reading | None = None
    rule: str | None = None
    red_flags: tuple[RedFlag, ...] = ()
    crisis_lines: tuple[CrisisLine, ...] = ()
    why: str | None = None  # a combination rule's reason

    def to_json(self) -> dict[str, object]:
        r = self.reading
        titles = _titles()
        out: dict[str, object] = {
            "input": self.input, "recognized": self.recognized, "urgency": self.urgency, "advice": self.advice,
            "effect": self.effect_id, "title": self.title, "matched": self.matched, "citations": list(self.citations),
            "rule": self.rule, "why": self.why,
        }
        if r is not None:
            # One line per effect and wording (a lexicon sign and the effect's own phrase may both match).
            shown: list[dict[str, object]] = []
            seen: set[tuple[str | None, str]] = set()
            for f in (*r.combinations, *r.affirmed):
                if f.kind in ("sign", "combination") and (f.effect, f.words) not in seen:
                    seen.add((f.effect, f.words))
                    shown.append({"sign": f.id, "effect": f.effect, "title": titles.get(f.effect or ""),
                                  "urgency": f.urgency, "words": f.words})
            out["findings"] = shown
            denied: dict[str | None, dict[str, object]] = {}
            for f in r.negated:
                denied.setdefault(f.effect, {"sign": f.id, "title": titles.get(f.effect or ""), "words": f.words})
            out["negated"] = list(denied.values())
            out["medicines"] = [{"ingredient": f.id, "words": f.words, "classes": [c.removeprefix("class:") for c in f.refs
                                 if not c.endswith("*sedating")]} for f in r.medicines]
            out["possible_emergency"] = [
                {"effect": f.effect, "title": titles.get(f.effect or ""), "words": f.words, "score": f.score,
                 "via": "backstop" if f.kind == "backstop" else "semantic-net"}
                for f in r.possible
            ]
            out["corrections"] = {typed: read for typed, read in r.corrections}
            out["experiencer"] = r.experiencer
            out["not_understood"] = list(r.unread) if self.urgency != "emergency" else []
            out["semantic_net"] = r.net
        out["red_flags"] = [{"text": f.text, "action": f.action, "citations": list(f.citations)} for f in self.red_flags]
        out["crisis_lines"] = [{"region": c.region, "name": c.name, "number": c.number} for c in self.crisis_lines]
        return out


@record
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


@cache
def _effects() -> dict[str, AdverseEffect]:
    return {e.id: e for e in plain_monograph().adverse_effects}


@cache
def _backstop_concepts() -> dict[str, BackstopConcept]:
    b = plain_language().backstop
    return {c.id: c for c in b.concepts} if b is not None else {}


@cache
def _sign_citations() -> dict[str, tuple[PlainCitation, ...]]:
    """Each lexicon sign's own citations (``source`` and ``section`` in lexicon.toml)."""
    return {s.id: s.citations for s in plain_language().lexicon.signs}


@cache
def _titles() -> dict[str, str]:
    return {e.id: e.title for e in plain_monograph().adverse_effects}


def _citations(*effects: str, extra: Sequence[PlainCitation] = ()) -> tuple[PlainCitation, ...]:
    table = _effects()
    return tuple(dict.fromkeys([c for e in effects if e in table for c in table[e].citations] + list(extra)))


def _result(text: str, reading: Reading) -> TriageResult:
    lang = plain_language()
    t = plain_monograph().triage
    ranked = reading.ranked()
    suicidal = any(f.effect == _SUICIDAL for f in ranked)
    crisis = lang.crisis_lines if suicidal else ()
    if not ranked:
        flags = lang.red_flags
        if reading.negated:
            denied = ", ".join(dict.fromkeys(_titles()[f.effect or ""].lower() for f in reading.negated))
            advice = t.negated_advice.format(items=denied)
            return TriageResult(text, True, None, advice, None, None, None, (), reading, None, flags, crisis)
        unread = "; ".join(reading.unread) or text.strip()
        advice = t.unrecognised_advice.format(text=unread)
        return TriageResult(text, False, None, advice, None, None, None, (), reading, None, flags, crisis)
    top = ranked[0]
    effect = _effects()[top.effect or ""]
    advice = effect.advice
    extra: list[PlainCitation] = []
    rule: str | None = None
    why: str | None = None
    if top.kind == "combination":
        combo = next(c for c in lang.combinations if c.id == top.id)
        why = combo.why
        extra.extend(combo.citations)
        rule = combo.id
    elif top.kind == "sign":
        # A sign may rest on a source of its own beside its effect's (very severe belly pain: an NHS
        # trust's leaflet, uclh-abdominal-pain; the effect, a general emergency, cites nhs-999).
        extra.extend(_sign_citations().get(top.id, ()))
    elif top.kind == "semantic":
        advice = t.possible_emergency_advice.format(title=effect.title.lower(), advice=advice)
        rule = "semantic-net"
    elif top.kind == "backstop":
        concept = _backstop_concepts().get(top.id)
        means = concept.means if concept is not None else effect.title.lower()
        advice = t.possible_emergency_advice.format(title=means, advice=advice)
        extra.extend(concept.citations if concept is not None else ())
        rule = "backstop"
    # The checklist goes with texts read as nothing worse than expected; a contact-the-prescriber
    # advice already says when to call emergency services.
    flags = lang.red_flags if top.urgency == "expected" else ()
    return TriageResult(text, True, effect.urgency, advice, effect.id, effect.title, top.words,
                        _citations(effect.id, extra=extra), reading, rule, flags, crisis, why)


def triage(symptoms: Sequence[str]) -> TriageReport:
    """Triage each symptom text; emergencies come first.

    Examples
    --------
    >>> r = triage(["sleepy", "swollen lips"])
    >>> (r.most_urgent, r.results[0].input, r.results[0].urgency)
    ('emergency', 'swollen lips', 'emergency')
    >>> triage(["my lips are not swollen"]).results[0].urgency is None
    True
    """
    results = sorted((_result(s, read_text(s)) for s in symptoms if s.strip()), key=lambda r: _RANK[r.urgency])
    recognised = [r.urgency for r in results if r.urgency]
    most = min(recognised, key=lambda u: _RANK[u], default=None)
    return TriageReport(tuple(results), most, plain_monograph().notice_text)

