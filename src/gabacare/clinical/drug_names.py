"""Medicine names as people and EHRs write them -> ingredients.

Reads ``medicines.toml``: ``[names.map]`` (brands, combinations, synonyms, street names), the
interaction classes' ``members`` (ingredients) and ``[name_words]`` (salts, release and dose forms,
units: words that decorate a name without changing the ingredient). Steps, all pure:

1. lower case, trade marks dropped, punctuation and hyphens to spaces ("Co-codamol 30/500" ->
   ``co codamol 30 500``);
2. the longest known name at each place wins ("ms contin" before "contin"); numbers, strengths,
   salts ("hcl", "bitartrate"), release forms ("er", "xr") and dose forms ("tab") are skipped, also
   when written onto a known name ("zolpidemtartraat", "tramadolhcl": the name part of at least
   ``joined_min_length`` letters must be known exactly); an edition word ("forte") after a known name
   is part of it;
3. a word still unknown is compared with every known name (optimal string alignment distance; one
   edit up to ``fuzzy_long_length`` letters, two from there, none under ``fuzzy_min_length``). One
   closest reading -> the name is read that way and flagged (``guessed``: "did you mean ...?");
   several readings with different ingredients -> nothing is guessed, the candidates are offered;
4. a text with nothing read at all is compared whole ("milk of magnesa"), then by its sound
   (``language.toml`` ``[name_sounds]``: voice-to-text and sound-alike spellings, "valley um",
   "trauma doll", "sarah quell" -> valium, tramadol, seroquel): one reading with one ingredient set
   is a guess, flagged like step 3.

Nothing here decides a dose: a guess is always shown to the person as a question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from gabacare._record import record

__all__ = ["NameReading", "contains_run", "exact_only_names", "filler_words", "known_names", "plural_key", "read_name"]

# A count with its unit ("300mg", "25mcg/h", "300mg/5ml", "500/30"); a name after a slash is a word of
# its own ("tramadol 37.5/paracetamol 325" names both).
_WORD = re.compile(r"[a-z]+|\d+(?:[.,]\d+)?[a-zµ%]*(?:/(?:\d+(?:[.,]\d+)?)?[a-zµ%]{0,3}(?![a-z]))?")
_CONNECTORS = frozenset({"and", "with", "w", "plus", "of", "in", "per", "a", "the", "my", "some", "generic", "brand"})


def _words(text: str) -> list[str]:
    # (imported here: the text package imports this module)
    from gabacare.clinical.text.normalise import fold_accents

    # "µg" is micrograms; other accented letters lose their accents ("Żubrówka" is "zubrowka").
    s = text.lower().replace("®", " ").replace("™", " ").replace("µ", "mc")
    if not s.isascii():
        # A name in another script ("リリカ", "лирика") is read as its Latin name ([names.written]);
        # what is left of Cyrillic, Greek or Hangul is spelt in Latin letters (names.letters, hangul_*).
        for written, latin in _written():
            s = s.replace(written, f" {latin} ")
        if not s.isascii():
            s = _latin_letters(s)
    return _WORD.findall(fold_accents(s))


_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3  # the precomposed syllables (Unicode, chapter 3.12)


def _latin_letters(s: str) -> str:
    """``s`` with letters of other alphabets spelt in Latin letters (``[names]`` ``letters``, longest
    sequence first) and Hangul syllables romanised from their initial, medial and final jamo."""
    letters, longest, initials, medials, finals = _letter_tables()
    out: list[str] = []
    i = 0
    while i < len(s):
        code = ord(s[i])
        if initials and _HANGUL_FIRST <= code <= _HANGUL_LAST:
            n, per_medial = code - _HANGUL_FIRST, len(finals)
            per_initial = len(medials) * per_medial
            out.append(initials[n // per_initial] + medials[n % per_initial // per_medial] + finals[n % per_medial])
            i += 1
            continue
        for size in range(min(longest, len(s) - i), 0, -1):
            latin = letters.get(s[i:i + size])
            if latin is not None:
                out.append(latin)
                i += size
                break
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


@cache
def _letter_tables() -> tuple[dict[str, str], int, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    from gabacare.knowledge.monograph import load_monograph

    n = load_monograph().names
    letters = {k.lower(): v for k, v in n.letters.items()}
    return letters, max(map(len, letters), default=1), n.hangul_initials, n.hangul_medials, n.hangul_finals


@cache
def _written() -> tuple[tuple[str, str], ...]:
    """``[names.written]``, lower-cased, longest first (so a longer spelling wins over its prefix)."""
    from gabacare.knowledge.monograph import load_monograph

    table = load_monograph().names.written
    return tuple(sorted(((k.lower(), v) for k, v in table.items()), key=lambda kv: -len(kv[0])))


@record
class NameReading:
    """How one typed name was read.

    ``ingredients`` is empty when nothing was recognised. ``guessed`` lists (typed word, name read)
    for every fuzzy reading and every reading from the outside list; ``did_you_mean`` offers
    candidates (the guesses, or the choices when the reading was ambiguous); ``unread`` lists words
    that were neither known, decoration, nor guessed; ``outside`` the typed words read from the
    outside list of names (:mod:`gabacare.knowledge.outside_names`), each also in ``guessed``.
    """

    input: str
    ingredients: tuple[str, ...]
    matched: tuple[str, ...]
    guessed: tuple[tuple[str, str], ...]
    did_you_mean: tuple[str, ...]
    unread: tuple[str, ...]
    outside: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.ingredients)


@record
class _Index:
    names: dict[tuple[str, ...], tuple[str, ...]]
    longest: int
    decoration: frozenset[str]
    flat: tuple[str, ...]  # every known name as one string, for fuzzy matching
    flat_ingredients: tuple[tuple[str, ...], ...]
    editions: frozenset[str]
    # Decoration words that may be written joined onto a name ("tartraat" in "zolpidemtartraat"), longest first.
    tails: tuple[str, ...]
    joined_min: int  # [name_words] joined_min_length
    exact_only: frozenset[tuple[str, ...]]  # names of [names.exact] only (no guess is made towards them)
    # [name_words] contexts: (phrase as words, the name it stands for), longest phrase first.
    contexts: tuple[tuple[tuple[str, ...], str], ...] = ()


def _build_index() -> dict[str, Any]:
    from gabacare.knowledge.monograph import load_monograph

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
    # Names read only as typed ([names.exact]): known, but never a target of a spelling or sound guess.
    exact_only: set[tuple[str, ...]] = set()
    for typed, ingredients in m.names.exact.items():
        key = tuple(_words(typed))
        if key and key not in names:
            names[key] = tuple(ingredients)
            exact_only.add(key)
    w = m.name_words
    decoration = {d for group in (w.salts, w.release, w.forms, w.units) for item in group for d in _words(item)}
    decoration |= _CONNECTORS
    flat = sorted(" ".join(k) for k in names if all(t.isalpha() for t in k) and k not in exact_only)
    position = {k: i for i, k in enumerate(names)}
    # Lists only (JSON has no tuples): the cache keeps values that survive a JSON round trip.
    return {"names": [[list(k), list(v)] for k, v in names.items()], "decoration": sorted(decoration),
            "flat": flat, "flat_names": [position[tuple(f.split())] for f in flat],
            "editions": sorted({e for item in w.editions for e in _words(item)}), "joined_min": w.joined_min_length,
            "exact_only": sorted(list(k) for k in exact_only),
            "contexts": sorted(([_words(k), v] for k, v in w.contexts.items() if _words(k)), key=lambda kv: -len(kv[0]))}


@cache
def _index() -> _Index:
    """The known names and decoration words (cached across processes: reading ~5,000 names and
    words costs a new process ~10 ms)."""
    from gabacare.knowledge.cache import derived
    from gabacare.knowledge.files import MONOGRAPH_FILES, code_file

    raw = derived("drug-names", MONOGRAPH_FILES, (__file__, code_file("monograph")), _build_index)
    names = {tuple(k): tuple(v) for k, v in raw["names"]}
    ingredients = list(names.values())
    # Tails of three letters or more ("hcl"): shorter decorations ("er", "xr") end too many words.
    tails = sorted((d for d in raw["decoration"] if d.isalpha() and len(d) >= 3 and d not in _CONNECTORS), key=len, reverse=True)
    return _Index(names, max(map(len, names)), frozenset(raw["decoration"]), tuple(raw["flat"]),
                  tuple(ingredients[i] for i in raw["flat_names"]), frozenset(raw["editions"]), tuple(tails),
                  raw["joined_min"], frozenset(tuple(k) for k in raw["exact_only"]),
                  tuple((tuple(k), v) for k, v in raw["contexts"]))


def contains_run(words: Sequence[str], run: tuple[str, ...]) -> bool:
    """Whether ``run`` stands in ``words`` as consecutive words (the text pipeline's reading uses it too)."""
    n = len(run)
    return any(tuple(words[i:i + n]) == run for i in range(len(words) - n + 1))


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


def exact_only_names() -> frozenset[tuple[str, ...]]:
    """The known names read only as typed (``[names.exact]``): never a spelling or sound guess's
    target, nor a correction's."""
    return _index().exact_only


def _fuzzy(word: str) -> tuple[list[str], set[tuple[str, ...]]]:
    """Closest known names to ``word`` within the policy's edit limit, and their ingredient sets."""
    from gabacare.knowledge.monograph import load_monograph

    w = load_monograph().name_words
    if len(word) < w.fuzzy_min_length:
        return [], set()
    limit = w.fuzzy_max_edits_long if len(word) >= w.fuzzy_long_length else w.fuzzy_max_edits_short
    from rapidfuzz import process  # (imported for the first name that is not known exactly: ~6 ms)
    from rapidfuzz.distance import OSA

    idx = _index()
    hits = process.extract(word, idx.flat, scorer=OSA.distance, score_cutoff=limit, limit=12)
    if not hits:
        return [], set()
    best = min(int(h[1]) for h in hits)
    closest = [h for h in hits if int(h[1]) == best]
    sets = {idx.flat_ingredients[int(h[2])] for h in closest}
    if len(sets) > 1:
        # Equally close spellings: the one that also sounds the same wins ("codine": codeine, not lodine).
        key = sound_key(word)
        same = [h for h in closest if sound_key(str(h[0])) == key]
        if len({idx.flat_ingredients[int(h[2])] for h in same}) == 1:
            closest = same
    return [str(h[0]) for h in closest], {idx.flat_ingredients[int(h[2])] for h in closest}


@cache
def _sound_rules() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], int]:
    from gabacare.knowledge.language import load_language

    s = load_language().name_sounds
    if s is None:
        return (), (), 0
    return tuple(tuple(r.split("=")) for r in s.initial), tuple(tuple(r.split("=")) for r in s.rules), s.min_key  # type: ignore[misc]


def sound_key(word: str) -> str:
    """A coarse key of how a name sounds (``language.toml`` ``[name_sounds]``): letter groups that
    sound alike written one way, vowels after the first letter dropped, repeats collapsed.

    >>> sound_key("valley um") == sound_key("valium")
    True
    """
    initial, rules, _ = _sound_rules()
    w = "".join(c for c in word.lower() if c.isalpha())
    for a, b in initial:
        if w.startswith(a):
            w = b + w[len(a):]
            break
    for a, b in rules:
        w = w.replace(a, b)
    if not w:
        return ""
    out = w[0]
    for c in w[1:]:
        if c not in "aeiouy" and c != out[-1]:
            out += c
    return out


@cache
def _sound_index() -> dict[str, set[tuple[str, ...]]]:
    idx = _index()
    table: dict[str, set[tuple[str, ...]]] = {}
    for name, ingredients in zip(idx.flat, idx.flat_ingredients, strict=True):
        table.setdefault(sound_key(name), set()).add(ingredients)
    return table


def _classes(ingredients: Sequence[str]) -> set[str]:
    """The interaction classes (``medicines.toml``) of these ingredients."""
    from gabacare.clinical.interactions import _class_of  # (imported here: that module imports this one)

    return {c.id for c in map(_class_of, ingredients) if c is not None}


def _whole(words: list[str], *, by_sound: bool = True) -> tuple[str, tuple[str, ...]] | None:
    """A text nothing was read in, compared whole: by spelling, then (``by_sound``) by sound (one
    reading only)."""
    alpha = [w for w in words if w.isalpha()]
    if not alpha or all(w in _index().decoration for w in alpha):
        return None  # only forms, units and words for any medicine ("my meds"): nothing to compare
    run = " ".join(alpha)
    names, sets = _fuzzy(run)
    if len(sets) == 1:
        return names[0], next(iter(sets))
    if not by_sound:
        return None
    _, _, min_key = _sound_rules()
    key = sound_key(run)
    if min_key and len(key) >= min_key:
        found = _sound_index().get(key, set())
        if len(found) == 1:
            ingredients = next(iter(found))
            name = next(n for n, i in zip(_index().flat, _index().flat_ingredients, strict=True)
                        if i == ingredients and sound_key(n) == key)
            if _letters_alike(run, name):
                return name, ingredients
    return None


def _decorated(word: str, idx: _Index) -> tuple[str, ...] | None:
    """The known name of ``word`` written with its salt or form joined on ("zolpidemtartraat",
    "tramadolhcl"), or ``None``. The name must be known exactly: no spelling guess is made on it."""
    for tail in idx.tails:
        if word.endswith(tail) and len(word) - len(tail) >= idx.joined_min:
            key = plural_key((word[:-len(tail)],), idx.names)
            if key is not None:
                return key
    return None


def _letters_alike(text: str, name: str) -> bool:
    """Whether a name found by sound also shares enough letters with the text (``[name_sounds]``
    ``min_letter_similarity``): the sound key alone drops vowels and merges letters, so unrelated
    words can share it ("zzz unknown" and "sinequan")."""
    from rapidfuzz.distance import Indel

    from gabacare.knowledge.language import load_language

    sounds = load_language().name_sounds
    floor = sounds.min_letter_similarity if sounds is not None else 1.0
    a = "".join(c for c in text.lower() if c.isalpha())
    b = "".join(c for c in name.lower() if c.isalpha())
    return Indel.normalized_similarity(a, b) >= floor


def filler_words() -> frozenset[str]:
    """Words that never name a medicine: salts, release words, forms, units, words for any medicine
    (``medicines.toml``) and connectors ("my", "of")."""
    return _index().decoration


def read_name(text: str) -> NameReading:
    """Read one medicine name.

    Examples
    --------
    >>> r = read_name("HYDROmorphone HCl 2 mg tab")
    >>> (r.ingredients, r.guessed)
    (('hydromorphone',), ())
    >>> read_name("alprazolm").did_you_mean
    ('alprazolam',)
    >>> read_name("Unknownbrand Forte").ingredients  # "forte" alone is no misspelt Forteo
    ()
    """
    idx = _index()
    words = _words(text)
    ingredients: list[str] = []
    matched: list[str] = []
    guessed: list[tuple[str, str]] = []
    offers: list[str] = []
    unread: list[str] = []
    pending: list[str] = []
    outside: list[str] = []

    def settle() -> None:
        # An unknown run of words: try it whole ("hydro codone"), then word by word.
        if not pending:
            return
        if all(w in idx.editions for w in pending):
            # "Dominal forte": an edition is never a run of its own (it read Forteo); alone in the text,
            # the whole-text reading below still sees it.
            pending.clear()
            return
        # An edition word is read only with its name: alone it is no name at all.
        runs = [" ".join(pending)] + ([w for w in pending if w not in idx.editions] if len(pending) > 1 else [])
        for run in runs:
            found = _outside(run)
            if found is not None:
                # A name GabaCare does not list, exactly as an outside list of medicine names has it:
                # that reading, shown for confirmation, before a spelling guess at one of GabaCare's own.
                name, outside_ingredients = found
                guessed.append((run, name))
                outside.append(run)
                ingredients.extend(outside_ingredients)
                offers.append(name)
                if run == runs[0]:
                    break
                continue
            from gabacare.knowledge.words import is_english_word

            if " " not in run and is_english_word(run) and sum(w.isalpha() and w not in idx.decoration for w in words) > 1:
                # A real word among others ("gel for the rickshaw rider's knee", "a glass of the new
                # vintage") describes, it is no misspelt name: "rider" is not cider, "glass" not grass
                # (held-out v53 rotated into development). Typed alone or with only a strength and a form,
                # a word is still guessed ("lyric 75 mg").
                names: list[str] = []
                sets: set[tuple[str, ...]] = set()
            else:
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
            skipped = word in idx.decoration or not word.isalpha()
            decorated = None if skipped else _decorated(word, idx)
            if decorated is not None:
                settle()
                matched.append(" ".join(decorated))
                ingredients.extend(idx.names[decorated])
            elif skipped:
                settle()
            else:
                pending.append(word)
            i += 1
    settle()
    if unread and len(words) > 1 and all(w.isalpha() for w in words):
        # A name typed in pieces ("pre gabba lin"): one piece may be a name of its own ("gabba"), but when
        # others are left unread and the pieces joined are one known name, by spelling or by sound, the
        # joined name is meant. A piece known exactly is dropped for a whole read by its sound alone only
        # when both are the same kind of medicine ("gabba" and pregabalin): "Lion Stout" is a stout, not
        # the Lunesta "lionstout" sounds like.
        joined = _whole(["".join(words)], by_sound=False)
        if joined is None:
            joined = _whole(["".join(words)])
            if joined is not None and matched and not (_classes(joined[1]) & _classes(ingredients)):
                joined = None
        if joined is not None:
            name, found = joined
            return NameReading(text, tuple(dict.fromkeys(found)), (), ((" ".join(words), name),), (name,), ())
    if not ingredients and len(words) > 1:
        # "Ziagen 300 mg tab" left nothing read: the outside list is asked for its name words together.
        run = " ".join(w for w in words if w.isalpha() and w not in idx.decoration)
        from_outside = _outside(run) if run else None
        if from_outside is not None:
            name, outside_ingredients = from_outside
            return NameReading(text, tuple(dict.fromkeys(outside_ingredients)), tuple(matched), ((run, name),),
                               (name,), (), (run,))
    if not ingredients:
        whole = _whole(words)
        if whole is not None:
            name, found = whole
            guessed.append((" ".join(w for w in words if w.isalpha()), name))
            ingredients.extend(found)
            offers.insert(0, name)
            unread.clear()
    if not ingredients:
        # Nothing read, but told where or how it was had ("Zorblax at the pub", "half an eighth"): the
        # drink or cannabis that context stands for, shown as a guess; the unknown words stay unread.
        hit = next(((phrase, name) for phrase, name in idx.contexts if contains_run(words, phrase)), None)
        if hit is not None:
            phrase, name = hit
            found = idx.names.get(tuple(_words(name)), (name,))
            guessed.append((" ".join(phrase), name))
            ingredients.extend(found)
            offers.insert(0, name)
    return NameReading(text, tuple(dict.fromkeys(ingredients)), tuple(matched), tuple(guessed),
                       tuple(dict.fromkeys(offers)), tuple(unread), tuple(outside))


# A canonical name of the outside list names its ingredients with these between them
# ("abacavir, dolutegravir, and lamivudine", "oxycodone/ibuprofen"), and may qualify them in brackets
# ("doxepin (insomnia)").
_OUTSIDE_PARTS = re.compile(r"/|,\s*(?:and\s+)?|\s+and\s+|\s+with\s+")
_BRACKETS = re.compile(r"\([^)]*\)")


def _outside(run: str) -> tuple[str, tuple[str, ...]] | None:
    """``run`` read from the outside list of names: (the name it stands for, its ingredients), or
    ``None``. An ingredient GabaCare knows is named as GabaCare names it ("acetaminophen" is
    paracetamol, so its interaction class applies); another keeps the outside list's name."""
    from gabacare.knowledge.outside_names import MAX_NAME_CHARS, outside_names

    if len(run) > MAX_NAME_CHARS:
        return None  # no name is this long: the list is not loaded for it
    canonical = outside_names().get(run)
    if not canonical:
        return None
    idx = _index()
    found: list[str] = []
    for name in canonical:
        for part in _OUTSIDE_PARTS.split(_BRACKETS.sub(" ", name)):
            words = tuple(w for w in _words(part) if w.isalpha())
            bare = tuple(w for w in words if w not in idx.decoration)  # "oxycodone hydrochloride"
            if not bare:
                continue
            # ("magnesium hydroxide" is a name of its own; "magnesium" alone is a salt's word)
            key = plural_key(words, idx.names) or plural_key(bare, idx.names)
            found.extend(idx.names[key] if key is not None else (" ".join(words),))
    if not found:
        return None
    return "; ".join(canonical), tuple(dict.fromkeys(found))
