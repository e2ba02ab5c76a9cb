"""Every route of the OpenAPI document × every role: who gets through, who gets 401/403.

The table below is the access policy as a reader would write it; hub.domain.access must agree.
A new route fails this test until it is given its row, so nothing ships without a decision.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.hub.inprocess.world import PASSWORD, World, assigned_session, build_world

ROLES = (
    "anonymous",
    "booth",
    "other_booth",
    "cs",
    "other_cs",
    "supervisor",
    "other_supervisor",
    "hq",
    "admin",
)
OPEN = set(ROLES)
STAFF = {"cs", "other_cs", "supervisor", "other_supervisor", "hq", "admin"}
READERS_OF_BRANCH = {"cs", "other_cs", "supervisor", "hq"}
SESSION_READERS = {"booth", "cs", "supervisor", "hq"}

#: (method, path) → the roles that get through (anything but 401/403).
POLICY: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/checkins/lookup"): {"booth", "other_booth"},
    ("POST", "/api/v1/checkins"): {"booth", "other_booth"},
    ("POST", "/api/v1/sessions/{session_id}/enqueue"): {"booth"},
    ("POST", "/api/v1/sessions/{session_id}/cancel"): {"booth"},
    ("GET", "/api/v1/sessions/{session_id}"): SESSION_READERS,
    ("GET", "/api/v1/booths/{booth_id}/session"): {"booth"},
    ("POST", "/api/v1/sessions/{session_id}/reassign"): {"supervisor"},
    ("POST", "/api/v1/agents/login"): OPEN,
    ("POST", "/api/v1/agents/logout"): STAFF,
    ("GET", "/api/v1/agents/me"): STAFF,
    ("POST", "/api/v1/agents/{agent_id}/status"): {"cs"},
    ("GET", "/api/v1/agents/{agent_id}/sessions"): {"cs"},
    ("GET", "/api/v1/queue"): READERS_OF_BRANCH,
    ("POST", "/api/v1/booths/{booth_id}/heartbeat"): {"booth"},
    ("GET", "/api/v1/booths/{booth_id}"): {"booth"} | READERS_OF_BRANCH,
    ("GET", "/api/v1/branches/{branch_id}/booths"): READERS_OF_BRANCH,
    ("POST", "/api/v1/enroll"): OPEN,
    ("POST", "/api/v1/sessions/{session_id}/accept"): {"cs"},
    ("POST", "/api/v1/agents/{agent_id}/focus"): {"cs"},
    ("POST", "/api/v1/sessions/{session_id}/call-state"): {"booth"},
    ("POST", "/api/v1/sessions/{session_id}/signal"): {"booth", "cs"},
    ("PUT", "/api/v1/sessions/{session_id}/checklist"): {"cs"},
    ("POST", "/api/v1/sessions/{session_id}/close"): {"cs"},
    ("POST", "/api/v1/sessions/{session_id}/rating"): {"booth"},
    ("POST", "/api/v1/sessions/{session_id}/still-requests"): {"cs"},
    ("POST", "/api/v1/sessions/{session_id}/stills"): {"booth"},
    ("GET", "/api/v1/sessions/{session_id}/stills"): {"cs", "supervisor", "hq"},
    ("GET", "/api/v1/stills/{still_id}"): {"cs", "supervisor", "hq"},
    ("GET", "/api/v1/admin/branches"): {"admin"},
    ("POST", "/api/v1/admin/branches"): {"admin"},
    ("GET", "/api/v1/admin/users"): {"admin"},
    ("POST", "/api/v1/admin/users"): {"admin"},
    ("POST", "/api/v1/admin/users/{user_id}/disable"): {"admin"},
    ("POST", "/api/v1/admin/users/{user_id}/password"): {"admin"},
    ("POST", "/api/v1/admin/booths"): {"admin"},
    ("GET", "/api/v1/contract"): OPEN,
    ("GET", "/healthz"): OPEN,
    ("GET", "/api/v1/time"): OPEN,
}

#: A body each route accepts from an allowed caller (access is decided before the body matters).
BODIES = {
    "/api/v1/checkins/lookup": lambda w: {"booking_code": w.ticket()},
    "/api/v1/checkins": lambda w: {"booking_code": w.ticket()},
    "/api/v1/agents/login": lambda w: {"username": "cs-a2", "password": PASSWORD},
    "/api/v1/agents/{agent_id}/status": lambda w: {"status": "paused"},
    "/api/v1/booths/{booth_id}/heartbeat": lambda w: {"state": "attract", "devices": {}},
    "/api/v1/enroll": lambda w: {"code": "AAAA-BBBB-CCCC"},
    "/api/v1/agents/{agent_id}/focus": lambda w: {"session_id": None},
    "/api/v1/sessions/{session_id}/reassign": lambda w: {"agent_id": "cs-a2"},
    "/api/v1/sessions/{session_id}/call-state": lambda w: {"state": "reconnecting"},
    "/api/v1/sessions/{session_id}/signal": lambda w: {"data": {"kind": "bye"}},
    "/api/v1/sessions/{session_id}/checklist": lambda w: {"items": {"ektp": True}},
    "/api/v1/sessions/{session_id}/close": lambda w: {"outcome": "incomplete", "missing": ["kk"]},
    "/api/v1/sessions/{session_id}/rating": lambda w: {"stars": 5},
    "/api/v1/sessions/{session_id}/still-requests": lambda w: {"document": "ektp"},
    "/api/v1/admin/branches": lambda w: {"id": "new-branch", "name": "Cabang Baru"},
    "/api/v1/admin/users": lambda w: {
        "username": "baru",
        "name": "Staf Baru",
        "role": "cs",
        "branch_id": "tga",
        "password": "rahasia-panjang",
    },  # fmt: skip
    "/api/v1/admin/users/{user_id}/password": lambda w: {"password": "rahasia-baru-1"},
    "/api/v1/admin/booths": lambda w: {"booth_id": "tga-09", "branch_id": "tga"},
}


def _jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((48, 64, 3), 128, np.uint8))
    assert ok
    return data.tobytes()


def _still(world: World, session_id: int) -> int:
    """The CS asks for an e-KTP still and the booth uploads one."""
    path = f"/api/v1/sessions/{session_id}/still-requests"
    request_id = world.call("POST", path, "cs", {"document": "ektp"}).json()["request_id"]
    upload = world.client.post(
        f"/api/v1/sessions/{session_id}/stills",
        params={"request_id": request_id},
        content=_jpeg(),
        headers={"Authorization": "Bearer token-tga-01", "Content-Type": "image/jpeg"},
    )
    assert upload.status_code == 201, upload.text
    return upload.json()["still"]["id"]


def routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    spec = app.openapi()
    return sorted((m.upper(), p) for p, methods in spec["paths"].items() for m in methods)


@pytest.fixture(scope="module")
def spec_routes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    return routes(build_world(tmp_path_factory.mktemp("spec")).app)


def test_every_route_has_an_access_decision(spec_routes: list[tuple[str, str]]):
    assert set(spec_routes) == set(POLICY), "give each new route its row in POLICY"


@pytest.mark.parametrize("route", sorted(POLICY), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_lets_through_exactly_its_roles(route: tuple[str, str], tmp_path: Path):
    method, template = route
    world = build_world(tmp_path)
    session_id = assigned_session(world)
    assert world.call("POST", f"/api/v1/sessions/{session_id}/accept", "cs").status_code == 200
    still_id = _still(world, session_id)
    path = template.format(
        session_id=session_id,
        booth_id="tga-01",
        agent_id="cs-a",
        branch_id="tga",
        still_id=still_id,
        user_id="spare",
    )
    params = {"branch_id": "tga"} if template == "/api/v1/queue" else {}
    outcomes = {}
    for role in ROLES:
        who = None if role == "anonymous" else role
        kwargs: dict = {"params": params}
        if template.endswith("/stills") and method == "POST":
            request = world.call(
                "POST", f"/api/v1/sessions/{session_id}/still-requests", "cs", {"document": "kk"}
            ).json()
            kwargs["params"] = {"request_id": request.get("request_id", "x")}
            kwargs["content"] = _jpeg()
            kwargs["headers"] = {"Content-Type": "image/jpeg"}
            answer = world.call(method, path, who, None, **kwargs)
        else:
            body = BODIES.get(template, lambda w: None)(world)
            answer = world.call(method, path, who, body, **kwargs)
        outcomes[role] = answer.status_code
        if role in POLICY[route]:
            assert answer.status_code not in (401, 403), (role, answer.status_code, answer.text)
        elif role == "anonymous":
            assert answer.status_code == 401, (role, answer.text)
            assert answer.json()["error"]["code"] == "unauthorized"
        else:
            assert answer.status_code == 403, (role, answer.status_code, answer.text)
            assert answer.json()["error"]["code"] in ("forbidden", "booth_mismatch")
    assert len(outcomes) == len(ROLES)


def test_a_cs_of_the_branch_cannot_read_a_session_of_another_cs(tmp_path: Path):
    """Bug found in issue 7: any CS of the branch could GET another CS's session."""
    world = build_world(tmp_path)
    session_id = assigned_session(world)
    path = f"/api/v1/sessions/{session_id}"
    assert world.call("GET", path, "other_cs").status_code == 403
    mine = world.call("GET", path, "cs")
    assert mine.status_code == 200 and mine.json()["session"]["ticket"]["nik_masked"]
    supervised = world.call("GET", path, "supervisor").json()["session"]
    assert supervised["id"] == session_id
    assert world.call("GET", path, "other_supervisor").status_code == 403
    assert "ticket" not in world.call("GET", path, "booth").json()["session"]
