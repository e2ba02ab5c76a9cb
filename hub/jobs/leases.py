"""One process runs a periodic job: it holds the job's lease and renews it each pass; when it
stops, the lease runs out and another process takes over (works alike on SQLite and
PostgreSQL, and survives a lost database connection, unlike a session-level advisory lock)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.store.models import JobLease


def acquire(db: Session, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take or renew the lease (the caller commits at once). False: another process holds it."""
    lease = db.get(JobLease, name, with_for_update=True)
    if lease is None:
        try:
            with db.begin_nested():
                db.add(JobLease(name=name, holder=holder, until=now + ttl))
        except IntegrityError:  # another process created it at the same moment
            return False
        return True
    if lease.holder != holder and lease.until > now:
        return False
    lease.holder, lease.until = holder, now + ttl
    return True
