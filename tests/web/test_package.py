"""The web package's surface: sorted ``__all__``, lazy framework imports, JSON serialisation."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, time

import pytest

import gabacare.web
from gabacare.knowledge import Citation
from gabacare.web.serialize import jsonable


def test_all_is_sorted_and_importable() -> None:
    assert list(gabacare.web.__all__) == sorted(gabacare.web.__all__)
    for name in gabacare.web.__all__:
        assert getattr(gabacare.web, name) is not None


def test_the_cli_and_the_web_package_do_not_import_fastapi_until_the_app_is_built() -> None:
    code = ("import sys, gabacare.cli, gabacare.web; "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_jsonable_gives_the_cli_shapes() -> None:
    value = {"mg": 600.0, "half": 7.5, "on": date(2026, 1, 31), "at": datetime(2026, 1, 31, 8, 5, 30),
             "clock": time(21, 0), "units": (1, 2), "cite": Citation(source="label", section="2.3")}
    out = jsonable(value)
    assert out["mg"] == 600 and isinstance(out["mg"], int)
    assert out["half"] == 7.5
    assert (out["on"], out["at"], out["clock"], out["units"]) == ("2026-01-31", "2026-01-31T08:05", "21:00", [1, 2])
    assert out["cite"]["text"] == "label §2.3" and out["cite"]["title"].startswith("NEURONTIN")
    assert out["cite"]["url"].startswith("https://")


def test_jsonable_refuses_what_it_cannot_represent() -> None:
    with pytest.raises(TypeError):
        jsonable(object())
