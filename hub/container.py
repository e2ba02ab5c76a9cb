"""The hub's container: one per app, what services, jobs and streams need (no module globals)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.clock import Clock, SystemClock
from hub.settings import HubSettings
from hub.store.models import HubMeta

if TYPE_CHECKING:
    from hub.realtime.broadcast import Broadcaster

SECRET_KEY = "ticket_secret"


@dataclass
class HubContext:
    """One per app: settings, the database and the in-process event broadcaster."""

    settings: HubSettings
    sessions: sessionmaker[Session]  # transactions that write (hub.store.engine)
    broadcaster: Broadcaster
    secret: str
    clock: Clock = field(default_factory=SystemClock)
    #: Transactions that only read: no write lock on SQLite, READ ONLY on PostgreSQL.
    reads: sessionmaker[Session] | None = None
    ping_seconds: float = 15.0  # event stream keep-alive (docs/hub-api.md)
    #: A stream re-reads its state this often even when nothing woke it: only a safety net, as
    #: every commit wakes the streams it concerns in every process (hub.realtime.wakeups), and
    #: a wake-up listener that lost its connection wakes every stream when it is back.
    recheck_seconds: float = 300.0
    housekeeping_seconds: float = 5.0  # grace periods, retention, lost dispatches
    #: This hub process among several (presence rows, wake-ups name it).
    process_id: str = field(default_factory=lambda: secrets.token_hex(8))
    tasks: set[asyncio.Task] = field(default_factory=set)  # cancelled when the app stops
    #: Ask for one housekeeping pass after this many seconds (wired by hub.app to hub.jobs), so
    #: a stream that ends can have its owner's grace period settled on time.
    sweep_soon: Callable[[float], None] = lambda _delay: None

    def __post_init__(self) -> None:
        if self.reads is None:
            self.reads = self.sessions

    def read(self) -> Session:
        """A session for reading only (see `reads`)."""
        assert self.reads is not None
        return self.reads()


def ticket_secret(settings: HubSettings, sessions: sessionmaker[Session]) -> str:
    """The configured secret, or the one this database keeps (created on first use)."""
    if settings.secret:
        return settings.secret
    try:
        with sessions.begin() as db:
            row = db.scalar(select(HubMeta).where(HubMeta.key == SECRET_KEY))
            if row is None:
                row = HubMeta(key=SECRET_KEY, value=secrets.token_urlsafe(32))
                db.add(row)
            return row.value
    except IntegrityError:  # another process created it at the same moment
        with sessions() as db:
            return db.scalars(select(HubMeta.value).where(HubMeta.key == SECRET_KEY)).one()
