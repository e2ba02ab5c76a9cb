"""job_leases (one process runs housekeeping), stream_presence.process (refreshed per process).

hub.jobs.leases and hub.jobs.presence.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=32), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("stream_presence") as batch_op:
        batch_op.add_column(sa.Column("process", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_stream_presence_process", ["process"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stream_presence") as batch_op:
        batch_op.drop_index("ix_stream_presence_process")
        batch_op.drop_column("process")
    op.drop_table("job_leases")
