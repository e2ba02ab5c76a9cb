"""The hub's one rate limiter: refused attempts per (scope, key) within a window, counted in
the database so that every hub process sees the same count.

Only refusals are stored (a booth's wrong tickets, a client's wrong enrollment codes), so
normal traffic writes nothing here. The caller commits the refusal it records even when the
request itself fails, or the limit would never bite.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hub.errors import ApiError
from hub.store.models import Refusal

KEEP = dt.timedelta(hours=1)


def check(
    db: Session, scope: str, key: str, limit: int, window: dt.timedelta, now: dt.datetime
) -> None:
    """`429 rate_limited` (with `retry_after`) once `key` has `limit` refusals in `window`."""
    count, oldest = db.execute(
        select(func.count(), func.min(Refusal.at)).where(
            Refusal.scope == scope, Refusal.key == key, Refusal.at > now - window
        )
    ).one()
    if count >= limit:
        retry_after = max(1, math.ceil((oldest + window - now).total_seconds()))
        raise ApiError("rate_limited", {"retry_after": retry_after})


def refused(db: Session, scope: str, key: str, code: str, now: dt.datetime) -> None:
    """Count one refusal (the caller commits)."""
    db.add(Refusal(scope=scope, key=key[:64], at=now, code=code[:32]))


def purge(db: Session, now: dt.datetime) -> None:
    """Refusals older than any window (housekeeping)."""
    db.execute(delete(Refusal).where(Refusal.at < now - KEEP))
