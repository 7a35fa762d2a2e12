"""Step 3 of reading: signs (``lexicon.toml``) found in one sentence.

Every lexicon phrase and pattern is normalised and stemmed exactly like the person's text (Snowball
English stemmer: "swelling", "swells" -> "swell"), so the data is written in natural words once.

* A *phrase* matches a contiguous run of words.
* A *pattern* is a list of word groups ("lips|face|tongue", "swollen|puffy"); it matches when every
  group occurs in the sentence, at different words, all within ``clauses.pattern_window`` words.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import field
from functools import cache, lru_cache
from itertools import pairwise, product
from typing import Any

import Stemmer  # PyStemmer: the C build of the Snowball stemmers (imports in ~1 ms)

from gabacare._record import record
from gabacare.clinical.text.normalise import normalise_words, tokenise
from gabacare.clinical.text.plain import plain_language
from gabacare.knowledge.cache import derived, gc_paused

__all__ = ["EFFECT_SIGN", "Match", "dose_counts_across", "find_signs", "stem", "stem_phrase"]

EFFECT_SIGN = "effect:"

_STEMMER = Stemmer.Stemmer("english")
_MAX_OCCURRENCES = 6  # per group and sentence: bounds the work on long texts
_BARRIERS = frozenset(_STEMMER.stemWords(["but", "however", "although", "though", "whereas", "except"]))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of one normalised word (commas, digits and the words
    ``normalise.unstemmed`` lists pass through whole).

    >>> stem("swelling")
    'swell'
    """
    if not word.isalpha() or word in _unstemmed():
        return word
    return str(_STEMMER.stemWord(word))


@cache
def _unstemmed() -> frozenset[str]:
    return frozenset(plain_language().normalise.unstemmed)


def stem_phrase(text: str) -> tuple[str, ...]:
    """A lexicon phrase as the stems the matcher compares (same normalisation and spelling
    correction as typed text)."""
    from gabacare.clinical.text.vocabulary import corrector

    fix = corrector()
    return tuple(asleep_stems([stem(fix.correct(w)) for _, w in normalise_words(tokenise(text)) if w != ","]))


def asleep_stems(stems: list[str]) -> list[str]:
    """Stems of falling right before "asleep" as stems of sleeping (``[normalise] asleep`` in language.toml):
    "I fell asleep in the chair" is sleepiness, where "fell" alone names a fall. Applied to the stems the
    lexicon matches, typed text and the lexicon's own phrases alike; the words the semantic net reads and
    the words shown to the reader are left as typed.

    >>> asleep_stems(["i", "fell", "asleep"])
    ['i', 'slept', 'asleep']
    >>> asleep_stems(["i", "fell", "over"])
    ['i', 'fell', 'over']
    """
    verbs, asleep = _asleep_stems()
    if asleep not in stems:
        return stems
    return [verbs.get(s, s) if i + 1 < len(stems) and stems[i + 1] == asleep else s for i, s in enumerate(stems)]


@cache
def _asleep_stems() -> tuple[dict[str, str], str]:
    from gabacare.clinical.text.plain import plain_language

    return {stem(k): stem(v) for k, v in plain_language().normalise.asleep.items()}, stem(ASLEEP)


#: The word after which a word of falling is read as one of sleeping (``[normalise] asleep``).
ASLEEP = "asleep"


@record
class Match:
    """One sign found in a sentence: the sign id and the word positions that matched."""

    sign: str
    positions: tuple[int, ...]


_Groups = tuple[tuple[tuple[str, ...], ...], ...]


class _Patterns(dict[int, tuple[str, _Groups]]):
    """Pattern index -> (sign, groups of alternatives), turned from the cached JSON lists into tuples
    when a sentence first holds a stem of the pattern's first group (most patterns never are)."""

    def __init__(self, raw: list[list[Any]]) -> None:
        super().__init__()
        self._raw = raw

    def __missing__(self, k: int) -> tuple[str, _Groups]:
        sign, groups = self._raw[k]
        value = (sign, tuple(tuple(_split(alt) for alt in group) for group in groups))
        self[k] = value
        return value


_Phrase = tuple[tuple[str, ...], str]  # (stems, sign id)


class _Phrases(dict[str, tuple[_Phrase, ...]]):
    """First stem -> the phrases that start with it (longest first), turned from the cached JSON lists
    into tuples when a sentence first holds that stem (most never occur: ~5,800 wordings). A stem no
    phrase starts with maps to ``()`` and is not kept (a long-running process reads many words)."""

    def __init__(self, raw: dict[str, list[list[Any]]]) -> None:
        super().__init__()
        self._raw = raw

    def __missing__(self, k: str) -> tuple[_Phrase, ...]:
        found = self._raw.get(k)
        if found is None:
            return ()
        value = tuple((_split(stems), sign) for stems, sign in found)
        self[k] = value
        return value


class _Firsts(dict[int, tuple[frozenset[str], ...]]):
    """Pattern index -> per group, the first stems of its alternatives (built on first use)."""

    def __init__(self, patterns: _Patterns) -> None:
        super().__init__()
        self._patterns = patterns

    def __missing__(self, k: int) -> tuple[frozenset[str], ...]:
        value = tuple(frozenset(alt[0] for alt in group if alt) for group in self._patterns[k][1])
        self[k] = value
        return value


@record
class _Compiled:
    phrases: Mapping[str, tuple[_Phrase, ...]]  # first stem -> (stems, sign id), longest first
    patterns: Mapping[int, tuple[str, _Groups]]  # pattern index -> (sign, groups of alternatives)
    window: int
    # Per pattern, per group: the first stems of its alternatives (a quick "could it match?" test).
    firsts: Mapping[int, tuple[frozenset[str], ...]] = field(default_factory=dict)
    # First stem of any alternative of a pattern's first group -> the patterns (by index).
    by_first_group: dict[str, tuple[int, ...]] = field(default_factory=dict)
    alone: dict[tuple[str, ...], str] = field(default_factory=dict)  # whole-sentence phrases
    ordered: frozenset[int] = frozenset()  # patterns whose groups must come in the order written


_Rule = tuple[tuple[str, ...], tuple[tuple[str, ...], ...], frozenset[str]]


def _variant_rules() -> tuple[_Rule, ...]:
    """``language.toml`` ``[[variants]]`` as stems: (written, also, not before)."""
    from gabacare.knowledge.language import load_language  # (the compiled lexicon is built from the validated language)

    return tuple(
        (stem_phrase(v.written), tuple(stem_phrase(a) for a in v.also),
         frozenset(s for w in v.not_before for s in stem_phrase(w)))
        for v in load_language().variants
    )


def with_variants(stems: tuple[str, ...], rules: Sequence[_Rule]) -> list[tuple[str, ...]]:
    """A lexicon wording and its grammatical variants: the first word-family member followed by a
    state ("gone puffy") is replaced by each other member ("going puffy", "keep go puffy")."""
    out = [stems]
    for written, also, stop in rules:
        n = len(written)
        for i in range(len(stems) - n):
            if stems[i:i + n] == written and stems[i + n] not in stop:
                out += [stems[:i] + a + stems[i + n:] for a in also]
                break
    return list(dict.fromkeys(out))


def _build_lists() -> dict[str, Any]:
    from gabacare.knowledge.language import IN_ORDER, load_language
    from gabacare.knowledge.monograph import load_monograph

    lang = load_language()
    rules = _variant_rules()
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    patterns: list[list[Any]] = []
    ordered: list[int] = []  # indices of the patterns read in order (IN_ORDER)
    for sign in lang.lexicon.signs:
        for phrase in sign.phrases:
            for stems in with_variants(stem_phrase(phrase), rules):
                if stems:
                    by_first.setdefault(stems[0], []).append((stems, sign.id))
        for pattern in sign.patterns:
            if pattern[0] == IN_ORDER:
                ordered.append(len(patterns))
                pattern = pattern[1:]
            groups = [[list(v) for s in (stem_phrase(alt) for alt in group.split("|")) if s for v in with_variants(s, rules)]
                      for group in pattern]
            patterns.append([sign.id, groups])
    # The adverse effects' own phrases (gabapentin.toml) are read too, as signs named after the effect
    # ("effect:dress"); they take no part in combination rules, which name lexicon signs.
    for effect in load_monograph().adverse_effects:
        for phrase in effect.phrases:
            stems = stem_phrase(phrase)
            if stems:
                by_first.setdefault(stems[0], []).append((stems, f"{EFFECT_SIGN}{effect.id}"))
    # Lists only (JSON has no tuples): the cache keeps values that survive a JSON round trip.
    phrases = {k: [[list(stems), sign] for stems, sign in sorted(v, key=lambda p: -len(p[0]))] for k, v in by_first.items()}
    alone = [[list(stem_phrase(a)), sign.id] for sign in lang.lexicon.signs for a in sign.alone]
    return {"phrases": phrases, "patterns": patterns, "alone": alone, "ordered": ordered}


# The cache holds each wording's stems as one space-separated string (a fifth less JSON and a third
# of the decoding time of a list per wording); a stem that is empty or holds a space (none does: a
# stem is a word) keeps its wording a list.
_Stems = str | list[str]


def _joined(stems: list[str]) -> _Stems:
    return " ".join(stems) if stems and all(s and " " not in s for s in stems) else stems


def _split(stems: _Stems) -> tuple[str, ...]:
    return tuple(stems.split(" ") if isinstance(stems, str) else stems)


def _first(stems: _Stems) -> str:
    return stems.split(" ", 1)[0] if isinstance(stems, str) else stems[0]


def _build() -> dict[str, Any]:
    raw = _build_lists()
    return {
        "phrases": {k: [[_joined(stems), sign] for stems, sign in v] for k, v in raw["phrases"].items()},
        "patterns": [[sign, [[_joined(alt) for alt in group] for group in groups]] for sign, groups in raw["patterns"]],
        "alone": raw["alone"],
        "ordered": raw["ordered"],
    }


@cache
def _compiled() -> _Compiled:
    from gabacare.clinical.text import normalise, spelling, vocabulary

    code = (__file__, normalise.__file__, spelling.__file__, vocabulary.__file__)
    with gc_paused():  # ~10k small lists and tuples: no collector passes over the whole heap meanwhile
        raw = derived("text-lexicon", vocabulary.DATA_FILES, code, _build)
        phrases = _Phrases(raw["phrases"])
        # Patterns become tuples when first needed; only their first groups' first stems are read now.
        patterns = _Patterns(raw["patterns"])
        index: dict[str, list[int]] = {}
        for k, (_, groups) in enumerate(raw["patterns"]):
            for stem_ in sorted({_first(alt) for alt in groups[0] if alt}):
                index.setdefault(stem_, []).append(k)
        by_first = {s: tuple(v) for s, v in index.items()}
        alone = {tuple(stems): sign for stems, sign in raw["alone"]}
    return _Compiled(phrases, patterns, plain_language().clauses.pattern_window, _Firsts(patterns), by_first, alone,
                     frozenset(raw["ordered"]))


def _occurrences(stems: Sequence[str], where: dict[str, list[int]],
                 alternatives: tuple[tuple[str, ...], ...]) -> list[tuple[int, ...]]:
    found: list[tuple[int, ...]] = []
    for alt in alternatives:
        n = len(alt)
        for i in where.get(alt[0], ()):
            if tuple(stems[i:i + n]) == alt:
                found.append(tuple(range(i, i + n)))
                if len(found) >= _MAX_OCCURRENCES:
                    return found
    return found


@cache
def _comma_bound() -> frozenset[str]:
    """Stems that count in a pattern only beside its other words (``[clauses] comma_bound`` and the
    number words of ``[dose_counts]``; digits are always such words)."""
    lang = plain_language()
    numbers = () if lang.dose_counts is None else tuple(lang.dose_counts.numbers)
    return frozenset(stem(w) for w in (*lang.clauses.comma_bound, *numbers))


def measured_amount(stems: Sequence[str], occ: Sequence[int]) -> bool:
    """Whether ``occ`` is one bare number followed by a weight ("100 mg", a ``[dose_counts] dose_units``
    word of kind "mg"): an amount, never a count of capsules ("took 100 mg of gabapentin" is one small
    capsule, not a hundred).

    >>> measured_amount("took 100 mg today".split(), (1,)), measured_amount("took 100 today".split(), (1,))
    (True, False)
    """
    rule = _dose_count_rule()
    if rule is None or len(occ) != 1 or not stems[occ[0]].isdigit():
        return False
    _, _, _, units, other, *_ = rule
    return _unit_at(stems, occ[0], units, other) == "mg"


def _alone_past_comma(stems: Sequence[str], occ: tuple[int, ...], combo: Sequence[tuple[int, ...]],
                      commas: Sequence[int]) -> bool:
    """Whether ``occ`` (one group's words) is only a number or day word with a comma between it and
    every other group's words: "lost by 40, took my caps" reads no "took 40 caps"."""
    bound = _comma_bound()
    if not all(stems[p].isdigit() or stems[p] in bound for p in occ):
        return False
    mine = bisect_left(commas, occ[0])
    return all(bisect_left(commas, p) != mine for other in combo if other is not occ for p in other)


def find_signs(stems: Sequence[str]) -> list[Match]:
    """Every sign match in one sentence's stems (a sign may match more than once)."""
    c = _compiled()
    out: list[Match] = []
    whole = tuple(s for s in stems if s != ",")
    if whole in c.alone:
        out.append(Match(c.alone[whole], tuple(range(len(stems)))))
    for i, s in enumerate(stems):
        for phrase, sign in c.phrases[s]:
            if tuple(stems[i:i + len(phrase)]) == phrase:
                out.append(Match(sign, tuple(range(i, i + len(phrase)))))
    # A pattern's words must be in one clause: "ankles puffed up but my lips are fine" is two.
    # NOTE: "and my ..." is not a barrier: one event is often told in two clauses ("zoned out ...
    # and his hand was twitching"), and a missed emergency costs more than an over-read.
    barrier = [i for i, s in enumerate(stems) if s in _BARRIERS]
    commas = [i for i, s in enumerate(stems) if s == ","]
    where: dict[str, list[int]] = {}
    for i, s in enumerate(stems):
        where.setdefault(s, []).append(i)
    present = where.keys()
    candidates = sorted({k for s in present for k in c.by_first_group.get(s, ())})
    loose: list[Match] = []
    for k in candidates:
        (sign, groups), firsts = c.patterns[k], c.firsts[k]
        if any(f.isdisjoint(present) for f in firsts):
            continue
        options = [_occurrences(stems, where, group) for group in groups]
        if not all(options):
            continue
        best: tuple[int, ...] | None = None
        in_order = k in c.ordered
        for combo in product(*options):
            flat = [p for occ in combo for p in occ]
            if len(set(flat)) != len(flat):
                continue  # two groups on the same word
            if in_order and any(a[-1] >= b[0] for a, b in pairwise(combo)):
                continue
            if any(min(flat) < b < max(flat) for b in barrier):
                continue
            if commas and any(_alone_past_comma(stems, occ, combo, commas) for occ in combo):
                continue
            if any(measured_amount(stems, occ) for occ in combo):
                continue
            if max(flat) - min(flat) < c.window and (best is None or max(flat) - min(flat) < max(best) - min(best)):
                best = tuple(sorted(flat))
        if best is not None:
            loose.append(Match(sign, best))
    return out + _attached(loose, out) + _dose_counts(stems)


@cache
def _per_day() -> dict[tuple[str, ...], int]:
    """``[dose_counts] per_day`` as stemmed phrases (longest first) -> doses a day."""
    rule = plain_language().dose_counts
    if rule is None:
        return {}
    phrases = {tuple(stem(w) for _, w in normalise_words(tokenise(p))): n for p, n in rule.per_day.items()}
    return dict(sorted(phrases.items(), key=lambda kv: -len(kv[0])))


@cache
def _day_words() -> tuple[tuple[str, ...], ...]:
    rule = plain_language().dose_counts
    words = () if rule is None else rule.day_words
    return tuple(sorted({tuple(stem(w) for _, w in normalise_words(tokenise(p))) for p in words}, key=len, reverse=True))


@cache
def _over_label_max() -> tuple[frozenset[tuple[str, ...]], frozenset[str], int] | None:
    """The taken phrases (stemmed) that may read an amount above the label's maximum daily dose, the
    period words that make it a longer total, and that maximum in mg (the monograph's ``[limits]
    max_daily_mg``, label 2.1, 2.2); None without them."""
    from gabacare.clinical.text.plain import plain_monograph

    rule = plain_language().dose_counts
    if rule is None or not rule.over_label_max_taken:
        return None
    words = frozenset(tuple(stem(w) for _, w in normalise_words(tokenise(t)) if w != ",") for t in rule.over_label_max_taken)
    periods = frozenset(stem(w) for w in rule.over_label_max_periods)
    return words, periods, plain_monograph().limits.max_daily_mg


@cache
def _dose_count_rule() -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...], dict[str, int],
                                dict[str, str], frozenset[str], int, int, str, int] | None:
    rule = plain_language().dose_counts
    if rule is None:
        return None
    # Plain words, not spelling-corrected: correcting "says" or "gp" would read the English word list,
    # which a text of known words never needs (the rule's words are English, typed text is corrected).
    def plain(text: str) -> tuple[str, ...]:
        return tuple(stem(w) for _, w in normalise_words(tokenise(text)) if w != ",")

    taken = tuple(sorted({plain(t) for t in rule.taken}, key=len, reverse=True))
    meant = tuple(sorted({plain(t) for t in rule.meant}, key=len, reverse=True))
    numbers = {stem(w): n for w, n in rule.numbers.items()}
    units = {stem(w): kind for w, kind in rule.dose_units.items()}
    other = frozenset(stem(w) for w in rule.other_units)
    return taken, meant, numbers, units, other, rule.reach, rule.window, rule.sign, rule.max_digits


#: A count and its unit written as one word ("3600mg", "6ml").
_NUMBER_UNIT = re.compile(r"(\d+)([a-z]+)")


def _count_at(stems: Sequence[str], start: int, reach: int, numbers: Mapping[str, int],
              max_digits: int) -> tuple[int, int] | None:
    """The first count within ``reach`` words from ``start``: (position, value)."""
    for i in range(start, min(start + reach, len(stems))):
        s = stems[i]
        if s == "," and i == start:
            continue  # a list's label and its count: "actual: 900mg" (a colon reads as a comma)
        if s == ",":
            return None
        if s.isdigit() and len(s) <= max_digits:
            return i, int(s)
        joined = _NUMBER_UNIT.fullmatch(s)  # "3600mg": a count with its unit in one word
        if joined is not None and len(joined[1]) <= max_digits:
            return i, int(joined[1])
        if s in numbers:
            return i, numbers[s]
    return None


def _unit_at(stems: Sequence[str], pos: int, units: Mapping[str, str], other: frozenset[str]) -> str | None:
    """The kind of unit written with the count at ``pos`` ("300mg" or "300 mg" -> "mg", "8 capsules" ->
    "count"), "other" for a unit of something else ("8 hours"), None without one."""
    joined = _NUMBER_UNIT.fullmatch(stems[pos])
    nxt = joined[2] if joined is not None else stems[pos + 1] if pos + 1 < len(stems) else ""
    return units.get(nxt, "other" if nxt in other else None)


def _phrase_after(stems: Sequence[str], pos: int, phrases: Sequence[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The first of ``phrases`` right after the count at ``pos`` (a unit word in between is allowed)."""
    for start in (pos + 1, pos + 2):
        found = next((p for p in phrases if tuple(stems[start:start + len(p)]) == p), None)
        if found is not None:
            return found
    return None


def _dose_counts(stems: Sequence[str]) -> list[Match]:
    """More taken than meant ("took 8 ... meant to have 3"), by the rule ``[dose_counts]`` of
    ``language.toml``: one match on the two counts and the words that name them."""
    rule = _dose_count_rule()
    if rule is None or (not any(s[:1].isdigit() for s in stems) and not any(s in rule[2] for s in stems)):
        return []
    taken, meant, numbers, units, other, reach, window, sign, max_digits = rule

    def counts(phrases: tuple[tuple[str, ...], ...]) -> list[tuple[int, int, int, int]]:
        found = []
        for i in range(len(stems)):
            for ph in phrases:
                if tuple(stems[i:i + len(ph)]) == ph:
                    at = _count_at(stems, i + len(ph), reach, numbers, max_digits)
                    if at is not None:
                        found.append((i, i + len(ph), *at))
                    break
        return found

    def unit(pos: int) -> str | None:
        return _unit_at(stems, pos, units, other)

    def after(pos: int, phrases: Sequence[tuple[str, ...]]) -> tuple[str, ...] | None:
        return _phrase_after(stems, pos, phrases)

    for t_start, t_end, t_pos, t_value in counts(taken):
        for m_start, m_end, m_pos, m_value in counts(meant):
            if (m_start < t_end and t_start < m_end) or abs(m_pos - t_pos) > window:
                continue
            a, b = unit(t_pos), unit(m_pos)
            # "on 600 three times a day ... had 3600 today": a day's total against the day's plan.
            per_day = _per_day()
            times = after(m_pos, list(per_day))
            if times is not None and after(t_pos, _day_words()) is not None:
                m_value *= per_day[times]
                a = b = "daily"
            if t_value <= m_value:
                continue
            if "other" in (a, b) or (a is None and b is None) or (a and b and a != b):
                continue
            words = {*range(t_start, t_end), t_pos, *range(m_start, m_end), m_pos}
            return [Match(sign, tuple(sorted(words)))]
    return []


def amount_over_label_max(stems: Sequence[str]) -> Match | None:
    """An amount in mg said to have been taken above the label's maximum daily dose ("took 4000mg of
    gabapentin today"), by ``[dose_counts] over_label_max_taken`` and the monograph's ``[limits]
    max_daily_mg`` (label 2.1, 2.2): an overdose with no plan to compare it with. Not after "take" (a
    question) nor before a word of ``per_day`` ("took 4000 mg a day": a regimen). Which medicine it is
    the caller decides (another medicine's amount is not gabapentin's).

    >>> amount_over_label_max("i took 4000mg of gabapentin today".split()).sign
    'overdose'
    >>> amount_over_label_max("i took 3000 mg today".split()) is None
    True
    """
    rule, over = _dose_count_rule(), _over_label_max()
    if rule is None or over is None or not any(s[:1].isdigit() for s in stems):
        return None
    taken, _, numbers, units, other, reach, _, sign, max_digits = rule
    past, periods, limit = over
    per_day = list(_per_day())
    for i in range(len(stems)):
        phrase = next((ph for ph in taken if tuple(stems[i:i + len(ph)]) == ph), None)
        if phrase is None or phrase not in past:
            continue
        # Up to six digits here ("took 10000 mg"), where a count stops at max_digits (phone numbers): a
        # bound on reading a number, not a dose.
        at = _count_at(stems, i + len(phrase), reach, numbers, max(max_digits, 6))
        if at is None or at[1] <= limit or _unit_at(stems, at[0], units, other) != "mg":
            continue
        rest = at[0] + (1 if _NUMBER_UNIT.fullmatch(stems[at[0]]) else 2)  # the first word after the unit
        if _phrase_after(stems, at[0], per_day) is not None or not periods.isdisjoint(stems[rest:rest + reach + 1]):
            continue
        return Match(sign, (*range(i, i + len(phrase)), at[0]))
    return None


def dose_counts_across(first: Sequence[str], second: Sequence[str]) -> Match | None:
    """More taken than meant told over two sentences in a row ("I had 6 tablets today. I should have
    2."): the rule of :func:`_dose_counts` over both sentences' stems, one after the other (positions
    count from the start of ``first``). Within one sentence :func:`find_signs` reads it already.

    >>> dose_counts_across("i had 6 tablet today".split(), "i should have 2".split()).sign
    'overdose'
    >>> dose_counts_across("i had 2 tablet today".split(), "i should have 2".split()) is None
    True
    """
    found = _dose_counts([*first, *second])
    return found[0] if found else None


def _attached(loose: list[Match], tight: list[Match]) -> list[Match]:
    """Pattern matches whose words belong together.

    A state word ("puffy") binds to the nearest body part that a pattern pairs it with: in "dry
    mouth and my ankles are puffy", "ankles ... puffy" is nearer than "mouth ... puffy", and "mouth"
    already belongs to another finding ("dry mouth"), so "mouth ... puffy" is not read. When the
    farther word is not owned by another finding ("lips and ankles are puffy") both are read.
    """
    if len(loose) < 2:
        return loose
    owned: dict[int, set[str]] = {}
    for m in tight:
        if len(m.positions) > 1:
            for p in m.positions:
                owned.setdefault(p, set()).add(m.sign)
    keep = []
    for m in loose:
        mine = set(m.positions)
        dropped = False
        for n in loose:
            shared = mine & set(n.positions)
            if n.sign == m.sign or not shared:
                continue
            own, theirs = mine - shared, set(n.positions) - shared
            if not own or not theirs:
                continue
            anchor = min(shared) if max(own) < min(shared) else max(shared)
            nearer = all(abs(t - anchor) < min(abs(o - anchor) for o in own) for t in theirs)
            taken = any(owned.get(o, set()) - {m.sign} for o in own)
            if nearer and taken:
                dropped = True
                break
        if not dropped:
            keep.append(m)
    return keep
