"""Two hub processes on one database (a SQLite file, a PostgreSQL database) dispatching at the
same time never assign twice, and a change made through one reaches streams held by the other."""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import websocket
from sqlalchemy import select

from hub.services.audit import verify_chain
from hub.store.models import AuditEvent, ServiceSession
from tests.hub.calls import tick_all
from tests.hub.harness import Api, HubProcess, Seeder, free_port, write_config

BOOTHS, AGENTS, CAPACITY = 30, 4, 5


@pytest.fixture(scope="module")
def twin_hubs(
    tmp_path_factory: pytest.TempPathFactory, new_hub_database: Callable[[str], str]
) -> Iterator[tuple[str, list[HubProcess]]]:
    directory: Path = tmp_path_factory.mktemp("twin")
    database_url = new_hub_database("twin")
    Seeder(database_url)  # create the schema once before both start
    hubs = []
    try:
        for name in ("a", "b"):
            port = free_port()
            config = write_config(directory / f"{name}.toml", database_url, port)
            hubs.append(HubProcess(config, port, directory / f"{name}.log"))
        yield database_url, hubs
    finally:
        for hub in hubs:
            hub.stop()


def test_concurrent_dispatch_in_two_processes_assigns_each_session_once(twin_hubs):
    database_url, hubs = twin_hubs
    seeder = Seeder(database_url)
    branch = seeder.branch(booths=BOOTHS, agents=AGENTS)
    apis = [Api(h.base_url) for h in hubs]
    tickets = [seeder.ticket(branch) for _ in range(BOOTHS)]

    def check_in_and_enqueue(i: int) -> int:
        api, booth = apis[i % 2], branch.booths[i]
        status, body = api.checkin(booth.token, booking_code=tickets[i].booking_code)
        assert status == 201, body
        session_id = body["session"]["id"]
        assert api.post(f"/api/v1/sessions/{session_id}/enqueue", booth.token)[0] == 200
        return session_id

    def go_online(i: int) -> str:
        api, agent = apis[i % 2], branch.agents[i]
        token = api.login(agent.username, agent.password)
        status, body = api.post(
            f"/api/v1/agents/{agent.id}/status", token, {"status": "online", "capacity": CAPACITY}
        )
        assert status == 200, body
        return token

    with ThreadPoolExecutor(max_workers=12) as pool:
        # participants queue up while the CS come online, through both processes at once
        queued = [pool.submit(check_in_and_enqueue, i) for i in range(BOOTHS)]
        online = [pool.submit(go_online, i) for i in range(AGENTS)]
        session_ids = [f.result() for f in queued]
        tokens = [f.result() for f in online]

    def states() -> dict[int, tuple[str, str | None]]:
        with seeder.sessions() as db:
            rows = db.execute(
                select(ServiceSession.id, ServiceSession.state, ServiceSession.agent_id).where(
                    ServiceSession.id.in_(session_ids)
                )
            )
            return {r.id: (r.state, r.agent_id) for r in rows}

    first = states()
    assigned = [sid for sid, (state, _) in first.items() if state == "assigned"]
    assert len(assigned) == AGENTS * CAPACITY
    load = collections.Counter(agent for state, agent in first.values() if state == "assigned")
    assert max(load.values()) <= CAPACITY

    # every CS closes all their sessions at once, via both processes: the rest get assigned
    def close(session_id: int) -> None:
        agent_id = first[session_id][1]
        index = next(i for i, a in enumerate(branch.agents) if a.id == agent_id)
        api = apis[session_id % 2]
        assert api.post(f"/api/v1/sessions/{session_id}/accept", tokens[index])[0] == 200
        tick_all(api, tokens[index], session_id)
        status, body = api.post(
            f"/api/v1/sessions/{session_id}/close", tokens[index], {"outcome": "verified"}
        )
        assert status == 200, body

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(close, assigned))

    second = states()
    assert all(second[sid][0] == "closed" for sid in assigned)
    rest = [sid for sid in session_ids if sid not in assigned]
    assert all(second[sid][0] == "assigned" for sid in rest)

    with seeder.sessions() as db:
        details = db.scalars(select(AuditEvent.subject).where(AuditEvent.action == "assign")).all()
        counts = collections.Counter(details)
        assert all(counts[f"session:{sid}"] == 1 for sid in session_ids), counts.most_common(3)
        report = verify_chain(db)
        assert report.ok, report.describe()
    for hub in hubs:
        assert "Traceback" not in hub.log_path.read_text(), hub.log_path.read_text()[-3000:]


def test_booth_stream_on_one_process_sees_a_change_made_through_the_other(twin_hubs):
    database_url, (hub_a, hub_b) = twin_hubs
    seeder = Seeder(database_url)
    branch = seeder.branch(booths=1)
    booth = branch.booths[0]
    ticket = seeder.ticket(branch)
    ws = websocket.create_connection(
        f"{hub_a.ws_url}/api/v1/booths/{booth.id}/events?token={booth.token}", timeout=8
    )
    try:
        assert json.loads(ws.recv()) == {"type": "session", "session": None}
        started = time.monotonic()
        status, body = Api(hub_b.base_url).checkin(booth.token, booking_code=ticket.booking_code)
        assert status == 201
        message = json.loads(ws.recv())
        assert message["session"]["id"] == body["session"]["id"]
        assert time.monotonic() - started < 4  # found by the periodic re-check (~2 s)
    finally:
        ws.close()
