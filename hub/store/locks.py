"""Per-branch serialisation of writes, taken first in every transaction that changes a branch.

Why: dispatch reads a branch's queue and CS loads and then assigns; two transactions of the same
branch doing that at once must take turns, and taking the turn *first*, before any row lock,
means locks are always taken in one order (branch, then rows, then the audit head at commit:
hub.services.audit), so PostgreSQL never finds a deadlock. Different branches never wait for
each other. On SQLite every write transaction already holds the database's one write lock
(`BEGIN IMMEDIATE`, hub.store.engine), so there is nothing more to take.
"""

from __future__ import annotations

import logging
import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

#: The first key of the two-key advisory locks: Bilik's branch locks (the second is the branch).
BRANCH_LOCKS = 0x42494C
#: Singleton jobs and start-up steps (hub.jobs.leader, hub.store.database).
JOB_LOCKS = 0x42494D


def _key(name: str) -> int:
    """A stable signed 32-bit key for `name` (crc32; a collision only makes two branches share
    a turn, never lets one skip it)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def lock_branch(db: Session, branch_id: str) -> None:
    """Wait for this branch's turn; held until the transaction ends (commit or rollback).

    Call it before changing anything: on PostgreSQL the objects already loaded are re-read
    afterwards, as another transaction may have changed them while this one waited.
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    held: set[str] = db.info.setdefault("bilik_branch_locks", set())
    if branch_id in held:
        return
    late = bool(db.dirty or db.new)
    if late:  # a caller that changed rows first: still serialised, but say so (a bug to fix)
        log.warning("branch %s locked after changes; lock it first", branch_id)
    db.execute(
        text("SELECT pg_advisory_xact_lock(:ns, :key)"),
        {"ns": BRANCH_LOCKS, "key": _key(branch_id)},
    )
    held.add(branch_id)
    if not late:
        db.expire_all()


def forget_locks(db: Session) -> None:
    """The transaction ended: its advisory locks are gone (hub.services.audit calls this)."""
    db.info.pop("bilik_branch_locks", None)


def try_job_lock(db: Session, name: str) -> bool:
    """Is this process the one to run job `name` now? (PostgreSQL: a transaction-level advisory
    lock; SQLite: the write lock this transaction already holds makes it the one.)"""
    if db.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        db.scalar(
            text("SELECT pg_try_advisory_xact_lock(:ns, :key)"),
            {"ns": JOB_LOCKS, "key": _key(name)},
        )
    )
