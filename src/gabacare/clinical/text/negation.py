"""Step 4 of reading: which findings a person denies (NegEx triggers, ConText scope).

Triggers come from ``language.toml`` ``[negation]`` (sources chapman-2001, harkema-2009):

* a *pre* trigger ("no", "not", "do not have", "never") negates what follows it;
* a *post* trigger ("has gone down", "went away") negates what precedes it;
* a *pseudo* trigger ("not sure", "no one", "will not stop") looks like a negation but is not: its
  words neither negate nor start a scope - several of them say the symptom is present;
* a clinical denial ("denies", "nil", "no c/o": ``list_triggers``) carries over a comma list to
  the end of the sentence ("denies SI, SOB, chest pain"); other triggers only into a list closed by
  "or"/"nor";
* a scope ends at a comma, a *terminate* word ("but", "and my", "still"), the sentence end, or
  ``negation.window`` words.

Words that belong to a finding ("not" in "not breathing", "can not" in "can not breathe") are not
triggers: the finding itself says something is wrong. A finding is negated when any of its words
lies inside a scope. When unsure (pseudo triggers, "not sure if"), the finding stays affirmed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache

from gabacare._record import record
from gabacare.clinical.text.normalise import COMMA
from gabacare.clinical.text.plain import plain_language

__all__ = ["Scopes", "checklist_denials", "negation_scopes", "no_means"]


@record
class Scopes:
    """Word positions inside a negation scope, and the triggers found (for display and tests)."""

    negated: frozenset[int]
    triggers: tuple[tuple[int, int, str], ...]  # (start, end, kind) with kind pre|post|pseudo|terminate
    # Positions negated by a *post* trigger alone ("had a fit, he is ok now"): the signs named in
    # [negation] post_never_negates stay present there (recovery does not cancel their urgency).
    post_only: frozenset[int] = frozenset()
    # Positions negated only by a post trigger that says something went away ([negation] post_passed:
    # "the swelling went down"): the signs in [negation] passed_never_negates stay present there.
    passed_only: frozenset[int] = frozenset()


_ORDER = {"pseudo": 0, "pre": 1, "post": 1, "terminate": 2}


@cache
def _triggers() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """Trigger phrases indexed by their first word."""
    n = plain_language().negation
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for kind, words in (("pseudo", n.pseudo), ("pre", n.pre), ("post", n.post), ("terminate", n.terminate)):
        for t in words:
            phrase = tuple(t.split())
            index.setdefault(phrase[0], []).append((phrase, kind))
    return {k: tuple(v) for k, v in index.items()}


@cache
def denial_words() -> frozenset[str]:
    """The one-word denial triggers ("no", "not", "never", "deny", "nil"): the spelling corrector may
    not turn a word it does not know into one of them (``reading.read_text``). A slip read as a denial
    would hide what it denies ("my reny had a seizure": Malagasy *reny*, mother, is one edit from
    "deny"); a denial mistyped and left as typed at worst raises an alarm. When unsure, escalate.

    >>> sorted({"no", "not", "deny"} & denial_words())
    ['deny', 'no', 'not']
    """
    n = plain_language().negation
    return frozenset(t for t in (*n.pre, *n.post, *n.list_triggers) if " " not in t)


@cache
def _list_triggers() -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(t.split()) for t in plain_language().negation.list_triggers)


def _list_items(words: Sequence[str], comma: int, stops: set[int], open_list: bool = False) -> set[int]:
    """Positions of the items of a list that continues a negation past ``comma`` ("no rash, fever
    or swelling"), or none when what follows is not such a list. After a clinical denial trigger
    (``open_list``: "denies SI, SOB, chest pain") the list needs no closing "or"."""
    n = plain_language().negation
    connectors, breakers = set(n.list_connectors), set(n.list_breakers)
    items: list[list[int]] = []
    current: list[int] = []
    j = comma + 1
    while j < len(words) and (j not in stops or words[j] == COMMA):
        if words[j] == COMMA:
            items.append(current)
            current = []
        else:
            current.append(j)
        j += 1
    items.append(current)
    words_of = [[words[k] for k in item if words[k] not in connectors] for item in items]
    if not items or not (open_list or any(words[k] in connectors for k in items[-1])):
        return set()  # a list ends with "or"/"nor"; anything else is a new statement
    if any(not w or len(w) > n.list_item_words or w[0] in breakers for w in words_of):
        return set()
    return {k for item in items for k in item}


def negation_scopes(words: Sequence[str], inert: Iterable[int] = ()) -> Scopes:
    """Positions of ``words`` (normalised, one sentence) that a negation covers.

    ``inert`` are positions owned by findings: they cannot be (part of) a trigger, except a terminator
    (which only ends scopes).

    Examples
    --------
    >>> sorted(negation_scopes("my lips are not swollen".split()).negated)
    [4]
    >>> sorted(negation_scopes("no fever but my throat is tight".split()).negated)
    [1]
    >>> sorted(negation_scopes("no fits at all , until this morning".split()).negated)
    []
    """
    window = plain_language().negation.window
    lists = _list_triggers()
    blocked = set(inert)
    index = _triggers()
    candidates = [
        (i, phrase, kind)
        for i, w in enumerate(words)
        for phrase, kind in index.get(w, ())
        if tuple(words[i:i + len(phrase)]) == phrase
    ]
    # Longest first; at equal length a pseudo trigger before pre/post (it must win its words), then
    # terminators; a word belongs to one trigger at most.
    candidates.sort(key=lambda c: (-len(c[1]), _ORDER[c[2]], c[0]))
    taken = [False] * len(words)
    found: list[tuple[int, int, str]] = []
    for i, phrase, kind in candidates:
        span = range(i, i + len(phrase))
        # A terminator may sit in a finding's words ("... no suit on so it all ends": the finding "so it all
        # ends" starts with "so it"): it only ends a scope, so it can never make a finding denied.
        if not any(taken[j] or (j in blocked and kind != "terminate") for j in span):
            for j in span:
                taken[j] = True
            found.append((i, i + len(phrase), kind))
    found.sort()
    stops = {i for i, w in enumerate(words) if w == COMMA}
    for start, end, kind in found:
        if kind == "terminate":
            stops.update(range(start, end))
    negated: set[int] = set()
    by_post: set[int] = set()
    by_other_post: set[int] = set()
    passed = _passed()
    untils = _untils()
    later = [i for i in range(len(words)) if any(tuple(words[i:i + len(u)]) == u for u in untils)]
    for start, end, kind in found:
        if kind == "pre" and any(i >= end for i in later):
            continue  # "no fits until this morning": the denial says when it began (it happened)
        if kind == "pre":
            j = end
            while j < len(words) and j < end + window and j not in stops:
                negated.add(j)
                j += 1
            if j < len(words) and words[j] == COMMA:
                negated.update(_list_items(words, j, stops, tuple(words[start:end]) in lists))
        elif kind == "post":
            j = start - 1
            went_away = tuple(words[start:end]) in passed
            while j >= 0 and j >= start - window and j not in stops:
                by_post.add(j)
                if not went_away:
                    by_other_post.add(j)
                j -= 1
    return Scopes(frozenset(negated | by_post), tuple(found), frozenset(by_post - negated),
                  frozenset(by_post - negated - by_other_post))


@cache
def _untils() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(t.split()) for t in plain_language().negation.until)


@cache
def _passed() -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(t.split()) for t in plain_language().negation.post_passed)


@cache
def _checklist() -> re.Pattern[str] | None:
    """``<label> <mark> <answer>`` for one comma-separated part ([negation] checklist_*)."""
    n = plain_language().negation
    return _answered(n.checklist_answers, n.checklist_marks)


@cache
def _checklist_normal() -> re.Pattern[str] | None:
    """``<label> <mark> <normal>`` for one comma-separated part ([negation] checklist_normal)."""
    n = plain_language().negation
    return _answered(n.checklist_normal, n.checklist_marks)


@cache
def _checklist_pair() -> re.Pattern[str] | None:
    """``<label> <mark> <value>``, each of at most [negation] checklist_pair_words words."""
    n = plain_language().negation
    most = n.checklist_pair_words
    if not most or not n.checklist_marks:
        return None
    words = rf"[^\W_][^\s:=,]*(?:\s+[^\s:=,]+){{0,{most - 1}}}"
    return re.compile(rf"^(?P<lead>[\s*•-]*)(?P<label>{words})(?:{_marks(n.checklist_marks)})(?P<value>{words})\s*[.!]?\s*$",
                      re.IGNORECASE)


def _marks(marks: Sequence[str]) -> str:
    """The checklist marks as one regular-expression alternation, longest first, spaces around optional."""
    return "|".join(r"\s*" + re.escape(m.strip()) + r"\s*" for m in sorted(set(marks), key=len, reverse=True))


def _answered(answers: Sequence[str], marks: Sequence[str]) -> re.Pattern[str] | None:
    """``<label> <mark> <answer>`` with ``answer`` one of ``answers``; ``None`` when either list is empty."""
    if not answers or not marks:
        return None
    answer = "|".join(re.escape(a) for a in sorted(set(answers), key=len, reverse=True))
    return re.compile(rf"^(?P<lead>\s*)(?P<label>[^:=,]*?[^\W_][^:=,]*?)(?:{_marks(marks)})(?P<answer>{answer})\s*[.!]?\s*$",
                      re.IGNORECASE)


def checklist_denials(sentence: str) -> str:
    """``sentence`` with each form-style part answered no ("rash: no", "fits - none") written as the
    plain denial "no rash", which the NegEx triggers read; anything else is returned unchanged.

    The answer must end its comma-separated part, so "rash: no idea why" or "fit-out" are left as
    they are; "rash: yes" is a plain statement already.

    Examples
    --------
    >>> checklist_denials("rash: no, fever: yes, seizure - none")
    'no rash, fever yes, no seizure'
    >>> checklist_denials("breathing: no")
    'not breathing'
    >>> checklist_denials("rash: no idea why")
    'rash: no idea why'
    >>> checklist_denials("temp: normal, breathing: ok")
    'no temp, breathing ok'
    >>> checklist_denials("colour: grey, responsive - barely")
    'colour grey, responsive barely'
    """
    pattern, normal, pair = _checklist(), _checklist_normal(), _checklist_pair()
    if all(p is None for p in (pattern, normal, pair)) or not any(
            m.strip() in sentence for m in plain_language().negation.checklist_marks):
        return sentence
    parts = sentence.split(",")
    for k, part in enumerate(parts):
        m = pattern.match(part) if pattern is not None else None
        if m is not None:
            label = m["label"].strip()
            parts[k] = f"{m['lead']}{no_means(label.split()) or 'no ' + label}"
            continue
        m = normal.match(part) if normal is not None else None
        if m is not None:
            # "temp: normal" denies a fever; "breathing: normal" is no "no breathing" but a reassurance.
            label = m["label"].strip()
            vital = no_means(label.split()) is not None
            parts[k] = f"{m['lead']}{label} {m['answer']}" if vital else f"{m['lead']}no {label}"
            continue
        m = pair.match(part) if pair is not None else None
        if m is not None:
            # "colour: grey" is one observation, read as the phrase "colour grey".
            parts[k] = f"{m['lead']}{m['label'].strip()} {m['value'].strip()}"
    return ",".join(parts)


@cache
def _no_means() -> tuple[tuple[tuple[str, ...], str], ...]:
    table = plain_language().negation.no_means
    return tuple(sorted(((tuple(k.lower().split()), v) for k, v in table.items()), key=lambda kv: -len(kv[0])))


def no_means(label: Sequence[str]) -> str | None:
    """What a "no" to ``label`` (its words, a question's or a checklist's) says when the label names
    a vital function ([negation] no_means): "is he breathing? no" says "not breathing". None when
    the label names no vital function (then a "no" denies it).

    >>> no_means("is he breathing".split())
    'not breathing'
    >>> no_means("breathing trouble".split()) is None
    True
    >>> no_means("q trouble breathing".split()) is None
    True
    """
    words = tuple(w.lower() for w in label)
    for key, said in _no_means():
        if words[-len(key):] == key:
            before = words[:-len(key)]
            if any(before[-len(q):] == q for q in _qualifiers()):
                return None  # "trouble breathing? no" denies the trouble
            return said
    return None


@cache
def _qualifiers() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(q.lower().split()) for q in plain_language().negation.no_means_qualifiers)
