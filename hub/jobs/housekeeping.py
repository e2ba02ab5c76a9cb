"""The hub's periodic sweep: grace periods, retention, and dispatch that a change may have missed.

Runs every `housekeeping_seconds` in the one hub process holding its lease (hub.jobs.leases),
and also right when a grace period ends after a stream closed in this process, so a drop is
settled on time rather than up to one period late.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from contract.states import SessionState
from hub.container import HubContext
from hub.jobs import leases
from hub.jobs.grace import dropped_agent_branches, settle_dropped_agents
from hub.realtime import outbox, presence, wakeups
from hub.services import rate_limits, stills
from hub.services.dispatch import run_dispatch
from hub.services.transitions import abandoned_sessions, expire_abandoned
from hub.store.locks import lock_branch
from hub.store.models import ServiceSession

log = logging.getLogger(__name__)


def housekeeping(hub: HubContext, asked: bool = False) -> set[str]:
    """One pass, if this process holds the lease (or was `asked`: a grace period of one of its
    streams ends now); returns the branches whose queue changed.

    Each branch is settled in a transaction of its own, in the branch's turn (hub.store.locks):
    a busy branch never holds up the others, and no transaction spans the country. Dispatch
    normally runs on every change; this pass also covers a change whose dispatch was lost (a
    process stopped between commit and dispatch).
    """
    now = hub.clock.now()
    settings = hub.settings
    ttl = dt.timedelta(seconds=max(3 * hub.housekeeping_seconds, 15))
    with hub.sessions() as db:
        if not leases.acquire(db, "housekeeping", hub.process_id, now, ttl) and not asked:
            return set()
        presence.close_stale(db, now)
        db.commit()
    with hub.read() as db:
        branches = set(
            db.scalars(
                select(ServiceSession.branch_id)
                .where(ServiceSession.state == SessionState.WAITING)
                .distinct()
            )
        )
        branches |= {s.branch_id for s in abandoned_sessions(db, now, settings.booth_grace_seconds)}
        branches |= dropped_agent_branches(db, now, settings.agent_grace_seconds)
    changed: set[str] = set()
    for branch_id in sorted(branches):
        with hub.sessions() as db:
            lock_branch(db, branch_id)
            changed |= expire_abandoned(db, now, settings.booth_grace_seconds, branch_id)
            changed |= settle_dropped_agents(db, now, settings.agent_grace_seconds, branch_id)
            if run_dispatch(db, branch_id, now):
                changed.add(branch_id)
            db.commit()
    with hub.sessions() as db:
        outbox.purge(db, now)
        wakeups.purge(db, now)
        rate_limits.purge(db, now)
        db.commit()
    with hub.sessions() as db:
        stills.purge_expired(db, settings.resolved_data_dir(), settings.still_retention_days, now)
        db.commit()
    return changed


async def _pass(hub: HubContext, asked: bool = False) -> None:
    try:
        await run_in_threadpool(housekeeping, hub, asked)
    except DBAPIError as err:  # the database is away: the next pass retries
        log.warning("housekeeping waits for the database: %s", str(err).splitlines()[0][:200])
    except Exception:  # keep going; the next pass retries
        log.exception("housekeeping failed")


async def loop(hub: HubContext) -> None:
    while True:
        await asyncio.sleep(hub.housekeeping_seconds)
        await _pass(hub)


def run_later(hub: HubContext, delay: float) -> None:
    """One extra pass after `delay` seconds (call from the event loop)."""

    async def later() -> None:
        await asyncio.sleep(delay)
        await _pass(hub, asked=True)

    task = asyncio.get_running_loop().create_task(later())
    hub.tasks.add(task)
    task.add_done_callback(hub.tasks.discard)
