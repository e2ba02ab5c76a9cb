"""Append-only, hash-chained audit trail of every state change (DESIGN.md, "Security").

Each event's hash is sha256(previous hash + "\\n" + its canonical JSON content), so changing,
removing or reordering any past event breaks every later link; `verify_chain` finds the first
broken one (`bilik-hub audit verify`). Appends lock the single `audit_head` row, so two hub
processes never fork the chain. Personal data is masked before it is written: `nik` and `name`
details as such, and NIK-like numbers in every other string (free text typed by staff) and in
the subject.

Events are recorded into the caller's transaction but written when it commits (a
`before_commit` hook), so the head row is the last lock any transaction takes and is held only
for the moment of the commit: transactions of different branches never wait for each other
mid-way, and lock order stays branch → rows → head (hub.store.locks). A rollback drops them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from hub.domain.masking import mask_name, mask_nik, mask_nik_like
from hub.store.locks import forget_locks
from hub.store.models import AuditEvent, AuditHead

GENESIS = "0" * 64
HEAD_ID = 1
_MASKERS = {"nik": mask_nik, "name": mask_name}


def _sanitize(details: dict[str, Any]) -> dict[str, Any]:
    """`nik` and `name` values are masked as such; every other string, at any depth, has its
    NIK-like numbers masked (free text typed by staff: close reasons, notes)."""
    return {
        key: _MASKERS[key](value) if key in _MASKERS and isinstance(value, str) else _free(value)
        for key, value in details.items()
    }


def _free(value: Any) -> Any:
    if isinstance(value, str):
        return mask_nik_like(value)
    if isinstance(value, dict):
        return _sanitize(value)
    if isinstance(value, list | tuple):
        return [_free(v) for v in value]
    return value


def canonical_content(
    seq: int, at: dt.datetime, actor: str, action: str, subject: str, details: str
) -> str:
    """The exact text that is hashed; `details` is already canonical JSON."""
    return json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def link_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def ensure_head(db: Session) -> AuditHead:
    head = db.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS)
        db.add(head)
        db.flush()
    return head


@dataclass(frozen=True)
class Entry:
    actor: str
    action: str
    subject: str
    details: dict[str, Any] = field(default_factory=dict)


_PENDING = "bilik_audit_pending"


def record_many(db: Session, entries: Sequence[Entry], now: dt.datetime) -> None:
    """Record several events; they are written when the transaction commits."""
    pending: list[tuple[Entry, dt.datetime]] = db.info.setdefault(_PENDING, [])
    pending.extend((entry, now) for entry in entries)


@event.listens_for(Session, "before_commit")
def _append_pending(db: Session) -> None:
    pending = db.info.pop(_PENDING, None)
    if pending:
        _append(db, pending)


@event.listens_for(Session, "after_transaction_end")
def _forget(db: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: commit or rollback
        db.info.pop(_PENDING, None)
        forget_locks(db)


def _append(db: Session, entries: Sequence[tuple[Entry, dt.datetime]]) -> None:
    """Append events under one lock of the head."""
    head = ensure_head(db)
    prev, seq = head.hash, head.seq
    for entry, at in entries:
        body = json.dumps(
            _sanitize(entry.details), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        seq += 1
        subject = mask_nik_like(entry.subject)
        content = canonical_content(seq, at, entry.actor, entry.action, subject, body)
        digest = link_hash(prev, content)
        db.add(
            AuditEvent(
                seq=seq,
                at=at,
                actor=entry.actor,
                action=entry.action,
                subject=subject,
                details=body,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    head.seq, head.hash = seq, prev


def record(
    db: Session,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None,
    now: dt.datetime,
) -> None:
    """Append one event inside the caller's transaction (it commits with the change it records)."""
    record_many(db, [Entry(actor, action, subject, details or {})], now)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    bad_seq: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.count} events"
        return f"audit chain BROKEN at event {self.bad_seq}: {self.reason}"


def verify_chain(db: Session) -> ChainReport:
    """Recompute every link from the start; the head row must match the last event too.

    The head is read first and only events up to it are checked: on PostgreSQL each statement
    sees what was committed when it began, so a write committed during the walk (event and head
    together) would otherwise look like a removed or an unlinked event. Events past the head are
    then a finding only if the head still has not moved."""
    head_seq, head_hash = _head(db)
    prev, expected_seq, count = GENESIS, 1, 0
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.seq <= head_seq).order_by(AuditEvent.seq)
    ).yield_per(500)
    for row in events:
        if row.seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"event {expected_seq} is missing")
        if row.prev_hash != prev:
            return ChainReport(False, count, row.seq, "does not link to the previous event")
        content = canonical_content(
            row.seq, row.at, row.actor, row.action, row.subject, row.details
        )
        if link_hash(prev, content) != row.hash:
            return ChainReport(False, count, row.seq, "content does not match its hash")
        prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    if (head_seq, head_hash) != (count, prev):
        return ChainReport(False, count, count + 1, "events after the last one were removed")
    beyond = db.scalar(select(func.count()).where(AuditEvent.seq > head_seq))
    if beyond and _head(db)[0] == head_seq:
        return ChainReport(False, count, head_seq + 1, "events after the head are not chained")
    return ChainReport(True, count)


def _head(db: Session) -> tuple[int, str]:
    """(seq, hash) of the chain's head row as committed now (not the session's cached copy)."""
    row = db.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)
