"""Token ids of the semantic net's tokenizer, compiled once per tokenizer for the words ``ask`` meets.

Loading the tokenizer (``tokenizers``' ``Tokenizer.from_file`` over a 32,000-token BPE with 61,000
merges) costs every new ``gabacare ask`` process about 50 ms of CPU. What
``ask`` embeds is a question (or one of the guide's texts) of a few dozen common words, and the
tokenizer's BPE reads a text in pieces this module can find without it:

* the tokenizer turns a text into ``▁`` + the text with every space a ``▁`` (its normalizer), and
  splits nothing before its BPE runs over that whole string;
* BPE only ever joins neighbouring symbols into a token of the vocabulary, so no token of the
  reading spans two neighbouring characters that no token of the vocabulary holds side by side
  (``k?`` in "ok?", ``s▁`` between two words): the text can be cut there, and each piece read alone.

So the ids of a text are the ids of its *segments* (cut at every such place: :func:`segments`) one
after the other, each segment's ids being what the tokenizer's BPE gives for it alone. The table
(:func:`compile_segments`) holds the tokenizer's character pairs and the ids of the segments of the
knowledge base's English word list, of the guide's texts and of common punctuation; it is compiled
only for a tokenizer of the kind this reasoning covers (that normalizer, no pre-tokenizer, a BPE
without dropout, byte fallback for every byte and no merge of fallback bytes), and only kept when
it gives the tokenizer's own ids for every text it was compiled from. A text with a segment not in
the table (a typo, a rare name) is read by the tokenizer itself, loaded on first need
(:class:`SegmentTokenizer`): the table can only save time, never change an id.

>>> pairs = frozenset({"▁h", "ho", "ow", "▁d", "do", "oe", "es", "▁?"})
>>> segments("how does?", pairs)
['▁how', '▁does', '?']
>>> segments("how  does", pairs) is None  # two spaces: read by the tokenizer itself
True
>>> reader = SegmentTokenizer.from_lists(["?", "▁does", "▁how"], [[29973], [947], [920]], pairs)
>>> reader.ids("how does?")
[920, 947, 29973]
>>> reader.ids("why does?") is None
True
"""

from __future__ import annotations

import json
import re
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, pairwise
from operator import add
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gabacare._record import record
from gabacare.guide._compiled import PlainArray

if TYPE_CHECKING:
    from gabacare.clinical.text.semantic import MappedTable

__all__ = ["Embedder", "SegmentTokenizer", "compile_segments", "segments", "table_fits"]

_SPACE = "\u2581"  # "▁": what the tokenizer's normalizer writes for a space
_BYTE = re.compile(r"<0x[0-9A-F]{2}>")
#: Punctuation put in the table whatever the texts hold (alone, doubled, and after a space).
_PUNCTUATION = "?!.,;:'\"()-/&%+*—–…"
#: Word endings after an apostrophe ("can't", "you're"), numbers up to 999, alone or after a space.
_PIECES = ("s", "t", "d", "m", "re", "ve", "ll", *(str(n) for n in range(1000)))


def segments(text: str, pairs: frozenset[str]) -> list[str] | None:
    """The pieces the tokenizer's BPE reads ``text`` in, given the character ``pairs`` its tokens
    hold (module docstring); ``None`` for a text this module does not claim: empty, with spaces not
    single or at an end, with any other white space or a ``▁`` of its own."""
    if not text or text != " ".join(text.split()) or _SPACE in text:
        return None
    normalised = _SPACE + text.replace(" ", _SPACE)
    out: list[str] = []
    start = 0
    for i in range(1, len(normalised)):
        if normalised[i - 1:i + 1] not in pairs:
            out.append(normalised[start:i])
            start = i
    out.append(normalised[start:])
    return out


def _supported(config: Mapping[str, Any]) -> bool:
    """Whether the tokenizer is the kind :func:`segments` reads exactly (module docstring)."""
    model = config.get("model") or {}
    normalizer = config.get("normalizer") or {}
    expected = [{"type": "Prepend", "prepend": _SPACE},
                {"type": "Replace", "pattern": {"String": " "}, "content": _SPACE}]
    vocab = model.get("vocab") or {}
    merges = model.get("merges") or []
    parts = (p for m in merges for p in (m.split(" ") if isinstance(m, str) else m))
    return (model.get("type") == "BPE" and model.get("dropout") is None and not model.get("continuing_subword_prefix")
            and not model.get("end_of_word_suffix") and model.get("byte_fallback") is True
            and all(f"<0x{b:02X}>" in vocab for b in range(256))
            and normalizer.get("type") == "Sequence" and normalizer.get("normalizers") == expected
            and config.get("pre_tokenizer") is None
            and not any(_BYTE.fullmatch(p) for p in parts))


def compile_segments(tokenizer: Any, texts: Iterable[str], inner: Iterable[str] = ()) -> dict[str, PlainArray]:
    """The table for ``tokenizer`` (a ``tokenizers.Tokenizer``) over the segments of ``texts``, and of
    the words ``inner`` also where they follow a cut without a space ("in-law", "88-year-old").

    ``pairs`` (every two neighbouring characters of a vocabulary token, UTF-8), ``keys`` (the sorted
    segments, UTF-8, one per line), ``offsets`` and ``ids`` (segment ``i``'s ids are
    ``ids[offsets[i]:offsets[i + 1]]``). Each segment's ids are the BPE model's for it alone; every
    text of several segments is read by the tokenizer and compared (a text of one segment is what the
    model reads for it). Empty when the tokenizer is not of the supported kind, or when the table
    does not give the tokenizer's own ids for one of those texts.
    """
    config = json.loads(tokenizer.to_str())
    specials = [str(t["content"]) for t in config.get("added_tokens", [])]
    vocab = config.get("model", {}).get("vocab", {}) if _supported(config) else {}
    pairs = frozenset(t[i:i + 2] for t in vocab for i in range(len(t) - 1))
    words = [w for w in dict.fromkeys(texts) if not any(s in w for s in specials)]
    table: dict[str, list[int]] = {}
    if pairs:
        split = {w: segments(w, pairs) for w in words}
        found = {seg for pieces in split.values() for seg in pieces or ()}
        loose = [*inner, *_PIECES, *_PUNCTUATION, *(c * 2 for c in _PUNCTUATION)]
        found |= {piece for w in loose for piece in (w, _SPACE + w) if w and " " not in w and _SPACE not in w}
        # The BPE model alone, as the tokenizer runs it on its normalized text (one text of one
        # segment is read exactly so; texts of several segments are checked against it below).
        for seg in sorted(seg for seg in found if not any(s in seg for s in specials)):
            table[seg] = [int(t.id) for t in tokenizer.model.tokenize(seg)]
        reader = SegmentTokenizer.from_lists(list(table), list(table.values()), pairs)
        several = [w for w, pieces in split.items() if pieces is not None and len(pieces) > 1]
        for w, enc in zip(several, tokenizer.encode_batch(several, add_special_tokens=False), strict=True):
            mine = reader.ids(w)
            if mine is not None and mine != list(enc.ids):
                table, pairs = {}, frozenset()  # not the tokenizer's reading: keep nothing
                break
    keys = "\n".join(table).encode("utf-8")
    pair_bytes = "".join(sorted(pairs)).encode("utf-8")
    offsets = _little(array("q", accumulate((len(v) for v in table.values()), initial=0)))
    ids = _little(array("i", [i for v in table.values() for i in v]))
    return {"pairs": PlainArray("|u1", (len(pair_bytes),), pair_bytes), "keys": PlainArray("|u1", (len(keys),), keys),
            "offsets": PlainArray("<i8", (len(offsets) // 8,), offsets),
            "ids": PlainArray("<i4", (len(ids) // 4,), ids)}


def _little(values: array[int]) -> bytes:
    """The values' bytes, little-endian (the compiled files' order on every machine)."""
    import sys

    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def table_fits(arrays: Mapping[str, PlainArray]) -> bool:
    """Whether loaded arrays have the names, types and shapes :func:`compile_segments` gives."""
    pairs, keys, offsets, ids = arrays["pairs"], arrays["keys"], arrays["offsets"], arrays["ids"]
    if (pairs.descr != "|u1" or keys.descr != "|u1" or offsets.descr != "<i8" or ids.descr != "<i4"
            or any(a.ndim != 1 for a in (pairs, keys, offsets, ids))):
        return False
    count = keys.data.count(b"\n") + 1 if len(keys) else 0
    starts = offsets.numbers()
    return (len(offsets) == count + 1 and int(starts[0]) == 0 and int(starts[-1]) == len(ids)
            and all(a <= b for a, b in pairwise(starts)) and len(pairs.data.decode("utf-8")) % 2 == 0)


@record
class _Encoding:
    """What ``SemanticNet.embed`` reads of an encoding: its ids."""

    ids: list[int]


class SegmentTokenizer:
    """``encode_batch`` as the net's tokenizer answers it, from the compiled table where it holds every
    segment of a text, else from the tokenizer itself (``tokenizer_file``, loaded on first need)."""

    def __init__(self, keys: list[str], offsets: Sequence[int], ids: Sequence[int], pairs: frozenset[str],
                 tokenizer_file: Path | None = None) -> None:
        self._keys = keys
        self._offsets = offsets
        self._ids = ids
        self._pairs = pairs
        self._file = tokenizer_file
        self._lock = threading.Lock()
        self._tokenizer: Any = None

    @classmethod
    def from_lists(cls, keys: list[str], ids: Sequence[Sequence[int]], pairs: frozenset[str]) -> SegmentTokenizer:
        """A reader over a table given as sorted segments and their ids (no tokenizer to fall back to)."""
        return cls(keys, list(accumulate((len(v) for v in ids), initial=0)), [i for v in ids for i in v], pairs)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, PlainArray], tokenizer_file: Path) -> SegmentTokenizer:
        """A reader over :func:`compile_segments`' arrays, falling back to ``tokenizer_file``."""
        keys = arrays["keys"].data.decode("utf-8").split("\n") if len(arrays["keys"]) else []
        joined = arrays["pairs"].data.decode("utf-8")
        pairs = frozenset(joined[i:i + 2] for i in range(0, len(joined), 2))
        return cls(keys, arrays["offsets"].numbers(), arrays["ids"].numbers(), pairs, tokenizer_file)

    @classmethod
    def without_table(cls, tokenizer_file: Path) -> SegmentTokenizer:
        """A reader that asks the tokenizer for every text (no compiled table yet)."""
        return cls([], [0], [], frozenset(), tokenizer_file)

    def ids(self, text: str) -> list[int] | None:
        """``text``'s ids from the table, or ``None`` when a segment is not in it."""
        if not self._pairs:
            return None
        pieces = segments(text, self._pairs)
        if pieces is None:
            return None
        out: list[int] = []
        for piece in pieces:
            i = bisect_left(self._keys, piece)
            if i == len(self._keys) or self._keys[i] != piece:
                return None
            out.extend(int(x) for x in self._ids[int(self._offsets[i]):int(self._offsets[i + 1])])
        return out

    def _loaded(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                if self._file is None:
                    raise LookupError("a text the table does not hold, and no tokenizer to read it")
                from tokenizers import Tokenizer

                self._tokenizer = Tokenizer.from_file(str(self._file))
            return self._tokenizer

    def encode_batch(self, texts: Sequence[str], add_special_tokens: bool = True) -> list[Any]:
        """One encoding (with ``ids``) per text, as ``Tokenizer.encode_batch`` gives them."""
        if add_special_tokens:  # ask never adds them; the table does not know where they go
            return list(self._loaded().encode_batch(list(texts), add_special_tokens=True))
        found = [self.ids(t) for t in texts]
        missing = [t for t, f in zip(texts, found, strict=True) if f is None]
        read = iter(self._loaded().encode_batch(missing, add_special_tokens=False) if missing else ())
        return [_Encoding(f) if f is not None else next(read) for f in found]


class Embedder:
    """The semantic net's sentence vector (the mean of the text's token rows, as a unit vector:
    ``SemanticNet.embed``) in plain Python, over the mapped weights' rows and a :class:`SegmentTokenizer`:
    what ``ask`` needs of the net without building it or importing NumPy.

    The sums are in double precision where the net's are in single: the two agree to about 1e-7 per
    component (``tests/unit/guide/test_ask_fast_start.py``).
    """

    def __init__(self, table: MappedTable, tokenizer: SegmentTokenizer) -> None:
        self._table = table
        self._tok = tokenizer

    @property
    def dimensions(self) -> int:
        """The length of every vector (the weights' columns)."""
        return self._table.columns

    def embed_one(self, text: str) -> list[float]:
        """``text``'s unit vector (all zeros for a text of no tokens)."""
        (enc,) = self._tok.encode_batch([text], add_special_tokens=False)
        last = self._table.rows - 1
        ids = [min(max(int(i), 0), last) for i in enc.ids]
        total = [0.0] * self._table.columns
        for i in ids:
            total = list(map(add, total, self._table.row(i)))
        if not ids:
            return total
        mean = [x / len(ids) for x in total]
        norm = sum(x * x for x in mean) ** 0.5
        return [x / norm for x in mean] if norm else mean
