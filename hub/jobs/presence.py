"""Keeping this process's open streams "present": one statement for all of them, every
`presence.REFRESH`, instead of a write per stream (an idle stream costs nothing)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from hub.container import HubContext
from hub.realtime import presence

log = logging.getLogger(__name__)


def refresh(hub: HubContext) -> None:
    with hub.sessions() as db:
        presence.refresh_process(db, hub.process_id, hub.clock.now())
        db.commit()


async def presence_loop(hub: HubContext) -> None:
    while True:
        await asyncio.sleep(presence.REFRESH.total_seconds())
        try:
            await run_in_threadpool(refresh, hub)
        except DBAPIError as err:  # the next round retries; rows go stale only after STALE
            log.warning("presence refresh failed: %s", str(err).splitlines()[0][:200])
