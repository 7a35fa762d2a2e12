"""One rule for every cache folder (``gabacare._cachedir``): the knowledge cache, the compiled ask index
and the CLI's help copy all ask it, so ``GABACARE_CACHE`` and ``GABACARE_CACHE_DIR`` mean the same to each."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import gabacare._cachedir
from gabacare import cli
from gabacare.guide import _compiled
from gabacare.knowledge import cache


def test_the_module_examples_run() -> None:
    result = doctest.testmod(gabacare._cachedir)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("env", [{"GABACARE_CACHE_DIR": "/srv/cache-x"}, {"GABACARE_CACHE": "off"},
                                 {"GABACARE_CACHE": "NO", "GABACARE_CACHE_DIR": "/srv/cache-x"},
                                 {"XDG_CACHE_HOME": "/srv/xdg"}, {}])
def test_every_cache_asks_the_same_rule(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in ("GABACARE_CACHE", "GABACARE_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    want = gabacare._cachedir.cache_directory()
    if env.get("GABACARE_CACHE", "").lower() in ("off", "no"):
        assert want is None
    elif "GABACARE_CACHE_DIR" in env:
        assert want == env["GABACARE_CACHE_DIR"]
    got = [cli._cache_directory(), cache._directory(), _compiled.cache_directory()]
    assert got == [want, None if want is None else Path(want), None if want is None else Path(want)]
