"""The ``gabacare`` command line's entry point: the console script :func:`main`.

The application itself (commands, the lazy command group, one-line usage errors) is
:mod:`gabacare._cli.application`; ``app``, ``lazy_command`` and ``_LazyCommands`` are resolved from
it on first use (PEP 562), so importing this module loads nothing.

``gabacare --help`` (or ``-h``) alone is served from a cached copy of its own output when one is
there: importing Typer costs ~0.1 s of CPU, which is most of the help's cost. The copy is the exact
text the application printed before, kept in the user cache directory (the knowledge base cache's:
``GABACARE_CACHE_DIR``, else ``$XDG_CACHE_HOME/gabacare`` or ``~/.cache/gabacare`` on Linux, else the
platform's user cache dir; ``GABACARE_CACHE=off`` disables it) under a key of everything the text
depends on: the CLI's source files (this package's ``cli.py`` and ``_cli/*.py``, which hold every
command's name and help text), Typer's version file, the program name and the terminal width. A
copy that is missing, damaged or for another key is ignored, the application prints the help as
always and the copy is written again (atomically).

``gabacare ask WORDS... [--json]`` and ``gabacare symptoms TEXTS... [--json]`` with no other option run
the command without building the application (with ``--json``: the use case, :func:`gabacare.app.ask`
or :func:`gabacare.app.symptoms`, without importing Typer) and print the same output; an error is
reported by the application's own rules. Any other arguments go straight to the application.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # (not typing's: importing typing costs the help's fast path ~10 ms)
if TYPE_CHECKING:
    from typing import Any

    from gabacare._cli.application import _LazyCommands as _LazyCommands  # (tests reach it here)
    from gabacare._cli.application import app, lazy_command

__all__ = ["app", "lazy_command", "main"]

_HELP_ARGS = (["--help"], ["-h"])
_PROG = "gabacare"
_LAZY = ("app", "lazy_command", "_LazyCommands")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from gabacare._cli import application

        return getattr(application, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _cache_directory() -> str | None:
    """The user cache directory (``gabacare._cachedir``; ``None``: caching off)."""
    from gabacare._cachedir import cache_directory

    return cache_directory()


def _columns() -> int:
    """``shutil.get_terminal_size().columns`` (what Click's help formatter reads), without shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _help_key() -> str:
    """A hash of everything the top-level help text depends on (module docstring)."""
    import hashlib
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    commands = os.path.join(here, "_cli")
    files = [os.path.abspath(__file__), *sorted(os.path.join(commands, f) for f in os.listdir(commands) if f.endswith(".py"))]
    spec = importlib.util.find_spec("typer")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("typer")
    files.append(spec.origin)
    h = hashlib.sha256(f"{sys.argv[0]}\0{_columns()}\0".encode())
    for f in files:
        with open(f, "rb") as fh:
            content = fh.read()
        h.update(f"{f}\0{len(content)}\0".encode())
        h.update(content)
    return h.hexdigest()[:32]


def _cached_help() -> tuple[str, str] | None:
    """(key, the cache file's path) for this help request, or ``None`` when it cannot be cached."""
    if os.path.basename(sys.argv[0]) != _PROG:  # `python -m ...` and the like show another program name
        return None
    folder = _cache_directory()
    if folder is None:
        return None
    try:
        key = _help_key()
    except (OSError, ValueError):
        return None
    return key, os.path.join(folder, f"cli-help-{key}.txt")


def _read_help(key: str, path: str) -> str | None:
    """The cached text, if the file is whole and for this key (it starts and ends with the key)."""
    try:
        with open(path, encoding="utf-8") as fh:
            stored = fh.read()
    except (OSError, ValueError):
        return None
    head, tail = f"{key}\n", f"\n{key}\n"
    if len(stored) < len(head) + len(tail) or not stored.startswith(head) or not stored.endswith(tail):
        return None
    return stored[len(head):-len(tail)]


def _write_help(key: str, path: str, text: str) -> None:
    import glob
    import tempfile

    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".cli-help-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"{key}\n{text}\n{key}\n")
            os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
        except BaseException:
            os.unlink(tmp)
            raise
        for old in glob.glob(os.path.join(glob.escape(folder), "cli-help-*.txt")):
            if old != path and os.stat(old).st_mtime < os.stat(path).st_mtime - 30 * 24 * 3600:
                os.unlink(old)  # another width's or version's copy, unused for a month
    except OSError:
        pass


def _help() -> None:
    """``gabacare --help``: the cached text, else the application's help (then cached). Exits."""
    where = _cached_help()
    if where is not None:
        text = _read_help(*where)
        if text is not None:
            sys.stdout.write(text)
            sys.stdout.flush()
            raise SystemExit(0)
    import contextlib
    import io

    from gabacare._cli.application import main as run

    out = io.StringIO()
    code: Any = None
    try:
        with contextlib.redirect_stdout(out):
            run()
        code = 0
    except SystemExit as stop:
        code = stop.code
    finally:  # whatever happened, what was printed reaches the terminal; only a clean help is kept
        text = out.getvalue()
        sys.stdout.write(text)
        sys.stdout.flush()
    if where is not None and code in (0, None) and text:
        _write_help(*where, text)
    raise SystemExit(code)


#: Commands that answer once and exit, with bounded work (``ask`` reads one question of at most
#: ``search.max_question_chars``), run without the cyclic garbage collector: loading the knowledge
#: base, NumPy and the embeddings makes tens of thousands of long-lived objects, and the collector's
#: passes over them cost ~0.1 s of CPU while freeing almost nothing (reference counting still frees
#: everything else at once). Long-running commands (``serve``) keep it.
#: They also run NumPy's BLAS on one thread (``OPENBLAS_NUM_THREADS=1`` unless set).
_NO_CYCLIC_GC = frozenset({"ask"})


#: Commands whose only argument is a list of words (``ask``'s question, ``symptoms``' texts) and whose
#: only option is ``--json``: run without building the application (:func:`_plain`).
_PLAIN_COMMANDS = ("ask", "symptoms")


def _plain_command(args: list[str]) -> tuple[str, list[str], bool] | None:
    """The command, its words and whether ``--json`` was given, when ``args`` is ``ask WORD...`` or
    ``symptoms WORD...`` with nothing else but ``--json`` (``None`` otherwise).

    Only what the application would read the same way: at least one word, ``--json`` (once or more,
    anywhere after the command) and no other argument that starts with ``-`` (an option, ``--``,
    ``-h``, a negative number: those go to the application, which reads or refuses them as always).
    """
    if args[:1] not in ([c] for c in _PLAIN_COMMANDS):
        return None
    words = [a for a in args[1:] if a != "--json"]
    if not words or any(w.startswith("-") for w in words):
        return None
    return args[0], words, len(words) < len(args) - 1


def _plain(command: str, words: list[str], json_out: bool) -> None:
    """``gabacare ask WORDS [--json]`` or ``gabacare symptoms TEXTS [--json]`` without building the
    application's command line (importing every command module and building the Click command). With
    ``--json`` Typer is not imported at all: this prints exactly what the command prints (its
    ``emit_json``: :func:`gabacare.serialize.dumps` and a new line), and an error is reported by the
    application's own rules (``gabacare._cli.common.guard``: the same one line on stderr and exit
    code). Without it, the command's own function renders the answer. Exits."""
    try:
        if not json_out:
            if command == "ask":
                from gabacare._cli.guide import ask_cmd

                ask_cmd(words, json_out=False)
            else:
                from gabacare._cli.clinical import symptoms

                symptoms(words, json_out=False)
            raise SystemExit(0)
        from gabacare import app
        from gabacare.serialize import dumps

        use_case = app.ask if command == "ask" else app.symptoms
        text = dumps(use_case(words)) + "\n"
        sys.stdout.write(text)
    except (KeyboardInterrupt, EOFError):  # as the application's command group reports Click's Abort
        sys.stderr.write("gabacare: aborted\n")
        raise SystemExit(1) from None
    except Exception as exc:
        import typer

        from gabacare._cli.common import guard

        try:
            if isinstance(exc, typer.Exit):
                raise
            with guard():
                raise exc
        except typer.Exit as stop:
            raise SystemExit(stop.exit_code) from None
    raise SystemExit(0)


def _leave(stop: SystemExit) -> None:
    """End a plain ``ask`` or ``symptoms`` with ``stop``'s exit status, skipping the interpreter's
    teardown.

    Everything is written by then (the caches atomically, before the answer; no thread is left), and
    freeing the knowledge base's ~100,000 objects one by one takes ~20-25 ms, a sixth of the command.
    Standard output and error are flushed first; if that fails (a closed pipe), ``stop`` is raised
    again so the interpreter ends as it always would."""
    code = stop.code
    try:
        if code is not None and not isinstance(code, int):  # a message: printed, status 1, as Python does
            sys.stderr.write(f"{code}\n")
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        raise stop from None
    os._exit(code or 0)


def main() -> None:
    """Console-script entry point: the cached help for ``gabacare --help``, a plain ``gabacare ask ...``
    or ``gabacare symptoms ...`` straight to its command, else the application."""
    if sys.argv[1:] in _HELP_ARGS:
        _help()
    if sys.argv[1:2] and sys.argv[1] in _NO_CYCLIC_GC:
        import gc

        gc.disable()
        # Its matrix products are a few hundred rows: OpenBLAS's worker threads (started when NumPy
        # is imported, one per core) cost more CPU than they save. Each product's values are the
        # same with one thread (threads split the rows, each row's sum is computed the same way).
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    plain = _plain_command(sys.argv[1:])
    if plain is not None:
        try:
            _plain(*plain)
        except SystemExit as stop:
            _leave(stop)
    from gabacare._cli.application import main as run

    run()
