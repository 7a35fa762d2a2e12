"""The ``gabacare`` command line: parse, call the core, render (Rich table or ``--json``).

Commands live in :mod:`gabacare._cli` modules, one per area; each module has ``register(app)``.
Heavy libraries (NumPy, SQLAlchemy, matplotlib) are imported inside commands so that
``gabacare --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from gabacare._cli import clinical as _clinical
from gabacare._cli import guide as _guide
from gabacare._cli import interop as _interop
from gabacare._cli import journal as _journal
from gabacare._cli import pk as _pk
from gabacare._cli import questionnaire as _questionnaire
from gabacare._cli import report as _report
from gabacare._cli import web as _web

__all__ = ["app", "main"]

class _OneLineErrorGroup(TyperGroup):
    """Report usage errors (unknown option, missing value, bad choice) like every other bad input:
    one line on stderr and exit code 2, instead of Click's multi-line usage box."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **kwargs)
        # Typer bundles its own Click; reach its exception base through a public class.
        click_error: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
        try:
            rc = super().main(args, prog_name, complete_var, False, windows_expand_args, **kwargs)
        except typer.Abort:
            sys.stderr.write("gabacare: aborted\n")
            sys.exit(1)
        except click_error as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                # `gabacare` alone: the help, as it is (exit 2, as before: no command was given).
                sys.stdout.write(str(exc.format_message()).rstrip() + "\n")  # type: ignore[attr-defined]
                sys.exit(2)
            message = " ".join(str(getattr(exc, "format_message", exc.__str__)()).split())
            sys.stderr.write(f"gabacare: error: {message}\n")
            sys.exit(getattr(exc, "exit_code", 2))
        sys.exit(rc if isinstance(rc, int) else 0)


app = typer.Typer(
    cls=_OneLineErrorGroup,
    name="gabacare",
    help="GabaCare: cited planning, checks and journal for gabapentin therapy. "
    "Not a substitute for your clinician.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain Click help: Rich's help renderer costs ~0.3 s at every start
    context_settings={"help_option_names": ["-h", "--help"]},
)

_clinical.register(app)
_journal.register(app)
_pk.register(app)
_web.register(app)
_interop.register(app)
_guide.register(app)
_report.register(app)
_questionnaire.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
