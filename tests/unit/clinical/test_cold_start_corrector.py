"""The spelling corrector loads the English word list only when a word needs it, and corrects exactly as before.

Before, :class:`gabacare.clinical.text.spelling.Corrector` read the whole list (82k words) when it was
built; now a word consults it only after the cheap tests (short, not alphabetic, already known). The
reference below is the former rule, with the list read up front; both must agree on every word of the
evaluation corpora's development texts and on the unit tests' own examples.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from rapidfuzz import process
from rapidfuzz.distance import OSA

from gabacare.clinical.text import corrector
from gabacare.clinical.text.normalise import normalise_words, tokenise
from gabacare.clinical.text.spelling import Corrector
from gabacare.knowledge.language import english_words

DATA = Path(__file__).resolve().parents[2] / "eval" / "data"


@functools.cache  # read once per process: the corpora are 9 MB of TOML, and three tests sweep the same texts
def _texts() -> list[str]:
    texts: list[str] = []
    for path in sorted(DATA.glob("*_dev*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            for key in ("text", "question", "input"):
                if isinstance(case.get(key), str):
                    texts.append(case[key])
    return texts


def _former(fix: Corrector, english: frozenset[str], word: str) -> str:
    """The correction as it was computed before (English list loaded with the corrector), with the rules
    added since (a dropped final g)."""
    if len(word) < fix._min or not word.isalpha() or word in fix._known or word in english:
        return word
    if word.endswith("in") and (word + "g" in fix._known or word + "g" in english):  # a dropped final g
        return word + "g"
    limit = 2 if len(word) >= fix._two else 1
    hits = process.extract(word, fix._vocab, scorer=OSA.distance, score_cutoff=limit, limit=8)
    if not hits:
        return word
    best = min(int(h[1]) for h in hits)
    tied = [str(h[0]) for h in sorted(hits, key=lambda h: int(h[2])) if int(h[1]) == best]
    same_start = [w for w in tied if w[0] == word[0]]
    return (same_start or tied)[0]


@functools.cache  # (the two parametrised sweeps share the words; neither changes the list)
def _words() -> list[str]:
    words: set[str] = set()
    for text in _texts():
        tokens = tokenise(text)
        words.update(t.lower() for t in tokens)
        words.update(w for _, w in normalise_words(tokens))
    # the unit tests' own slips and real words
    words.update(["dizy", "breth", "siezure", "tounge", "bread", "headache", "purple", "elephants", "swollen", "x1"])
    return sorted(words)


@pytest.mark.untraced  # a sweep over every development text (tests/conftest.py)
def test_the_corpora_are_read() -> None:
    assert len(_texts()) > 500


@pytest.mark.untraced  # a sweep over every development text (tests/conftest.py)
@pytest.mark.parametrize("fix", [corrector(), Corrector(["dizzy", "breath", "seizure", "tongue", "swollen"])],
                         ids=["knowledge-base", "small"])
def test_every_correction_is_the_same_as_before(fix: Corrector) -> None:
    english = english_words()
    every = _words()
    assert len(every) > 1000
    # 8,000 words spread over the sorted list: a fixed number, so the sweep does not grow with each new split.
    words = every[:: max(1, len(every) // 8000)]
    changed = [(w, fix.correct(w), _former(fix, english, w)) for w in words if fix.correct(w) != _former(fix, english, w)]
    assert changed == []
    assert sum(fix.correct(w) != w for w in words) > 0  # the corpora do exercise corrections


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_text_of_known_words_does_not_load_the_english_list() -> None:
    # The claim is about a process that finds the compiled caches on disk: a first process makes sure they
    # are there (on a cold cache, compiling the lexicon reads the list once), whatever ran before this test.
    _fresh("""
        from gabacare.clinical import triage
        triage(["my lips are swollen"])
    """)
    out = _fresh("""
        import gabacare.knowledge.words as words
        from gabacare.clinical import triage
        from gabacare.clinical.text import corrector
        corrector()  # built (its vocabulary from the cache, or derived once)
        loaded_by_build = words._english_body.cache_info().currsize
        words._english_body.cache_clear()
        words.english_words.cache_clear()
        report = triage(["my lips are swollen"])
        print(report.most_urgent, words._english_body.cache_info().currsize)
        corrector().correct("elephants")  # an unknown word: the list is read now (its text: no set is built)
        print(words._english_body.cache_info().currsize, loaded_by_build in (0, 1))
    """)
    assert out.splitlines() == ["emergency 0", "1 True"]
