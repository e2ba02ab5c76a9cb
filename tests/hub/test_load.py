"""One hub process under many clients at once: every request is answered, and a thousand open
event streams do not hold up look-ups (issue 8, "a transaction model that cannot deadlock").

The hub used to stall for good at ~40 concurrent database users (every worker thread waiting for
a pooled connection or the SQLite write lock). These tests assert that everything is *answered*
(a 2xx or a documented refusal) within a generous time, never that it is fast: speed is
`bench.central`'s business, and this machine is shared. Each runs on SQLite and on PostgreSQL,
against a `bilik-hub serve` of its own (its database from `new_hub_database`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import random
import resource
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import func, select

from contract.errors import ErrorCode
from contract.states import ACTIVE_AGENT_STATES, OPEN_SESSION_STATES
from hub.services.audit import verify_chain
from hub.store.models import ServiceSession, StreamPresence
from tests.hub.harness import AgentInfo, BranchInfo, HubProcess, Seeder, free_port, write_config

#: The assertion is "answered", not "fast": no request may take longer than this.
ANSWER_WITHIN = 60.0
STREAMS = 1000


def _raise_open_files(needed: int) -> None:
    """This process holds one socket per stream, and so does the hub it starts (it inherits the
    limit): raise the soft limit as far as the hard one allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == resource.RLIM_INFINITY or soft >= needed, f"open-file limit {soft} < {needed}"


@pytest.fixture(scope="module")
def load_hub(
    new_hub_database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[HubProcess, Seeder]]:
    _raise_open_files(2 * STREAMS + 1000)
    url = new_hub_database("load")
    seeder = Seeder(url)
    directory: Path = tmp_path_factory.mktemp("load-hub")
    port = free_port()
    hub = HubProcess(write_config(directory / "hub.toml", url, port), port, directory / "hub.log")
    try:
        yield hub, seeder
    finally:
        hub.stop()
        seeder.close()
    log = hub.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]


# --- what the clients saw -------------------------------------------------------------------


@dataclass
class Answer:
    what: str  # e.g. "POST checkin"
    status: int  # 0: no answer (timeout, connection error)
    code: str | None  # the error code of a refusal
    sent: float
    answered: float
    detail: str = ""
    body: Any = None  # the JSON of a 2xx


@dataclass
class Record:
    answers: list[Answer] = field(default_factory=list)

    async def call(
        self, client: httpx.AsyncClient, what: str, method: str, path: str, token: str, body=None
    ) -> Answer:
        sent = time.monotonic()
        try:
            response = await client.request(
                method, path, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as err:
            answer = Answer(what, 0, None, sent, time.monotonic(), repr(err))
        else:
            code = None
            if response.status_code >= 400:
                try:
                    code = response.json()["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "<not the error shape>"
            ok = response.status_code < 300
            answer = Answer(what, response.status_code, code, sent, time.monotonic())
            answer.detail, answer.body = (
                ("", response.json()) if ok else (response.text[:300], None)
            )
        self.answers.append(answer)
        return answer

    def unexpected(self, allowed: dict[str, set[str]]) -> list[Answer]:
        """Answers that are neither 2xx nor a refusal `allowed` for that kind of request."""
        return [
            a
            for a in self.answers
            if not (200 <= a.status < 300 or a.code in allowed.get(a.what, set()))
        ]


def _check_documented(answers: list[Answer]) -> None:
    for answer in answers:
        if answer.code is not None:
            assert answer.code in set(ErrorCode), answer


async def _poll_health(client: httpx.AsyncClient, stop: asyncio.Event, seen: list[Answer]) -> None:
    """/healthz every quarter second while the load lasts (it shares the worker threads)."""
    while not stop.is_set():
        sent = time.monotonic()
        try:
            status = (await client.get("/healthz")).status_code
        except httpx.HTTPError as err:
            seen.append(Answer("healthz", 0, None, sent, time.monotonic(), repr(err)))
        else:
            seen.append(Answer("healthz", status, None, sent, time.monotonic()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


#: One TLS context for all clients: httpx would build one per client (costly for 200), and
#: these talk plain HTTP over loopback anyway.
_TLS = ssl.create_default_context()


def _client(hub: HubProcess, connections: int | None = None) -> httpx.AsyncClient:
    """`connections=1`: one client as a booth or a console is, with a connection of its own
    that it keeps alive between requests (a shared pool would hand a request a connection that
    sat idle for the server's keep-alive timeout, and the two race to use and close it)."""
    return httpx.AsyncClient(
        base_url=hub.base_url,
        timeout=ANSWER_WITHIN,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        trust_env=False,
        verify=_TLS,
    )


# --- 200 clients at once ----------------------------------------------------------------------

BRANCHES, BOOTHS_PER_BRANCH, CS_PER_BRANCH = 10, 18, 2  # 180 booths + 20 CS = 200 clients
CAPACITY = 5


async def _booth_client(
    client: httpx.AsyncClient,
    record: Record,
    start: asyncio.Event,
    branch: BranchInfo,
    booth_index: int,
    codes: tuple[str, str],
) -> None:
    booth = branch.booths[booth_index]
    token = booth.token
    beat = {"state": "idle", "devices": {"camera": {"ok": True}}}
    await start.wait()
    await record.call(client, "POST heartbeat", "POST", f"/api/v1/booths/{booth.id}/heartbeat",
                      token, beat)  # fmt: skip
    first = await record.call(client, "POST checkin", "POST", "/api/v1/checkins", token,
                              {"booking_code": codes[0]})  # fmt: skip
    if first.status != 201:
        return
    session_id = first.body["session"]["id"]
    await record.call(client, "GET session", "GET", f"/api/v1/sessions/{session_id}", token)
    await record.call(client, "POST enqueue", "POST", f"/api/v1/sessions/{session_id}/enqueue",
                      token)  # fmt: skip
    await record.call(client, "GET booth session", "GET", f"/api/v1/booths/{booth.id}/session",
                      token)  # fmt: skip
    await record.call(client, "POST heartbeat", "POST", f"/api/v1/booths/{booth.id}/heartbeat",
                      token, {**beat, "state": "waiting"})  # fmt: skip
    # the participant leaves and the next one checks in: the waiting session is replaced, one
    # a CS already holds is refused with invalid_state
    second = await record.call(client, "POST checkin again", "POST", "/api/v1/checkins", token,
                               {"booking_code": codes[1]})  # fmt: skip
    if second.status == 201:
        session_id = second.body["session"]["id"]
    await record.call(client, "GET session", "GET", f"/api/v1/sessions/{session_id}", token)


async def _cs_client(
    client: httpx.AsyncClient,
    record: Record,
    start: asyncio.Event,
    branch: BranchInfo,
    agent: AgentInfo,
    token: str,
) -> None:
    await start.wait()
    await record.call(client, "POST status", "POST", f"/api/v1/agents/{agent.id}/status", token,
                      {"status": "online", "capacity": CAPACITY})  # fmt: skip
    for _ in range(3):
        await record.call(client, "GET queue", "GET", "/api/v1/queue", token)
        await record.call(client, "GET booths", "GET", f"/api/v1/branches/{branch.id}/booths",
                          token)  # fmt: skip
        await record.call(client, "GET own sessions", "GET", f"/api/v1/agents/{agent.id}/sessions",
                          token)  # fmt: skip


def test_two_hundred_concurrent_clients_are_all_answered(load_hub):
    hub, seeder = load_hub
    branches = [
        seeder.branch(booths=BOOTHS_PER_BRANCH, agents=CS_PER_BRANCH, max_capacity=CAPACITY)
        for _ in range(BRANCHES)
    ]
    tickets = {
        b.id: [(seeder.ticket(b).booking_code, seeder.ticket(b).booking_code) for _ in b.booths]
        for b in branches
    }
    logins: list[tuple[BranchInfo, AgentInfo, str]] = []
    with httpx.Client(base_url=hub.base_url, timeout=ANSWER_WITHIN, trust_env=False) as http:
        for branch in branches:
            for agent in branch.agents:
                response = http.post(
                    "/api/v1/agents/login",
                    json={"username": agent.username, "password": agent.password},
                )
                assert response.status_code == 200, response.text
                logins.append((branch, agent, response.json()["token"]))

    record, health = Record(), []

    async def run() -> float:
        start, stop = asyncio.Event(), asyncio.Event()
        async with contextlib.AsyncExitStack() as stack:

            async def own() -> httpx.AsyncClient:
                return await stack.enter_async_context(_client(hub, connections=1))

            clients = [
                _booth_client(await own(), record, start, branch, i, tickets[branch.id][i])
                for branch in branches
                for i in range(BOOTHS_PER_BRANCH)
            ] + [_cs_client(await own(), record, start, *login) for login in logins]
            assert len(clients) == 200
            tasks = [asyncio.create_task(c) for c in clients]
            await asyncio.sleep(0.2)  # every client is waiting at the start line
            poller = asyncio.create_task(_poll_health(await own(), stop, health))
            began = time.monotonic()
            start.set()
            await asyncio.gather(*tasks)
            ended = time.monotonic()
            stop.set()
            await poller
            return ended - began

    took = asyncio.run(run())

    allowed = {"POST checkin again": {"invalid_state"}}  # a CS holds the first participant
    assert not record.unexpected(allowed), collections.Counter(
        (a.what, a.status, a.code, a.detail[:120]) for a in record.unexpected(allowed)
    ).most_common(8)
    _check_documented(record.answers)
    assert max(a.answered - a.sent for a in record.answers) < ANSWER_WITHIN
    kinds = collections.Counter(a.what for a in record.answers)
    assert kinds["POST checkin"] == BRANCHES * BOOTHS_PER_BRANCH
    assert kinds["POST enqueue"] == BRANCHES * BOOTHS_PER_BRANCH
    assert kinds["GET queue"] == 3 * BRANCHES * CS_PER_BRANCH
    # /healthz was answered while the load was going on, every time it was asked
    assert all(h.status == 200 for h in health), [h for h in health if h.status != 200][:3]
    last = max(a.answered for a in record.answers)
    assert any(h.answered < last for h in health), (took, len(health))

    # and what the hub did under it is consistent: one open session per booth, no CS over
    # capacity, an unbroken audit chain
    with seeder.sessions() as db:
        ids = [b.id for branch in branches for b in branch.booths]
        per_booth = collections.Counter(
            db.scalars(
                select(ServiceSession.booth_id).where(
                    ServiceSession.booth_id.in_(ids), ServiceSession.state.in_(OPEN_SESSION_STATES)
                )
            )
        )
        assert set(per_booth.values()) == {1} and len(per_booth) == len(ids)
        agents = [a.id for branch in branches for a in branch.agents]
        load = collections.Counter(
            db.scalars(
                select(ServiceSession.agent_id).where(
                    ServiceSession.agent_id.in_(agents),
                    ServiceSession.state.in_(ACTIVE_AGENT_STATES),
                )
            )
        )
        assert max(load.values()) <= CAPACITY
        assert verify_chain(db).ok


# --- a thousand open streams -----------------------------------------------------------------


class Streams:
    """Booth event streams held with `websockets` (asyncio): one reader task per connection."""

    def __init__(self, hub: HubProcess) -> None:
        self.hub = hub
        self.inbox: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.sockets: list[Any] = []
        self.readers: list[asyncio.Task] = []
        self.ended: list[str] = []

    async def open(self, booth_id: str, token: str) -> None:
        ws = await websockets.connect(
            f"{self.hub.ws_url}/api/v1/booths/{booth_id}/events?token={token}",
            open_timeout=ANSWER_WITHIN,
            ping_interval=None,  # the hub pings; this side only answers
            compression=None,  # as the booth's own client
            proxy=None,
        )
        self.sockets.append(ws)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.inbox[booth_id] = queue
        self.readers.append(asyncio.create_task(self._read(booth_id, ws, queue)))

    async def _read(self, booth_id: str, ws: Any, queue: asyncio.Queue) -> None:
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") != "ping":
                    queue.put_nowait(message)
        except websockets.ConnectionClosed:
            pass
        self.ended.append(booth_id)

    async def expect(self, booth_id: str, predicate, timeout: float = ANSWER_WITHIN) -> dict:
        queue, deadline = self.inbox[booth_id], time.monotonic() + timeout
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                break
            seen.append(message)
            if predicate(message):
                return message
        raise AssertionError(f"{booth_id}: expected message did not arrive; saw {seen[-3:]}")

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


def _session_null(message: dict) -> bool:
    return message == {"type": "session", "session": None}


@pytest.mark.timeout(240)
def test_a_thousand_open_streams_while_lookups_go_on(load_hub):
    hub, seeder = load_hub
    branches = [seeder.branch(booths=8) for _ in range(STREAMS // 8)]  # 125 branches × 8 booths
    booths = [(branch, booth) for branch in branches for booth in branch.booths]
    assert len(booths) == STREAMS
    rng = random.Random(8)
    lookups = [(b, rng.choice(b.booths), seeder.ticket(b).booking_code) for b in branches]
    changed = [
        (b, b.booths[rng.randrange(8)], seeder.ticket(b).booking_code) for b in branches[:50]
    ]
    record, health = Record(), []

    async def run() -> None:
        streams = Streams(hub)
        gate = asyncio.Semaphore(100)  # connect a hundred at a time, as booths after a restart

        async def open_one(booth) -> None:
            async with gate:
                await streams.open(booth.id, booth.token)

        try:
            await asyncio.gather(*(open_one(booth) for _, booth in booths))
            # every stream is served: its first message is the booth's (empty) session
            await asyncio.gather(*(streams.expect(b.id, _session_null) for _, b in booths))
            assert not streams.ended
            async with contextlib.AsyncExitStack() as stack:

                async def own() -> httpx.AsyncClient:
                    return await stack.enter_async_context(_client(hub, connections=1))

                stop = asyncio.Event()
                poller = asyncio.create_task(_poll_health(await own(), stop, health))

                async def look_up(worker: int) -> None:
                    client = await own()
                    for i in range(worker, len(lookups) * 2, 20):  # each ticket twice
                        _branch, booth, code = lookups[i % len(lookups)]
                        await record.call(client, "POST lookup", "POST", "/api/v1/checkins/lookup",
                                          booth.token, {"booking_code": code})  # fmt: skip

                async def change(branch: BranchInfo, booth, code: str) -> None:
                    client = await own()
                    answer = await record.call(client, "POST checkin", "POST", "/api/v1/checkins",
                                               booth.token, {"booking_code": code})  # fmt: skip
                    assert answer.status == 201, answer
                    session_id = answer.body["session"]["id"]
                    path = f"/api/v1/sessions/{session_id}/enqueue"
                    await record.call(client, "POST enqueue", "POST", path, booth.token)
                    await streams.expect(
                        booth.id,
                        lambda m: (
                            (m["session"] or {}).get("id") == session_id
                            and m["session"]["state"] == "waiting"
                        ),
                    )

                await asyncio.gather(
                    *(look_up(w) for w in range(20)), *(change(*c) for c in changed)
                )
                stop.set()
                await poller
            assert not streams.ended, streams.ended[:5]
            with seeder.sessions() as db:
                ids = [b.id for _, b in booths]
                open_rows = db.scalar(
                    select(func.count(func.distinct(StreamPresence.owner_id))).where(
                        StreamPresence.kind == "booth",
                        StreamPresence.owner_id.in_(ids),
                        StreamPresence.closed_at.is_(None),
                    )
                )
            assert open_rows == STREAMS
        finally:
            await streams.close()

    asyncio.run(run())
    assert not record.unexpected({}), record.unexpected({})[:5]
    assert collections.Counter(a.what for a in record.answers)["POST lookup"] == 2 * len(lookups)
    assert health and all(h.status == 200 for h in health)
