"""The database-backed web state (web/shared_state.py) behaves like its in-memory twin, on SQLite and on
PostgreSQL: the sign-in throttle, the CDS ``jti`` single-use list (atomic under concurrency) and CDS
feedback (idempotent, capped); expired rows are deleted, so no table grows without bound."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gabacare.interop.cds import InMemoryFeedbackStore
from gabacare.journal.db import make_engine, migrate
from gabacare.web import WebSettings
from gabacare.web.cds_routes import SeenTokenIds
from gabacare.web.security import SignInRateLimiter
from gabacare.web.shared_state import (
    SqlFeedbackStore,
    SqlSeenTokenIds,
    SqlSignInRateLimiter,
    shared_state,
    tables,
)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _ready(engine: sa.engine.Engine) -> sa.engine.Engine:
    migrate(engine)  # the journal's schema (0005 when the runner's head is there)
    tables().metadata.create_all(engine)  # no-op when migration 0005 made them
    with engine.begin() as conn:
        for t in (tables().failures, tables().seen_jti, tables().feedback):
            conn.execute(t.delete())
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    else:
        eng = make_engine(request.getfixturevalue("pg_url"))
    yield _ready(eng)
    eng.dispose()


def _rows(engine: sa.engine.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# -- the sign-in throttle -------------------------------------------------------------------------------
def _limiters(engine: sa.engine.Engine, clock: Clock) -> list[Any]:
    return [SignInRateLimiter(3, 60, clock), SqlSignInRateLimiter(lambda: engine, "account", 3, 60, clock)]


def test_the_throttle_in_the_database_answers_like_the_one_in_memory(engine: sa.engine.Engine) -> None:
    clock = Clock()
    mem, sql = _limiters(engine, clock)
    script: list[tuple[float, str, str]] = [
        (0, "failed", "a"), (1, "failed", "a"), (2, "check", "a"), (2, "failed", "a"), (3, "check", "a"),
        (3, "check", "b"), (10, "refund", "a"), (10, "check", "a"), (11, "failed", "a"), (30, "check", "a"),
        (60.5, "check", "a"), (60.6, "charge", "c"), (60.7, "charge", "c"), (60.8, "charge", "c"),
        (60.9, "charge", "c"), (60.9, "check", "c"), (61, "refund", "c"),
        (61, "charge", "c"), (61, "check", "a"), (62, "succeeded", "a"), (62, "check", "a"),
        (63, "failed", "b"), (63, "failed", "b"), (63, "failed", "b"), (64, "check", "b"), (200, "check", "b"),
        (300, "check", "c")]
    for at, op, key in script:
        clock.now = 1_000_000.0 + at
        answers = [getattr(lim, op)(key) for lim in (mem, sql)]
        assert answers[0] == answers[1], (at, op, key, answers)
    assert _rows(engine, tables().failures) == 0  # every failure expired and was deleted when read


def test_two_processes_count_failures_together(engine: sa.engine.Engine) -> None:
    clock = Clock()
    a = SqlSignInRateLimiter(lambda: engine, "account", 3, 60, clock)
    b = SqlSignInRateLimiter(lambda: engine, "account", 3, 60, clock)
    other_scope = SqlSignInRateLimiter(lambda: engine, "address", 3, 60, clock)
    a.failed("k")
    b.failed("k")
    assert a.check("k").allowed
    a.failed("k")
    refused = b.check("k")
    assert not refused.allowed and refused.retry_after_s == pytest.approx(60)
    assert other_scope.check("k").allowed  # the scopes share the table, not the counts


def test_expired_failures_of_other_keys_are_deleted_on_insert(engine: sa.engine.Engine) -> None:
    clock = Clock()
    lim = SqlSignInRateLimiter(lambda: engine, "account", 5, 60, clock)
    for i in range(50):
        lim.failed(f"key-{i}")
    assert _rows(engine, tables().failures) == 50
    clock.now += 61
    lim.failed("late")
    assert _rows(engine, tables().failures) == 1
    with engine.connect() as conn:  # no e-mail address is stored, only a digest of the key
        digests = conn.execute(sa.select(tables().failures.c.key_digest)).scalars().all()
    assert all(len(d) == 64 and "late" not in d for d in digests)


def test_concurrent_charges_never_pass_the_limit(engine: sa.engine.Engine) -> None:
    limiters = [SqlSignInRateLimiter(lambda: engine, "address", 5, 60) for _ in range(2)]
    threads, allowed = 16, []
    barrier = threading.Barrier(threads)
    lock = threading.Lock()

    def charge(i: int) -> None:
        barrier.wait()
        decision = limiters[i % 2].charge("10.0.0.1")
        with lock:
            allowed.append(decision.allowed)

    workers = [threading.Thread(target=charge, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert allowed.count(True) == 5 and len(allowed) == threads


# -- the jti list -------------------------------------------------------------------------------------------
def test_a_jti_is_claimed_once_until_it_expires(engine: sa.engine.Engine) -> None:
    clock = Clock()
    for seen in (SeenTokenIds(30, clock), SqlSeenTokenIds(lambda: engine, 30, clock)):
        clock.now = 1_000_000.0
        assert seen.claim("j1") and not seen.claim("j1")
        assert "j1" in seen and "j2" not in seen and len(seen) == 1
        seen.add("j2")
        assert "j2" in seen and not seen.claim("j2") and len(seen) == 2
        seen.discard("j2")
        assert "j2" not in seen
        clock.now += 31
        assert "j1" not in seen and len(seen) == 0 and seen.claim("j1")
        seen.discard("j1")
    assert _rows(engine, tables().seen_jti) == 0


def test_expired_jti_rows_are_deleted_on_insert(engine: sa.engine.Engine) -> None:
    clock = Clock()
    seen = SqlSeenTokenIds(lambda: engine, 30, clock)
    for i in range(40):
        assert seen.claim(f"j{i}")
    clock.now += 30
    assert seen.claim("fresh")
    assert _rows(engine, tables().seen_jti) == 1


def test_many_threads_claiming_one_jti_exactly_one_wins(engine: sa.engine.Engine) -> None:
    stores = [SqlSeenTokenIds(lambda: engine, 60) for _ in range(2)]  # two "processes" on one database
    threads, results, errors = 16, [], []
    barrier = threading.Barrier(threads)
    lock = threading.Lock()

    def claim(i: int) -> None:
        barrier.wait()
        try:
            won = stores[i % 2].claim("the-same-jti")
        except Exception as exc:  # collected and asserted below
            with lock:
                errors.append(exc)
            return
        with lock:
            results.append(won)

    workers = [threading.Thread(target=claim, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert errors == []
    assert sorted(results) == [False] * (threads - 1) + [True]


# -- feedback ---------------------------------------------------------------------------------------------
def test_feedback_is_stored_once_and_capped_like_in_memory(engine: sa.engine.Engine) -> None:
    mem = InMemoryFeedbackStore(max_records=3)
    sql = SqlFeedbackStore(lambda: engine, max_records=3)
    other_process = SqlFeedbackStore(lambda: engine, max_records=3)
    rec = {"service": "s", "card": "c", "outcome": "accepted", "note": "é"}
    assert mem("k0", rec) and sql("k0", rec)
    assert not mem("k0", rec) and not other_process("k0", rec)
    for i in range(1, 6):
        assert mem(f"k{i}", {**rec, "card": f"c{i}"}) == sql(f"k{i}", {**rec, "card": f"c{i}"}) is True
    assert [r["card"] for r in sql.records()] == [r["card"] for r in mem.records.values()] == ["c3", "c4", "c5"]
    assert _rows(engine, tables().feedback) == 3
    assert sql.records()[0]["note"] == "é"


# -- the composition root -----------------------------------------------------------------------------------
def test_the_app_uses_the_database_only_when_one_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GABACARE_DB", raising=False)  # tests/conftest.py names a throwaway one for every test
    unnamed = shared_state(WebSettings(secret_key="k" * 32))
    assert not unnamed.shared and isinstance(unnamed.seen_jti, SeenTokenIds)
    assert not shared_state(WebSettings(secret_key="k" * 32, db="memory://")).shared
    url = f"sqlite:///{tmp_path / 'j.sqlite3'}"
    named = shared_state(WebSettings(secret_key="k" * 32, db=url))
    assert named.shared and isinstance(named.signin_limiter, SqlSignInRateLimiter)
    assert isinstance(named.address_limiter, SqlSignInRateLimiter)
    assert named.signin_limiter.scope != named.address_limiter.scope
    assert named.seen_jti.claim("x") and not named.seen_jti.claim("x")  # opened lazily, migrated to 0005
    assert named.feedback("k", {"a": 1}) and not named.feedback("k", {"a": 1})
    from gabacare.composition import close_stores

    close_stores()


