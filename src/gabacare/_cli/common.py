"""Shared CLI plumbing: one JSON object on stdout for ``--json``, one-line errors on stderr.

Exit codes (DESIGN.md): 0 success, 2 bad input (``ClinicalInputError``, ``ValueError``, unknown
names), 1 any other failure. Errors never print a traceback and never echo journal contents.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from gabacare.journal.services import Journal

__all__ = [
    "DbOpt",
    "JsonOpt",
    "PatientOpt",
    "citations_text",
    "emit_json",
    "fail",
    "guard",
    "jsonable",
    "notice",
    "open_journal",
    "stdout_console",
]

# Options shared by every command group (names and help text stay the same everywhere).
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts).")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="SQLAlchemy URL of the journal database (default: $GABACARE_DB, else a SQLite file in the "
    "user data directory).", show_default=False)]
PatientOpt = Annotated[int, typer.Option("--patient", help="Patient id (see `gabacare patient list`).")]


def open_journal(db: str | None) -> Journal:
    """The journal at ``db`` (or ``$GABACARE_DB``, else the user's SQLite file); SQLAlchemy loads only now."""
    from gabacare.composition import journal

    return journal(db)


F = TypeVar("F", bound=Callable[..., Any])


def jsonable(value: Any) -> Any:
    """Convert core values (dataclasses, pydantic models, dates, tuples) to JSON-ready objects."""
    from gabacare.knowledge import Citation, load_monograph  # lazy: keeps `gabacare --help` fast

    if isinstance(value, Citation):
        src = load_monograph().sources.get(value.source)
        return {"source": value.source, "section": value.section, "text": value.render(),
                "title": src.title if src else None}
    if hasattr(value, "to_json") and callable(value.to_json):
        return jsonable(value.to_json())
    if is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in asdict(value).items()}
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return int(value) if abs(value) < 2**53 else value
    return value


def emit_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(jsonable(obj), ensure_ascii=False) + "\n")


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, then exit with ``code`` (2 = bad input)."""
    line = " ".join(str(message).split())
    sys.stderr.write(f"gabacare: error: {line}\n")
    raise typer.Exit(code)


@contextmanager
def guard() -> Iterator[None]:
    """Turn input errors into exit 2 and unexpected ones into exit 1, without a traceback."""
    try:
        yield
    except typer.Exit:
        raise
    except (ValueError, KeyError, LookupError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        fail(str(msg), 2)
    except OSError as exc:
        fail(f"{exc.strerror or exc}", 1)
    except Exception as exc:
        fail(f"unexpected {type(exc).__name__}; please report it", 1)


def stdout_console() -> Any:
    """A Rich console on stdout (Rich is imported only when human output is printed)."""
    from rich.console import Console

    return Console(highlight=False)


def citations_text(citations: Any) -> str:
    """``label §2.3; fda-dsc-2019`` for a sequence of citations."""
    from gabacare.knowledge import Citation

    seen: list[str] = []
    for c in citations:
        text = c.render() if isinstance(c, Citation) else str(c)
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


def notice() -> str:
    """The knowledge base's "not a substitute for your clinician" notice."""
    from gabacare.knowledge import load_monograph

    return load_monograph().notice_text
