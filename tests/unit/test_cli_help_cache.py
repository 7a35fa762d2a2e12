"""``gabacare --help`` served from its cached copy: the same text, without importing Typer.

Real console script, real cache files in a temporary ``GABACARE_CACHE_DIR``; every copy is compared
with the help the application prints with the cache turned off.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("gabacare"))

PROBE = """
import sys
sys.argv = ["gabacare", "--help"]
from gabacare.cli import main
try:
    main()
except SystemExit as stop:
    sys.stderr.write(f"exit={stop.code} typer={'typer' in sys.modules}\\n")
"""


def _env(cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GABACARE_CACHE", "COLUMNS")}
    return {**env, "GABACARE_CACHE_DIR": str(cache), **extra}


def _help(env: dict[str, str], flag: str = "--help") -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, flag], capture_output=True, text=True, env=env, timeout=120)


def _copies(cache: Path) -> list[Path]:
    return sorted(cache.glob("cli-help-*.txt"))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_the_cached_help_is_the_applications_help(cache: Path) -> None:
    plain = _help(_env(cache, GABACARE_CACHE="off"))
    assert plain.returncode == 0 and "Usage: gabacare" in plain.stdout and not _copies(cache)
    cold = _help(_env(cache))
    assert (cold.returncode, cold.stdout, cold.stderr) == (0, plain.stdout, "")
    assert len(_copies(cache)) == 1
    warm = _help(_env(cache))
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, plain.stdout, "")
    short = _help(_env(cache), "-h")
    assert (short.returncode, short.stdout) == (0, plain.stdout)


def test_a_warm_help_does_not_import_typer(cache: Path) -> None:
    def probe() -> str:
        done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=_env(cache), timeout=120)
        return done.stderr.strip().splitlines()[-1]

    assert probe() == "exit=0 typer=True"  # the first time the application prints it
    assert probe() == "exit=0 typer=False"


@pytest.mark.parametrize("damage", ["", "x", "truncate", "other key"])
def test_a_damaged_copy_is_ignored_and_written_again(cache: Path, damage: str) -> None:
    plain = _help(_env(cache, GABACARE_CACHE="off")).stdout
    _help(_env(cache))
    (copy,) = _copies(cache)
    stored = copy.read_text(encoding="utf-8")
    if damage == "truncate":
        copy.write_text(stored[: len(stored) // 2], encoding="utf-8")
    elif damage == "other key":
        copy.write_text(stored.replace(stored[:32], "0" * 32), encoding="utf-8")
    else:
        copy.write_text(damage, encoding="utf-8")
    again = _help(_env(cache))
    assert (again.returncode, again.stdout) == (0, plain)
    assert copy.read_text(encoding="utf-8") == stored


def test_each_terminal_width_has_its_own_copy(cache: Path) -> None:
    for columns in ("60", "100", "60"):
        plain = _help(_env(cache, GABACARE_CACHE="off", COLUMNS=columns)).stdout
        assert _help(_env(cache, COLUMNS=columns)).stdout == plain
    assert len(_copies(cache)) == 2


def test_other_arguments_go_to_the_application(cache: Path) -> None:
    version = subprocess.run([EXE, "--version"], capture_output=True, text=True, env=_env(cache), timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("gabacare ")
    bad = subprocess.run([EXE, "--help", "--nosuch"], capture_output=True, text=True, env=_env(cache), timeout=120)
    assert bad.returncode in (0, 2) and not _copies(cache)
