"""Limits before work (issue 9): hostile bodies, ids and paths are refused cheaply, in the
documented error shape, against a real `bilik-hub serve` (SQLite and PostgreSQL)."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from contract.errors import ErrorCode
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder

TEN_MB = 10 * 1024 * 1024


def _code(body: dict) -> str:
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "params"}, body
    assert body["error"]["code"] in {c.value for c in ErrorCode}, body
    return body["error"]["code"]


def _send_head_only(hub: HubProcess, path: str, headers: dict[str, str]) -> bytes:
    """Send a request's head that announces a body, send no body, and read the answer: a hub
    that waited for (or read) the body would time out here."""
    url = urlparse(hub.base_url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while chunk := sock.recv(65536):  # the hub closes the connection after refusing
            answer += chunk
        return answer


def test_unauthenticated_10mb_post_is_refused_401_without_its_body(hub_server: HubProcess):
    answer = _send_head_only(
        hub_server,
        "/api/v1/checkins",
        {"Content-Type": "application/json", "Content-Length": str(TEN_MB)},
    )
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b'"code":"unauthorized"' in answer


def test_json_body_over_the_cap_is_refused_413_without_reading_it(
    hub_server: HubProcess, branch: BranchInfo
):
    token = branch.booths[0].token
    answer = _send_head_only(
        hub_server,
        "/api/v1/checkins",
        {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Length": str(TEN_MB),
        },
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code":"too_large"' in answer


def test_login_gets_the_small_cap_too(hub_server: HubProcess):
    answer = _send_head_only(
        hub_server,
        "/api/v1/agents/login",
        {"Content-Type": "application/json", "Content-Length": str(TEN_MB)},
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_streamed_json_body_over_the_cap_is_refused_413(api: Api, branch: BranchInfo):
    def chunks():
        for _ in range(200):
            yield b" " * 1024

    response = api.http.post(
        api.base_url + "/api/v1/checkins",
        data=chunks(),
        headers={"Authorization": f"Bearer {branch.booths[0].token}"},
        timeout=10,
    )
    assert response.status_code == 413
    assert _code(response.json()) == "too_large"


def test_deep_json_answers_invalid_request_not_http_400(api: Api, branch: BranchInfo):
    deep = "[" * 30000 + "]" * 30000
    response = api.raw(
        "POST",
        "/api/v1/checkins",
        branch.booths[0].token,
        data=deep.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert _code(response.json()) == "invalid_request"


def test_deep_or_huge_heartbeat_devices_are_refused(api: Api, branch: BranchInfo):
    booth = branch.booths[0]
    path = f"/api/v1/booths/{booth.id}/heartbeat"
    nested: dict = {}
    for _ in range(260):
        nested = {"x": nested}
    status, body = api.post(path, booth.token, {"state": "idle", "devices": {"camera": nested}})
    assert status == 422 and _code(body) == "invalid_request"
    long = {"camera": {"ok": True, "detail": "x" * 5000}}  # cut, so the booth keeps reporting
    status, body = api.post(path, booth.token, {"state": "idle", "devices": long})
    assert status == 200 and len(body["devices"]["camera"]["detail"]) == 500, body
    extra = {"camera": {"ok": True, "detail": "", "blob": nested}}
    status, body = api.post(path, booth.token, {"state": "idle", "devices": extra})
    assert status == 422 and _code(body) == "invalid_request"
    many = {f"d{i}": {"ok": True, "detail": ""} for i in range(100)}
    status, body = api.post(path, booth.token, {"state": "idle", "devices": many})
    assert status == 422 and _code(body) == "invalid_request"
    # what the kiosk sends still works
    good = {"camera": {"ok": True, "detail": "ok"}, "headset": {"ok": False, "detail": "gone"}}
    status, body = api.post(path, booth.token, {"state": "idle", "devices": good})
    assert status == 200, body


def test_ids_past_the_database_range_answer_in_shape(api: Api, seeder: Seeder):
    branch = seeder.branch(booths=1, agents=1)
    api2 = Api(api.base_url)
    agent = branch.agents[0]
    booth = branch.booths[0].token
    for path in (
        f"/api/v1/sessions/{big}{tail}"
        for big in ("9223372036854775808", "2147483648")  # past SQLite's, past PostgreSQL's
        for tail in ("", "/stills")
    ):
        status, body = api.get(path, booth)
        assert status in (404, 422), (path, status, body)
        _code(body)
    for big in ("9223372036854775808", "2147483648"):
        status, body = api.get(f"/api/v1/stills/{big}", booth)
        assert status in (404, 422) and _code(body)
    token = api2.login(agent.username, agent.password)
    status, body = api2.post(f"/api/v1/agents/{agent.id}/focus", token, {"session_id": 1e20})
    assert status in (404, 422), body
    _code(body)


def test_nul_in_a_console_path_is_404_in_shape(api: Api):
    for path in ("/console/%00", "/console/static/%00x.js", "/%00"):
        response = api.raw("GET", path)
        assert response.status_code == 404, (path, response.status_code, response.text[:200])
        assert _code(response.json()) == "not_found"


def test_an_unexpected_fault_answers_500_internal_in_shape(tmp_path):
    """A bug in a route (here one added for the test) is a 500 in the documented shape, with no
    traceback text in the answer."""
    from fastapi.testclient import TestClient

    from tests.hub.inprocess.world import build_world

    world = build_world(tmp_path)

    @world.app.get("/api/v1/_test_fault")
    def _fault() -> None:
        raise RuntimeError("a bug")

    with TestClient(world.app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/_test_fault")
    assert answer.status_code == 500
    assert _code(answer.json()) == ErrorCode.INTERNAL
    assert "Traceback" not in answer.text and "a bug" not in answer.text
