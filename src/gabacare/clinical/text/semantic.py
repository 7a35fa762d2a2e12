"""Step 6 of reading: the semantic safety net (static sentence embeddings, offline).

The weights are WordLlama's ``l2_supercat`` 256-dimension token embeddings and its tokenizer,
both shipped inside the ``wordllama`` wheel (source id ``wordllama``); a sentence's vector is the
mean of its tokens' vectors, normalised, and similarity is the cosine. Only the two files are read
(via ``tokenizers``, and the weights memory-mapped: :func:`mapped_table`): wordllama's own loader
is not imported, because it tries to download a tokenizer and its imports cost half a second, nor
is ``safetensors`` unless the file's layout is not the plain one (its import costs ~0.1 s of CPU and
it reads all 16 MB, where a text touches a few hundred rows).

The net compares a clause with every emergency sign's ``descriptions`` (``lexicon.toml``). It is
loaded lazily, on the first clause that needs it, and only ever *adds* a possible emergency. If it
cannot load (package missing, files damaged) :func:`semantic_net` returns ``None``, the reason is
kept in :func:`unavailable_reason`, and reading goes on with the rules alone.

>>> net = semantic_net()
>>> net is not None or unavailable_reason() is not None  # either loaded, or it says why not
True
>>> net is None or net.closest("she will not wake up and her breathing is very slow").effect
'respiratory-depression'
>>> net is None or net.emergency_probability("went for a walk in the park") < 0.5
True
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gabacare._record import record
from gabacare.knowledge.words import language_files

# The safetensors file starts with its JSON header's length: an unsigned 64-bit little-endian integer.
_LENGTH = "<Q"
_MAX_HEADER_BYTES = 1024 * 1024  # a header larger than 1 MiB is not the one-tensor file we ship: read it the slow way

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from gabacare.clinical.text.plain import EmergencyModel

__all__ = [
    "MappedTable", "NetHit", "SemanticNet", "lexical_features", "mapped_table", "model_files", "semantic_net",
    "unavailable_reason",
]


def lexical_features(text: str, size: int) -> frozenset[int]:
    """The word features of a (normalised) text for ``emergency_words.toml``: each word's stem and each
    pair of neighbouring stems, hashed (CRC-32: the same on every run and machine) into ``size`` slots.

    The static sentence vector scores close wordings well and new ones poorly; weights on words and
    word pairs ("done with", "goodbye", "aim at") carry over to an author the model never saw
    (docs/text-understanding.md gives the out-of-fold figures). Digits and marks are left out.

    >>> lexical_features("can not wake him", 64) == lexical_features("Can not  wake him", 64)
    True
    >>> lexical_features("anything", 0)
    frozenset()
    """
    import zlib
    from itertools import pairwise

    from gabacare.clinical.text.lexicon import stem

    if not size:
        return frozenset()
    stems = [stem(w) for w in text.lower().split() if w.isalpha()]
    grams = set(stems) | {f"{a} {b}" for a, b in pairwise(stems)}
    return frozenset(zlib.crc32(g.encode()) % size for g in grams)


@record
class NetHit:
    """The closest emergency description to a clause."""

    sign: str
    effect: str
    description: str
    score: float


class SemanticNet:
    """Mean-pooled static embeddings over the emergency descriptions (immutable once built)."""

    def __init__(self, weights: Path, tokenizer: Path, *, emergency_model: bool = True) -> None:
        from tokenizers import Tokenizer

        from gabacare.clinical.text.plain import plain_language, plain_monograph

        # Kept as stored (float16, 16 MB, mapped read-only); only the rows a text uses are read and
        # widened to float32.
        self._table: NDArray[np.float16] = _load_table(weights)
        self._tok: Any = Tokenizer.from_file(str(tokenizer))
        lang = plain_language()
        emergency = {e.id for e in plain_monograph().adverse_effects if e.urgency == "emergency"}
        rows = [(s.id, s.effect, d) for s in lang.lexicon.signs if s.effect in emergency for d in s.descriptions]
        self._rows = rows
        self._matrix = self.embed([d for _, _, d in rows])
        if emergency_model:  # a model that does not fit these vectors fails the load, not a later text
            self._emergency()

    def embed(self, texts: list[str]) -> NDArray[np.float32]:
        """Unit vectors, one row per text (an empty text gives a zero row)."""
        import numpy as np
        out: NDArray[np.float32] = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        for i, enc in enumerate(self._tok.encode_batch(texts, add_special_tokens=False)):
            ids = np.clip(np.asarray(enc.ids, dtype=np.int64), 0, self._table.shape[0] - 1)
            if ids.size:
                v = self._table[ids].astype(np.float32).mean(axis=0)
                norm = float(np.linalg.norm(v))
                out[i] = v / norm if norm else v
        return out

    def emergency_probability(self, text: str, model: EmergencyModel | None = None) -> float:
        """P(emergency | text) from an emergency model (default ``emergency_net.toml``) over this
        text's vector, and its hashed words when the model has word weights (``emergency_words.toml``)."""
        import numpy as np

        model = self._emergency(model)
        z = float(np.dot(self.embed([text])[0], np.asarray(model.weights, dtype=np.float32))) + model.bias
        z += sum(model.lexical_weights[i] for i in lexical_features(text, model.lexical_size))
        return 1.0 / (1.0 + float(np.exp(-z)))

    def _emergency(self, model: EmergencyModel | None = None) -> EmergencyModel:
        from gabacare.clinical.text.plain import emergency_model

        model = model or emergency_model()
        if model.dimensions != self._table.shape[1]:
            raise ValueError("the emergency model was fitted to vectors of another size")
        return model

    def closest(self, clause: str) -> NetHit:
        """The emergency description most similar to ``clause``."""
        scores = self._matrix @ self.embed([clause])[0]
        best = int(scores.argmax())
        sign, effect, text = self._rows[best]
        return NetHit(sign, effect, text, float(scores[best]))


@record
class MappedTable:
    """The embedding matrix as a memory-mapped float16 file: ``rows`` x ``columns`` values from
    ``offset`` (little-endian), read a row at a time in plain Python (``ask``'s question vector)."""

    mapped: Any  # mmap.mmap, read-only
    offset: int
    rows: int
    columns: int

    def row(self, index: int) -> tuple[float, ...]:
        """Row ``index`` (0 <= index < rows) as floats."""
        import struct

        if not 0 <= index < self.rows:
            raise IndexError(index)
        return struct.unpack_from(f"<{self.columns}e", self.mapped, self.offset + index * self.columns * 2)


def mapped_table(weights: Path) -> MappedTable | None:
    """The safetensors file's single float16 matrix, memory-mapped read-only, or ``None`` when the
    file is not laid out that way.

    The format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
    shape and byte range, then the data. The mapping stays valid after the file is closed.
    """
    import json
    import mmap
    import struct

    with weights.open("rb") as fh:
        (n,) = struct.unpack(_LENGTH, fh.read(struct.calcsize(_LENGTH)))
        if n > _MAX_HEADER_BYTES:
            return None
        header = json.loads(fh.read(n))
        tensors = {k: v for k, v in header.items() if k != "__metadata__"}
        if len(tensors) != 1:
            return None
        (info,) = tensors.values()
        shape = tuple(int(d) for d in info["shape"])
        start, end = (int(x) for x in info["data_offsets"])
        if info["dtype"] != "F16" or len(shape) != 2 or end - start != shape[0] * shape[1] * 2:
            return None
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    body = struct.calcsize(_LENGTH) + n  # where the tensors begin: after the length and the JSON header
    if body + end > len(mapped):
        return None
    return MappedTable(mapped, body + start, shape[0], shape[1])


def _mapped_table(weights: Path) -> NDArray[np.float16] | None:
    """:func:`mapped_table` as a NumPy array over the same mapping (the same values
    ``safetensors.numpy.load_file`` returns)."""
    import numpy as np

    found = mapped_table(weights)
    if found is None:
        return None
    table: NDArray[np.float16] = np.frombuffer(found.mapped, dtype="<f2", count=found.rows * found.columns,
                                               offset=found.offset).reshape(found.rows, found.columns)
    return table


def _load_table(weights: Path) -> NDArray[np.float16]:
    """The embedding matrix: mapped (:func:`_mapped_table`), else read whole by ``safetensors``."""
    table = _mapped_table(weights)
    if table is not None:
        return table
    from safetensors.numpy import load_file

    loaded: NDArray[np.float16] = next(iter(load_file(str(weights)).values()))
    return loaded


_lock = threading.Lock()
_state: dict[str, Any] = {}


def model_files() -> tuple[Path, Path]:
    """The static embedding weights and tokenizer inside the installed ``wordllama`` wheel."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the wordllama package (which holds the embedding weights) is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    names = language_files()  # (load_language()'s names, without building the language)
    return root / names.weights, root / names.tokenizer


def semantic_net() -> SemanticNet | None:
    """The loaded net, or ``None`` if it cannot load (see :func:`unavailable_reason`)."""
    with _lock:
        if "net" not in _state:
            try:
                _state["net"] = SemanticNet(*model_files())
                _state["reason"] = None
            except Exception as exc:
                _state["net"] = None
                _state["reason"] = f"semantic safety net unavailable ({type(exc).__name__}); rules only"
        net: SemanticNet | None = _state["net"]
        return net


def unavailable_reason() -> str | None:
    """Why the net could not load, or ``None`` (loaded, or not needed yet)."""
    reason: str | None = _state.get("reason")
    return reason
