"""Step 2 of reading: spelling slips corrected against the knowledge base's own vocabulary.

The target vocabulary is every word the lexicon, the negation triggers and the medicine names use
(plus any extra words a caller adds, such as the guide's search terms). A typed word is kept as it
is when it is short (``spelling.min_length``), contains digits, is already in the vocabulary, or is
in the English word list (``english_words.txt``, 82,765 words): a real word is never turned
into a symptom word ("bread" stays "bread"). Otherwise the closest vocabulary word within one edit
(two for words of ``spelling.two_edits_min_length`` letters or more; a swap of neighbouring letters
counts as one edit, optimal string alignment) replaces it; ties go to the word sharing the first
letter, then to the more common English word.

NOTE: rapidfuzz does the distance search (C++, MIT, maintained; ~0.1 ms over a few thousand words).
SymSpell's delete index was the alternative; building it for the vocabulary plus an English
dictionary costs about a second at start-up, which ``gabacare symptoms`` cannot afford, and
rapidfuzz also serves the "did you mean" for medicine names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from gabacare.clinical.text.plain import plain_language
from gabacare.knowledge.words import english_rank, is_english_word

__all__ = ["Corrector", "ordered"]


def ordered(words: Iterable[str]) -> list[str]:
    """``words`` most common English word first (unknown words after, alphabetically).

    >>> ordered(["zebra", "the"])
    ['the', 'zebra']
    """
    rank = english_rank()
    return sorted(set(words), key=lambda w: (rank.get(w, len(rank)), w))


class Corrector:
    """Corrects single words towards a fixed vocabulary (immutable once built).

    ``vocabulary`` is taken in its given order, which breaks ties between equally close words:
    pass it most common first (see :func:`ordered`). Words of ``keep`` are left as they are, like
    the vocabulary's, but nothing is corrected into them.
    """

    def __init__(self, vocabulary: Sequence[str], keep: Iterable[str] = ()) -> None:
        spelling = plain_language().spelling
        self._min = spelling.min_length
        self._two = spelling.two_edits_min_length
        self._vocab = [w for w in dict.fromkeys(vocabulary) if w.isalpha() and len(w) >= self._min - 1]
        # ``keep``: words left as typed but never a correction's target (the words of names read only as
        # typed: a drink's name is no nearer reading of a slip or of a word in another language).
        self._known = frozenset(self._vocab) | frozenset(keep)
        self.correct = lru_cache(maxsize=8192)(self._correct)

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def _correct(self, word: str) -> str:
        # The English list (82k words) is read only when a word needs it: a text whose words are all
        # short or already known (most symptom texts) never loads it; a few words are looked up in its
        # text without building the set (``is_english_word``, the same answer as ``in english_words()``).
        if len(word) < self._min or not word.isalpha() or word in self._known or is_english_word(word):
            return word
        # A dropped final "g" ("throwin", "feelin", "goin") is the "-ing" word, when that is a word: the
        # nearest word by edits may be another ("throwin" is one edit from "thrown" too; held-out v51
        # rotated into development: "throwin up blood" read as "thrown up").
        if word.endswith("in") and ((full := word + "g") in self._known or is_english_word(full)):
            return full
        limit = 2 if len(word) >= self._two else 1
        from rapidfuzz import process  # (imported for the first word that needs correcting: ~10 ms)
        from rapidfuzz.distance import OSA

        hits = process.extract(word, self._vocab, scorer=OSA.distance, score_cutoff=limit, limit=8)
        if not hits:
            return word
        best = min(int(h[1]) for h in hits)
        tied = [str(h[0]) for h in sorted(hits, key=lambda h: int(h[2])) if int(h[1]) == best]
        same_start = [w for w in tied if w[0] == word[0]]
        return (same_start or tied)[0]
