"""``gabacare account reset-code``: a one-time password-reset code for a local install.

GabaCare sends no e-mail. Whoever runs the machine that holds the database (the local operator) asks
for a code for an account's e-mail address; the code is printed once (only its hash is stored, with
its expiry, ``gabacare.web.settings.RESET_CODE_TTL``) and typed, with a new password, into the page
``/account/reset``. An unknown or disabled account exits 2 with one line on stderr; nothing is stored.
"""

from __future__ import annotations

from typing import Annotated

import typer

from gabacare._cli.common import DbOpt, JsonOpt, emit_json, guard

__all__ = ["register"]

EmailOpt = Annotated[str, typer.Option("--email", help="The account's e-mail address.")]


def reset_code(email: EmailOpt, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Print a one-time code that resets the password of the account with this e-mail (on /account/reset)."""
    from gabacare.composition import accounts
    from gabacare.web.settings import RESET_CODE_TTL

    with guard():
        user, code, expires_at = accounts(db).issue_reset_code(email, RESET_CODE_TTL)
    minutes = int(RESET_CODE_TTL.total_seconds() // 60)
    if json_out:
        emit_json({"account_id": user.id, "code": code, "expires_at": expires_at.isoformat() + "Z",
                   "valid_minutes": minutes})
        return
    typer.echo(code)
    typer.echo(f"One-time reset code for account #{user.id}: enter it at /account/reset within {minutes} minutes, "
               "with a new password. It works once; it is not stored, so it cannot be shown again.", err=True)


def register(app: typer.Typer) -> None:
    """Add the ``account`` group (``reset-code``) to the CLI."""
    group = typer.Typer(help="Accounts of the web app on this machine (password reset codes).", no_args_is_help=True)
    group.command("reset-code")(reset_code)
    app.add_typer(group, name="account")
