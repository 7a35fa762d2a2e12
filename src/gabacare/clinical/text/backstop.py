"""Step 6 of reading: the backstop - "when unsure, escalate" (``language.toml`` ``[backstop]``).

For every emergency concept the data lists red-flag words ("breathe", "swollen" + "lips", "by
mistake" + "took"). :func:`red_flags` finds them in one sentence, clause by clause, and keeps those
that are said and not denied: the words of a matched alternative are never negation triggers (in
"can not breathe" the negation *is* the red flag), every other word goes through the same NegEx /
ConText scopes as the lexicon. The reader adds a hit only when the rules rated the whole text below
emergency; it can only escalate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from gabacare._record import record
from gabacare.clinical.text.lexicon import measured_amount, stem_phrase
from gabacare.clinical.text.negation import negation_scopes
from gabacare.clinical.text.normalise import COMMA, normalise_words, tokenise
from gabacare.clinical.text.plain import plain_language

__all__ = ["RedFlagHit", "red_flags"]


@record
class RedFlagHit:
    """A backstop concept said in a clause: its id, effect, and the word positions that said it."""

    concept: str
    effect: str
    positions: tuple[int, ...]


# (concept id, effect, patterns: groups of alternatives as stems, unless phrases as stems)
_Concept = tuple[str, str, tuple[tuple[tuple[tuple[str, ...], ...], ...], ...], tuple[tuple[str, ...], ...]]
# first stem of an alternative -> (concept index, pattern index, group index, the alternative's stems)
_FirstIndex = dict[str, tuple[tuple[int, int, int, tuple[str, ...]], ...]]


def _build_concepts() -> dict[str, Any]:
    """The backstop's concepts with their words as stems, and the question cues' words, as JSON lists:
    ``{"concepts": [[id, effect, patterns, unless], ...], "cues": [...]}`` (:func:`_concepts`)."""
    b = plain_language().backstop
    concepts: list[list[Any]] = []
    for c in b.concepts if b is not None else ():
        patterns = [[[list(stem_phrase(alt)) for alt in group.split("|") if stem_phrase(alt)] for group in pattern]
                    for pattern in c.patterns]
        concepts.append([c.id, c.effect, patterns, [list(stem_phrase(u)) for u in c.unless]])
    cues = [[w for _, w in normalise_words(tokenise(q))] for q in (b.question_cues if b is not None else ())]
    return {"concepts": concepts, "cues": cues}


def _words(value: Any, *, empty: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(type(w) is str for w in value) or not (value or empty):
        raise TypeError("expected a list of words")
    return tuple(value)


def _lists(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def _read_concepts(raw: Any) -> tuple[tuple[_Concept, ...], tuple[tuple[str, ...], ...]]:
    """:func:`_build_concepts`'s lists as tuples; ``TypeError`` or ``ValueError`` for anything of another
    shape (a pattern's alternative is never empty: the matcher starts from its first stem)."""
    if not isinstance(raw, dict) or raw.keys() != {"concepts", "cues"}:
        raise ValueError("expected the concepts and the cues")
    out: list[_Concept] = []
    for concept in _lists(raw["concepts"]):
        cid, effect, patterns, unless = _lists(concept)
        if type(cid) is not str or type(effect) is not str:
            raise TypeError("expected a concept's id and effect")
        stems = tuple(tuple(tuple(_words(alt, empty=False) for alt in _lists(group)) for group in _lists(pattern))
                      for pattern in _lists(patterns))
        out.append((cid, effect, stems, tuple(_words(u) for u in _lists(unless))))
    return tuple(out), tuple(_words(c) for c in _lists(raw["cues"]))


@cache
def _concepts() -> tuple[tuple[_Concept, ...], int, tuple[tuple[str, ...], ...], _FirstIndex]:
    """The concepts as stems, the gap, the question cues' words, and the index by first stem.

    Stemming the concepts' ~1,200 words (each through the spelling corrector) costs every new process
    tens of milliseconds, so the stems are kept in the cache directory
    (:func:`gabacare.knowledge.cache.derived`) under the files and code the compiled lexicon's are kept
    under, and this module's; a cached value of another shape is not used (built again)."""
    b = plain_language().backstop
    if b is None:
        return (), 0, (), {}
    from gabacare.clinical.text import lexicon, normalise, plain, spelling, vocabulary
    from gabacare.knowledge import plain as plain_copies
    from gabacare.knowledge.cache import derived, gc_paused

    code = (__file__, lexicon.__file__, normalise.__file__, spelling.__file__, vocabulary.__file__, plain.__file__,
            plain_copies.__file__)
    with gc_paused():
        try:
            out, cues = _read_concepts(derived("text-backstop", vocabulary.DATA_FILES, code, _build_concepts))
        except (TypeError, ValueError):
            out, cues = _read_concepts(_build_concepts())
    first: dict[str, list[tuple[int, int, int, tuple[str, ...]]]] = {}
    for ci, (_, _, patterns, _) in enumerate(out):
        for pi, pattern in enumerate(patterns):
            for gi, group in enumerate(pattern):
                for alt in group:
                    first.setdefault(alt[0], []).append((ci, pi, gi, alt))
    return out, b.gap, cues, {k: tuple(v) for k, v in first.items()}


def _at(stems: Sequence[str], i: int, end: int, phrase: tuple[str, ...], gap: int) -> tuple[int, ...] | None:
    """Positions of ``phrase`` starting at ``i`` (before ``end``); up to ``gap`` words may sit
    between two of its words ("can not i breathe"), never a comma."""
    positions = [i]
    j = i + 1
    for word in phrase[1:]:
        k, limit = j, min(end, j + gap + 1)
        while k < limit and stems[k] != word and stems[k] != COMMA:
            k += 1
        if k >= limit or stems[k] != word:
            return None
        positions.append(k)
        j = k + 1
    return tuple(positions)


def _contains(stems: Sequence[str], start: int, end: int, phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(stems[i:i + n]) == phrase for i in range(start, end - n + 1))


def is_risk_question(words: Sequence[str]) -> bool:
    """Whether a question sentence asks about a risk ("will stopping cause seizures?") rather than
    reporting something ("why can not i breathe?")."""
    _, _, cues, _ = _concepts()
    return any(tuple(words[:len(c)]) == c for c in cues if c)


def red_flags(words: Sequence[str], stems: Sequence[str], clauses: Iterable[tuple[int, int]],
              inert: Iterable[int] = (), denied: Iterable[int] = ()) -> list[RedFlagHit]:
    """Backstop concepts said, and not denied, in one sentence.

    ``words``/``stems`` are the sentence's normalised words and their stems, ``clauses`` its
    (start, end) clause spans, ``inert`` the positions of the rules' findings (never triggers) and
    ``denied`` the positions of findings the rules read as denied or resolved (never a red flag).

    Examples
    --------
    >>> from gabacare.clinical.text.lexicon import stem
    >>> w = "why can not i breathe properly".split()
    >>> [h.concept for h in red_flags(w, [stem(x) for x in w], [(0, len(w))])]
    ['breathing', 'not-breathing']
    >>> w = "no problems with breathing".split()  # two words apart: not "no breathing"
    >>> red_flags(w, [stem(x) for x in w], [(0, len(w))])
    []
    >>> w = "i can breathe fine".split()
    >>> red_flags(w, [stem(x) for x in w], [(0, len(w))])
    []
    """
    concepts, gap, _, first = _concepts()
    denied_at = set(denied)
    candidates: list[tuple[str, str, list[list[tuple[int, ...]]]]] = []
    for start, end in clauses:
        # Every alternative said in the clause, by (concept, pattern, group): one pass over its words.
        said: dict[tuple[int, int], dict[int, list[tuple[int, ...]]]] = {}
        for i in range(start, end):
            for ci, pi, gi, alt in first.get(stems[i], ()):
                occ = _at(stems, i, end, alt, gap)
                # "had 100 mg": an amount, not a hundred of something
                if occ is not None and not measured_amount(stems, occ):
                    said.setdefault((ci, pi), {}).setdefault(gi, []).append(occ)
        for (ci, pi), groups in said.items():
            cid, effect, patterns, unless = concepts[ci]
            if len(groups) < len(patterns[pi]) or any(_contains(stems, start, end, u) for u in unless):
                continue
            candidates.append((cid, effect, [groups[g] for g in range(len(patterns[pi]))]))
    if not candidates:
        return []
    owned = {p for _, _, occurrences in candidates for group in occurrences for occ in group for p in occ}
    scopes = negation_scopes(words, set(inert) | owned)
    out: list[RedFlagHit] = []
    seen: set[str] = set()
    for cid, effect, occurrences in candidates:
        if cid in seen:
            continue
        chosen = []
        for group in occurrences:
            kept = [occ for occ in group if not any(p in scopes.negated or p in denied_at for p in occ)]
            if not kept:
                break
            chosen.append(kept[0])
        else:
            seen.add(cid)
            out.append(RedFlagHit(cid, effect, tuple(sorted(p for occ in chosen for p in occ))))
    return out
