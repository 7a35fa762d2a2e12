"""The words the pipeline knows, and the one spelling corrector built over them.

The vocabulary is every word of the lexicon (phrases, patterns, descriptions), the negation
triggers, the adverse effects' phrases and the medicine names. Lexicon authors also write common
misspellings ("breth", "siezure") so that they are recognised; such a word is not a target of
correction but a *slip* of a real word: a vocabulary word that is not a frequent English word and
lies within the edit limit of one that is, is itself corrected. The lexicon is then compiled
through the same corrector as the person's text, so both sides always agree.

>>> c = corrector()
>>> c.correct("siezure"), c.correct("breth"), c.correct("dizzy")
('seizure', 'breath', 'dizzy')
>>> {"swollen", "breathing"} <= raw_vocabulary()
True
"""

from __future__ import annotations

from functools import cache

from gabacare.clinical.drug_names import exact_only_names, known_names
from gabacare.clinical.text.normalise import normalise_words, tokenise
from gabacare.clinical.text.spelling import Corrector, ordered
from gabacare.knowledge.cache import derived
from gabacare.knowledge.words import english_words

__all__ = ["DATA_FILES", "corrector", "raw_vocabulary"]


@cache
def raw_vocabulary() -> frozenset[str]:
    """Every normalised, alphabetic word the lexicon's matchers, the triggers, the adverse effects'
    phrases use (not the semantic net's descriptions: their everyday words would become targets
    for "corrections" of slang). Read from the validated language and monograph: the vocabulary is
    built once per version of them (:func:`corrector`)."""
    from gabacare.knowledge.language import load_language
    from gabacare.knowledge.monograph import load_monograph

    lang = load_language()
    texts: list[str] = []
    for sign in lang.lexicon.signs:
        texts.extend(sign.phrases)
        texts.extend(alt for pattern in sign.patterns for group in pattern for alt in group.split("|"))
    n = lang.negation
    texts.extend((*n.pre, *n.post, *n.pseudo, *n.terminate, *lang.experiencer.other))
    for effect in load_monograph().adverse_effects:
        texts.extend(effect.phrases)
    return frozenset(w for t in texts for _, w in normalise_words(tokenise(t)) if w.isalpha())


#: Files the vocabulary is derived from (the cache key hashes them with this module's code).
DATA_FILES = ("language.toml", "lexicon.toml", "medicines.toml", "gabapentin.toml", "english_words.txt")


def _build_vocabulary() -> dict[str, list[str]]:
    """The correction targets (``words``, most common first) and the words left as typed but never a
    target (``keep``: words only of names read as typed, ``medicines.toml`` ``[names.exact]``)."""
    from gabacare.knowledge.language import load_language

    english = english_words()
    exact = exact_only_names()
    medicines = {w for key in known_names() if key not in exact for w in key if w.isalpha()}
    keep = {w for key in exact for w in key if w.isalpha()} - medicines
    words = raw_vocabulary()
    core = {w for w in words if w in english} | medicines
    first = Corrector(ordered(core))
    # A lexicon word that is a slip of a core word ("breth" -> "breath") is left out, so that it is
    # corrected (on both sides) rather than kept as a word of its own.
    own = {w for t in load_language().normalise.own_words for _, w in normalise_words(tokenise(t)) if w.isalpha()}
    kept = {w for w in words - core if first.correct(w) == w or w in own}
    targets = ordered(core | kept)
    return {"words": targets, "keep": sorted(keep - set(targets))}


@cache
def corrector() -> Corrector:
    """The spelling corrector over the knowledge base's words (built once per process, its
    vocabulary cached across processes: :func:`gabacare.knowledge.cache.derived`)."""
    from gabacare.clinical.text import normalise, spelling

    code = (__file__, normalise.__file__, spelling.__file__)
    value = derived("text-vocabulary", DATA_FILES, code, _build_vocabulary)
    if not (isinstance(value, dict) and isinstance(value.get("words"), list) and isinstance(value.get("keep"), list)):
        value = _build_vocabulary()  # a cached file of another shape is not used
    return Corrector(value["words"], value["keep"])
