"""The English word list and the language's file names, read without building the language.

``language.toml`` (validated by :mod:`gabacare.knowledge.language`, with pydantic) names the
embedding weights, the tokenizer and the English word list. A question answered from the compiled
cache reads only these names and looks up a few words in the list: this module gives both without
importing pydantic or building the language's model classes (the names come from the cache, keyed
like the language itself; the validated language builds them on a miss).
:mod:`gabacare.knowledge.language` exports the same functions.
"""

from __future__ import annotations

from functools import cache

from gabacare._record import record
from gabacare.knowledge.files import MONOGRAPH_FILES, KnowledgeBaseError, code_file, data_dir, pydantic_version_file

__all__ = ["SEDATING_CLASS", "LanguageFiles", "english_rank", "english_words", "is_english_word", "language_files"]

#: The combination rules' reference to any sedating medicine (an interaction class with ``sedating``):
#: named here so that the text pipeline reads it without importing the validated language.
SEDATING_CLASS = "class:*sedating"


@record
class LanguageFiles:
    """The data file names ``language.toml`` gives: the embedding weights and tokenizer (inside the
    ``wordllama`` package) and the English word list."""

    weights: str
    tokenizer: str
    english_words: str


@cache
def language_files() -> LanguageFiles:
    """:func:`~gabacare.knowledge.language.load_language`'s ``semantic.weights``, ``semantic.tokenizer`` and
    ``spelling.english_words_file``, kept in the cache directory under the same files and code as the
    language itself: a question that reads nothing else of it (no lexicon) does not rebuild the whole
    language (~8 ms) for three names. A cached value of another shape is read from the language."""
    from gabacare.knowledge import cache

    def build() -> list[str]:
        from gabacare.knowledge.language import load_language

        lang = load_language()
        return [lang.semantic.weights, lang.semantic.tokenizer, lang.spelling.english_words_file]

    files = ("language.toml", "lexicon.toml", *MONOGRAPH_FILES, "sources.toml")
    code = (code_file("language"), __file__, code_file("monograph"), cache.__file__, pydantic_version_file())
    value = cache.derived("language-files", files, code, build)
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        value = build()
    return LanguageFiles(*value)


@cache
def _english_body() -> str:
    """``english_words.txt`` after its header (the comment lines): the words and what separates them."""
    name = language_files().english_words
    ref = data_dir().joinpath(name)
    try:
        text: str = ref.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KnowledgeBaseError(f"knowledge base file missing: {name}") from exc
    body = text.lstrip()
    while body.startswith("#"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
    return body


@cache
def _english_list() -> tuple[str, ...]:
    # One word per line (split at C speed: 82k words).
    return tuple(_english_body().split())


@cache
def english_words() -> frozenset[str]:
    """The English word list (``english_words.txt``): a word in it is a real word."""
    return frozenset(_english_list())


#: Every white-space character of ASCII (what ``str.split()`` splits an ASCII text at).
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
#: Lookups by :func:`is_english_word` in the word list's text before it builds the set instead (a
#: long-running process answers many questions; a single ``ask`` makes a handful of lookups).
_TEXT_LOOKUPS = 256
_text_lookups = [0]


@cache
def _english_lines() -> str | None:
    """The word list's words each between two line breaks (``"\\nword\\n"`` is in it exactly when
    ``word``, without white space, is a word of :func:`english_words`), or ``None`` when the body
    holds other white space or any non-ASCII character (where ``str.split()`` also splits)."""
    body = _english_body()
    if not body.isascii() or any(c in body for c in _ASCII_SPACE if c != "\n"):
        return None
    return f"\n{body}\n"


def is_english_word(word: str) -> bool:
    """``word in english_words()``, without building the 82,000-word set (~10 ms) for the few words
    a single question looks up: the word is searched for in the list's text as one whole line."""
    lines = _english_lines() if _text_lookups[0] < _TEXT_LOOKUPS else None
    if lines is None or not word or word.split() != [word]:
        return word in english_words()
    _text_lookups[0] += 1  # (a lost count between threads only delays the switch)
    return f"\n{word}\n" in lines


def english_rank() -> dict[str, int]:
    """word -> frequency rank (0 is the most frequent); for ordering a vocabulary when it is built."""
    words = _english_list()
    return dict(zip(words, range(len(words)), strict=True))
