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
(``.npz`` of plain arrays, read with ``allow_pickle=False``: nothing in it can run code), the key is
also stored inside the file and checked, and a file that is missing, damaged, stale or of the wrong
shape is ignored and rebuilt. A new file is written to a temporary name and renamed into place, so
concurrent processes see either no file or a whole one. Nothing from a journal is ever written here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["cache_directory", "cache_key", "cached_arrays", "compiled_arrays", "data_files"]

Arrays = dict[str, "NDArray[np.generic]"]

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
    import numpy

    from gabacare.knowledge.cache import file_digest

    h = hashlib.sha256(f"{name}\0numpy {numpy.__version__}\0".encode())
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


def _load(path: Path, key: str, check: Callable[[Mapping[str, NDArray[np.generic]]], bool]) -> Arrays | None:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays: Arrays = {n: stored[n] for n in stored.files}
    except Exception:  # any damage (zipfile.BadZipFile, zlib.error, a truncated array...): rebuild
        return None
    stored_key = arrays.pop(_KEY, None)
    if stored_key is None or stored_key.shape != () or str(stored_key) != key:
        return None
    try:
        return arrays if check(arrays) else None
    except Exception:  # a missing array or an odd shape the check did not expect: rebuild
        return None


def _write(folder: Path, path: Path, key: str, arrays: Mapping[str, NDArray[np.generic]], name: str) -> None:
    import tempfile  # (only when a file is written: a warm process reads)

    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
    try:
        payload: dict[str, Any] = {_KEY: np.asarray(key), **arrays}
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **payload)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for old in folder.glob(f"{name}-{_INSTALL}-*.npz"):
        if old != path:
            old.unlink(missing_ok=True)


def cached_arrays(name: str, key: str | None,
                  check: Callable[[Mapping[str, NDArray[np.generic]]], bool]) -> Arrays | None:
    """The arrays of a whole, current file for ``name`` and ``key`` that pass ``check``, else ``None``
    (no file, damaged, another key, caching off): what :func:`compiled_arrays` would read."""
    folder = cache_directory()
    if folder is None or key is None:
        return None
    path = folder / f"{name}-{_INSTALL}-{key}.npz"
    return _load(path, key, check) if path.is_file() else None


def compiled_arrays(name: str, key: str | None, build: Callable[[], Mapping[str, NDArray[np.generic]]],
                    check: Callable[[Mapping[str, NDArray[np.generic]]], bool]) -> Arrays:
    """``build()``'s arrays, read from the cache when a whole, current file is there.

    ``key`` is :func:`cache_key`'s (``None``: no cache, build). ``check`` says whether loaded arrays
    have the names, dtypes and shapes ``build`` would give; a file that fails it, or cannot be read,
    or holds another key, is rebuilt and replaced. Failing to write (read-only or full disk) only
    costs the time of building again next run.
    """
    folder = cache_directory()
    if folder is None or key is None:
        return dict(build())
    path = folder / f"{name}-{_INSTALL}-{key}.npz"
    loaded = cached_arrays(name, key, check)
    if loaded is not None:
        return loaded
    arrays = dict(build())
    with contextlib.suppress(OSError, ValueError, TypeError):  # not written: built again next time
        _write(folder, path, key, arrays, name)
    return arrays
