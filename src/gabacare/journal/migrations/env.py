"""Alembic environment: run migrations on the connection :mod:`gabacare.journal.db` passes in.

``render_as_batch=True`` lets later migrations alter tables on SQLite (copy-and-move).
Run standalone (``alembic -c ...``) it opens ``sqlalchemy.url`` through the same engine factory.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from gabacare.journal.orm import Base


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from gabacare.journal.db import make_engine

    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
