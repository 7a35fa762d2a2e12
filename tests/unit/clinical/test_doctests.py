"""The numpydoc ``Examples`` sections of the clinical modules run as doctests (CRAFT principle 5)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gabacare.clinical

MODULES = [m.name for m in pkgutil.walk_packages(gabacare.clinical.__path__, prefix="gabacare.clinical.")]
MODULES += ["gabacare.clinical", "gabacare.knowledge.monograph"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name} (run python -m doctest -v on it)"


def test_the_core_modules_have_examples():
    with_examples = [
        name for name in MODULES
        if doctest.DocTestFinder().find(importlib.import_module(name)) and any(
            t.examples for t in doctest.DocTestFinder().find(importlib.import_module(name)))
    ]
    for name in ("renal", "regimen", "pills", "checks", "missed_dose", "interactions", "triage"):
        assert f"gabacare.clinical.{name}" in with_examples
