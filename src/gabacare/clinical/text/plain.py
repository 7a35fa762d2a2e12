"""What the text pipeline and the symptom triage read of the knowledge base, as plain values.

``language.toml``, ``lexicon.toml`` and the monograph are validated pydantic models; importing pydantic
and building their model classes costs a new process ~0.1 s, more than reading a symptom text does.
The values :func:`~gabacare.clinical.text.read_text` and :func:`~gabacare.clinical.triage.triage`
read of them are therefore taken from the validated models once per version of their data files and
code, kept as JSON in the cache directory (:func:`gabacare.knowledge.cache.derived`), and read back
into the frozen dataclasses below (:mod:`gabacare.knowledge.plain`): a process that finds them imports
no pydantic. Each class mirrors the model of the same name: its fields have the model's names and
hold the model's values (a citation as :class:`~gabacare.knowledge.plain.PlainCitation`), so the
pipeline reads ``plain_language().negation.pre`` where it read ``load_language().negation.pre``. They
are copies, never a second source, and ``tests/unit/clinical/test_text_plain.py`` holds every field
equal to the model's. A cached file of another shape (damage) is not used: the values are then taken
from the validated models, as without a cache.

Only what is read on every text is here, and the semantic net's two emergency models
(:func:`emergency_model`, :func:`emergency_words_model`: each kept under its own file). The compiled
lexicon and the vocabulary are built from the validated models (``lexicon.py``, ``vocabulary.py``: on
a cache miss only).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from gabacare._record import record
from gabacare.knowledge.plain import PlainCitation

__all__ = [
    "AdverseEffect",
    "Backstop",
    "BackstopConcept",
    "Clauses",
    "Combination",
    "CrisisLine",
    "DoseCounts",
    "Drug",
    "EmergencyModel",
    "Experiencer",
    "IdiomPairs",
    "Idioms",
    "Indication",
    "InteractionClass",
    "Language",
    "Lexicon",
    "MedicineContext",
    "Monograph",
    "Negation",
    "Normalise",
    "RedFlag",
    "Resolved",
    "Semantic",
    "Sign",
    "Spelling",
    "TextData",
    "Triage",
    "build_json",
    "emergency_model",
    "emergency_words_model",
    "plain_language",
    "plain_monograph",
    "text_data",
]

_NAME = "text-plain"


# --- language.toml and lexicon.toml (gabacare.knowledge.language) ---------------------------------
@record
class Normalise:
    words: dict[str, str]
    spellings: dict[str, str]
    unstemmed: tuple[str, ...]
    sound_alike: dict[str, str]
    symbols: dict[str, str]
    cased: dict[str, str]
    foreign: dict[str, str]
    abbreviations: tuple[str, ...]
    asleep: dict[str, str]
    measures: tuple[str, ...] = ()


@record
class Spelling:
    min_length: int
    two_edits_min_length: int


@record
class Clauses:
    pattern_window: int
    comma_bound: tuple[str, ...]
    fragment_words: int


@record
class Negation:
    window: int
    pre: tuple[str, ...]
    post: tuple[str, ...]
    pseudo: tuple[str, ...]
    reported_questions: tuple[str, ...]
    terminate: tuple[str, ...]
    answers: tuple[str, ...]
    answer_fillers: tuple[str, ...]
    whole_answers: tuple[str, ...]
    list_connectors: tuple[str, ...]
    list_item_words: int
    list_breakers: tuple[str, ...]
    list_triggers: tuple[str, ...]
    post_never_negates: tuple[str, ...]
    post_passed: tuple[str, ...]
    passed_never_negates: tuple[str, ...]
    until: tuple[str, ...]
    checklist_answers: tuple[str, ...]
    checklist_normal: tuple[str, ...]
    checklist_marks: tuple[str, ...]
    checklist_pair_words: int
    no_means: dict[str, str]
    no_means_qualifiers: tuple[str, ...]


@record
class Indication:
    before: tuple[str, ...]
    possessives: tuple[str, ...]
    after: tuple[str, ...]
    after_lead: tuple[str, ...]
    owners: tuple[str, ...]


@record
class Experiencer:
    other: tuple[str, ...]


@record
class Semantic:
    threshold: float
    min_words: int
    reassured_by: frozenset[str]
    routine_words: frozenset[str]


@record
class RedFlag:
    text: str
    action: str
    citations: tuple[PlainCitation, ...]


@record
class CrisisLine:
    region: str
    name: str
    number: str


@record
class Combination:
    id: str
    all_of: tuple[tuple[str, ...], ...]
    effect: str
    why: str
    citations: tuple[PlainCitation, ...]


@record
class MedicineContext:
    ambiguous: tuple[str, ...]
    use_words: tuple[str, ...]
    reach: int


@record
class IdiomPairs:
    first: tuple[str, ...]
    second: tuple[str, ...]


@record
class MovedDose:
    links: tuple[str, ...]
    times: tuple[str, ...]
    reach: int


@record
class Idioms:
    phrases: tuple[str, ...]
    pairs: tuple[IdiomPairs, ...]
    moved: MovedDose | None = None


@record
class Resolved:
    over: tuple[str, ...]
    normal: tuple[str, ...]
    functions: dict[str, tuple[str, ...]]
    reach: int


@record
class BackstopConcept:
    id: str
    effect: str
    means: str
    patterns: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...]
    citations: tuple[PlainCitation, ...]


@record
class Backstop:
    gap: int
    question_cues: tuple[str, ...]
    concepts: tuple[BackstopConcept, ...]


@record
class DoseCounts:
    sign: str
    taken: tuple[str, ...]
    meant: tuple[str, ...]
    numbers: dict[str, int]
    dose_units: dict[str, str]
    other_units: tuple[str, ...]
    reach: int
    window: int
    max_digits: int
    per_day: dict[str, int]
    day_words: tuple[str, ...]
    over_label_max_taken: tuple[str, ...]
    over_label_max_periods: tuple[str, ...]


@record
class Sign:
    """A lexicon sign's id, effect, the semantic net's descriptions and the sign's own citations (its
    phrases and patterns are read once, into the compiled lexicon: :mod:`gabacare.clinical.text.lexicon`).
    A triage result settled by the sign cites them beside its effect's (``triage._result``)."""

    id: str
    effect: str
    descriptions: tuple[str, ...]
    citations: tuple[PlainCitation, ...]


@record
class Lexicon:
    signs: tuple[Sign, ...]


@record
class Language:
    """The reading rules (``Language`` of :mod:`gabacare.knowledge.language`) the pipeline reads."""

    normalise: Normalise
    spelling: Spelling
    clauses: Clauses
    negation: Negation
    indication: Indication
    experiencer: Experiencer
    semantic: Semantic
    red_flags: tuple[RedFlag, ...]
    crisis_lines: tuple[CrisisLine, ...]
    combinations: tuple[Combination, ...]
    medicine_context: MedicineContext | None
    idioms: Idioms | None
    resolved: Resolved | None
    backstop: Backstop | None
    dose_counts: DoseCounts | None
    lexicon: Lexicon


# --- the monograph (gabacare.knowledge.monograph) -----------------------------------------------
@record
class Drug:
    name: str


@record
class AdverseEffect:
    id: str
    title: str
    urgency: str
    advice: str
    citations: tuple[PlainCitation, ...]


@record
class InteractionClass:
    id: str
    members: tuple[str, ...]
    sedating: bool


@record
class Triage:
    unrecognised_advice: str
    negated_advice: str
    possible_emergency_advice: str


@record
class Limits:
    max_daily_mg: int


@record
class Monograph:
    """The monograph's values the triage reads: the medicine's name, the interaction classes (for the
    combination rules' class refs), the adverse effects, the triage texts, the notice and the label's
    maximum daily dose (an amount taken above it is an overdose)."""

    drug: Drug
    interaction_classes: tuple[InteractionClass, ...]
    adverse_effects: tuple[AdverseEffect, ...]
    triage: Triage
    notice_text: str
    limits: Limits


@record
class TextData:
    """Everything the text pipeline and the triage read of the knowledge base on every text."""

    language: Language
    monograph: Monograph


# --- from the validated models ------------------------------------------------------------------
def build_json() -> dict[str, Any]:
    """The values :class:`TextData` holds, read from the validated language and monograph, as JSON
    types (what the cache keeps)."""
    from gabacare.knowledge.language import load_language
    from gabacare.knowledge.monograph import load_monograph
    from gabacare.knowledge.plain import mirror_json

    return {"language": mirror_json(load_language(), Language), "monograph": mirror_json(load_monograph(), Monograph)}


def _key_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The data files the values come from, the language's (which include the monograph's and
    ``sources.toml``), and the code that validates and copies them (with the code
    :func:`gabacare.knowledge.plain.cached_mirror` adds)."""
    from gabacare.knowledge import files

    data = ("language.toml", "lexicon.toml", *files.MONOGRAPH_FILES, "sources.toml")
    return data, (__file__, *(files.code_file(m) for m in ("language", "monograph", "files")))


@cache
def text_data() -> TextData:
    """:class:`TextData` for the current knowledge base: from the cache directory when it holds the
    values for these data files and this code, else read from the validated models (and kept for the
    next process). A cached file of another shape is not used (the validated models are read)."""
    from gabacare.knowledge.plain import cached_mirror

    return cached_mirror(TextData, _NAME, *_key_files(), build_json)


# --- the semantic net's emergency models (emergency_net.toml, emergency_words.toml) ----------------
@record
class EmergencyModel:
    """A fitted emergency model's numbers (``EmergencyModel`` of :mod:`gabacare.knowledge.language`):
    what the semantic net reads of it."""

    dimensions: int
    weights: tuple[float, ...]
    bias: float
    threshold: float
    lexical_size: int
    lexical_weights: tuple[float, ...]


def _fitted(name: str, load: str) -> EmergencyModel:
    """The fitted model of ``name``.toml as plain values (``load``: its loader in the language module),
    kept in the cache directory under its file, the monograph's (its sources) and the validating code."""
    from gabacare.knowledge import files
    from gabacare.knowledge.plain import cached_mirror, mirror_json

    def build() -> Any:
        from gabacare.knowledge import language

        return mirror_json(getattr(language, load)(), EmergencyModel)

    data = (f"{name}.toml", *files.MONOGRAPH_FILES, "sources.toml")
    code = (__file__, *(files.code_file(m) for m in ("language", "monograph", "files")))
    return cached_mirror(EmergencyModel, f"text-{name}", data, code, build)


@cache
def emergency_model() -> EmergencyModel:
    """The semantic net's emergency model (``emergency_net.toml``: the sentence vector alone)."""
    return _fitted("emergency_net", "load_emergency_model")


@cache
def emergency_words_model() -> EmergencyModel:
    """The second emergency model (``emergency_words.toml``: the vector and the text's hashed words)."""
    return _fitted("emergency_words", "load_emergency_words_model")


def plain_language() -> Language:
    """The reading rules the pipeline reads (:func:`text_data`'s ``language``).

    Examples
    --------
    >>> "not" in plain_language().negation.pre
    True
    """
    return text_data().language


def plain_monograph() -> Monograph:
    """The monograph's values the triage reads (:func:`text_data`'s ``monograph``).

    Examples
    --------
    >>> sorted({e.urgency for e in plain_monograph().adverse_effects})
    ['contact_prescriber', 'emergency', 'expected']
    """
    return text_data().monograph
