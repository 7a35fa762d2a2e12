"""Web state shared by every server process through the database: the sign-in throttle, the CDS Hooks
``jti`` single-use list and CDS Hooks feedback.

Each store keeps the interface of its in-memory twin (:class:`gabacare.web.security.SignInRateLimiter`,
:class:`gabacare.web.cds_routes.SeenTokenIds`, :class:`gabacare.interop.cds.InMemoryFeedbackStore`),
so the routes do not know which one they hold. :func:`shared_state` (called by ``create_app``, the
composition root) picks them: over the database the journal and the accounts use when one is named
(``WebSettings.db``, i.e. ``--db`` or ``GABACARE_DB``), else the in-memory ones. The engine is opened
on first use, through :func:`gabacare.composition.stores` (the journal's own engine, migrated there).

The tables (migration ``0005``):

* ``web_signin_failures``: one row per failed sign-in, the throttle's key as a SHA-256 digest (no
  e-mail address is stored) and the time. Rows older than the window are deleted whenever a key is
  read and, for the whole scope, whenever a failure is recorded.
* ``web_seen_jti``: one row per accepted token id (digest, primary key) and when it may be forgotten.
  :meth:`SqlSeenTokenIds.claim` inserts and answers False on the primary key's ``IntegrityError``, so
  of two processes claiming one id exactly one wins; expired rows are deleted on every claim.
* ``web_cds_feedback``: one row per feedback key (digest, unique), oldest deleted past ``max_records``.

Times are wall-clock seconds (``time.time``; several hosts must agree on them), injectable for tests.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableSet
from typing import TYPE_CHECKING, Any

from gabacare._record import record
from gabacare.web.security import RateDecision

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gabacare.interop.cds import FeedbackStore
    from gabacare.web.settings import WebSettings

__all__ = ["EngineSource", "SharedState", "SqlFeedbackStore", "SqlSeenTokenIds", "SqlSignInRateLimiter",
           "shared_state", "tables"]

Clock = Callable[[], float]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_tables: Any = None
_tables_lock = threading.Lock()


def tables() -> Any:
    """The three tables as SQLAlchemy Core objects (``.failures``, ``.seen_jti``, ``.feedback``, ``.metadata``),
    defined once with the journal's models (:mod:`gabacare.journal.orm`, migration 0005)."""
    global _tables
    with _tables_lock:
        if _tables is None:
            from gabacare.journal import orm

            class _T:
                metadata = orm.Base.metadata
                failures = orm.WEB_SIGNIN_FAILURES
                seen_jti = orm.WEB_SEEN_JTI
                feedback = orm.WEB_CDS_FEEDBACK

            _tables = _T
        return _tables


class EngineSource:
    """The engine of the database ``db`` names, opened (and migrated) on first use and then kept."""

    def __init__(self, db: str | None = None, engine: Engine | None = None) -> None:
        self.db = db
        self._engine = engine
        self._lock = threading.Lock()

    def __call__(self) -> Engine:
        with self._lock:
            if self._engine is None:
                from gabacare.composition import stores

                repo = stores(self.db).journal
                engine = getattr(repo, "engine", None)
                if engine is None:
                    raise ValueError(f"the database {self.db!r} has no SQL engine (memory:// keeps state in memory)")
                self._engine = engine
            return self._engine


def _wrapped(doing: str) -> Any:
    """Turn a driver error into the journal's storage error (503 ``unavailable``), like the adapters do."""
    from contextlib import contextmanager

    @contextmanager
    def guard() -> Iterator[None]:
        from sqlalchemy.exc import IntegrityError, SQLAlchemyError

        from gabacare.journal.db import storage_error

        try:
            yield
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise storage_error(exc, doing) from exc

    return guard()


class SqlSignInRateLimiter:
    """:class:`gabacare.web.security.SignInRateLimiter` in the database: at most ``attempts`` failures per key
    within ``window_s`` seconds, counted across every process that shares the database.

    ``scope`` separates limiters sharing the table (per account and address, per address).
    """

    def __init__(self, engine: Callable[[], Engine], scope: str, attempts: int, window_s: float,
                 clock: Clock = time.time) -> None:
        if attempts < 1 or window_s <= 0:
            raise ValueError("a rate limit needs at least one attempt and a positive window")
        self._engine = engine
        self.scope = scope
        self.attempts = attempts
        self.window_s = window_s
        self._clock = clock

    def check(self, key: str) -> RateDecision:
        """May ``key`` try to sign in now? (Its expired failures are deleted on the way.)"""
        import sqlalchemy as sa

        t = tables().failures
        now = self._clock()
        digest = _digest(key)
        mine = sa.and_(t.c.scope == self.scope, t.c.key_digest == digest)
        with _wrapped("cannot read the sign-in throttle"), self._engine().begin() as conn:
            conn.execute(t.delete().where(mine, t.c.at <= now - self.window_s))
            count, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(t.c.at)).where(mine)).one()
        if count < self.attempts:
            return RateDecision(True, 0.0)
        return RateDecision(False, max(0.0, self.window_s - (now - float(oldest))))

    def charge(self, key: str) -> RateDecision:
        """``check`` and, when allowed, ``failed`` in one transaction, serialised per key across processes
        (SQLite: the write lock ``BEGIN IMMEDIATE`` takes; PostgreSQL: a transaction advisory lock on
        the key), so concurrent attempts on any number of processes never pass the limit."""
        import sqlalchemy as sa

        t = tables().failures
        now = self._clock()
        digest = _digest(key)
        mine = sa.and_(t.c.scope == self.scope, t.c.key_digest == digest)
        with _wrapped("cannot update the sign-in throttle"), self._engine().begin() as conn:
            if conn.dialect.name == "postgresql":
                lock = int.from_bytes(hashlib.sha256(f"{self.scope}|{digest}".encode()).digest()[:8], "big",
                                      signed=True)
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
            conn.execute(t.delete().where(t.c.scope == self.scope, t.c.at <= now - self.window_s))
            count, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(t.c.at)).where(mine)).one()
            if count >= self.attempts:
                return RateDecision(False, max(0.0, self.window_s - (now - float(oldest))))
            conn.execute(t.insert().values(scope=self.scope, key_digest=digest, at=now))
        return RateDecision(True, 0.0)

    def failed(self, key: str) -> None:
        """Record a failed sign-in for ``key`` (and delete every expired failure of this scope)."""
        t = tables().failures
        now = self._clock()
        with _wrapped("cannot record a failed sign-in"), self._engine().begin() as conn:
            conn.execute(t.delete().where(t.c.scope == self.scope, t.c.at <= now - self.window_s))
            conn.execute(t.insert().values(scope=self.scope, key_digest=_digest(key), at=now))

    def refund(self, key: str) -> None:
        """Take back the latest recorded failure of ``key`` (an attempt charged up front that succeeded)."""
        import sqlalchemy as sa

        t = tables().failures
        digest = _digest(key)
        latest = (sa.select(sa.func.max(t.c.id)).where(t.c.scope == self.scope, t.c.key_digest == digest)
                  .scalar_subquery())
        with _wrapped("cannot update the sign-in throttle"), self._engine().begin() as conn:
            conn.execute(t.delete().where(t.c.id == latest))

    def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures after a successful sign-in."""
        t = tables().failures
        with _wrapped("cannot update the sign-in throttle"), self._engine().begin() as conn:
            conn.execute(t.delete().where(t.c.scope == self.scope, t.c.key_digest == _digest(key)))


class SqlSeenTokenIds(MutableSet[str]):
    """:class:`gabacare.web.cds_routes.SeenTokenIds` in the database: the ``jti`` values accepted in the last
    ``ttl_s`` seconds by any process sharing it. Ids are stored as SHA-256 digests, so iterating yields
    digests. :meth:`claim` is the atomic test-and-add the CDS routes use.
    """

    def __init__(self, engine: Callable[[], Engine], ttl_s: float, clock: Clock = time.time) -> None:
        self._engine = engine
        self.ttl_s = ttl_s
        self._clock = clock

    def _prune(self, conn: Any, now: float) -> None:
        t = tables().seen_jti
        conn.execute(t.delete().where(t.c.expires_at <= now))

    def claim(self, value: str) -> bool:
        """Add ``value``; True when it was not there (this caller wins), False when it was (a replay).

        One INSERT against the primary key: of any number of processes claiming one id, exactly one
        gets True (the others' inserts fail with an ``IntegrityError``), never a read-then-write.
        """
        from sqlalchemy.exc import IntegrityError

        t = tables().seen_jti
        now = self._clock()
        engine = self._engine()
        with _wrapped("cannot update the CDS token list"):
            with engine.begin() as conn:
                self._prune(conn, now)
            try:
                with engine.begin() as conn:
                    conn.execute(t.insert().values(jti_digest=_digest(value), expires_at=now + self.ttl_s))
            except IntegrityError:
                return False
        return True

    def __contains__(self, item: object) -> bool:
        import sqlalchemy as sa

        if not isinstance(item, str):
            return False
        t = tables().seen_jti
        now = self._clock()
        with _wrapped("cannot read the CDS token list"), self._engine().begin() as conn:
            self._prune(conn, now)
            found = conn.execute(sa.select(t.c.jti_digest).where(t.c.jti_digest == _digest(item))).first()
        return found is not None

    def _digests(self) -> list[str]:
        import sqlalchemy as sa

        t = tables().seen_jti
        now = self._clock()
        with _wrapped("cannot read the CDS token list"), self._engine().begin() as conn:
            self._prune(conn, now)
            return [str(d) for d in conn.execute(sa.select(t.c.jti_digest)).scalars()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._digests())

    def __len__(self) -> int:
        return len(self._digests())

    def add(self, value: str) -> None:
        self.claim(value)

    def discard(self, value: str) -> None:
        t = tables().seen_jti
        with _wrapped("cannot update the CDS token list"), self._engine().begin() as conn:
            conn.execute(t.delete().where(t.c.jti_digest == _digest(value)))


class SqlFeedbackStore:
    """A :class:`gabacare.interop.cds.FeedbackStore` in the database: one row per key (unique digest), the
    oldest deleted beyond ``max_records``; a key stored by any process is a duplicate for all."""

    def __init__(self, engine: Callable[[], Engine], max_records: int | None = None, clock: Clock = time.time) -> None:
        self._engine = engine
        self.max_records = max_records
        self._clock = clock

    def __call__(self, key: str, record: Mapping[str, Any]) -> bool:
        import sqlalchemy as sa
        from sqlalchemy.exc import IntegrityError

        t = tables().feedback
        engine = self._engine()
        with _wrapped("cannot store CDS feedback"):
            try:
                with engine.begin() as conn:
                    conn.execute(t.insert().values(key_digest=_digest(key), stored_at=self._clock(),
                                                   record=json.dumps(dict(record), ensure_ascii=False)))
            except IntegrityError:
                return False
            if self.max_records is not None:
                cutoff = (sa.select(t.c.id).order_by(t.c.id.desc()).limit(1).offset(self.max_records)
                          .scalar_subquery())
                with engine.begin() as conn:
                    conn.execute(t.delete().where(t.c.id <= cutoff))
        return True

    def records(self) -> list[dict[str, Any]]:
        """Every stored record, oldest first (for tests and reports)."""
        import sqlalchemy as sa

        t = tables().feedback
        with _wrapped("cannot read CDS feedback"), self._engine().begin() as conn:
            rows = conn.execute(sa.select(t.c.record).order_by(t.c.id)).scalars().all()
        return [json.loads(r) for r in rows]


@record
class SharedState:
    """The four pieces of web state ``create_app`` installs (``shared`` is True when in the database)."""

    signin_limiter: Any
    address_limiter: Any
    seen_jti: Any
    feedback: FeedbackStore
    shared: bool


def shared_state(settings: WebSettings, *, engine: Callable[[], Engine] | None = None,
                 clock: Clock | None = None) -> SharedState:
    """The throttle, ``jti`` list and feedback store for an app with ``settings`` (see the module docstring).

    ``engine`` (a callable returning the engine) replaces the one opened from ``settings.db`` in tests.
    """
    from gabacare.interop.cds import InMemoryFeedbackStore
    from gabacare.web.cds_routes import SeenTokenIds
    from gabacare.web.security import SignInRateLimiter

    db = settings.db
    if engine is None and (db is None or db == "memory://"):
        return SharedState(
            SignInRateLimiter(settings.signin_attempts, settings.signin_window_s),
            SignInRateLimiter(settings.signin_attempts_per_address, settings.signin_window_s),
            SeenTokenIds(settings.cds_jwt_max_age_s),
            InMemoryFeedbackStore(max_records=settings.cds_feedback_max_records), shared=False)
    source = engine or EngineSource(db)
    now = clock or time.time
    return SharedState(
        SqlSignInRateLimiter(source, "account", settings.signin_attempts, settings.signin_window_s, now),
        SqlSignInRateLimiter(source, "address", settings.signin_attempts_per_address, settings.signin_window_s, now),
        SqlSeenTokenIds(source, settings.cds_jwt_max_age_s, now),
        SqlFeedbackStore(source, settings.cds_feedback_max_records, now), shared=True)
