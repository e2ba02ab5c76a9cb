"""Staff login throttling (issue 9): per user name with an exponential delay, per client
address, in the database so two hub processes on one database agree.

Against real `bilik-hub serve` processes on their own SQLite database, with a short cap
(`login_delay_max_seconds`) so the test sees the delay end.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from hub.store.models import AuditEvent
from tests.hub.harness import Api, HubProcess, Seeder, free_port, write_config

LOGIN = "/api/v1/agents/login"


def _login(api: Api, username: str, password: str) -> tuple[int, dict, str | None]:
    response = api.raw("POST", LOGIN, json={"username": username, "password": password})
    return response.status_code, response.json(), response.headers.get("Retry-After")


def test_wrong_passwords_delay_even_the_right_one_across_two_hub_processes(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    seeder = Seeder(database)
    branch = seeder.branch(booths=0, agents=1)
    agent = branch.agents[0]
    hubs = []
    try:
        for i in range(2):
            port = free_port()
            config = write_config(
                tmp_path / f"hub{i}.toml", database, port, login_delay_max_seconds=4
            )
            hubs.append(HubProcess(config, port, tmp_path / f"hub{i}.log"))
        apis = [Api(h.base_url) for h in hubs]

        statuses = [_login(apis[i % 2], agent.username, "wrong")[0] for i in range(30)]
        assert statuses[0] == 401 and set(statuses) <= {401, 429}, statuses
        assert 429 in statuses
        # the right password, on either process, is refused while the delay runs
        for api in apis:
            status, body, retry_after = _login(api, agent.username, agent.password)
            assert status == 429, body
            assert body["error"]["code"] == "rate_limited"
            assert 1 <= body["error"]["params"]["retry_after"] <= 4
            assert retry_after is not None and 1 <= int(retry_after) <= 4
        time.sleep(body["error"]["params"]["retry_after"] + 0.2)
        status, body, _ = _login(apis[1], agent.username, agent.password)
        assert status == 200, body
        # the right password reset the count: one wrong one costs 2 s again, not the cap
        assert _login(apis[0], agent.username, "wrong")[0] == 401
        status, body, _ = _login(apis[0], agent.username, agent.password)
        assert status == 429 and body["error"]["params"]["retry_after"] <= 2, body
        time.sleep(2.2)
        assert _login(apis[0], agent.username, agent.password)[0] == 200
    finally:
        for hub in hubs:
            hub.stop()
        seeder.close()


def test_delay_grows_exponentially_and_other_users_are_not_delayed(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    seeder = Seeder(database)
    branch = seeder.branch(booths=0, agents=2)
    victim, other = branch.agents
    port = free_port()
    config = write_config(tmp_path / "hub.toml", database, port, login_delay_max_seconds=300)
    hub = HubProcess(config, port, tmp_path / "hub.log")
    try:
        api = Api(hub.base_url)
        assert _login(api, victim.username, "wrong")[0] == 401
        status, body, _ = _login(api, victim.username, victim.password)
        assert status == 429 and body["error"]["params"]["retry_after"] <= 2
        time.sleep(body["error"]["params"]["retry_after"] + 0.1)
        assert _login(api, victim.username, "wrong")[0] == 401
        status, body, _ = _login(api, victim.username, victim.password)
        assert status == 429 and 3 <= body["error"]["params"]["retry_after"] <= 4, body
        # another user name is not held up by the victim's failures
        assert _login(api, other.username, other.password)[0] == 200
    finally:
        hub.stop()
        seeder.close()


def test_failures_per_client_address_are_limited(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    seeder = Seeder(database)
    branch = seeder.branch(booths=0, agents=1)
    agent = branch.agents[0]
    port = free_port()
    config = write_config(
        tmp_path / "hub.toml", database, port, login_failures_per_address_per_minute=5
    )
    hub = HubProcess(config, port, tmp_path / "hub.log")
    try:
        api = Api(hub.base_url)
        for i in range(5):  # five different user names: no per-user delay applies
            assert _login(api, f"guess{i}", "wrong")[0] == 401
        status, body, _ = _login(api, agent.username, agent.password)
        assert status == 429 and body["error"]["code"] == "rate_limited", body
        with seeder.sessions() as db:
            failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed"))
            assert {e.subject for e in failed} == {"user:unknown"}
    finally:
        hub.stop()
        seeder.close()
