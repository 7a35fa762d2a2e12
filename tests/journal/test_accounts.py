"""The account service: sign-up policy, sign-in, sessions, tokens, ownership, share links and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters

from gabacare.accounts.memory import InMemoryAccountRepository
from gabacare.accounts.model import (
    ACTOR_KINDS,
    AUDIT_ACTIONS,
    RESOURCE_KINDS,
    ROLES,
    AccessDenied,
    AccountInputError,
    Actor,
    EmailTakenError,
    ShareActor,
)
from gabacare.accounts.repository import AccountRepository
from gabacare.accounts.service import Accounts, check_password
from gabacare.journal import settings
from gabacare.journal.errors import JournalInputError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.orm import ACTION_CHECK, ACTOR_KIND_CHECK, RESOURCE_KIND_CHECK, ROLE_CHECK
from gabacare.journal.repository import JournalRepository
from gabacare.journal.services import Journal

T0 = datetime(2026, 6, 30, 10, 0)
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"


class Clock:
    """A settable clock (naive UTC)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class World:
    clock: Clock
    journal_repo: JournalRepository
    repo: AccountRepository
    accounts: Accounts
    journal: Journal


def _memory_world() -> World:
    clock = Clock()
    mem = InMemoryJournalRepository()
    repo = InMemoryAccountRepository(mem)
    return World(clock, mem, repo, Accounts(repo, clock, password_hasher=CHEAP), Journal(mem, clock=lambda: T0))


@pytest.fixture
def w() -> World:
    return _memory_world()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_world(request: pytest.FixtureRequest) -> Iterator[World]:
    """The same world on every backend."""
    if request.param == "memory":
        yield _memory_world()
        return
    from gabacare.accounts.sql import SqlAccountRepository
    from gabacare.journal.db import make_engine
    from gabacare.journal.sql import SqlJournalRepository

    engine = make_engine(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    clock = Clock()
    jr, ar = SqlJournalRepository(engine), SqlAccountRepository(engine)
    yield World(clock, jr, ar, Accounts(ar, clock, password_hasher=CHEAP), Journal(jr, clock=lambda: T0))
    engine.dispose()


# -- sign-up and sign-in -------------------------------------------------------------------------------


def test_sign_up_normalises_the_email_and_hashes_with_argon2id(w: World) -> None:
    user = w.accounts.sign_up("  Ada@Example.ORG ", PASSWORD, "  Ada   Lovelace ")
    assert (user.email, user.display_name, user.role, user.created_at) == ("ada@example.org", "Ada Lovelace",
                                                                          "patient", T0)
    found = w.repo.find_user("ada@example.org")
    assert found is not None and found[1].startswith("$argon2id$") and PASSWORD not in found[1]
    with pytest.raises(EmailTakenError):
        w.accounts.sign_up("ADA@example.org", "another long one", "Ada 2")
    assert w.accounts.sign_up("cy@example.org", PASSWORD, "Dr Cy", role="clinician").role == "clinician"


@pytest.mark.parametrize(("email", "password", "name", "rule"), [
    ("ada@example.org", "", "Ada", "must not be empty"),
    ("ada@example.org", "short1", "Ada", f"at least {settings.PASSWORD_MIN_CHARS}"),
    ("ada@example.org", "x" * (settings.PASSWORD_MAX_CHARS + 1), "Ada", "at most"),
    ("ada@example.org", "Password123", "Ada", "too common"),
    ("ada@example.org", "aaaaaaaaaaaa", "Ada", "too common"),
    ("ada.lovelace@example.org", "Ada.Lovelace", "Ada", "e-mail address or your name"),
    ("ada@example.org", "Ada Lovelace", "Ada Lovelace", "e-mail address or your name"),
    ("not-an-email", PASSWORD, "Ada", "e-mail must look like"),
    ("", PASSWORD, "Ada", "e-mail must look like"),
    ("ada@example.org", PASSWORD, "   ", "display name must not be empty"),
])
def test_sign_up_refuses_bad_input_without_echoing_it(w: World, email: str, password: str, name: str,
                                                      rule: str) -> None:
    with pytest.raises(AccountInputError, match=rule) as err:
        w.accounts.sign_up(email, password, name)
    if password:
        assert password not in str(err.value)
    assert w.repo.find_user("ada@example.org") is None


def test_sign_up_refuses_an_unknown_role(w: World) -> None:
    with pytest.raises(AccountInputError, match="role"):
        w.accounts.sign_up("ada@example.org", PASSWORD, "Ada", role="admin")  # type: ignore[arg-type]


def test_password_policy_is_a_plain_function() -> None:
    check_password("a perfectly fine passphrase", email="ada@example.org", display_name="Ada")
    with pytest.raises(AccountInputError):
        check_password("ADA@EXAMPLE.ORG", email="ada@example.org")


def test_authenticate_accepts_only_the_right_password(w: World) -> None:
    user = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    assert w.accounts.authenticate("ADA@example.org", PASSWORD) == user
    assert w.accounts.authenticate("ada@example.org", PASSWORD + "!") is None
    assert w.accounts.authenticate("ada@example.org", "") is None
    assert w.accounts.authenticate("nobody@example.org", PASSWORD) is None
    assert w.accounts.authenticate("not an email", PASSWORD) is None
    assert w.accounts._dummy_hash is not None  # the unknown e-mail was verified against a dummy hash
    w.accounts.disable_user(user)
    assert w.accounts.authenticate("ada@example.org", PASSWORD) is None


def test_a_hash_with_old_parameters_is_replaced_on_sign_in(w: World) -> None:
    w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    upgraded = Accounts(w.repo, w.clock, password_hasher=stronger)
    assert upgraded.authenticate("ada@example.org", "wrong password!") is None
    assert extract_parameters(w.repo.find_user("ada@example.org")[1]).time_cost == 1  # type: ignore[index]
    assert upgraded.authenticate("ada@example.org", PASSWORD) is not None
    new_hash = w.repo.find_user("ada@example.org")[1]  # type: ignore[index]
    assert (extract_parameters(new_hash).time_cost, extract_parameters(new_hash).memory_cost) == (2, 16)
    assert w.accounts.authenticate("ada@example.org", PASSWORD) is not None  # still the same password


def test_production_parameters_are_the_default(w: World) -> None:
    assert Accounts(w.repo).hasher.time_cost == PasswordHasher().time_cost


# -- sessions and tokens -------------------------------------------------------------------------------


def test_sessions_expire_and_end(w: World) -> None:
    user = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    sid, session = w.accounts.start_session(user, timedelta(hours=1))
    assert len(sid) >= 43 and session.id_hash != sid and sid not in repr(session)
    assert w.repo.get_session(sid) is None  # only the hash is stored
    assert w.accounts.session_user(sid) == user
    w.clock.advance(timedelta(minutes=59))
    assert w.accounts.session_user(sid) == user
    w.clock.advance(timedelta(minutes=1))
    assert w.accounts.session_user(sid) is None  # expired at expires_at exactly
    sid2, _ = w.accounts.start_session(user)
    w.accounts.end_session(sid2)
    assert w.accounts.session_user(sid2) is None
    assert w.accounts.session_user("") is None and w.accounts.session_user("x" * 10_000) is None
    w.accounts.end_session("unknown")  # ignored


def test_session_lifetime_is_bounded_and_disabled_accounts_lose_their_sessions(w: World) -> None:
    user = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    with pytest.raises(AccountInputError):
        w.accounts.start_session(user, settings.SESSION_MAX_TTL + timedelta(seconds=1))
    with pytest.raises(AccountInputError):
        w.accounts.start_session(user, timedelta(0))
    sid, _ = w.accounts.start_session(user, settings.SESSION_MAX_TTL)
    other, _ = w.accounts.start_session(user)
    assert w.accounts.end_all_sessions(user) == 2
    assert w.accounts.session_user(sid) is None and w.accounts.session_user(other) is None
    sid3, _ = w.accounts.start_session(user)
    w.accounts.disable_user(user)
    assert w.accounts.session_user(sid3) is None
    with pytest.raises(AccessDenied):
        w.accounts.start_session(user)


def test_api_tokens_work_until_revoked_and_record_their_use(w: World) -> None:
    user = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    other = w.accounts.sign_up("bo@example.org", PASSWORD, "Bo")
    plain, token = w.accounts.create_api_token(user, "  backup   script ")
    assert token.name == "backup script" and token.last_used_at is None and plain not in repr(token)
    w.clock.advance(timedelta(minutes=5))
    assert w.accounts.token_user(plain) == user
    assert w.accounts.tokens_of(user)[0].last_used_at == T0 + timedelta(minutes=5)
    found = w.accounts.token_actor(plain)
    assert found is not None and found[1] == Actor("token", token.id, user.id)
    with pytest.raises(AccessDenied):
        w.accounts.revoke_token(other, token.id)  # not theirs
    with pytest.raises(AccessDenied):
        w.accounts.revoke_token(user, 999)
    assert w.accounts.token_user(plain) == user
    w.accounts.revoke_token(user, token.id)
    assert w.accounts.token_user(plain) is None and w.accounts.token_actor(plain) is None
    assert w.accounts.token_user(plain[:-1]) is None
    with pytest.raises(AccountInputError):
        w.accounts.create_api_token(user, "  ")


# -- ownership, access, share links ----------------------------------------------------------------------


def test_patients_belong_to_their_creator_and_nobody_else(any_world: World) -> None:
    w = any_world
    ada = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    bo = w.accounts.sign_up("bo@example.org", PASSWORD, "Bo")
    local = w.journal.add_patient("Local Person")
    mine = w.accounts.create_patient_for(ada, "Patient A", weight_kg=70.0)
    assert [p.id for p in w.accounts.patients_of(ada)] == [mine.id]
    assert w.accounts.patients_of(bo) == []
    w.accounts.require_access(Actor.for_user(ada), mine.id, write=True)
    for actor in (Actor.for_user(bo), Actor("token", 99, bo.id)):
        for write in (False, True):
            with pytest.raises(AccessDenied):
                w.accounts.require_access(actor, mine.id, write=write)
            with pytest.raises(AccessDenied):
                w.accounts.require_access(actor, local.id, write=write)  # local patients are not on the web
            with pytest.raises(AccessDenied):
                w.accounts.require_access(actor, 424242, write=write)  # same answer for a missing id
    with pytest.raises(AccessDenied):
        w.accounts.require_access(Actor("user"), mine.id, write=False)
    with pytest.raises(AccessDenied):
        w.accounts.audit_log(bo, mine.id)
    with pytest.raises(AccessDenied):
        w.accounts.create_share_link(bo, mine.id, timedelta(days=1))
    w.accounts.require_access(Actor.cli(), local.id, write=True)  # the local operator
    # an operator hands the local patient to Bo; Ada cannot take it afterwards
    w.accounts.claim_patient(bo, local.id)
    w.accounts.claim_patient(bo, local.id)  # again: no-op
    with pytest.raises(AccessDenied):
        w.accounts.claim_patient(ada, local.id)
    with pytest.raises(AccessDenied):
        w.accounts.claim_patient(ada, 424242)
    w.accounts.require_access(Actor.for_user(bo), local.id, write=True)
    assert [p.id for p in w.accounts.patients_of(bo)] == [local.id]


def test_create_patient_for_validates_like_the_journal(w: World) -> None:
    ada = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    with pytest.raises(JournalInputError, match="patient name"):
        w.accounts.create_patient_for(ada, "   ")
    assert w.accounts.patients_of(ada) == []


def test_share_links_read_one_patient_until_they_expire(any_world: World) -> None:
    w = any_world
    ada = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    p1 = w.accounts.create_patient_for(ada, "Patient One")
    p2 = w.accounts.create_patient_for(ada, "Patient Two")
    token, link = w.accounts.create_share_link(ada, p1.id, timedelta(days=2))
    assert link.expires_at == T0 + timedelta(days=2) and token not in repr(link)
    actor = w.accounts.share_actor(token)
    assert isinstance(actor, ShareActor)
    assert (actor.kind, actor.id, actor.user_id, actor.patient_id) == ("share", link.id, None, p1.id)
    w.accounts.require_access(actor, p1.id, write=False)
    with pytest.raises(AccessDenied):
        w.accounts.require_access(actor, p1.id, write=True)  # read only
    with pytest.raises(AccessDenied):
        w.accounts.require_access(actor, p2.id, write=False)  # one patient only
    w.clock.advance(timedelta(days=2))
    assert w.accounts.share_actor(token) is None
    with pytest.raises(AccessDenied):
        w.accounts.require_access(actor, p1.id, write=False)  # an actor made earlier stops too
    assert w.accounts.share_actor("not a token") is None


def test_share_links_are_bounded_revocable_and_owner_only(w: World) -> None:
    ada = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    bo = w.accounts.sign_up("bo@example.org", PASSWORD, "Bo")
    pid = w.accounts.create_patient_for(ada, "Patient One").id
    for bad in (timedelta(0), -timedelta(hours=1), settings.SHARE_LINK_MAX_LIFETIME + timedelta(seconds=1)):
        with pytest.raises(AccountInputError):
            w.accounts.create_share_link(ada, pid, bad)
    token, link = w.accounts.create_share_link(ada, pid, settings.SHARE_LINK_MAX_LIFETIME)
    actor = w.accounts.share_actor(token)
    assert actor is not None
    with pytest.raises(AccessDenied):
        w.accounts.revoke_share_link(bo, link.id)
    with pytest.raises(AccessDenied):
        w.accounts.revoke_share_link(ada, 999)
    with pytest.raises(AccessDenied):
        w.accounts.share_links_of(bo, pid)
    w.accounts.revoke_share_link(ada, link.id)
    assert w.accounts.share_actor(token) is None
    with pytest.raises(AccessDenied):
        w.accounts.require_access(actor, pid, write=False)
    assert [s.revoked_at for s in w.accounts.share_links_of(ada, pid)] == [T0]
    # a disabled owner's links stop working
    token2, _ = w.accounts.create_share_link(ada, pid, timedelta(days=1))
    w.accounts.disable_user(ada)
    assert w.accounts.share_actor(token2) is None


# -- audit ------------------------------------------------------------------------------------------------


def _audit_rows(w: World, patient_id: int) -> list[tuple[object, ...]]:
    """Every column of every audit row, read the way an auditor would (raw SQL on SQL stores)."""
    from gabacare.accounts.sql import SqlAccountRepository

    if isinstance(w.repo, SqlAccountRepository):
        from sqlalchemy import text

        with w.repo.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY id"))]
    return [tuple(getattr(e, f.name) for f in fields(e)) for e in w.repo.list_audit(patient_id)]


def test_reads_writes_and_exports_are_audited_with_ids_only(any_world: World) -> None:
    w = any_world
    ada = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    secret_name, secret_note, secret_scale = "Zelda Quuxworth", "confidential nausea remark", "wobbliness_index"
    patient = w.accounts.create_patient_for(ada, secret_name)
    me = Actor.for_user(ada)
    w.accounts.require_access(me, patient.id, write=True)
    note = w.journal.log_note(patient.id, secret_note)
    w.accounts.audit(me, "create", patient.id, "entry", note.id)
    symptom = w.journal.log_symptom(patient.id, secret_scale, 7)
    w.accounts.audit(me, "create", patient.id, "entry", symptom.id)
    w.accounts.audit(me, "read", patient.id, "patient", patient.id)
    w.accounts.audit(me, "export", patient.id, "report")
    token, link = w.accounts.create_share_link(ada, patient.id, timedelta(days=1))
    clinician = w.accounts.share_actor(token)
    assert clinician is not None
    w.accounts.audit(clinician, "read", patient.id, "entry")
    w.accounts.audit(Actor.cli(), "update", patient.id, "entry", note.id)

    log = w.accounts.audit_log(ada, patient.id)
    assert [(e.actor_kind, e.actor_id, e.action, e.resource_kind, e.resource_id) for e in log] == [
        ("user", ada.id, "create", "patient", patient.id),
        ("user", ada.id, "create", "entry", note.id),
        ("user", ada.id, "create", "entry", symptom.id),
        ("user", ada.id, "read", "patient", patient.id),
        ("user", ada.id, "export", "report", None),
        ("user", ada.id, "share", "share_link", link.id),
        ("share", link.id, "read", "entry", None),
        ("cli", None, "update", "entry", note.id),
    ]
    assert all(e.patient_id == patient.id and e.at == T0 for e in log)
    rows = _audit_rows(w, patient.id)
    assert len(rows) == len(log)
    dump = repr(rows).lower()
    for secret in (secret_name, secret_note, secret_scale, "zelda", "nausea", "wobbliness", "ada@example.org"):
        assert secret.lower() not in dump


def test_audit_accepts_only_its_vocabulary_and_integer_ids(w: World) -> None:
    ada = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    pid = w.accounts.create_patient_for(ada, "P").id
    me = Actor.for_user(ada)
    with pytest.raises(AccountInputError):
        w.accounts.audit(me, "read the note 'feeling dizzy'", pid, "entry")  # type: ignore[arg-type]
    with pytest.raises(AccountInputError):
        w.accounts.audit(me, "read", pid, "notes")  # type: ignore[arg-type]
    with pytest.raises(AccountInputError):
        w.accounts.audit(me, "read", pid, "entry", "7")  # type: ignore[arg-type]
    with pytest.raises(AccountInputError):
        w.accounts.audit(me, "read", True, "entry")
    assert len(w.accounts.audit_log(ada, pid)) == 1  # only the creation


def test_the_database_checks_use_the_same_vocabulary() -> None:
    def words(check: str) -> tuple[str, ...]:
        return tuple(part.strip(" '") for part in check.split("IN (")[1].rstrip(")").split(","))

    assert words(ROLE_CHECK) == ROLES
    assert words(ACTOR_KIND_CHECK) == ACTOR_KINDS
    assert words(ACTION_CHECK) == AUDIT_ACTIONS
    assert words(RESOURCE_KIND_CHECK) == RESOURCE_KINDS


def test_composition_shares_one_store_between_journal_and_accounts(sqlite_url: str) -> None:
    from gabacare import composition

    try:
        for url in (sqlite_url, "memory://"):
            accounts = composition.accounts(url, password_hasher=CHEAP)
            journal = composition.journal(url)
            assert composition.stores(url) is composition.stores(url)
            ada = accounts.sign_up("ada@example.org", PASSWORD, "Ada")
            pid = accounts.create_patient_for(ada, "Patient One").id
            assert journal.get_patient(pid).name == "Patient One"
            assert accounts.authenticate("ada@example.org", PASSWORD) == ada
    finally:
        composition.close_stores()


@pytest.mark.parametrize("patient_id", [0, -1, 2**63, 2**70])
def test_ids_no_database_can_hold_are_denied_like_unknown_ones(patient_id):
    """The web maps AccessDenied to 404; ids beyond a SQL integer must not reach the driver (a 500)."""
    from gabacare.accounts.model import AccessDenied, Actor
    from gabacare.composition import accounts as open_accounts

    acc = open_accounts("memory://")
    user = acc.sign_up(f"big-ids-{abs(patient_id)}@example.org", "a long enough pass phrase", "Big Ids")
    with pytest.raises(AccessDenied):
        acc.require_access(Actor.for_user(user), patient_id, write=False)
