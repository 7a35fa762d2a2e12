"""``@record``: a frozen dataclass that costs a third of one to define.

A ``@dataclass(frozen=True)`` compiles each of its six methods (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``) with a separate ``exec``: ~0.5-0.7 ms a
class on Python 3.11. The ~55 value types a one-shot ``gabacare ask`` imports cost it ~30 ms that
way, a fifth of the command. :func:`record` lets :func:`dataclasses.dataclass` do the field
bookkeeping only (no method of its own), compiles ``__init__`` alone, and gives every record the
same five other methods, which read the class's field names from getters made once per class
(:func:`operator.attrgetter`, in C): ~0.15 ms a class.

The result is a dataclass in every way the code and the tests use one: :func:`dataclasses.fields`,
:func:`dataclasses.replace`, :func:`dataclasses.asdict` and ``is_dataclass`` work, instances are
immutable (:class:`dataclasses.FrozenInstanceError`), equal when their class and compared fields
are, hashable by those fields, and print as a dataclass does. A class with anything the short path
does not handle (``__post_init__``, ``InitVar`` or ``ClassVar``, keyword-only or ``init=False``
fields, slots, a base class that is a dataclass) is handed to ``dataclass(frozen=True)`` unchanged.
A record may derive from a frozen dataclass or a record, and be derived from (by the stock
decorator, which it then uses).

>>> @record
... class Dose:
...     mg: float
...     unit: str = "mg"
>>> d = Dose(300)
>>> d, d == Dose(300.0, "mg"), hash(d) == hash(Dose(300)), dataclasses.fields(d)[1].name
(Dose(mg=300, unit='mg'), True, True, 'unit')
>>> d.mg = 600
Traceback (most recent call last):
  ...
dataclasses.FrozenInstanceError: cannot assign to field 'mg'
>>> dataclasses.replace(d, mg=600)
Dose(mg=600, unit='mg')
"""

from __future__ import annotations

import dataclasses

TYPE_CHECKING = False  # (not typing's: importing typing at start-up is what this module saves time for)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T", bound=type)
else:
    def dataclass_transform(**_: object) -> object:
        return lambda f: f

__all__ = ["record"]


def _stock_only(cls: type) -> bool:
    """Whether ``cls`` needs what only the stock decorator writes (seen before any decorator runs)."""
    own = vars(cls)
    return ("__post_init__" in own or "__slots__" in own
            or any(dataclasses.is_dataclass(b) for b in cls.__mro__[1:]))


def _unusual(cls: type) -> bool:
    """Whether ``cls``'s fields, as the bookkeeping call found them, need the stock decorator."""
    fields = dataclasses.fields(cls)  # (a ClassVar or an InitVar is in the class's table, not here)
    return len(fields) != len(vars(cls)["__dataclass_fields__"]) or any(not f.init or f.kw_only is True for f in fields)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        compared = self.__class__.__record_compared__
        return compared(self) == compared(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__class__.__record_hashed__(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__class__.__record_shown__)
    return f"{self.__class__.__qualname__}({shown})"


def _setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _getter(names: list[str]) -> Callable[[Any], Any]:
    """The values of ``names`` of an instance as a tuple (as a dataclass compares and hashes them;
    from two names on, in C)."""
    from operator import attrgetter

    if len(names) > 1:
        return attrgetter(*names)
    return (lambda o: (getattr(o, names[0]),)) if names else (lambda _: ())


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: T) -> T:
    """``cls`` as a frozen dataclass (``eq``, hashable), only its ``__init__`` compiled."""
    # The bookkeeping call replaces each ``field(...)`` class attribute by its default (or removes it):
    # they are put back before a class the short path does not handle goes to the stock decorator.
    if _stock_only(cls):
        dataclasses.dataclass(frozen=True)(cls)  # (in place: no slots, so the same class)
        return cls
    declared = {n: vars(cls)[n] for n in vars(cls).get("__annotations__", {}) if n in vars(cls)}
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    if _unusual(cls):
        for name in ("__dataclass_fields__", "__dataclass_params__", "__match_args__"):
            if name in vars(cls):
                delattr(cls, name)
        for name, value in declared.items():
            setattr(cls, name, value)
        dataclasses.dataclass(frozen=True)(cls)  # (in place: no slots, so the same class)
        return cls
    fields = dataclasses.fields(cls)
    space: dict[str, Any] = {"_set": object.__setattr__, "_MISSING": dataclasses.MISSING}
    params, body = [], []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            space[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
            body.append(f" _set(self, {f.name!r}, {f.name})")
        elif f.default_factory is not dataclasses.MISSING:
            space[f"_f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            body.append(f" _set(self, {f.name!r}, _f_{f.name}() if {f.name} is _MISSING else {f.name})")
        else:
            params.append(f.name)
            body.append(f" _set(self, {f.name!r}, {f.name})")
    # (the text is made of the class's own field names, which are identifiers)
    exec("\n".join([f"def __init__(self, {', '.join(params)}):", *body, " pass"]), space)
    init = space["__init__"]
    init.__qualname__, init.__module__ = f"{cls.__qualname__}.__init__", cls.__module__
    methods = {"__init__": init, "__repr__": _repr, "__eq__": _eq, "__hash__": _hash, "__setattr__": _setattr,
               "__delattr__": _delattr,
               "__record_compared__": _getter([f.name for f in fields if f.compare]),
               "__record_hashed__": _getter([f.name for f in fields if (f.compare if f.hash is None else f.hash)]),
               "__record_shown__": tuple(f.name for f in fields if f.repr)}
    # What the class says of itself, as a frozen dataclass (a frozen dataclass may only derive from one).
    own_params = vars(cls)["__dataclass_params__"]
    for name in ("init", "repr", "eq", "frozen"):
        setattr(own_params, name, True)
    own = vars(cls)
    # As the stock decorator: a method the class writes itself is kept (``__hash__`` set to ``None`` by
    # Python because the class writes ``__eq__`` is not one it wrote).
    explicit_hash = own.get("__hash__") is not None or ("__hash__" in own and "__eq__" not in own)
    for name, value in methods.items():
        if name in ("__setattr__", "__delattr__") and name in own:
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
        if explicit_hash if name == "__hash__" else name in own:
            continue
        setattr(cls, name, value)
    return cls
