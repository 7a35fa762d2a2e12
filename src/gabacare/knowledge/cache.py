"""A cache for data derived from the knowledge base (compiled lexicons, vocabularies).

Compiling the lay-language lexicon (normalising, correcting and stemming ~2,000 phrases) costs a
few hundred milliseconds, which every new ``gabacare`` process would pay again. :func:`derived`
keeps the JSON result in the user's cache directory under a key that hashes the data files and the
code that derives from them, so a changed lexicon or compiler is never served stale. Any problem
(no writable cache directory, a damaged file) falls back to building in memory: the cache can only
save time, never change a result. ``GABACARE_CACHE=off`` disables it; ``GABACARE_CACHE_DIR``
moves it. Nothing from a journal is ever written here.

:func:`validated_model` keeps a validated pydantic model the same way (its fields as JSON, rebuilt
without validation on a hit). The cache holds JSON only, never anything that could run code.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from gabacare.knowledge.files import data_dir

if TYPE_CHECKING:
    from pydantic.main import BaseModel

__all__ = ["derived", "file_digest", "gc_paused", "validated_model"]

M = TypeVar("M", bound="BaseModel")


def _directory() -> Path | None:
    from gabacare._cachedir import cache_directory

    found = cache_directory()
    return None if found is None else Path(found)


#: A file's digest is remembered only once its last change is this many seconds old: a file can be
#: rewritten within one tick of the file system's clock without its size or times changing, never
#: after its times have moved on (git's "racy clean" rule).
_SETTLED_S = 2.0
#: path -> (size, modification and change times, inode; SHA-256 of the content), per process.
_digests: dict[str, tuple[tuple[int, int, int, int], bytes]] = {}


def file_digest(path: str | os.PathLike[str]) -> bytes:
    """The SHA-256 of a file's content.

    Every cache key hashes the data files it depends on, and one ``gabacare ask`` computes a dozen
    keys over the same files (~5 MB of hashing). The digest is therefore read once per process and
    reused while the file's size, modification and change times and inode are those it was read
    with, and only for a file last changed more than ``_SETTLED_S`` seconds before it was read:
    any later write changes its times. A file whose status changed while it was read is not kept.
    """
    where = os.fspath(path)
    st = os.stat(where)
    status = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    known = _digests.get(where)
    if known is not None and known[0] == status:
        return known[1]
    with open(where, "rb") as fh:
        digest = hashlib.sha256(fh.read()).digest()
    after = os.stat(where)
    settled = time.time() - max(st.st_mtime, st.st_ctime) > _SETTLED_S
    if settled and (after.st_size, after.st_mtime_ns, after.st_ctime_ns, after.st_ino) == status:
        _digests[where] = (status, digest)
    return digest


def _digest(ref: Any) -> bytes:
    """:func:`file_digest` of a data file (a resource that is not a plain file is hashed as read)."""
    if isinstance(ref, os.PathLike):
        return file_digest(ref)
    return hashlib.sha256(ref.read_bytes()).digest()


def _key(name: str, data_files: Sequence[str], code_files: Sequence[str]) -> str:
    """A hash of ``name`` and the contents of the data files and code files (each by its SHA-256)."""
    h = hashlib.sha256(name.encode())
    data = data_dir()
    for f in data_files:
        h.update(_digest(data.joinpath(f)))
    for f in code_files:
        h.update(file_digest(f))
    return h.hexdigest()[:32]


# Each installation (a checkout, a virtual environment) keeps its own files: two versions used side
# by side must not delete each other's on every run. Its own earlier versions are deleted when a new
# one is written; other installations' files only once unused for a while (they may be gone).
_INSTALL = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
_OTHER_INSTALLS_KEPT_S = 30 * 24 * 3600


def _forget_old_versions(folder: Path, name: str, keep: Path) -> None:
    now = time.time()
    for old in folder.glob(f"{name}-*.json"):
        if old == keep:
            continue
        try:
            if old.name.startswith(f"{name}-{_INSTALL}-") or now - old.stat().st_mtime > _OTHER_INSTALLS_KEPT_S:
                old.unlink(missing_ok=True)
        except OSError:
            pass


def derived(name: str, data_files: Sequence[str], code_files: Sequence[str], build: Callable[[], Any]) -> Any:
    """``build()``'s JSON-serialisable result, cached for these data files and this code."""
    try:
        folder = _directory()
        if folder is None:
            return build()
        path = folder / f"{name}-{_INSTALL}-{_key(name, data_files, code_files)}.json"
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                return json.load(fh)
    except (OSError, ValueError):
        return build()
    value = build()
    try:
        # Only JSON-exact values are cached (a TOML date, say, is not: it is then rebuilt each time).
        encoded = json.dumps(value, separators=(",", ":"), allow_nan=False)
        if json.loads(encoded) != value:
            return value
        folder.mkdir(parents=True, exist_ok=True)
        import tempfile  # (only when a file is written: a warm process reads)

        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(encoded)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
        _forget_old_versions(folder, name, path)
    except (OSError, TypeError, ValueError):
        pass
    return value


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: turning a cache into thousands of small objects would
    otherwise trigger collections that walk the whole heap (the reference counts still free them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _jsonable(value: Any) -> Any:
    """A validated model as plain JSON values: each model as its explicitly set fields (so that
    :func:`_constructed` restores the same ``model_fields_set``), tuples and sets as lists."""
    from pydantic.main import BaseModel  # (the package resolves its names lazily: slower per call)

    if isinstance(value, BaseModel):
        return {n: _jsonable(getattr(value, n)) for n in type(value).model_fields if n in value.model_fields_set}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (frozenset, set)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"not cacheable: {type(value).__name__}")


_Convert = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


@functools.cache
def _converter(annotation: Any) -> _Convert:
    """A function turning :func:`_jsonable`'s form of a field of this type back into the value the
    validated field held (built once per type: the knowledge base has thousands of values)."""
    from pydantic.main import BaseModel  # (the package resolves its names lazily: slower per call)

    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Union or origin is UnionType:
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            convert = _converter(inner[0])
            return _identity if convert is _identity else (lambda v: None if v is None else convert(v))
        # Scalars and at most one kind of sequence (``int | float | str | tuple[str, ...]``): the JSON
        # form keeps each scalar's type (an int stays an int, a float a float) and writes the sequence
        # as a list, which nothing else of the union is.
        rest = [a for a in inner if a not in (str, int, float, bool) and get_origin(a) is not Literal]
        if not rest:
            return _identity
        if len(rest) > 1 or get_origin(rest[0]) not in (tuple, list, frozenset, set):
            raise TypeError(f"not rebuildable: {annotation!r}")
        sequence = _converter(rest[0])
        return lambda v: sequence(v) if isinstance(v, list) else v
    if origin is Annotated:
        return _converter(args[0])
    if annotation in (str, int, float, bool) or origin is Literal:
        return _identity
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _converter(args[0])
        return tuple if item is _identity else (lambda v: tuple(map(item, v)))
    if origin is tuple and args and Ellipsis not in args:
        items = tuple(_converter(a) for a in args)

        def fixed(v: Any) -> Any:
            if len(v) != len(items):
                raise ValueError(f"{annotation!r}: {len(v)} items")
            return tuple(f(x) for f, x in zip(items, v, strict=True))

        return fixed
    if origin in (list, frozenset, set) and len(args) == 1:
        item, kind = _converter(args[0]), origin
        return kind if item is _identity else (lambda v: kind(map(item, v)))
    if origin is dict and len(args) == 2 and args[0] is str:
        item = _converter(args[1])
        return dict if item is _identity else (lambda v: {k: item(x) for k, x in v.items()})
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        model = annotation
        return lambda v: _constructed(model, v)
    raise TypeError(f"not rebuildable: {annotation!r}")


@functools.cache
def _field_converters(cls: type[BaseModel]) -> dict[str, _Convert]:
    annotations: dict[str, Any] = {n: f.annotation for n, f in cls.model_fields.items()}
    return {n: _converter(a) for n, a in annotations.items()}


@functools.cache
def _required(cls: type[BaseModel]) -> frozenset[str]:
    return frozenset(n for n, f in cls.model_fields.items() if f.is_required())


def _constructed(cls: type[M], data: dict[str, Any]) -> M:
    fields = _field_converters(cls)
    if not fields.keys() >= data.keys():
        raise ValueError(f"{cls.__name__}: unknown fields {sorted(set(data) - set(fields))}")
    if not data.keys() >= _required(cls):  # (validation would refuse it: a damaged file, not a model)
        raise ValueError(f"{cls.__name__}: missing fields {sorted(_required(cls) - set(data))}")
    return cls.model_construct(**{n: convert(data[n]) for n, convert in fields.items() if n in data})


def validated_model(name: str, model: type[M], data_files: Sequence[str], code_files: Sequence[str],
                    build: Callable[[], M], *, verify: bool = False) -> M:
    """``build()``'s validated model, validated once per version of its data and code.

    Validating the knowledge base with pydantic costs every new process tens of milliseconds (most
    of it building the validators). The first process validates and keeps the result's fields as
    JSON (:func:`derived`); later ones rebuild the same objects with ``model_construct``, which
    skips validation: safe only because the key covers the data files, the models' code
    (``code_files``), this module and pydantic's version, so the JSON is always the validated result
    of these very files. Anything unexpected in the cached JSON falls back to ``build()``. With
    ``verify``, the JSON is kept only when rebuilding it gives a model equal to the validated one
    (else every process validates: slower, never different)."""
    import pydantic.version

    made: list[M] = []

    def build_fields() -> Any:
        made.append(build())
        try:
            fields = _jsonable(made[0])
            if verify and _constructed(model, json.loads(json.dumps(fields))) != made[0]:
                return None
            return {"fields": fields}
        except (TypeError, ValueError):
            return None  # cached as "not cacheable": later processes validate as before

    code = (*code_files, __file__, pydantic.version.__file__)
    with gc_paused():
        cached = derived(name, data_files, code, build_fields)
        if made:
            return made[0]
        try:
            return _constructed(model, cached["fields"])
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    return build()
