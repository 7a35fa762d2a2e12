"""Database plumbing: which URL, the engine (SQLite pragmas, PostgreSQL driver) and migrations.

* :func:`resolve_url` -- ``--db`` wins, then ``$GABACARE_DB``, then a SQLite file under
  ``platformdirs.user_data_dir("gabacare")``.
* :func:`make_engine` -- SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE``
  write transactions (two writers queue instead of failing); ``postgresql://`` uses psycopg 3.
  A SQLite file this process cannot write (its permissions, an immutable file, a read-only file
  system) is opened read-only: reading commands work, a change raises ``JournalReadOnlyError``.
* :func:`migrate` -- applies the packaged Alembic migrations on first use (cheap when current).
* :func:`storage_error` -- a database error as the journal's error: ``JournalReadOnlyError``,
  ``JournalCorruptError`` (a damaged file, or not a database) or ``JournalStorageError``.

SQLAlchemy and Alembic are imported inside functions so ``gabacare --help`` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gabacare.journal import settings
from gabacare.journal.errors import JournalCorruptError, JournalReadOnlyError, JournalStorageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = [
    "CHECKPOINT_EVERY_COMMITS",
    "HEAD_REVISION",
    "MIGRATIONS_DIR",
    "RELAXED_DURABILITY",
    "audit_engine",
    "default_url",
    "make_engine",
    "migrate",
    "redact",
    "resolve_url",
    "storage_error",
]

HEAD_REVISION = "0011"
"""The newest migration; a test checks it matches the Alembic scripts' head."""

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 0x6A6F75726E616C  # pg_advisory_xact_lock key: "journal" in ASCII


def default_url() -> str:
    """A SQLite file in the user data directory (created on first use)."""
    from platformdirs import user_data_dir

    return "sqlite:///" + str(Path(user_data_dir(settings.APP_NAME)) / settings.DB_FILENAME)


def resolve_url(db: str | None = None) -> str:
    """``db`` if given, else ``$GABACARE_DB``, else :func:`default_url`."""
    return db or os.environ.get(settings.DB_ENV_VAR) or default_url()


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable database URL>"


_READ_ONLY_HINTS = ("readonly", "read-only", "read only")
_CORRUPT_HINTS = ("not a database", "malformed", "corrupt", "disk image")


def storage_error(exc: BaseException, doing: str) -> JournalStorageError:
    """The journal error for a database error ``exc`` (its message says what was being done, no data).

    SQLite says "attempt to write a readonly database" and "file is not a database" / "database disk
    image is malformed"; PostgreSQL "cannot execute ... in a read-only transaction".
    """
    text = str(getattr(exc, "orig", None) or exc).lower()
    if any(h in text for h in _READ_ONLY_HINTS):
        return JournalReadOnlyError("the journal database is read-only here, nothing was changed "
                                    "(reading commands still work)")
    if any(h in text for h in _CORRUPT_HINTS):
        return JournalCorruptError("the journal database file is damaged or is not a GabaCare journal; "
                                   "restore it from a backup or choose another with --db")
    return JournalStorageError(f"{doing} ({type(exc).__name__})")


def _read_only_file(path: Path) -> tuple[bool, bool]:
    """(open read-only, open immutable) for an existing SQLite file this process cannot write.

    Immutable when its directory cannot be written either and the WAL side files are missing: SQLite
    cannot then create the shared-memory file a read-only WAL reader needs.
    """
    import os

    if not path.is_file():
        return False, False
    folder = path.parent
    try:
        fs_read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        fs_read_only = False
    if not fs_read_only and os.access(path, os.W_OK):
        return False, False
    dir_writable = not fs_read_only and os.access(folder, os.W_OK)
    side_files = all(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))
    return True, not dir_writable and not side_files


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the journal's connection settings."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise JournalStorageError("the database URL is not a valid SQLAlchemy URL") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, create_engine, event)
        engine: Engine = create_engine(parsed, pool_size=settings.DB_POOL_SIZE, max_overflow=settings.DB_POOL_OVERFLOW)
        _ping_after_idle(engine, event)
        return engine
    except NoSuchModuleError as exc:
        raise JournalStorageError(f"no database driver for {parsed.drivername!r}") from exc
    except ImportError as exc:
        raise JournalStorageError(
            "the PostgreSQL driver is missing: pip install 'gabacare[postgres]'") from exc


_IDLE_SINCE = "gabacare_idle_since"


def _ping_after_idle(engine: Engine, event: Any) -> None:
    """Check a pooled connection with a round trip only when it sat unused for
    ``settings.DB_PING_AFTER_IDLE_S`` or more; a failed check replaces it (SQLAlchemy retries the
    checkout with a new connection: the documented pessimistic recipe, raising ``DisconnectionError``).
    SEE: https://docs.sqlalchemy.org/en/20/core/pooling.html#custom-legacy-pessimistic-ping"""
    import time

    from sqlalchemy import exc

    @event.listens_for(engine, "connect")  # type: ignore[untyped-decorator]
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()  # just opened: nothing to check

    @event.listens_for(engine, "checkin")  # type: ignore[untyped-decorator]
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")  # type: ignore[untyped-decorator]
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < settings.DB_PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("the pooled connection was dropped") from error


#: Execution option of a SQLite transaction whose commit need not wait for the disk (the audit rows of
#: ``settings.AUDIT_DURABILITIES``' "process" mode): committed, so a killed process loses nothing, but
#: flushed by the database moments later. (PostgreSQL's audit rows have an engine of their own:
#: :func:`audit_engine`.)
RELAXED_DURABILITY = "gabacare_relaxed_durability"


def audit_engine(engine: Engine, *, relaxed: bool) -> Engine:
    """The engine audit rows are written on, for a journal ``engine``; ``relaxed``: their commits need
    not wait for the disk (``settings.AUDIT_DURABILITIES``' "process").

    * SQLite: ``engine`` itself (its one writer lock is shared whatever the engine), with
      :data:`RELAXED_DURABILITY` when ``relaxed`` (``synchronous=NORMAL`` for that transaction).
    * PostgreSQL: a second engine on the same URL, in autocommit, with a small pool of its own
      (``settings.DB_AUDIT_POOL_SIZE``), whose connections run with ``synchronous_commit=off`` when
      ``relaxed``. A batch of audit rows is then one ``INSERT ... RETURNING``, one round trip and
      atomic as one statement, where a transaction on the shared pool took four (BEGIN, ``SET LOCAL``,
      INSERT, COMMIT). Its connections only ever write audit rows, so the session-wide setting never
      reaches another write. SEE: https://www.postgresql.org/docs/current/wal-async-commit.html
    """
    if engine.dialect.name != "postgresql":
        return engine.execution_options(**{RELAXED_DURABILITY: True}) if relaxed else engine
    from sqlalchemy import create_engine, event

    audit: Engine = create_engine(engine.url, pool_size=settings.DB_AUDIT_POOL_SIZE,
                                  max_overflow=settings.DB_AUDIT_POOL_OVERFLOW, isolation_level="AUTOCOMMIT")
    _ping_after_idle(audit, event)
    if relaxed:
        @event.listens_for(audit, "connect")
        def _relaxed(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")
            dbapi_connection.commit()  # (a no-op when the driver is already in autocommit)

    return audit


#: Write transactions committed on one SQLite engine between two checkpoints of its WAL (about 1,000
#: pages, SQLite's own automatic threshold, at the two or three pages an audit row's commit adds).
CHECKPOINT_EVERY_COMMITS = 400


def _checkpoints_every(engine: Engine, event: Any, commits: int) -> None:
    """Checkpoint the WAL after every ``commits`` write transactions (``PRAGMA wal_checkpoint(PASSIVE)``,
    when the connection goes back to the pool), instead of SQLite's automatic checkpoint, which
    ``_on_connect`` turns off.

    Why: the automatic checkpoint runs after *every* commit once the WAL holds 1,000 pages, and the WAL
    only starts again from its beginning when no reader is using it. A busy web server always has a
    reader (each page view holds a read transaction, and the audit row of a view is committed while it
    is open), so past 1,000 pages every commit ran a checkpoint, with two fsyncs, inside the audit log's
    write lock: one client viewing Today at a time cost about 1 ms more CPU and 4 ms more wall time per
    view than with this count (in process, benchmarks/web_load.py's page). Counted here, a checkpoint runs once per
    ``commits`` writes whatever the readers do. A checkpoint never changes what is stored (the WAL is
    as durable as the database file; ``synchronous`` decides when each commit reaches the disk), and
    the last connection to close still checkpoints the whole WAL.
    SEE: https://www.sqlite.org/wal.html#checkpoint_starvation
    """
    from itertools import count

    counter = count(1)

    @event.listens_for(engine, "commit")  # type: ignore[untyped-decorator]
    def _count(conn: Any) -> None:
        if not conn.get_execution_options().get("gabacare_read_only", False) and next(counter) % commits == 0:
            conn.connection.info["gabacare_checkpoint_due"] = True

    @event.listens_for(engine, "checkin")  # type: ignore[untyped-decorator]
    def _checkpoint(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is None or not record.info.pop("gabacare_checkpoint_due", False):
            return
        import sqlite3
        from contextlib import suppress

        with suppress(sqlite3.Error):  # nothing is lost: the WAL stays valid and the next due commit tries again
            dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").close()


def _set_wal(cursor: Any) -> None:
    """Switch a fresh file to WAL. SQLite answers "database is locked" to this pragma without
    calling the busy handler while another process is creating the same file, so retry it
    (within the busy timeout) instead of failing the second opener."""
    import sqlite3
    import time

    deadline = time.monotonic() + settings.SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_engine(parsed: Any, create_engine: Any, event: Any) -> Engine:
    from urllib.parse import quote

    database = parsed.database
    read_only = False
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        read_only, immutable = _read_only_file(path)
        if read_only:
            # NOTE: a URI filename; SEE: https://www.sqlite.org/uri.html (mode=ro, immutable=1)
            query = "mode=ro" + ("&immutable=1" if immutable else "")
            parsed = parsed.set(database=f"file:{quote(str(path.absolute()))}?{query}",
                                query={**parsed.query, "uri": "true"})
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
    from sqlalchemy.pool import QueuePool

    pool: dict[str, int] = {}
    if issubclass(parsed.get_dialect().get_pool_class(parsed), QueuePool):  # a file's (memory keeps one connection)
        pool = {"pool_size": settings.DB_POOL_SIZE, "max_overflow": settings.DB_POOL_OVERFLOW}
    engine: Engine = create_engine(parsed, connect_args={"timeout": settings.SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool)

    @event.listens_for(engine, "connect")  # type: ignore[untyped-decorator]
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # NOTE: autocommit at the driver level, so SQLAlchemy's "begin" below emits the BEGIN.
        # SEE: https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(settings.SQLITE_BUSY_TIMEOUT_MS)}")
        if database and database != ":memory:" and not read_only:
            _set_wal(cursor)
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints are counted instead: see _checkpoints_every
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    if database and database != ":memory:" and not read_only:
        _checkpoints_every(engine, event, CHECKPOINT_EVERY_COMMITS)

    @event.listens_for(engine, "begin")  # type: ignore[untyped-decorator]
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: a second writer waits (busy timeout) instead of
        # failing with "database is locked" when its read transaction tries to upgrade. Work marked
        # read-only (``gabacare_read_only``, see journal/sql.py) begins a plain deferred transaction,
        # so readers do not queue behind writers (WAL lets them read a consistent snapshot).
        options = conn.get_execution_options()
        reader = read_only or options.get("gabacare_read_only", False)
        if not reader and database != ":memory:":
            # The level cannot change inside a transaction, and stays with the connection: set it
            # before BEGIN whenever this transaction wants the other one. NORMAL in WAL mode: a commit
            # survives the process being killed; the WAL reaches the disk at the next checkpoint or
            # FULL commit. SEE: https://www.sqlite.org/pragma.html#pragma_synchronous
            level = "NORMAL" if options.get(RELAXED_DURABILITY, False) else "FULL"
            info = conn.connection.info
            if info.get("gabacare_synchronous") != level:
                conn.exec_driver_sql(f"PRAGMA synchronous={level}")
                info["gabacare_synchronous"] = level
        conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

    return engine


def _current_revision(engine: Engine) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if value is None else str(value)


def migrate(engine: Engine) -> None:
    """Bring the schema to :data:`HEAD_REVISION` (no-op when it is already there)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        if _current_revision(engine) == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Two processes opening a fresh database: the second waits, then finds it current.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        error = storage_error(exc, "cannot open or migrate the journal database")
        if isinstance(error, JournalReadOnlyError):
            error = JournalReadOnlyError("the journal database is read-only here and needs an upgrade by this "
                                         "version of GabaCare: open it once where it can be written")
        raise error from exc
