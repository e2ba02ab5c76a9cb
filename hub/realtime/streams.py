"""The event-stream loop shared by booths and agents (docs/hub-api.md, docs/call-api.md).

A stream never trusts a notification to carry state: a wake-up (hub.realtime.broadcast) only makes
it read again, from the database, its owner's snapshot (sent when it differs from the last one)
and the messages posted for it (hub.realtime.outbox). Every commit wakes the streams it concerns
in every hub process (hub.realtime.wakeups); a stream also re-reads about every `recheck_seconds`,
only as a safety net. It pings every `ping_seconds` without reading: an idle stream costs the
database one read per recheck, nothing else (its presence row is refreshed with all of its
process's, hub.jobs.presence).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from fastapi import WebSocket
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from contract.errors import ErrorCode
from hub.container import HubContext
from hub.domain.access import Principal
from hub.errors import RETRY_AFTER, ApiError, error_body
from hub.realtime import outbox, presence
from hub.realtime.broadcast import Topic
from hub.services.credentials import expires_at, hash_token, still_valid

log = logging.getLogger(__name__)

#: WebSocket close codes for refusals (the HTTP status + 4000).
#: `unavailable` is RFC 6455's 1013 "try again later": the client reconnects after retry_after.
CLOSE_CODES = {
    "unauthorized": 4401,
    "booth_mismatch": 4403,
    "forbidden": 4403,
    "unavailable": 1013,
}

T = TypeVar("T")


class Feed:
    """What one connection of one booth or agent has been sent; subclasses make the snapshots
    (one message per `type`, each sent again only when it changed)."""

    kind = ""

    def __init__(self, hub: HubContext, principal: Principal, token: str) -> None:
        self.hub = hub
        self.principal = principal
        self.owner_id = principal.id
        self.token_digest = hash_token(token)
        self.mailbox = outbox.Mailbox(self.kind, self.owner_id, 0, hub.clock.now())
        self.presence_id: int | None = None
        self.sent: dict[str, dict[str, Any]] = {}
        self.revoked = False
        self.expires_at: dt.datetime | None = None  # a staff login's end: the stream closes then

    def snapshots(self, db: Session) -> list[dict[str, Any]]:
        raise NotImplementedError

    def open(self) -> None:
        now = self.hub.clock.now()
        with self.hub.sessions() as db:
            self.mailbox = outbox.Mailbox.open(db, self.kind, self.owner_id, now)
            self.presence_id = presence.open_stream(
                db, self.kind, self.owner_id, now, self.hub.process_id
            )
            db.commit()

    def read(self) -> list[dict[str, Any]]:
        """The snapshots that changed, then every message posted since the last read.

        Checks the credential each time: a re-enrolled booth's old token, a logged-out or
        signed-in-elsewhere console, a disabled account lose their stream at once (`revoked`).
        Reads take no write lock; an idle stream reads nothing at all (its presence row is
        refreshed with all of this process's, hub.app).
        """
        now = self.hub.clock.now()
        with self.hub.read() as db:
            if not still_valid(db, self.principal, self.token_digest, now):
                self.revoked = True
            else:
                self.expires_at = expires_at(db, self.principal, self.token_digest)
            messages = []
            for snapshot in [] if self.revoked else self.snapshots(db):
                if self.sent.get(snapshot["type"]) != snapshot:
                    messages.append(snapshot)
                    self.sent[snapshot["type"]] = snapshot
            messages.extend(self.mailbox.collect(db, now))
        return messages

    def close(self) -> None:
        if self.presence_id is None:
            return
        with self.hub.sessions() as db:
            presence.close_stream(db, self.presence_id, self.hub.clock.now())
            db.commit()


async def refuse(websocket: WebSocket, code: str, params: dict[str, Any] | None = None) -> None:
    """Accept, explain, close: a refused handshake would reach the client as a bare 403."""
    await websocket.send_json({"type": "error", **error_body(code, params)})
    await websocket.close(code=CLOSE_CODES.get(code, 4400))


async def admit(websocket: WebSocket, check: Callable[..., T], *args: Any) -> T | None:
    """Accept the connection, then run the credential `check` on a worker thread. A refusal is
    told in the error shape before the close: the check's own (unauthorized, forbidden), or
    `unavailable` while the database is away (the client retries; nothing in the log but a line).
    None when refused."""
    await websocket.accept()
    try:
        return await run_in_threadpool(check, *args)
    except ApiError as err:
        await refuse(websocket, err.code, err.params)
    except (DBAPIError, PoolTimeout) as err:
        log.warning(
            "event stream refused, database unavailable: %s", str(err).splitlines()[0][:200]
        )
        await refuse(websocket, ErrorCode.UNAVAILABLE, {"retry_after": RETRY_AFTER})
    return None


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, to notice when it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


async def _until_done(
    attempt: Callable[[], Awaitable[Any]], receiver: asyncio.Task, feed: Feed
) -> Any:
    """Run a database step of the stream, retrying while the database is unreachable (a
    PostgreSQL restart, a locked or full SQLite file): the stream waits, it does not end."""
    delay = 0.2
    while not receiver.done():
        try:
            return await attempt()
        except DBAPIError as err:
            log.warning(
                "%s %s stream waits for the database: %s",
                feed.kind,
                feed.owner_id,
                str(err).splitlines()[0][:200],
            )
            await asyncio.wait({receiver}, timeout=delay)
            delay = min(delay * 2, 5.0)
    return None


async def serve(websocket: WebSocket, hub: HubContext, feed: Feed, topics: Iterable[Topic]) -> None:
    """Run an accepted, authorised stream until the client goes away."""
    wake = hub.broadcaster.subscribe(topics)
    receiver = asyncio.create_task(_drain(websocket))
    loop = asyncio.get_running_loop()
    next_ping = loop.time() + hub.ping_seconds
    try:
        await _until_done(lambda: run_in_threadpool(feed.open), receiver, feed)
        while not receiver.done():
            wake.clear()
            messages = await _until_done(lambda: run_in_threadpool(feed.read), receiver, feed)
            for message in messages or []:
                await websocket.send_json(message)
            if feed.revoked:
                await refuse(websocket, "unauthorized", {"reason": "revoked"})
                break
            # Spread over +-25 %: streams opened together (booths after a restart) do not
            # re-read together. A ping is sent without reading anything.
            recheck_at = loop.time() + hub.recheck_seconds * random.uniform(0.75, 1.25)
            if feed.expires_at is not None:  # an expiring login closes at its expiry moment
                left = (feed.expires_at - hub.clock.now()).total_seconds()
                recheck_at = min(recheck_at, loop.time() + max(0.0, left) + 0.05)
            while not receiver.done() and not wake.is_set() and loop.time() < recheck_at:
                timeout = max(0.0, min(recheck_at, next_ping) - loop.time())
                waiter = asyncio.create_task(wake.wait())
                await asyncio.wait(
                    {waiter, receiver}, timeout=timeout, return_when="FIRST_COMPLETED"
                )
                waiter.cancel()
                if loop.time() >= next_ping and not receiver.done():
                    await websocket.send_json({"type": "ping"})
                    next_ping = loop.time() + hub.ping_seconds
    except (WebSocketDisconnect, RuntimeError, OSError) as err:
        log.debug("%s %s event stream ended: %s", feed.kind, feed.owner_id, err)
    finally:
        hub.broadcaster.unsubscribe(wake)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver
        with contextlib.suppress(Exception):
            await run_in_threadpool(feed.close)
        # The owner's grace period starts now; settle it on time, not at the next sweep.
        grace = (
            hub.settings.agent_grace_seconds
            if feed.kind == presence.AGENT
            else hub.settings.booth_grace_seconds
        )
        hub.sweep_soon(grace + 0.5)
