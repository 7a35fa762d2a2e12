"""Step 1 of reading: text -> sentences -> normalised words.

Lower case, curly quotes straightened, accents folded ("möchte" -> "mochte"), control characters
dropped; sentences end at ``. ! ? ;`` and line breaks; commas are kept as tokens (they bound a
negation's scope). Each word then goes through
``language.toml`` ``[normalise.words]`` (contractions with or without the apostrophe, chat
spellings: "cant" -> "can not", "im" -> "i am") and ``[normalise.spellings]`` (British -> US:
"oedema" -> "edema"). A mapped word may become several words. Pure and deterministic.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

__all__ = [
    "COMMA", "fold_accents", "normalise_words", "questions", "sentences", "sound_alike_slips", "table_headings", "table_rows",
    "tables", "tokenise",
]

COMMA = ","
# A "?" glued to the next word ("took ?30 caps", "?overdose") is clinical shorthand for "possibly",
# not the end of a question.
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_SENTENCE_END = re.compile(r"(?:[.!;\n\r]|\?(?![a-z0-9]))+")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|,")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
# Letters that carry no accent to strip but stand for plain Latin ones ("łóżko", "straße").
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i", "ħ": "h"})


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


# Line breaks and tabs written as escapes, as in text pasted from code, JSON or a log.
_ESCAPES = re.compile(r"\\r\\n|\\[nrt]")


def _unescaped(text: str) -> str:
    r"""``text`` with line breaks and tabs written as escapes (``\n``, ``\r\n``, ``\t``) made real.

    >>> _unescaped("01:00,7,no\\n01:15,6,no")
    '01:00,7,no\n01:15,6,no'
    """
    if "\\" not in text:
        return text
    return _ESCAPES.sub(lambda m: "\t" if m.group(0) == "\\t" else "\n", text)


def _clean(text: str) -> str:
    # Control and unpaired-surrogate characters carry no words and must not reach output.
    text = _CONTROL.sub(" ", _unescaped(text))
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    cased = _cased()
    if cased is not None:  # words whose capitals carry their meaning ("ODd" is not "odd"): before lower-casing
        text = cased[0].sub(lambda m: cased[1][m.group(0)], text)
    return fold_accents(text.lower())


@cache
def _cased() -> tuple[re.Pattern[str], dict[str, str]] | None:
    """``[normalise] cased``: whole words matched with their capitals, replaced before lower-casing."""
    from gabacare.clinical.text.plain import plain_language

    table = plain_language().normalise.cased
    if not table:
        return None
    words = sorted(table, key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z0-9'])(?:" + "|".join(map(re.escape, words)) + r")(?![A-Za-z0-9'])"), dict(table)


def fold_accents(text: str) -> str:
    """Lower-case ``text`` with its letters' accents taken off: words written in other languages, or
    English typed on a foreign keyboard, keep their letters instead of losing the accented ones. The
    one rule for symptom text and medicine names alike.

    >>> fold_accents("möchte nicht")
    'mochte nicht'
    >>> fold_accents("żubrówka, łyk")
    'zubrowka, lyk'
    """
    if text.isascii():
        return text
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", folded).translate(_LETTERS)


def sentences(text: str) -> list[str]:
    """Split cleaned, lower-cased text into sentences (empty ones dropped). The full stop of an
    abbreviation (``[normalise] abbreviations``) followed by a word or a number ends none.

    >>> sentences("Pt took ?30 caps. Drowsy?")
    ['pt took ?30 caps', 'drowsy']
    >>> sentences("Son ingested est. 6 x 300 mg. Sleepy")
    ['son ingested est 6 x 300 mg', 'sleepy']
    """
    return [s.strip() for s in _SENTENCE_END.split(_split_ready(text)) if s.strip()]


# Cell separators of a table pasted from a spreadsheet, a CSV file or a Markdown table.
_CELL_SEPARATORS = (",", "\t", "|", ";")
_RULE_ROW = re.compile(r"^[\s|:+-]*$")  # a Markdown rule line ("|---|:--:|") holds no cells


def table_rows(text: str) -> list[str]:
    r"""Each data row of a table in ``text``, read as one sentence of "heading value" pairs.

    A table is a line of two or more headings (each with a letter) followed by lines of as many cells,
    split by the same separator, each row holding a number. Its rows are otherwise read as lines apart
    from their headings ("breaths_per_min,rousable" / "6,no" says nothing line by line); the pairs say
    it ("breaths per min: 6, rousable: no"). The caller reads these beside the sentences, so a table can
    add findings and never takes one away. Lists of words on several lines carry no number in their
    rows and are not tables.

    >>> table_rows("time,breaths_per_min,rousable\n01:00,7,no\n01:15,6,no")
    ['time: 01:00, breaths_per_min: 7, rousable: no', 'time: 01:15, breaths_per_min: 6, rousable: no']
    >>> table_rows("| sign | value |\n|---|---|\n| resp rate | 6 |")
    ['sign: resp rate, value: 6']
    >>> table_rows("dizzy, tired\nrash, itchy")
    []
    """
    return tables(text)[0]


def table_headings(text: str) -> list[str]:
    r"""The heading lines of the tables in ``text`` that have a data row, as :func:`sentences` reads
    them. A heading names its columns and says nothing of the patient ("date,seizure,rash" affirms no
    seizure); every data row repeats each heading beside its value (:func:`table_rows`), so the caller may
    leave these sentences out without losing a word the patient wrote about a column.

    >>> table_headings("date,seizure,rash\n2026-01-01,no,no")
    ['date,seizure,rash']
    >>> table_headings("date,seizure,rash\nwords only,no,no")
    []
    """
    return tables(text)[1]


def tables(text: str) -> tuple[list[str], list[str]]:
    """(:func:`table_rows`, :func:`table_headings`) of ``text``, read in one pass."""
    lines = [line.strip(" ").strip("|").strip(" ") for line in _unescaped(text).splitlines()]
    lines = [line for line in lines if line and not _RULE_ROW.match(line)]
    rows: list[str] = []
    headings: list[str] = []
    for sep in _CELL_SEPARATORS:
        heads: list[str] | None = None
        head_line = ""
        for line in lines:
            cells = [c.strip() for c in line.split(sep)]
            if heads is not None and len(cells) == len(heads) and any(ch.isdigit() for ch in line):
                rows.append(", ".join(f"{h}: {c}" for h, c in zip(heads, cells, strict=True)))
                if head_line:  # the heading's first data row: it is a table's heading
                    headings.extend(h for h in sentences(head_line) if h not in headings)
                    head_line = ""
                continue
            is_heading = len(cells) >= 2 and all(any(ch.isalpha() for ch in c) for c in cells)
            heads, head_line = (cells, line) if is_heading else (None, "")
    return rows, headings


def _split_ready(text: str) -> str:
    """``text`` cleaned, with the full stops of its abbreviations taken out (what both :func:`sentences`
    and :func:`questions` split, so that they always agree on the sentences)."""
    text = _clean(text)
    found = _abbreviation_stop()
    return text if found is None or "." not in text else found.sub(lambda m: m.group(1).replace(".", " "), text)


@cache
def _abbreviation_stop() -> re.Pattern[str] | None:
    """An abbreviation with its full stop, before a space and a letter or digit (the stop is dropped)."""
    from gabacare.clinical.text.plain import plain_language

    words = sorted(set(plain_language().normalise.abbreviations), key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<![a-z0-9'.])(" + "|".join(re.escape(w) for w in words) + r")\.(?= +[a-z0-9])")


def questions(text: str) -> list[bool]:
    """For each sentence of :func:`sentences`, whether it ended with a question mark."""
    parts = re.split(f"({_SENTENCE_END.pattern})", _split_ready(text))
    out: list[bool] = []
    for i in range(0, len(parts), 2):
        if parts[i].strip():
            end = parts[i + 1] if i + 1 < len(parts) else ""
            out.append("?" in end)
    return out


def tokenise(sentence: str) -> list[str]:
    """The raw word tokens of one sentence (letters, digits, inner apostrophes), commas kept;
    a symbol that stands for a word (``[normalise.symbols]``: "rash + temp") becomes that word."""
    # A clock time is one token ("08:30" -> "08h30"): split at the colon, its minutes read as a count
    # ("took my tablets at 7:30" is not "took ... 30 tablets").
    text = _CLOCK.sub(r"\1h\2", _clean(sentence))
    for symbol, word in _symbols():
        if symbol in text:
            text = text.replace(symbol, f" {word} ")
    return _TOKEN.findall(text)


@cache
def _symbols() -> tuple[tuple[str, str], ...]:
    from gabacare.clinical.text.plain import plain_language

    return tuple(sorted(plain_language().normalise.symbols.items(), key=lambda kv: -len(kv[0])))


@cache
def _maps() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    from gabacare.clinical.text.plain import plain_language

    n = plain_language().normalise
    words = {k: tuple(v.split()) for k, v in n.sound_alike.items()}
    words.update({k: tuple(v.split()) for k, v in n.words.items()})
    words.update({k: tuple(v.split()) for k, v in n.foreign.items()})
    return words, dict(n.spellings)


@cache
def sound_alike_slips() -> frozenset[str]:
    """The typed slips ``[normalise.sound_alike]`` rewrites ("tounge"): shown to the reader as
    corrections, like the spelling corrector's, because they change what was typed."""
    from gabacare.clinical.text.plain import plain_language

    return frozenset(plain_language().normalise.sound_alike)


def normalise_words(tokens: list[str]) -> list[tuple[str, str]]:
    """``(typed, normalised)`` pairs: contractions expanded, spellings unified.

    A token that expands to several words yields several pairs with the same typed form.

    Examples
    --------
    >>> normalise_words(["cant", "breathe", "colour"])
    [('cant', 'can'), ('cant', 'not'), ('breathe', 'breathe'), ('colour', 'color')]
    """
    words, spellings = _maps()
    out: list[tuple[str, str]] = []
    for tok in tokens:
        bare = tok.strip("'")
        if bare in words:
            out.extend((tok, w) for w in words[bare])
        elif bare.endswith("'s") and bare[:-2] in words:
            out.extend((tok, w) for w in words[bare[:-2]])
        else:
            # Possessives read as the noun: "husband's" -> "husband".
            word = bare[:-2] if bare.endswith("'s") else bare.replace("'", "")
            out.append((tok, spellings.get(word, word)))
    return _measured(out)


def _measured(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A number and the measure after it (``[normalise] measures``: "30 years", "40 miles") as one
    word, "30_years": no count of tablets is read in it. An age or a supply ("4 years old", "2 years
    worth") is left as it is.

    >>> _measured([("for", "for"), ("30", "30"), ("years", "years")])
    [('for', 'for'), ('30 years', '30_years')]
    """
    # (the language's values are read only for a text with a number in it: an ordinary question
    # read by `ask` loads none of them)
    if len(pairs) < 2 or not any(w.isdigit() for _, w in pairs):
        return pairs
    measures = _measures()
    if not measures:
        return pairs
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(pairs):
        typed, word = pairs[i]
        # (an age is no measure: "my 4 yr old"; nor a supply: "2 years worth", "3 years of tablets")
        if (word.isdigit() and i + 1 < len(pairs) and pairs[i + 1][1] in measures
                and (i + 2 >= len(pairs) or pairs[i + 2][1] not in _NOT_AFTER_MEASURE)):
            out.append((f"{typed} {pairs[i + 1][0]}", f"{word}_{pairs[i + 1][1]}"))
            i += 2
            continue
        out.append(pairs[i])
        i += 1
    return out


#: A measure followed by one of these is no measure: an age ("4 years old"), a supply ("2 years worth").
_NOT_AFTER_MEASURE = frozenset({"old", "worth", "supply", "of"})


@cache
def _measures() -> frozenset[str]:
    from gabacare.clinical.text.plain import plain_language

    return frozenset(plain_language().normalise.measures)
