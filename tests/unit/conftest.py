"""Fixtures shared by the unit tests: a cache directory of a test's own, and the command line run warm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("gabacare")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of this test's own (``GABACARE_CACHE_DIR``), the cache switched on."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GABACARE_CACHE_DIR", str(folder))
    monkeypatch.delenv("GABACARE_CACHE", raising=False)
    return folder


WarmRun = Callable[[Sequence[str], Sequence[str]], tuple[list[str], str, str]]


@pytest.fixture
def warm_run(cache_dir: Path) -> WarmRun:
    """``run(args, modules)``: ``gabacare ARGS`` once as a command (which fills the cache), then again in
    a fresh interpreter from the warm cache. Returns which of ``modules`` the warm run imported, its
    output and the command's output (the two must agree: the warm way prints what the command prints)."""

    def run(args: Sequence[str], modules: Sequence[str]) -> tuple[list[str], str, str]:
        env = {**os.environ, "GABACARE_CACHE_DIR": str(cache_dir)}
        first = subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, check=False)
        code = textwrap.dedent(f"""
            import contextlib, io, json, sys
            sys.argv = ["gabacare", *{list(args)!r}]
            import gabacare.cli
            from gabacare.cli import main
            def _raise(stop):  # (the command ends its process at once: here the run goes on)
                raise stop
            gabacare.cli._leave = _raise
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    main()
            except SystemExit as stop:
                assert stop.code == 0, stop.code
            print(json.dumps(sorted(m for m in {list(modules)!r} if m in sys.modules)))
            print(out.getvalue(), end="")
        """)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        loaded, answer = done.stdout.split("\n", 1)
        return json.loads(loaded), answer, first.stdout

    return run
