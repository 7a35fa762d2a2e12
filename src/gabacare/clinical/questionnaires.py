"""Scoring validated questionnaires: answers in, a cited :class:`QuestionnaireResult` out.

The instruments are data (``knowledge/data/questionnaires.toml``): PHQ-9 (kroenke-2001), GAD-7
(spitzer-2006), the Penn Spasm Frequency Scale (penn-1989), a 0-10 pain rating (farrar-2001,
serlin-1995) and the patient global impression of change (guy-1976). Scoring adds the answers of the
scored items; the severity is the band the total (or, for the Penn scale, the severity part) falls
in, in the instrument's own words, lower case with spaces as ``_``.

PHQ-9 item 9 answered above zero takes the emergency path whatever the total: ``emergency`` is true
and the advice is the one the symptom triage gives for thoughts of suicide or self-harm
(``gabapentin.toml`` ``[[adverse_effects]] suicidal-thoughts``, label 5.6), with the crisis lines of
``language.toml``.

Errors::

    ClinicalInputError      wrong number of answers, an answer out of range or not a whole number,
                            an unknown instrument (one line, naming the instrument and the rule)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.language import CrisisLine, load_language
from gabacare.knowledge.questionnaires import Instrument, load_questionnaires

__all__ = ["QuestionnaireResult", "instrument_ids", "parse_answers", "score"]

_SUICIDAL = "suicidal-thoughts"
_ECHO = 16  # characters of a refused input echoed back in the one-line error
_SEPARATORS = re.compile(r"[\s,;]+")


@record
class QuestionnaireResult:
    """A scored questionnaire.

    Contract keys (DESIGN.md): ``instrument``, ``total``, ``severity``, ``emergency``, ``advice``,
    ``citations``. ``band_advice`` is the band's own advice (``advice`` puts the emergency first when
    there is one); ``crisis_lines`` are filled only on the emergency path.
    """

    instrument: str
    name: str
    answers: tuple[int, ...]
    total: int
    min_total: int
    max_total: int
    severity: str
    band_word: str
    band_min: int
    band_max: int
    emergency: bool
    advice: str
    band_advice: str
    mid: float | None
    interval_days: int
    loinc_total: str | None
    crisis_lines: tuple[CrisisLine, ...]
    citations: tuple[Citation, ...]
    notice: str

    def to_json(self) -> dict[str, object]:
        return {
            "instrument": self.instrument, "name": self.name, "answers": list(self.answers), "total": self.total,
            "min_total": self.min_total, "max_total": self.max_total, "severity": self.severity,
            "band": {"word": self.band_word, "min": self.band_min, "max": self.band_max},
            "emergency": self.emergency, "advice": self.advice, "band_advice": self.band_advice,
            "mid": self.mid, "interval_days": self.interval_days,
            "loinc": None if self.loinc_total is None else {"system": "http://loinc.org", "code": self.loinc_total},
            "crisis_lines": [{"region": c.region, "name": c.name, "number": c.number} for c in self.crisis_lines],
            "citations": list(self.citations), "notice": self.notice,
        }


def instrument_ids() -> tuple[str, ...]:
    """The instrument ids ``score`` accepts, in the knowledge base's order.

    >>> instrument_ids()
    ('phq9', 'gad7', 'penn_spasm', 'pain_nrs', 'pgic')
    """
    return load_questionnaires().ids


def parse_answers(text: str) -> tuple[int, ...]:
    """Read answers typed as ``"0,1,2"`` (commas, semicolons or spaces) into whole numbers.

    Raises
    ------
    ClinicalInputError
        Nothing given, or an answer that is not a whole number.

    Examples
    --------
    >>> parse_answers("1, 2 3")
    (1, 2, 3)
    >>> parse_answers("1,two")
    Traceback (most recent call last):
    ...
    gabacare.clinical.errors.ClinicalInputError: answer 2 is not a whole number: 'two'
    """
    parts = [p for p in _SEPARATORS.split(text.strip()) if p]
    if not parts:
        raise ClinicalInputError("no answers given: type them as whole numbers separated by commas, e.g. 0,1,2")
    out: list[int] = []
    for i, p in enumerate(parts, 1):
        if not re.fullmatch(r"[+-]?\d{1,3}", p):
            raise ClinicalInputError(f"answer {i} is not a whole number: {p[:_ECHO]!r}")
        out.append(int(p))
    return tuple(out)


def _instrument(instrument_id: str) -> Instrument:
    try:
        return load_questionnaires().instrument(instrument_id)
    except KeyError as exc:
        raise ClinicalInputError(str(exc.args[0])) from None


def _expected(inst: Instrument, answers: Sequence[int]) -> int:
    """How many answers the instrument expects, given the first (a conditional item may be skipped)."""
    n = len(inst.items)
    if answers and answers[0] == 0:
        n -= sum(1 for item in inst.items if item.only_if_first_above_zero)
    return n


def _check(inst: Instrument, answers: Sequence[object]) -> tuple[int, ...]:
    whole: list[int] = []
    for i, a in enumerate(answers, 1):
        if isinstance(a, bool) or not isinstance(a, int):
            raise ClinicalInputError(f"{inst.id}: answer {i} must be a whole number, got {str(a)[:_ECHO]!r}")
        whole.append(a)
    values = tuple(whole)
    expected = _expected(inst, values)
    if len(values) != expected:
        skipped = [i for i, item in enumerate(inst.items, 1) if item.only_if_first_above_zero]
        extra = (f" ({len(inst.items)} when answer 1 is above 0, {len(inst.items) - len(skipped)} when it is 0)"
                 if skipped else "")
        raise ClinicalInputError(f"{inst.id} takes {expected} answers{extra}, got {len(values)}")
    for i, a in enumerate(values, 1):
        lo, hi = inst.answer_range(i)
        if not lo <= a <= hi:
            raise ClinicalInputError(f"{inst.id}: answer {i} must be {lo} to {hi}, got {a}")
    return values


def score(instrument_id: str, answers: Sequence[int]) -> QuestionnaireResult:
    """Score one completed questionnaire.

    Parameters
    ----------
    instrument_id
        ``phq9``, ``gad7``, ``penn_spasm``, ``pain_nrs`` or ``pgic`` (:func:`instrument_ids`).
    answers
        One whole number per item, in order, each within the item's range (PGIC: 1-7; the Penn
        scale: the frequency 0-4, then the severity 1-3 only when the frequency is above 0).

    Returns
    -------
    QuestionnaireResult
        Total, severity band, emergency flag, advice and citations.

    Raises
    ------
    ClinicalInputError
        Unknown instrument, wrong number of answers, an answer out of range or not a whole number.

    Examples
    --------
    >>> r = score("gad7", [1] * 7)
    >>> (r.total, r.severity, r.emergency)
    (7, 'mild', False)
    >>> r = score("phq9", [0] * 8 + [1])
    >>> (r.total, r.severity, r.emergency, r.crisis_lines[0].number)
    (1, 'minimal', True, '988')
    >>> score("penn_spasm", [3, 2]).severity
    'moderate'
    """
    inst = _instrument(instrument_id)
    values = _check(inst, answers)
    total = sum(values[: inst.scored_items])
    # The Penn scale bands on its severity part, which is skipped (counted 0) when there are no spasms.
    band_item = inst.band_item
    banded = total if band_item is None else (values[band_item - 1] if band_item <= len(values) else 0)
    band = inst.band_for(banded)
    cites: list[Citation] = [*inst.citations, *band.citations]
    emergency = (inst.emergency_item is not None and inst.emergency_min_answer is not None
                 and values[inst.emergency_item - 1] >= inst.emergency_min_answer)
    advice = band.advice
    crisis: tuple[CrisisLine, ...] = ()
    if emergency:
        effect = next(e for e in load_monograph().adverse_effects if e.id == _SUICIDAL)
        advice = effect.advice
        crisis = load_language().crisis_lines
        if inst.emergency_source:
            cites.append(Citation(source=inst.emergency_source))
        cites.extend(effect.citations)
        cites.extend(c for line in crisis for c in line.citations)
    lo, hi = inst.total_range
    return QuestionnaireResult(
        instrument=inst.id, name=inst.name, answers=values, total=total, min_total=lo, max_total=hi,
        severity=band.key, band_word=band.word, band_min=band.min, band_max=band.max, emergency=emergency,
        advice=advice, band_advice=band.advice, mid=inst.mid, interval_days=inst.interval_days,
        loinc_total=inst.loinc_total, crisis_lines=crisis, citations=tuple(dict.fromkeys(cites)),
        notice=load_monograph().notice_text,
    )
