"""The FastAPI application: routers, error shape, health and time, background housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI

from hub.api.body_limit import BodyLimitMiddleware
from hub.api.error_handlers import install_error_handlers
from hub.api.routes import (
    admin,
    agent_events,
    agents,
    booth_events,
    booths,
    calls,
    checkin,
    contract,
    enrollment,
    sessions,
    stills,
)
from hub.api.schemas import Health, HubTime
from hub.clock import Clock, SystemClock
from hub.container import HubContext, ticket_secret
from hub.jobs import housekeeping
from hub.jobs.presence import presence_loop
from hub.realtime import changes
from hub.realtime.broadcast import Broadcaster
from hub.realtime.wakeups import Wakeups
from hub.services import audit
from hub.settings import HubSettings
from hub.store.database import open_database
from hub.store.engine import WORKER_THREADS, make_read_sessions
from hub.web import console

log = logging.getLogger(__name__)

ROUTERS = (
    checkin,
    sessions,
    agents,
    booths,
    enrollment,
    booth_events,
    agent_events,
    calls,
    stills,
    admin,
    contract,
    console,  # the CS console page + its static files (/console); hub/web/console.py
)


def app_for_worker() -> FastAPI:
    """One worker of `bilik-hub serve --workers N` (uvicorn calls this in each process)."""
    from hub.settings import settings_for_worker

    return create_app(settings_for_worker())


def create_app(settings: HubSettings, clock: Clock | None = None) -> FastAPI:
    """Build the hub for `settings`; the database schema is created if missing.

    `clock` is for tests that move time (hub.clock.FakeClock); the real one otherwise.
    """
    session_factory = open_database(settings.database_url)
    with session_factory.begin() as db:
        audit.ensure_head(db)
    hub = HubContext(
        settings=settings,
        sessions=session_factory,
        reads=make_read_sessions(session_factory.kw["bind"]),
        broadcaster=Broadcaster(),
        secret=ticket_secret(settings, session_factory),
        clock=clock or SystemClock(),
    )
    wakeups = Wakeups(session_factory.kw["bind"], hub.broadcaster, hub.process_id)
    changes.watch(session_factory, hub.broadcaster, wakeups)
    hub.sweep_soon = lambda delay: housekeeping.run_later(hub, delay)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.broadcaster.bind(asyncio.get_running_loop())
        # As many worker threads as the pools have connections for (hub.store.engine).
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        task = asyncio.create_task(housekeeping.loop(hub))
        hub.tasks.add(asyncio.create_task(presence_loop(hub)))
        wakeups.start()
        yield
        wakeups.stop()
        for pending in (task, *hub.tasks):
            pending.cancel()
        for pending in (task, *hub.tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await pending

    app = FastAPI(
        title="Bilik hub",
        version="1",
        description="Branch hub for Bilik video booths; contract: docs/hub-api.md, "
        "docs/call-api.md.",
        lifespan=lifespan,
    )
    app.state.hub = hub
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    for module in ROUTERS:
        app.include_router(module.router)

    @app.get("/healthz", tags=["operations"], response_model=Health)
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/api/v1/time", tags=["operations"], response_model=HubTime)
    def time() -> dict:
        """The hub's clock, for the booth's clock-skew check."""
        return {"now": hub.clock.now().isoformat()}

    return app
