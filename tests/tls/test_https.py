"""The hub over HTTPS with a branch CA, and booths that pin that CA (issue: operations).

A real `bilik-hub serve` with a certificate made here by a test CA; the booth's real HubClient
and event stream. A certificate from any other CA is refused, even a valid one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import websocket

from kiosk.config import ConfigError, parse_config
from kiosk.hub_client import HubClient, HubUnavailable
from tests.hub.harness import HubProcess, Seeder, free_port, write_config
from tests.tls.ca import make_ca, make_server_cert


@pytest.fixture(scope="module")
def https_hub(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("tls")
    ca_path, ca_key, ca_cert = make_ca(directory, "branch-ca")
    other_ca, _, _ = make_ca(directory, "some-other-ca")
    cert, key = make_server_cert(directory, ca_key, ca_cert)
    database = f"sqlite:///{directory / 'hub.db'}"
    port = free_port()
    config = write_config(
        directory / "hub.toml", database, port, tls_certfile=str(cert), tls_keyfile=str(key)
    )
    branch = Seeder(database).branch(booths=1)
    hub = HubProcess(config, port, directory / "hub.log", scheme="https", ca_file=ca_path)
    yield {"url": f"https://127.0.0.1:{port}", "ca": ca_path, "other_ca": other_ca,
           "booth": branch.booths[0]}  # fmt: skip
    hub.stop()


def test_booth_pinning_the_branch_ca_talks_to_the_hub_over_https(https_hub):
    booth = https_hub["booth"]
    client = HubClient(https_hub["url"], booth.token, booth.id, ca_file=str(https_hub["ca"]))
    client.heartbeat("idle", {})
    assert client.open_session() is None
    ws = websocket.create_connection(client.events_url(), timeout=10, **client.ws_options())
    try:
        assert json.loads(ws.recv()) == {"type": "session", "session": None}
    finally:
        ws.close()


def test_certificate_from_another_ca_is_refused(https_hub):
    booth = https_hub["booth"]
    client = HubClient(https_hub["url"], booth.token, booth.id, ca_file=str(https_hub["other_ca"]))
    with pytest.raises(HubUnavailable, match="SSLError"):
        client.heartbeat("idle", {})
    with pytest.raises(OSError):  # ssl.SSLCertVerificationError is an OSError
        websocket.create_connection(client.events_url(), timeout=10, **client.ws_options())


def test_missing_ca_file_is_named_in_the_config_error(tmp_path: Path):
    data = {
        "booth": {"id": "tgc-01"},
        "hub": {"url": "https://hub:8700", "token": "t", "ca_file": "tls/branch-ca.pem"},
    }
    with pytest.raises(ConfigError) as err:
        parse_config(data, "kiosk.toml", base_dir=tmp_path)
    assert err.value.key == "hub.ca_file"
    assert str(tmp_path / "tls" / "branch-ca.pem") in str(err.value)
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "branch-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    config = parse_config(data, "kiosk.toml", base_dir=tmp_path)
    assert config.hub.ca_file == str(tmp_path / "tls" / "branch-ca.pem")
