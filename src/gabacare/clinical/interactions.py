"""Interactions: names people type → ingredients → interaction class → cited severity and action.

Names, brands and combinations resolve through the knowledge base ``[names.map]``; classes and
their members through ``[[interaction_classes]]``. A name that resolves to nothing listed is
reported as *unknown* (``known=False``) and never as "no interaction".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.monograph import InteractionClass

__all__ = ["InteractionReport", "InteractionResult", "check_interactions", "normalise_name", "resolve_ingredients"]

_SEVERITY_RANK = {"major": 3, "moderate": 2, "minor": 1, "none": 0}


def normalise_name(text: str) -> str:
    """Lower-case, drop strengths and punctuation: ``"Xanax 0.5 mg"`` → ``"xanax"``."""
    s = text.lower().replace("®", "").replace("™", "")
    s = re.sub(r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|µg|g|ml|%)?\b", " ", s)
    s = re.sub(r"[^a-z\s/+-]", " ", s)
    return " ".join(s.split())


def resolve_ingredients(name: str) -> tuple[str, ...]:
    """Ingredients behind a typed name (brand, synonym or ingredient); empty if not recognised."""
    m = load_monograph()
    key = normalise_name(name)
    if not key:
        return ()
    if key in m.names.map:
        return m.names.map[key]
    members = {mem for cls in m.interaction_classes for mem in cls.members}
    if key in members:
        return (key,)
    # Combination typed with a separator, e.g. "oxycodone/paracetamol".
    parts = [p.strip() for p in re.split(r"\s*[/+]\s*|\s+and\s+", key) if p.strip()]
    if len(parts) > 1:
        found: list[str] = []
        for p in parts:
            found.extend(resolve_ingredients(p))
        return tuple(dict.fromkeys(found))
    return ()


def _class_of(ingredient: str) -> InteractionClass | None:
    for cls in load_monograph().interaction_classes:
        if ingredient in cls.members:
            return cls
    return None


@dataclass(frozen=True)
class InteractionResult:
    """The finding for one typed name (contract keys: input, known, ingredients, class, severity,
    action, citations)."""

    input: str
    known: bool
    ingredients: tuple[str, ...]
    class_id: str | None
    class_title: str | None
    severity: str | None
    action: str | None
    effect: str | None
    advice: str
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "input": self.input, "known": self.known, "ingredients": list(self.ingredients),
            "class": self.class_id, "class_title": self.class_title, "severity": self.severity,
            "action": self.action, "effect": self.effect, "advice": self.advice, "citations": list(self.citations),
        }


@dataclass(frozen=True)
class InteractionReport:
    """Results in input order, plus combined warnings (e.g. the Beers ≥3 CNS-active drugs rule)."""

    results: tuple[InteractionResult, ...]
    warnings: tuple[str, ...]
    citations: tuple[Citation, ...]
    notice: str

    @property
    def worst(self) -> InteractionResult | None:
        known = [r for r in self.results if r.known]
        return max(known, key=lambda r: _SEVERITY_RANK[r.severity or "none"], default=None)

    def to_json(self) -> dict[str, object]:
        worst = self.worst
        return {
            "results": [r.to_json() for r in self.results],
            "most_severe": worst.severity if worst else None,
            "unknown": [r.input for r in self.results if not r.known],
            "warnings": list(self.warnings),
            "citations": list(self.citations),
            "notice": self.notice,
        }


def _one(name: str) -> InteractionResult:
    m = load_monograph()
    ingredients = resolve_ingredients(name)
    classes = [c for c in (_class_of(i) for i in ingredients) if c is not None]
    if not classes:
        advice = (
            f"GabaCare has no interaction record for {name.strip()!r}"
            + (f" (ingredients: {', '.join(ingredients)})" if ingredients else "")
            + ". That does not mean it is safe with gabapentin: ask your pharmacist or prescriber."
        )
        return InteractionResult(name, False, ingredients, None, None, None, None, None, advice, ())
    worst = max(classes, key=lambda c: _SEVERITY_RANK[c.severity])
    cites = tuple(dict.fromkeys(c for cls in classes for c in cls.citations))
    del m
    return InteractionResult(
        name, True, ingredients, worst.id, worst.title, worst.severity, worst.action, worst.effect, worst.advice, cites
    )


def check_interactions(names: Sequence[str], *, age_years: float | None = None) -> InteractionReport:
    """Look up each name; unknown names stay unknown. With ``age_years`` apply the Beers rule for
    people 65 and over taking 3 or more CNS-active medicines (gabapentin counts as one).

    Examples
    --------
    >>> r = check_interactions(["Percocet"]).results[0]
    >>> (r.known, r.ingredients, r.class_id, r.severity, r.action)
    (True, ('oxycodone', 'paracetamol'), 'opioids', 'major', 'avoid')
    """
    m = load_monograph()
    results = tuple(_one(n) for n in names if n.strip())
    warnings: list[str] = []
    cites = [c for r in results for c in r.citations]
    cns = next((c for c in m.interaction_classes if c.older_adult_cns_drug_count), None)
    if cns is not None and age_years is not None and cns.older_adult_age_years is not None:
        cns_active = {"opioids", "benzodiazepines", "cns-depressants", "gabapentinoids"}
        count = 1 + sum(1 for r in results if r.class_id in cns_active)
        if age_years >= cns.older_adult_age_years and count >= (cns.older_adult_cns_drug_count or 0):
            warnings.append(
                f"At {age_years:g} years with {count} medicines acting on the brain (counting gabapentin), "
                "the Beers criteria advise avoiding this combination because of falls and fractures."
            )
            cites.extend(cns.citations)
    return InteractionReport(results, tuple(warnings), tuple(dict.fromkeys(cites)), m.notice_text)
