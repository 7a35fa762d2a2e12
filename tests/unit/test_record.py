"""``@record`` behaves as ``@dataclass(frozen=True)`` for every class it is given.

Each generated class is defined twice, once with each decorator, and the two are compared on what
code meets of a value type: construction (defaults, factories), ``repr``, equality, hashing, the
fields' table, :func:`dataclasses.replace`, :func:`dataclasses.asdict` and immutability.
"""

from __future__ import annotations

import dataclasses
from dataclasses import InitVar, field
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare._record import record

# A field: (kind of default, repr, compare, hash); the kinds: none, a value, a factory.
_FIELD = st.tuples(st.sampled_from(["none", "value", "factory"]), st.booleans(), st.booleans(),
                   st.sampled_from([None, True, False]))


def _classes(spec: list[tuple[str, bool, bool, bool | None]]) -> tuple[type, type]:
    # Fields with defaults must follow those without: the spec is sorted so that they do.
    ordered = sorted(enumerate(spec), key=lambda p: p[1][0] != "none")

    def make(decorate: Any) -> type:
        namespace: dict[str, Any] = {"__annotations__": {}, "__module__": __name__, "__doc__": "A test record."}
        for i, (kind, shown, compared, hashed) in ordered:
            name = f"f{i}"
            namespace["__annotations__"][name] = "Any"
            options: dict[str, Any] = {"repr": shown, "compare": compared, "hash": hashed}
            if kind == "value":
                options["default"] = i * 10
            elif kind == "factory":
                options["default_factory"] = lambda i=i: (i, "made")
            namespace[name] = field(**options)
        return decorate(type("Value", (), namespace))

    return make(dataclasses.dataclass(frozen=True)), make(record)


def _arguments(stock: type, values: list[int], how_many: int) -> dict[str, Any]:
    names = [f.name for f in dataclasses.fields(stock)]
    required = [f.name for f in dataclasses.fields(stock) if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    given_names = required + [n for n in names if n not in required][:how_many]
    return {n: values[int(n[1:]) % len(values)] for n in given_names}


@settings(max_examples=200, deadline=None)
@given(st.lists(_FIELD, max_size=6), st.lists(st.integers(-3, 3), min_size=1, max_size=6), st.integers(0, 6),
       st.lists(st.integers(-3, 3), min_size=1, max_size=6))
def test_a_record_behaves_as_a_frozen_dataclass(spec: list[tuple[str, bool, bool, bool | None]], values: list[int],
                                                 how_many: int, others: list[int]) -> None:
    stock, fast = _classes(spec)
    args, other_args = _arguments(stock, values, how_many), _arguments(stock, others, how_many)
    a, b = stock(**args), fast(**args)
    a2, b2 = stock(**other_args), fast(**other_args)
    assert repr(a) == repr(b)
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert [(f.name, f.repr, f.compare, f.hash, f.default) for f in dataclasses.fields(a)] == \
           [(f.name, f.repr, f.compare, f.hash, f.default) for f in dataclasses.fields(b)]
    assert (a == a2) == (b == b2) and (a != a2) == (b != b2)
    assert b == fast(**args) and b != a  # a value of another class is never equal
    assert hash(a) == hash(b) and hash(b) == hash(fast(**args))
    assert repr(dataclasses.replace(b, **other_args)) == repr(dataclasses.replace(a, **other_args))
    assert dataclasses.is_dataclass(b) and fast.__match_args__ == stock.__match_args__
    for name in [f.name for f in dataclasses.fields(b)] + ["extra"]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(b, name, 1)
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(b, name)


def test_missing_or_unknown_arguments_are_refused_as_by_a_dataclass() -> None:
    stock, fast = _classes([("none", True, True, None), ("value", True, True, None)])
    for cls in (stock, fast):
        with pytest.raises(TypeError):
            cls()
        with pytest.raises(TypeError):
            cls(f0=1, nope=2)


def test_a_factory_default_is_called_for_each_value() -> None:
    @record
    class Box:
        items: list[int] = field(default_factory=list)

    first, second = Box(), Box()
    first.items.append(1)
    assert second.items == [] and Box([2]).items == [2]


def test_what_the_short_path_does_not_handle_goes_to_the_stock_decorator() -> None:
    @record
    class Checked:
        dose_mg: float
        unit: str = field(default="mg", compare=False)
        scale: InitVar[float] = 1.0
        kind: ClassVar[str] = "dose"
        made: list[int] = field(default_factory=list)

        def __post_init__(self, scale: float) -> None:
            object.__setattr__(self, "dose_mg", self.dose_mg * scale)

    value = Checked(100, scale=3)
    assert value.dose_mg == 300 and value.made == [] and value == Checked(300, "g")
    assert [f.name for f in dataclasses.fields(value)] == ["dose_mg", "unit", "made"]
    assert repr(value).endswith(".<locals>.Checked(dose_mg=300, unit='mg', made=[])")
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.dose_mg = 1  # type: ignore[misc]

    @record
    class KeywordOnly:
        a: int
        b: int = field(kw_only=True, default=2)

    assert KeywordOnly(1, b=3).b == 3
    with pytest.raises(TypeError):
        KeywordOnly(1, 3)  # type: ignore[misc]


def test_methods_the_class_writes_itself_are_kept() -> None:
    @record
    class Named:
        """Equal by name alone, shown by name."""

        name: str
        note: str = ""

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Named) and other.name.lower() == self.name.lower()

        def __hash__(self) -> int:
            return hash(self.name.lower())

        def __repr__(self) -> str:
            return f"<{self.name}>"

    assert Named("Lyrica", "a") == Named("lyrica", "b") and hash(Named("A")) == hash(Named("a"))
    assert repr(Named("x")) == "<x>"

    @record
    class EqOnly:
        value: int

        def __eq__(self, other: object) -> bool:
            return isinstance(other, EqOnly) and other.value % 10 == self.value % 10

    assert EqOnly(1) == EqOnly(11) and hash(EqOnly(1)) == hash(EqOnly(1)) != hash(EqOnly(11))

    with pytest.raises(TypeError):
        @record
        class Settable:
            value: int

            def __setattr__(self, name: str, value: Any) -> None:
                object.__setattr__(self, name, value)


def test_records_and_frozen_dataclasses_derive_from_each_other() -> None:
    @record
    class Base:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Stock(Base):
        b: int = 2

    @record
    class Child(Stock):
        c: int = 3

    value = Child(1)
    assert (value.a, value.b, value.c) == (1, 2, 3) and value == Child(1, 2, 3) and value != Stock(1, 2)
    assert dataclasses.fields(Base)[0].name == "a" and Base.__dataclass_params__.frozen  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.c = 4  # type: ignore[misc]
