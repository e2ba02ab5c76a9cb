"""The console's login: cookies, CSRF, logout, `GET /agents/me`; and roles on every endpoint."""

from __future__ import annotations

import re

import pytest
import requests

from tests.hub.calls import Stream, go_online, waiting
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder


@pytest.fixture
def staffed(seeder: Seeder, hub_server: HubProcess) -> BranchInfo:
    return seeder.branch(booths=2, agents=2)


def console_login(api: Api, branch: BranchInfo, agent: int = 0) -> requests.Response:
    info = branch.agents[agent]
    response = api.raw(
        "POST", "/api/v1/agents/login", json={"username": info.username, "password": info.password}
    )
    assert response.status_code == 200, response.text
    return response


def set_cookies(response: requests.Response) -> dict[str, str]:
    """name → the whole Set-Cookie line, as the browser reads it."""
    lines = response.raw.headers.getlist("set-cookie")
    return {line.split("=", 1)[0]: line for line in lines}


def status_path(branch: BranchInfo) -> str:
    return f"/api/v1/agents/{branch.agents[0].id}/status"


def test_login_sets_an_httponly_strict_session_cookie_and_a_readable_csrf_cookie(
    api: Api, staffed: BranchInfo
):
    response = console_login(api, staffed)
    cookies = set_cookies(response)
    session, csrf = cookies["bilik_session"], cookies["bilik_csrf"]
    assert "HttpOnly" in session and "HttpOnly" not in csrf
    for line in (session, csrf):
        assert re.search(r"SameSite=strict", line, re.IGNORECASE)
        assert "Path=/" in line and "Max-Age=43200" in line
        assert "Secure" not in line  # plain http on loopback; set behind https
    assert f"bilik_session={response.json()['token']};" in session  # same token, two carriers


def test_cookie_requests_need_the_csrf_header_for_changes_only(api: Api, staffed: BranchInfo):
    console_login(api, staffed)
    csrf = api.http.cookies["bilik_csrf"]
    assert api.get("/api/v1/agents/me")[0] == 200  # reading needs no CSRF token
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
        status, body = api.call("POST", status_path(staffed), json={"status": "online"},
                                headers=headers)  # fmt: skip
        assert (status, body["error"]["code"]) == (403, "csrf"), headers
    status, body = api.call(
        "POST", status_path(staffed), json={"status": "online"}, headers={"X-CSRF-Token": csrf}
    )
    assert (status, body["agent"]["status"]) == (200, "online")


def test_a_planted_csrf_cookie_that_matches_its_header_is_still_refused(
    api: Api, staffed: BranchInfo
):
    console_login(api, staffed)
    api.http.cookies.set("bilik_csrf", "attacker-chosen", path="/")
    status, body = api.call(
        "POST",
        status_path(staffed),
        json={"status": "online"},
        headers={"X-CSRF-Token": "attacker-chosen"},
    )
    assert (status, body["error"]["code"]) == (403, "csrf")


def test_bearer_tokens_need_no_csrf_header(api: Api, staffed: BranchInfo):
    token = console_login(api, staffed).json()["token"]
    api.http.cookies.clear()
    assert api.post(status_path(staffed), token, {"status": "paused"})[0] == 200


def test_logout_ends_the_token_and_clears_the_cookies(api: Api, staffed: BranchInfo):
    token = console_login(api, staffed).json()["token"]
    csrf = api.http.cookies["bilik_csrf"]
    response = api.raw("POST", "/api/v1/agents/logout", headers={"X-CSRF-Token": csrf})
    assert (response.status_code, response.json()) == (200, {"ok": True})
    cleared = set_cookies(response)
    assert {"bilik_session", "bilik_csrf"} <= set(cleared)
    assert all("Max-Age=0" in line for line in cleared.values())
    assert not api.http.cookies.get("bilik_session")
    assert api.get("/api/v1/agents/me", token)[0] == 401
    api.http.cookies.set("bilik_session", token, path="/")  # a copy kept elsewhere
    assert api.get("/api/v1/agents/me")[0] == 401


def test_me_answers_with_the_agent_and_its_sessions_with_masked_tickets(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    go_online(api, staffed, 0)  # via this Api: its cookies are the console's
    session = waiting(api, seeder, staffed, 0, name="Siti Rahayu")
    status, body = api.get("/api/v1/agents/me")
    assert status == 200
    assert body["agent"] == {
        "id": staffed.agents[0].id,
        "name": "CS 1",
        "branch_id": staffed.id,
        "role": "cs",
        "status": "online",
        "capacity": 5,
        "active_sessions": 1,
    }
    [mine] = body["sessions"]
    assert (mine["id"], mine["ticket"]["name_masked"]) == (session["id"], "Si** Ra****")
    assert mine["ticket"]["nik_masked"].startswith("3671********")


def test_me_refuses_booths_and_strangers(api: Api, staffed: BranchInfo):
    assert api.get("/api/v1/agents/me", staffed.booths[0].token)[1]["error"]["code"] == "forbidden"
    assert api.get("/api/v1/agents/me")[0] == 401


def test_a_booth_token_in_the_session_cookie_is_not_a_login(api: Api, staffed: BranchInfo):
    api.http.cookies.set("bilik_session", staffed.booths[0].token, path="/")
    status, body = api.get(f"/api/v1/booths/{staffed.booths[0].id}/session")
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def test_agent_stream_accepts_the_cookie_from_the_consoles_own_origin_only(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    console_login(api, staffed)
    cookie = f"bilik_session={api.http.cookies['bilik_session']}"
    url = f"{hub_server.ws_url}/api/v1/agents/{staffed.agents[0].id}/events"
    with Stream(url, cookie=cookie, origin=hub_server.base_url) as stream:
        assert stream.next() == {"type": "sessions", "sessions": []}
    with Stream(url, cookie=cookie, origin="https://evil.example") as stream:
        assert stream.next()["error"]["code"] == "forbidden"


# Roles ------------------------------------------------------------------------------------------

AGENT_ONLY = [
    ("POST", "/api/v1/sessions/{sid}/accept", None),
    ("POST", "/api/v1/agents/{aid}/focus", {"session_id": None}),
    ("POST", "/api/v1/agents/{aid}/status", {"status": "online"}),
    ("GET", "/api/v1/agents/{aid}/sessions", None),
    ("GET", "/api/v1/agents/me", None),
    ("POST", "/api/v1/agents/logout", None),
    ("GET", "/api/v1/queue", None),
    ("POST", "/api/v1/sessions/{sid}/still-requests", {"document": "ektp"}),
    ("PUT", "/api/v1/sessions/{sid}/checklist", {"items": {}}),
    ("POST", "/api/v1/sessions/{sid}/close", {"outcome": "verified"}),
]
BOOTH_ONLY = [
    ("POST", "/api/v1/sessions/{sid}/enqueue", None),
    ("POST", "/api/v1/sessions/{sid}/cancel", None),
    ("POST", "/api/v1/sessions/{sid}/call-state", {"state": "connected"}),
    ("POST", "/api/v1/sessions/{sid}/rating", {"stars": 5}),
    ("POST", "/api/v1/booths/{bid}/heartbeat", {"state": "idle", "devices": {}}),
    ("GET", "/api/v1/booths/{bid}/session", None),
    ("POST", "/api/v1/checkins", {"booking_code": "AAAA1111"}),
]


def test_every_endpoint_enforces_its_role(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs = go_online(api, staffed, 0)
    api.http.cookies.clear()
    session = waiting(api, seeder, staffed, 0)
    ids = {"sid": session["id"], "aid": staffed.agents[0].id, "bid": staffed.booths[0].id}
    for role_token, table in ((staffed.booths[0].token, AGENT_ONLY), (cs, BOOTH_ONLY)):
        for method, path, body in table:
            status, answer = api.call(method, path.format(**ids), role_token, body)
            assert (status, answer["error"]["code"]) == (403, "forbidden"), (method, path)


def test_every_api_endpoint_but_login_and_time_needs_a_token(api: Api):
    spec = api.get("/openapi.json")[1]
    # enroll: the one-time code is the credential (docs/hub-api.md, "Booth enrollment")
    open_paths = {
        "/api/v1/agents/login",
        "/api/v1/time",
        "/healthz",
        "/api/v1/enroll",
        "/api/v1/contract",  # documents and outcomes: nothing secret
    }
    checked = 0
    for path, methods in spec["paths"].items():
        if path in open_paths or not path.startswith("/api/"):
            continue
        concrete = re.sub(r"\{[a-z_]+_id\}", "1", path)
        for method in methods:
            status, body = api.call(method.upper(), concrete)
            assert (status, body["error"]["code"]) == (401, "unauthorized"), (method, path)
            checked += 1
    assert checked >= 20
