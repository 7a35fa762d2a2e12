"""The text pipeline: one function that reads what a person typed.

::

    text -> sentences -> normalised words (contractions, spellings)        normalise.py
         -> spelling slips corrected (a real English word is kept)           spelling.py
         -> signs (lexicon.toml) and medicines (medicines.toml) found        lexicon.py, drug_names.py
         -> negation with its scope (NegEx/ConText triggers)                 negation.py
         -> combination rules (language.toml)                               here
         -> the backstop's red-flag words, where the rules read no emergency   backstop.py
         -> the semantic safety net, only where nothing urgent was read      semantic.py

Pure and deterministic for a given knowledge base (the net reads packaged weights once). Third-person
and past reports ("my husband had a fit last night") are read like the person's own: the experiencer
is recorded for display and never lowers an urgency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import cache, lru_cache
from itertools import product
from typing import Literal

from gabacare._record import record
from gabacare.clinical.drug_names import contains_run, known_names, plural_key
from gabacare.clinical.text.backstop import RedFlagHit, is_risk_question, red_flags
from gabacare.clinical.text.lexicon import (
    EFFECT_SIGN,
    Match,
    amount_over_label_max,
    asleep_stems,
    dose_counts_across,
    find_signs,
    stem,
)
from gabacare.clinical.text.negation import checklist_denials, denial_words, negation_scopes, no_means
from gabacare.clinical.text.normalise import (
    COMMA,
    normalise_words,
    questions,
    sentences,
    sound_alike_slips,
    tables,
    tokenise,
)
from gabacare.clinical.text.plain import emergency_model, emergency_words_model, plain_language, plain_monograph
from gabacare.clinical.text.semantic import semantic_net, unavailable_reason
from gabacare.clinical.text.spelling import Corrector
from gabacare.clinical.text.vocabulary import corrector
from gabacare.knowledge.cache import derived
from gabacare.knowledge.words import SEDATING_CLASS

__all__ = ["Finding", "Reading", "corrector", "read_text"]

Kind = Literal["sign", "medicine", "combination", "semantic", "backstop"]
_URGENCY_RANK = {"emergency": 0, "contact_prescriber": 1, "expected": 2}


@record
class Finding:
    """Something read in the text.

    ``kind`` is ``sign`` (lexicon), ``medicine`` (an ingredient; ``refs`` holds its class refs),
    ``combination`` (a rule over other findings), ``backstop`` (red-flag words the rules left below
    emergency: "may be", ``id`` is the backstop concept) or ``semantic`` (the net's "may be"). ``effect``
    is the adverse-effect id whose urgency and advice apply (``None`` for a medicine).
    """

    kind: Kind
    id: str
    effect: str | None
    words: str
    negated: bool = False
    sentence: int = 0
    refs: tuple[str, ...] = ()
    score: float | None = None
    reason: bool = False  # why the medicine is taken ("for my seizures"), not a new symptom

    @property
    def urgency(self) -> str | None:
        return _effects()[self.effect] if self.effect else None


@record
class Reading:
    """Everything read in one text. ``findings`` holds signs and medicines (affirmed and negated)."""

    text: str
    words: tuple[str, ...]
    corrections: tuple[tuple[str, str], ...]
    findings: tuple[Finding, ...]
    combinations: tuple[Finding, ...] = ()
    possible: tuple[Finding, ...] = ()
    experiencer: Literal["self", "other"] = "self"
    unread: tuple[str, ...] = ()
    net: str = "not needed"
    # The text as the semantic net's emergency model reads it (normalised words, what
    # ``scripts/train_emergency_net.py`` fits the model to); empty when the text denies or reassures
    # about anything, because a whole-text model cannot tell "swollen" from "not swollen".
    net_text: str = ""

    @property
    def affirmed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.negated)

    @property
    def negated(self) -> tuple[Finding, ...]:
        """Signs the person said they do not have (not those named as the reason for treatment)."""
        return tuple(f for f in self.findings if f.negated and not f.reason and f.kind == "sign")

    @property
    def medicines(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.affirmed if f.kind == "medicine")

    def ranked(self) -> list[Finding]:
        """Affirmed signs, combinations and net hits with an urgency, most urgent first
        (at equal urgency a combination before a single sign, a rule before the net)."""
        order = {"combination": 0, "sign": 1, "backstop": 2, "semantic": 3}
        items = [f for f in (*self.combinations, *self.affirmed, *self.possible) if f.effect]
        return sorted(items, key=lambda f: (_URGENCY_RANK[f.urgency or "expected"], order.get(f.kind, 3)))

    @property
    def urgency(self) -> str | None:
        ranked = self.ranked()
        return ranked[0].urgency if ranked else None


@cache
def _effects() -> dict[str, str]:
    return {e.id: e.urgency for e in plain_monograph().adverse_effects}


@cache
def _sign_effect() -> dict[str, str]:
    table = {s.id: s.effect for s in plain_language().lexicon.signs}
    table.update({f"{EFFECT_SIGN}{e.id}": e.id for e in plain_monograph().adverse_effects})
    return table


@cache
def _class_refs() -> dict[str, tuple[str, ...]]:
    m = plain_monograph()
    refs: dict[str, tuple[str, ...]] = {}
    for cls in m.interaction_classes:
        for member in cls.members:
            # Gabapentin itself is the medicine being taken: naming it adds no other sedative.
            if member != m.drug.name:
                refs[member] = (f"class:{cls.id}",) + ((SEDATING_CLASS,) if cls.sedating else ())
    return refs


@cache
def _gabapentinoids() -> frozenset[str]:
    """Gabapentin and the members of the classes it belongs to (pregabalin, its brands' ingredients)."""
    m = plain_monograph()
    return frozenset({m.drug.name}).union(*(cls.members for cls in m.interaction_classes if m.drug.name in cls.members))


@cache
def _indication_phrases() -> tuple[frozenset[tuple[str, ...]], frozenset[str], frozenset[str], frozenset[str]]:
    ind = plain_language().indication
    phrases = frozenset(tuple(w for _, w in normalise_words(tokenise(p))) for p in ind.before)
    return phrases, frozenset(ind.possessives), frozenset(ind.after), frozenset(ind.after_lead)


@cache
def _owners() -> frozenset[str]:
    return frozenset(w for p in plain_language().indication.owners for _, w in normalise_words(tokenise(p)))


def _corrected(fix: Corrector, word: str) -> str:
    """``word`` corrected, unless the correction would be a denial (:func:`negation.denial_words`)."""
    fixed = fix.correct(word)
    return word if fixed != word and fixed in denial_words() else fixed


def _is_reason(words: Sequence[str], first: int, last: int | None = None) -> bool:
    """Whether the words around the finding at ``first``..``last`` say why the medicine is taken.

    Before it: "gabapentin for (my) seizures"; right after it: a word that makes the finding the name
    of a treatment ("the seizure medicine", "her fit tablets") when the finding is one word led by a
    determiner, so that "had a seizure medicine did not help" (no comma) still reports a seizure and
    "chewed one of my gabapentin capsules" still reports an overdose.
    """
    phrases, possessives, after, after_lead = _indication_phrases()
    if words[first] in _owners():
        return False  # "the gabapentin for our dog": whom it is for, not why
    if (last is not None and last == first and first > 0 and last + 1 < len(words) and words[last + 1] in after
            and words[first - 1] in after_lead):
        return True
    end = first
    while end > 0 and words[end - 1] in possessives:
        end -= 1
    longest = max((len(p) for p in phrases), default=0)
    return any(tuple(words[max(0, end - n):end]) in phrases for n in range(1, longest + 1))


@cache
def _reported_questions() -> tuple[tuple[str, ...], ...]:
    return _normalised(plain_language().negation.reported_questions)


#: What an idiom's words become (``language.toml`` ``[idioms]``): no sign, trigger or medicine, and left
#: out of the clauses the semantic net reads.
IDIOM = "·"


def _built_idioms() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The idioms' normalised word sequences, by first word, longest first."""
    section = plain_language().idioms
    by_first: dict[str, list[tuple[str, ...]]] = {}
    phrases = [] if section is None else [
        *section.phrases, *(f"{a} {the}{b}" for pair in section.pairs for a in pair.first for b in pair.second
                            for the in ("", "the "))]
    for words in _normalised(phrases):
        if words:
            by_first.setdefault(words[0], []).append(words)
    return {w: tuple(sorted(seqs, key=len, reverse=True)) for w, seqs in by_first.items()}


# The cache keeps each first word's sequences as one text: words joined by a space, sequences by "|" (a
# fraction of the JSON, and nothing to split for the words no text uses); a normalised word holds
# neither (letters, digits, apostrophes, a comma, or a [normalise] value), which building checks.
_WORD_SEP, _SEQ_SEP = " ", "|"


def _build_idioms() -> dict[str, str]:
    """:func:`_built_idioms` as the cache keeps it (``ValueError`` if a word holds a separator)."""
    table = _built_idioms()
    if any(not w or _WORD_SEP in w or _SEQ_SEP in w for seqs in table.values() for s in seqs for w in s):
        raise ValueError("an idiom's word holds a separator")
    return {first: _SEQ_SEP.join(_WORD_SEP.join(s) for s in seqs) for first, seqs in table.items()}


@cache
def _idioms() -> dict[str, str] | dict[str, tuple[tuple[str, ...], ...]]:
    """The idioms by first word: :func:`_build_idioms`'s texts, or :func:`_built_idioms`' sequences
    when they cannot be written so (:func:`_idioms_after` reads either).

    The pairs make ~16,000 phrases, whose normalising cost every new process tens of milliseconds: they
    are kept in the cache directory (:func:`gabacare.knowledge.cache.derived`) under the language's file
    and the code that normalises them; a cached value of another shape is not used (built again)."""
    from gabacare.clinical.text import normalise, plain
    from gabacare.knowledge import plain as plain_copies

    code = (__file__, normalise.__file__, plain.__file__, plain_copies.__file__)
    try:
        raw = derived("text-idioms", ("language.toml",), code, _build_idioms)
        if not isinstance(raw, dict) or not all(type(v) is str and v for v in raw.values()):
            raw = _build_idioms()
    except ValueError:
        return _built_idioms()
    table: dict[str, str] = raw
    return table


@lru_cache(maxsize=8192)  # (bounded: a long-running server reads many texts)
def _idioms_after(word: str) -> tuple[tuple[str, ...], ...]:
    """The idioms that start with ``word``, longest first."""
    found = _idioms().get(word, ())
    if isinstance(found, str):
        return tuple(tuple(s.split(_WORD_SEP)) for s in found.split(_SEQ_SEP))
    return found


@lru_cache(maxsize=8192)
def _idioms_by_length(word: str) -> tuple[tuple[int, frozenset[tuple[str, ...]]], ...]:
    """:func:`_idioms_after` grouped by length, longest first: a text is compared with one set per length
    instead of with each idiom in turn ("the" starts thousands of them)."""
    by_length: dict[int, set[tuple[str, ...]]] = {}
    for seq in _idioms_after(word):
        by_length.setdefault(len(seq), set()).add(seq)
    return tuple((n, frozenset(by_length[n])) for n in sorted(by_length, reverse=True))


def _without_idioms(words: list[str]) -> list[str]:
    """``words`` with every idiom's words replaced by :data:`IDIOM` (same length: positions still map
    to what was typed).

    >>> _without_idioms("i nearly died laughing at him".split())
    ['i', '·', '·', '·', 'at', 'him']
    >>> _without_idioms("i nearly died".split())
    ['i', 'nearly', 'died']
    >>> _without_idioms("the vacuum choked on a sock".split())
    ['the', '·', '·', '·', 'a', 'sock']
    """
    out = list(words)
    i = 0
    while i < len(out):
        n = next((n for n, seqs in _idioms_by_length(out[i]) if tuple(out[i:i + n]) in seqs), 0)
        if not n:
            i += 1
            continue
        out[i:i + n] = [IDIOM] * n
        i += n
    return out


#: A clock time marked as one: "8pm", "08h30" (tokenise's "08:30"), "8h30pm".
_MARKED_TIME = re.compile(r"\d{1,2}(?:h\d{2})?(?:am|pm)|\d{1,2}h\d{2}")
_MERIDIEM = ("am", "pm")


@cache
def _moved() -> tuple[tuple[tuple[str, ...], ...], frozenset[str], int] | None:
    """``[idioms.moved]``: its links as word sequences, its times, its reach (``None``: none)."""
    section = plain_language().idioms
    moved = None if section is None else section.moved
    if moved is None:
        return None
    links = tuple(sorted((s for s in _normalised(moved.links) if s), key=len, reverse=True))
    times = frozenset(w for seq in _normalised(moved.times) for w in seq)
    return links, times, moved.reach


def _is_time(words: list[str], i: int, times: frozenset[str]) -> bool:
    """Whether ``words[i]`` names a time (``[idioms.moved]`` times, or a clock time marked as one)."""
    w = words[i]
    return (w in times or _MARKED_TIME.fullmatch(w) is not None
            or (w.isdigit() and i + 1 < len(words) and words[i + 1] in _MERIDIEM))


def _clock_time(words: list[str], i: int) -> bool:
    """Whether ``words[i]`` is the time of a dose: a clock time marked as one ("8pm", "08h30"), or a
    number right after "at" ("took my gabapentin at 8"; "took 8 at 8" holds one count: the first 8)."""
    w = words[i]
    return _MARKED_TIME.fullmatch(w) is not None or (w.isdigit() and i > 0 and words[i - 1] == "at")


def _without_moved_doses(words: list[str]) -> list[str]:
    """``words`` with the link of a dose moved to another time ("at 8pm instead of 10pm", "with lunch
    instead of breakfast") and the time after it replaced by :data:`IDIOM` (``[idioms.moved]``): a time
    right after the link and another within reach before it. A bare number after it counts only after "at" and a number
    ("at 9 instead of 11"); "took 3 instead of 1" is left as typed.

    >>> _without_moved_doses("took my dose at 8pm instead of 10pm".split())
    ['took', 'my', 'dose', 'at', '8pm', '·', '·', '·']
    >>> _without_moved_doses("took 3 instead of 1".split())
    ['took', '3', 'instead', 'of', '1']
    """
    found = _moved()
    if found is None:
        return words
    links, times, reach = found
    out = list(words)
    for i in range(len(out)):
        link = next((q for q in links if tuple(out[i:i + len(q)]) == q), None)
        if link is None:
            continue
        after = i + len(link)
        if after >= len(out):
            continue
        before = range(max(0, i - reach), i)
        timed_before = any(_is_time(out, k, times) for k in before)
        at_number = any(out[k] == "at" and out[k + 1].isdigit() for k in before if k + 1 < i)
        if (_is_time(out, after, times) and (timed_before or at_number)) or (out[after].isdigit() and at_number):
            # The time after the link goes too: "at 9 instead of 11" holds no count of 11 capsules.
            end = after + (2 if out[after].isdigit() and out[after + 1:after + 2] in (["am"], ["pm"]) else 1)
            out[i:end] = [IDIOM] * (end - i)
    return out


def _normalised(phrases: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(w for _, w in normalise_words(tokenise(a))) for a in phrases)


#: How many of an answer's first words may be fillers ([negation] answer_fillers).
_FILLER_REACH = 3


def _answer_words(sentence: str) -> list[str]:
    """A possible answer's words; a filler among its first words is read past ("I honestly haven't")."""
    fillers = frozenset(plain_language().negation.answer_fillers)
    words = [w for _, w in normalise_words(tokenise(checklist_denials(sentence)))]
    return [w for i, w in enumerate(words) if not (i < _FILLER_REACH and w in fillers)]


def _answered_inline(split: list[str], asked: list[bool], reported: Sequence[tuple[str, ...]],
                     answers: Sequence[tuple[str, ...]]) -> tuple[list[str], list[bool]]:
    """Sentences and their question marks, with a reported question answered after a comma in its own
    sentence ("my wife asked if I've been thinking of ending things, I honestly haven't") told as a
    question and its answer, so the answer denies what was asked as a next sentence's would."""
    out: list[str] = []
    marks: list[bool] = []
    for sentence, mark in zip(split, asked, strict=True):
        parts = sentence.split(",")
        cut = None
        for k in range(1, len(parts)):
            before = [w for _, w in normalise_words(tokenise(",".join(parts[:k])))]
            if not any(contains_run(before, r) for r in reported):
                continue
            after = _answer_words(parts[k])
            if any(tuple(after[:len(a)]) == a for a in answers):
                cut = k
                break
        if cut is None:
            out.append(sentence)
            marks.append(mark)
        else:
            out += [",".join(parts[:cut]), ",".join(parts[cut:])]
            marks += [True, mark]
    return out, marks


@cache
def _whole_answers() -> frozenset[tuple[str, ...]]:
    return frozenset(_normalised(plain_language().negation.whole_answers))


@cache
def _answers() -> tuple[tuple[str, ...], ...]:
    return _normalised(plain_language().negation.answers)


@cache
def _experiencer_firsts() -> frozenset[str]:
    return frozenset(p[0] for p in _experiencer_phrases() if p)


@cache
def _experiencer_phrases() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(w for _, w in normalise_words(tokenise(p))) for p in plain_language().experiencer.other)


@cache
def _longest_name() -> int:
    return max(len(k) for k in known_names())


@cache
def _ambiguous_names() -> tuple[frozenset[str], frozenset[str], int]:
    ctx = plain_language().medicine_context
    if ctx is None:
        return frozenset(), frozenset(), 0
    return frozenset(ctx.ambiguous), frozenset(ctx.use_words), ctx.reach


def _in_use(words: Sequence[str], first: int, name: str) -> bool:
    """Whether a name that is also an everyday word is told as something taken (see
    ``language.toml`` ``[medicine_context]``)."""
    ambiguous, use, reach = _ambiguous_names()
    return name not in ambiguous or any(w in use for w in words[max(0, first - reach):first])


def _medicines(words: Sequence[str]) -> list[tuple[tuple[int, ...], str, tuple[str, ...]]]:
    """(positions, typed name, ingredients) of medicine names in one sentence, longest first."""
    names = known_names()
    longest = _longest_name()
    found = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            key = plural_key(tuple(words[i:i + n]), names)
            if key is not None and _in_use(words, i, " ".join(words[i:i + n])):
                found.append((tuple(range(i, i + n)), " ".join(key), names[key]))
                i += n
                break
        else:
            i += 1
    return found


def _typed(pairs: Sequence[tuple[str, str]], positions: Sequence[int]) -> str:
    return " ".join(dict.fromkeys(pairs[p][0] for p in positions))


def _combinations(affirmed: Sequence[Finding]) -> list[Finding]:
    out = []
    for combo in plain_language().combinations:
        candidates = []
        for group in combo.all_of:
            wanted = set(group)
            candidates.append([i for i, f in enumerate(affirmed) if f.id in wanted or wanted & set(f.refs)])
        for choice in product(*candidates):
            if len(set(choice)) == len(choice):
                words = " + ".join(affirmed[i].words for i in choice)
                out.append(Finding("combination", combo.id, combo.effect, words, sentence=affirmed[choice[0]].sentence))
                break
    return out


@cache
def _resolved_rules() -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...], dict[str, frozenset[str]], int] | None:
    r = plain_language().resolved
    if r is None:
        return None

    def stems(phrase: str) -> tuple[str, ...]:
        return tuple(stem(w) for _, w in normalise_words(tokenise(phrase)) if w != COMMA)

    functions = {sid: frozenset(stem(w) for w in words) for sid, words in r.functions.items()}
    return tuple(stems(p) for p in r.over), tuple(stems(p) for p in r.normal), functions, r.reach


def _normal_now(stems: Sequence[str], function: frozenset[str], normal: Sequence[tuple[str, ...]], reach: int) -> bool:
    """Whether the function is said to work normally: "swallowing fine", "breathing is ok now"
    (not "not swallowing fine")."""
    for i, s in enumerate(stems):
        if s in function and "not" not in stems[max(0, i - 2):i]:
            after = stems[i + 1:i + 1 + reach + 1]
            if any(contains_run(after, p) for p in normal):
                return True
    return False


def _resolved(findings: Sequence[Finding], sentence_stems: Sequence[Sequence[str]]) -> list[Finding]:
    """Signs told as over, with the same function said normal now, read as resolved (negated):
    ``language.toml`` ``[resolved]`` (both must be said; only the listed signs)."""
    rules = _resolved_rules()
    if rules is None:
        return list(findings)
    over, normal, functions, reach = rules
    everything = [s for sentence in sentence_stems for s in sentence]
    out = []
    over_in: set[tuple[int, str | None]] = set()  # (sentence, effect) of the resolved signs
    for f in findings:
        function = functions.get(f.id)
        if (f.kind == "sign" and not f.negated and function and f.sentence < len(sentence_stems)
                and any(contains_run(sentence_stems[f.sentence], p) for p in over)
                and _normal_now(everything, function, normal, reach)):
            f = replace(f, negated=True)
            over_in.add((f.sentence, f.effect))
        out.append(f)
    # The effect's own phrase read over the same words ("effect:anaphylaxis-angioedema") goes with it.
    return [replace(f, negated=True) if f.kind == "sign" and f.id.startswith(EFFECT_SIGN) and not f.negated
            and (f.sentence, f.effect) in over_in else f for f in out]


def _pair_dose_count(findings: list[Finding], split: Sequence[str], stems: Sequence[Sequence[str]]) -> list[Finding]:
    """``findings`` and, when no sentence alone told more taken than meant, two sentences in a row
    that do ("I had 6 tablets today. I should have 2.": ``[dose_counts]``, label section 10)."""
    for i in range(len(stems) - 1):
        m = dose_counts_across(stems[i], stems[i + 1]) if stems[i] and stems[i + 1] else None
        if m is None:
            continue
        if any(f.kind == "sign" and f.id == m.sign and not f.negated for f in findings):
            return findings  # told within one sentence already
        words = f"{split[i].strip()}. {split[i + 1].strip()}"
        return [*findings, Finding("sign", m.sign, _sign_effect()[m.sign], words, False, i)]
    return findings


def _telegraphic(split: list[str], asked: list[bool]) -> tuple[list[str], list[bool]]:
    """``split``, and after it the whole text as one sentence when it is telegraphic ([clauses]
    fragment_words: "pill. twice. mistake." is also read "pill, twice, mistake"); ``asked`` follows.

    The fragments stay: one alone says what it says ("fit." is a seizure); read together they say
    what none says alone. A sign affirmed in either reading stays affirmed (one text's findings are
    merged), so the second reading can raise the urgency, never lower it."""
    most = plain_language().clauses.fragment_words
    if len(split) < 2 or not most or any(asked) or any(len(tokenise(s)) > most for s in split):
        return split, asked
    return [*split, ", ".join(split)], [*asked, False]


def _clauses(words: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) word spans split at commas and "but" (the net compares one thought at a time)."""
    spans, start = [], 0
    for i, w in enumerate(words):
        if w in (COMMA, "but"):
            if i > start:
                spans.append((start, i))
            start = i + 1
    if start < len(words):
        spans.append((start, len(words)))
    return spans


def read_text(text: str, *, net: bool = True, backstop: bool = True) -> Reading:
    """Read one free text (a symptom line, a journal note, a question).

    Parameters
    ----------
    text
        What the person typed, any length the caller accepts.
    net
        Allow the semantic safety net (loaded lazily) where the rules read nothing urgent.
    backstop
        Allow the backstop (``language.toml`` ``[backstop]``): red-flag words said and not denied
        where the rules read no emergency give "this may be an emergency". It only escalates.

    Examples
    --------
    >>> r = read_text("my lips are not swollen")
    >>> (r.urgency, [f.id for f in r.negated])
    (None, ['face-swelling'])
    >>> read_text("cant breathe").urgency
    'emergency'
    """
    fix = corrector()
    sign_effect = _sign_effect()
    refs = _class_refs()
    all_words: list[str] = []
    corrections: list[tuple[str, str]] = []
    findings: list[Finding] = []
    # (sentence, clause text, had a finding, denies, only a dose taken as usual)
    clause_texts: list[tuple[int, str, bool, bool, bool]] = []
    other = False
    unread: list[str] = []
    reported = _reported_questions()
    answers = _answers()
    lines, line_asked = sentences(text), questions(text)
    # A pasted table's rows are read with their headings after the lines themselves. Its heading line is
    # left out (also of the short lines read together, below): it names columns ("date,seizure,rash" affirms
    # no seizure), and each row repeats every heading beside its value ("seizure: no", "seizure: yes"), so
    # no word the patient wrote is lost.
    rows, headings = tables(text)
    if rows:
        heads = {h.strip(" |") for h in headings}
        kept = [(s, a) for s, a in zip(lines, line_asked, strict=True) if s.strip(" |") not in heads]
        lines, line_asked = [s for s, _ in kept], [a for _, a in kept]
    split, asked = _answered_inline(*_telegraphic(lines, line_asked), reported, answers)
    split, asked = [*split, *rows], [*asked, *(False for _ in rows)]
    sentence_stems: list[list[str]] = [[] for _ in split]
    never_post = frozenset(plain_language().negation.post_never_negates)
    never_passed = frozenset(plain_language().negation.passed_never_negates)
    routine = plain_language().semantic.routine_words
    # Sentences for the backstop, read only if the rules find no emergency in the whole text.
    later: list[tuple[int, list[tuple[str, str]], list[str], list[str], set[int], set[int]]] = []
    for s_index, sentence in enumerate(split):
        pairs = normalise_words(tokenise(checklist_denials(sentence)))
        if not pairs:
            continue
        words = [_corrected(fix, w) if w.isalpha() else w for _, w in pairs]
        slips = sound_alike_slips()
        corrections.extend((typed.strip("'"), n) for typed, n in pairs if typed.strip("'") in slips)
        corrections.extend((pairs[i][1], w) for i, w in enumerate(words) if w != pairs[i][1])
        words = _without_moved_doses(_without_idioms(words))
        all_words.extend(words)
        stems = asleep_stems([stem(w) for w in words])
        sentence_stems[s_index] = stems
        matches: list[Match] = find_signs(stems)
        meds = _medicines(words)
        over = amount_over_label_max(stems)
        # An amount above gabapentin's daily maximum is its overdose only when the sentence names no other
        # medicine ("took 4000mg of paracetamol" is not gabapentin's amount); a gabapentinoid may be named.
        if over is not None and over.sign not in {m.sign for m in matches} and all(
                ing in _gabapentinoids() for _, _, ingredients in meds for ing in ingredients):
            matches.append(over)
        inert = {p for m in matches for p in m.positions} | {p for pos, _, _ in meds for p in pos}
        scopes = negation_scopes(words, inert)
        here: list[Finding] = []
        for m in matches:
            reason = _is_reason(words, min(m.positions), max(m.positions))
            negated_at = [p for p in m.positions if p in scopes.negated]
            # "Had a fit at breakfast, he is ok now": recovery does not cancel a seizure, an overdose
            # or thoughts of self-harm ([negation] post_never_negates); a denial before them still does.
            if negated_at and m.sign in never_post and all(p in scopes.post_only for p in negated_at):
                negated_at = []
            # "Swelling of my lips last night that went down by morning": it happened (label 5.2).
            if negated_at and m.sign in never_passed and all(p in scopes.passed_only for p in negated_at):
                negated_at = []
            neg = reason or bool(negated_at)
            here.append(Finding("sign", m.sign, sign_effect[m.sign], _typed(pairs, m.positions), neg, s_index,
                                reason=reason))
        for positions, _name, ingredients in meds:
            neg = any(p in scopes.negated for p in positions)
            for ing in ingredients:
                here.append(Finding("medicine", ing, None, _typed(pairs, positions), neg, s_index, refs.get(ing, ())))
        # "Thoughts of self-harm? No, none at all": a question answered no denies what it named.
        if not asked[s_index] and any(contains_run(words, r) for r in reported):
            asked[s_index] = True  # "the GP asked if I had ..." reports a question
        if asked[s_index] and s_index + 1 < len(split):
            following = _answer_words(split[s_index + 1])
            said_no = any(tuple(following[:len(a)]) == a for a in answers)
            if said_no or tuple(following) in _whole_answers():
                here = [replace(f, negated=True) for f in here]
            # "Is he breathing? No": a no to a vital function says it is absent. The answer's
            # sentence, read next in this loop, is read as what the no says ("fine" says nothing).
            said = no_means([w for w in words if w != COMMA]) if said_no else None
            if said is not None:
                split[s_index + 1] = said
        findings.extend(here)
        if not other:
            firsts = _experiencer_firsts()
            other = any(tuple(words[i:i + len(p)]) == p for i, w in enumerate(words) if w in firsts
                        for p in _experiencer_phrases() if p[0] == w)
        med_at = {p for pos, _, _ in meds for p in pos}
        covered = {p for m in matches for p in m.positions} | med_at
        for start, end in _clauses(words):
            chunk = [w for w in words[start:end] if w not in (COMMA, IDIOM)]
            if not chunk:
                continue
            hit = any(start <= p < end for p in covered)
            negated_here = any(
                start <= p < end for m in matches if any(q in scopes.negated for q in m.positions) for p in m.positions
            )
            # A clause that denies something ("breathing fine", "no swelling") is not sent to the net:
            # its words resemble the emergency they deny.
            denies = any(kind in ("pre", "post") and start <= a < end for a, _b, kind in scopes.triggers)
            # Nor is a clause with a figure of speech in it: what is left of it ("my boss will ... the
            # bill") is no sentence, and the net read such leftovers as emergencies.
            denies = denies or IDIOM in words[start:end]
            # A clause that only tells the dose taken as usual ("took my gabapentin anyway") is not
            # compared clause by clause (that read it as an overdose); any other word ("again",
            # "extra", "all") keeps it in. It still counts in the whole text.
            usual = all(w in routine or p in med_at or _clock_time(words, p)
                        for p, w in enumerate(words[start:end], start) if w not in (COMMA, IDIOM))
            clause_texts.append((s_index, " ".join(chunk), hit or negated_here, denies, usual))
            if not hit:
                unread.append(_typed(pairs, range(start, end)).replace(" ,", ","))
        if backstop and not (asked[s_index] and is_risk_question(words)):
            denied = {p for f, m in zip(here, matches, strict=False) if f.negated for p in m.positions}
            later.append((s_index, pairs, words, stems, inert, denied))
    findings = _pair_dose_count(findings, split, sentence_stems)
    findings = _resolved(findings, sentence_stems)
    # Keep one finding per (kind, id, negated) - the first place it was read.
    seen: set[tuple[str, str, bool]] = set()
    unique = []
    for f in findings:
        key = (f.kind, f.id, f.negated)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    # A sign both affirmed and denied in one text ("no rash on my arms, rash on my legs") stays affirmed.
    affirmed_ids = {(f.kind, f.id) for f in unique if not f.negated}
    unique = [f for f in unique if not (f.negated and (f.kind, f.id) in affirmed_ids)]
    affirmed = [f for f in unique if not f.negated]
    combos = _combinations(affirmed)
    whole = " ".join(c for _, c, _, _, _ in clause_texts)
    reassured = plain_language().semantic.reassured_by
    denies_any = (any(denies for *_, denies, _usual in clause_texts) or any(f.negated for f in unique)
                  or any(w in reassured for w in whole.split()))
    net_text = "" if denies_any else whole
    reading = Reading(text, tuple(all_words), tuple(dict.fromkeys(corrections)), tuple(unique), tuple(combos),
                      experiencer="other" if other else "self", unread=tuple(unread), net_text=net_text)
    if reading.urgency == "emergency":
        return reading
    flags = [(i, h, _typed(pairs, h.positions)) for i, pairs, words, stems, inert, denied in later
             for h in red_flags(words, stems, _clauses(words), inert, denied)]
    if flags:
        reading = _with_backstop(reading, flags)
        if reading.urgency == "emergency":
            return reading
    if not net:
        return reading
    return _with_net(reading, clause_texts)


def _with_backstop(reading: Reading, flags: Sequence[tuple[int, RedFlagHit, str]]) -> Reading:
    """Red-flag words the rules left below emergency: "this may be an emergency" (only escalates).
    Resolved or denied signs never get here (their words are denied)."""
    denied = [f for f in reading.findings if f.negated and f.kind == "sign"]
    found: dict[str, Finding] = {}
    for sentence, hit, words in flags:
        said = set(words.split())
        if any(f.sentence == sentence and (f.effect == hit.effect or said & set(f.words.split())) for f in denied):
            continue  # the rules read this sign in the sentence as denied or over
        found.setdefault(hit.concept, Finding("backstop", hit.concept, hit.effect, words, sentence=sentence))
    if not found:
        return reading
    return replace(reading, possible=(*reading.possible, *found.values()), net="not needed")


def _with_net(reading: Reading, clauses: Sequence[tuple[int, str, bool, bool, bool]]) -> Reading:
    """Two checks, each only escalating: each clause against the emergency descriptions (cosine),
    then the undenied text through the emergency model (a probability)."""
    s = plain_language().semantic
    long_enough = [(i, c, understood) for i, c, understood, denies, usual in clauses
                   if not denies and not usual and len(c.split()) >= s.min_words]
    todo = [(i, c) for i, c, understood in long_enough if not understood]
    # A clause with an expected-only finding is checked too: the net may see more in it.
    todo += [(i, c) for i, c, understood in long_enough
             if understood and not any(f.negated for f in reading.findings if f.sentence == i)]
    whole = reading.net_text if len(reading.net_text.split()) >= s.min_words else ""
    if not todo and not whole:
        return reading
    model = semantic_net()
    if model is None:
        return replace(reading, net=unavailable_reason() or "semantic safety net unavailable; rules only")
    possible = []
    for sentence, clause in dict.fromkeys(todo):
        hit = model.closest(clause)
        if hit.score >= s.threshold:
            possible.append(Finding("semantic", hit.sign, hit.effect, clause, sentence=sentence, score=round(hit.score, 3)))
    # The model is asked only when the rules read no sign at all: fitted to whole texts, it cannot
    # overrule a reading ("I have a rash" is not the rash-with-fever emergency).
    if whole and not possible and reading.urgency is None:
        # Two models, either may flag: the sentence vector alone, and the vector with the text's words
        # (which carries better to a new author's wording; docs/text-understanding.md).
        flagged = [p for p, m in ((model.emergency_probability(whole, m), m)
                                  for m in (emergency_model(), emergency_words_model()))
                   if p >= m.threshold]
        if flagged:
            probability = max(flagged)
            # Named by the closest emergency description, so the advice says what it may mean.
            hit = model.closest(whole)
            # net_text is empty when any clause denies something, so here every clause counts.
            possible.append(Finding("semantic", hit.sign, hit.effect, whole, sentence=clauses[0][0],
                                    score=round(probability, 3)))
    possible.sort(key=lambda f: -(f.score or 0.0))
    return replace(reading, possible=tuple(possible), net="used")
