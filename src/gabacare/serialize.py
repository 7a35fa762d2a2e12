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
from dataclasses import fields, is_dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from gabacare.knowledge import Citation, load_monograph

__all__ = ["citation_json", "dumps", "jsonable"]

# C1 controls (a terminal may act on U+009B as on ESC [), the line/paragraph separators and the
# bidirectional embeddings, overrides and isolates ("Trojan Source"). C0 controls json escapes itself.
_INVISIBLE_RE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def citation_json(citation: Citation) -> dict[str, str | None]:
    """One citation with its source's title and address from ``sources.toml``."""
    src = load_monograph().sources.get(citation.source)
    return {
        "source": citation.source,
        "section": citation.section,
        "text": citation.render(),
        "title": src.title if src else None,
        "url": src.url if src else None,
    }


def jsonable(value: Any) -> Any:
    """Convert a core result (or anything it holds) into plain JSON types.

    Examples
    --------
    >>> from datetime import date
    >>> jsonable({"total_mg": 600.0, "date": date(2026, 1, 31), "steps": (1.5,)})
    {'total_mg': 600, 'date': '2026-01-31', 'steps': [1.5]}
    """
    if isinstance(value, Citation):
        return citation_json(value)
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return jsonable(to_json())
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | str | int) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, Enum):
        return jsonable(value.value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return jsonable(dump())
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def dumps(value: Any, *, indent: int | None = None) -> str:
    r""":func:`jsonable` then JSON text that is always valid JSON (``allow_nan=False``).

    Examples
    --------
    >>> dumps({"mg": float("inf"), "text": "a\x9bb"})
    '{"mg": null, "text": "a\\u009bb"}'
    """
    text = json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False, indent=indent)
    return _INVISIBLE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
