"""Names a package exports but imports only on first use (PEP 562), shared by ``gabacare.clinical`` and
``gabacare.app`` so that a command loads only the engines it calls (``gabacare symptoms`` never loads
the taper or dosing engines), and by ``gabacare.guide`` (``gabacare ask`` loads no topic pages)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any

__all__ = ["keep_functions_over_submodules", "lazy_exports"]


def lazy_exports(package: str, namespace: MutableMapping[str, Any], modules: Mapping[str, str],
                 exported: Sequence[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` for ``package``: ``modules`` maps an exported name to the
    module defining it; a name is imported when first asked for, then kept in ``namespace``."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exported))

    return __getattr__, __dir__


def keep_functions_over_submodules(package: str, shadowed: frozenset[str]) -> None:
    """Keep ``package.<name>`` the lazily exported function for each name in ``shadowed`` that is also a
    submodule's name (``gabacare.clinical.taper``, ``gabacare.guide.ask``).

    Importing a submodule makes the import system set the package attribute of that name to the
    module (``setattr(package, "taper", module)``), whenever and by whoever it is imported. The
    package's module class is swapped for one that drops exactly that assignment, so the name stays
    unset until first use and then resolves, through the package's ``__getattr__``, to the function.
    The modules themselves stay in ``sys.modules`` as always.
    """

    class _Package(ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            if name in shadowed and isinstance(value, ModuleType):
                return  # the import system binding the submodule: ``__getattr__`` gives the function instead
            super().__setattr__(name, value)

    sys.modules[package].__class__ = _Package
