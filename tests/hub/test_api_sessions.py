"""Sessions, dispatch, CS and booth endpoints and the booth event stream, over loopback."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import websocket

from tests.hub.calls import FULL_CHECKLIST
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder


@pytest.fixture
def staffed(seeder: Seeder, hub_server: HubProcess) -> BranchInfo:
    """A branch with three booths and two CS accounts (both offline)."""
    return seeder.branch(booths=3, agents=2)


def checked_in(api: Api, seeder: Seeder, branch: BranchInfo, booth: int, **ticket: Any) -> dict:
    t = seeder.ticket(branch, **ticket)
    status, body = api.checkin(branch.booths[booth].token, booking_code=t.booking_code)
    assert status == 201, body
    return body["session"]


def waiting(api: Api, seeder: Seeder, branch: BranchInfo, booth: int, **ticket: Any) -> dict:
    session = checked_in(api, seeder, branch, booth, **ticket)
    status, body = api.post(f"/api/v1/sessions/{session['id']}/enqueue", branch.booths[booth].token)
    assert status == 200, body
    return body["session"]


def go_online(api: Api, branch: BranchInfo, agent: int, capacity: int = 5) -> tuple[str, dict]:
    info = branch.agents[agent]
    token = api.login(info.username, info.password)
    status, body = api.post(
        f"/api/v1/agents/{info.id}/status", token, {"status": "online", "capacity": capacity}
    )
    assert status == 200, body
    return token, body["agent"]


def accepted(api: Api, cs_token: str, session: dict, checklist: dict | None = None) -> None:
    """The CS accepts the call (and ticks the checklist): a session the hub lets them close."""
    assert api.post(f"/api/v1/sessions/{session['id']}/accept", cs_token)[0] == 200
    if checklist is not None:
        assert api.put(f"/api/v1/sessions/{session['id']}/checklist", cs_token, checklist)[0] == 200


def session_of(api: Api, branch: BranchInfo, booth: int, session_id: int) -> dict:
    status, body = api.get(f"/api/v1/sessions/{session_id}", branch.booths[booth].token)
    assert status == 200, body
    return body["session"]


def test_enqueued_session_is_assigned_when_a_cs_goes_online(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    session = waiting(api, seeder, staffed, 0)
    assert (session["state"], session["position"], session["eta_seconds"]) == ("waiting", 1, None)
    _, agent = go_online(api, staffed, 0)
    assert agent["active_sessions"] == 1
    now = session_of(api, staffed, 0, session["id"])
    assert now["state"] == "assigned"
    assert now["agent"] == {"id": staffed.agents[0].id, "name": "CS 1"}
    assert now["position"] is None and now["assigned_at"]


def test_enqueue_with_a_free_cs_assigns_at_once_and_is_idempotent(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    assert session["state"] == "assigned"
    status, again = api.post(f"/api/v1/sessions/{session['id']}/enqueue", staffed.booths[0].token)
    assert (status, again["session"]["state"]) == (200, "assigned")


def test_waiting_participants_see_position_and_estimated_wait(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    go_online(api, staffed, 0, capacity=1)
    first = waiting(api, seeder, staffed, 0)
    second = waiting(api, seeder, staffed, 1)
    third = waiting(api, seeder, staffed, 2)
    assert first["state"] == "assigned"
    # one CS with capacity 1, busy: one place frees up per average service (600 s)
    second, third = (
        session_of(api, staffed, 1, second["id"]),
        session_of(api, staffed, 2, third["id"]),
    )
    assert (second["position"], second["eta_seconds"]) == (1, 600)
    assert (third["position"], third["eta_seconds"]) == (2, 1200)


def test_priority_participant_is_served_before_earlier_arrivals(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    early = waiting(api, seeder, staffed, 0)
    priority = waiting(api, seeder, staffed, 1, priority=True)
    assert session_of(api, staffed, 1, priority["id"])["position"] == 1
    go_online(api, staffed, 0, capacity=1)
    assert session_of(api, staffed, 1, priority["id"])["state"] == "assigned"
    assert session_of(api, staffed, 0, early["id"])["state"] == "waiting"


def test_one_to_one_branch_gives_each_cs_one_participant(api: Api, seeder: Seeder):
    branch = seeder.branch(booths=2, agents=1, mode="one_to_one")
    _, agent = go_online(api, branch, 0, capacity=5)
    assert agent["capacity"] == 1
    first, second = waiting(api, seeder, branch, 0), waiting(api, seeder, branch, 1)
    assert first["state"] == "assigned"
    assert second["state"] == "waiting"


def test_closing_serves_the_ticket_and_closing_twice_is_invalid_state(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs_token, _ = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    accepted(api, cs_token, session, FULL_CHECKLIST)
    path = f"/api/v1/sessions/{session['id']}/close"
    status, closed = api.post(path, cs_token, {"outcome": "verified"})
    assert (status, closed["session"]["state"], closed["session"]["outcome"]) == (
        200, "closed", "verified"
    )  # fmt: skip
    status, body = api.post(path, cs_token, {"outcome": "verified"})
    assert (status, body["error"]) == (
        409,
        {"code": "invalid_state", "params": {"state": "closed"}},
    )
    # the ticket is served now
    status, body = api.checkin(
        staffed.booths[1].token, booking_code=closed["session"]["booking_code"]
    )
    assert (status, body["error"]["code"]) == (409, "already_served")


def test_verified_needs_every_required_document_ticked(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs_token, _ = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    path = f"/api/v1/sessions/{session['id']}/close"
    accepted(api, cs_token, session, {"items": {"ektp": True}, "balance_over_50m": True})
    status, body = api.post(path, cs_token, {"outcome": "verified"})
    assert (status, body["error"]) == (
        409,
        {
            "code": "checklist_incomplete",
            "params": {"missing": ["kk", "savings_book", "leaving_proof", "npwp"]},
        },
    )
    assert session_of(api, staffed, 0, session["id"])["state"] != "closed"  # nothing changed
    incomplete = {"outcome": "incomplete", "missing": ["kk"]}
    assert api.post(path, cs_token, incomplete)[0] == 200  # the honest outcome goes through


def test_a_session_never_accepted_cannot_be_closed(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs_token, _ = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    path = f"/api/v1/sessions/{session['id']}/close"
    status, body = api.post(path, cs_token, {"outcome": "rejected", "reason": "tidak datang"})
    assert (status, body["error"]) == (
        409,
        {"code": "invalid_state", "params": {"state": "assigned"}},
    )


def test_only_the_assigned_cs_may_close(api: Api, seeder: Seeder, staffed: BranchInfo):
    go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    other_cs = api.login(staffed.agents[1].username, staffed.agents[1].password)
    path = f"/api/v1/sessions/{session['id']}/close"
    assert api.post(path, other_cs, {"outcome": "verified"})[0] == 403
    assert api.post(path, staffed.booths[0].token, {"outcome": "verified"})[0] == 403


def test_unknown_outcome_is_invalid_request(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs_token, _ = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    status, body = api.post(f"/api/v1/sessions/{session['id']}/close", cs_token, {"outcome": "ok"})
    assert (status, body["error"]["code"], body["error"]["params"]) == (
        422, "invalid_request", {"fields": ["outcome"]}
    )  # fmt: skip


def test_enqueueing_a_cancelled_session_is_invalid_state(
    api: Api, seeder: Seeder, branch: BranchInfo
):
    session = checked_in(api, seeder, branch, 0)
    token = branch.booths[0].token
    api.post(f"/api/v1/sessions/{session['id']}/cancel", token)
    status, body = api.post(f"/api/v1/sessions/{session['id']}/enqueue", token)
    assert (status, body["error"]) == (
        409, {"code": "invalid_state", "params": {"state": "cancelled"}}
    )  # fmt: skip


def test_cs_going_offline_hands_sessions_back_to_the_queue(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs_token, _ = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 0)
    assert session["state"] == "assigned"
    status, body = api.post(
        f"/api/v1/agents/{staffed.agents[0].id}/status", cs_token, {"status": "offline"}
    )
    assert (status, body["agent"]["active_sessions"]) == (200, 0)
    back = session_of(api, staffed, 0, session["id"])
    assert (back["state"], back["position"], back["agent"]) == ("waiting", 1, None)
    go_online(api, staffed, 1)
    assert session_of(api, staffed, 0, session["id"])["agent"]["id"] == staffed.agents[1].id


def test_paused_cs_gets_no_new_participants(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs_token, _ = go_online(api, staffed, 0)
    api.post(f"/api/v1/agents/{staffed.agents[0].id}/status", cs_token, {"status": "paused"})
    assert waiting(api, seeder, staffed, 0)["state"] == "waiting"


def test_cs_sees_own_sessions_and_the_branch_queue(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs_token, _ = go_online(api, staffed, 0, capacity=1)
    mine = waiting(api, seeder, staffed, 0)
    queued = waiting(api, seeder, staffed, 1)
    status, body = api.get(f"/api/v1/agents/{staffed.agents[0].id}/sessions", cs_token)
    assert status == 200 and [s["id"] for s in body["sessions"]] == [mine["id"]]
    status, body = api.get("/api/v1/queue", cs_token)
    assert [s["id"] for s in body["waiting"]] == [queued["id"]]
    assert {a["id"]: a["active_sessions"] for a in body["agents"]} == {
        staffed.agents[0].id: 1,
        staffed.agents[1].id: 0,
    }


def test_cs_cannot_act_for_another_cs(api: Api, staffed: BranchInfo):
    token = api.login(staffed.agents[0].username, staffed.agents[0].password)
    other = staffed.agents[1].id
    assert api.post(f"/api/v1/agents/{other}/status", token, {"status": "online"})[0] == 403
    assert api.get(f"/api/v1/agents/{other}/sessions", token)[0] == 403


def test_wrong_password_and_unknown_user_are_both_unauthorized(api: Api, staffed: BranchInfo):
    username = staffed.agents[0].username
    for body in (
        {"username": username, "password": "wrong"},
        {"username": "nobody", "password": "x"},
    ):
        status, answer = api.post("/api/v1/agents/login", json=body)
        assert (status, answer["error"]["code"]) == (401, "unauthorized")


def test_booth_cannot_use_cs_endpoints(api: Api, branch: BranchInfo):
    status, body = api.get("/api/v1/queue", branch.booths[0].token)
    assert (status, body["error"]["code"]) == (403, "forbidden")


# Booths ------------------------------------------------------------------------------------------


def test_heartbeat_is_visible_to_the_booth_and_to_cs_of_its_branch(api: Api, staffed: BranchInfo):
    booth = staffed.booths[0]
    devices = {"camera": {"ok": True, "detail": "1280x720"}, "headset": {"ok": False}}
    status, _ = api.post(
        f"/api/v1/booths/{booth.id}/heartbeat",
        booth.token,
        {"state": "scanning", "devices": devices},
    )
    assert status == 200
    status, seen = api.get(f"/api/v1/booths/{booth.id}", booth.token)
    assert status == 200
    assert (seen["booth_id"], seen["branch_id"], seen["state"], seen["online"]) == (
        booth.id, staffed.id, "scanning", True
    )  # fmt: skip
    assert seen["devices"] == devices and seen["last_seen"]
    cs_token = api.login(staffed.agents[0].username, staffed.agents[0].password)
    assert api.get(f"/api/v1/booths/{booth.id}", cs_token)[1] == seen


def test_booth_token_on_another_booths_path_is_booth_mismatch(api: Api, branch: BranchInfo):
    mine, theirs = branch.booths[0], branch.booths[1]
    for method, path in (
        ("GET", f"/api/v1/booths/{theirs.id}"),
        ("GET", f"/api/v1/booths/{theirs.id}/session"),
        ("POST", f"/api/v1/booths/{theirs.id}/heartbeat"),
    ):
        body = {"state": "idle", "devices": {}} if method == "POST" else None
        status, answer = api.call(method, path, mine.token, body)
        assert (status, answer["error"]["code"]) == (403, "booth_mismatch"), path


def test_booth_cannot_touch_another_booths_session(api: Api, seeder: Seeder, branch: BranchInfo):
    session = checked_in(api, seeder, branch, 0)
    status, body = api.post(f"/api/v1/sessions/{session['id']}/cancel", branch.booths[1].token)
    assert (status, body["error"]["code"]) == (403, "booth_mismatch")


def test_cs_of_another_branch_cannot_see_the_booth(api: Api, seeder: Seeder, branch: BranchInfo):
    other = seeder.branch(booths=1, agents=1)
    token = api.login(other.agents[0].username, other.agents[0].password)
    status, body = api.get(f"/api/v1/booths/{branch.booths[0].id}", token)
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_restarted_booth_finds_its_open_session(api: Api, seeder: Seeder, branch: BranchInfo):
    session = checked_in(api, seeder, branch, 0)
    booth = branch.booths[0]
    status, body = api.get(f"/api/v1/booths/{booth.id}/session", booth.token)
    assert (status, body["session"]["id"]) == (200, session["id"])


# Event stream ------------------------------------------------------------------------------------


def receive_until(ws: websocket.WebSocket, predicate, timeout: float = 8.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        message = json.loads(ws.recv())
        if predicate(message):
            return message
    raise AssertionError("expected event did not arrive")


def test_booth_event_stream_delivers_queue_position_then_assignment(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    booth = staffed.booths[0]
    ws = websocket.create_connection(
        f"{hub_server.ws_url}/api/v1/booths/{booth.id}/events?token={booth.token}", timeout=8
    )
    try:
        assert json.loads(ws.recv()) == {"type": "session", "session": None}
        session = checked_in(api, seeder, staffed, 0)
        first = receive_until(ws, lambda m: m["type"] == "session" and m["session"])
        assert (first["session"]["id"], first["session"]["state"]) == (session["id"], "checked_in")
        api.post(f"/api/v1/sessions/{session['id']}/enqueue", booth.token)
        queued = receive_until(ws, lambda m: m["session"]["state"] == "waiting")
        assert queued["session"]["position"] == 1
        started = time.monotonic()
        go_online(api, staffed, 0)
        assigned = receive_until(ws, lambda m: m["session"]["state"] == "assigned")
        assert assigned["session"]["agent"]["id"] == staffed.agents[0].id
        assert time.monotonic() - started < 1.5  # pushed, not found by the 2 s re-check
    finally:
        ws.close()


def test_booth_event_stream_shows_the_outcome_when_the_cs_closes(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs_token, _ = go_online(api, staffed, 0)
    session = waiting(api, seeder, staffed, 1)
    booth = staffed.booths[1]
    ws = websocket.create_connection(
        f"{hub_server.ws_url}/api/v1/booths/{booth.id}/events?token={booth.token}", timeout=8
    )
    try:
        assert json.loads(ws.recv())["session"]["state"] == "assigned"
        accepted(api, cs_token, session)
        status, _ = api.post(
            f"/api/v1/sessions/{session['id']}/close",
            cs_token,
            {"outcome": "incomplete", "missing": ["kk"]},
        )
        assert status == 200
        closed = receive_until(ws, lambda m: m["session"]["state"] == "closed")
        assert closed["session"]["outcome"] == "incomplete"
        assert closed["session"]["outcome_missing"] == ["kk"]
    finally:
        ws.close()


def test_booth_event_stream_refuses_another_booths_token(
    staffed: BranchInfo, hub_server: HubProcess
):
    mine, theirs = staffed.booths[0], staffed.booths[1]
    ws = websocket.create_connection(
        f"{hub_server.ws_url}/api/v1/booths/{theirs.id}/events?token={mine.token}", timeout=8
    )
    try:
        message = json.loads(ws.recv())
        assert message == {"type": "error", "error": {"code": "booth_mismatch", "params": {}}}
        opcode, frame = ws.recv_data()
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(frame[:2], "big") == 4403
    finally:
        ws.close()


def test_booth_event_stream_refuses_unknown_tokens(staffed: BranchInfo, hub_server: HubProcess):
    booth = staffed.booths[0]
    ws = websocket.create_connection(
        f"{hub_server.ws_url}/api/v1/booths/{booth.id}/events?token=bogus", timeout=8
    )
    try:
        assert json.loads(ws.recv())["error"]["code"] == "unauthorized"
    finally:
        ws.close()


# Operations --------------------------------------------------------------------------------------


def test_health_time_and_openapi_need_no_token(api: Api):
    assert api.get("/healthz") == (200, {"ok": True})
    status, body = api.get("/api/v1/time")
    assert status == 200 and body["now"].endswith("+00:00")
    status, spec = api.get("/openapi.json")
    assert status == 200 and "/api/v1/checkins" in spec["paths"]


def test_unknown_path_answers_in_the_error_shape(api: Api):
    assert api.get("/api/v1/nothing") == (404, {"error": {"code": "not_found", "params": {}}})
