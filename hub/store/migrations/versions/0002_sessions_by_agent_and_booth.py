"""Sessions indexed by (agent_id, state) and (booth_id, state).

A CS's load count and a booth's open session read only the rows they need instead of the whole
history (issue 8: 5-6 ms -> ~0.1 ms and 0.9 -> 0.06 ms with 1 M sessions). The single-column
agent_id and booth_id indexes are their leading halves, so they go.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sessions_agent_state", "sessions", ["agent_id", "state"])
    op.create_index("ix_sessions_booth_state", "sessions", ["booth_id", "state"])
    op.drop_index("ix_sessions_agent_id", table_name="sessions")
    op.drop_index("ix_sessions_booth_id", table_name="sessions")


def downgrade() -> None:
    op.create_index("ix_sessions_booth_id", "sessions", ["booth_id"])
    op.create_index("ix_sessions_agent_id", "sessions", ["agent_id"])
    op.drop_index("ix_sessions_booth_state", table_name="sessions")
    op.drop_index("ix_sessions_agent_state", table_name="sessions")
