"""Database faults: the hub answers the error shape while the database is away or refuses writes,
and heals by itself once the cause is gone (docs/hub-api.md, `unavailable`).

SQLite (a branch hub). The tests run as root, and root writes to a file whatever its mode, so
`chmod` cannot make the database read-only here. The fault is put into the hub's own connections
instead, which is also where the hub's recovery works (hub.store.engine `_replace_broken`,
`_REOPEN_ON`): while the fault lasts, every connection the *write* engine hands out is spoiled
with a per-connection pragma that nothing ever turns back off, exactly like a connection that
SQLite opened read-only on a read-only file, or one that hit a full disk.

- read-only: `PRAGMA query_only = ON`; every write transaction's `BEGIN IMMEDIATE` then fails with
  "attempt to write a readonly database", the message SQLite gives on a read-only file.
- full: `PRAGMA max_page_count = <its page count>`; a write that needs a new page fails with
  "database or disk is full", SQLite's SQLITE_FULL.

Since the spoiled connections stay spoiled, the hub works again afterwards only if it drops a
connection that failed that way instead of giving it back to the pool: the burst of concurrent
writes after the fault checks out many pooled connections, and fails if one of them is an old
one. The hub runs in this process (create_app + uvicorn on a thread, the real lifespan, real
HTTP and WebSocket over loopback) so that the test can reach its engine.

PostgreSQL (a central hub): a real `bilik-hub serve` on a private cluster of its own (stopping
the suite's shared cluster would disturb the other tests), stopped with `pg_ctl stop -m fast` for
about ten seconds while a booth stream is open and clients keep retrying, then started again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from hub.app import create_app
from hub.services.audit import verify_chain
from hub.settings import HubSettings
from hub.store.models import AuditEvent, ServiceSession
from tests.hub.harness import (
    SECRET,
    Api,
    BranchInfo,
    HubProcess,
    Seeder,
    free_port,
    write_config,
)
from tests.postgres import PostgresCluster, PostgresUnavailable

UNAVAILABLE = {"error": {"code": "unavailable", "params": {"retry_after": 5}}}


# --- helpers ---------------------------------------------------------------------------------


class BoothStream:
    """A booth's event stream read on a background thread (websockets' sync client answers the
    server's pings by itself, so a quiet stream is not dropped while the test waits)."""

    def __init__(self, ws_url: str, booth_id: str, token: str) -> None:
        self.url = f"{ws_url}/api/v1/booths/{booth_id}/events?token={token}"
        self._open = contextlib.ExitStack()
        self.ws: ClientConnection = self._open.enter_context(
            connect(self.url, open_timeout=20, proxy=None)
        )
        self.seen: list[dict[str, Any]] = []

    def next(self, predicate: Callable[[dict], bool], timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                break
            self.seen.append(message)
            if message.get("type") == "session" and predicate(message):
                return message
        raise AssertionError(f"expected message did not arrive; saw {self.seen[-5:]}")

    def close(self) -> None:
        self._open.close()


def session_is(session_id: int, state: str) -> Callable[[dict], bool]:
    return lambda m: (m["session"] or {}).get("id") == session_id and m["session"]["state"] == state


def assert_unavailable(response: requests.Response) -> None:
    """The documented shape: JSON 503 `unavailable` with Retry-After; never a trace."""
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.json() == UNAVAILABLE
    assert response.headers["retry-after"] == "5"


def staff_token(api: Api, branch: BranchInfo) -> str:
    agent = branch.agents[0]
    return api.login(agent.username, agent.password)


# --- SQLite: a read-only or full database ----------------------------------------------------


@dataclass
class InThreadHub:
    """The hub app of this process on uvicorn, on a thread, on loopback."""

    base_url: str
    ws_url: str
    write_engine: Engine
    server: uvicorn.Server
    thread: threading.Thread


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[tuple[InThreadHub, Seeder]]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seeder = Seeder(url)
    port = free_port()
    settings = HubSettings().with_overrides(
        database_url=url,
        secret=SECRET,
        data_dir=str(tmp_path / "data"),
        booth_grace_seconds=3600,
        host="127.0.0.1",
        port=port,
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="hub-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.05)
    hub = InThreadHub(
        f"http://127.0.0.1:{port}",
        f"ws://127.0.0.1:{port}",
        app.state.hub.sessions.kw["bind"],
        server,
        thread,
    )
    try:
        yield hub, seeder
    finally:
        server.should_exit = True
        thread.join(20)
        seeder.close()


class SpoilWrites:
    """While `on`, every connection the write engine hands out runs `spoil` first. A read-only
    connection stays read-only for good (as SQLite's own does), so one that went back into the
    pool would stay broken; the disk's limit is lifted from every connection once space is free.
    """

    def __init__(self, engine: Engine, fault: str) -> None:
        self.on = False
        self.spoiled = 0
        self.fault = fault
        event.listen(engine, "checkout", self._checkout)

    def _checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if self.on:
            if self.fault == "read_only":
                dbapi_connection.execute("PRAGMA query_only = ON")
            else:
                pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
                dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")
            record.info["spoiled"] = True
            self.spoiled += 1
        elif self.fault == "full" and record.info.pop("spoiled", False):
            dbapi_connection.execute(f"PRAGMA max_page_count = {2**32 - 2}")  # SQLite's ceiling


#: A heartbeat big enough to need new pages (as many devices and as long details as allowed).
BIG_DEVICES = {f"device-{n}": {"ok": False, "detail": f"{n}" * 500} for n in range(16)}


@pytest.mark.parametrize("fault", ["read_only", "full"])
def test_sqlite_read_only_or_full_answers_unavailable_and_heals_without_a_restart(
    sqlite_hub: tuple[InThreadHub, Seeder], fault: str, caplog: pytest.LogCaptureFixture
):
    hub, seeder = sqlite_hub
    branch = seeder.branch(booths=3, agents=1)
    api = Api(hub.base_url)
    cs = staff_token(api, branch)
    booth0, booth1, booth2 = branch.booths
    before, during, after = (seeder.ticket(branch) for _ in range(3))
    status, body = api.checkin(booth0.token, booking_code=before.booking_code)
    assert status == 201, body
    kept = body["session"]["id"]
    stream = BoothStream(hub.ws_url, booth0.id, booth0.token)
    try:
        stream.next(session_is(kept, "checked_in"))
        if fault == "full":  # no free pages left inside the file: a bigger row needs new ones
            with seeder.sessions() as db:
                db.connection().exec_driver_sql("COMMIT")
                db.connection().exec_driver_sql("VACUUM")
        spoiler = SpoilWrites(hub.write_engine, fault)
        spoiler.on = True

        heartbeat = {"state": "idle", "devices": BIG_DEVICES if fault == "full" else {}}
        checkin = {"booking_code": during.booking_code}
        for _ in range(3):  # it lasts: every retry is refused the same way, none hangs
            beat = api.raw("POST", f"/api/v1/booths/{booth1.id}/heartbeat", booth1.token, heartbeat)
            assert_unavailable(beat)
            if fault == "read_only":  # on a full disk, what fits in the free pages still goes in
                assert_unavailable(api.raw("POST", "/api/v1/checkins", booth1.token, checkin))
                assert_unavailable(
                    api.raw("POST", f"/api/v1/sessions/{kept}/enqueue", booth0.token)
                )
            # reads take no write lock: the console still sees its branch
            assert api.get(f"/api/v1/branches/{branch.id}/booths", cs)[0] == 200
            assert api.get("/api/v1/queue", cs)[0] == 200
        assert spoiler.spoiled >= 3

        spoiler.on = False  # the cause is gone; the hub is not restarted

        def beat(n: int) -> int:
            booth = branch.booths[n % 3]
            return Api(hub.base_url).post(
                f"/api/v1/booths/{booth.id}/heartbeat", booth.token, heartbeat
            )[0]

        with ThreadPoolExecutor(max_workers=24) as pool:  # many pooled connections at once
            assert list(pool.map(beat, range(72))) == [200] * 72
        status, body = api.checkin(booth1.token, booking_code=during.booking_code)
        assert status in (200, 201), body  # 200: a full disk had room for it after all
        status, body = api.post(f"/api/v1/sessions/{kept}/enqueue", booth0.token)
        assert status == 200, body
        # the stream lived through it and still gets the booth's changes
        stream.next(lambda m: (m["session"] or {}).get("id") == kept
                    and m["session"]["state"] in ("waiting", "assigned"))  # fmt: skip
        status, body = api.checkin(booth2.token, booking_code=after.booking_code)
        assert status == 201, body
    finally:
        stream.close()
    with seeder.sessions() as db:
        assert verify_chain(db).ok
    faults = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not faults, [r.getMessage() for r in faults]


# --- PostgreSQL: the connection lost for ten seconds ----------------------------------------


class PausableCluster(PostgresCluster):
    """tests/postgres.py's private cluster, which can also be stopped and started again on the
    same port and data (a database server restarting under a running hub)."""

    def pause(self) -> None:
        self._run("pg_ctl", "stop", "--wait", "--timeout", "30", "--mode", "fast",
                  "--pgdata", str(self.data))  # fmt: skip

    def resume(self) -> None:
        self._run("pg_ctl", "start", "--wait", "--timeout", "60", "--pgdata", str(self.data),
                  "--log", str(self.log_path), "--options", f"-p {self.port}")  # fmt: skip


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[PausableCluster]:
    cluster = PausableCluster()
    try:
        cluster.start()
    except PostgresUnavailable as err:
        cluster.stop()
        pytest.fail(str(err), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop(keep_log=tmp_path / "postgres.log")


@dataclass
class Retrier:
    """A client that keeps calling the hub, recording (sent, answered, status, body, type)."""

    name: str
    call: Callable[[], requests.Response]
    answers: list[tuple[float, float, int, str, str]] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            sent = time.monotonic()
            try:
                response = self.call()
                row = (response.status_code, response.text, response.headers["content-type"])
            except requests.RequestException as err:  # the hub itself must never go away
                row = (0, repr(err), "")
            self.answers.append((sent, time.monotonic(), *row))
            stop.wait(0.2)


@dataclass
class PgHub:
    url: str
    seeder: Seeder
    hub: HubProcess


@pytest.fixture
def pg_hub(own_cluster: PausableCluster, tmp_path: Path) -> Iterator[PgHub]:
    """A `bilik-hub serve` on a database of `own_cluster`; its log must hold no trace."""
    url = own_cluster.new_database("faults")
    seeder = Seeder(url)
    port = free_port()
    hub = HubProcess(write_config(tmp_path / "hub.toml", url, port), port, tmp_path / "hub.log")
    try:
        yield PgHub(url, seeder, hub)
    finally:
        hub.stop()
        seeder.close()
    log = (tmp_path / "hub.log").read_text()
    assert "Traceback" not in log, log[-3000:]


def test_postgres_restart_answers_unavailable_loses_nothing_and_heals(
    own_cluster: PausableCluster, pg_hub: PgHub
):
    url, seeder, hub = pg_hub.url, pg_hub.seeder, pg_hub.hub
    branch = seeder.branch(booths=3, agents=1)
    api = Api(hub.base_url)
    cs = staff_token(api, branch)
    booth0, booth1, booth2 = branch.booths
    before, during = seeder.ticket(branch), seeder.ticket(branch)
    status, body = api.checkin(booth0.token, booking_code=before.booking_code)
    assert status == 201, body
    kept = body["session"]["id"]
    seeder.close()  # its pooled connections would only die with the server

    stream = BoothStream(hub.ws_url, booth0.id, booth0.token)
    stream.next(session_is(kept, "checked_in"))

    def booth_call(booth: Any, method: str, path: str, body: Any = None) -> Callable:
        return lambda: Api(hub.base_url).raw(method, path, booth.token, body)

    clients = [
        Retrier("heartbeat", booth_call(booth1, "POST", f"/api/v1/booths/{booth1.id}/heartbeat",
                                        {"state": "idle", "devices": {}})),
        Retrier("session", booth_call(booth0, "GET", f"/api/v1/sessions/{kept}")),
        Retrier("lookup", booth_call(booth2, "POST", "/api/v1/checkins/lookup",
                                     {"booking_code": during.booking_code})),
        Retrier("queue", lambda: Api(hub.base_url).raw("GET", "/api/v1/queue", cs)),
    ]  # fmt: skip
    stop = threading.Event()
    threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    own_cluster.pause()
    down = time.monotonic()
    time.sleep(10.0)
    up = time.monotonic()
    own_cluster.resume()
    # clients go on retrying until every one of them is answered normally again
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(c.answers and c.answers[-1][2] == 200 for c in clients):
            break
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(10)

    for client in clients:
        outage = [a for a in client.answers if a[0] > down and a[1] < up]
        assert len(outage) >= 5, (client.name, len(outage))
        for _sent, _answered, status, text, kind in client.answers:
            assert status in (200, 503), (client.name, status, text[:500])
            assert kind.startswith("application/json"), (client.name, kind, text[:500])
            assert "Traceback" not in text
            if status == 503:
                assert json.loads(text) == UNAVAILABLE, text
        assert {a[2] for a in outage} == {503}, (client.name, [a[2] for a in outage])
        assert client.answers[-1][2] == 200, (client.name, client.answers[-1][3][:300])

    # nothing committed before the outage is lost, and the hub works again without restart
    status, body = api.get(f"/api/v1/sessions/{kept}", booth0.token)
    assert status == 200 and body["session"]["state"] == "checked_in", body
    status, body = api.checkin(booth1.token, booking_code=during.booking_code)
    assert status == 201, body
    status, body = api.post(f"/api/v1/sessions/{kept}/enqueue", booth0.token)
    assert status == 200, body

    def waiting(message: dict) -> bool:
        session = message["session"] or {}
        return session.get("id") == kept and session["state"] in ("waiting", "assigned")

    try:  # the stream waited for the database rather than ending ...
        stream.next(waiting)
    except ConnectionClosed:  # ... or the booth reconnects, as a booth does
        stream.close()
        stream = BoothStream(hub.ws_url, booth0.id, booth0.token)
        stream.next(waiting)
    stream.close()

    check = Seeder(url)
    try:
        with check.sessions() as db:
            opened = db.scalar(
                select(func.count()).select_from(ServiceSession)
                .where(ServiceSession.branch_id == branch.id)
            )  # fmt: skip
            assert opened == 2  # `kept` and the check-in after the outage, nothing twice
            events = db.scalars(
                select(AuditEvent.action).where(AuditEvent.subject == f"session:{kept}")
            ).all()
            assert sorted(events) == ["check_in", "enqueue"], events
            assert verify_chain(db).ok
    finally:
        check.close()
    assert hub.proc.poll() is None, "the hub exited"


def test_postgres_stream_opened_during_an_outage_is_refused_with_unavailable(
    own_cluster: PausableCluster, pg_hub: PgHub
):
    seeder, hub = pg_hub.seeder, pg_hub.hub
    booth = seeder.branch(booths=1).booths[0]
    seeder.close()
    own_cluster.pause()
    try:
        stream_url = f"{hub.ws_url}/api/v1/booths/{booth.id}/events?token={booth.token}"
        with connect(stream_url, open_timeout=20, proxy=None) as ws:
            first = json.loads(ws.recv(timeout=20))
            assert first == {"type": "error", **UNAVAILABLE}
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=20)
            assert ws.close_code == 1013, ws.close_code  # "try again later", not dropped
    finally:
        own_cluster.resume()
