"""``gabacare account share`` / ``unshare`` / ``shares`` (issue 15, sharing with a second account): the
local operator shares an account's patient as the Share page does, through the same use cases
(``Accounts.add_member``, ``remove_member``, ``members_of``), so the same refusals hold; the access
the member gets is the page's (``role_of``); audit rows name the command line; bad input exits 2 with
one line and changes nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from typer.testing import CliRunner

from gabacare.accounts.model import Actor
from gabacare.cli import app
from gabacare.composition import accounts as open_accounts

runner = CliRunner()


def _run(db: str, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["account", *args, "--db", db, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr)
    if code == 0:
        return json.loads(result.stdout)
    lines = result.stderr.strip().splitlines()
    assert result.stdout == "" and len(lines) == 1 and lines[0].startswith("gabacare: error:"), result.stderr
    return lines[0]


@pytest.fixture
def family(sqlite_url: str) -> dict[str, Any]:
    accounts = open_accounts(sqlite_url)
    tag = uuid.uuid4().hex[:6]
    users = {who: accounts.sign_up(f"{who}-{tag}@example.org", "a long enough secret", who.title())
             for who in ("owner", "partner", "parent")}
    pid = accounts.create_patient_for(users["owner"], "Shared Patient").id
    return {"db": sqlite_url, "accounts": accounts, "users": users, "pid": pid}


def test_share_change_role_list_and_unshare(family: dict[str, Any]) -> None:
    db, accounts, users, pid = family["db"], family["accounts"], family["users"], family["pid"]
    partner = users["partner"]
    shared = _run(db, "share", "--patient", str(pid), "--with", partner.email.upper(), "--role", "viewer")
    assert shared == {"patient": pid, "account_id": partner.id, "email": partner.email, "display_name": "Partner",
                      "role": "viewer", "since": shared["since"], "shared": True}
    assert accounts.role_of(Actor.for_user(partner), pid) == "viewer"
    assert _run(db, "share", "--patient", str(pid), "--with", partner.email, "--role", "logger")["role"] == "logger"
    assert accounts.role_of(Actor.for_user(partner), pid) == "logger"  # the same row, the role changed
    _run(db, "share", "--patient", str(pid), "--with", users["parent"].email, "--role", "viewer")
    listed = _run(db, "shares", "--patient", str(pid))
    assert listed["owner"] == {"account_id": users["owner"].id, "email": users["owner"].email}
    assert [(m["email"], m["role"]) for m in listed["members"]] == [(partner.email, "logger"),
                                                                    (users["parent"].email, "viewer")]
    # what the Share page lists for the owner is what the command line lists
    assert [(m.user_id, m.role) for m, _ in accounts.members_of(users["owner"], pid)] == [
        (m["account_id"], m["role"]) for m in listed["members"]]
    gone = _run(db, "unshare", "--patient", str(pid), "--with", partner.email)
    assert (gone["account_id"], gone["shared"]) == (partner.id, False)
    assert accounts.role_of(Actor.for_user(partner), pid) is None
    audit = [(a.actor_kind, a.action, a.resource_kind, a.resource_id) for a in accounts.repo.list_audit(pid)
             if a.action in ("share", "revoke")]
    assert audit == [("cli", "share", "account", partner.id), ("cli", "share", "account", partner.id),
                     ("cli", "share", "account", users["parent"].id), ("cli", "revoke", "account", partner.id)]
    human = runner.invoke(app, ["account", "shares", "--patient", str(pid), "--db", db])
    assert human.exit_code == 0 and f"{users['parent'].email}: viewer" in human.stdout


def test_refusals_exit_2_with_one_line_and_change_nothing(family: dict[str, Any]) -> None:
    db, accounts, users, pid = family["db"], family["accounts"], family["users"], family["pid"]
    p = str(pid)
    assert "your own account" in _run(db, "share", "--patient", p, "--with", users["owner"].email, "--role",
                                      "viewer", code=2)
    assert "no GabaCare account uses that e-mail" in _run(db, "share", "--patient", p, "--with",
                                                          "nobody@example.org", "--role", "viewer", code=2)
    assert "e-mail must look like" in _run(db, "share", "--patient", p, "--with", "not-an-email", "--role",
                                           "viewer", code=2)
    assert "unknown patient" in _run(db, "share", "--patient", "9999", "--with", users["partner"].email,
                                     "--role", "viewer", code=2)
    assert "unknown patient" in _run(db, "shares", "--patient", "0", code=2)
    assert "not shared with that account" in _run(db, "unshare", "--patient", p, "--with", users["partner"].email,
                                                  code=2)
    from gabacare.composition import journal

    local = journal(db).add_patient("Command-line Patient").id  # no account owns it
    assert "belongs to no (active) account" in _run(db, "share", "--patient", str(local), "--with",
                                                    users["partner"].email, "--role", "viewer", code=2)
    bad_role = runner.invoke(app, ["account", "share", "--patient", p, "--with", users["partner"].email,
                                   "--role", "owner", "--db", db])
    assert bad_role.exit_code == 2
    assert accounts.members_of(users["owner"], pid) == []
    assert not [a for a in accounts.repo.list_audit(pid) if a.action in ("share", "revoke")]
