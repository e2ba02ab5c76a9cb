"""Messages for one booth's or one agent's event stream: signals, still requests, stills.

Posted inside the caller's transaction, delivered by whichever hub process holds the
recipient's stream (woken at once in this process, found by the re-check in another). A stream
delivers only what was posted after it connected: a party that reconnects starts over (the
console offers again), it does not replay an old offer.

Streams read by id (`since`): on SQLite writers are serialised, so ids commit in order. On
PostgreSQL a message could commit after one with a higher id and be passed over; a central
PostgreSQL hub should read a short window back and skip ids already sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select
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


def cursor(db: Session) -> int:
    """Where a stream connecting now starts reading."""
    return db.scalar(select(func.max(StreamMessage.id))) or 0


def since(
    db: Session, recipient_kind: str, recipient_id: str, after: int
) -> list[tuple[int, dict[str, Any]]]:
    rows = db.execute(
        select(StreamMessage.id, StreamMessage.payload)
        .where(
            StreamMessage.recipient_kind == recipient_kind,
            StreamMessage.recipient_id == recipient_id,
            StreamMessage.id > after,
        )
        .order_by(StreamMessage.id)
    ).all()
    return [(r.id, r.payload) for r in rows]


def purge(db: Session, now: dt.datetime) -> None:
    db.execute(delete(StreamMessage).where(StreamMessage.created_at < now - KEEP))
