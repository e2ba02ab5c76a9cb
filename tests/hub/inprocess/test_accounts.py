"""Setting up a branch without demo data: admin API and accounts (in-process)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from hub.services.audit import verify_chain
from hub.store.models import AuditEvent
from tests.hub.inprocess.world import assigned_session, build_world


def test_admin_creates_a_branch_staffs_it_and_the_new_cs_works(tmp_path: Path):
    world = build_world(tmp_path)
    branch = {"id": "bdg", "name": "Bandung Soekarno Hatta", "timezone": "Asia/Jakarta"}
    made = world.call("POST", "/api/v1/admin/branches", "admin", branch)
    assert made.status_code == 201 and made.json()["mode"] == "one_to_many"
    again = world.call("POST", "/api/v1/admin/branches", "admin", branch)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    user = {"username": "rina", "name": "Rina Wulandari", "role": "cs", "branch_id": "bdg",
            "password": "rahasia-rina-1"}  # fmt: skip
    created = world.call("POST", "/api/v1/admin/users", "admin", user)
    assert created.status_code == 201, created.text
    assert created.json()["user"] == {
        "id": "rina", "username": "rina", "name": "Rina Wulandari", "role": "cs",
        "branch_id": "bdg", "disabled": False,
    }  # fmt: skip
    login = world.client.post(
        "/api/v1/agents/login", json={"username": "rina", "password": "rahasia-rina-1"}
    )
    assert login.status_code == 200 and login.json()["role"] == "cs"
    world.tokens["rina"] = login.json()["token"]
    online = world.call("POST", "/api/v1/agents/rina/status", "rina", {"status": "online"})
    assert online.json()["agent"]["branch_id"] == "bdg"
    booth = world.call("POST", "/api/v1/admin/booths", "admin", {"booth_id": "bdg-01",
                                                                 "branch_id": "bdg"})  # fmt: skip
    assert booth.status_code == 201 and len(booth.json()["code"]) == 14
    with world.sessions() as db:
        actions = db.scalars(select(AuditEvent.action).where(AuditEvent.actor == "agent:admin-1"))
        assert {"branch_added", "user_added", "enroll_code_issued"} <= set(actions)
        assert verify_chain(db).ok


def test_admin_refusals_say_what_to_fix(tmp_path: Path):
    world = build_world(tmp_path)
    cases = [
        ({"username": "x", "name": "X", "role": "cs", "password": "panjang-sekali"}, "branch"),
        (
            {
                "username": "y",
                "name": "Y",
                "role": "hq",
                "branch_id": "tga",
                "password": "panjang-sekali",
            },
            "every branch",
        ),  # fmt: skip
        (
            {"username": "z", "name": "Z", "role": "cs", "branch_id": "tga", "password": "pendek"},
            "8 characters",
        ),  # fmt: skip
        (
            {
                "username": "w",
                "name": "W",
                "role": "cs",
                "branch_id": "nope",
                "password": "panjang-sekali",
            },
            "does not exist",
        ),  # fmt: skip
    ]
    for body, hint in cases:
        answer = world.call("POST", "/api/v1/admin/users", "admin", body)
        assert answer.status_code == 422, answer.text
        assert hint in answer.json()["error"]["params"]["message"]
    zone = world.call("POST", "/api/v1/admin/branches", "admin",
                      {"id": "mars", "name": "Mars", "timezone": "Mars/Olympus"})  # fmt: skip
    assert "time zone" in zone.json()["error"]["params"]["message"]


def test_disabling_a_cs_ends_their_login_and_hands_their_participants_back(tmp_path: Path):
    world = build_world(tmp_path)
    session_id = assigned_session(world)
    disabled = world.call("POST", "/api/v1/admin/users/cs-a/disable", "admin")
    assert disabled.json()["user"]["disabled"] is True
    assert world.call("GET", "/api/v1/agents/me", "cs").status_code == 401
    relogin = world.client.post(
        "/api/v1/agents/login", json={"username": "cs-a", "password": "kata-sandi-uji"}
    )
    assert relogin.status_code == 401
    state = world.call("GET", f"/api/v1/sessions/{session_id}", "booth").json()["session"]
    assert state["state"] == "waiting" and state["agent"] is None


def test_a_password_reset_ends_the_other_logins(tmp_path: Path):
    world = build_world(tmp_path)
    reset = world.call(
        "POST", "/api/v1/admin/users/spv-a/password", "admin", {"password": "sandi-baru-123"}
    )
    assert reset.status_code == 200
    assert world.call("GET", "/api/v1/agents/me", "supervisor").status_code == 401
    login = world.client.post(
        "/api/v1/agents/login", json={"username": "spv-a", "password": "sandi-baru-123"}
    )
    assert login.status_code == 200 and login.json()["role"] == "supervisor"


def test_a_second_cs_login_ends_the_first(tmp_path: Path):
    world = build_world(tmp_path)
    credentials = {"username": "cs-a2", "password": "kata-sandi-uji"}
    first = world.client.post("/api/v1/agents/login", json=credentials).json()
    second = world.client.post("/api/v1/agents/login", json=credentials).json()
    world.tokens.update(first=first["token"], second=second["token"])
    assert world.call("GET", "/api/v1/agents/me", "first").status_code == 401
    me = world.call("GET", "/api/v1/agents/me", "second").json()
    assert me["login_id"] == second["login_id"] != first["login_id"]


def test_a_supervisor_gives_a_session_not_yet_accepted_to_another_cs(tmp_path: Path):
    world = build_world(tmp_path)
    session_id = assigned_session(world)  # assigned to cs-a, not accepted
    path = f"/api/v1/sessions/{session_id}/reassign"
    offline = world.call("POST", path, "supervisor", {"agent_id": "cs-a2"})
    assert (offline.status_code, offline.json()["error"]["params"]) == (
        409,
        {"agent_status": "offline"},
    )
    assert world.call("POST", "/api/v1/agents/cs-a2/status", "other_cs",
                      {"status": "online"}).status_code == 200  # fmt: skip
    moved = world.call("POST", path, "supervisor", {"agent_id": "cs-a2"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["session"]["agent"]["id"] == "cs-a2"
    assert world.call("GET", f"/api/v1/sessions/{session_id}", "cs").status_code == 403
    accepted = world.call("POST", f"/api/v1/sessions/{session_id}/accept", "other_cs")
    assert accepted.status_code == 200
    in_call = world.call("POST", path, "supervisor", {"agent_id": "cs-a"})
    assert (in_call.status_code, in_call.json()["error"]["code"]) == (409, "invalid_state")
    with world.sessions() as db:
        details = db.scalars(select(AuditEvent.details).where(AuditEvent.action == "reassign"))
        assert list(details) == ['{"from":"cs-a","to":"cs-a2"}']
