"""The database: an engine for SQLite (one file, a branch) or PostgreSQL (a central hub).

The only SQLite-specific part is the connection set-up in `make_engine`, which makes every
transaction `BEGIN IMMEDIATE` so several hub processes on one file serialise their writes instead
of racing (PostgreSQL gets the same effect from `SELECT ... FOR UPDATE`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from hub.store.models import Base


def make_engine(database_url: str) -> Engine:
    """An engine ready for several threads and, on SQLite, several processes on one file."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    in_memory = url.database in (None, "", ":memory:")
    if url.database and not in_memory:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below); WAL lets readers run beside the one writer.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # Take the write lock up front: read-then-write decisions (dispatch, audit chain) stay
        # consistent across processes, and writers wait instead of failing with "locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def create_schema(engine: Engine) -> None:
    """Create missing tables and columns (no migrations yet: the schema only grows)."""
    Base.metadata.create_all(engine)
    _add_missing_columns(engine)


def _add_missing_columns(engine: Engine) -> None:
    """`ALTER TABLE … ADD COLUMN` for columns added to a model after its table was created.

    Only nullable columns are ever added to an existing model, so this is all the migration a
    growing schema needs; two processes starting at once may race, the loser finds it done.
    """
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            with contextlib.suppress(OperationalError, ProgrammingError), engine.begin() as conn:
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')


def open_database(database_url: str) -> sessionmaker[Session]:
    """Engine + schema + session factory in one call, for the CLI and the app."""
    engine = make_engine(database_url)
    create_schema(engine)
    return make_session_factory(engine)
