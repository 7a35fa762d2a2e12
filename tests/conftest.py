"""Shared database fixtures: a migrated SQLite template and a throwaway PostgreSQL 15 cluster.

PostgreSQL: the server binaries come from the Debian ``postgresql`` package (``make system-deps``).
The server refuses to run as root, so as root the cluster is initialised and started as the
``postgres`` user in a temporary directory it owns, on a free loopback port; it is stopped and
removed at the end of the session. Without the binaries the PostgreSQL tests fail under CI
(``CI=true``) and are skipped with a reason elsewhere.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles: "ci" (the default, hypothesis's usual 100 examples per property) and "deep"
# (HYPOTHESIS_PROFILE=deep: 100,000 examples per property for the plan invariants, run by hand, see
# DEVELOPERS.md). Tests with their own max_examples keep it.
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=100_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("wide", max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Tests marked ``untraced`` run with coverage paused, from setup to the end of the call: the evaluation
# corpora and the sweeps that compare two paths over every development text. They measure quality or
# equivalence over tens of thousands of texts, and the code they run is covered line by line by other
# tests; under coverage's tracer they took two to four times as long and were the largest single cost of
# ``make test`` (measured 2026-12-07, one process, four corpus splits: 17.4 s traced, 9.1 s paused, 9.3 s
# without coverage). pytest-cov's own ``no_cover`` pauses only the call, and these tests score in fixtures.
# Without ``--cov`` nothing changes.
def _running_coverage(config: pytest.Config) -> Any:
    """pytest-cov's controller when it is tracing this process, else None."""
    plugin = config.pluginmanager.get_plugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    return controller if controller is not None and getattr(controller, "started", False) else None


def _untraced(item: pytest.Item) -> Iterator[None]:
    controller = _running_coverage(item.config) if item.get_closest_marker("untraced") else None
    if controller is None:
        yield
        return
    controller.pause()
    try:
        yield
    finally:
        controller.resume()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _untraced(item)


# A property-based test traces its first ``TRACED_EXAMPLES`` examples and runs the rest with coverage paused:
# every example still runs and is checked, but lines are counted from the first few. Under the tracer the
# hypothesis tests took 1.7 times as long as without it (42 files, 2 workers: 103 s traced, 62 s without
# coverage; 2026-12-07); the lines only later examples reach are few (the coverage report says how many).
# GABACARE_TRACE_EVERY_EXAMPLE=1 traces them all (to compare).
TRACED_EXAMPLES = 10


def _traced_first_examples(item: pytest.Item) -> Iterator[None]:
    controller = _running_coverage(item.config)
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    every = os.environ.get("GABACARE_TRACE_EVERY_EXAMPLE")
    if controller is None or handle is None or item.get_closest_marker("untraced") or every:
        yield
        return
    inner = handle.inner_test
    calls = 0

    @functools.wraps(inner)
    def example(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > TRACED_EXAMPLES:
            return inner(*args, **kwargs)
        controller.resume()
        try:
            return inner(*args, **kwargs)
        finally:
            controller.pause()

    # Hypothesis's own engine (generating, shrinking, its database) runs untraced as well: under the tracer
    # its many small calls cost as much as the examples themselves.
    handle.inner_test = example
    controller.pause()
    try:
        yield
    finally:
        controller.resume()
        handle.inner_test = inner


class _UntracedCompiles:
    """Coverage paused while numba compiles a kernel (its ``numba:compile`` event, nested ones counted once).

    Numba's compiler is Python: under the tracer a first compile took twice as long (three population
    tests, one process, no numba cache: 31 s traced, 15 s untraced; 2026-12-08), and ``make test`` starts
    from a clean clone, so every kernel is compiled there. A compiled kernel's Python lines never run, so
    nothing of GabaCare goes uncounted; the Python around the kernel is traced as before. Only a tracer
    that is running is paused (inside an ``untraced`` test it is already off, and stays off)."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self._depth = 0
        self._paused: Any = None

    def notify(self, event: Any) -> None:
        """Numba's listener entry point: the start or the end of one compile."""
        if event.is_start:
            self._depth += 1
            if self._depth == 1 and sys.gettrace() is not None:
                self._paused = _running_coverage(self._config)
                if self._paused is not None:
                    self._paused.pause()
        elif event.is_end:
            self._depth -= 1
            if self._depth == 0 and self._paused is not None:
                self._paused.resume()
                self._paused = None


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("_cov"):
        return
    try:
        from numba.core import event
    except ImportError:  # numba is optional (the `bench` and `dev` extras)
        return
    event.Listener.register(_UntracedCompiles)  # numba's listener ABC, without importing numba above
    event.register("numba:compile", _UntracedCompiles(config))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.contextmanager(_untraced)(item))
        stack.enter_context(contextlib.contextmanager(_traced_first_examples)(item))
        yield


# No test may read or write the user's own journal (the user data directory): anything that opens the
# default database gets a throwaway SQLite file instead. A leftover journal there, migrated by a newer
# checkout, once made a request in an older clone fail with a 500 (alembic: unknown revision).
if not os.environ.get("GABACARE_DB"):
    os.environ["GABACARE_DB"] = f"sqlite:///{tempfile.mkdtemp(prefix='gabacare-tests-')}/journal.sqlite3"

PG_DB = "gabacare_test"
JOURNAL_TABLES = ("entry_revisions, entries, questionnaires, plan_doses, plans, patients, audit_log, share_links, api_tokens, "
                  "sessions, users, web_signin_failures, web_seen_jti, web_cds_feedback, calendar_feeds, pickups, "
                  "supply_settings, patient_members")


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    preferred = [p for p in found if "/15/" in p]
    chosen = (preferred or found or [None])[-1]
    return Path(chosen).parent if chosen else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a fresh, migrated database on a throwaway local PostgreSQL cluster."""
    bindir = _pg_bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin); run `make system-deps`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="gabacare-pg-"))
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    pg_ctl = str(bindir / "pg_ctl")
    try:
        subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                     "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
        opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start"]),
                       check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:  # pragma: no cover - diagnostics only
        server_log = log.read_text() if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr!r}\n{server_log}")
    try:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {PG_DB}")
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{PG_DB}"
        from gabacare.journal.db import make_engine, migrate

        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


# Emptying the database before each PostgreSQL test: ``TRUNCATE ... RESTART IDENTITY CASCADE`` gives every
# table and index a new file, about 0.08 s for the 18 tables, and ~200 tests empty it. Rows are deleted
# instead (foreign-key triggers off for the transaction, so the order does not matter) and the tables' own
# sequences restarted: the same empty tables and ids from 1. TRUNCATE's CASCADE would also empty a table that
# references these; the reset refuses to run if a migration adds one that is not in the list.
def _pg_reset_sql(conn: Any) -> str:
    from sqlalchemy import text

    tables = [t.strip() for t in JOURNAL_TABLES.split(",")]
    referencing = conn.execute(text(
        "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(:t)"), {"t": tables}).scalars().all()
    assert set(referencing) <= set(tables), f"add {sorted(set(referencing) - set(tables))} to JOURNAL_TABLES"
    sequences = conn.execute(text(
        "SELECT DISTINCT s.oid::regclass::text FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
        "WHERE s.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
        "AND d.deptype IN ('a', 'i') AND d.refobjid::regclass::text = ANY(:t)"), {"t": tables}).scalars().all()
    return "; ".join(["SET LOCAL session_replication_role = replica", *(f"DELETE FROM {t}" for t in tables),
                      *(f"ALTER SEQUENCE {s} RESTART" for s in sorted(sequences))])


@pytest.fixture(scope="session")
def _pg_reset(pg_server: str) -> Iterator[Any]:
    """One engine for the session's resets, and the statements that empty the database."""
    from gabacare.journal.db import make_engine

    engine = make_engine(pg_server)
    with engine.connect() as conn:
        sql = _pg_reset_sql(conn)
    yield engine, sql
    engine.dispose()


@pytest.fixture
def pg_url(pg_server: str, _pg_reset: Any) -> str:
    """The PostgreSQL test database, emptied for this test."""
    engine, sql = _pg_reset
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    return pg_server


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite journal to copy for each test (migrating once is faster)."""
    from gabacare.journal.db import make_engine, migrate

    path = tmp_path_factory.mktemp("template") / "journal.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the main file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite journal file for this test."""
    target = tmp_path / "journal.sqlite3"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each SQL backend in turn: the same test runs on SQLite and on PostgreSQL."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
