"""Typed, validated view of the text pipeline's data: ``language.toml`` and ``lexicon.toml``.

``language.toml`` holds the reading rules (normalisation, spelling, negation triggers, combination
rules, red flags, crisis lines, the semantic net's settings); ``lexicon.toml`` the lay-language
lexicon: for each *sign* (a thing a person can notice) the phrases and word patterns people use,
the adverse effect it points to (urgency and advice live in ``gabapentin.toml``) and its citation.

Loading checks every cross-reference: a sign's effect exists, a combination names known signs,
medicine classes and effects, every source id resolves. A broken file fails fast with
:class:`~gabacare.knowledge.KnowledgeBaseError`.
"""

import re
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator

from gabacare.knowledge.monograph import (
    KnowledgeBaseError,
    _Cited,
    _Frozen,
    _read_toml,
    _walk_source_ids,
    load_monograph,
)
from gabacare.knowledge.words import (
    SEDATING_CLASS,
    LanguageFiles,
    english_rank,
    english_words,
    is_english_word,
    language_files,
)

__all__ = [
    "Backstop",
    "BackstopConcept",
    "ClassWords",
    "Combination",
    "CrisisLine",
    "DoseCounts",
    "EmergencyModel",
    "Idioms",
    "Language",
    "LanguageFiles",
    "Lexicon",
    "MedicineContext",
    "RedFlag",
    "Resolved",
    "Sign",
    "TopicModel",
    "Variants",
    "english_rank",
    "english_words",
    "is_english_word",
    "language_cited_source_ids",
    "language_files",
    "load_emergency_model",
    "load_emergency_words_model",
    "load_language",
    "load_topic_model",
]

#: A replacement's value: lower-case words, one space apart.
_LOWER_WORDS = re.compile(r"[a-z]+(?: [a-z]+)*")


class Normalise(_Cited):
    words: dict[str, str]
    spellings: dict[str, str]
    unstemmed: tuple[str, ...] = ()
    # Slips by sound that the edit-distance corrector cannot reach or sends elsewhere ("tung").
    sound_alike: dict[str, str] = Field(default_factory=dict)
    # Symbols that stand for a word ("rash + temp"): read as that word.
    symbols: dict[str, str] = Field(default_factory=dict)
    # Words of other languages the lexicon uses ("fiebre", "bukhar"): words of their own, never read as
    # slips of a near English word ("fiebre" is not "fire"), so they are kept as typed on both sides.
    own_words: tuple[str, ...] = ()
    # Whole words whose capitals carry their meaning, replaced as typed before lower-casing ("ODd" is
    # overdosed; "odd" is odd).
    cased: dict[str, str] = Field(default_factory=dict)
    # Words of other languages read as their English meaning ("labios" -> lips), like ``words``; a key is
    # never an English word unless listed in ``foreign_also_english`` (tests check the word list).
    foreign: dict[str, str] = Field(default_factory=dict)
    foreign_also_english: tuple[str, ...] = ()
    # Abbreviations whose full stop ends no sentence ("ingested est. 6 x gabapentin"): lower-case letters
    # and inner full stops ("e.g"), without the final one.
    abbreviations: tuple[str, ...] = ()
    # Measures that make the number before them no count of tablets ("taken it for 30 years", "down 40
    # percent"): the number and the measure are read as one word ("30_years"), which no count matches.
    # Lower-case words; never a dose unit (mg, ml: "took 3600 mg" is a dose) nor days, hours or minutes
    # (durations the lexicon reads: "jerking for 5 minutes").
    measures: tuple[str, ...] = ()
    # A word of falling read as its word of sleeping when "asleep" comes next ("fell asleep" -> "slept asleep"):
    # the falls lexicon reads "fell" and "falling", and "fell asleep in the chair" is no fall. Typed text and
    # the lexicon's own phrases go through the same rewrite, so "fell asleep at the wheel" still matches.
    asleep: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _foreign_apart(self) -> "Normalise":
        both = sorted(set(self.foreign) & (set(self.words) | set(self.sound_alike)))
        if both:
            raise ValueError(f"normalise.foreign: words already read by [normalise.words] or sound_alike: {both}")
        bad = sorted(k for k, v in self.foreign.items() if not re.fullmatch(r"[a-z]+", k) or not _LOWER_WORDS.fullmatch(v))
        if bad:
            raise ValueError(f"normalise.foreign: each key one lower-case word without accents, each value words: {bad}")
        odd = sorted(a for a in self.abbreviations if not re.fullmatch(r"[a-z]+(?:\.[a-z]+)*", a))
        if odd:
            raise ValueError(f"normalise.abbreviations: lower-case letters and inner full stops only: {odd}")
        # A dose unit or a duration the lexicon reads would stop counts and durations being read at all.
        wrong = sorted(m for m in self.measures if not re.fullmatch(r"[a-z]+", m)
                       or m in ("mg", "mcg", "g", "ml", "tablets", "capsules", "days", "hours", "minutes", "months", "old"))
        if wrong:
            raise ValueError(f"normalise.measures: lower-case words, never a dose unit or a duration: {wrong}")
        # One lower-case word for one other ("fell" -> "slept"): a rewrite to the same word, or to several words,
        # would shift the positions the matched stems point at, or do nothing.
        odd_asleep = sorted(k for k, v in self.asleep.items()
                            if k == v or not re.fullmatch(r"[a-z]+", k) or not re.fullmatch(r"[a-z]+", v))
        if odd_asleep:
            raise ValueError(f"normalise.asleep: each key and value one lower-case word, the two different: {odd_asleep}")
        # An own word that is rewritten first never reaches the corrector: listing it would do nothing.
        dead = sorted(set(self.own_words) & (set(self.foreign) | set(self.words)))
        if dead:
            raise ValueError(f"normalise.own_words: already rewritten by [normalise.words] or [normalise.foreign]: {dead}")
        return self

    @field_validator("cased")
    @classmethod
    def _cased_words(cls, value: dict[str, str]) -> dict[str, str]:
        # A key without a capital would rewrite the lower-case word everywhere ("odd" -> overdosed).
        bad = sorted(k for k, v in value.items()
                     if k == k.lower() or not re.fullmatch(r"[A-Za-z']+", k) or not _LOWER_WORDS.fullmatch(v))
        if bad:
            raise ValueError(f"normalise.cased: each key a word with a capital, each value lower-case words, not {bad}")
        return value


class Variants(_Cited):
    """One word family of the lexicon's grammar: a lexicon wording with ``written`` ("lips gone
    puffy") is also read with each of ``also`` ("going puffy", "keeps going puffy"), unless the next
    word is in ``not_before`` ("gone away" is not a change of state)."""

    written: str
    also: tuple[str, ...] = Field(min_length=1)
    not_before: tuple[str, ...] = ()


class Resolved(_Cited):
    """A sign told as over and the same function said normal now ("throat felt tight for a second
    ... swallowing fine now"): only for the signs listed in ``functions``, and only when both are said."""

    over: tuple[str, ...] = Field(min_length=1)
    normal: tuple[str, ...] = Field(min_length=1)
    functions: dict[str, tuple[str, ...]]
    reach: int = Field(default=3, ge=1, le=6)


class Spelling(_Cited):
    min_length: int = Field(ge=2, le=10)
    two_edits_min_length: int = Field(ge=3, le=20)
    english_words_file: str
    english_words_source: str


class Clauses(_Cited):
    pattern_window: int = Field(ge=2, le=30)
    # Words that, like a bare number, only count beside the pattern's other words: a pattern group
    # matched by a number or one of these alone, with a comma between it and every other group's words,
    # is no match ("exam tomorrow, took my evening dose" is no "took ... tomorrow").
    comma_bound: tuple[str, ...] = ()
    # A text of two sentences or more, none a question and each of at most this many words, is
    # telegraphic ("pill. twice. mistake. worried."): it is also read as one sentence. 0 turns it off.
    fragment_words: int = Field(default=0, ge=0, le=4)


class Negation(_Cited):
    window: int = Field(ge=1, le=30)
    pre: tuple[str, ...] = Field(min_length=1)
    post: tuple[str, ...]
    pseudo: tuple[str, ...]
    reported_questions: tuple[str, ...] = ()
    terminate: tuple[str, ...]
    answers: tuple[str, ...] = ()
    # Words that may stand among an answer's first words without changing it ("I honestly haven't").
    answer_fillers: tuple[str, ...] = ()
    # Answers that deny only when they are the whole next sentence ("breathing? fine.").
    whole_answers: tuple[str, ...] = ()
    list_connectors: tuple[str, ...] = ()
    list_item_words: int = Field(default=3, ge=1, le=6)
    list_breakers: tuple[str, ...] = ()
    # Clinical denials whose comma list needs no closing "or" ("denies SI, SOB, chest pain").
    list_triggers: tuple[str, ...] = ()
    # Sign ids a *post* trigger ("fine now", "is ok now") never negates: getting better afterwards
    # does not cancel their urgency (a seizure, an overdose, thoughts of self-harm).
    post_never_negates: tuple[str, ...] = ()
    # Post triggers that tell something went away ("went down", "cleared up"), and the sign ids that
    # such a trigger never negates (a swelling of the lips that went down still happened).
    post_passed: tuple[str, ...] = ()
    passed_never_negates: tuple[str, ...] = ()
    # Words that, later in a denial's sentence, tell when the denied thing began ("no fits until this
    # morning, when I had one"): such a denial negates nothing (it only ever escalates).
    until: tuple[str, ...] = ()
    # A form-style line answered no ("rash: no", "fits - none", "seizures = 0"): a mark between a
    # label and one of these answers, the whole of a comma-separated part, denies the label.
    checklist_answers: tuple[str, ...] = ()
    # Answers that say the label is as it should be ("temp: normal", "face/lips: ok"): they deny a
    # label that names a problem, and after a vital function they read as a reassurance ("breathing ok").
    checklist_normal: tuple[str, ...] = ()
    checklist_marks: tuple[str, ...] = ()
    # A short label and a short value on one line of a list ("colour: grey", "responsive: barely"): up to
    # this many words each, read as one phrase ("colour grey"). 0 turns it off.
    checklist_pair_words: int = Field(default=0, ge=0, le=4)
    # A label naming a vital function -> what a "no" to it says ("breathing" -> "not breathing").
    no_means: dict[str, str] = Field(default_factory=dict)
    # Words before such a label that make it a problem ("trouble breathing"): a no then denies it.
    no_means_qualifiers: tuple[str, ...] = ()

    @field_validator("checklist_marks")
    @classmethod
    def _marks_are_punctuation(cls, marks: tuple[str, ...]) -> tuple[str, ...]:
        if any(not m.strip() or any(c.isalnum() for c in m) for m in marks):
            raise ValueError("a checklist mark is punctuation (':', ' - '), never a word or blank")
        return marks


class Indication(_Cited):
    before: tuple[str, ...]
    possessives: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    after_lead: tuple[str, ...] = ()
    # Words that say whom the medicine is for, not why ("the gabapentin for our dog"): a finding they
    # lead is never read as the reason for taking it.
    owners: tuple[str, ...] = ()


class Experiencer(_Cited):
    other: tuple[str, ...]


class Semantic(_Cited):
    model_source: str
    weights: str
    tokenizer: str
    threshold: float = Field(gt=0, lt=1)
    min_words: int = Field(ge=1, le=10)
    reassured_by: frozenset[str] = frozenset()
    # A clause of only these words and medicine names tells a dose taken as usual; the clause net skips it.
    routine_words: frozenset[str] = frozenset()


class EmergencyModel(_Cited):
    """A logistic model over the static sentence vector: the probability that a text reports an
    emergency (``emergency_net.toml``, generated by ``scripts/train_emergency_net.py`` from the
    development splits of ``tests/eval/data``; never from a held-out split).

    ``threshold`` was chosen on out-of-fold scores (each development split scored by a model fitted to
    the others) so that the false-emergency rate on non-emergency texts stays near ``target_fer``."""

    model_source: str
    dimensions: int = Field(ge=1, le=4096)
    weights: tuple[float, ...]
    bias: float
    threshold: float = Field(gt=0, lt=1)
    l2: float = Field(gt=0)
    target_fer: float = Field(gt=0, lt=0.5)
    trained_on: str
    texts: int = Field(ge=1)
    out_of_fold_recall: float = Field(ge=0, le=1)
    out_of_fold_fer: float = Field(ge=0, le=1)
    # Weights of the text's hashed words and word pairs (:func:`gabacare.clinical.text.semantic.lexical_features`),
    # one per slot; none when ``lexical_size`` is 0 (``emergency_net.toml``; ``emergency_words.toml`` has them).
    lexical_size: int = Field(default=0, ge=0, le=65536)
    lexical_weights: tuple[float, ...] = ()

    @field_validator("weights", "lexical_weights")
    @classmethod
    def _finite(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(x != x or abs(x) > 1e6 for x in v):
            raise ValueError("weights must be finite numbers")
        return v

    @model_validator(mode="after")
    def _one_weight_per_dimension_and_slot(self) -> "EmergencyModel":
        if not self.weights:
            raise ValueError("weights: at least one number")
        if len(self.lexical_weights) != self.lexical_size:
            raise ValueError(f"lexical_weights: {self.lexical_size} numbers, not {len(self.lexical_weights)}")
        return self


class TopicModel(_Cited):
    """A softmax model over a question's projected sentence vector: the probability of each guide
    topic (``topic_model.toml``, generated by ``scripts/train_topic_model.py`` from the development
    splits of ``tests/eval/data/questions_*``; never from a held-out split). ``ask`` adds
    ``weight`` x the probability to a topic's combined score; ``weight`` was chosen on out-of-fold
    accuracy (each split answered by a model fitted to the others)."""

    model_source: str
    topics: tuple[str, ...]
    dimensions: int = Field(ge=1, le=4096)
    weights: tuple[tuple[float, ...], ...]  # one row per dimension, one number per topic
    bias: tuple[float, ...]
    weight: float = Field(ge=0, le=1)
    l2: float = Field(gt=0)
    trained_on: str
    questions: int = Field(ge=1)
    out_of_fold_top1_without: float = Field(ge=0, le=1)
    out_of_fold_top1_with: float = Field(ge=0, le=1)


class MedicineContext(_Cited):
    """Medicine names that are also everyday words ("a joint", "drinks"): in free text they name a
    medicine only after a word of use ("smoked", "had") within ``reach`` words."""

    ambiguous: tuple[str, ...] = ()
    use_words: tuple[str, ...] = ()
    reach: int = Field(default=3, ge=1, le=8)


class ClassWords(_Cited):
    """Words for a whole class of medicines ("benzos") -> interaction class id."""

    words: dict[str, str]


class IdiomPairs(_Frozen):
    """One table of figures of speech made of two lists: every first word(s) followed by every second."""

    why: str = Field(min_length=1)
    first: tuple[str, ...] = Field(min_length=1)
    second: tuple[str, ...] = Field(min_length=1)


class MovedDose(_Frozen):
    """A dose moved to another time or meal, or taken with another drink ("took my 300 at 8pm instead of
    10pm", "with lunch instead of breakfast", "with tea instead of coffee"): a word of ``links`` ("instead
    of") is read as no words when a time stands right after it and another within ``reach`` words before
    it. A time is one of ``times`` (a meal, a time of day, a drink a dose is taken with) or a clock time
    marked as one ("8pm", "8 pm", "08:30"); a bare number after the link counts only when "at" and a
    number stand before it ("at 9 instead of 11"). "Took 3 instead of 1" has no time: it is still read."""

    links: tuple[str, ...] = Field(min_length=1)
    times: tuple[str, ...] = Field(min_length=1)
    reach: int = Field(ge=1, le=8)


class Idioms(_Cited):
    """Figures of speech that only sound like symptoms ("nearly died laughing", "we choked in the
    final"): read as no words at all, by the rules and the semantic net alike. Each phrase must mean
    nothing clinical in any reading (when unsure, a phrase stays out and the text is escalated).

    Each ``[[idioms.pairs]]`` gives the same reading to every "<first> <second>" it makes: what a
    machine, a plant or an institution "does" that would be a sign if a person did it ("the vacuum
    choked on a sock", "customs seized a lorry"), what one "overdosed on" that is no medicine ("Christmas
    telly"), what one was breathless "from laughing". No part of a pair is a person, an animal, a body part
    or a medicine; words are matched as typed after normalisation ("hoover" and "the hoover" are one entry),
    and each second part also with "the" before it ("passed out the hymn sheets")."""

    phrases: list[str]
    pairs: tuple[IdiomPairs, ...] = ()
    moved: MovedDose | None = None


class RedFlag(_Cited):
    """One line of the red-flag checklist shown whenever nothing urgent is read in a text."""

    text: str
    action: str


class CrisisLine(_Cited):
    region: str
    name: str
    number: str


class Combination(_Cited):
    """Findings that are more urgent together: each ``all_of`` group met by a different finding."""

    id: str
    all_of: tuple[tuple[str, ...], ...] = Field(min_length=2)
    effect: str
    why: str


#: A pattern whose first item is this reads its groups only in the order written ("my son ... took my
#: tablets", not "took my tablets, the kids ..."); any other pattern reads them in any order.
IN_ORDER = "in order"


class Sign(_Cited):
    """A thing a person can notice, the words people use for it, and the effect it points to."""

    id: str
    effect: str
    phrases: tuple[str, ...] = ()
    patterns: tuple[tuple[str, ...], ...] = ()
    # Words that mean this sign only when they are the whole sentence ("Fit." but not "I feel fit").
    alone: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()

    @field_validator("patterns")
    @classmethod
    def _groups(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for pattern in value:
            groups = pattern[1:] if pattern and pattern[0] == IN_ORDER else pattern
            if len(groups) < 2:
                raise ValueError("a pattern needs at least two word groups (else write a phrase)")
            if IN_ORDER in groups:
                raise ValueError(f"{IN_ORDER!r} can only be a pattern's first item")
        return value


class BackstopConcept(_Cited):
    """One emergency concept of the backstop: red-flag words that, said and not denied in a clause
    the rules rated below emergency, raise "this may be an emergency if it means ``means``".
    Each pattern is a list of word groups ("a|b|c"), all present in one clause; a group of one
    pattern may be a single group (any of its words suffices)."""

    id: str
    effect: str
    means: str
    patterns: tuple[tuple[str, ...], ...] = Field(min_length=1)
    # A clause holding any of these phrases is not this concept ("blood test", "fit and well").
    unless: tuple[str, ...] = ()


class Backstop(_Cited):
    """"When unsure, escalate": the red-flag stems of every emergency concept (gabacare-policy)."""

    # Words a multi-word alternative may skip between its words ("can not i breathe").
    gap: int = Field(default=1, ge=0, le=3)
    # A question that starts with one of these asks about a risk, it does not report one
    # ("will stopping cause seizures?").
    question_cues: tuple[str, ...] = ()
    concepts: tuple[BackstopConcept, ...] = Field(min_length=1)


class NameSounds(_Cited):
    """How a medicine name sounds, for voice-to-text and sound-alike spellings: ``initial`` and
    ``rules`` are "letters=sound" rewrites (initial: at the start only), applied in order; keys
    shorter than ``min_key`` letters are never compared, and a name found by sound is offered only
    when its letters are at least ``min_letter_similarity`` alike (0-1, normalised Indel similarity)
    with the text's, so unrelated words that happen to share consonants are never read as a medicine."""

    initial: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    min_key: int = Field(default=4, ge=2, le=10)
    min_letter_similarity: float = Field(default=0.5, ge=0.0, le=1.0)


class DoseCounts(_Cited):
    """A count taken set against the count meant, in one sentence ("had 8 capsules today when I am
    meant to have 3"): more taken than meant reads as ``sign`` (an overdose). The counts are compared
    only when they are of one kind: at least one is followed by a word of ``dose_units``, and the other
    by a word of the same unit, by no unit, or by nothing (never by a word of ``other_units``: "8 hours")."""

    sign: str
    taken: tuple[str, ...] = Field(min_length=1)
    meant: tuple[str, ...] = Field(min_length=1)
    numbers: dict[str, int] = Field(default_factory=dict)
    dose_units: dict[str, str] = Field(min_length=1)  # unit word -> its kind ("capsules" -> "count")
    other_units: tuple[str, ...] = ()
    reach: int = Field(default=3, ge=1, le=6)  # words from the verb or phrase to its count
    window: int = Field(default=14, ge=2, le=30)  # words between the two counts at most
    max_digits: int = Field(default=4, ge=1, le=6)  # longer digit runs are not counts (phone numbers)
    # A meant count followed by one of these ("600 three times a day") is a day's total of that many
    # doses; it is set against a taken count followed by a word of ``day_words`` ("had 3600 today").
    per_day: dict[str, Annotated[int, Field(ge=1, le=6)]] = Field(default_factory=dict)  # doses a day, as written
    day_words: tuple[str, ...] = ()
    # "Took 4000mg of gabapentin today": an amount in milligrams after one of these words (a dose already
    # taken, not "take", which a question asks about) above the label's maximum daily dose (the
    # monograph's [limits] max_daily_mg) reads as ``sign`` with nothing meant to compare it with, unless
    # a word of ``per_day`` follows it ("took 4000 mg a day": a regimen, which the prescriber sets).
    over_label_max_taken: tuple[str, ...] = ()
    # ... and not when one of these follows the amount within ``reach`` words ("9000mg this week", "over the
    # last month"): a total over a longer time than a day, which the rule cannot divide.
    over_label_max_periods: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _over_max_words_are_taken_words(self) -> "DoseCounts":
        stray = sorted(set(self.over_label_max_taken) - set(self.taken))
        if stray:
            raise ValueError(f"dose_counts: over_label_max_taken words not in taken: {stray}")
        return self


GROUP_MARK = "@"  # a pattern alternative "@people" stands for every word of ``[groups] people``


class Lexicon(_Frozen):
    """The signs, and the named word groups their patterns share.

    A pattern alternative written ``@name`` is replaced, on loading, by every alternative of
    ``groups[name]``, so a family of wordings (the people who are not the patient, the ways of saying
    "took some of my") is written once and every pattern that names it reads the same words. A group
    names no other group; an unknown or unused group fails the load."""

    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    signs: tuple[Sign, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _expand_groups(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        groups = data.get("groups") or {}
        if not isinstance(groups, dict):
            return data
        problems = [f"group {name!r}: {why}" for name, words in groups.items()
                    for why in _group_problems(name, words)]
        used: set[str] = set()

        def expand(group: Any) -> Any:
            if not isinstance(group, str):
                return group
            out: list[str] = []
            for alt in group.split("|"):
                name = alt.strip()
                if name.startswith(GROUP_MARK):
                    words = groups.get(name[len(GROUP_MARK):])
                    if not isinstance(words, list | tuple):
                        problems.append(f"unknown word group {name!r}")
                        continue
                    used.add(name[len(GROUP_MARK):])
                    out += words
                else:
                    out.append(alt)
            return "|".join(dict.fromkeys(out))

        signs = []
        for sign in data.get("signs") or ():
            if isinstance(sign, dict) and sign.get("patterns"):
                sign = {**sign, "patterns": [[expand(g) for g in pattern] if isinstance(pattern, list) else pattern
                                             for pattern in sign["patterns"]]}
            signs.append(sign)
        problems += [f"group {name!r} is named by no pattern" for name in groups if name not in used]
        if problems:
            raise ValueError("; ".join(problems))
        return {**data, "signs": signs}


def _group_problems(name: str, words: Any) -> list[str]:
    """Why a ``[groups]`` entry is malformed (empty when it is fine)."""
    if not re.fullmatch(r"[a-z][a-z_]*", name):
        return ["a group's name is lower-case letters and underscores"]
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
        return ["a group is a non-empty list of words or phrases"]
    bad = [w for w in words if GROUP_MARK in w or "|" in w]
    return [f"{w!r} names another group or holds '|' (write one alternative per entry)" for w in bad]


class Language(_Frozen):
    """The reading rules and the lexicon, validated together."""

    normalise: Normalise
    spelling: Spelling
    clauses: Clauses
    negation: Negation
    indication: Indication
    experiencer: Experiencer
    semantic: Semantic
    red_flags: tuple[RedFlag, ...] = Field(min_length=1)
    crisis_lines: tuple[CrisisLine, ...] = Field(min_length=1)
    combinations: tuple[Combination, ...] = ()
    medicine_context: MedicineContext | None = None
    variants: tuple[Variants, ...] = ()
    class_words: ClassWords | None = None
    idioms: Idioms | None = None
    resolved: Resolved | None = None
    backstop: Backstop | None = None
    name_sounds: NameSounds | None = None
    dose_counts: DoseCounts | None = None
    lexicon: Lexicon

    def sign(self, sign_id: str) -> Sign:
        for s in self.lexicon.signs:
            if s.id == sign_id:
                return s
        raise KeyError(sign_id)


def language_cited_source_ids() -> set[str]:
    """Every source id ``language.toml``, ``lexicon.toml`` and the fitted models' files cite."""
    names = ("language.toml", "lexicon.toml", "emergency_net.toml", "emergency_words.toml", "topic_model.toml")
    return {sid for name in names for _, sid in _walk_source_ids(_read_toml(name))}


def build_language(raw: dict[str, Any], raw_lexicon: dict[str, Any]) -> Language:
    """Validate the raw files against each other and the monograph (exposed for tests of bad data)."""
    m = load_monograph()
    unknown = sorted(
        {f"{where} -> {sid!r}" for data in (raw, raw_lexicon) for where, sid in _walk_source_ids(data) if sid not in m.sources}
    )
    if unknown:
        raise KnowledgeBaseError("language.toml/lexicon.toml cite unknown sources: " + "; ".join(unknown))
    try:
        lang = Language(lexicon=Lexicon(**raw_lexicon), **raw)
    except (TypeError, ValidationError) as exc:
        raise KnowledgeBaseError(f"language.toml/lexicon.toml: {exc}") from exc
    effects = {e.id for e in m.adverse_effects}
    sign_ids = [s.id for s in lang.lexicon.signs]
    problems = [f"sign {s.id!r}: unknown effect {s.effect!r}" for s in lang.lexicon.signs if s.effect not in effects]
    problems += [f"sign {s.id!r} has neither phrases nor patterns" for s in lang.lexicon.signs if not (s.phrases or s.patterns)]
    problems += [f"sign {i!r} defined twice" for i in sorted({i for i in sign_ids if sign_ids.count(i) > 1})]
    emergency = {e.id for e in m.adverse_effects if e.urgency == "emergency"}
    problems += [
        f"sign {s.id!r} points to an emergency but has no descriptions for the semantic net"
        for s in lang.lexicon.signs if s.effect in emergency and not s.descriptions
    ]
    classes = {f"class:{c.id}" for c in m.interaction_classes} | {SEDATING_CLASS}
    combo_ids = [c.id for c in lang.combinations]
    problems += [f"combination {i!r} defined twice" for i in sorted({i for i in combo_ids if combo_ids.count(i) > 1})]
    for combo in lang.combinations:
        if combo.effect not in effects:
            problems.append(f"combination {combo.id!r}: unknown effect {combo.effect!r}")
        for group in combo.all_of:
            for ref in group:
                if ref not in classes and ref not in sign_ids:
                    problems.append(f"combination {combo.id!r}: unknown sign or class {ref!r}")
    if lang.class_words is not None:
        known_classes = {c.id for c in m.interaction_classes}
        problems += [f"class_words: {w!r} -> unknown class {c!r}" for w, c in lang.class_words.words.items()
                     if c not in known_classes]
    if lang.resolved is not None:
        problems += [f"resolved: unknown sign {sid!r}" for sid in lang.resolved.functions if sid not in sign_ids]
    if lang.dose_counts is not None and lang.dose_counts.sign not in sign_ids:
        problems.append(f"dose_counts: unknown sign {lang.dose_counts.sign!r}")
    if lang.backstop is not None:
        problems += [f"backstop {c.id!r}: {c.effect!r} is not an emergency effect" for c in lang.backstop.concepts
                     if c.effect not in emergency]
    if lang.spelling.english_words_source not in m.sources or lang.semantic.model_source not in m.sources:
        problems.append("spelling.english_words_source and semantic.model_source must name sources")
    if problems:
        raise KnowledgeBaseError("language.toml/lexicon.toml: " + "; ".join(problems))
    return lang


@cache
def load_language() -> Language:
    """Load and validate ``language.toml`` with ``lexicon.toml`` once per process (validated once per
    version of the files and code: :func:`gabacare.knowledge.cache.validated_model`)."""
    from gabacare.knowledge import monograph
    from gabacare.knowledge.cache import validated_model

    def build() -> Language:
        return build_language(_read_toml("language.toml"), _read_toml("lexicon.toml"))

    # Validated against the monograph too: its files and code are part of the key.
    files = ("language.toml", "lexicon.toml", *monograph.MONOGRAPH_FILES, "sources.toml")
    return validated_model("language", Language, files, (__file__, monograph.__file__), build)


_M = TypeVar("_M", "EmergencyModel", "TopicModel")


def _fitted(name: str, model_type: type[_M], shape_ok: Callable[[_M], bool], shape: str) -> _M:
    """A fitted model's file (``[model]`` of ``name``), validated; its shape and both its sources
    (the corpus it was fitted to, the embedding it reads) checked against the monograph.

    Validated once per version of the file, the monograph's files and this code
    (:func:`gabacare.knowledge.cache.validated_model`): building the model's validator cost every
    ``gabacare ask`` ~30 ms, where rebuilding the checked model from the cache takes a millisecond."""
    from gabacare.knowledge import monograph
    from gabacare.knowledge.cache import validated_model

    def build() -> _M:
        try:
            model = model_type.model_validate(_read_toml(name)["model"])
        except (ValidationError, KeyError) as exc:
            raise KnowledgeBaseError(f"{name}: {exc}") from exc
        sources = load_monograph().sources
        if not shape_ok(model) or model.source not in sources or model.model_source not in sources:
            raise KnowledgeBaseError(f"{name}: {shape}; sources must exist")
        return model

    files = (name, *monograph.MONOGRAPH_FILES, "sources.toml")
    return validated_model(f"fitted-{name.removesuffix('.toml')}", model_type, files, (__file__, monograph.__file__),
                           build, verify=True)


@cache
def load_emergency_model() -> EmergencyModel:
    """The semantic net's emergency model (``emergency_net.toml``), validated against the monograph."""
    return _fitted("emergency_net.toml", EmergencyModel, lambda m: len(m.weights) == m.dimensions,
                   "weights must have `dimensions` numbers")


@cache
def load_emergency_words_model() -> EmergencyModel:
    """The second emergency model (``emergency_words.toml``): the sentence vector and the text's hashed
    words and word pairs. A text the rules read no sign in is flagged when either model's probability
    reaches its own threshold."""
    return _fitted("emergency_words.toml", EmergencyModel,
                   lambda m: len(m.weights) == m.dimensions and m.lexical_size > 0,
                   "weights must have `dimensions` numbers and lexical_size must be above 0")


@cache
def load_topic_model() -> TopicModel:
    """``ask``'s topic model (``topic_model.toml``), its shape checked."""
    return _fitted("topic_model.toml", TopicModel,
                   lambda m: (len(m.weights) == m.dimensions and len(m.bias) == len(m.topics)
                              and all(len(row) == len(m.topics) for row in m.weights)),
                   "weights must be dimensions x topics")
