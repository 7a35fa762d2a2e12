"""The numpydoc ``Examples`` sections of the clinical modules run as doctests.

Every module listed here must also *have* examples: a module that runs none fails, unless it is in
``NO_EXAMPLES`` with the reason it claims none. ``AWAITING_EXAMPLES`` names the modules whose examples
are still to be written; each is an expected failure (strict), so once a module gains examples its
entry must be removed, and the list can only shrink.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gabacare.clinical

MODULES = [m.name for m in pkgutil.walk_packages(gabacare.clinical.__path__, prefix="gabacare.clinical.")]
MODULES += ["gabacare.clinical", "gabacare.knowledge.monograph"]

#: Modules that claim no examples, each with its reason.
NO_EXAMPLES = {
    "gabacare.clinical.errors": "exception classes only; the module docstring draws their tree",
}

#: Modules still owed examples (issue 14, item 8). Remove a name when its examples land.
AWAITING_EXAMPLES: frozenset[str] = frozenset()

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _example_count(name: str) -> int:
    return sum(len(t.examples) for t in doctest.DocTestFinder().find(importlib.import_module(name)))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=OPTIONS, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name} (run python -m doctest -v on it)"


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason="examples not written yet (AWAITING_EXAMPLES)"))
    if name in AWAITING_EXAMPLES else name
    for name in MODULES if name not in NO_EXAMPLES
])
def test_every_module_has_examples(name):
    assert _example_count(name) > 0, (
        f"{name} has no doctest example: add a numpydoc Examples section, or list it in NO_EXAMPLES with a reason")


def test_the_exception_lists_name_real_modules():
    stale = (set(NO_EXAMPLES) | AWAITING_EXAMPLES) - set(MODULES)
    assert not stale, f"not a doctest module any more: {sorted(stale)}"
    assert not set(NO_EXAMPLES) & AWAITING_EXAMPLES


@pytest.mark.parametrize("name", sorted(NO_EXAMPLES))
def test_modules_that_claim_no_examples_have_none(name):
    assert _example_count(name) == 0, f"{name} has examples now: remove it from NO_EXAMPLES"
