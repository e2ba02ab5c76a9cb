"""Wake-ups across hub processes: a commit in one process wakes the streams it concerns in all.

A transaction's topics (hub.realtime.changes) are published inside the transaction, so they
are sent exactly when it commits and never when it rolls back:

- PostgreSQL: `NOTIFY bilik_wake` (delivered at commit, one notification per transaction,
  however many rows it changed); each process LISTENs on one connection of its own.
- SQLite (several processes on one file, e.g. two hubs behind one address): a row in
  `stream_wakeups`; each process watches `PRAGMA data_version` (a counter in shared memory,
  not a table read) and reads the new rows only when another connection committed.

Wake-ups carry topics only, never state (the streams read that), so a lost one costs at most
the streams' slow safety re-check and a duplicate costs one read. A process ignores its own
(it woke its streams directly), and after the listener lost its connection every local stream
re-reads once, as wake-ups may have been missed meanwhile.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable

from sqlalchemy import Engine, delete, insert, text
from sqlalchemy.orm import Session

from hub.realtime.broadcast import Broadcaster, Topic
from hub.store.models import StreamWakeup

log = logging.getLogger(__name__)

CHANNEL = "bilik_wake"
#: PostgreSQL refuses NOTIFY payloads over 8000 bytes: topics go in chunks below that.
MAX_PAYLOAD = 7000
#: How often a SQLite process looks at the data version (a shared-memory read).
SQLITE_POLL_SECONDS = 0.05
KEEP = dt.timedelta(minutes=1)


def encode(origin: str, topics: Iterable[Topic]) -> list[str]:
    """Payloads of at most MAX_PAYLOAD bytes: {"o": origin, "t": [[kind, id], …]}."""
    payloads: list[str] = []
    chunk: list[list[str]] = []
    size = 0
    for kind, ident in sorted(set(topics)):
        item = [kind, ident]
        cost = len(kind) + len(ident) + 8
        if chunk and size + cost > MAX_PAYLOAD:
            payloads.append(json.dumps({"o": origin, "t": chunk}, separators=(",", ":")))
            chunk, size = [], 0
        chunk.append(item)
        size += cost
    if chunk:
        payloads.append(json.dumps({"o": origin, "t": chunk}, separators=(",", ":")))
    return payloads


def decode(payload: str) -> tuple[str, list[Topic]]:
    data = json.loads(payload)
    return str(data["o"]), [(str(k), str(i)) for k, i in data["t"]]


class Wakeups:
    """The cross-process half of waking streams; one per hub process."""

    def __init__(self, engine: Engine, broadcaster: Broadcaster, origin: str) -> None:
        self.engine = engine
        self.broadcaster = broadcaster
        self.origin = origin
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.backend = engine.dialect.name
        database = engine.url.database
        self._in_memory = self.backend == "sqlite" and database in (None, "", ":memory:")

    def publish(self, db: Session, topics: set[Topic]) -> None:
        """Inside the transaction that made the change (hub.realtime.changes calls this)."""
        if not topics or self._in_memory:
            return
        if self.backend == "postgresql":
            for payload in encode(self.origin, topics):
                db.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})
            return
        for payload in encode(self.origin, topics):
            db.execute(
                insert(StreamWakeup).values(
                    origin=self.origin, topics=payload, created_at=dt.datetime.now(dt.UTC)
                )
            )

    def start(self) -> None:
        if self._in_memory or self._thread is not None:
            return
        target = self._listen_postgres if self.backend == "postgresql" else self._watch_sqlite
        self._thread = threading.Thread(target=target, name="bilik-wakeups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
            self._thread = None

    def _deliver(self, payload: str) -> None:
        try:
            origin, topics = decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed wake-up")
            return
        if origin != self.origin:
            self.broadcaster.notify(topics)

    def _watch_sqlite(self) -> None:
        path = self.engine.url.database or ""
        last_id, version, connection = 0, None, None
        while not self._stop.wait(SQLITE_POLL_SECONDS):
            try:
                if connection is None:
                    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
                    last_id = connection.execute(
                        "SELECT COALESCE(MAX(id), 0) FROM stream_wakeups"
                    ).fetchone()[0]
                    version = None
                    self.broadcaster.notify_all()  # anything before this is re-read once
                now_version = connection.execute("PRAGMA data_version").fetchone()[0]
                if now_version == version:
                    continue
                version = now_version
                rows = connection.execute(
                    "SELECT id, topics FROM stream_wakeups WHERE id > ? ORDER BY id", (last_id,)
                ).fetchall()
                for row_id, payload in rows:
                    last_id = row_id
                    self._deliver(payload)
            except sqlite3.Error as err:
                log.warning("wake-ups from other hub processes paused: %s", err)
                if connection is not None:
                    connection.close()
                connection = None
                self._stop.wait(1.0)
        if connection is not None:
            connection.close()

    def _listen_postgres(self) -> None:
        import psycopg

        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    delay = 0.5
                    self.broadcaster.notify_all()  # missed while not listening: re-read
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=0.5):
                            self._deliver(note.payload)
            except psycopg.Error as err:
                log.warning("wake-ups from other hub processes paused: %s", err)
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)


def purge(db: Session, now: dt.datetime) -> None:
    """Wake-up rows are read within a tenth of a second; a minute later nobody needs them."""
    db.execute(delete(StreamWakeup).where(StreamWakeup.created_at < now - KEEP))
