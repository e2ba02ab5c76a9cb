"""stream_wakeups: which streams a commit concerns, for the other processes on one SQLite file.

hub.realtime.wakeups (PostgreSQL uses NOTIFY instead); rows are kept a minute.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_wakeups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_stream_wakeups_created_at", "stream_wakeups", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_stream_wakeups_created_at", table_name="stream_wakeups")
    op.drop_table("stream_wakeups")
