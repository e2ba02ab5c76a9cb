"""Append-only, hash-chained audit trail of every state change (DESIGN.md, "Security").

Each event's hash is sha256(previous hash + "\\n" + its canonical JSON content), so changing,
removing or reordering any past event breaks every later link; `verify_chain` finds the first
broken one (`bilik-hub audit verify`). Appends lock the single `audit_head` row, so two hub
processes never fork the chain. Personal data is masked before it is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.domain.masking import mask_name, mask_nik
from hub.store.models import AuditEvent, AuditHead

GENESIS = "0" * 64
HEAD_ID = 1
_MASKERS = {"nik": mask_nik, "name": mask_name}


def _sanitize(details: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _MASKERS[key](value) if key in _MASKERS and isinstance(value, str) else value
        for key, value in details.items()
    }


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


def record_many(db: Session, entries: Sequence[Entry], now: dt.datetime) -> None:
    """Append several events under one lock of the head (dispatch records a batch at once)."""
    if not entries:
        return
    head = ensure_head(db)
    at = now
    prev, seq = head.hash, head.seq
    for entry in entries:
        body = json.dumps(
            _sanitize(entry.details), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        seq += 1
        content = canonical_content(seq, at, entry.actor, entry.action, entry.subject, body)
        digest = link_hash(prev, content)
        db.add(
            AuditEvent(
                seq=seq,
                at=at,
                actor=entry.actor,
                action=entry.action,
                subject=entry.subject,
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
    """Recompute every link from the start; the head row must match the last event too."""
    prev, expected_seq, count = GENESIS, 1, 0
    events = db.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(500)
    for event in events:
        if event.seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainReport(False, count, event.seq, "does not link to the previous event")
        content = canonical_content(
            event.seq, event.at, event.actor, event.action, event.subject, event.details
        )
        if link_hash(prev, content) != event.hash:
            return ChainReport(False, count, event.seq, "content does not match its hash")
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head = db.get(AuditHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if (head_seq, head_hash) != (count, prev):
        return ChainReport(False, count, count + 1, "events after the last one were removed")
    return ChainReport(True, count)
