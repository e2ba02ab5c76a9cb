"""Revocation across hub processes (issue 9): disabling a user or resetting a password through
one hub process closes the account's open streams held by another process on the same
database within a second (the wake-up is published in the transaction, hub.realtime.wakeups).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.hub.calls import agent_stream
from tests.hub.harness import BILIK_HUB, ROOT, Api, HubProcess, Seeder, free_port, write_config
from tests.hub.test_revoked_streams import closed_as_revoked


@pytest.fixture(scope="module")
def twin_hubs(
    tmp_path_factory: pytest.TempPathFactory, new_hub_database: Callable[[str], str]
) -> Iterator[tuple[str, list[HubProcess]]]:
    directory: Path = tmp_path_factory.mktemp("revocation-twin")
    database_url = new_hub_database("revocation_twin")
    Seeder(database_url)  # the schema exists before both start
    hubs: list[HubProcess] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            config = write_config(directory / f"{name}.toml", database_url, port)
            hubs.append(HubProcess(config, port, directory / f"{name}.log"))
        yield database_url, hubs
    finally:
        for hub in hubs:
            hub.stop()


def _admin_token(hub: HubProcess, name: str) -> str:
    done = subprocess.run(
        [str(BILIK_HUB), "user", "add", name, "--role", "admin", "--password-stdin"]
        + ["--config", str(hub.config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input="admin-password-123\n",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return Api(hub.base_url).login(name, "admin-password-123")


@pytest.mark.parametrize("action", ["disable", "password"])
def test_an_admin_change_in_one_process_closes_streams_held_by_another(
    twin_hubs: tuple[str, list[HubProcess]], action: str
) -> None:
    database_url, (hub_a, hub_b) = twin_hubs
    branch = Seeder(database_url).branch(booths=1, agents=1)
    agent = branch.agents[0]
    api_a, api_b = Api(hub_a.base_url), Api(hub_b.base_url)
    token = api_b.login(agent.username, agent.password)
    stream = agent_stream(hub_b, branch, 0, token)  # held by process b
    stream.next(lambda m: m["type"] == "agent")
    admin = _admin_token(hub_a, f"admin-{action}-{agent.id}")
    body = {"password": "another-password-456"} if action == "password" else None
    status, answer = api_a.post(f"/api/v1/admin/users/{agent.id}/{action}", admin, body)
    assert status == 200, answer  # committed through process a
    assert closed_as_revoked(stream) < 1.0
    assert api_b.get("/api/v1/agents/me", token)[0] == 401
