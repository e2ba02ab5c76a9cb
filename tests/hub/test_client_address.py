"""`trusted_proxies` and the one `client_address()` (issue 9): a forged `X-Forwarded-For` from
a peer that is not a configured proxy is ignored by the enrollment limiter, the login limiter
and the audit; behind a trusted proxy the rightmost untrusted hop is the client.

Against a real `bilik-hub serve` (uvicorn's own proxy-header handling trusted 127.0.0.1, which
is how the forged header got through before).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from starlette.requests import Request

from hub.api.client_address import client_address
from hub.store.models import AuditEvent
from tests.hub.harness import Api, HubProcess, Seeder, free_port, write_config


def _enroll(api: Api, code: str, forwarded: str) -> int:
    response = api.raw(
        "POST", "/api/v1/enroll", json={"code": code}, headers={"X-Forwarded-For": forwarded}
    )
    return response.status_code


def _audited_clients(seeder: Seeder) -> set[str]:
    with seeder.sessions() as db:
        rows = db.scalars(select(AuditEvent).where(AuditEvent.action == "enroll_refused"))
        return {json.loads(row.details)["client"] for row in rows}


def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    seeder = Seeder(database)
    port = free_port()
    config = write_config(tmp_path / "hub.toml", database, port)
    hub = HubProcess(config, port, tmp_path / "hub.log")
    try:
        api = Api(hub.base_url)
        statuses = [_enroll(api, "ZZZZ-ZZZZ-ZZZZ", f"10.1.2.{i}") for i in range(14)]
        assert statuses[:10] == [404] * 10, statuses
        assert statuses[10:] == [429] * 4, statuses  # a new forged address each time: no help
        assert _audited_clients(seeder) == {"127.0.0.1"}
    finally:
        hub.stop()
        seeder.close()


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    seeder = Seeder(database)
    port = free_port()
    config = tmp_path / "hub.toml"
    write_config(config, database, port)
    config.write_text(config.read_text() + 'trusted_proxies = ["127.0.0.0/8", "10.0.0.1"]\n')
    hub = HubProcess(config, port, tmp_path / "hub.log")
    try:
        api = Api(hub.base_url)
        # the client forged "1.2.3.4"; the proxies appended the real client and a proxy hop
        for _ in range(10):
            assert _enroll(api, "ZZZZ-ZZZZ-ZZZZ", "1.2.3.4, 192.168.5.7, 10.0.0.1") == 404
        assert _enroll(api, "ZZZZ-ZZZZ-ZZZZ", "5.6.7.8, 192.168.5.7") == 429
        assert _enroll(api, "ZZZZ-ZZZZ-ZZZZ", "192.168.5.8") == 404  # another client
        assert _audited_clients(seeder) == {"192.168.5.7", "192.168.5.8"}
    finally:
        hub.stop()
        seeder.close()


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_client_address_rules():
    assert client_address(_request("192.168.1.9", "1.1.1.1")) == "192.168.1.9"
    trusted = ("10.0.0.0/24",)
    assert client_address(_request("192.168.1.9", "1.1.1.1"), trusted) == "192.168.1.9"
    assert client_address(_request("10.0.0.5", "1.1.1.1, 2.2.2.2"), trusted) == "2.2.2.2"
    assert client_address(_request("10.0.0.5", "2.2.2.2, 10.0.0.7"), trusted) == "2.2.2.2"
    assert client_address(_request("10.0.0.5", None), trusted) == "10.0.0.5"
    assert client_address(_request("10.0.0.5", "not-an-ip"), trusted) == "10.0.0.5"


def test_trusted_proxies_setting_is_a_list_of_addresses_or_networks():
    import pytest

    from hub.settings import SettingsError, settings_from_mapping

    assert settings_from_mapping({}).trusted_proxies == ()
    parsed = settings_from_mapping({"trusted_proxies": ["10.0.0.1", "fd00::/8"]})
    assert parsed.trusted_proxies == ("10.0.0.1", "fd00::/8")
    with pytest.raises(SettingsError, match="trusted_proxies"):
        settings_from_mapping({"trusted_proxies": ["proxy.local"]})
    with pytest.raises(SettingsError, match="list of strings"):
        settings_from_mapping({"trusted_proxies": "10.0.0.1"})
