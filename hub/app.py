"""The FastAPI application: routers, error shape, health and time, background housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hub import agents, audit, booths, checkin, console, events, sessions
from hub.context import HubContext, ticket_secret
from hub.dispatch import run_dispatch
from hub.errors import install_error_handlers
from hub.events import Broadcaster
from hub.settings import HubSettings
from hub.store import ServiceSession, SessionState, open_database, utc_now
from hub.transitions import expire_abandoned

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 5.0


def housekeeping(hub: HubContext) -> set[str]:
    """Give back tickets of silent booths and dispatch anything left waiting.

    Dispatch normally runs on every change; this pass also covers a change whose dispatch was
    lost (a process stopped between commit and dispatch). Returns the branches that changed.
    """
    now = utc_now()
    with hub.sessions() as db:
        changed = expire_abandoned(db, now, hub.settings.booth_grace_seconds)
        waiting = db.scalars(
            select(ServiceSession.branch_id)
            .where(ServiceSession.state == SessionState.WAITING)
            .distinct()
        ).all()
        for branch_id in set(waiting) | changed:
            if run_dispatch(db, branch_id, now):
                changed.add(branch_id)
        db.commit()
    return changed


async def _housekeeping_loop(hub: HubContext) -> None:
    while True:
        await asyncio.sleep(HOUSEKEEPING_SECONDS)
        try:
            changed = await run_in_threadpool(housekeeping, hub)
            hub.broadcaster.notify(*changed)
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("housekeeping failed")


def create_app(settings: HubSettings) -> FastAPI:
    """Build the hub for `settings`; the database schema is created if missing."""
    session_factory = open_database(settings.database_url)
    with session_factory.begin() as db:
        audit.ensure_head(db)
    hub = HubContext(
        settings=settings,
        sessions=session_factory,
        broadcaster=Broadcaster(),
        secret=ticket_secret(settings, session_factory),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.broadcaster.bind(asyncio.get_running_loop())
        task = asyncio.create_task(_housekeeping_loop(hub))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app = FastAPI(
        title="Bilik hub",
        version="1",
        description="Branch hub for Bilik video booths; contract: docs/hub-api.md.",
        lifespan=lifespan,
    )
    app.state.hub = hub
    install_error_handlers(app)
    for module in (checkin, sessions, agents, booths, events):
        app.include_router(module.router)
    app.include_router(console.router)  # CS console page + its static files (/console)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/api/v1/time", tags=["operations"])
    def time() -> dict:
        """The hub's clock, for the booth's clock-skew check."""
        return {"now": utc_now().isoformat()}

    return app
