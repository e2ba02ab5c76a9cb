"""Drops and grace periods: a CS's console or a booth losing its connection.

These run on their own hub with short grace periods (CS 1 s, booth 5 s, the shortest allowed).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from contract.states import AgentStatus
from hub.container import HubContext
from hub.jobs.housekeeping import housekeeping
from hub.realtime.broadcast import Broadcaster
from hub.services.accounts import ensure_agent, ensure_booth, ensure_branch
from hub.services.audit import verify_chain
from hub.services.transitions import check_in, enqueue
from hub.settings import HubSettings
from hub.store.database import open_database
from hub.store.models import Agent, AuditEvent, ServiceSession, StreamPresence, Ticket
from tests.hub.calls import (
    agent_stream,
    booth_stream,
    go_online,
    session_as_booth,
    session_message,
    sessions_message,
    waiting,
)
from tests.hub.harness import Api, HubProcess, Seeder, free_port, write_config

AGENT_GRACE, BOOTH_GRACE = 1, 5


@pytest.fixture(scope="module")
def grace_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, Seeder]]:
    directory: Path = tmp_path_factory.mktemp("grace")
    database_url = f"sqlite:///{directory / 'hub.db'}"
    seeder = Seeder(database_url)
    port = free_port()
    config = write_config(
        directory / "hub.toml",
        database_url,
        port,
        agent_grace_seconds=AGENT_GRACE,
        booth_grace_seconds=BOOTH_GRACE,
    )
    server = HubProcess(config, port, directory / "hub.log")
    yield server, seeder
    server.stop()
    assert "Traceback" not in server.log_path.read_text(), server.log_path.read_text()[-3000:]


@pytest.fixture
def hub(grace_hub: tuple[HubProcess, Seeder]) -> HubProcess:
    return grace_hub[0]


@pytest.fixture
def seeder(grace_hub: tuple[HubProcess, Seeder]) -> Seeder:  # overrides the suite's seeder
    return grace_hub[1]


@pytest.fixture
def api(hub: HubProcess) -> Api:  # overrides the suite's api
    return Api(hub.base_url)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> float:
    """Poll until `check()` holds; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def audit_trail(seeder: Seeder, subjects: list[str]) -> list[tuple[str, str, dict]]:
    with seeder.sessions() as db:
        rows = db.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.subject.in_(subjects))
            .order_by(AuditEvent.seq)
        )
        return [(actor, action, json.loads(details)) for actor, action, details in rows]


def test_console_gone_past_the_grace_period_hands_sessions_back_in_their_old_order(
    api: Api, seeder: Seeder, hub: HubProcess
):
    branch = seeder.branch(booths=3, agents=2)
    booths = [booth_stream(hub, branch, i) for i in range(3)]  # booths stay connected
    try:
        cs = go_online(api, branch, 0, capacity=2)
        console = agent_stream(hub, branch, 0, cs)
        first = waiting(api, seeder, branch, 0)
        second = waiting(api, seeder, branch, 1, priority=True)
        third = waiting(api, seeder, branch, 2)
        assert [first["state"], second["state"], third["state"]] == [
            "assigned", "assigned", "waiting"
        ]  # fmt: skip
        console.next(sessions_message(lambda ss: len(ss) == 2))
        console.close()
        closed_at = time.monotonic()
        time.sleep(AGENT_GRACE * 0.5)
        assert session_as_booth(api, branch, 0, first["id"])["state"] == "assigned"  # in grace
        eventually(lambda: session_as_booth(api, branch, 0, first["id"])["state"] == "waiting")
        assert time.monotonic() - closed_at < AGENT_GRACE + 4  # on time, not at a later sweep
        # back at the head of the queue: priority first, then by when they first queued
        order = {
            s["id"]: s["position"]
            for s in (
                session_as_booth(api, branch, i, x["id"])
                for i, x in enumerate((first, second, third))
            )
        }
        assert order == {second["id"]: 1, first["id"]: 2, third["id"]: 3}
        booths[1].next(session_message(lambda s: s["state"] == "waiting" and s["position"] == 1))
        status, me = api.get("/api/v1/agents/me", cs)
        assert (status, me["agent"]["status"], me["sessions"]) == (200, "offline", [])

        go_online(api, branch, 1, capacity=1)  # dispatch runs again
        again = session_as_booth(api, branch, 1, second["id"])
        assert (again["state"], again["agent"]["id"]) == ("assigned", branch.agents[1].id)

        agent_id = branch.agents[0].id
        trail = audit_trail(
            seeder, [f"agent:{agent_id}", f"session:{first['id']}", f"session:{second['id']}"]
        )
        actions = [(actor, action) for actor, action, _ in trail]
        assert (f"agent:{agent_id}", "agent_connected") in actions
        assert (f"agent:{agent_id}", "agent_disconnected") in actions
        hand_backs = [d for actor, action, d in trail if action == "hand_back"]
        assert hand_backs == [{"agent_id": agent_id, "reason": "agent_dropped"}] * 2
        status_change = [d for a, action, d in trail if action == "agent_status" and a == "system"]
        assert status_change[0]["to"] == "offline" and status_change[0]["reason"] == "agent_dropped"
        with seeder.sessions() as db:
            assert verify_chain(db).ok
    finally:
        for stream in booths:
            stream.close()


def test_console_back_within_the_grace_period_keeps_its_sessions(
    api: Api, seeder: Seeder, hub: HubProcess
):
    branch = seeder.branch(booths=1, agents=1)
    with booth_stream(hub, branch, 0):
        cs = go_online(api, branch, 0)
        session = waiting(api, seeder, branch, 0)
        agent_stream(hub, branch, 0, cs).close()
        with agent_stream(hub, branch, 0, cs) as console:  # a page reload
            console.next(sessions_message(lambda ss: len(ss) == 1))
            time.sleep(AGENT_GRACE + 1)  # the check at grace + 0.5 s has run
            assert session_as_booth(api, branch, 0, session["id"])["state"] == "assigned"
        eventually(lambda: session_as_booth(api, branch, 0, session["id"])["state"] == "waiting")


def test_cs_who_never_opened_a_console_is_not_subject_to_the_grace_period(
    api: Api, seeder: Seeder, hub: HubProcess
):
    branch = seeder.branch(booths=1, agents=1)
    with booth_stream(hub, branch, 0):
        cs = go_online(api, branch, 0)  # an API client, no event stream
        session = waiting(api, seeder, branch, 0)
        time.sleep(AGENT_GRACE + 1.5)
        assert session_as_booth(api, branch, 0, session["id"])["state"] == "assigned"
        assert api.get("/api/v1/agents/me", cs)[1]["agent"]["status"] == "online"


def test_booth_drop_shows_offline_keeps_the_session_then_gives_the_ticket_back(
    api: Api, seeder: Seeder, hub: HubProcess
):
    branch = seeder.branch(booths=1, agents=1)
    cs = go_online(api, branch, 0)
    booth = booth_stream(hub, branch, 0)
    session = waiting(api, seeder, branch, 0)
    sid = session["id"]
    api.post(f"/api/v1/sessions/{sid}/accept", cs)
    with agent_stream(hub, branch, 0, cs) as console:
        console.next(sessions_message(lambda ss: ss and ss[0]["booth_online"] is True))
        booth.close()
        console.next(sessions_message(lambda ss: ss and ss[0]["booth_online"] is False), 4)
        # the booth restarts within the grace period: same session, online again
        with booth_stream(hub, branch, 0) as back:
            back.next(session_message(lambda s: s["id"] == sid and s["state"] == "connecting"))
            console.next(sessions_message(lambda ss: ss and ss[0]["booth_online"] is True))
        dropped = time.monotonic()  # the hub notices a moment later, never earlier
        console.next(sessions_message(lambda ss: ss and ss[0]["booth_online"] is False), 4)
        time.sleep(max(0.0, dropped + BOOTH_GRACE - 1.5 - time.monotonic()))
        assert session_as_console(api, cs, sid)["state"] == "connecting"  # still in grace
        console.next(sessions_message(lambda ss: ss == []), timeout=BOOTH_GRACE + 4)
        assert time.monotonic() - dropped < BOOTH_GRACE + 4
    final = session_as_console(api, cs, sid)
    assert final["state"] == "cancelled"
    with seeder.sessions() as db:
        ticket = db.scalar(select(Ticket).where(Ticket.booking_code == final["booking_code"]))
        assert (ticket.status, ticket.checked_in_booth) == ("booked", None)
    trail = audit_trail(seeder, [f"booth:{branch.booths[0].id}", f"session:{sid}"])
    actions = [action for _actor, action, _ in trail]
    assert actions.count("booth_disconnected") == 2 and "booth_connected" in actions
    assert ("system", "cancel") in [(a, act) for a, act, _ in trail]
    assert [d["reason"] for _a, act, d in trail if act == "cancel"] == ["booth_silent"]


def session_as_console(api: Api, cs: str, session_id: int) -> dict:
    status, body = api.get(f"/api/v1/sessions/{session_id}", cs)
    assert status == 200, body
    return body["session"]


def test_stream_left_open_by_a_stopped_process_counts_as_closed_when_last_seen(tmp_path: Path):
    """A hub process killed hard never closes its streams; their rows go stale instead."""
    now = dt.datetime.now(dt.UTC)
    sessions = open_database(f"sqlite:///{tmp_path / 'stale.db'}")
    with sessions.begin() as db:
        ensure_branch(db, "tgc", "Tangerang Cikokol", "Asia/Jakarta")
        booth = ensure_booth(db, "tgc-01", "tgc", "Bilik 1", "tok")
        agent = ensure_agent(db, "cs1", "cs1", "CS 1", "tgc", "pw")
        agent.status = AgentStatus.ONLINE
        booth.last_seen = now
        ticket = Ticket(booking_code="TGC4K7QX", nik="3671011508850001", name="Budi Santoso",
                        branch_id="tgc", date=now.date(), slot_start=dt.time(0),
                        slot_end=dt.time(23, 59))  # fmt: skip
        db.add(ticket)
        db.flush()
        session = check_in(db, booth, ticket, now)
        enqueue(db, session, "booth:tgc-01", now)
        session.state, session.agent_id = "assigned", "cs1"
        for kind, owner in (("agent", "cs1"), ("booth", "tgc-01")):
            db.add(StreamPresence(kind=kind, owner_id=owner, opened_at=now, seen_at=now))
        session_id = session.id
    settings = HubSettings(database_url="sqlite://", data_dir=str(tmp_path), agent_grace_seconds=60)
    hub = HubContext(settings, sessions, Broadcaster(), secret="x" * 16)

    with sessions.begin() as db:  # the process died 31 s ago, right after its last refresh
        for row in db.scalars(select(StreamPresence)):
            row.seen_at = now - dt.timedelta(seconds=31)
    housekeeping(hub)
    with sessions() as db:
        # stale after 30 s: closed as of its last refresh, which is within the 60 s grace
        [closed_at] = db.scalars(select(StreamPresence.closed_at)).all()  # the booth's row is gone
        assert closed_at == now - dt.timedelta(seconds=31)
        assert db.get(ServiceSession, session_id).state == "assigned"

    with sessions.begin() as db:
        for row in db.scalars(select(StreamPresence)):
            row.closed_at = now - dt.timedelta(seconds=61)
    housekeeping(hub)
    with sessions() as db:
        assert db.get(ServiceSession, session_id).state == "waiting"
        assert db.get(Agent, "cs1").status == "offline"
        assert db.scalars(select(StreamPresence)).all() == []
