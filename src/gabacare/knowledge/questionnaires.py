"""Typed, validated view of ``questionnaires.toml``: validated instruments and the withdrawal watch.

An :class:`Instrument` holds its items (GabaCare's short labels), answer words, bands with the
instrument's own band words, recommended interval, minimal important difference (MID) where one is
published, LOINC codes, licence and citations. :class:`TaperWatch` holds the rules the withdrawal
watch applies after a taper step (``gabacare.clinical.taper_watch``); its window comes from the
monograph's ``[withdrawal]`` table, not from this file.

Loading checks every cross-reference: bands cover every possible score without gaps or overlaps,
each rule names a known proposal, symptom level, instrument and adverse effect, and every source id
resolves in ``sources.toml``. A broken file fails fast with
:class:`~gabacare.knowledge.KnowledgeBaseError`.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from gabacare.knowledge.monograph import (
    Citation,
    KnowledgeBaseError,
    _Cited,
    _Frozen,
    _read_toml,
    _walk_source_ids,
    load_monograph,
)

__all__ = [
    "PROPOSALS",
    "Band",
    "Instrument",
    "Item",
    "Questionnaires",
    "TaperWatch",
    "WatchRule",
    "build_questionnaires",
    "load_questionnaires",
    "questionnaire_cited_source_ids",
]

FILE = "questionnaires.toml"

#: The watch's proposals, from the least to the most severe.
PROPOSALS = ("continue", "hold", "slow", "step_back", "emergency")
Proposal = Literal["continue", "hold", "slow", "step_back", "emergency"]


class Item(_Frozen):
    """One question: its label and, when they differ from the instrument's, its own answer words."""

    label: str = Field(min_length=1)
    options: tuple[str, ...] = ()
    first_value: int | None = Field(default=None, ge=0, le=10)
    only_if_first_above_zero: bool = False
    source: str | None = None


class Band(_Cited):
    """A score range (inclusive) with the instrument's own word for it and GabaCare's advice."""

    min: int = Field(ge=0, le=100)
    max: int = Field(ge=0, le=100)
    word: str = Field(min_length=1)
    advice: str = Field(min_length=1)

    @property
    def key(self) -> str:
        """The band word as a contract value: lower case, spaces as ``_`` (``moderately_severe``)."""
        return "_".join(self.word.lower().split())


class Instrument(_Cited):
    """A validated questionnaire, scored by :func:`gabacare.clinical.questionnaires.score`."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    title: str
    measures: str
    recall: str
    first_value: int = Field(ge=0, le=10)
    options: tuple[str, ...] = Field(min_length=2)
    items: tuple[Item, ...] = Field(min_length=1)
    bands: tuple[Band, ...] = Field(min_length=1)
    total_items: int | None = Field(default=None, ge=1)
    band_item: int | None = Field(default=None, ge=1)
    licence: str
    licence_source: str
    loinc_panel: str | None = Field(default=None, pattern=r"^\d{1,7}-\d$")
    loinc_total: str | None = Field(default=None, pattern=r"^\d{1,7}-\d$")
    loinc_source: str | None = None
    loinc_note: str
    interval_days: int = Field(ge=1, le=365)
    interval_source: str
    interval_note: str
    mid: float | None = Field(default=None, gt=0)
    mid_source: str | None = None
    mid_note: str
    watch_worse_by: float | None = Field(default=None, gt=0)
    watch_worse_by_source: str | None = None
    watch_worse_by_note: str | None = None
    emergency_item: int | None = Field(default=None, ge=1)
    emergency_min_answer: int | None = Field(default=None, ge=1)
    emergency_source: str | None = None
    emergency_note: str | None = None
    not_scored_note: str | None = None
    total_note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        n = len(self.items)
        for where, number in (("total_items", self.total_items), ("band_item", self.band_item),
                              ("emergency_item", self.emergency_item)):
            if number is not None and number > n:
                raise ValueError(f"{self.id}: {where} {number} is past the last item ({n})")
        if (self.emergency_item is None) != (self.emergency_min_answer is None):
            raise ValueError(f"{self.id}: emergency_item and emergency_min_answer go together")
        if self.mid is not None and not self.mid_source:
            raise ValueError(f"{self.id}: a mid needs its mid_source")
        if (self.loinc_panel or self.loinc_total) and not self.loinc_source:
            raise ValueError(f"{self.id}: LOINC codes need a loinc_source")
        for i, item in enumerate(self.items, 1):
            if item.only_if_first_above_zero and i == 1:
                raise ValueError(f"{self.id}: the first item cannot depend on itself")
            if (item.first_value is not None or item.options) and not item.source:
                raise ValueError(f"{self.id}: item {i} has its own answers and needs its own source")
        lows = [b.min for b in self.bands]
        if any(b.min > b.max for b in self.bands) or lows != sorted(lows):
            raise ValueError(f"{self.id}: bands must rise and each must have min <= max")
        lo, hi = self.band_range
        expected = lo
        for b in self.bands:
            if b.min != expected:
                raise ValueError(f"{self.id}: bands leave a gap or overlap at {expected}")
            expected = b.max + 1
        if expected != hi + 1:
            raise ValueError(f"{self.id}: bands must end at {hi}, the highest possible value")
        return self

    def answer_range(self, number: int) -> tuple[int, int]:
        """The lowest and highest answer of item ``number`` (1-based)."""
        item = self.items[number - 1]
        first = self.first_value if item.first_value is None else item.first_value
        words = item.options or self.options
        return first, first + len(words) - 1

    def answer_words(self, number: int) -> tuple[str, ...]:
        """The answer words of item ``number`` (1-based), lowest value first."""
        item = self.items[number - 1]
        return item.options or self.options

    @property
    def scored_items(self) -> int:
        """How many leading items the total adds up."""
        return self.total_items or len(self.items)

    @property
    def total_range(self) -> tuple[int, int]:
        """The lowest and highest possible total."""
        ranges = [self.answer_range(i) for i in range(1, self.scored_items + 1)]
        return sum(r[0] for r in ranges), sum(r[1] for r in ranges)

    @property
    def band_range(self) -> tuple[int, int]:
        """The values the bands must cover: the total's range, or the band item's (0 when skipped)."""
        if self.band_item is None:
            return self.total_range
        lo, hi = self.answer_range(self.band_item)
        skippable = self.items[self.band_item - 1].only_if_first_above_zero
        return (0 if skippable else lo), hi

    def band_for(self, value: int) -> Band:
        """The band a value (the total, or the band item's answer) falls in."""
        for b in self.bands:
            if b.min <= value <= b.max:
                return b
        raise ValueError(f"{self.id}: no band holds {value}")  # unreachable: bands are checked at load

    @property
    def worse_by(self) -> float | None:
        """The rise the withdrawal watch counts as worse: the MID, else GabaCare's documented step."""
        return self.mid if self.mid is not None else self.watch_worse_by

    @property
    def worse_by_citations(self) -> tuple[Citation, ...]:
        source = self.mid_source if self.mid is not None else self.watch_worse_by_source
        return (Citation(source=source),) if source else ()

    @property
    def loinc_citations(self) -> tuple[Citation, ...]:
        return (Citation(source=self.loinc_source),) if self.loinc_source else ()


class WatchRule(_Cited):
    """One rule of the withdrawal watch; ``when`` says which kind of evidence it reads.

    * ``flag``: a logged ``seizure`` or ``emergency`` entry from the step to the window's end;
    * ``score_emergency``: a questionnaire whose own emergency rule fired (PHQ-9 item 9);
    * ``symptoms``: checklist symptoms at ``min_level`` or worse, on ``min_days`` distinct days, of
      ``min_symptoms`` distinct symptoms;
    * ``scale_worse``: ``min_scales`` questionnaires each ``mid_multiple`` × their MID above their
      baseline before the step;
    * ``scale_level``: a questionnaire's total at ``min_total`` or more (one with no baseline, PGIC).
    """

    id: str
    proposal: Proposal
    when: Literal["flag", "score_emergency", "symptoms", "scale_worse", "scale_level"]
    why: str
    flags: tuple[Literal["seizure", "emergency"], ...] = ()
    effect: str | None = None
    advice: str | None = None
    min_level: int | None = Field(default=None, ge=1, le=3)
    min_days: int | None = Field(default=None, ge=1, le=7)
    min_symptoms: int | None = Field(default=None, ge=1, le=20)
    mid_multiple: float | None = Field(default=None, gt=0, le=10)
    min_scales: int | None = Field(default=None, ge=1, le=10)
    instrument: str | None = None
    min_total: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _complete(self) -> WatchRule:
        needs = {
            "flag": ("flags",), "score_emergency": (),
            "symptoms": ("min_level", "min_days", "min_symptoms"),
            "scale_worse": ("mid_multiple", "min_scales"), "scale_level": ("instrument", "min_total"),
        }[self.when]
        missing = [n for n in needs if getattr(self, n) in (None, ())]
        if missing:
            raise ValueError(f"rule {self.id}: a '{self.when}' rule needs {', '.join(missing)}")
        if self.proposal == "emergency" and not (self.effect or self.advice):
            raise ValueError(f"rule {self.id}: an emergency rule needs an effect or its own advice")
        return self


class TaperWatch(_Frozen):
    """The withdrawal watch's settings and rules (``[taper_watch]``)."""

    levels: tuple[str, ...] = Field(min_length=2)
    levels_note: str
    levels_source: str
    baseline_days: int = Field(ge=1, le=90)
    baseline_source: str
    baseline_note: str
    slow_step_fraction: float = Field(gt=0, lt=1)
    slow_step_source: str
    slow_step_note: str
    step_back_message: str
    step_back_message_source: str
    slow_message: str
    slow_message_source: str
    hold_message: str
    hold_message_source: str
    continue_message: str
    continue_message_source: str
    watching_note: str
    watching_note_source: str
    titles: dict[str, str]
    titles_source: str
    rules: tuple[WatchRule, ...] = Field(min_length=1)

    @field_validator("titles")
    @classmethod
    def _a_title_per_proposal(cls, v: dict[str, str]) -> dict[str, str]:
        if set(v) != set(PROPOSALS):
            raise ValueError(f"titles must name exactly the proposals {', '.join(PROPOSALS)}")
        return v

    def level_value(self, word: str) -> int:
        """``"moderate"`` → 2; ``KeyError`` for an unknown word."""
        key = word.strip().lower()
        if key not in self.levels:
            raise KeyError(word)
        return self.levels.index(key)

    def message_citation(self, proposal: str) -> Citation:
        return Citation(source=getattr(self, f"{proposal}_message_source"))


class Questionnaires(_Frozen):
    """All of ``questionnaires.toml``, validated. Obtain it with :func:`load_questionnaires`."""

    instruments: tuple[Instrument, ...] = Field(min_length=1)
    taper_watch: TaperWatch

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.instruments)

    def instrument(self, instrument_id: str) -> Instrument:
        """Find an instrument by id (``phq9``; case, ``-``, ``_`` and spaces are forgiven); ``KeyError`` lists the ids."""
        key = _squash(instrument_id)
        for i in self.instruments:
            if key in (_squash(i.id), _squash(i.name)):
                return i
        raise KeyError(f"unknown questionnaire {instrument_id!r}; known: {', '.join(self.ids)}")


def _squash(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def questionnaire_cited_source_ids() -> set[str]:
    """Every source id ``questionnaires.toml`` cites (for the unused-source check)."""
    return {sid for _, sid in _walk_source_ids(_read_toml(FILE))}


def build_questionnaires(raw: dict[str, Any]) -> Questionnaires:
    """Validate a raw ``questionnaires.toml`` dictionary (exposed for tests of bad data)."""
    m = load_monograph()
    unknown = sorted({f"{where} -> {sid!r}" for where, sid in _walk_source_ids(raw) if sid not in m.sources})
    if unknown:
        raise KnowledgeBaseError(f"{FILE} cites unknown sources: " + "; ".join(unknown))
    try:
        q = Questionnaires(**raw)
    except ValidationError as exc:
        raise KnowledgeBaseError(f"{FILE}: {exc}") from exc
    problems: list[str] = []
    if len(set(q.ids)) != len(q.ids):
        problems.append("instrument ids repeat")
    effects = {e.id for e in m.adverse_effects}
    rule_ids = [r.id for r in q.taper_watch.rules]
    if len(set(rule_ids)) != len(rule_ids):
        problems.append("taper_watch rule ids repeat")
    for r in q.taper_watch.rules:
        if r.effect and r.effect not in effects:
            problems.append(f"rule {r.id}: unknown adverse effect {r.effect!r}")
        if r.instrument and r.instrument not in q.ids:
            problems.append(f"rule {r.id}: unknown instrument {r.instrument!r}")
        if r.min_level is not None and r.min_level >= len(q.taper_watch.levels):
            problems.append(f"rule {r.id}: min_level {r.min_level} is past the last level")
    if problems:
        raise KnowledgeBaseError(f"{FILE}: " + "; ".join(problems))
    return q


@cache
def load_questionnaires() -> Questionnaires:
    """Load and validate ``questionnaires.toml`` once; raise :class:`KnowledgeBaseError` if broken.

    >>> q = load_questionnaires()
    >>> q.ids
    ('phq9', 'gad7', 'penn_spasm', 'pain_nrs', 'pgic')
    >>> (q.instrument("PHQ-9").total_range, q.instrument("phq9").loinc_total)
    ((0, 27), '44261-6')
    """
    return build_questionnaires(_read_toml(FILE))
