"""Connections: an engine for SQLite (one file, a branch) or PostgreSQL (a central hub).

Two kinds of transaction, so that nothing that only reads ever waits for a writer:

- writes (`make_engine`, the app's `sessions`): on SQLite every transaction is `BEGIN IMMEDIATE`,
  so read-then-write decisions (dispatch, the audit chain) stay consistent across processes and
  writers queue instead of failing with "locked"; PostgreSQL serialises per branch instead
  (hub.store.locks).
- reads (`make_read_sessions`, the app's `reads`): a plain deferred `BEGIN` on SQLite (WAL
  readers run beside the one writer) and `READ ONLY` on PostgreSQL; a write by mistake fails
  loudly (`PRAGMA query_only` / a read-only transaction) instead of taking a lock.

The pools hold more connections than the worker threads that can use them (`POOL_SIZE` >
`WORKER_THREADS`, set by hub.app), so a thread never waits for a connection that another waiting
thread holds; and no transaction stays open while its request waits for a thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

#: Worker threads of one hub process (sync routes, stream reads, housekeeping): hub.app sets
#: anyio's limiter to this.
WORKER_THREADS = 40
#: Connections per pool: more than the threads, so the pool never runs dry before the threads do.
POOL_SIZE = WORKER_THREADS + 8
#: How long a thread waits for a pooled connection before the request answers 503.
POOL_TIMEOUT_SECONDS = 10


#: SQLite errors after which a connection is replaced rather than reused.
_REOPEN_ON = ("readonly database", "disk is full", "disk i/o error", "unable to open database")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(database_url: str) -> Engine:
    """The engine for writes, ready for several threads and, on SQLite, several processes."""
    return _engine(database_url, writes=True)


def _engine(database_url: str, writes: bool) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url,
            pool_pre_ping=True,  # a connection lost while PostgreSQL restarted is replaced
            pool_size=POOL_SIZE // 2,
            max_overflow=POOL_SIZE // 2,
            pool_timeout=POOL_TIMEOUT_SECONDS,
        )
    in_memory = url.database in (None, "", ":memory:")
    if url.database and not in_memory:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    pool: dict[str, Any] = (
        {"poolclass": StaticPool}
        if in_memory
        else {"pool_size": POOL_SIZE, "max_overflow": 0, "pool_timeout": POOL_TIMEOUT_SECONDS}
    )
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below); WAL lets readers run beside the one writer.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        if not writes and not in_memory:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "handle_error")
    def _replace_broken(context: Any) -> None:
        # A connection opened while the file was read-only stays read-only, and one that hit a
        # full disk may hold a broken journal: drop it, so the next request opens a fresh one
        # and the hub recovers by itself once the cause is fixed.
        text = str(context.original_exception).lower()
        if any(cause in text for cause in _REOPEN_ON):
            context.is_disconnect = True

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Writes take the lock up front: read-then-write decisions stay consistent across
        # processes, and writers wait instead of failing with "locked". Reads lock nothing.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes or in_memory else "BEGIN")

    return engine


def make_read_sessions(write_engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests and streams that only read (see the module docstring)."""
    if not is_sqlite(write_engine):
        return sessionmaker(
            write_engine.execution_options(postgresql_readonly=True), expire_on_commit=False
        )
    url = write_engine.url.render_as_string(hide_password=False)
    if write_engine.url.database in (None, "", ":memory:"):
        return sessionmaker(write_engine, expire_on_commit=False)  # one shared connection
    return sessionmaker(_engine(url, writes=False), expire_on_commit=False)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
