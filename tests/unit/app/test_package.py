"""The application layer's surface: ``__all__`` sorted and resolving, every module with running examples."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gabacare.app

MODULES = ["gabacare.app"] + [m.name for m in pkgutil.iter_modules(gabacare.app.__path__, prefix="gabacare.app.")]
#: Modules that claim no examples, each with its reason.
NO_EXAMPLES = {"gabacare.app": "re-exports only; its docstring lists the use cases"}


def isort_key(name: str) -> tuple[int, str]:
    stripped = name.lstrip("_")
    return (0, name) if stripped.isupper() else (1, name) if stripped[:1].isupper() else (2, name)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_unique_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=isort_key)
    assert len(set(exported)) == len(exported)
    assert [n for n in exported if not hasattr(module, n)] == []


def test_the_package_exports_one_function_per_use_case() -> None:
    for name in ("crcl", "limits", "titrate", "taper", "check", "interactions", "symptoms", "missed", "simulate",
                 "simulate_population", "compare", "ask"):
        assert name in gabacare.app.__all__ and callable(getattr(gabacare.app, name))


@pytest.mark.parametrize("name", MODULES)
def test_doctests_run_and_pass(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
    if name not in NO_EXAMPLES:
        assert result.attempted > 0, f"{name} has no doctest example"


def test_importing_the_layer_does_not_load_numpy_or_a_web_framework() -> None:
    import subprocess
    import sys

    code = ("import sys, gabacare.app; "
            "print(sorted(m for m in ('numpy', 'fastapi', 'sqlalchemy', 'typer', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
