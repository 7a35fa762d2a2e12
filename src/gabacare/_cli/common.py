"""Shared CLI plumbing: one JSON object on stdout for ``--json``, one-line errors on stderr.

Exit codes (DESIGN.md): 0 success, 2 bad input (an ``InputError`` of :mod:`gabacare.errors`, unknown
ids, a damaged journal file), 1 any other failure (storage, internal, and any built-in exception,
which is a defect, never the user's fault). Errors never print a traceback and never echo
journal contents.

Text that came from a patient or a file (names, notes, side effects, an import's column names) goes
through :func:`term_safe` before it reaches the terminal, and through :func:`shown` when Rich prints
it: terminal control sequences (ESC, C1, carriage returns, bidirectional overrides) are shown as
visible escapes (``\x1b``) instead of acting on the terminal, and Rich markup in it is not obeyed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from gabacare.journal.services import Journal

__all__ = [
    "DbOpt",
    "JsonOpt",
    "PatientOpt",
    "RiskChoice",
    "SexChoice",
    "citations_text",
    "emit_json",
    "fail",
    "guard",
    "jsonable",
    "notice",
    "open_journal",
    "shown",
    "stdout_console",
    "term_safe",
]

# Options shared by every command group (names and help text stay the same everywhere).
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts).")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="SQLAlchemy URL of the journal database (default: $GABACARE_DB, else a SQLite file in the "
    "user data directory).", show_default=False)]
PatientOpt = Annotated[int, typer.Option("--patient", help="Patient id (see `gabacare patient list`).")]


class SexChoice(StrEnum):
    """Sex for Cockcroft-Gault and the patient profile."""

    female = "female"
    male = "male"


class RiskChoice(StrEnum):
    """Withdrawal risk, which picks the proportional taper (knowledge base ``[[taper.risk]]``)."""

    low = "low"
    moderate = "moderate"
    high = "high"


def open_journal(db: str | None) -> Journal:
    """The journal at ``db`` (or ``$GABACARE_DB``, else the user's SQLite file); SQLAlchemy loads only now."""
    from gabacare.composition import journal

    return journal(db)


F = TypeVar("F", bound=Callable[..., Any])


# C0 controls but tab and line feed, DEL and C1, line/paragraph separators, bidirectional controls.
_UNSAFE_MULTILINE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    return _NAMED_ESCAPES.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def term_safe(value: object, *, multiline: bool = False) -> str:
    r"""``value`` as text a terminal only displays: control characters become visible escapes.

    Line feeds (and tabs) are kept when ``multiline``; a CRLF line ending counts as a line feed;
    a lone carriage return (which would overwrite what was printed) is always escaped.

    Examples
    --------
    >>> term_safe("Ann\x1b[31mRed\u202e")
    'Ann\\x1b[31mRed\\u202e'
    >>> term_safe("a\r\nb\tc", multiline=True)
    'a\nb\tc'
    """
    text = value if isinstance(value, str) else str(value)
    if multiline:
        return _UNSAFE_MULTILINE_RE.sub(_escape, text.replace("\r\n", "\n"))
    return _UNSAFE_LINE_RE.sub(_escape, text)


def shown(value: object, *, multiline: bool = False) -> str:
    """:func:`term_safe` text for a Rich ``print`` or table cell: its ``[markup]`` is shown, not obeyed."""
    from rich.markup import escape

    return escape(term_safe(value, multiline=multiline))


def jsonable(value: Any) -> Any:
    """Core values to JSON-ready objects (:func:`gabacare.serialize.jsonable`, shared with the web API)."""
    from gabacare.serialize import jsonable as to_json  # lazy: keeps `gabacare --help` fast

    return to_json(value)


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout (always valid JSON: see :func:`gabacare.serialize.dumps`)."""
    from gabacare.serialize import dumps  # lazy: keeps `gabacare --help` fast

    sys.stdout.write(dumps(obj) + "\n")


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, then exit with ``code`` (2 = bad input)."""
    line = term_safe(" ".join(str(message).split()))
    sys.stderr.write(f"gabacare: error: {line}\n")
    raise typer.Exit(code)


@contextmanager
def guard() -> Iterator[None]:
    """Map errors by their type in the one error tree (:func:`gabacare.errors.exit_code`), without a traceback.

    An error of the tree prints its message (messages name the field and the rule, never journal
    contents) and exits 2 for the caller's input, unknown ids, refused access and conflicts, 1 for
    storage and internal errors; a damaged journal file exits 2 (the user must act on the file). An
    ``OSError`` prints its reason and exits 1. Anything else, a built-in ``ValueError`` or ``KeyError``
    included, is a defect: ``unexpected X; please report it``, exit 1, never "bad input".
    """
    from gabacare.errors import GabaCareError, exit_code

    try:
        yield
    except (typer.Exit, typer.Abort, _click_error()):
        raise
    except GabaCareError as exc:
        fail(_message(exc), exit_code(exc))
    except OSError as exc:
        fail(f"{exc.strerror or exc}", 1)
    except Exception as exc:
        fail(f"unexpected {type(exc).__name__}; please report it", 1)


def _click_error() -> type[Exception]:
    """Click's exception base (usage errors, ``typer.BadParameter``), reached through Typer's public class."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _message(exc: BaseException) -> str:
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


def stdout_console() -> Any:
    """A Rich console on stdout (Rich is imported only when human output is printed)."""
    from rich.console import Console

    return Console(highlight=False)


def citations_text(citations: Any) -> str:
    """``label §2.3; fda-dsc-2019`` for a sequence of citations."""
    from gabacare.guide import AskCitation
    from gabacare.knowledge import Citation

    seen: list[str] = []
    for c in citations:
        text = c.render() if isinstance(c, Citation | AskCitation) else str(c)
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


def notice() -> str:
    """The knowledge base's "not a substitute for your clinician" notice."""
    from gabacare.knowledge import load_monograph

    return load_monograph().notice_text
