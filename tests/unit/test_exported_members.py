"""Each package's ``__all__`` is sorted (isort-style, as ruff's RUF022 keeps it), unique and resolves.

Covers the pure core's packages and the modules inside them: ``gabacare``, ``gabacare.knowledge``,
``gabacare.clinical`` and each of their modules that defines ``__all__``.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

PACKAGES = ["gabacare", "gabacare.knowledge", "gabacare.clinical"]


def isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions (each alphabetical)."""
    stripped = name.lstrip("_")
    if stripped.isupper():
        return (0, name)
    if stripped[:1].isupper():
        return (1, name)
    return (2, name)


def _modules() -> list[str]:
    names = list(PACKAGES)
    for pkg in ("gabacare.knowledge", "gabacare.clinical"):
        path = importlib.import_module(pkg).__path__
        names += [f"{pkg}.{m.name}" for m in pkgutil.iter_modules(path) if not m.name.startswith("_")]
    return names


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_unique_and_resolves(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert name not in PACKAGES, f"{name} must define __all__"
        return
    assert list(exported) == sorted(exported, key=isort_key), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == [], f"{name}.__all__ names that do not exist: {missing}"


def test_clinical_package_reexports_its_public_functions():
    import gabacare.clinical as clinical

    for fn in ("check_regimen", "cockcroft_gault", "missed_dose_advice", "parse_regimen", "pill_plan",
               "renal_limits", "taper", "titrate", "triage", "check_interactions"):
        assert fn in clinical.__all__
        assert callable(getattr(clinical, fn))


def test_knowledge_package_exports_the_loader_and_error():
    import gabacare.knowledge as knowledge

    assert {"KnowledgeBaseError", "Monograph", "load_monograph", "Citation"} <= set(knowledge.__all__)


def test_py_typed_is_shipped():
    from importlib import resources

    assert resources.files("gabacare").joinpath("py.typed").is_file()
