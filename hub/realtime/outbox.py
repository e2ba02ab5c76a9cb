"""Messages for one booth's or one agent's event stream: signals, still requests, stills.

Posted inside the caller's transaction, delivered by whichever hub process holds the
recipient's stream (woken at once in this process, found by the re-check in another). A stream
delivers only what was posted after it connected: a party that reconnects starts over (the
console offers again), it does not replay an old offer.

On SQLite writers are serialised, so ids commit in order; on PostgreSQL a message can commit
after one with a higher id (two transactions, the lower id's commits last). So a stream's
`Mailbox` reads past its cursor *and* a short window back (`LOOKBACK`), skipping ids it already
sent: a late commit is delivered, nothing twice, and a message's recipient order is its id order
within each read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from hub.store.models import StreamMessage

KEEP = dt.timedelta(minutes=10)


def post(
    db: Session, recipient_kind: str, recipient_id: str, payload: dict[str, Any], now: dt.datetime
) -> None:
    db.add(
        StreamMessage(
            recipient_kind=recipient_kind,
            recipient_id=recipient_id,
            payload=payload,
            created_at=now,
        )
    )


#: Longer than any transaction that posts a message can take to commit.
LOOKBACK = dt.timedelta(seconds=30)


@dataclass
class Mailbox:
    """What one stream has read of its recipient's messages."""

    kind: str
    recipient_id: str
    cursor: int  # the highest id sent
    opened_at: dt.datetime  # nothing posted before the stream connected is delivered
    recent: dict[int, dt.datetime] = field(default_factory=dict)  # ids sent within LOOKBACK

    @classmethod
    def open(cls, db: Session, kind: str, recipient_id: str, now: dt.datetime) -> Mailbox:
        return cls(kind, recipient_id, db.scalar(select(func.max(StreamMessage.id))) or 0, now)

    def collect(self, db: Session, now: dt.datetime) -> list[dict[str, Any]]:
        """Messages not yet sent: past the cursor, or committed late within the window."""
        window = max(self.opened_at, now - LOOKBACK)
        rows = db.execute(
            select(StreamMessage.id, StreamMessage.payload, StreamMessage.created_at)
            .where(
                StreamMessage.recipient_kind == self.kind,
                StreamMessage.recipient_id == self.recipient_id,
                or_(StreamMessage.id > self.cursor, StreamMessage.created_at >= window),
            )
            .order_by(StreamMessage.id)
        ).all()
        fresh = [r for r in rows if r.id not in self.recent]
        for row in fresh:
            self.recent[row.id] = row.created_at
            self.cursor = max(self.cursor, row.id)
        for old in [i for i, at in self.recent.items() if at < now - LOOKBACK]:
            del self.recent[old]
        return [r.payload for r in fresh]


def purge(db: Session, now: dt.datetime) -> None:
    db.execute(delete(StreamMessage).where(StreamMessage.created_at < now - KEEP))
