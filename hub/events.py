"""Live session updates for booths: `WS /api/v1/booths/{booth_id}/events?token=`.

The stream does not trust notifications to carry state: a notification only wakes the
connection, which then reads the booth's session from the database and sends it if anything
(state, position, ETA, agent) differs from what it sent last. API calls in this process notify
at once; a re-check every couple of seconds picks up changes made by another hub process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from hub.auth import BoothPrincipal, authenticate, touch_booth
from hub.context import HubContext
from hub.errors import ApiError, error_body
from hub.store import ServiceSession, utc_now
from hub.transitions import open_session_of_booth
from hub.views import session_view

log = logging.getLogger(__name__)

CLOSE_CODES = {"unauthorized": 4401, "booth_mismatch": 4403, "forbidden": 4403}

router = APIRouter(tags=["booth events"])


class Broadcaster:
    """Wakes the event streams of a branch; callable from any thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, branch_id: str) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._waiters[branch_id].add(event)
        return event

    def unsubscribe(self, branch_id: str, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters[branch_id].discard(event)

    def notify(self, *branch_ids: str) -> None:
        """A branch's queue or sessions changed (positions move for everyone in it)."""
        if self._loop is None or self._loop.is_closed():
            return
        with self._lock:
            events = [e for b in branch_ids for e in self._waiters.get(b, ())]
        for event in events:
            self._loop.call_soon_threadsafe(event.set)


class _Stream:
    """What one connection has told its booth so far."""

    def __init__(self, hub: HubContext, booth_id: str) -> None:
        self.hub = hub
        self.booth_id = booth_id
        self.current_id: int | None = None

    def snapshot(self) -> dict[str, Any] | None:
        """The booth's open session; once it ends, its final state (closed/cancelled)."""
        with self.hub.sessions() as db:
            session = open_session_of_booth(db, self.booth_id)
            if session is None and self.current_id is not None:
                session = db.get(ServiceSession, self.current_id)
            view = None
            if session is not None:
                self.current_id = session.id
                view = session_view(db, session, self.hub.settings.avg_service_seconds)
            touch_booth(db, self.booth_id, utc_now())
            return view


def _authorize(hub: HubContext, token: str | None, booth_id: str) -> BoothPrincipal:
    with hub.sessions() as db:
        principal = authenticate(db, token)
    if not isinstance(principal, BoothPrincipal):
        raise ApiError("forbidden")
    if principal.booth_id != booth_id:
        raise ApiError("booth_mismatch")
    return principal


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the booth sends, to notice when it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


@router.websocket("/api/v1/booths/{booth_id}/events")
async def booth_events(websocket: WebSocket, booth_id: str, token: str | None = None) -> None:
    hub: HubContext = websocket.app.state.hub
    await websocket.accept()
    try:
        principal = await run_in_threadpool(_authorize, hub, token, booth_id)
    except ApiError as err:
        # Accept, explain, close: a refused handshake would reach the booth as a bare 403.
        await websocket.send_json({"type": "error", **error_body(err.code, err.params)})
        await websocket.close(code=CLOSE_CODES.get(err.code, 4400))
        return
    stream = _Stream(hub, booth_id)
    wake = hub.broadcaster.subscribe(principal.branch_id)
    receiver = asyncio.create_task(_drain(websocket))
    loop = asyncio.get_running_loop()
    next_ping = loop.time() + hub.ping_seconds
    sent: Any = object()  # nothing sent yet: the first snapshot always goes out
    try:
        while not receiver.done():
            wake.clear()
            view = await run_in_threadpool(stream.snapshot)
            if view != sent:
                await websocket.send_json({"type": "session", "session": view})
                sent = view
            timeout = max(0.0, min(hub.recheck_seconds, next_ping - loop.time()))
            waiter = asyncio.create_task(wake.wait())
            await asyncio.wait({waiter, receiver}, timeout=timeout, return_when="FIRST_COMPLETED")
            waiter.cancel()
            if loop.time() >= next_ping and not receiver.done():
                await websocket.send_json({"type": "ping"})
                next_ping = loop.time() + hub.ping_seconds
    except (WebSocketDisconnect, RuntimeError, OSError) as err:
        log.debug("booth %s event stream ended: %s", booth_id, err)
    finally:
        hub.broadcaster.unsubscribe(principal.branch_id, wake)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver
