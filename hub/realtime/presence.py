"""Which booths and agents have their event stream open, across every hub process.

A booth's `booth_online` (shown in the console) and an agent's grace period (docs/call-api.md,
"Drops and grace periods") both read this. A stream opens a row, refreshes it while it lives and
closes it when the connection ends; a row whose process stopped without closing it goes stale
after `STALE` and counts as closed at its last refresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from contract.states import ACTIVE_AGENT_STATES
from hub.realtime import changes
from hub.services import audit
from hub.store.models import Booth, ServiceSession, StreamPresence

BOOTH, AGENT = "booth", "agent"
REFRESH = dt.timedelta(seconds=10)
STALE = dt.timedelta(seconds=30)


def _live(now: dt.datetime) -> list:
    return [StreamPresence.closed_at.is_(None), StreamPresence.seen_at >= now - STALE]


def _agents_of_booth(db: Session, booth_id: str) -> list[str]:
    """The CS whose console shows this booth (its `booth_online` is part of their S)."""
    return list(
        db.scalars(
            select(ServiceSession.agent_id).where(
                ServiceSession.booth_id == booth_id,
                ServiceSession.state.in_(ACTIVE_AGENT_STATES),
            )
        )
    )


def is_live(db: Session, kind: str, owner_id: str, now: dt.datetime) -> bool:
    return bool(
        db.scalar(
            select(StreamPresence.id)
            .where(StreamPresence.kind == kind, StreamPresence.owner_id == owner_id, *_live(now))
            .limit(1)
        )
    )


def online_booths(db: Session, booth_ids: Iterable[str], now: dt.datetime) -> set[str]:
    ids = set(booth_ids)
    if not ids:
        return set()
    return set(
        db.scalars(
            select(StreamPresence.owner_id).where(
                StreamPresence.kind == BOOTH, StreamPresence.owner_id.in_(ids), *_live(now)
            )
        )
    )


def open_stream(
    db: Session, kind: str, owner_id: str, now: dt.datetime, process: str | None = None
) -> int:
    """Record a new stream (the caller commits); audited when the owner was not connected."""
    was_live = is_live(db, kind, owner_id, now)
    row = StreamPresence(kind=kind, owner_id=owner_id, opened_at=now, seen_at=now, process=process)
    db.add(row)
    db.flush()
    if not was_live:
        audit.record(db, f"{kind}:{owner_id}", f"{kind}_connected", f"{kind}:{owner_id}", {}, now)
        if kind == BOOTH:
            changes.mark(db, agents=_agents_of_booth(db, owner_id))
    return row.id


def refresh_process(db: Session, process: str, now: dt.datetime) -> None:
    """Every open stream of this hub process is still there: one statement for all of them."""
    db.execute(
        update(StreamPresence)
        .where(StreamPresence.process == process, StreamPresence.closed_at.is_(None))
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )


def close_stream(
    db: Session,
    stream_id: int,
    now: dt.datetime,
    reason: str = "closed",
    at: dt.datetime | None = None,
) -> None:
    """The connection ended at `at` (default now; the caller commits).

    Audited when it was the owner's last stream. Booth rows go at once; agent rows stay until
    the grace period is settled (`dropped_agents`, `forget_agent`).
    """
    row = db.get(StreamPresence, stream_id)
    if row is None or row.closed_at is not None:
        return
    at = at or now
    row.closed_at = at
    kind, owner = row.kind, row.owner_id
    if kind == BOOTH:
        db.delete(row)
    db.flush()
    if is_live(db, kind, owner, now):
        return
    subject = f"{kind}:{owner}"
    actor = subject if reason == "closed" else "system"
    audit.record(db, actor, f"{kind}_disconnected", subject, {"reason": reason}, now)
    if kind == BOOTH:
        # The booth was there until `at`: its grace period starts then, not at its last touch
        # (a later request or heartbeat, through another process, counts more).
        db.execute(
            update(Booth)
            .where(Booth.id == owner, or_(Booth.last_seen.is_(None), Booth.last_seen < at))
            .values(last_seen=at)
        )
        changes.mark(db, agents=_agents_of_booth(db, owner))


def close_stale(db: Session, now: dt.datetime) -> None:
    """Close rows left open by a hub process that stopped; they count as closed when last seen."""
    for stream_id, seen_at in db.execute(
        select(StreamPresence.id, StreamPresence.seen_at).where(
            StreamPresence.closed_at.is_(None), StreamPresence.seen_at < now - STALE
        )
    ).all():
        close_stream(db, stream_id, now, reason="stale", at=seen_at)


def dropped_agents(db: Session, now: dt.datetime, grace_seconds: int) -> list[str]:
    """Agents whose every stream has been gone for longer than the grace period."""
    cutoff = now - dt.timedelta(seconds=grace_seconds)
    rows = db.execute(
        select(StreamPresence.owner_id, StreamPresence.closed_at, StreamPresence.seen_at).where(
            StreamPresence.kind == AGENT
        )
    ).all()
    live: set[str] = set()
    gone_at: dict[str, dt.datetime] = {}
    for owner, closed_at, seen_at in rows:
        if closed_at is None and seen_at >= now - STALE:
            live.add(owner)
        else:
            at = closed_at or seen_at
            gone_at[owner] = max(gone_at.get(owner, at), at)
    return sorted(o for o, at in gone_at.items() if o not in live and at < cutoff)


def forget_agent(db: Session, agent_id: str) -> None:
    """The drop was handled: the agent's closed streams no longer count."""
    db.execute(
        delete(StreamPresence).where(
            StreamPresence.kind == AGENT,
            StreamPresence.owner_id == agent_id,
            StreamPresence.closed_at.is_not(None),
        )
    )
