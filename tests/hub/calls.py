"""Steps of the call tests, done over HTTP/WebSocket the way the booth and the console do them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import websocket

from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder


class Stream:
    """One event-stream connection; `next(predicate)` skips pings and anything else unmatched."""

    def __init__(self, url: str, **options: Any) -> None:
        self.ws = websocket.create_connection(url, timeout=8, **options)
        self.seen: list[dict[str, Any]] = []

    def next(self, predicate: Callable[[dict], bool] = lambda m: True, timeout: float = 8.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            self.seen.append(message)
            if message.get("type") != "ping" and predicate(message):
                return message
        raise AssertionError(f"expected message did not arrive; saw {self.seen[-5:]}")

    def quiet(self, seconds: float, predicate: Callable[[dict], bool] = lambda m: True) -> None:
        """Nothing matching `predicate` arrives for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                return
            assert message.get("type") == "ping" or not predicate(message), message

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def booth_stream(hub: HubProcess, branch: BranchInfo, booth: int) -> Stream:
    info = branch.booths[booth]
    return Stream(f"{hub.ws_url}/api/v1/booths/{info.id}/events?token={info.token}")


def agent_stream(hub: HubProcess, branch: BranchInfo, agent: int, token: str) -> Stream:
    return Stream(f"{hub.ws_url}/api/v1/agents/{branch.agents[agent].id}/events?token={token}")


def sessions_message(predicate: Callable[[list[dict]], bool]) -> Callable[[dict], bool]:
    return lambda m: m["type"] == "sessions" and predicate(m["sessions"])


def session_message(predicate: Callable[[dict], bool]) -> Callable[[dict], bool]:
    return lambda m: m["type"] == "session" and m["session"] is not None and predicate(m["session"])


#: Every document a verified JHT claim needs (no NPWP: balance not over Rp50 million).
FULL_CHECKLIST = {
    "items": {"ektp": True, "kk": True, "savings_book": True, "leaving_proof": True},
    "balance_over_50m": False,
}


def tick_all(api: Api, cs_token: str, session_id: int) -> None:
    """The CS ticks every required document, so the hub lets them close as `verified`."""
    status, body = api.put(f"/api/v1/sessions/{session_id}/checklist", cs_token, FULL_CHECKLIST)
    assert status == 200, body


def go_online(api: Api, branch: BranchInfo, agent: int, capacity: int = 5) -> str:
    info = branch.agents[agent]
    token = api.login(info.username, info.password)
    status, body = api.post(
        f"/api/v1/agents/{info.id}/status", token, {"status": "online", "capacity": capacity}
    )
    assert status == 200, body
    return token


def waiting(api: Api, seeder: Seeder, branch: BranchInfo, booth: int, **ticket: Any) -> dict:
    """Check a new ticket in at `booth` and queue it; the answer may already be `assigned`."""
    t = seeder.ticket(branch, **ticket)
    token = branch.booths[booth].token
    status, body = api.checkin(token, booking_code=t.booking_code)
    assert status == 201, body
    status, body = api.post(f"/api/v1/sessions/{body['session']['id']}/enqueue", token)
    assert status == 200, body
    return body["session"]


def session_as_booth(api: Api, branch: BranchInfo, booth: int, session_id: int) -> dict:
    status, body = api.get(f"/api/v1/sessions/{session_id}", branch.booths[booth].token)
    assert status == 200, body
    return body["session"]


def accept(api: Api, cs_token: str, session_id: int) -> dict:
    status, body = api.post(f"/api/v1/sessions/{session_id}/accept", cs_token)
    assert status == 200, body
    return body["session"]


def connected(api: Api, branch: BranchInfo, booth: int, session_id: int) -> dict:
    status, body = api.post(
        f"/api/v1/sessions/{session_id}/call-state",
        branch.booths[booth].token,
        {"state": "connected"},
    )
    assert status == 200, body
    return body["session"]


def in_call(api: Api, seeder: Seeder, branch: BranchInfo, booth: int, cs_token: str) -> dict:
    """A participant at `booth` whose call with the (online) CS is up."""
    session = waiting(api, seeder, branch, booth)
    assert session["state"] == "assigned", session
    accept(api, cs_token, session["id"])
    return connected(api, branch, booth, session["id"])


def jpeg(width: int = 640, height: int = 480, quality: int = 90) -> bytes:
    """A real JPEG (a gradient with a frame), as the booth's camera would give."""
    x = np.linspace(0, 255, width, dtype=np.uint8)
    image = np.dstack([np.tile(x, (height, 1))] * 3)
    cv2.rectangle(image, (20, 20), (width - 20, height - 20), (0, 0, 255), 4)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()
