"""Plain copies of validated knowledge-base values: frozen dataclasses read back from JSON.

The knowledge base is validated by pydantic models (:mod:`.monograph`, :mod:`.language`); importing
pydantic and building those model classes costs a new process ~0.1 s, more than a warm ``gabacare
ask`` or ``gabacare symptoms`` does with them. A face that only reads some of their values keeps a
plain copy of them: frozen dataclasses that *mirror* the models (a mirror's field has the name, and
holds the value, of the model's attribute of that name; a tuple field holds the model's tuple or
list, a ``frozenset`` its set, a :class:`PlainCitation` its :class:`~gabacare.knowledge.Citation`).

:func:`mirror_json` reads a mirror's values from the validated model as JSON types, which
:func:`gabacare.knowledge.cache.derived` keeps; :func:`from_json` builds the mirror from them and
refuses (``TypeError`` or ``ValueError``) anything of another shape, so that a damaged cache file is
never used. Both are driven by the mirror's declared field types, so a mirror is written once, as a
dataclass, and a test holds every field equal to the model's (``tests/unit/clinical/test_text_plain.py``).
:func:`cached_mirror` keeps a mirror's values in the cache directory. Used by
:mod:`gabacare.clinical.text.plain` (what the text pipeline and the triage read) and
:mod:`gabacare.guide.plain` (what ``ask`` reads).
"""

from __future__ import annotations

import functools
import sys
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from types import NoneType, UnionType
from typing import Any, TypeVar, Union

from gabacare._record import record

__all__ = ["PlainCitation", "cached_mirror", "from_json", "mirror_json"]

T = TypeVar("T")


@record
class PlainCitation:
    """A citation as the faces show it: the monograph's citation (``source``, ``section``), its short
    form (``text``: :meth:`gabacare.knowledge.Citation.render`) and its source's ``title`` and ``url``
    (``None`` for a source ``sources.toml`` does not list).

    Two plain citations are equal when their fields are: ``text``, ``title`` and ``url`` follow from
    ``source`` and ``section``, so this is the monograph citation's own equality.
    """

    source: str
    section: str | None
    text: str
    title: str | None
    url: str | None

    def render(self) -> str:
        """Short human form, e.g. ``label §2.3`` (what the monograph's citation renders)."""
        return self.text

    def to_json(self) -> dict[str, str | None]:
        """The JSON of the monograph's citation (:func:`gabacare.serialize.citation_json`)."""
        return {"source": self.source, "section": self.section, "text": self.text, "title": self.title, "url": self.url}


_Read = Callable[[Any], Any]


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A mirror's field types, resolved (its module writes them as strings)."""
    return typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))


def _optional(tp: Any) -> Any | None:
    """``X`` for ``X | None``, else ``None``."""
    if typing.get_origin(tp) in (Union, UnionType):
        args = [a for a in typing.get_args(tp) if a is not NoneType]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
        raise TypeError(f"not a mirror field type: {tp!r}")
    return None


# --- from the validated model ----------------------------------------------------------------------
def mirror_json(value: Any, tp: Any) -> Any:
    """The values of mirror type ``tp`` read from ``value`` (a validated model, or one of its values),
    as JSON types: what :func:`from_json` reads back. A citation is written as
    :func:`gabacare.serialize.citation_json` writes it, a set as a sorted list."""
    inner = _optional(tp)
    if inner is not None:
        return None if value is None else mirror_json(value, inner)
    if tp is PlainCitation:
        from gabacare.serialize import citation_json

        return citation_json(value)
    if isinstance(tp, type) and is_dataclass(tp):
        hints = _hints(tp)
        return {f.name: mirror_json(getattr(value, f.name), hints[f.name]) for f in fields(tp)}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple:
        if not isinstance(value, tuple | list):
            raise TypeError(f"expected a sequence for {tp!r}, got {type(value).__name__}")
        return [mirror_json(v, args[0]) for v in value]
    if origin is frozenset:
        if not isinstance(value, frozenset | set):
            raise TypeError(f"expected a set for {tp!r}, got {type(value).__name__}")
        return sorted(mirror_json(v, args[0]) for v in value)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a table for {tp!r}, got {type(value).__name__}")
        return {k: mirror_json(v, args[1]) for k, v in value.items()}
    if tp in (str, int, float, bool) and type(value) is tp:
        return value
    raise TypeError(f"expected {tp!r}, got {type(value).__name__}")


# --- from JSON -------------------------------------------------------------------------------------
def from_json(tp: type[T], value: Any) -> T:
    """The mirror ``tp`` from :func:`mirror_json`'s values; ``TypeError`` or ``ValueError`` for
    anything of another shape (a missing or unknown field, a value of another type).

    Examples
    --------
    >>> c = from_json(PlainCitation, {"source": "label", "section": "5.2", "text": "label §5.2", "title": None, "url": None})
    >>> c.render()
    'label §5.2'
    >>> from_json(PlainCitation, {"source": "label"})
    Traceback (most recent call last):
    ValueError: PlainCitation: expected the fields ['section', 'source', 'text', 'title', 'url']
    >>> from_json(tuple[float, ...], [0.5, 1])
    Traceback (most recent call last):
    TypeError: expected float, got int
    """
    read: Callable[[Any], T] = _reader(tp)  # type: ignore[arg-type]  # (a mirror class is hashable)
    return read(value)


@functools.cache
def _reader(tp: Any) -> _Read:
    """A function turning :func:`mirror_json`'s form of a ``tp`` into its value, checking each type
    exactly (a float stays a float through JSON: an integer where a float belongs is damage)."""
    inner = _optional(tp)
    if inner is not None:
        read_inner = _reader(inner)
        return lambda v: None if v is None else read_inner(v)
    if tp in (str, int, float, bool):
        kind = tp

        def scalar(v: Any) -> Any:
            if type(v) is not kind:
                raise TypeError(f"expected {kind.__name__}, got {type(v).__name__}")
            return v

        return scalar
    if isinstance(tp, type) and is_dataclass(tp):
        return _record(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if args[0] in (str, int, float, bool):
            return _scalars(args[0])
        return _sequence(_reader(args[0]), tuple)
    if origin is frozenset and len(args) == 1:
        return _sequence(_reader(args[0]), frozenset)
    if origin is dict and len(args) == 2 and args[0] is str:
        item = _reader(args[1])

        def table(v: Any) -> dict[str, Any]:
            if not isinstance(v, dict) or not all(type(k) is str for k in v):
                raise TypeError(f"expected a table, got {type(v).__name__}")
            return {k: item(x) for k, x in v.items()}

        return table
    raise TypeError(f"not a mirror field type: {tp!r}")


def _sequence(item: _Read, kind: Callable[[Any], Any]) -> _Read:
    def sequence(v: Any) -> Any:
        if not isinstance(v, list):
            raise TypeError(f"expected a list, got {type(v).__name__}")
        return kind(item(x) for x in v)

    return sequence


def _scalars(kind: type) -> _Read:
    # (a topic model's ~4,000 numbers: one pass over the list, not a function call per number)
    def scalars(v: Any) -> tuple[Any, ...]:
        if not isinstance(v, list):
            raise TypeError(f"expected a list, got {type(v).__name__}")
        for x in v:
            if type(x) is not kind:
                raise TypeError(f"expected {kind.__name__}, got {type(x).__name__}")
        return tuple(v)

    return scalars


def _record(cls: type) -> _Read:
    hints = _hints(cls)
    readers = {f.name: _reader(hints[f.name]) for f in fields(cls)}

    def record(v: Any) -> Any:
        if not isinstance(v, dict) or v.keys() != readers.keys():
            raise ValueError(f"{cls.__name__}: expected the fields {sorted(readers)}")
        return cls(**{name: read(v[name]) for name, read in readers.items()})

    return record


# --- kept in the cache directory ------------------------------------------------------------------
def cached_mirror(tp: type[T], name: str, data_files: Sequence[str], code_files: Sequence[str],
                  build: Callable[[], Any]) -> T:
    """The mirror ``tp`` of ``build()``'s values (:func:`mirror_json`'s form, read from the validated
    models), kept in the cache directory under ``name`` for these data files and this code (the
    caller's ``code_files``, this module, the cache's code, the citations' JSON and pydantic's
    version). A cached file of another shape (damage) is not used: the values are built again."""
    from gabacare import serialize
    from gabacare.knowledge import cache, files

    code = (*code_files, __file__, cache.__file__, serialize.__file__, files.pydantic_version_file())
    with cache.gc_paused():  # thousands of small objects: no collector pass over the whole heap meanwhile
        try:
            return from_json(tp, cache.derived(name, data_files, code, build))
        except (TypeError, ValueError, KeyError, AttributeError):
            return from_json(tp, build())
