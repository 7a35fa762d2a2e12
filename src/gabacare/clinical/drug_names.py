"""Medicine names as people and EHRs write them -> ingredients.

Reads ``medicines.toml``: ``[names.map]`` (brands, combinations, synonyms, street names), the
interaction classes' ``members`` (ingredients) and ``[name_words]`` (salts, release and dose forms,
units: words that decorate a name without changing the ingredient). Steps, all pure:

1. lower case, trade marks dropped, punctuation and hyphens to spaces ("Co-codamol 30/500" ->
   ``co codamol 30 500``);
2. the longest known name at each place wins ("ms contin" before "contin"); numbers, strengths,
   salts ("hcl", "bitartrate"), release forms ("er", "xr") and dose forms ("tab") are skipped;
3. a word still unknown is compared with every known name (optimal string alignment distance; one
   edit up to ``fuzzy_long_length`` letters, two from there, none under ``fuzzy_min_length``). One
   closest reading -> the name is read that way and flagged (``guessed``: "did you mean ...?");
   several readings with different ingredients -> nothing is guessed, the candidates are offered.

Nothing here decides a dose: a guess is always shown to the person as a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from gabacare.knowledge import load_monograph

__all__ = ["NameReading", "known_names", "plural_key", "read_name"]

_WORD = re.compile(r"[a-z]+|\d+(?:[.,]\d+)?[a-zµ%/]*")
_CONNECTORS = frozenset({"and", "with", "w", "plus", "of", "in", "per", "a", "the", "my", "some", "generic", "brand"})


def _words(text: str) -> list[str]:
    s = text.lower().replace("®", " ").replace("™", " ").replace("µ", "mc")
    return _WORD.findall(s)


@dataclass(frozen=True)
class NameReading:
    """How one typed name was read.

    ``ingredients`` is empty when nothing was recognised. ``guessed`` lists (typed word, name read)
    for every fuzzy reading; ``did_you_mean`` offers candidates (the guesses, or the choices when
    the reading was ambiguous); ``unread`` lists words that were neither known, decoration, nor
    guessed.
    """

    input: str
    ingredients: tuple[str, ...]
    matched: tuple[str, ...]
    guessed: tuple[tuple[str, str], ...]
    did_you_mean: tuple[str, ...]
    unread: tuple[str, ...]

    @property
    def known(self) -> bool:
        return bool(self.ingredients)


@dataclass(frozen=True)
class _Index:
    names: dict[tuple[str, ...], tuple[str, ...]]
    longest: int
    decoration: frozenset[str]
    flat: tuple[str, ...]  # every known name as one string, for fuzzy matching
    flat_ingredients: tuple[tuple[str, ...], ...]


@cache
def _index() -> _Index:
    m = load_monograph()
    names: dict[tuple[str, ...], tuple[str, ...]] = {}
    for cls in m.interaction_classes:
        for member in cls.members:
            names[tuple(_words(member))] = (member,)
    for typed, ingredients in m.names.map.items():
        key = tuple(_words(typed))
        if key:
            names[key] = tuple(ingredients)
        # Every ingredient a product lists is itself a name ("caffeine" in a combination product).
        for ingredient in ingredients:
            names.setdefault(tuple(_words(ingredient)), (ingredient,))
    w = m.name_words
    decoration = {d for group in (w.salts, w.release, w.forms, w.units) for item in group for d in _words(item)}
    decoration |= _CONNECTORS
    flat = tuple(sorted(" ".join(k) for k in names if all(t.isalpha() for t in k)))
    return _Index(names, max(len(k) for k in names), frozenset(decoration), flat,
                  tuple(names[tuple(f.split())] for f in flat))


def plural_key(words: tuple[str, ...], names: dict[tuple[str, ...], tuple[str, ...]]) -> tuple[str, ...] | None:
    """``words`` if it is a known name, else its singular ("beers" -> "beer"), else ``None``."""
    if words in names:
        return words
    last = words[-1] if words else ""
    if len(last) > 3 and last.endswith("s"):
        single = (*words[:-1], last[:-1])
        if single in names:
            return single
    return None


def known_names() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Every known name as a word tuple -> its ingredients (for scanning free text)."""
    return _index().names


def _fuzzy(word: str) -> tuple[list[str], set[tuple[str, ...]]]:
    """Closest known names to ``word`` within the policy's edit limit, and their ingredient sets."""
    w = load_monograph().name_words
    if len(word) < w.fuzzy_min_length:
        return [], set()
    limit = w.fuzzy_max_edits_long if len(word) >= w.fuzzy_long_length else w.fuzzy_max_edits_short
    idx = _index()
    hits = process.extract(word, idx.flat, scorer=OSA.distance, score_cutoff=limit, limit=12)
    if not hits:
        return [], set()
    best = min(int(h[1]) for h in hits)
    names = [str(h[0]) for h in hits if int(h[1]) == best]
    return names, {idx.flat_ingredients[int(h[2])] for h in hits if int(h[1]) == best}


def read_name(text: str) -> NameReading:
    """Read one medicine name.

    Examples
    --------
    >>> r = read_name("HYDROmorphone HCl 2 mg tab")
    >>> (r.ingredients, r.guessed)
    (('hydromorphone',), ())
    >>> read_name("alprazolm").did_you_mean
    ('alprazolam',)
    """
    idx = _index()
    words = _words(text)
    ingredients: list[str] = []
    matched: list[str] = []
    guessed: list[tuple[str, str]] = []
    offers: list[str] = []
    unread: list[str] = []
    pending: list[str] = []

    def settle() -> None:
        # An unknown run of words: try it whole ("hydro codone"), then word by word.
        if not pending:
            return
        runs = [" ".join(pending)] + (pending if len(pending) > 1 else [])
        for run in runs:
            names, sets = _fuzzy(run.replace(" ", "") if run.count(" ") else run)
            if len(sets) == 1:
                guessed.append((run, names[0]))
                ingredients.extend(next(iter(sets)))
                offers.append(names[0])
                if run == runs[0]:
                    break
            elif names:
                offers.extend(names)
                if run != runs[0] or len(runs) == 1:
                    unread.append(run)
            elif run != runs[0] or len(runs) == 1:
                unread.append(run)
        pending.clear()

    i = 0
    while i < len(words):
        for n in range(min(idx.longest, len(words) - i), 0, -1):
            key = plural_key(tuple(words[i:i + n]), idx.names)
            if key is not None:
                settle()
                matched.append(" ".join(key))
                ingredients.extend(idx.names[key])
                i += n
                break
        else:
            word = words[i]
            if word in idx.decoration or not word.isalpha():
                settle()
            else:
                pending.append(word)
            i += 1
    settle()
    return NameReading(text, tuple(dict.fromkeys(ingredients)), tuple(matched), tuple(guessed),
                       tuple(dict.fromkeys(offers)), tuple(unread))
