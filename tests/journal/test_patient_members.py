"""Sharing a patient with a second account (issue 15 item 4b), in the account service on every backend:
the owner shares by e-mail as viewer or logger; a viewer reads, a logger reads and writes journal
entries, neither touches the plan, sharing or deletion; a stranger is refused like an unknown id;
removing a member, or deleting the patient, ends the access at once. Audited as share / revoke."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gabacare.accounts.model import AccessDenied, AccountInputError, Actor, User
from gabacare.journal import settings as journal_settings

from .test_accounts import PASSWORD, World, _memory_world, any_world

__all__ = ["any_world"]  # the parametrised fixture (memory, SQLite, PostgreSQL), re-used


def _family(w: World) -> tuple[User, User, User, User, int]:
    owner = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    viewer = w.accounts.sign_up("bo@example.org", PASSWORD, "Bo")
    logger = w.accounts.sign_up("cy@example.org", PASSWORD, "Cy")
    stranger = w.accounts.sign_up("dee@example.org", PASSWORD, "Dee")
    pid = w.accounts.create_patient_for(owner, "Ann").id
    w.accounts.add_member(owner, pid, "BO@example.org ", "viewer")
    w.accounts.add_member(owner, pid, "cy@example.org", "logger")
    return owner, viewer, logger, stranger, pid


def _allowed(check: object) -> bool:
    try:
        check()  # type: ignore[operator]
    except AccessDenied:
        return False
    return True


def test_access_matrix(any_world: World) -> None:
    w = any_world
    owner, viewer, logger, stranger, pid = _family(w)
    a = w.accounts

    def matrix(user: User) -> dict[str, bool]:
        actor = Actor.for_user(user)
        return {
            "read entries": _allowed(lambda: a.require_access(actor, pid, write=False)),
            "log dose": _allowed(lambda: a.require_access(actor, pid, write=True, entries=True)),
            "set plan": _allowed(lambda: a.require_access(actor, pid, write=True)),
            "share": _allowed(lambda: a.share_links_of(user, pid)) and _allowed(lambda: a.members_of(user, pid)),
            "delete patient": _allowed(lambda: a.delete_patient(user, pid, "not the name")),
        }

    assert matrix(viewer) == {"read entries": True, "log dose": False, "set plan": False, "share": False,
                              "delete patient": False}
    assert matrix(logger) == {"read entries": True, "log dose": True, "set plan": False, "share": False,
                              "delete patient": False}
    assert matrix(stranger) == dict.fromkeys(matrix(stranger), False)
    with pytest.raises(AccountInputError):  # the owner gets past access, to the name check
        a.delete_patient(owner, pid, "not the name")
    owner_actor = Actor.for_user(owner)
    a.require_access(owner_actor, pid, write=True)
    a.require_access(owner_actor, pid, write=True, entries=True)
    for member in (viewer, logger, stranger):  # nobody but the owner shares further
        with pytest.raises(AccessDenied):
            a.add_member(member, pid, "dee@example.org", "viewer")
        with pytest.raises(AccessDenied):
            a.remove_member(member, pid, viewer.id)
    assert a.role_of(Actor.for_user(viewer), pid) == "viewer" and a.role_of(owner_actor, pid) is None


def test_members_list_their_shared_patients_with_the_role(any_world: World) -> None:
    w = any_world
    owner, viewer, logger, stranger, pid = _family(w)
    own = w.accounts.create_patient_for(logger, "Cy's own").id
    assert [(p.id, r) for p, r in w.accounts.patients_with_roles(owner)] == [(pid, "owner")]
    assert [(p.name, r) for p, r in w.accounts.patients_with_roles(viewer)] == [("Ann", "viewer")]
    assert [(p.id, r) for p, r in w.accounts.patients_with_roles(logger)] == [(own, "owner"), (pid, "logger")]
    assert w.accounts.patients_with_roles(stranger) == []
    assert w.accounts.patients_of(viewer) == []  # owned only: what a backup exports
    members = w.accounts.members_of(owner, pid)
    assert [(m.role, u.email) for m, u in members] == [("viewer", "bo@example.org"), ("logger", "cy@example.org")]
    words = [(e.action, e.resource_kind, e.resource_id) for e in w.repo.list_audit(pid)]
    assert ("share", "account", viewer.id) in words and ("share", "account", logger.id) in words


def test_add_member_refuses_bad_input_and_changes_a_role(any_world: World) -> None:
    w = any_world
    owner, viewer, _logger, _stranger, pid = _family(w)
    a = w.accounts
    for email, role in (("nobody@example.org", "viewer"), ("ada@example.org", "viewer"), ("not-an-email", "viewer"),
                        ("dee@example.org", "owner"), ("dee@example.org", "")):
        with pytest.raises(AccountInputError):
            a.add_member(owner, pid, email, role)
    assert len(a.members_of(owner, pid)) == 2
    a.add_member(owner, pid, "bo@example.org", "logger")
    a.require_access(Actor.for_user(viewer), pid, write=True, entries=True)
    assert [m.role for m, u in a.members_of(owner, pid) if u.id == viewer.id] == ["logger"]
    with pytest.raises(AccessDenied):
        a.add_member(owner, 10**30, "bo@example.org", "viewer")


def test_members_are_bounded(any_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = any_world
    owner, _viewer, _logger, _stranger, pid = _family(w)
    monkeypatch.setattr(journal_settings, "PATIENT_MEMBERS_MAX", 2)
    with pytest.raises(AccountInputError):
        w.accounts.add_member(owner, pid, "dee@example.org", "viewer")
    w.accounts.add_member(owner, pid, "bo@example.org", "logger")  # changing a role is not one more


def test_removing_revokes_at_once_and_deleting_the_patient_removes_members(any_world: World) -> None:
    w = any_world
    owner, viewer, logger, _stranger, pid = _family(w)
    a = w.accounts
    a.remove_member(owner, pid, viewer.id)
    with pytest.raises(AccessDenied):
        a.require_access(Actor.for_user(viewer), pid, write=False)
    with pytest.raises(AccessDenied):  # not a member (any more): refused like a made-up id
        a.remove_member(owner, pid, viewer.id)
    assert ("revoke", "account", viewer.id) in [(e.action, e.resource_kind, e.resource_id) for e in a.repo.list_audit(pid)]
    a.delete_patient(owner, pid, "Ann")
    assert a.patients_with_roles(logger) == [] and w.repo.list_members(pid) == []
    with pytest.raises(AccessDenied):
        a.require_access(Actor.for_user(logger), pid, write=False)
    words = [(e.action, e.resource_kind, e.resource_id) for e in a.repo.list_audit(pid)]
    assert words[-2:] == [("revoke", "account", logger.id), ("delete", "patient", pid)]


def test_the_operators_deletion_removes_members_too(any_world: World) -> None:
    from gabacare.app.deletion import delete_patient_locally

    w = any_world
    _owner, _viewer, logger, _stranger, pid = _family(w)
    delete_patient_locally(w.journal, w.accounts, pid, "ann")
    assert w.accounts.patients_with_roles(logger) == []
    words = [(e.actor_kind, e.action, e.resource_kind) for e in w.repo.list_audit(pid)]
    assert words[-3:] == [("cli", "revoke", "account"), ("cli", "revoke", "account"), ("cli", "delete", "patient")]


ROLES_OR_NONE = st.sampled_from([None, "viewer", "logger"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.integers(0, 2), ROLES_OR_NONE), max_size=12))
def test_access_always_follows_the_latest_share_or_removal(steps: list[tuple[int, str | None]]) -> None:
    """Whatever order the owner shares, re-shares and removes in, each account's access is exactly what
    its latest role allows (None: nothing), and a member never gets an owner-only write."""
    w = _memory_world()
    owner = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    others = [w.accounts.sign_up(f"m{i}@example.org", PASSWORD, f"M{i}") for i in range(3)]
    pid = w.accounts.create_patient_for(owner, "Ann").id
    latest: dict[int, str | None] = {}
    for who, role in steps:
        account = others[who]
        if role is None:
            if latest.get(account.id) is not None:
                w.accounts.remove_member(owner, pid, account.id)
            else:
                with pytest.raises(AccessDenied):
                    w.accounts.remove_member(owner, pid, account.id)
        else:
            w.accounts.add_member(owner, pid, account.email, role)
        latest[account.id] = role
        for other in others:
            actor, now = Actor.for_user(other), latest.get(other.id)
            assert _allowed(lambda a=actor: w.accounts.require_access(a, pid, write=False)) == (now is not None)
            assert _allowed(lambda a=actor: w.accounts.require_access(a, pid, write=True, entries=True)) == (
                now == "logger")
            assert not _allowed(lambda a=actor: w.accounts.require_access(a, pid, write=True))
    assert sorted(m.user_id for m, _u in w.accounts.members_of(owner, pid)) == sorted(
        uid for uid, role in latest.items() if role is not None)
