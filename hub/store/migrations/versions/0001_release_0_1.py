"""The schema of release 0.1, as its `create_all` made it (before the hub had migrations).

A database made by 0.1 has these tables and no `alembic_version`: hub.store.database stamps it
with this revision (after `adopt`, which repairs what 0.1's hand-written column additions left
behind in databases older still) and upgrades it from here.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def schema() -> sa.MetaData:
    """Release 0.1's tables, spelled out (frozen: never the models, which move on).

    `default=` is the value the 0.1 models gave new rows; `adopt` writes it where older
    databases left NULL.
    """
    m = sa.MetaData()
    fk = sa.ForeignKey
    string, integer, boolean, text = sa.String, sa.Integer, sa.Boolean, sa.Text
    when = sa.DateTime  # hub.store.models.UTCDateTime: naive UTC in the database

    def column(name: str, *args: Any, **kw: Any) -> sa.Column[Any]:
        return sa.Column(name, *args, nullable=False, **kw)

    def optional(name: str, *args: Any, **kw: Any) -> sa.Column[Any]:
        return sa.Column(name, *args, nullable=True, **kw)

    sa.Table(
        "branches", m,
        column("id", string(32), primary_key=True),
        column("name", string(120)),
        column("timezone", string(64)),
        column("mode", string(16), default="one_to_many"),
        column("max_capacity", integer(), default=5),
    )  # fmt: skip
    sa.Table(
        "booths", m,
        column("id", string(32), primary_key=True),
        column("branch_id", string(32), fk("branches.id"), index=True),
        column("name", string(120)),
        optional("token_hash", string(64), unique=True),
        optional("state", string(32)),
        optional("last_seen", when()),
        column("devices", sa.JSON(), default=dict),
    )  # fmt: skip
    sa.Table(
        "enrollment_codes", m,
        column("code_hash", string(64), primary_key=True),
        column("booth_id", string(32), fk("booths.id"), index=True),
        column("created_at", when()),
        column("expires_at", when()),
        optional("used_at", when()),
    )  # fmt: skip
    sa.Table(
        "tickets", m,
        column("id", integer(), primary_key=True, autoincrement=True),
        column("booking_code", string(8), unique=True),
        column("nik", string(16)),
        column("name", string(200)),
        column("service", string(16), default="JHT"),
        column("branch_id", string(32), fk("branches.id")),
        column("ticket_date", sa.Date()),
        column("slot_start", sa.Time()),
        column("slot_end", sa.Time()),
        column("status", string(16), default="booked"),
        column("priority", boolean(), default=False),
        optional("checked_in_booth", string(32), fk("booths.id")),
        sa.Index("ix_tickets_branch_date_nik", "branch_id", "ticket_date", "nik"),
    )  # fmt: skip
    sa.Table(
        "sessions", m,
        column("id", integer(), primary_key=True, autoincrement=True),
        column("booth_id", string(32), fk("booths.id"), index=True),
        column("ticket_id", integer(), fk("tickets.id"), index=True),
        column("branch_id", string(32), fk("branches.id")),
        column("state", string(16), default="checked_in"),
        column("priority", boolean(), default=False),
        optional("agent_id", string(32), fk("agents.id"), index=True),
        column("created_at", when()),
        optional("enqueued_at", when()),
        optional("assigned_at", when()),
        optional("closed_at", when()),
        optional("outcome", string(16)),
        optional("started_at", when()),
        optional("on_hold", boolean(), default=False),
        optional("checklist", sa.JSON()),
        optional("outcome_missing", sa.JSON()),
        optional("outcome_reason", text()),
        optional("rating", integer()),
        sa.Index("ix_sessions_branch_state", "branch_id", "state"),
    )  # fmt: skip
    sa.Table(
        "agents", m,
        column("id", string(32), primary_key=True),
        column("username", string(64), unique=True),
        column("name", string(120)),
        optional("branch_id", string(32), fk("branches.id"), index=True),
        optional("role", string(16), default="cs"),
        optional("disabled", boolean(), default=False),
        column("password_hash", string(255)),
        column("status", string(16), default="offline"),
        column("capacity", integer(), default=5),
        optional("last_assigned_at", when()),
    )  # fmt: skip
    sa.Table(
        "agent_tokens", m,
        column("token_hash", string(64), primary_key=True),
        column("agent_id", string(32), fk("agents.id"), index=True),
        column("created_at", when()),
        column("expires_at", when()),
    )  # fmt: skip
    sa.Table(
        "still_requests", m,
        column("id", string(32), primary_key=True),
        column("session_id", integer(), fk("sessions.id"), index=True),
        column("document", string(16)),
        column("agent_id", string(32)),
        column("created_at", when()),
    )  # fmt: skip
    sa.Table(
        "stills", m,
        column("id", integer(), primary_key=True, autoincrement=True),
        column("session_id", integer(), fk("sessions.id"), index=True),
        column("request_id", string(32)),
        column("document", string(16)),
        column("width", integer()),
        column("height", integer()),
        column("size", integer()),
        column("sha256", string(64)),
        column("path", string(255)),
        column("created_at", when(), index=True),
        sqlite_autoincrement=True,
    )  # fmt: skip
    sa.Table(
        "stream_messages", m,
        column("id", integer(), primary_key=True, autoincrement=True),
        column("recipient_kind", string(8)),
        column("recipient_id", string(32)),
        column("payload", sa.JSON()),
        column("created_at", when(), index=True),
        sa.Index("ix_stream_messages_recipient", "recipient_kind", "recipient_id", "id"),
        sqlite_autoincrement=True,
    )  # fmt: skip
    sa.Table(
        "stream_presence", m,
        column("id", integer(), primary_key=True, autoincrement=True),
        column("kind", string(8)),
        column("owner_id", string(32)),
        column("opened_at", when()),
        column("seen_at", when()),
        optional("closed_at", when()),
        sa.Index("ix_stream_presence_owner", "kind", "owner_id"),
    )  # fmt: skip
    sa.Table(
        "lookup_failures", m,
        column("id", integer(), primary_key=True, autoincrement=True),
        column("booth_id", string(32)),
        column("at", when()),
        column("code", string(32)),
        sa.Index("ix_lookup_failures_booth_at", "booth_id", "at"),
    )  # fmt: skip
    sa.Table(
        "audit_events", m,
        column("seq", integer(), primary_key=True, autoincrement=False),
        column("at", when()),
        column("actor", string(64)),
        column("action", string(32)),
        column("subject", string(64)),
        column("details", text()),
        column("prev_hash", string(64), unique=True),
        column("hash", string(64)),
    )  # fmt: skip
    sa.Table(
        "audit_head", m,
        column("id", integer(), primary_key=True, autoincrement=False),
        column("seq", integer()),
        column("hash", string(64)),
    )  # fmt: skip
    sa.Table(
        "hub_meta", m,
        column("key", string(64), primary_key=True),
        column("value", text()),
    )  # fmt: skip
    return m


def upgrade() -> None:
    schema().create_all(op.get_bind())


def downgrade() -> None:
    schema().drop_all(op.get_bind())
