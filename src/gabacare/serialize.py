"""Core values → JSON-ready objects: one serializer for the CLI's ``--json`` and the web API.

Both faces print exactly the same JSON for the same result, so a script can move between them.

Results' own ``to_json()`` gives the contract keys (DESIGN.md); this module finishes the job for what
they contain: citations become ``{source, section, text, title, url}``, dates ISO strings, clock
times ``HH:MM``, whole floats integers (``600`` rather than ``600.0``), tuples lists, and a float
that is not finite (NaN, ±Infinity: not JSON) ``null``. :func:`dumps` writes the text with
``allow_nan=False`` as a second guard, and escapes C1 controls and bidirectional overrides as
``\\uXXXX`` (the same JSON value, but nothing a terminal or an editor would act on).
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import fields, is_dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gabacare.knowledge import Citation

__all__ = ["citation_json", "dump_bytes", "dumps", "jsonable"]

# C1 controls (a terminal may act on U+009B as on ESC [), the line/paragraph separators and the
# bidirectional embeddings, overrides and isolates ("Trojan Source"). C0 controls json escapes itself.
_INVISIBLE_RE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def citation_json(citation: Citation) -> dict[str, str | None]:
    """One citation with its source's title and address from ``sources.toml``."""
    from gabacare.knowledge import load_monograph

    src = load_monograph().sources.get(citation.source)
    return {
        "source": citation.source,
        "section": citation.section,
        "text": citation.render(),
        "title": src.title if src else None,
        "url": src.url if src else None,
    }


def _citation_class() -> type[Citation] | None:
    """The monograph's :class:`~gabacare.knowledge.Citation`, or ``None`` while its module is not
    imported (then no citation of that class exists). This module does not import it: a question
    answered from the compiled cache holds plain citations, and importing the monograph's module
    would import pydantic and build its model classes (~0.1 s) for nothing."""
    module = sys.modules.get("gabacare.knowledge.monograph")
    found: type[Citation] | None = None if module is None else module.Citation
    return found


def jsonable(value: Any) -> Any:
    """Convert a core result (or anything it holds) into plain JSON types.

    Examples
    --------
    >>> from datetime import date
    >>> jsonable({"total_mg": 600.0, "date": date(2026, 1, 31), "steps": (1.5,)})
    {'total_mg': 600, 'date': '2026-01-31', 'steps': [1.5]}
    """
    # NOTE: a titration plan holds about 450 values, so this runs hundreds of times per API answer.
    # Values of exactly a built-in type (most of them) go straight to their converter; anything
    # else (subclasses, dataclasses, results with ``to_json``) takes the general rules in
    # :func:`_general`, in their order. tests/unit/test_serialize.py holds both to the original.
    convert = _EXACT.get(type(value))
    return convert(value) if convert is not None else _general(value)


def _general(value: Any) -> Any:
    """The conversion rules in order of precedence, for any value (the specification of :func:`jsonable`)."""
    citation = _citation_class()
    if citation is not None and isinstance(value, citation):
        return citation_json(value)
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return jsonable(to_json())
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return _dict(value)
    if isinstance(value, list | tuple | set | frozenset):
        return _list(value)
    if isinstance(value, bool | str | int) or value is None:
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _clock(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return jsonable(dump())
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def _same(value: Any) -> Any:
    return value


def _float(value: float) -> float | int | None:
    """Whole floats as integers (``600``, not ``600.0``); NaN and ±Infinity, which JSON lacks, as null."""
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < _EXACT_INT else value


#: 2**53: whole floats below it in size are exact integers.
_EXACT_INT = 9007199254740992.0
_isfinite = math.isfinite


# NOTE: _dict and _list inline the common cases (plain values, whole or non-finite floats, nested
# dicts and lists) instead of calling jsonable() for each value: a function call per value was most
# of the cost. The float rule is _float's, written out.
def _dict(value: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in value.items():
        if type(k) is not str:
            k = str(k)
        t = type(v)
        if t is str or t is int or v is None or t is bool:
            out[k] = v
        elif t is float:
            out[k] = int(v) if v.is_integer() and -_EXACT_INT < v < _EXACT_INT else v if _isfinite(v) else None
        elif t is dict:
            out[k] = _dict(v)
        elif t is list or t is tuple:
            out[k] = _list(v)
        else:
            out[k] = jsonable(v)
    return out


def _list(value: Any) -> list[Any]:
    out: list[Any] = []
    add = out.append
    for v in value:
        t = type(v)
        if t is str or t is int or v is None or t is bool:
            add(v)
        elif t is float:
            add(int(v) if v.is_integer() and -_EXACT_INT < v < _EXACT_INT else v if _isfinite(v) else None)
        elif t is dict:
            add(_dict(v))
        elif t is list or t is tuple:
            add(_list(v))
        else:
            add(jsonable(v))
    return out


def _clock(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


#: The converter for a value of exactly this type (not a subclass: see :func:`jsonable`).
_EXACT: dict[type, Any] = {
    **dict.fromkeys((str, int, bool, type(None)), _same),
    float: _float,
    dict: _dict,
    list: _list,
    tuple: _list,
    set: _list,
    frozenset: _list,
    datetime: lambda v: v.isoformat(timespec="minutes"),
    date: date.isoformat,
    time: _clock,
}

#: The API's response body encoder: what Starlette's ``JSONResponse`` writes (compact, UTF-8, strict).
_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def dump_bytes(value: Any) -> bytes:
    """:func:`jsonable`, then compact UTF-8 JSON bytes (``allow_nan=False``): the web API's response body.

    Byte for byte what ``JSONResponse(jsonable(value))`` gives, without FastAPI walking the result a
    second time. Unlike :func:`dumps`, C1 controls are not escaped (the API's contract bytes).

    Examples
    --------
    >>> dump_bytes({"mg": 600.0, "at": float("nan")})
    b'{"mg":600,"at":null}'
    """
    return _COMPACT.encode(jsonable(value)).encode("utf-8")


def dumps(value: Any, *, indent: int | None = None) -> str:
    r""":func:`jsonable` then JSON text that is always valid JSON (``allow_nan=False``).

    Examples
    --------
    >>> dumps({"mg": float("inf"), "text": "a\x9bb"})
    '{"mg": null, "text": "a\\u009bb"}'
    """
    text = json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False, indent=indent)
    return _INVISIBLE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
