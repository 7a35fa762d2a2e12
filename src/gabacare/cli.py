"""The ``gabacare`` command line: parse, call the core, render (Rich table or ``--json``).

Commands live in :mod:`gabacare._cli` modules, one per area; each module has ``register(app)``.
Heavy libraries (NumPy, SQLAlchemy, matplotlib) are imported inside commands so that
``gabacare --help`` stays fast.
"""

from __future__ import annotations

import typer

from gabacare._cli import clinical as _clinical

__all__ = ["app", "main"]

app = typer.Typer(
    name="gabacare",
    help="GabaCare: cited planning, checks and journal for gabapentin therapy. "
    "Not a substitute for your clinician.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_clinical.register(app)
# Further command groups register here, one line each:
# (pk) _pk.register(app)   (journal) _journal.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
