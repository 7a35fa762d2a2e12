"""Step 4 of reading: which findings a person denies (NegEx triggers, ConText scope).

Triggers come from ``language.toml`` ``[negation]`` (sources chapman-2001, harkema-2009):

* a *pre* trigger ("no", "not", "do not have", "never") negates what follows it;
* a *post* trigger ("has gone down", "went away") negates what precedes it;
* a *pseudo* trigger ("not sure", "no one", "will not stop") looks like a negation but is not: its
  words neither negate nor start a scope - several of them say the symptom is present;
* a scope ends at a comma, a *terminate* word ("but", "and my", "still"), the sentence end, or
  ``negation.window`` words.

Words that belong to a finding ("not" in "not breathing", "can not" in "can not breathe") are not
triggers: the finding itself says something is wrong. A finding is negated when any of its words
lies inside a scope. When unsure (pseudo triggers, "not sure if"), the finding stays affirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from gabacare.clinical.text.normalise import COMMA
from gabacare.knowledge.language import load_language

__all__ = ["Scopes", "negation_scopes"]


@dataclass(frozen=True)
class Scopes:
    """Word positions inside a negation scope, and the triggers found (for display and tests)."""

    negated: frozenset[int]
    triggers: tuple[tuple[int, int, str], ...]  # (start, end, kind) with kind pre|post|pseudo|terminate


@cache
def _triggers() -> tuple[tuple[tuple[str, ...], str], ...]:
    n = load_language().negation
    rows = [(tuple(t.split()), kind) for kind, words in
            (("pseudo", n.pseudo), ("pre", n.pre), ("post", n.post), ("terminate", n.terminate)) for t in words]
    # Longest first; at equal length pseudo before pre/post (a pseudo trigger must win its words).
    order = {"pseudo": 0, "pre": 1, "post": 1, "terminate": 2}
    return tuple(sorted(rows, key=lambda r: (-len(r[0]), order[r[1]])))


def negation_scopes(words: Sequence[str], inert: Iterable[int] = ()) -> Scopes:
    """Positions of ``words`` (normalised, one sentence) that a negation covers.

    ``inert`` are positions owned by findings: they cannot be (part of) a trigger.

    Examples
    --------
    >>> sorted(negation_scopes("my lips are not swollen".split()).negated)
    [4]
    >>> sorted(negation_scopes("no fever but my throat is tight".split()).negated)
    [1]
    """
    window = load_language().negation.window
    blocked = set(inert)
    taken = [False] * len(words)
    found: list[tuple[int, int, str]] = []
    for phrase, kind in _triggers():
        n = len(phrase)
        for i in range(len(words) - n + 1):
            span = range(i, i + n)
            if tuple(words[i:i + n]) == phrase and not any(taken[j] or j in blocked for j in span):
                for j in span:
                    taken[j] = True
                found.append((i, i + n, kind))
    found.sort()
    stops = {i for i, w in enumerate(words) if w == COMMA}
    for start, end, kind in found:
        if kind == "terminate":
            stops.update(range(start, end))
    negated: set[int] = set()
    for start, end, kind in found:
        if kind == "pre":
            j = end
            while j < len(words) and j < end + window and j not in stops:
                negated.add(j)
                j += 1
        elif kind == "post":
            j = start - 1
            while j >= 0 and j >= start - window and j not in stops:
                negated.add(j)
                j -= 1
    return Scopes(frozenset(negated), tuple(found))
