"""The serializer's fast paths give exactly what the plain recursive converter gave.

``_reference`` is ``gabacare.serialize.jsonable`` as it was before its speed work (issue 14, item 7),
kept here verbatim as the specification: for every value below the new converter must return an
equal object, of the same JSON types, and :func:`gabacare.serialize.dumps` / ``dump_bytes`` the same
text.
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, time
from typing import Any

import pytest
from pydantic import BaseModel

from gabacare import app
from gabacare.knowledge import Citation
from gabacare.serialize import citation_json, dump_bytes, dumps, jsonable


def _reference(value: Any) -> Any:
    if isinstance(value, Citation):
        return citation_json(value)
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return _reference(to_json())
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _reference(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_reference(v) for v in value]
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
    if isinstance(value, enum.Enum):
        return _reference(value.value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _reference(dump())
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


class Colour(enum.Enum):
    RED = "red"
    ONE = 1.0


class Level(enum.IntEnum):
    HIGH = 3


class Word(enum.StrEnum):
    YES = "yes"


class Model(BaseModel):
    mg: float
    when: date


@dataclass(frozen=True)
class Pair:
    left: Any
    right: Any


@dataclass(frozen=True)
class WithJson:
    x: float

    def to_json(self) -> dict[str, Any]:
        return {"x": self.x, "t": (1.0, 2.5)}


class MyDict(dict[str, Any]):
    pass


class MyList(list[Any]):
    pass


class MyFloat(float):
    pass


class MyStr(str):
    pass


class MyDate(date):
    pass


class NotJson:
    pass


CITE = Citation(source="dailymed-neurontin", section="2.3")

VALUES: list[Any] = [
    None, True, False, 0, -7, 2**70, "", "text with \x9b and \u202e", 1.5, 600.0, -0.0, 2.0**53, 2.0**53 + 2,
    -(2.0**60), float("nan"), float("inf"), float("-inf"), 1e-300, 0.1 + 0.2,
    date(2026, 3, 2), datetime(2026, 3, 2, 8, 5, 59, 123), time(7, 3, 9), MyDate(2026, 1, 31),
    Colour.RED, Colour.ONE, Level.HIGH, Word.YES, Model(mg=300.0, when=date(2026, 1, 1)),
    Pair(1.0, (2.0, {3: float("inf")})), WithJson(4.0), CITE, [CITE, (CITE,)],
    {1: 2.0, None: "x", False: [1.0], 2.5: (), date(2026, 1, 1): {"a": {"b": [set()]}}},
    MyDict(a=1.0, b=MyList([MyFloat(3.0), MyStr("s")])), (1, [2.0, (3.0,)]), frozenset({4.0}), {5.0},
    {"nested": [{"deep": [[[[1.0, float("nan")]]]]}]}, MyFloat(float("inf")), MyFloat(2.5),
]


@pytest.mark.parametrize("value", VALUES, ids=[f"{i}-{type(v).__name__}" for i, v in enumerate(VALUES)])
def test_jsonable_equals_the_reference(value: Any) -> None:
    got, want = jsonable(value), _reference(value)
    assert got == want
    assert json.dumps(got, allow_nan=False) == json.dumps(want, allow_nan=False)
    assert dumps(value) == dumps(value, indent=None)


def _results() -> list[Any]:
    return [
        app.titrate(indication="postherpetic-neuralgia", start="2026-03-02", target_mg=1800),
        app.titrate(indication="epilepsy-child", start="2026-02-27", weight_kg=23.5, age=7),
        app.titrate(indication="epilepsy", start="2026-01-31", crcl=25),
        app.taper(from_regimen="300-300-600", start="2026-03-02", risk="high", crcl=40),
        app.check(regimen="600 mg BID", crcl=25, indication="epilepsy", with_drugs=["oxycodone", "beer", "zzz"]),
        app.interactions(["tramadol", "xanax", "beer", "nothing-known"], age=70),
        app.missed(schedule="08:00,14:00,21:00", missed_at="14:00", now="15:30", epilepsy=True),
        app.crcl(age=79, sex="female", weight_kg=51.3, scr=110, scr_unit="umol/L"),
        app.limits(crcl=10, hemodialysis=True),
        app.limits(age=80, sex="female", weight_kg=50, scr=1.4),
        app.simulate(regimen="600 mg BID", crcl=20, days=2, step_min=30, missed=["2"], dialysis=["day2@09:00"]),
    ]


def test_use_case_results_serialise_as_the_reference() -> None:
    for result in _results():
        want = _reference(result)
        assert jsonable(result) == want
        assert dumps(result) == dumps(want)
        assert dumps(result, indent=2) == dumps(want, indent=2)
        compact = json.dumps(want, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        assert dump_bytes(result) == compact


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot serialise NotJson"):
        jsonable({"x": [NotJson()]})
    with pytest.raises(TypeError, match="cannot serialise NotJson"):
        dump_bytes(NotJson())


def test_dump_bytes_is_the_api_response_body() -> None:
    """Compact separators, UTF-8, no ASCII escaping, never NaN: what Starlette's JSONResponse wrote."""
    assert dump_bytes({"mg": 600.0, "x": float("nan"), "é": "\x9b"}) == '{"mg":600,"x":null,"é":"\x9b"}'.encode()
