"""The hub's one rate limiter: refused attempts per (scope, key) within a window, counted in
the database so that every hub process sees the same count.

Only refusals are stored (a booth's wrong tickets, a client's wrong enrollment codes, wrong
staff passwords), so normal traffic writes nothing here. Two shapes of limit over the same rows:
`check` (at most N refusals in a window: look-ups, enrollment, logins per client address) and
`check_backoff` (after k refusals the next attempt waits min(2^k s, cap): logins per user name,
so guessing slows down exponentially while the real user is never locked out for long; `clear`
forgets the count once the right password is given). The caller commits the refusal it
records even when the request itself fails, or the limit would never bite.
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


def check_backoff(db: Session, scope: str, key: str, cap: dt.timedelta, now: dt.datetime) -> None:
    """`429 rate_limited` (with `retry_after`) until min(2^k s, `cap`) after the last of the `k`
    refusals of `key` within the last hour (attempts refused here are not counted)."""
    count, latest = db.execute(
        select(func.count(), func.max(Refusal.at)).where(
            Refusal.scope == scope, Refusal.key == key[:64], Refusal.at > now - KEEP
        )
    ).one()
    if not count:
        return
    delay = min(cap, dt.timedelta(seconds=2 ** min(count, 20)))
    if latest.tzinfo is None and now.tzinfo is not None:  # SQLite hands back naive UTC
        latest = latest.replace(tzinfo=dt.UTC)
    if now < latest + delay:
        retry_after = max(1, math.ceil((latest + delay - now).total_seconds()))
        raise ApiError("rate_limited", {"retry_after": retry_after})


def clear(db: Session, scope: str, key: str) -> None:
    """Forget the refusals of `key` (a successful login resets its user name's back-off)."""
    db.execute(delete(Refusal).where(Refusal.scope == scope, Refusal.key == key[:64]))


def refused(db: Session, scope: str, key: str, code: str, now: dt.datetime) -> None:
    """Count one refusal (the caller commits)."""
    db.add(Refusal(scope=scope, key=key[:64], at=now, code=code[:32]))


def purge(db: Session, now: dt.datetime) -> None:
    """Refusals older than any window (housekeeping)."""
    db.execute(delete(Refusal).where(Refusal.at < now - KEEP))
