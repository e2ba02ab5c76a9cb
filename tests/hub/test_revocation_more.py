"""Revocation that bites, continued (issue 9): disabling a user, a password reset (from the
admin CLI, another process, and over the admin API) and a login's expiry close every open
stream of that credential within a second. Modelled on tests/hub/test_revoked_streams.py.
"""

from __future__ import annotations

import datetime as dt
import subprocess

from sqlalchemy import update

from hub.services.credentials import hash_token
from hub.store.models import AgentToken
from tests.hub.calls import agent_stream
from tests.hub.harness import BILIK_HUB, ROOT, Api, HubProcess, Seeder
from tests.hub.test_revoked_streams import closed_as_revoked


def _cli(hub: HubProcess, *args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [str(BILIK_HUB), *args, "--config", str(hub.config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def _two_streams(api: Api, seeder: Seeder, hub_server: HubProcess):
    branch = seeder.branch(booths=1, agents=1)
    agent = branch.agents[0]
    token = api.login(agent.username, agent.password)
    streams = [agent_stream(hub_server, branch, 0, token) for _ in range(2)]
    for stream in streams:
        stream.next(lambda m: m["type"] == "agent")
    return agent, token, streams


def test_disabling_a_user_from_the_cli_closes_their_streams(
    api: Api, seeder: Seeder, hub_server: HubProcess
):
    agent, token, streams = _two_streams(api, seeder, hub_server)
    _cli(hub_server, "user", "disable", agent.username)  # committed when the command returns
    for stream in streams:
        assert closed_as_revoked(stream) < 1.0
    assert api.get("/api/v1/agents/me", token)[0] == 401


def test_a_password_reset_from_the_cli_closes_the_old_logins_streams(
    api: Api, seeder: Seeder, hub_server: HubProcess
):
    agent, token, streams = _two_streams(api, seeder, hub_server)
    _cli(hub_server, "user", "reset-password", agent.username, "--password-stdin",
         stdin="a-new-password-123\n")  # fmt: skip
    for stream in streams:
        assert closed_as_revoked(stream) < 1.0
    assert api.get("/api/v1/agents/me", token)[0] == 401
    assert Api(hub_server.base_url).login(agent.username, "a-new-password-123")


def test_a_password_reset_over_the_admin_api_closes_the_old_logins_streams(
    api: Api, seeder: Seeder, hub_server: HubProcess
):
    agent, token, streams = _two_streams(api, seeder, hub_server)
    admin_name = f"admin-{agent.id}"
    _cli(hub_server, "user", "add", admin_name, "--role", "admin", "--password-stdin",
         stdin="admin-password-123\n")  # fmt: skip
    admin = Api(hub_server.base_url).login(admin_name, "admin-password-123")
    status, body = api.post(
        f"/api/v1/admin/users/{agent.id}/password", admin, {"password": "another-password-456"}
    )
    assert status == 200, body
    for stream in streams:
        assert closed_as_revoked(stream) < 1.0
    assert api.get("/api/v1/agents/me", token)[0] == 401


def test_an_expiring_login_closes_its_stream_at_the_expiry_moment(
    api: Api, seeder: Seeder, hub_server: HubProcess
):
    branch = seeder.branch(booths=1, agents=1)
    agent = branch.agents[0]
    token = api.login(agent.username, agent.password)
    stream = agent_stream(hub_server, branch, 0, token)
    stream.next(lambda m: m["type"] == "agent")
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    with seeder.sessions.begin() as db:  # moved behind the hub's back: nothing wakes it
        db.execute(
            update(AgentToken)
            .where(AgentToken.token_hash == hash_token(token))
            .values(expires_at=expiry)
        )
    # any change wakes the stream once; it reads the login's new end and sleeps until then
    status, body = api.post(f"/api/v1/agents/{agent.id}/status", token, {"status": "paused"})
    assert status == 200, body
    stream.next(lambda m: m["type"] == "agent" and m["agent"]["status"] == "paused")
    closed_as_revoked(stream, within=3.5)
    late = (dt.datetime.now(dt.UTC) - expiry).total_seconds()
    assert -0.1 < late < 1.0, late
    assert api.get("/api/v1/agents/me", token)[0] == 401
