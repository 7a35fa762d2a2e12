"""The ``gabacare`` Typer application: parse, call the core, render (Rich table or ``--json``).

:mod:`gabacare.cli` is the console script's thin entry point (it serves a cached top-level help
without importing Typer); this module is the application it runs, and what ``gabacare.cli.app``
resolves to. Commands live in :mod:`gabacare._cli` modules, one per area; each module has
``register(app)``. Heavy libraries (NumPy, SQLAlchemy, matplotlib) are imported inside commands so
that ``gabacare --help`` stays fast.

The console script (:func:`main`) builds each command's Click object only when it is run or asked
for its help: Typer reads every command's signature and annotations to build it, which took about
as long as importing Typer itself (~0.1 s for the 26 commands and groups). ``gabacare --help``
lists the commands from their registrations (name, help text, hidden), exactly as Typer would.
``app`` stays the complete Typer application (tests drive it with Typer's ``CliRunner``).
"""

from __future__ import annotations

import copy
import inspect
import sys
from collections.abc import Iterator, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer import _click as click  # Typer bundles its own Click
    from typer.models import CommandInfo, TyperInfo

from gabacare._cli import account as _account
from gabacare._cli import backup as _backup
from gabacare._cli import clinical as _clinical
from gabacare._cli import estimate as _estimate
from gabacare._cli import guide as _guide
from gabacare._cli import interop as _interop
from gabacare._cli import journal as _journal
from gabacare._cli import pk as _pk
from gabacare._cli import questionnaire as _questionnaire
from gabacare._cli import report as _report
from gabacare._cli import supply as _supply
from gabacare._cli import web as _web

__all__ = ["app", "lazy_command", "main"]

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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lazy = self.commands
        if not isinstance(lazy, _LazyCommands):
            super().format_commands(ctx, formatter)
            return
        # Typer's own listing, over help-only stand-ins for the commands not built yet.
        self.commands = lazy.for_listing()
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = lazy


class _LazyCommands(MutableMapping[str, "click.Command"]):
    """A Typer app's commands and groups by name, in Typer's order, each built on first use.

    Building one is what ``typer.main.get_group`` does for it (``get_command_from_info`` or
    ``get_group_from_info``); listing them (:meth:`for_listing`) reads only the registrations.
    """

    def __init__(self, typer_app: typer.Typer) -> None:
        from typer.main import get_command_name, solve_typer_info_defaults

        self._app = typer_app
        self._todo: dict[str, CommandInfo | TyperInfo] = {}
        for info in typer_app.registered_commands:
            assert info.callback is not None
            self._todo[info.name or get_command_name(info.callback.__name__)] = info
        for group in typer_app.registered_groups:
            name = solve_typer_info_defaults(group).name
            assert name, "every command group of gabacare has a name"
            self._todo[name] = group
        self._built: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._built:
            info = self._todo[name]  # KeyError: no such command
            self._built[name] = self._build(info)
        return self._built[name]

    def _build(self, info: CommandInfo | TyperInfo) -> click.Command:
        from typer.main import get_command_from_info, get_group_from_info
        from typer.models import CommandInfo

        app = self._app
        if isinstance(info, CommandInfo):
            return get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                         rich_markup_mode=app.rich_markup_mode)
        return get_group_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                   rich_markup_mode=app.rich_markup_mode, suggest_commands=app.suggest_commands)

    def for_listing(self) -> dict[str, click.Command]:
        """Every command in order: the built ones, and for the others a stand-in with the same
        name, help, short help, hidden and deprecated flags (all a help listing reads)."""
        from typer.main import solve_typer_info_defaults
        from typer.models import CommandInfo

        listing: dict[str, click.Command] = {}
        for name, info in self._todo.items():
            if name in self._built:
                listing[name] = self._built[name]
            elif isinstance(info, CommandInfo):
                assert info.callback is not None
                text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
                listing[name] = TyperCommand(name=name, help=text, short_help=info.short_help, hidden=info.hidden,
                                             deprecated=info.deprecated)
            else:
                solved = solve_typer_info_defaults(info)
                listing[name] = TyperGroup(name=name, help=solved.help, short_help=solved.short_help,
                                           hidden=solved.hidden, deprecated=solved.deprecated)
        listing.update((name, cmd) for name, cmd in self._built.items() if name not in listing)
        return listing

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._todo.pop(name, None)
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._todo
        yield from (name for name in self._built if name not in self._todo)

    def __len__(self) -> int:
        return len(self._todo) + sum(name not in self._todo for name in self._built)

    def __contains__(self, name: object) -> bool:
        return name in self._todo or name in self._built


def lazy_command(typer_app: typer.Typer) -> TyperGroup:
    """``typer.main.get_command(typer_app)`` with each subcommand built on first use (module docstring)."""
    from typer.main import get_group

    shell = copy.copy(typer_app)  # the same settings (cls, help, context), no commands to build yet
    shell.registered_commands = []
    shell.registered_groups = []
    group = get_group(shell)
    group.commands = _LazyCommands(typer_app)
    return group


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



def _print_version(value: bool) -> None:
    if value:
        from gabacare import __version__

        typer.echo(f"gabacare {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print GabaCare's version and exit.",
                                 callback=_print_version, is_eager=True),
) -> None:
    """The options every command shares are on the commands; this adds ``--version``."""


_clinical.register(app)
_journal.register(app)
_supply.register(app)  # after the journal: adds `log pickup` to its `log` group
_pk.register(app)
_web.register(app)
_interop.register(app)
_guide.register(app)
_report.register(app)
_questionnaire.register(app)
_estimate.register(app)
_account.register(app)
_backup.register(app)


def main() -> None:
    """Console-script entry point.

    NOTE: ``app()`` would build every command first (``typer.main.get_command``); the lazy group
    runs the same Click command line. Typer's ``app()`` also installs its exception hook, which with
    ``pretty_exceptions_enable=False`` hands every exception to Python's own hook: nothing to keep.
    """
    import gc

    try:
        lazy_command(app)()
    finally:
        # A command is one short process: the garbage collector's last passes over everything imported
        # (the knowledge base, the lexicons) would only delay the exit. Objects are frozen, not leaked:
        # the process ends here and the OS takes its memory back; files were closed by their owners.
        gc.freeze()
