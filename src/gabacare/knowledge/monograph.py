"""Typed, validated view of the knowledge base (``knowledge/data/*.toml``).

The monograph is loaded once (:func:`load_monograph`), validated completely, and then treated as
immutable. Every fact carries its citation, so the clinical engine can attach the source of each
number it uses to the result it returns.

Errors::

    KnowledgeBaseError          the data files are missing, malformed or inconsistent
                                (raised at load time: a broken file fails fast)
"""

# No ``from __future__ import annotations`` here or in language.py: pydantic would then compile and
# evaluate every field's annotation string when the classes are defined (~15 ms of each cold start).
import itertools
import math
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gabacare.knowledge.files import MONOGRAPH_FILES, KnowledgeBaseError, read_toml

__all__ = [
    "MONOGRAPH_FILES",
    "AdverseEffect",
    "Citation",
    "Form",
    "Indication",
    "InteractionClass",
    "KnowledgeBaseError",
    "Monograph",
    "RenalBand",
    "Source",
    "cited_source_ids",
    "load_monograph",
]

Urgency = Literal["emergency", "contact_prescriber", "expected"]
Severity = Literal["major", "moderate", "minor", "none"]
Action = Literal["avoid", "caution", "separate", "none"]
Risk = Literal["low", "moderate", "high"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Citation(_Frozen):
    """A pointer into ``sources.toml``: a source id and, optionally, a section of that source."""

    source: str
    section: str | None = None

    def render(self) -> str:
        """Short human form, e.g. ``label §2.3``."""
        return f"{self.source} §{self.section}" if self.section else self.source

    @classmethod
    def of(cls, plain: Any) -> "Citation":
        """This citation for its plain copy (:class:`gabacare.knowledge.plain.PlainCitation`, which the
        symptom triage's results hold): for a service that keeps the monograph's own citations."""
        return cls(source=plain.source, section=plain.section)


class Source(_Frozen):
    """One entry of ``sources.toml``."""

    id: str
    kind: Literal["label", "regulator", "guideline", "literature", "reference", "patient-article", "policy"]
    title: str
    publisher: str
    url: str
    version: str
    accessed: str


class _Cited(_Frozen):
    """A fact with one ``source`` or several ``sources`` and an optional ``section``."""

    source: str | None = None
    sources: tuple[str, ...] = ()
    section: str | None = None

    @model_validator(mode="after")
    def _has_source(self) -> "_Cited":
        if not self.source and not self.sources:
            raise ValueError("every fact needs a 'source' (or 'sources')")
        return self

    @property
    def citations(self) -> tuple[Citation, ...]:
        ids = ((self.source,) if self.source else ()) + self.sources
        return tuple(Citation(source=s, section=self.section if s == "label" or len(ids) == 1 else None) for s in ids)


class Drug(_Cited):
    name: str
    brands: tuple[str, ...]
    rxnorm_ingredient: str


class Notice(_Cited):
    text: str


class Form(_Cited):
    """A solid oral product: capsules are swallowed whole; scored tablets may be halved."""

    id: str
    form: Literal["capsule", "tablet"]
    strength_mg: int = Field(gt=0, le=1000)
    splittable: bool
    rxnorm: str


class OralSolution(_Cited):
    form: Literal["oral-solution"]
    concentration_mg_per_ml: float = Field(gt=0, le=500)
    label_strength: str
    measure_step_ml: float = Field(gt=0, le=1)
    storage: str
    rxnorm: str


class HalfTablets(_Cited):
    unused_half_discard_days: int = Field(gt=0, le=365)
    instruction: str


class OtherProducts(_Cited):
    not_interchangeable: tuple[str, ...]
    note: str


class Limits(_Frozen):
    max_daily_mg: int = Field(gt=0, le=10000)
    max_daily_source: str
    max_daily_section: str
    epilepsy_max_gap_h: float = Field(gt=0, le=24)
    epilepsy_max_gap_source: str
    epilepsy_max_gap_section: str
    dose_granule_mg: int = Field(gt=0, le=1000)
    dose_granule_note: str
    dose_granule_source: str

    @property
    def max_daily_citation(self) -> Citation:
        return Citation(source=self.max_daily_source, section=self.max_daily_section)

    @property
    def epilepsy_gap_citation(self) -> Citation:
        return Citation(source=self.epilepsy_max_gap_source, section=self.epilepsy_max_gap_section)


class JournalLimits(_Frozen):
    """What the journal accepts as a logged value (``[journal_limits]``): refused beyond a ``max_*``
    bound or before ``earliest_year``; a single dose above ``warn_dose_mg`` is logged with a warning."""

    max_dose_mg: float = Field(gt=0, le=10000)
    max_dose_source: str
    max_dose_section: str | None = None
    max_dose_note: str
    warn_dose_mg: float = Field(gt=0, le=10000)
    warn_dose_source: str
    warn_dose_section: str | None = None
    warn_dose_note: str
    max_lab_value: float = Field(gt=0, le=1e9)
    max_lab_source: str
    max_lab_note: str
    earliest_year: int = Field(ge=1900, le=2100)
    earliest_source: str
    earliest_note: str
    max_period_days: int = Field(gt=0, le=36600)
    max_period_source: str
    max_period_note: str

    @model_validator(mode="after")
    def _ordered(self) -> "JournalLimits":
        if self.warn_dose_mg > self.max_dose_mg:
            raise ValueError("journal_limits: warn_dose_mg must not exceed max_dose_mg")
        return self

    @property
    def max_dose_citation(self) -> Citation:
        return Citation(source=self.max_dose_source, section=self.max_dose_section)

    @property
    def warn_dose_citation(self) -> Citation:
        return Citation(source=self.warn_dose_source, section=self.warn_dose_section)


class Supply(_Frozen):
    """Plausibility of a pick-up of pills (``[supply]``): one pick-up covers at most ``max_supply_days``
    days (GabaCare policy, ``max_supply_note`` says why); with the label's maximum daily dose this
    bounds its count per strength (:meth:`max_count`)."""

    max_supply_days: int = Field(gt=0, le=400)
    max_supply_source: str
    max_supply_note: str
    max_count_rule: str

    @property
    def citation(self) -> Citation:
        return Citation(source=self.max_supply_source)

    def max_count(self, strength_mg: float, max_daily_mg: float) -> int:
        """The largest plausible count (pieces) of one pick-up of ``strength_mg`` mg units: enough for
        ``max_supply_days`` days at ``max_daily_mg`` mg/day, rounded up."""
        return math.ceil(self.max_supply_days * max_daily_mg / strength_mg)


class Schedule(_Cited):
    times_1: tuple[str, ...] = Field(min_length=1, max_length=1)
    times_2: tuple[str, ...] = Field(min_length=2, max_length=2)
    times_3: tuple[str, ...] = Field(min_length=3, max_length=3)
    bedtime_note: str

    @field_validator("times_1", "times_2", "times_3")
    @classmethod
    def _hhmm(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for t in v:
            h, _, m = t.partition(":")
            if not (h.isdigit() and m.isdigit() and 0 <= int(h) < 24 and 0 <= int(m) < 60 and len(m) == 2):
                raise ValueError(f"not a HH:MM time: {t!r}")
        if list(v) != sorted(v):
            raise ValueError("times must be in order through the day")
        return v

    def times(self, doses_per_day: int) -> tuple[str, ...]:
        """Clock times (HH:MM) for a day of ``doses_per_day`` doses (1-3)."""
        table = {1: self.times_1, 2: self.times_2, 3: self.times_3}
        if doses_per_day not in table:
            raise ValueError(f"no schedule for {doses_per_day} doses a day")
        return table[doses_per_day]


class WeightTarget(_Cited):
    """One age band's maintenance target (mg/kg/day); each row cites its own source."""

    min_age_years: int = Field(ge=0, le=18)
    max_age_years: int = Field(ge=0, le=18)
    target_mg_per_kg_day: float = Field(gt=0, le=100)
    target_mg_per_kg_day_max: float = Field(gt=0, le=100)


class Indication(_Cited):
    """An indication and its titration rule (``kind``: scheme, linear or weight-based)."""

    id: str
    title: str
    status: Literal["on-label", "off-label"]
    aliases: tuple[str, ...] = ()
    kind: Literal["scheme", "linear", "weight"]
    note: str
    # scheme / linear
    scheme_daily_mg: tuple[int, ...] = ()
    scheme_doses_per_day: tuple[int, ...] = ()
    start_mg: int | None = Field(default=None, gt=0, le=3600)
    increment_mg: int | None = Field(default=None, gt=0, le=1200)
    increment_every_days: int | None = Field(default=None, gt=0, le=60)
    # Where the step size and pace come from when the row's own source does not give them
    # (usually "gabacare-policy"), with a note saying which part is whose.
    increment_source: str | None = None
    increment_note: str | None = None
    default_target_mg: int | None = Field(default=None, gt=0, le=3600)
    usual_min_mg: int | None = Field(default=None, gt=0, le=3600)
    usual_max_mg: int | None = Field(default=None, gt=0, le=3600)
    tolerated_long_term_max_mg: int | None = Field(default=None, gt=0, le=3600)
    trial_max_mg: int | None = Field(default=None, gt=0, le=3600)
    trial_max_source: str | None = None  # the trial that used trial_max_mg, when not the row's source
    single_evening_dose: bool = False
    evening_time: str | None = None
    # weight-based (children)
    start_mg_per_kg_day: float | None = Field(default=None, gt=0, le=100)
    start_mg_per_kg_day_max: float | None = Field(default=None, gt=0, le=100)
    titration_days: int | None = Field(default=None, gt=0, le=30)
    doses_per_day: int | None = Field(default=None, ge=1, le=3)
    weight_targets: tuple[WeightTarget, ...] = ()
    default_form: str | None = None
    # common
    min_age_years: int | None = Field(default=None, ge=0, le=120)
    max_age_years: int | None = Field(default=None, ge=0, le=120)
    max_gap_rule: bool = False

    @model_validator(mode="after")
    def _rule_complete(self) -> "Indication":
        if self.kind == "scheme" and (
            not self.scheme_daily_mg or len(self.scheme_daily_mg) != len(self.scheme_doses_per_day)
        ):
            raise ValueError(f"{self.id}: scheme needs scheme_daily_mg and scheme_doses_per_day of equal length")
        if self.kind == "linear" and self.start_mg is None:
            raise ValueError(f"{self.id}: linear titration needs start_mg")
        if self.kind in ("scheme", "linear"):
            for name in ("increment_mg", "increment_every_days", "default_target_mg"):
                if getattr(self, name) is None:
                    raise ValueError(f"{self.id}: {self.kind} titration needs {name}")
        complete = self.start_mg_per_kg_day and self.titration_days and self.doses_per_day and self.weight_targets
        if self.kind == "weight" and not complete:
            raise ValueError(f"{self.id}: weight-based titration is incomplete")
        if bool(self.increment_source) != bool(self.increment_note):
            raise ValueError(f"{self.id}: increment_source and increment_note go together")
        return self

    @property
    def citations(self) -> tuple[Citation, ...]:
        """The row's own citations, then those of the titration step and the trial maximum if they differ."""
        own = list(super().citations)
        for extra in (self.increment_source, self.trial_max_source):
            if extra and all(c.source != extra for c in own):
                own.append(Citation(source=extra))
        return tuple(own)


class Evidence(_Cited):
    indication: str
    text: str


class PlausibleRanges(_Cited):
    age_min_years: int = Field(ge=0)
    age_max_years: int = Field(le=130)
    weight_min_kg: float = Field(gt=0)
    weight_max_kg: float = Field(le=700)
    scr_min_mg_dl: float = Field(gt=0)
    scr_max_mg_dl: float = Field(le=50)
    crcl_max_ml_min: float = Field(gt=0, le=500)
    child_weight_min_kg: float = Field(gt=0)
    child_weight_max_kg: float = Field(gt=0, le=300)


class RenalBand(_Cited):
    """One row of the label's renal dosing table (CrCl in mL/min, doses in mg)."""

    id: str
    label: str
    crcl_min: float = Field(ge=0, le=200)
    min_inclusive: bool
    min_daily_mg: int = Field(gt=0, le=10000)
    max_daily_mg: int = Field(gt=0, le=10000)
    doses_per_day: int = Field(ge=1, le=4)
    columns_mg: tuple[int, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "RenalBand":
        daily = [c * self.doses_per_day for c in self.columns_mg]
        if daily[0] != self.min_daily_mg or daily[-1] != self.max_daily_mg:
            raise ValueError(f"band {self.id}: columns × doses/day must span min_daily_mg..max_daily_mg")
        if list(self.columns_mg) != sorted(self.columns_mg):
            raise ValueError(f"band {self.id}: columns must rise")
        return self


class Hemodialysis(_Cited):
    supplement_columns_mg: tuple[int, ...] = Field(min_length=1)
    note: str


class Renal(_Cited):
    """Kidney function: Cockcroft-Gault constants, the label's renal bands and the dialysis supplement."""

    cg_age_constant: float = Field(gt=0)
    cg_divisor: float = Field(gt=0)
    female_factor: float = Field(gt=0, le=1)
    umol_per_l_per_mg_dl: float = Field(gt=0)
    umol_source: str | None = None
    umol_note: str | None = None
    applies_from_age_years: int = Field(ge=0)
    formula_source: str
    formula_section: str
    proportional_below_crcl: float = Field(gt=0)
    proportional_reference_crcl: float = Field(gt=0)
    proportional_source: str
    proportional_section: str
    hemodialysis_session_h: float = Field(gt=0, le=24)
    hemodialysis_source: str
    hemodialysis_section: str
    edge_rule: str
    edge_rule_source: str
    elderly_note: str
    elderly_source: str
    elderly_section: str
    uk_note: str
    creatinine_max_age_days: int = Field(gt=0, le=3650)
    creatinine_max_age_source: str
    creatinine_max_age_note: str
    plausible: PlausibleRanges
    bands: tuple[RenalBand, ...] = Field(min_length=1)
    hemodialysis: Hemodialysis

    @model_validator(mode="after")
    def _ordered(self) -> "Renal":
        lows = [b.crcl_min for b in self.bands]
        if lows != sorted(lows, reverse=True):
            raise ValueError("renal bands must run from the highest CrCl down")
        widths = {len(b.columns_mg) for b in self.bands} | {len(self.hemodialysis.supplement_columns_mg)}
        if len(widths) != 1:
            raise ValueError("every renal row and the dialysis supplement need the same number of columns")
        return self

    @property
    def formula_citation(self) -> Citation:
        return Citation(source=self.formula_source, section=self.formula_section)

    @property
    def edge_citation(self) -> Citation:
        return Citation(source=self.edge_rule_source)

    @property
    def proportional_citation(self) -> Citation:
        return Citation(source=self.proportional_source, section=self.proportional_section)


class TaperRisk(_Cited):
    """A withdrawal-risk level: the row's source gives the reduction; ``step_source`` the hold length."""

    level: Risk
    first_reduction_fraction: float = Field(gt=0, lt=1)
    step_days: int = Field(ge=1, le=90)
    step_source: str | None = None
    step_note: str | None = None

    @property
    def citations(self) -> tuple[Citation, ...]:
        """The reduction's citation first, then where the step length comes from if that differs."""
        own = super().citations
        if self.step_source and all(c.source != self.step_source for c in own):
            return (*own, Citation(source=self.step_source))
        return own


class Taper(_Frozen):
    min_duration_days: int = Field(ge=1, le=90)
    min_duration_source: str
    min_duration_section: str
    linear_step_mg: int = Field(gt=0, le=1200)
    linear_step_days: int = Field(ge=1, le=90)
    linear_source: str
    linear_note: str
    hold_if_withdrawal: str
    hold_source: str
    abrupt_stop_warning: str
    abrupt_stop_source: str
    max_step_fraction: float = Field(gt=0, lt=1)
    max_step_source: str
    max_step_note: str
    stop_from_max_mg: int = Field(gt=0, le=1200)
    stop_from_source: str
    stop_from_note: str
    max_single_dose_mg: int = Field(gt=0, le=3600)
    max_single_dose_source: str
    max_single_dose_section: str
    max_single_dose_note: str
    risk: tuple[TaperRisk, ...]

    @property
    def min_duration_citation(self) -> Citation:
        return Citation(source=self.min_duration_source, section=self.min_duration_section)

    @property
    def bound_citations(self) -> tuple[Citation, ...]:
        """Where the step bounds come from (max step fraction, stop-from level, largest single dose)."""
        return (Citation(source=self.max_step_source), Citation(source=self.stop_from_source),
                Citation(source=self.max_single_dose_source, section=self.max_single_dose_section))

    def for_risk(self, level: str) -> TaperRisk:
        for r in self.risk:
            if r.level == level:
                return r
        raise KeyError(level)


class Withdrawal(_Cited):
    onset_min_h: float = Field(ge=0)
    onset_max_h: float = Field(gt=0)
    symptoms: tuple[str, ...]
    epilepsy_risk: str
    literature_source: str
    patient_source: str


class MissedDose(_Cited):
    rule: str
    near_fraction_of_interval: float = Field(gt=0, lt=1)
    near_note: str
    near_source: str
    min_gap_h: float = Field(gt=0, le=12)
    min_gap_source: str
    min_gap_note: str
    epilepsy_note: str
    epilepsy_source: str
    epilepsy_section: str


class Food(_Cited):
    text: str
    absorption_increase_fraction: float = Field(ge=0, le=1)
    patient_source: str


class InteractionClass(_Cited):
    """A class of medicines (or alcohol) and what happens with gabapentin."""

    id: str
    title: str
    severity: Severity
    action: Action
    effect: str
    advice: str
    members: tuple[str, ...] = Field(min_length=1)
    separate_h: float | None = Field(default=None, gt=0, le=24)
    older_adult_age_years: int | None = None
    older_adult_cns_drug_count: int | None = None
    # Adds to drowsiness and slowed breathing (CNS depressant): counted by the Beers rule and by
    # the combination rules ("class:*sedating").
    sedating: bool = False
    # Counted by the Beers criteria's "three or more CNS-active drugs" rule (antiepileptics,
    # antipsychotics, benzodiazepines, Z-drugs, opioids, antidepressants, muscle relaxants).
    beers_cns_active: bool = False


class Names(_Cited):
    map: dict[str, tuple[str, ...]]
    # The source of the outside list of names read for a name ``map`` does not know
    # (:mod:`gabacare.knowledge.outside_names`): every reading from it cites this id.
    outside_source: str | None = None
    # Names read only as typed (drinks and cannabis of many countries): never a spelling or sound guess,
    # and never the near name that makes a misspelt medicine ambiguous ("zanex" stays Xanax, "fever" is
    # not the beer Jever). A name here may not also be in ``map``.
    exact: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _exact_apart(self) -> "Names":
        both = sorted(set(self.exact) & set(self.map))
        if both:
            raise ValueError(f"names both in [names.map] and [names.exact]: {both[:10]}")
        return self
    # Names written in another script (katakana, Cyrillic, Hangul, Han) -> the Latin name read in their
    # place, a key of ``map`` or an ingredient ("リリカカプセル75mg" is "lyrica" 75 mg); a test checks each
    # one reads as a medicine.
    written: dict[str, str] = Field(default_factory=dict)
    # Letters of other alphabets (Cyrillic, Greek) -> Latin letters, longest sequence first, for a name
    # the ``written`` table does not hold: "Ривотрил" reads "rivotril", "Фенобарбитал" "fenobarbital"
    # (then matched like any typed name, fuzzily when it is not exact, with "did you mean").
    letters: dict[str, str] = Field(default_factory=dict)
    # Hangul syllables are romanised from their parts (Unicode's syllable arithmetic): the initial,
    # medial and final jamo's Latin letters, in Unicode order (19, 21 and 28 of them).
    hangul_initials: tuple[str, ...] = ()
    hangul_medials: tuple[str, ...] = ()
    hangul_finals: tuple[str, ...] = ()

    @field_validator("letters")
    @classmethod
    def _letters_as_latin(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k, v in value.items() if k.isascii() or not re.fullmatch(r"[a-z]*", v))
        if bad:
            raise ValueError(f"names.letters: each key is a letter of another alphabet, each value Latin letters, not {bad}")
        return value

    @model_validator(mode="after")
    def _hangul_tables_complete(self) -> "Names":
        sizes = (len(self.hangul_initials), len(self.hangul_medials), len(self.hangul_finals))
        if sizes not in ((0, 0, 0), (19, 21, 28)):
            raise ValueError(f"names.hangul_*: 19 initials, 21 medials and 28 finals, not {sizes}")
        return self

    @field_validator("written")
    @classmethod
    def _written_as_latin_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(v for v in value.values() if not re.fullmatch(r"[a-z]+(?: [a-z]+)*", v))
        if bad:
            raise ValueError(f"names.written: each value is a name in lower-case Latin letters, not {bad}")
        return value


class CombinationWarning(_Cited):
    """A warning for two classes on one medicine list; ``"*sedating"`` means any other sedating class."""

    id: str
    classes: tuple[str, ...] = Field(min_length=2)
    text: str


class NameWords(_Cited):
    """Words that decorate a medicine's name without changing the ingredient, and the fuzzy-match policy."""

    salts: tuple[str, ...] = ()
    release: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    # Words that name a product's edition ("forte", "extra"): part of a name where a key holds them
    # ("panadeine forte"), never a name on their own ("Decolgen Forte" is no misspelt Forteo).
    editions: tuple[str, ...] = ()
    # Where or how a drink or cannabis is had ("at the pub", "happy hour", "half an eighth") -> the one
    # ingredient it stands for: a name entry in which nothing else is read, told with one of these, is read
    # as that ingredient and shown as a guess ("Zorblax at the pub": alcohol). Escalation only: it adds a
    # warning, never takes one away.
    contexts: dict[str, str] = Field(default_factory=dict)
    fuzzy_min_length: int = Field(default=5, ge=3, le=12)
    # The shortest name read with a salt or form written onto it ("tramadolhcl"): shorter stems are too
    # often the start of other words.
    joined_min_length: int = Field(default=4, ge=3, le=12)
    fuzzy_max_edits_short: int = Field(default=1, ge=0, le=3)
    fuzzy_long_length: int = Field(default=8, ge=4, le=20)
    fuzzy_max_edits_long: int = Field(default=2, ge=0, le=4)

    @field_validator("contexts")
    @classmethod
    def _context_phrases(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k, v in value.items() if not k.strip() or k != k.lower() or not v.strip()]
        if bad:
            raise ValueError(f"name_words.contexts: lower-case phrases, each with an ingredient, not {bad}")
        return value

    @field_validator("editions")
    @classmethod
    def _edition_words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [w for w in value if not w.isalpha() or w != w.lower()]
        if bad:
            raise ValueError(f"name_words.editions: each one lower-case word, not {bad}")
        return value


class AdverseEffect(_Cited):
    """A symptom group with its urgency and the phrases people use for it."""

    id: str
    title: str
    urgency: Urgency
    advice: str
    phrases: tuple[str, ...] = Field(min_length=1)


class Triage(_Frozen):
    unrecognised_advice: str  # "{text}" is what could not be read
    negated_advice: str  # "{items}" lists what the person said they do not have
    possible_emergency_advice: str  # "{title}" and "{advice}" of the emergency the semantic net suggests
    driving: str
    driving_source: str
    driving_section: str
    misuse: str
    misuse_source: str
    misuse_section: str


_CURVE_POINT = re.compile(r"\s*(\d+(?:\.\d+)?) h: (\d+(?:\.\d+)?) mg/L\s*")


def _curve_point(text: str) -> tuple[float, float]:
    """``"24 h: 3.651 mg/L"`` → ``(24.0, 3.651)``."""
    m = _CURVE_POINT.fullmatch(text)
    if m is None:
        raise ValueError(f"a curve point reads like '24 h: 3.651 mg/L', got {text!r}")
    return float(m.group(1)), float(m.group(2))


class BioavailabilityPoint(_Cited):
    """One row of the label's bioavailability table (daily dose in three divided doses), with its source."""

    daily_mg: int = Field(gt=0, le=10000)
    fraction: float = Field(gt=0, le=1)


class PKRenalGroup(_Cited):
    """A kidney-function group of a single-dose study: the published figures and the group's mean curve.

    ``source``/``section`` cite the figures (CrCl range and mean, half-life, CL/F), ``study_source``
    the study they come from and ``curve_source`` the digitised mean concentrations, written as text
    points ``"24 h: 3.651 mg/L"`` (observations to check against, not numbers a rule uses). Absent
    figures were not published (or could not be verified).
    """

    name: str
    crcl_min_ml_min: float = Field(default=0.0, ge=0)
    crcl_max_ml_min: float | None = Field(default=None, gt=0)
    crcl_mean_ml_min: float | None = Field(default=None, gt=0)
    half_life_h: float | None = Field(default=None, gt=0)
    apparent_clearance_ml_min: float | None = Field(default=None, gt=0)
    note: str = ""
    study_source: str
    curve: tuple[str, ...] = ()
    curve_source: str | None = None
    curve_note: str = ""

    @field_validator("curve")
    @classmethod
    def _points(cls, points: tuple[str, ...]) -> tuple[str, ...]:
        for point in points:
            _curve_point(point)
        return points

    @model_validator(mode="after")
    def _consistent(self) -> "PKRenalGroup":
        top = float("inf") if self.crcl_max_ml_min is None else self.crcl_max_ml_min
        if not self.crcl_min_ml_min < top:
            raise ValueError(f"renal group {self.name!r}: crcl_min_ml_min must be below crcl_max_ml_min")
        if self.crcl_mean_ml_min is not None and not self.crcl_min_ml_min <= self.crcl_mean_ml_min <= top:
            raise ValueError(f"renal group {self.name!r}: the mean CrCl must lie inside the group's range")
        if self.curve and self.curve_source is None:
            raise ValueError(f"renal group {self.name!r}: a curve needs a curve_source")
        t, c = self.curve_t_h, self.curve_c_mg_per_l
        if any(b <= a for a, b in itertools.pairwise(t)) or any(x <= 0 for x in (*t, *c)):
            raise ValueError(f"renal group {self.name!r}: curve times must rise and concentrations be positive")
        return self

    @property
    def curve_t_h(self) -> tuple[float, ...]:
        """The curve's times in hours after the dose."""
        return tuple(_curve_point(p)[0] for p in self.curve)

    @property
    def curve_c_mg_per_l(self) -> tuple[float, ...]:
        """The curve's mean plasma concentrations in mg/L."""
        return tuple(_curve_point(p)[1] for p in self.curve)

    def contains(self, crcl_ml_min: float) -> bool:
        """Whether a CrCl lies in the group's range (lower edge included, upper edge excluded)."""
        top = float("inf") if self.crcl_max_ml_min is None else self.crcl_max_ml_min
        return self.crcl_min_ml_min <= crcl_ml_min < top

    @property
    def curve_citation(self) -> Citation | None:
        return Citation(source=self.curve_source) if self.curve_source else None


class PK(_Cited):
    """Label pharmacokinetics (section 12.3): volume in L, half-lives in h, clearance in mL/min."""

    volume_l: float = Field(gt=0, le=500)
    volume_sd_l: float = Field(ge=0)
    half_life_normal_h: float = Field(gt=0)
    half_life_normal_crcl_min: float = Field(gt=0)
    half_life_severe_h: float = Field(gt=0)
    half_life_severe_crcl_max: float = Field(gt=0)
    half_life_anuric_h: float = Field(gt=0)
    half_life_hemodialysis_h: float = Field(gt=0)
    tmax_min_h: float = Field(gt=0)
    tmax_max_h: float = Field(gt=0)
    protein_binding_max_fraction: float = Field(ge=0, le=1)
    apparent_clearance_young_ml_min: float = Field(gt=0)
    apparent_clearance_old_ml_min: float = Field(gt=0)
    bioavailability: tuple[BioavailabilityPoint, ...] = Field(min_length=2)
    bioavailability_doses_per_day: int = Field(ge=1, le=4)
    # the label's single-dose renal-impairment study (Blum et al. 1994) and its kidney-function groups
    renal_study_dose_mg: float = Field(gt=0)
    renal_study_dose_source: str
    renal_study_dose_section: str | None = None
    renal_groups: tuple[PKRenalGroup, ...] = ()
    # modelling choices (gabacare-policy), used by gabacare.pk.parameters
    reference_crcl_ml_min: float = Field(gt=0, le=200)
    model_source: str
    model_note: str
    iiv_cv_clearance: float = Field(ge=0, le=2)
    iiv_cv_ka: float = Field(ge=0, le=2)
    iiv_source: str
    iiv_note: str
    # simulator limits and defaults (gabacare-policy)
    max_days: int = Field(gt=0, le=36500)
    default_days: int = Field(gt=0)
    default_step_min: float = Field(gt=0, le=1440)
    max_output_points: int = Field(gt=0)
    population_default_n: int = Field(gt=0)
    population_max_n: int = Field(gt=0)
    population_chunk_patients: int = Field(gt=0)
    population_memory_budget_mb: int = Field(gt=0)
    population_crcl_floor_ml_min: float = Field(gt=0)
    # streaming population summaries (gabacare.pk.population): exact below a size, else histograms
    population_exact_max_values: int = Field(ge=0)
    population_histogram_floor_mg_per_l: float = Field(gt=0)
    population_histogram_ceiling_mg_per_l: float = Field(gt=0)
    population_histogram_bins_per_octave: int = Field(ge=1, le=65536)  # a power of two
    population_summary_max_mb: int = Field(gt=0)
    population_task_patients: int = Field(gt=0, lt=2**31)  # one task's counts are 32-bit
    population_summary_source: str
    population_summary_note: str
    summary_step_min: float = Field(gt=0, le=60)
    simulation_source: str
    simulation_note: str

    @model_validator(mode="after")
    def _falling(self) -> "PK":
        doses = [p.daily_mg for p in self.bioavailability]
        fractions = [p.fraction for p in self.bioavailability]
        if doses != sorted(doses) or fractions != sorted(fractions, reverse=True):
            raise ValueError("bioavailability must fall as the daily dose rises")
        absorbed = [p.daily_mg * p.fraction for p in self.bioavailability]
        if absorbed != sorted(absorbed):
            raise ValueError("the absorbed amount (daily dose x bioavailability) must not fall as the dose rises")
        if self.half_life_anuric_h <= self.half_life_severe_h or self.half_life_hemodialysis_h >= self.half_life_normal_h:
            raise ValueError("half-lives must order hemodialysis < normal < severe < anuric")
        if not self.tmax_min_h <= self.tmax_max_h:
            raise ValueError("tmax_min_h must not exceed tmax_max_h")
        if self.default_days > self.max_days:
            raise ValueError("default_days must not exceed max_days")
        if not self.population_histogram_floor_mg_per_l < self.population_histogram_ceiling_mg_per_l:
            raise ValueError("population_histogram_floor_mg_per_l must be below its ceiling")
        if self.population_histogram_bins_per_octave & (self.population_histogram_bins_per_octave - 1):
            raise ValueError("population_histogram_bins_per_octave must be a power of two")
        means = [g.crcl_mean_ml_min for g in self.renal_groups if g.crcl_mean_ml_min is not None]
        if means != sorted(means, reverse=True):
            raise ValueError("renal_groups must be listed from the best kidney function to the worst")
        return self

    @property
    def model_citation(self) -> Citation:
        return Citation(source=self.model_source)

    @property
    def iiv_citation(self) -> Citation:
        return Citation(source=self.iiv_source)

    @property
    def simulation_citation(self) -> Citation:
        return Citation(source=self.simulation_source)

    @property
    def population_summary_citation(self) -> Citation:
        return Citation(source=self.population_summary_source)

    @property
    def renal_study_citation(self) -> Citation:
        return Citation(source=self.renal_study_dose_source, section=self.renal_study_dose_section)


class PKReferenceRange(_Cited):
    """A population reference range for a measured level (mg/L) and the sample it applies to."""

    low_mg_per_l: float = Field(gt=0)
    high_mg_per_l: float = Field(gt=0)
    sample: Literal["trough"]
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "PKReferenceRange":
        if not self.low_mg_per_l < self.high_mg_per_l:
            raise ValueError("a reference range needs low_mg_per_l < high_mg_per_l")
        return self


class PKEstimationSettings(_Cited):
    """The estimator's settings (``[pk_population.settings]``, GabaCare choices)."""

    interval_probability: float = Field(gt=0, lt=1)
    prediction_samples: int = Field(ge=10, le=1_000_000)
    prediction_seed: int = Field(ge=0)
    optimizer_starts_sd: tuple[float, ...] = Field(min_length=1, max_length=10)
    optimizer_max_iterations: int = Field(ge=1, le=10_000)
    note: str = ""


class PKPopulation(_Frozen):
    """Population model for one patient's measured levels (``[pk_population]``, issue 17).

    The typical values are the ``[pk]`` model's; this table adds the between-subject variability of
    clearance (a CV: log-normal, omega^2 = ln(1 + CV^2)), the residual error of a level (a CV on the log
    scale), the molar mass for umol/L levels, the trough reference range and the estimator's settings.
    Each number names its source through its ``*_source`` key.
    """

    structure_note: str
    structure_source: str
    omega_cv_clearance: float = Field(gt=0, le=2)
    omega_cv_clearance_source: str
    omega_cv_clearance_note: str = ""
    omega_other_source: str
    omega_other_note: str = ""
    residual_cv: float = Field(gt=0, le=2)
    residual_cv_source: str
    residual_cv_note: str = ""
    molar_mass_g_per_mol: float = Field(gt=0)
    molar_mass_source: str
    reference_range: PKReferenceRange
    settings: PKEstimationSettings

    @property
    def structure_citation(self) -> Citation:
        return Citation(source=self.structure_source)

    @property
    def clearance_variability_citation(self) -> Citation:
        return Citation(source=self.omega_cv_clearance_source)

    @property
    def other_variability_citation(self) -> Citation:
        return Citation(source=self.omega_other_source)

    @property
    def residual_citation(self) -> Citation:
        return Citation(source=self.residual_cv_source)

    @property
    def molar_mass_citation(self) -> Citation:
        return Citation(source=self.molar_mass_source)


class CdsLimits(_Cited):
    """What one CDS Hooks request may ask of GabaCare (``[cds_limits]``): beyond a bound the request
    is refused with 400 before any work is done (:mod:`gabacare.interop.cds_request`)."""

    max_doses_per_day: int = Field(ge=1, le=24)
    max_doses_per_day_note: str
    max_daily_mg: float = Field(gt=0, le=1e6)
    max_daily_note: str
    max_draft_orders: int = Field(ge=1, le=10000)
    max_draft_orders_note: str
    max_gabapentin_orders: int = Field(ge=1, le=1000)
    max_gabapentin_orders_note: str
    max_dosage_instructions: int = Field(ge=1, le=1000)
    max_dosage_instructions_note: str
    max_bundle_entries: int = Field(ge=1, le=100000)
    max_bundle_entries_note: str
    max_codings: int = Field(ge=1, le=1000)
    max_codings_note: str
    max_name_texts: int = Field(ge=1, le=100000)
    max_name_texts_note: str
    max_text_chars: int = Field(ge=1, le=100000)
    max_text_chars_note: str
    max_feedback_items: int = Field(ge=1, le=100000)
    max_feedback_items_note: str
    max_comment_chars: int = Field(ge=1, le=100000)
    max_comment_chars_note: str


class Monograph(_Frozen):
    """The whole knowledge base, validated. Obtain it with :func:`load_monograph`."""

    sources: dict[str, Source]
    drug: Drug
    notice: Notice
    forms: tuple[Form, ...] = Field(min_length=1)
    oral_solution: OralSolution
    half_tablets: HalfTablets
    other_products: OtherProducts
    limits: Limits
    journal_limits: JournalLimits
    supply: Supply
    schedule: Schedule
    indications: tuple[Indication, ...] = Field(min_length=1)
    evidence: tuple[Evidence, ...] = ()
    renal: Renal
    taper: Taper
    withdrawal: Withdrawal
    missed_dose: MissedDose
    food: Food
    interaction_classes: tuple[InteractionClass, ...]
    names: Names
    combination_warnings: tuple[CombinationWarning, ...] = ()
    # Constructed, not validated: validating here would build the validators of every class at import.
    name_words: NameWords = NameWords.model_construct(source="gabacare-policy")
    adverse_effects: tuple[AdverseEffect, ...]
    triage: Triage
    pk: PK
    pk_population: PKPopulation | None = None
    cds_limits: CdsLimits | None = None

    def source(self, citation: Citation) -> Source:
        """The full source entry a citation points at."""
        return self.sources[citation.source]

    def indication(self, name: str) -> Indication:
        """Find an indication by id or alias (case-insensitive); ``KeyError`` lists the known ids."""
        key = name.strip().lower().replace(" ", "-").replace("_", "-")
        for ind in self.indications:
            if key == ind.id or key in ind.aliases:
                return ind
        raise KeyError(f"unknown indication {name!r}; known: {', '.join(i.id for i in self.indications)}")

    @property
    def notice_text(self) -> str:
        return self.notice.text


def _walk_source_ids(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield (path, source id) for every ``source``, ``*_source`` and ``sources`` key in raw data."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if (key == "source" or str(key).endswith("_source")) and isinstance(value, str):
                yield here, value
            elif key == "sources" and isinstance(value, list):
                for v in value:
                    yield here, str(v)
            else:
                yield from _walk_source_ids(value, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk_source_ids(item, f"{path}[{i}]")




def _read_toml(name: str) -> dict[str, Any]:
    """One data file, parsed. The parse is cached as JSON keyed by the file's bytes (tomllib is pure
    Python: the lexicon and the medicine names would cost every new process ~0.1 s)."""
    from gabacare.knowledge.cache import derived

    try:
        value = derived(f"toml-{name.replace('/', '-')}", (name,), (), lambda: read_toml(name))
    except FileNotFoundError as exc:
        raise KnowledgeBaseError(f"knowledge base file missing: {name}") from exc
    if not isinstance(value, dict):
        raise KnowledgeBaseError(f"{name}: not a TOML table")
    return value


def read_raw_monograph() -> dict[str, Any]:
    """The monograph's files merged into one raw dictionary (a key defined twice is an error)."""
    merged: dict[str, Any] = {}
    for name in MONOGRAPH_FILES:
        part = _read_toml(name)
        twice = sorted(set(part) & set(merged))
        if twice:
            raise KnowledgeBaseError(f"{name}: defines {', '.join(twice)} again")
        merged.update(part)
    return merged


def cited_source_ids() -> set[str]:
    """Every source id the knowledge-base data files cite (used to check none is left unused)."""
    from gabacare.knowledge.guide_data import guide_cited_source_ids  # the guide's files: alternatives, topics
    from gabacare.knowledge.language import language_cited_source_ids  # the text pipeline's lexicons
    from gabacare.knowledge.questionnaires import questionnaire_cited_source_ids  # instruments, taper watch

    monograph = {sid for _, sid in _walk_source_ids(read_raw_monograph())}
    return monograph | guide_cited_source_ids() | language_cited_source_ids() | questionnaire_cited_source_ids()


def build_monograph(raw: dict[str, Any], raw_sources: dict[str, Any]) -> Monograph:
    """Validate raw TOML dictionaries into a :class:`Monograph` (exposed for tests of bad data)."""
    try:
        sources = {sid: Source(id=sid, **entry) for sid, entry in raw_sources.items()}
    except (TypeError, ValidationError) as exc:
        raise KnowledgeBaseError(f"sources.toml: {exc}") from exc
    unknown = sorted({f"{where} -> {sid!r}" for where, sid in _walk_source_ids(raw) if sid not in sources})
    if unknown:
        raise KnowledgeBaseError("the monograph (gabapentin.toml, medicines.toml) cites unknown sources: " + "; ".join(unknown))
    try:
        return Monograph(sources=sources, **raw)
    except ValidationError as exc:
        raise KnowledgeBaseError(f"gabapentin.toml/medicines.toml: {exc}") from exc


@cache
def load_monograph() -> Monograph:
    """Load and validate the bundled knowledge base once; raise :class:`KnowledgeBaseError` if broken.

    Validated once per version of the data files and this module: later processes rebuild the
    validated objects from the cache (:func:`gabacare.knowledge.cache.validated_model`).

    >>> m = load_monograph()
    >>> (m.limits.max_daily_mg, m.limits.max_daily_citation.render())
    (3600, 'label §2.1, 2.2')
    """
    from gabacare.knowledge.cache import validated_model

    def build() -> Monograph:
        return build_monograph(read_raw_monograph(), _read_toml("sources.toml"))

    return validated_model("monograph", Monograph, (*MONOGRAPH_FILES, "sources.toml"), (__file__,), build)


@cache
def knowledge_version() -> str:
    """The version of the knowledge base plans are made from: ``"kb-"`` and 12 hex digits of the
    SHA-256 of the monograph (gabapentin.toml, medicines.toml) and sources.toml, as parsed.

    The data files carry no version number of their own (each source row has its own ``version``),
    so a content hash stands in for one: any changed number, citation or word gives a new version,
    and the same data always the same one (key order and TOML formatting do not count). Computed
    once per process. A stored plan keeps the version that made it (journal/plan_record.py).
    """
    import hashlib
    import json

    content = {"monograph": read_raw_monograph(), "sources": _read_toml("sources.toml")}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "kb-" + hashlib.sha256(text.encode()).hexdigest()[:12]
