"""A revoked credential loses its open event stream at once (real server over loopback).

New requests with a revoked token get 401 (tests/hub/inprocess/test_accounts.py); here the
stream that was already open when the credential was revoked is closed with code 4401.
"""

from __future__ import annotations

import time

import websocket

from hub.clock import utc_now
from hub.services.enrollment import issue_code
from tests.hub.calls import Stream, agent_stream, booth_stream
from tests.hub.harness import SECRET, Api, BranchInfo, HubProcess, Seeder


def closed_as_revoked(stream: Stream, within: float = 1.5) -> float:
    """Seconds until the hub said `revoked` and closed the stream with 4401."""
    started = time.monotonic()
    message = stream.next(lambda m: m["type"] == "error", timeout=within)
    elapsed = time.monotonic() - started
    assert message["error"] == {"code": "unauthorized", "params": {"reason": "revoked"}}
    stream.ws.settimeout(2)
    try:
        opcode, data = stream.ws.recv_data(control_frame=True)
    except websocket.WebSocketConnectionClosedException:
        return elapsed
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(data[:2], "big") == 4401
    return elapsed


def test_a_second_login_tells_the_first_console_and_closes_its_stream(
    api: Api, seeder: Seeder, hub_server: HubProcess
):
    branch = seeder.branch(booths=1, agents=1)
    agent = branch.agents[0]
    first = api.login(agent.username, agent.password)
    stream = agent_stream(hub_server, branch, 0, first)
    stream.next(lambda m: m["type"] == "agent")
    second = Api(hub_server.base_url).login(agent.username, agent.password)
    notice = stream.next(lambda m: m["type"] == "signed_in_elsewhere", timeout=1.5)
    status, me = api.get("/api/v1/agents/me", second)
    assert status == 200 and notice["login"] == me["login_id"]
    closed_as_revoked(stream)
    assert api.get("/api/v1/agents/me", first)[0] == 401


def test_logout_closes_the_consoles_stream(api: Api, seeder: Seeder, hub_server: HubProcess):
    branch = seeder.branch(booths=1, agents=1)
    token = api.login(branch.agents[0].username, branch.agents[0].password)
    stream = agent_stream(hub_server, branch, 0, token)
    stream.next(lambda m: m["type"] == "agent")
    assert api.post("/api/v1/agents/logout", token)[0] == 200
    assert closed_as_revoked(stream) < 1.0


def test_re_enrolling_a_booth_closes_the_old_tokens_stream(
    api: Api, seeder: Seeder, hub_server: HubProcess, branch: BranchInfo
):
    stream = booth_stream(hub_server, branch, 0)
    stream.next(lambda m: m["type"] == "session")
    with seeder.sessions.begin() as db:
        code = issue_code(db, SECRET, branch.id, branch.booths[0].id, None, 15, utc_now())[0]
    status, body = api.post("/api/v1/enroll", json={"code": code})
    assert status == 200 and body["token"] != branch.booths[0].token
    assert closed_as_revoked(stream) < 1.0
    fresh = Stream(
        f"{hub_server.ws_url}/api/v1/booths/{branch.booths[0].id}/events?token={body['token']}"
    )
    assert fresh.next(lambda m: m["type"] == "session")["session"] is None
