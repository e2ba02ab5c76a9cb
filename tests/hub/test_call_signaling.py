"""The call's life cycle and the signaling relay between console and booth, over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websocket

from hub.realtime.broadcast import Broadcaster, agent_topic, booth_topic, branch_topic
from tests.hub.calls import (
    Stream,
    accept,
    agent_stream,
    booth_stream,
    connected,
    go_online,
    in_call,
    session_as_booth,
    session_message,
    sessions_message,
    waiting,
)
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder, free_port, write_config

OFFER = {"kind": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=console\r\n"}
ANSWER = {"kind": "answer", "sdp": "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=booth\r\n"}


@pytest.fixture
def staffed(seeder: Seeder, hub_server: HubProcess) -> BranchInfo:
    return seeder.branch(booths=3, agents=2)


def signal(api: Api, token: str, session_id: int, data: dict) -> tuple[int, dict]:
    return api.post(f"/api/v1/sessions/{session_id}/signal", token, {"data": data})


def test_accept_makes_the_session_connecting_and_the_booths_report_makes_it_in_call(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    with booth_stream(hub_server, staffed, 0) as booth:
        booth.next(session_message(lambda s: s["state"] == "assigned"))
        accepted = accept(api, cs, session["id"])
        assert (accepted["state"], accepted["on_hold"]) == ("connecting", False)
        assert accepted["started_at"] and accepted["ticket"]["name_masked"] == "Bu** Sa*****"
        assert accepted["ticket"]["nik_masked"].count("*") == 8
        booth.next(session_message(lambda s: s["state"] == "connecting"))
        assert accept(api, cs, session["id"])["state"] == "connecting"  # idempotent
        up = connected(api, staffed, 0, session["id"])
        assert up["state"] == "in_call" and "ticket" not in up  # the booth's view has no ticket
        booth.next(session_message(lambda s: s["state"] == "in_call" and s["booth_online"]))


def test_booth_report_moves_a_failed_call_back_to_connecting(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    path = f"/api/v1/sessions/{session['id']}/call-state"
    token = staffed.booths[0].token
    assert api.post(path, token, {"state": "reconnecting"})[1]["session"]["state"] == "in_call"
    assert api.post(path, token, {"state": "failed"})[1]["session"]["state"] == "connecting"
    assert api.post(path, token, {"state": "connected"})[1]["session"]["state"] == "in_call"
    status, body = api.post(path, token, {"state": "lost"})
    assert (status, body["error"]["params"]) == (422, {"fields": ["state"]})


def test_call_state_before_the_cs_accepts_is_invalid_state(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    status, body = api.post(
        f"/api/v1/sessions/{session['id']}/call-state",
        staffed.booths[0].token,
        {"state": "connected"},
    )
    assert (status, body["error"]["params"]) == (409, {"state": "assigned"})


def test_offer_reaches_the_booth_and_the_answer_reaches_the_console(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    accept(api, cs, session["id"])
    sid = session["id"]
    with (
        booth_stream(hub_server, staffed, 0) as booth,
        agent_stream(hub_server, staffed, 0, cs) as console,
    ):
        console.next(sessions_message(lambda ss: [s["id"] for s in ss] == [sid]))
        booth.next(session_message(lambda s: s["id"] == sid))
        started = time.monotonic()
        assert signal(api, cs, sid, OFFER) == (200, {"ok": True})
        offer = booth.next(lambda m: m["type"] == "signal")
        assert offer == {"type": "signal", "session_id": sid, "data": OFFER}
        assert signal(api, staffed.booths[0].token, sid, ANSWER)[0] == 200
        answer = console.next(lambda m: m["type"] == "signal")
        assert answer == {"type": "signal", "session_id": sid, "data": ANSWER}
        assert time.monotonic() - started < 1.9  # pushed, not found by the 2 s re-check
        assert signal(api, cs, sid, {"kind": "bye"})[0] == 200
        bye = booth.next(lambda m: m["type"] == "signal")
        assert bye["data"] == {"kind": "bye"}


def test_only_the_sessions_booth_and_its_cs_may_signal(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    accept(api, cs, session["id"])
    other_cs = api.login(staffed.agents[1].username, staffed.agents[1].password)
    elsewhere = seeder.branch(booths=1, agents=1)
    foreign_cs = api.login(elsewhere.agents[0].username, elsewhere.agents[0].password)
    for token, code in (
        (staffed.booths[1].token, "booth_mismatch"),
        (elsewhere.booths[0].token, "booth_mismatch"),
        (other_cs, "forbidden"),
        (foreign_cs, "forbidden"),
    ):
        status, body = signal(api, token, session["id"], OFFER)
        assert (status, body["error"]["code"]) == (403, code)
    assert signal(api, "not-a-token", session["id"], OFFER)[0] == 401


def test_console_offers_and_booth_answers_not_the_other_way_round(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    for token, data in ((cs, ANSWER), (staffed.booths[0].token, OFFER)):
        status, body = signal(api, token, session["id"], data)
        assert (status, body["error"]["params"]) == (422, {"fields": ["data.kind"]})
    status, body = signal(api, cs, session["id"], {"kind": "offer"})
    assert (status, body["error"]["params"]) == (422, {"fields": ["data.sdp"]})


def test_signal_for_a_session_no_cs_holds_is_invalid_state(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    session = waiting(api, seeder, staffed, 0)  # nobody online: waiting
    status, body = signal(api, staffed.booths[0].token, session["id"], ANSWER)
    assert (status, body["error"]["params"]) == (409, {"state": "waiting"})


def test_a_signal_goes_only_to_its_own_booth(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    first = waiting(api, seeder, staffed, 0)
    waiting(api, seeder, staffed, 1)
    with (
        booth_stream(hub_server, staffed, 0) as mine,
        booth_stream(hub_server, staffed, 1) as other,
    ):
        mine.next(session_message(lambda s: True))
        other.next(session_message(lambda s: True))
        signal(api, cs, first["id"], OFFER)
        assert mine.next(lambda m: m["type"] == "signal")["session_id"] == first["id"]
        other.quiet(2.5, lambda m: m["type"] == "signal")


def test_reconnected_booth_gets_new_signals_not_old_ones(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    accept(api, cs, session["id"])
    signal(api, cs, session["id"], OFFER)  # nobody listening: the console offers again later
    with booth_stream(hub_server, staffed, 0) as booth:
        booth.next(session_message(lambda s: True))
        fresh = {"kind": "offer", "sdp": "v=0\r\ns=again\r\n"}
        signal(api, cs, session["id"], fresh)
        assert booth.next(lambda m: m["type"] == "signal")["data"] == fresh


def test_agent_stream_sends_sessions_with_ticket_and_the_agent_on_connect_and_on_change(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    with agent_stream(hub_server, staffed, 0, cs) as console:
        assert console.next() == {"type": "sessions", "sessions": []}
        agent = console.next(lambda m: m["type"] == "agent")["agent"]
        assert (agent["status"], agent["active_sessions"]) == ("online", 0)
        session = waiting(api, seeder, staffed, 1, priority=True)
        pushed = console.next(sessions_message(lambda ss: len(ss) == 1))["sessions"][0]
        assert (pushed["id"], pushed["state"], pushed["booth_online"]) == (
            session["id"], "assigned", False
        )  # fmt: skip
        assert pushed["ticket"]["priority"] is True and pushed["ticket"]["slot_start"]
        assert pushed["checklist"]["items"] == dict.fromkeys(
            ["ektp", "kk", "savings_book", "leaving_proof", "npwp"], False
        )
        with booth_stream(hub_server, staffed, 1):
            console.next(sessions_message(lambda ss: ss[0]["booth_online"] is True))
        console.next(sessions_message(lambda ss: ss[0]["booth_online"] is False))
        api.post(f"/api/v1/sessions/{session['id']}/cancel", staffed.booths[1].token)
        console.next(sessions_message(lambda ss: ss == []))


def test_agent_stream_refuses_other_agents_booths_and_bad_tokens(
    api: Api, staffed: BranchInfo, hub_server: HubProcess
):
    other = api.login(staffed.agents[1].username, staffed.agents[1].password)
    for token, close_code in (
        (other, 4403),
        (staffed.booths[0].token, 4403),
        ("bogus", 4401),
    ):
        stream = Stream(
            f"{hub_server.ws_url}/api/v1/agents/{staffed.agents[0].id}/events?token={token}"
        )
        try:
            assert stream.next()["type"] == "error"
            opcode, frame = stream.ws.recv_data()
            assert opcode == websocket.ABNF.OPCODE_CLOSE
            assert int.from_bytes(frame[:2], "big") == close_code
        finally:
            stream.close()


def test_broadcaster_wakes_only_the_streams_of_a_topic():
    async def scenario() -> None:
        broadcaster = Broadcaster()
        broadcaster.bind(asyncio.get_running_loop())
        booth = broadcaster.subscribe([branch_topic("b"), booth_topic("b-01")])
        neighbour = broadcaster.subscribe([branch_topic("b"), booth_topic("b-02")])
        agent = broadcaster.subscribe([agent_topic("cs1")])
        broadcaster.notify([booth_topic("b-01")])
        await asyncio.sleep(0.01)
        assert (booth.is_set(), neighbour.is_set(), agent.is_set()) == (True, False, False)
        booth.clear()
        broadcaster.notify([branch_topic("b")])
        await asyncio.sleep(0.01)
        assert (booth.is_set(), neighbour.is_set(), agent.is_set()) == (True, True, False)
        broadcaster.unsubscribe(agent)
        broadcaster.notify([agent_topic("cs1")])
        await asyncio.sleep(0.01)
        assert not agent.is_set()

    asyncio.run(scenario())


# Several hub processes on one database ----------------------------------------------------------


@pytest.fixture(scope="module")
def second_hub(
    tmp_path_factory: pytest.TempPathFactory, hub_db: str, hub_server: HubProcess
) -> Iterator[HubProcess]:
    """Another process on the suite's database (the branch hub behind a load balancer)."""
    directory: Path = tmp_path_factory.mktemp("second-hub")
    port = free_port()
    server = HubProcess(
        write_config(directory / "hub.toml", hub_db, port), port, directory / "hub.log"
    )
    yield server
    server.stop()


def test_signals_cross_hub_processes_both_ways(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess, second_hub: HubProcess
):
    other_api = Api(second_hub.base_url)
    cs = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    sid = session["id"]
    accept(api, cs, sid)
    with (
        agent_stream(hub_server, staffed, 0, cs) as console,
        booth_stream(second_hub, staffed, 0) as booth,
    ):
        console.next(sessions_message(lambda ss: ss and ss[0]["booth_online"]), timeout=4)
        booth.next(session_message(lambda s: s["state"] == "connecting"))
        started = time.monotonic()
        assert signal(api, cs, sid, OFFER)[0] == 200  # accepted by A, booth listens on B
        assert booth.next(lambda m: m["type"] == "signal", timeout=4)["data"] == OFFER
        assert signal(other_api, staffed.booths[0].token, sid, ANSWER)[0] == 200
        assert console.next(lambda m: m["type"] == "signal", timeout=4)["data"] == ANSWER
        assert time.monotonic() - started < 6  # two re-checks (~2 s each) at most
        connected(other_api, staffed, 0, sid)
        console.next(sessions_message(lambda ss: ss[0]["state"] == "in_call"), timeout=4)
    assert session_as_booth(api, staffed, 0, sid)["state"] == "in_call"
