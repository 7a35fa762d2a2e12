"""``gabacare backup`` and ``gabacare restore``: an account's encrypted backup file, made and restored
on the machine that holds the database (the local operator, audited as the ``cli`` actor).

The passphrase is asked at a prompt (twice for a new backup) or read from ``--passphrase-file`` (its
first line, for scripts); it is never an argument, so it stays out of the shell history and the
process list. Bad input (unknown account, wrong passphrase, damaged or oversized file) exits 2 with
one line on stderr; nothing is restored then.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gabacare._cli.common import DbOpt, JsonOpt, emit_json, fail, guard, term_safe

__all__ = ["register"]

AccountOpt = Annotated[str, typer.Option("--account", help="The account's e-mail address.")]
PassFileOpt = Annotated[Path | None, typer.Option(
    "--passphrase-file", help="Read the passphrase from the first line of this file (for scripts) instead of a prompt.",
    show_default=False)]


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is None:
        return str(typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm))
    try:
        with path.open(encoding="utf-8") as fh:
            line = fh.readline(4096)
    except (FileNotFoundError, IsADirectoryError):
        fail(f"cannot read {term_safe(path)}: no such file")
    except UnicodeDecodeError:
        fail("the passphrase file is not UTF-8 text")
    return line.rstrip("\r\n")


def backup(
    account: AccountOpt,
    out: Annotated[Path, typer.Option("--out", help="Write the encrypted backup to this file.")],
    passphrase_file: PassFileOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write an encrypted backup of everything an account owns (patients, entries, plans, questionnaires)."""
    with guard():
        from gabacare.accounts.model import Actor
        from gabacare.app.backup import account_by_email, make_backup
        from gabacare.composition import accounts, journal

        accs = accounts(db)
        user = account_by_email(accs, account)
        made = make_backup(journal(db), accs, user, _passphrase(passphrase_file, confirm=True), actor=Actor.cli())
        # NOTE: write then rename, so an interrupted run never leaves half a backup under the name asked for;
        # readable by its owner only (it is encrypted, but who may copy it is still worth limiting).
        partial = out.with_name(out.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(made.data)
        partial.replace(out)
        if json_out:
            emit_json({"account": user.email, "out": str(out), **made.summary()})
            return
        typer.echo(f"Wrote {term_safe(out)}: {made.patients} patient(s), {made.entries} entries, {made.plans} plan(s), "
                   f"{made.questionnaires} questionnaire(s), {len(made.data)} bytes, encrypted. Keep the passphrase: "
                   "without it the backup cannot be opened.")
        if made.invalid_entries:
            typer.echo(f"{made.invalid_entries} invalid entr(y/ies) left out (see `gabacare export`).", err=True)


def restore(
    file: Annotated[Path, typer.Argument(help="A backup file made by `gabacare backup` or the Backup page.")],
    account: AccountOpt,
    passphrase_file: PassFileOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Restore an encrypted backup into an account: patients are created (or matched), entries added once."""
    with guard():
        from gabacare.accounts.model import Actor
        from gabacare.app.backup import MAX_BACKUP_BYTES, account_by_email, restore_backup
        from gabacare.composition import accounts, journal

        accs = accounts(db)
        user = account_by_email(accs, account)
        try:
            with file.open("rb") as fh:
                data = fh.read(MAX_BACKUP_BYTES + 1)  # one byte more than allowed is enough to refuse it
        except (FileNotFoundError, IsADirectoryError):
            fail(f"cannot read {term_safe(file)}: no such file")
        result = restore_backup(journal(db), accs, user, data, _passphrase(passphrase_file, confirm=False),
                                actor=Actor.cli())
        if json_out:
            emit_json({"account": user.email, "file": str(file), **result.summary()})
            return
        typer.echo(f"Restored into {term_safe(user.email)}: {result.created} patient(s) created, {result.matched} "
                   f"already there; {result.entries} entries and {result.plans} plan(s) added; "
                   f"{result.already_present} already present.")


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the CLI."""
    app.command("backup")(backup)
    app.command("restore")(restore)
