"""The journal's engines keep ``settings.DB_POOL_SIZE`` connections between requests.

A signed-in page holds two connections at once (its read snapshot and the audit write), and a worker
serves several pages at a time: with SQLAlchemy's default of five kept, the connections above five
were opened for one request and closed after it, on PostgreSQL a new server process each time (the
Today page's p99 at 200 req/s, benchmarks/README.md). Here: as many connections as the setting, held
at once and returned, are all kept, and taking them again opens none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import event, text

from gabacare.journal import settings
from gabacare.journal.db import make_engine


@contextmanager
def _engine(url: str) -> Iterator:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _select_one(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT 1")).scalar()


def _opened(engine) -> list[int]:
    opened: list[int] = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    return opened


def _hold_all(engine, n: int) -> None:
    with ExitStack() as stack:
        # Read transactions, as a page's snapshot is: SQLite lets many be open at once (a write takes its lock).
        conns = [stack.enter_context(engine.connect().execution_options(gabacare_read_only=True)) for _ in range(n)]
        for c in conns:
            assert c.execute(text("SELECT 1")).scalar() == 1


def test_a_busy_moment_keeps_its_connections(db_url):
    with _engine(db_url) as engine:
        opened = _opened(engine)
        _hold_all(engine, settings.DB_POOL_SIZE)
        assert len(opened) == settings.DB_POOL_SIZE
        assert engine.pool.checkedin() == settings.DB_POOL_SIZE, "every connection is kept for the next requests"
        _hold_all(engine, settings.DB_POOL_SIZE)
        assert len(opened) == settings.DB_POOL_SIZE, "taking them again opens no new connection"


def test_a_burst_above_the_pool_is_served_and_the_extra_connections_are_closed(db_url):
    with _engine(db_url) as engine:
        opened = _opened(engine)
        burst = settings.DB_POOL_SIZE + settings.DB_POOL_OVERFLOW
        _hold_all(engine, burst)
        assert len(opened) == burst
        assert engine.pool.checkedin() == settings.DB_POOL_SIZE


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:pooltest?mode=memory&cache=shared&uri=true"])
def test_memory_databases_keep_their_own_pool(url):
    with _engine(url) as engine:  # a queue pool's sizes would be refused for a memory database's pool
        assert _select_one(engine) == 1


@pytest.mark.postgres
def test_a_connection_reused_at_once_is_not_pinged_and_an_idle_one_is(pg_url, monkeypatch):
    with _engine(pg_url) as engine:
        pings: list[int] = []
        real = engine.dialect.do_ping
        monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(1) or real(c))
        for _ in range(5):  # one connection, taken again within the idle limit: no extra round trip
            _select_one(engine)
        assert pings == []
        monkeypatch.setattr(settings, "DB_PING_AFTER_IDLE_S", 0.0)  # every connection counts as idle
        _select_one(engine)
        assert pings == [1]


def _kill_pooled_backend(engine) -> None:
    """Terminate, from another connection, the server process of the one connection in the pool."""
    with engine.connect() as c:
        pid = c.execute(text("SELECT pg_backend_pid()")).scalar()
    with _engine(engine.url.render_as_string(hide_password=False)) as killer, killer.connect() as k:
        assert k.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()


@pytest.mark.postgres
def test_an_idle_connection_the_server_dropped_is_replaced_without_an_error(pg_url, monkeypatch):
    with _engine(pg_url) as engine:
        _kill_pooled_backend(engine)
        monkeypatch.setattr(settings, "DB_PING_AFTER_IDLE_S", 0.0)  # the dropped one has sat idle
        assert _select_one(engine) == 1


@pytest.mark.postgres
def test_a_connection_dropped_within_the_idle_limit_fails_one_use_then_the_pool_recovers(pg_url, monkeypatch):
    from sqlalchemy.exc import OperationalError

    with _engine(pg_url) as engine:
        _kill_pooled_backend(engine)
        monkeypatch.setattr(settings, "DB_PING_AFTER_IDLE_S", 3600.0)  # not checked: reused at once
        with pytest.raises(OperationalError), engine.connect() as c:
            c.execute(text("SELECT 1"))
        assert _select_one(engine) == 1  # the pool replaced it
