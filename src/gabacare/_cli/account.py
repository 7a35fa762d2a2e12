"""``gabacare account reset-code``, ``share``, ``unshare`` and ``shares``: the local operator's account commands.

GabaCare sends no e-mail. Whoever runs the machine that holds the database (the local operator) asks
for a code for an account's e-mail address; the code is printed once (only its hash is stored, with
its expiry, ``gabacare.web.settings.RESET_CODE_TTL``) and typed, with a new password, into the page
``/account/reset``. An unknown or disabled account exits 2 with one line on stderr; nothing is stored.

Sharing a patient with a second account (issue 15), as the Share page does: ``share --patient ID
--with EMAIL --role viewer|logger`` (again with another role: the role changes), ``unshare --patient
ID --with EMAIL`` and ``shares --patient ID``. The operator acts for the patient's owning account
(``Accounts.owner_account``) through the same use cases as the page (``Accounts.add_member``,
``remove_member``, ``members_of``: one copy of the rules: not the owner's own e-mail, an existing
account, at most ``settings.PATIENT_MEMBERS_MAX`` members); the audit rows name the command line
(``cli``) as the actor. Refused input, an unknown patient or a patient no account owns: exit 2, one
line on stderr, nothing changed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gabacare._cli.common import DbOpt, JsonOpt, PatientOpt, emit_json, fail, guard, shown, stdout_console

if TYPE_CHECKING:
    from gabacare.accounts.model import PatientMember, User
    from gabacare.accounts.service import Accounts

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


class RoleChoice(StrEnum):
    """What the second account may do (``gabacare.accounts.model.MemberRole``)."""

    viewer = "viewer"
    logger = "logger"


WithOpt = Annotated[str, typer.Option("--with", help="The e-mail address of the account to share with (it must "
                                                     "have signed up).")]


def _member_json(patient_id: int, member: PatientMember, account: User) -> dict[str, Any]:
    return {"patient": patient_id, "account_id": account.id, "email": account.email,
            "display_name": account.display_name, "role": member.role,
            "since": member.created_at.isoformat(timespec="seconds") + "Z"}


def _member_by_email(accounts: Accounts, owner: User, patient_id: int, email: str) -> tuple[PatientMember, User]:
    from gabacare.accounts.service import normalize_email

    address = normalize_email(email)
    found = [(m, a) for m, a in accounts.members_of(owner, patient_id) if a.email == address]
    if not found:
        fail(f"patient #{patient_id} is not shared with that account")
    return found[0]


def share(patient: PatientOpt, with_email: WithOpt,
          role: Annotated[RoleChoice, typer.Option("--role", help="viewer: reads; logger: also logs doses and "
                                                   "entries (never the plan, sharing or deletion).")],
          db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Share a patient with another account, as on the Share page (again: change its role)."""
    from gabacare.accounts.model import Actor
    from gabacare.composition import accounts as open_accounts

    with guard():
        accounts = open_accounts(db)
        owner = accounts.owner_account(patient)
        member = accounts.add_member(owner, patient, with_email, role.value, by=Actor.cli())
        found = next(a for m, a in accounts.members_of(owner, patient) if m.user_id == member.user_id)
    if json_out:
        emit_json({**_member_json(patient, member, found), "shared": True})
        return
    stdout_console().print(f"Patient #{patient} is shared with {shown(found.email)} as {member.role} "
                           f"({'reads' if member.role == 'viewer' else 'reads and logs entries'}).")


def unshare(patient: PatientOpt, with_email: WithOpt, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Stop sharing a patient with that account: its access ends at once."""
    from gabacare.accounts.model import Actor
    from gabacare.composition import accounts as open_accounts

    with guard():
        accounts = open_accounts(db)
        owner = accounts.owner_account(patient)
        member, account = _member_by_email(accounts, owner, patient, with_email)
        accounts.remove_member(owner, patient, account.id, by=Actor.cli())
    if json_out:
        emit_json({**_member_json(patient, member, account), "shared": False})
        return
    stdout_console().print(f"Patient #{patient} is no longer shared with {shown(account.email)}.")


def shares(patient: PatientOpt, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """The accounts a patient is shared with, and what each may do."""
    from gabacare.composition import accounts as open_accounts

    with guard():
        accounts = open_accounts(db)
        owner = accounts.owner_account(patient)
        members = accounts.members_of(owner, patient)
    if json_out:
        emit_json({"patient": patient, "owner": {"account_id": owner.id, "email": owner.email},
                   "members": [_member_json(patient, m, a) for m, a in members]})
        return
    console = stdout_console()
    if not members:
        console.print(f"Patient #{patient} is shared with no other account.")
        return
    for m, a in members:
        console.print(f"{shown(a.email)}: {m.role} (since {m.created_at.date().isoformat()})")


def register(app: typer.Typer) -> None:
    """Add the ``account`` group (``reset-code``, ``share``, ``unshare``, ``shares``) to the CLI."""
    group = typer.Typer(help="Accounts of the web app on this machine (password reset codes, sharing a patient).",
                        no_args_is_help=True)
    group.command("reset-code")(reset_code)
    group.command("share")(share)
    group.command("unshare")(unshare)
    group.command("shares")(shares)
    app.add_typer(group, name="account")
