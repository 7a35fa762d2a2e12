"""The console script's lazy command group answers exactly as Typer's fully built one.

``gabacare`` (:func:`gabacare.cli.main`) builds each command only when it is used; these tests run
the same arguments through it and through ``typer.main.get_command(app)`` and compare exit code,
stdout and stderr, for the top-level help, every command's and group's help, and usage errors.
"""

from __future__ import annotations

import pytest
import typer

from gabacare.cli import _LazyCommands, app, lazy_command

GROUPS = ["patient", "plan", "log", "fhir", "questionnaire"]


def _run(build: str, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    command = lazy_command(app) if build == "lazy" else typer.main.get_command(app)
    with pytest.raises(SystemExit) as stop:
        command.main(args, prog_name="gabacare")
    out, err = capsys.readouterr()
    return stop.value.code, out, err


def _cases() -> list[list[str]]:
    eager = typer.main.get_command(app)
    assert isinstance(eager, typer.core.TyperGroup)
    cases = [["--help"], ["-h"], [], ["nosuch"], ["titrat"], ["--nosuch"], ["titrate"], ["titrate", "--bogus"],
             ["crcl", "--age", "x"], ["patient", "nosuch"], ["log"]]
    for name, command in eager.commands.items():
        cases.append([name, "--help"])
        if isinstance(command, typer.core.TyperGroup):
            cases += [[name, sub, "--help"] for sub in command.commands]
    return cases


@pytest.mark.parametrize("args", _cases(), ids=lambda a: " ".join(a) or "(none)")
def test_lazy_group_answers_as_the_built_one(args: list[str], capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert _run("lazy", args, capsys) == _run("eager", args, capsys)


def test_top_level_help_builds_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    group = lazy_command(app)
    with pytest.raises(SystemExit):
        group.main(["--help"], prog_name="gabacare")
    assert isinstance(group.commands, _LazyCommands)
    assert group.commands._built == {}
    assert "titrate" in capsys.readouterr().out


def test_the_lazy_mapping_keeps_typers_names_and_order() -> None:
    eager = typer.main.get_command(app)
    assert isinstance(eager, typer.core.TyperGroup)
    lazy = lazy_command(app).commands
    assert list(lazy) == list(eager.commands) and len(lazy) == len(eager.commands)
    assert set(GROUPS) <= set(lazy)
    assert "nosuch" not in lazy and lazy.get("nosuch") is None
    assert lazy["titrate"].name == "titrate" and next(iter(lazy)) == "crcl"


def test_version_prints_the_installed_version_and_exits_0() -> None:
    import subprocess
    import sys

    from gabacare import __version__

    r = subprocess.run([sys.executable, "-c", "from gabacare.cli import main; main()", "--version"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == f"gabacare {__version__}\n" and r.stderr == ""
