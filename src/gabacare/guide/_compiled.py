"""A compiled, on-disk form of what :mod:`gabacare.guide.ask` derives from the knowledge base.

Every new ``gabacare ask`` process used to embed the topics' ~800 example questions, titles,
summaries and search terms and take out their principal directions (about 0.1 s of CPU) before it
could answer. :func:`compiled_arrays` keeps those arrays in the user's cache directory (the same one
as :mod:`gabacare.knowledge.cache`: ``GABACARE_CACHE_DIR``, else the platform's user cache dir;
``GABACARE_CACHE=off`` disables it) as one ``.npz`` file, under a key that hashes

* every file of the knowledge base's data folder (topics, synonyms, lexicons, models: a change made
  on another branch, or a new wheel, gives a new key by itself),
* the code that derives the arrays (``ask.py``, this module, the semantic net's loader) and NumPy's
  version (a file that depends on some of the data files only may be keyed on those: ``data``),
* the embedding weights' and tokenizer's paths, sizes and modification times.

The cache can only save time, never change an answer: the arrays are stored bit for bit as built
(``.npz`` of plain arrays; read back without NumPy, by :func:`read_npz`, which accepts only the few plain
numeric and text types written here: nothing in it can run code), the key is
also stored inside the file and checked, and a file that is missing, damaged, stale or of the wrong
shape is ignored and rebuilt. A new file is written to a temporary name and renamed into place, so
concurrent processes see either no file or a whole one. Nothing from a journal is ever written here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gabacare._record import record

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["PlainArray", "cache_directory", "cache_key", "cached_arrays", "compiled_arrays", "data_files", "read_npz"]

#: The array types a compiled file may hold (NumPy's type strings), and the ``array`` module's code for each number type.
_NUMBERS = {"<f4": "f", "<i8": "q", "<i4": "i", "|u1": "B"}
_MAGIC = b"\x93NUMPY"


@record
class PlainArray:
    """One array of a compiled file as plain bytes: NumPy's type string (``"<f4"``: little-endian
    float32; ``"<i8"``, ``"<i4"``, ``"|u1"``; ``"<U32"``: text), its shape and its C-ordered bytes.

    What ``ask`` answers with is computed from these in plain Python: a warm ``gabacare ask`` does not
    import NumPy (~35-40 ms of its start). Arrays are built with NumPy and turned into these by
    :meth:`of`, so a built and a loaded copy are the same bytes.

    >>> a = PlainArray("<i4", (2, 2), bytes([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]))
    >>> a.numbers().tolist(), a.rows()[1].tolist(), len(a)
    ([1, 2, 3, 4], [3, 4], 2)
    """

    descr: str
    shape: tuple[int, ...]
    data: bytes

    @classmethod
    def of(cls, values: Any) -> PlainArray:
        """A NumPy array's type string, shape and bytes (C order); a plain array as it is."""
        if isinstance(values, PlainArray):
            return values
        import numpy as np

        a = np.ascontiguousarray(values)
        return cls(a.dtype.str, tuple(int(d) for d in a.shape), a.tobytes())

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 1

    def numbers(self) -> array[Any]:
        """The values, flat, as an ``array.array`` of the matching type (``ValueError`` for text)."""
        code = _NUMBERS.get(self.descr)
        if code is None:
            raise ValueError(f"not a numeric array: {self.descr}")
        out = array(code)
        out.frombytes(self.data)
        if sys.byteorder == "big" and out.itemsize > 1:
            out.byteswap()
        return out

    def rows(self) -> list[array[Any]]:
        """A two-dimensional array's rows (:meth:`numbers` cut every ``shape[1]`` values)."""
        if self.ndim != 2:
            raise ValueError("not a two-dimensional array")
        flat, width = self.numbers(), self.shape[1]
        return [flat[i * width:(i + 1) * width] for i in range(self.shape[0])]

    def text(self) -> str:
        """A text array of no dimensions (NumPy's ``<U`` type: UTF-32, padded with NUL characters)."""
        if not (self.descr.startswith("<U") and self.shape == ()):
            raise ValueError("not a single text")
        return self.data.decode("utf-32-le").rstrip("\0")


def _npy(raw: bytes) -> PlainArray:
    """One ``.npy`` member: the format's magic string, its version, its header (a Python literal naming
    the type, the order and the shape), then the data. Only the types of ``_NUMBERS`` and text, C order."""
    import ast

    if raw[:6] != _MAGIC or raw[6] not in (1, 2, 3):
        raise ValueError("not an .npy array")
    size, start = (int.from_bytes(raw[8:10], "little"), 10) if raw[6] == 1 else (int.from_bytes(raw[8:12], "little"), 12)
    header = ast.literal_eval(raw[start:start + size].decode("latin-1"))
    descr, shape = header["descr"], tuple(int(d) for d in header["shape"])
    if not isinstance(descr, str) or header["fortran_order"] or not (descr in _NUMBERS or descr.startswith("<U")):
        raise ValueError("an array of a type this cache does not write")
    itemsize = int(descr[2:]) * 4 if descr.startswith("<U") else int(descr[2:])
    count = 1
    for d in shape:
        count *= d
    data = raw[start + size:]
    if len(data) != count * itemsize:
        raise ValueError("an array whose data is not its shape's size")
    return PlainArray(descr, shape, data)


def read_npz(path: Path) -> dict[str, PlainArray]:
    """Every array of an ``.npz`` file as written by NumPy's ``savez`` (``ValueError``, ``OSError`` or
    ``zipfile.BadZipFile`` when it is not one of the plain files this cache writes)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {name.removesuffix(".npy"): _npy(z.read(name)) for name in z.namelist() if name.endswith(".npy")}


Arrays = dict[str, PlainArray]

#: The array in each file that holds its key (checked on load: a renamed or copied file is not trusted).
_KEY = "__key__"
# Each installation (a checkout, a virtual environment) keeps its own files; its own older versions
# are deleted when a new one is written.
_INSTALL = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]


def cache_directory() -> Path | None:
    """Where compiled files live, or ``None`` when caching is turned off (``GABACARE_CACHE=off``)."""
    from gabacare._cachedir import cache_directory as folder

    found = folder()
    return None if found is None else Path(found)


def _data_root() -> Path:
    """The knowledge base's data folder (``gabacare/knowledge/data``)."""
    from gabacare.knowledge.files import data_dir

    return Path(str(data_dir()))


def data_files() -> list[tuple[str, bytes]]:
    """(path relative to the data folder, SHA-256 of the content) of every knowledge-base data file,
    sorted."""
    return _data_files()


def _data_files(data: Callable[[str], bool] | None = None) -> list[tuple[str, bytes]]:
    """(path relative to the data folder, SHA-256 of the content) of every knowledge-base data file
    (that ``data`` accepts), sorted (:func:`gabacare.knowledge.cache.file_digest`)."""
    from gabacare.knowledge.cache import file_digest

    root = _data_root()
    found = ((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted((rel, file_digest(p)) for rel, p in found if data is None or data(rel))


def cache_key(name: str, code_files: Iterable[str | Path], files_by_identity: Iterable[Path],
              data: Callable[[str], bool] | None = None, read: Sequence[tuple[str, bytes]] | None = None) -> str:
    """The hex key of ``name``'s compiled form for the current knowledge base, code and model files.

    ``code_files`` are hashed by content; ``files_by_identity`` (large model files) by resolved path,
    size and modification time; the knowledge base's data files by name and content, all of them or
    those whose path relative to the data folder ``data`` accepts. ``read`` is every data file as
    :func:`data_files` gives them, already read (several keys of one moment read them once). Each
    content counts by its SHA-256 (:func:`gabacare.knowledge.cache.file_digest`).
    """
    from gabacare.knowledge.cache import file_digest

    h = hashlib.sha256(f"{name}\0{_numpy_version()}\0".encode())
    found = _data_files(data) if read is None else [(rel, digest) for rel, digest in read if data is None or data(rel)]
    for rel, digest in found:
        h.update(f"data {rel}\0".encode())
        h.update(digest)
    for f in (*code_files, __file__):
        h.update(f"code {Path(f).name}\0".encode())
        h.update(file_digest(f))
    for f in files_by_identity:
        st = f.stat()
        h.update(f"file {f.resolve()} {st.st_size} {st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:32]


def _numpy_version() -> str:
    """NumPy's version, as the key records it, without importing NumPy (a warm ``ask`` never does):
    the digest of its ``version.py``, which names it."""
    import importlib.util

    from gabacare.knowledge.cache import file_digest

    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        return "numpy absent"
    version = Path(spec.origin).parent / "version.py"
    return f"numpy {file_digest(version).hex() if version.is_file() else spec.origin}"


def _load(path: Path, key: str, check: Callable[[Mapping[str, PlainArray]], bool]) -> Arrays | None:
    try:
        arrays = read_npz(path)
        stored_key = arrays.pop(_KEY, None)
        if stored_key is None or stored_key.text() != key:
            return None
    except Exception:  # any damage (zipfile.BadZipFile, zlib.error, a truncated array...): rebuild
        return None
    try:
        return arrays if check(arrays) else None
    except Exception:  # a missing array or an odd shape the check did not expect: rebuild
        return None


def _write(folder: Path, path: Path, key: str, arrays: Mapping[str, NDArray[np.generic] | PlainArray], name: str) -> None:
    import tempfile  # (only when a file is written: a warm process reads)

    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
    try:
        payload: dict[str, Any] = {_KEY: np.asarray(key)}
        for n, a in arrays.items():
            payload[n] = (np.frombuffer(a.data, dtype=a.descr).reshape(a.shape) if isinstance(a, PlainArray) else a)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **payload)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for old in folder.glob(f"{name}-{_INSTALL}-*.npz"):
        if old != path:
            old.unlink(missing_ok=True)


def cached_arrays(name: str, key: str | None, check: Callable[[Mapping[str, PlainArray]], bool]) -> Arrays | None:
    """The arrays of a whole, current file for ``name`` and ``key`` that pass ``check``, else ``None``
    (no file, damaged, another key, caching off): what :func:`compiled_arrays` would read."""
    folder = cache_directory()
    if folder is None or key is None:
        return None
    path = folder / f"{name}-{_INSTALL}-{key}.npz"
    return _load(path, key, check) if path.is_file() else None


def compiled_arrays(name: str, key: str | None, build: Callable[[], Mapping[str, NDArray[np.generic] | PlainArray]],
                    check: Callable[[Mapping[str, PlainArray]], bool]) -> Arrays:
    """``build()``'s arrays (NumPy's, returned as :class:`PlainArray`), read from the cache when a
    whole, current file is there.

    ``key`` is :func:`cache_key`'s (``None``: no cache, build). ``check`` says whether loaded arrays
    have the names, dtypes and shapes ``build`` would give; a file that fails it, or cannot be read,
    or holds another key, is rebuilt and replaced. Failing to write (read-only or full disk) only
    costs the time of building again next run.
    """
    folder = cache_directory()
    if folder is None or key is None:
        return {n: PlainArray.of(a) for n, a in build().items()}
    path = folder / f"{name}-{_INSTALL}-{key}.npz"
    loaded = cached_arrays(name, key, check)
    if loaded is not None:
        return loaded
    built = dict(build())
    with contextlib.suppress(OSError, ValueError, TypeError):  # not written: built again next time
        _write(folder, path, key, built, name)
    return {n: PlainArray.of(a) for n, a in built.items()}
