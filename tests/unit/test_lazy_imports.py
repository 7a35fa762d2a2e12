"""``gabacare.clinical`` and ``gabacare.app`` load their modules on first use (cold start of ``gabacare symptoms``).

Two functions share their module's name (``gabacare.clinical.taper``, ``gabacare.clinical.triage``): the
package attribute is always the function, whichever of the package, the submodule or the name is
imported first. Each ordering runs in a fresh interpreter, where nothing has been imported yet.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import gabacare.app
import gabacare.clinical
import gabacare.clinical.taper
import gabacare.clinical.triage
from gabacare.clinical.taper import taper as taper_function
from gabacare.clinical.triage import triage as triage_function


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_names_are_the_functions_after_the_submodules_are_imported() -> None:
    assert gabacare.clinical.taper is taper_function and callable(gabacare.clinical.taper)
    assert gabacare.clinical.triage is triage_function and callable(gabacare.clinical.triage)
    from gabacare.clinical import taper, triage

    assert (taper, triage) == (taper_function, triage_function)
    assert sys.modules["gabacare.clinical.taper"].taper is taper_function
    assert sys.modules["gabacare.clinical.triage"].triage is triage_function


@pytest.mark.parametrize(("package", "first"), [
    ("clinical", "import gabacare.clinical.taper, gabacare.clinical.triage"),
    ("clinical", "from gabacare.clinical.taper import taper; from gabacare.clinical.triage import triage"),
    ("clinical", "from gabacare.clinical import taper, triage"),
    ("clinical", "import gabacare.clinical; gabacare.clinical.taper; gabacare.clinical.triage"),
    ("clinical", "import gabacare.app; gabacare.app.taper; gabacare.app.symptoms"),
    ("clinical", "import gabacare.clinical.plan, gabacare.clinical.checks, gabacare.clinical.text"),
    ("guide", "import gabacare.guide.ask, gabacare.guide.compare"),
    ("guide", "from gabacare.guide.ask import ask; from gabacare.guide.compare import compare"),
    ("guide", "from gabacare.guide import ask, compare"),
    ("guide", "import gabacare.guide; gabacare.guide.ask; gabacare.guide.compare"),
    ("guide", "import gabacare.guide.plain, gabacare.app.guide"),
])
def test_the_names_are_the_functions_whatever_is_imported_first(package: str, first: str) -> None:
    # Both packages load their modules on first use, and two names of each are also submodules' names.
    a, b = {"clinical": ("taper", "triage"), "guide": ("ask", "compare")}[package]
    pkg = f"gabacare.{package}"
    out = _fresh(f"""
        {first}
        import {pkg}.{a}, {pkg}.{b}  # both submodules, again, after the names
        import sys, types, {pkg}
        from {pkg} import {a}, {b}
        names = [{pkg}.{a}, {pkg}.{b}, {a}, {b}]
        assert all(callable(f) and not isinstance(f, types.ModuleType) for f in names), names
        assert {a} is sys.modules["{pkg}.{a}"].{a}
        assert {b} is sys.modules["{pkg}.{b}"].{b}
        print([f.__name__ for f in names])
    """)
    assert out == str([a, b, a, b])


def test_other_attributes_of_the_package_are_set_as_usual() -> None:
    assert isinstance(sys.modules["gabacare.clinical"], type(gabacare.clinical))
    assert gabacare.clinical.text is sys.modules["gabacare.clinical.text"]  # loaded by the triage module
    out = _fresh("""
        import gabacare.clinical, gabacare.clinical.plan
        gabacare.clinical.extra = 1
        print(gabacare.clinical.plan.__name__, gabacare.clinical.extra)
    """)
    assert out == "gabacare.clinical.plan 1"


def test_the_symptoms_use_case_loads_no_dosing_engine() -> None:
    out = _fresh("""
        import sys
        from gabacare.app import symptoms
        symptoms(["my lips are swollen"])
        engines = ["taper", "plan", "pills", "checks", "titration", "interactions", "missed_dose", "adjust", "renal"]
        print(sorted(m for m in engines if f"gabacare.clinical.{m}" in sys.modules),
              sorted(m for m in ("gabacare.app.pk", "gabacare.app.guide", "gabacare.pk") if m in sys.modules))
    """)
    assert out == "[] []"


def test_every_exported_name_still_resolves() -> None:
    for package in (gabacare.clinical, gabacare.app):
        missing = [n for n in package.__all__ if getattr(package, n, None) is None]
        assert missing == []
        assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError):
        gabacare.clinical.no_such_name  # noqa: B018
    with pytest.raises(AttributeError):
        gabacare.app.no_such_name  # noqa: B018


def test_the_knowledge_bases_plain_parts_import_no_pydantic() -> None:
    # ``ask`` from a warm cache reads these alone: pydantic and the model classes cost ~0.1 s to import.
    out = _fresh("""
        import sys
        import gabacare.knowledge, gabacare.knowledge.cache, gabacare.knowledge.files, gabacare.knowledge.words
        import gabacare.guide.plain, gabacare.guide.ask, gabacare.serialize
        print(sorted(m for m in ("pydantic", "gabacare.knowledge.monograph") if m in sys.modules))
        from gabacare.knowledge import Citation, KnowledgeBaseError
        from gabacare.knowledge.files import KnowledgeBaseError as same
        print(Citation.__module__, KnowledgeBaseError is same)
    """)
    assert out.splitlines() == ["[]", "gabacare.knowledge.monograph True"]
