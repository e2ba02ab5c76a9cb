"""`bilik-hub serve --workers N`: N processes on one port serve one hub, and a worker that dies
is replaced while the others go on (a central hub; on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.hub.calls import booth_stream, go_online, session_message
from tests.hub.harness import Api, HubProcess, Seeder, free_port, write_config


def workers_of(server: HubProcess) -> set[int]:
    """The worker processes uvicorn's supervisor started (children running spawn_main)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server.proc.pid and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def workers_hub(
    tmp_path_factory: pytest.TempPathFactory, new_hub_database: Callable[[str], str]
) -> Iterator[tuple[str, HubProcess]]:
    directory = tmp_path_factory.mktemp("workers")
    database_url = new_hub_database("workers")
    port = free_port()
    config = write_config(directory / "hub.toml", database_url, port)
    server = HubProcess(config, port, directory / "hub.log", extra_args=["--workers", "2"])
    yield database_url, server
    server.stop()


def test_two_workers_serve_one_hub_and_a_dead_worker_is_replaced(workers_hub):
    database_url, server = workers_hub
    assert wait_for(lambda: len(workers_of(server)) == 2), "two worker processes"
    seeder = Seeder(database_url)
    try:
        branch = seeder.branch(booths=1, agents=1)
        booth = branch.booths[0]
        ticket = seeder.ticket(branch)
        # each request a new connection: they land on either worker, the answer is the same
        with booth_stream(server, branch, 0) as stream:
            api = Api(server.base_url)
            status, body = api.checkin(booth.token, booking_code=ticket.booking_code)
            assert status == 201, body
            session_id = body["session"]["id"]
            assert api.post(f"/api/v1/sessions/{session_id}/enqueue", booth.token)[0] == 200
            go_online(api, branch, 0)
            stream.next(session_message(lambda s: s and s["state"] == "assigned"))

        victim = min(workers_of(server))
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda: victim not in workers_of(server) and len(workers_of(server)) == 2)
        assert wait_for(lambda: Api(server.base_url).get("/healthz")[0] == 200)
        status, body = Api(server.base_url).get(f"/api/v1/sessions/{session_id}", booth.token)
        assert status == 200 and body["session"]["state"] == "assigned", body
    finally:
        seeder.close()
    assert server.proc.poll() is None, "the supervisor stays up"
