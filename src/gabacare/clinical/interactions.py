"""Interactions: names people type → ingredients → interaction class → cited severity and action.

Names are read by :func:`gabacare.clinical.drug_names.read_name` (brands, combinations, salts,
release and dose forms, strengths, EHR strings, and misspellings with "did you mean"); classes and
their members come from ``medicines.toml`` ``[[interaction_classes]]``. A name that resolves to
nothing listed is reported as *unknown* (``known=False``) and never as "no interaction". A name read
through a spelling guess is flagged (``guessed``) and shown as a question. Classes that appear
together on one list can add a warning of their own (``[[combination_warnings]]``: an opioid with a
benzodiazepine, fda-dsc-2016).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from gabacare._record import record
from gabacare.clinical.drug_names import NameReading, filler_words, read_name

if TYPE_CHECKING:
    from gabacare.knowledge.monograph import Citation, InteractionClass

__all__ = ["InteractionReport", "InteractionResult", "check_interactions", "normalise_name", "resolve_ingredients"]

_SEVERITY_RANK = {"major": 3, "moderate": 2, "minor": 1, "none": 0}


def normalise_name(text: str) -> str:
    """Lower-case, drop strengths and punctuation: ``"Xanax 0.5 mg"`` → ``"xanax"``."""
    s = text.lower().replace("®", "").replace("™", "")
    s = re.sub(r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|µg|g|ml|%)?\b", " ", s)
    s = re.sub(r"[^a-z\s/+-]", " ", s)
    return " ".join(s.split())


def resolve_ingredients(name: str) -> tuple[str, ...]:
    """Ingredients behind a typed name read for sure (brand, synonym, salt form ...); empty if not
    recognised. Spelling guesses are not used here: see :func:`gabacare.clinical.drug_names.read_name`."""
    reading = read_name(name)
    return () if reading.guessed else reading.ingredients


def _class_of(ingredient: str) -> InteractionClass | None:
    from gabacare.knowledge.monograph import load_monograph

    for cls in load_monograph().interaction_classes:
        if ingredient in cls.members:
            return cls
    return None


@record
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
    reading: NameReading | None = None
    classes: tuple[str, ...] = ()
    sedating: bool = False

    @property
    def guessed(self) -> bool:
        return bool(self.reading and self.reading.guessed)

    def to_json(self) -> dict[str, object]:
        r = self.reading
        return {
            "input": self.input, "known": self.known, "ingredients": list(self.ingredients),
            "class": self.class_id, "class_title": self.class_title, "severity": self.severity,
            "action": self.action, "effect": self.effect, "advice": self.advice, "citations": list(self.citations),
            "classes": list(self.classes), "sedating": self.sedating,
            "guessed": self.guessed,
            "read_as": [{"typed": typed, "read": read} for typed, read in (r.guessed if r else ())],
            "did_you_mean": list(r.did_you_mean) if r else [],
            "unread": list(r.unread) if r else [],
        }


@record
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


# Words around a class word that do not change the class ("his benzos", "antipsychotic meds", "some sort
# of benzo"): these, and every word that never names a medicine (drug_names.filler_words: forms, "meds", "my").
_AROUND_CLASS_WORDS = frozenset({"his", "her", "few", "couple", "on", "other", "any", "some", "sort", "kind", "type",
                                 "of", "one", "a", "an", "the"})


_NOT_CLASS = frozenset({"non", "not", "no"})


def _class_named(name: str) -> InteractionClass | None:
    """The class a word for the whole class names ("benzos", "some kind of benzo for the flight",
    "a strong opiate from the hospital": ``language.toml`` ``[class_words]``, anywhere in the text,
    the longest first), or ``None``.

    >>> _class_named("some kind of benzo for the flight").id
    'benzodiazepines'
    >>> _class_named("paracetamol") is None
    True
    >>> _class_named("a non-drowsy antihistamine") is None
    True
    """
    from gabacare.knowledge.monograph import load_monograph

    words = tuple(w for w in re.findall(r"[a-z]+", name.lower()) if w not in _class_filler())
    for key, wanted in _class_keys():
        # Not after "non"/"not"/"no": a "non-drowsy antihistamine" is not a sedating one.
        if any(words[i:i + len(key)] == key and (i == 0 or words[i - 1] not in _NOT_CLASS)
               for i in range(len(words) - len(key) + 1)):
            return next((c for c in load_monograph().interaction_classes if c.id == wanted), None)
    return None


@cache
def _class_filler() -> frozenset[str]:
    return _AROUND_CLASS_WORDS | filler_words()


@cache
def _class_keys() -> tuple[tuple[tuple[str, ...], str], ...]:
    """``[class_words]`` as word tuples (filler dropped), longest first."""
    from gabacare.knowledge.language import load_language

    table = load_language().class_words
    if table is None:
        return ()
    keys = {tuple(w for w in re.findall(r"[a-z]+", k.lower()) if w not in _class_filler()): v
            for k, v in table.words.items()}
    return tuple(sorted(((k, v) for k, v in keys.items() if k), key=lambda kv: -len(kv[0])))


def _outside_note(reading: NameReading) -> tuple[str, Citation | None] | None:
    """What to say, and cite, when a name was read from the outside list of names, not GabaCare's own."""
    if not reading.outside:
        return None
    from gabacare.knowledge.monograph import Citation, load_monograph

    source = load_monograph().names.outside_source
    words = " and ".join(repr(w) for w in reading.outside)
    note = (f"{words} {'is' if len(reading.outside) == 1 else 'are'} not in GabaCare's own list of medicines: "
            "read from an outside list of medicine names.")
    return note, Citation(source=source) if source else None


def _one(name: str) -> InteractionResult:
    reading = read_name(name)
    ingredients = reading.ingredients
    classes = [c for c in (_class_of(i) for i in ingredients) if c is not None]
    typed = " ".join(name.split())
    named = _class_named(name)
    if ingredients and named is not None and named not in classes:
        # "z-drug sleeping tablets": the class said in words is added to what the names read (a
        # warning is never dropped for a guess).
        classes.append(named)
    if not ingredients and named is not None:
        # A whole class ("benzos"): no ingredient, but the class's warning applies.
        return InteractionResult(name, True, (), named.id, named.title, named.severity, named.action, named.effect,
                                 named.advice, tuple(named.citations), reading, (named.id,), named.sedating)
    outside = _outside_note(reading)
    if not classes:
        advice = (
            f"GabaCare has no interaction record for {typed!r}"
            + (f" (ingredients: {', '.join(ingredients)})" if ingredients else "")
            + ". That does not mean it is safe with gabapentin: ask your pharmacist or prescriber."
        )
        if not ingredients and reading.did_you_mean:
            advice = f"GabaCare could not read {typed!r} for sure. Did you mean {' or '.join(reading.did_you_mean)}? " + advice
        if outside is not None:
            advice = f"{outside[0]} {advice}"
        cited = () if outside is None or outside[1] is None else (outside[1],)
        return InteractionResult(name, False, ingredients, None, None, None, None, None, advice, cited, reading)
    worst = max(classes, key=lambda c: _SEVERITY_RANK[c.severity])
    cites = tuple(dict.fromkeys(c for cls in classes for c in cls.citations))
    advice = worst.advice
    if reading.guessed:
        read = ", ".join(f"{t!r} as {r!r}" for t, r in reading.guessed)
        advice = f"Read {read}: did you mean {' or '.join(reading.did_you_mean)}? Check the name with your pharmacist. {advice}"
    if outside is not None:
        advice = f"{outside[0]} {advice}"
        cites = cites if outside[1] is None else (*cites, outside[1])
    return InteractionResult(
        name, True, ingredients, worst.id, worst.title, worst.severity, worst.action, worst.effect, advice, cites,
        reading, tuple(dict.fromkeys(c.id for c in classes)), any(c.sedating for c in classes),
    )


def _combination_warnings(results: Sequence[InteractionResult]) -> tuple[list[str], list[Citation]]:
    """Warnings for classes together on one list (``[[combination_warnings]]``); one product with
    two ingredients counts as two ("lean": codeine with promethazine)."""
    from gabacare.knowledge.monograph import load_monograph

    m = load_monograph()
    sedating = {c.id for c in m.interaction_classes if c.sedating}
    present = list(dict.fromkeys(c for r in results if r.known for c in r.classes))
    texts: list[str] = []
    cites: list[Citation] = []
    for warning in m.combination_warnings:
        left = list(present)
        for wanted in warning.classes:
            pick = next((c for c in left if (c in sedating if wanted == "*sedating" else c == wanted)), None)
            if pick is None:
                break
            left.remove(pick)
        else:
            texts.append(warning.text)
            cites.extend(warning.citations)
    # The first matching warning is the most specific (an opioid with a benzodiazepine); the data
    # lists them in that order, so the general one is not repeated beside it.
    return texts[:1], cites


def check_interactions(names: Sequence[str], *, age_years: float | None = None) -> InteractionReport:
    """Look up each name; unknown names stay unknown. With ``age_years`` apply the Beers rule for
    people 65 and over taking 3 or more CNS-active medicines (gabapentin counts as one).

    Examples
    --------
    >>> r = check_interactions(["Percocet"]).results[0]
    >>> (r.known, r.ingredients, r.class_id, r.severity, r.action)
    (True, ('oxycodone', 'paracetamol'), 'opioids', 'major', 'avoid')
    """
    from gabacare.knowledge.monograph import load_monograph

    m = load_monograph()
    results = tuple(_one(n) for n in names if n.strip())
    warnings: list[str] = []
    cites = [c for r in results for c in r.citations]
    cns = next((c for c in m.interaction_classes if c.older_adult_cns_drug_count), None)
    combo_texts, combo_cites = _combination_warnings(results)
    warnings.extend(combo_texts)
    cites.extend(combo_cites)
    if cns is not None and age_years is not None and cns.older_adult_age_years is not None:
        beers = {c.id for c in m.interaction_classes if c.beers_cns_active}
        count = 1 + sum(1 for r in results if beers & set(r.classes))
        if age_years >= cns.older_adult_age_years and count >= (cns.older_adult_cns_drug_count or 0):
            warnings.append(
                f"At {age_years:g} years with {count} medicines acting on the brain (counting gabapentin), "
                "the Beers criteria advise avoiding this combination because of falls and fractures."
            )
            cites.extend(cns.citations)
    return InteractionReport(results, tuple(warnings), tuple(dict.fromkeys(cites)), m.notice_text)
