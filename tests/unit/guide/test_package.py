"""The guide package: ``__all__`` honest and sorted, doctests run, no web or terminal imports."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

MODULES = ["gabacare.guide", "gabacare.guide.ask", "gabacare.guide.compare", "gabacare.guide.topics",
           "gabacare.knowledge.guide_data"]


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


@pytest.mark.parametrize("name", ["gabacare.guide.ask", "gabacare.guide.compare", "gabacare.guide.topics"])
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_asking_imports_no_framework() -> None:
    code = ("import sys; from gabacare.guide import ask; ask('can I drive'); "
            "print(sorted(m for m in ('rich', 'typer', 'fastapi', 'sqlalchemy', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
