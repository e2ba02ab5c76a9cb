"""The tables: SQLAlchemy models (the engine and schema set-up are in hub.store.database).

SQLite (one file) is the default for a branch; PostgreSQL works for a central hub. Everything here
is portable SQL; the only SQLite-specific part is the connection set-up in `hub.store.engine`, which
makes every transaction `BEGIN IMMEDIATE` so several hub processes on one file serialise their
writes instead of racing (PostgreSQL gets the same effect from `SELECT ... FOR UPDATE`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from contract.states import AgentStatus, BranchMode, Role, SessionState

UTC = dt.UTC


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps no offset, so the value is stored as naive UTC and tagged again on the way out.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use the hub's clock")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Branch(Base):
    __tablename__ = "branches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))  # IANA: Asia/Jakarta, Asia/Makassar, …
    mode: Mapped[str] = mapped_column(String(16), default=BranchMode.ONE_TO_MANY)
    max_capacity: Mapped[int] = mapped_column(Integer, default=5)


class Booth(Base):
    __tablename__ = "booths"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # "tgc-01"
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[str | None] = mapped_column(String(32))  # as reported by the heartbeat
    last_seen: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    devices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EnrollmentCode(Base):
    """A one-time booth enrollment code (hub.api.routes.enrollment): only its keyed hash is kept."""

    __tablename__ = "enrollment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_branch_date_nik", "branch_id", "ticket_date", "nik"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_code: Mapped[str] = mapped_column(String(8), unique=True)
    nik: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(16), default="JHT")
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    date: Mapped[dt.date] = mapped_column("ticket_date", Date)  # in the branch's time zone
    slot_start: Mapped[dt.time] = mapped_column(Time)  # branch local time
    slot_end: Mapped[dt.time] = mapped_column(Time)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_in_booth: Mapped[str | None] = mapped_column(ForeignKey("booths.id"))


class ServiceSession(Base):
    """One participant's visit at one booth, from check-in to outcome."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_branch_state", "branch_id", "state"),
        # a CS's load and a booth's open session (also serve the foreign keys' look-ups)
        Index("ix_sessions_agent_state", "agent_id", "state"),
        Index("ix_sessions_booth_state", "booth_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    state: Mapped[str] = mapped_column(String(16), default=SessionState.CHECKED_IN)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # copied: dispatch reads it
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    # the call (docs/call-api.md); nullable so older databases gain them with a plain ALTER
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the CS accepted
    on_hold: Mapped[bool | None] = mapped_column(Boolean, default=False)
    checklist: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome_missing: Mapped[list[str] | None] = mapped_column(JSON)
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)


class Agent(Base):
    """A staff account: CS, supervisor, HQ or admin (`role`); only CS take participants.

    The table keeps its first name, `agents`, and the API its `agent_id`: every account that
    logs in is an agent of the agency.
    """

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: NULL for HQ and admin accounts (every branch). Databases created before roles had NOT
    #: NULL here: adopting them (hub.store.database.adopt) drops it.
    branch_id: Mapped[str | None] = mapped_column(ForeignKey("branches.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(16), default=Role.CS)  # NULL: a CS (older rows)
    disabled: Mapped[bool | None] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=AgentStatus.OFFLINE)
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AgentToken(Base):
    """A CS login; only the sha256 of the bearer token is kept."""

    __tablename__ = "agent_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StillRequest(Base):
    """A CS asked the booth for a document still; uploads must name one of these."""

    __tablename__ = "still_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, sent to the booth
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    document: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Still(Base):
    """A document still on disk (`path` relative to the data directory); purged by age."""

    __tablename__ = "stills"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused after a purge

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    request_id: Mapped[str] = mapped_column(String(32))
    document: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class StreamMessage(Base):
    """A message for one booth's or one agent's event stream (signal, still request, still).

    Going through the database lets a stream on any hub process deliver what another process
    accepted; ids only grow (also after purges), so a stream's cursor never skips a message.
    """

    __tablename__ = "stream_messages"
    __table_args__ = (
        Index("ix_stream_messages_recipient", "recipient_kind", "recipient_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_kind: Mapped[str] = mapped_column(String(8))  # "booth" | "agent"
    recipient_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class StreamWakeup(Base):
    """Which streams a committed transaction concerns, for the other hub processes on one SQLite
    file (hub.realtime.wakeups; PostgreSQL uses NOTIFY instead). Topics only, never state; kept
    a minute."""

    __tablename__ = "stream_wakeups"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(32))  # the process that committed
    topics: Mapped[str] = mapped_column(Text)  # "branch:b1 booth:b1-01 …"
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class JobLease(Base):
    """Which hub process runs a periodic job, until when (hub.jobs.leases): one does the
    country's housekeeping, the others stand by and take over when its lease runs out."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(32))
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StreamPresence(Base):
    """One open event stream of a booth or agent, on any hub process.

    `seen_at` is refreshed while the stream lives, for all the open rows of a hub `process` in
    one statement (so an idle stream costs nothing), and a row left behind by a stopped process
    goes stale instead of keeping a booth "online" for ever; `closed_at` starts an agent's
    grace period.
    """

    __tablename__ = "stream_presence"
    __table_args__ = (
        Index("ix_stream_presence_owner", "kind", "owner_id"),
        Index("ix_stream_presence_process", "process"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))  # "booth" | "agent"
    owner_id: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    process: Mapped[str | None] = mapped_column(String(32))  # the hub process holding it


class Refusal(Base):
    """One refused attempt, kept a short while for a rate limit (hub.services.rate_limits):
    a booth's ticket look-ups, a client address's enrollment codes. In the database, so the
    limit holds across hub processes."""

    __tablename__ = "refusals"
    __table_args__ = (Index("ix_refusals_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))  # "lookup" | "enroll"
    key: Mapped[str] = mapped_column(String(64))  # booth id, client address
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    code: Mapped[str] = mapped_column(String(32))


class AuditEvent(Base):
    """Append-only; `hash` = sha256(prev_hash + canonical content), see hub.services.audit."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly what was hashed
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last link in one row: locking it serialises appends on every backend."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class HubMeta(Base):
    """Small facts the hub keeps about itself (e.g. the generated ticket-signing secret)."""

    __tablename__ = "hub_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


_Row = TypeVar("_Row", bound=Base)


def required(db: Session, model: type[_Row], key: Any) -> _Row:
    """A row that a foreign key guarantees: its absence is a broken database, not a 404."""
    row = db.get(model, key)
    if row is None:
        raise LookupError(f"{model.__tablename__} {key!r} is missing (broken reference)")
    return row
