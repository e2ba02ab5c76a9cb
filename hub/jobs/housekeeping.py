"""The hub's periodic sweep: grace periods, retention, and dispatch that a change may have missed.

Runs every `housekeeping_seconds` in every hub process (each pass is one short transaction, so
several processes take turns), and also right when a grace period ends after a stream closed in
this process, so a drop is settled on time rather than up to one period late.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from contract.states import SessionState
from hub.container import HubContext
from hub.jobs.grace import settle_dropped_agents
from hub.realtime import outbox, presence, wakeups
from hub.services import stills
from hub.services.dispatch import run_dispatch
from hub.services.transitions import expire_abandoned
from hub.store.models import ServiceSession

log = logging.getLogger(__name__)


def housekeeping(hub: HubContext) -> set[str]:
    """One pass; returns the branches whose queue changed.

    Dispatch normally runs on every change; this pass also covers a change whose dispatch was
    lost (a process stopped between commit and dispatch).
    """
    now = hub.clock.now()
    settings = hub.settings
    with hub.sessions() as db:
        presence.close_stale(db, now)
        changed = expire_abandoned(db, now, settings.booth_grace_seconds)
        changed |= settle_dropped_agents(db, now, settings.agent_grace_seconds)
        waiting = db.scalars(
            select(ServiceSession.branch_id)
            .where(ServiceSession.state == SessionState.WAITING)
            .distinct()
        ).all()
        for branch_id in set(waiting) | changed:
            if run_dispatch(db, branch_id, now):
                changed.add(branch_id)
        outbox.purge(db, now)
        wakeups.purge(db, now)
        db.commit()
    with hub.sessions() as db:
        stills.purge_expired(db, settings.resolved_data_dir(), settings.still_retention_days, now)
        db.commit()
    return changed


async def _pass(hub: HubContext) -> None:
    try:
        await run_in_threadpool(housekeeping, hub)
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
        await _pass(hub)

    task = asyncio.get_running_loop().create_task(later())
    hub.tasks.add(task)
    task.add_done_callback(hub.tasks.discard)
