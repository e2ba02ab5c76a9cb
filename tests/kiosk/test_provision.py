"""`kiosk provision` against a real hub over loopback, plain and HTTPS (issue: operations).

Codes are issued the way `bilik-hub booth enroll` issues them (hub.api.routes.enrollment.issue_code
on the hub's database); the booth side is the real `kiosk` command writing real files in a temp dir.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import update

from hub.clock import utc_now
from hub.services.enrollment import issue_code
from hub.store.models import EnrollmentCode
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.hub_client import HubClient
from kiosk.provision import LOCAL_PROBLEM, REFUSED, UNREACHABLE, UNTRUSTED
from tests.hub.harness import SECRET, BranchInfo, HubProcess, Seeder, free_port, write_config
from tests.tls.ca import make_ca, make_server_cert


class Hub:
    def __init__(self, url: str, seeder: Seeder, ca: Path | None = None) -> None:
        self.url, self.seeder, self.ca = url, seeder, ca

    def code(self, branch: BranchInfo, booth_id: str, minutes: int = 15) -> str:
        with self.seeder.sessions.begin() as db:
            return issue_code(db, SECRET, branch.id, booth_id, None, minutes, utc_now())[0]

    def status(self, booth_id: str, token: str) -> int:
        verify = str(self.ca) if self.ca else True
        response = requests.get(
            f"{self.url}/api/v1/booths/{booth_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            verify=verify,
        )
        return response.status_code


@pytest.fixture(scope="module")
def http_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    directory = tmp_path_factory.mktemp("provision-http")
    database = f"sqlite:///{directory / 'hub.db'}"
    port = free_port()
    config = write_config(directory / "hub.toml", database, port)
    process = HubProcess(config, port, directory / "hub.log")
    yield Hub(process.base_url, Seeder(database))
    process.stop()


@pytest.fixture(scope="module")
def https_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    directory = tmp_path_factory.mktemp("provision-https")
    ca_path, ca_key, ca_cert = make_ca(directory, "branch-ca")
    cert, key = make_server_cert(directory, ca_key, ca_cert)
    database = f"sqlite:///{directory / 'hub.db'}"
    port = free_port()
    config = write_config(
        directory / "hub.toml", database, port, tls_certfile=str(cert), tls_keyfile=str(key)
    )
    process = HubProcess(config, port, directory / "hub.log", scheme="https", ca_file=ca_path)
    yield Hub(process.base_url, Seeder(database), ca_path)
    process.stop()


def provision(tmp: Path, hub_url: str, code: str, *extra: str) -> int:
    return main(
        [
            "provision",
            "--hub",
            hub_url,
            "--code",
            code,
            "--config",
            str(tmp / "etc" / "kiosk.toml"),
            "--token-file",
            str(tmp / "etc" / "booth.token"),
            *extra,
        ]
    )


def test_provision_over_https_pins_the_ca_and_writes_a_private_token(
    https_hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    branch = https_hub.seeder.branch(booths=0)
    booth_id = f"{branch.id}-05"
    code = https_hub.code(branch, booth_id)
    old_umask = os.umask(0)  # the token file must be 0600 whatever the umask
    try:
        assert provision(tmp_path, https_hub.url, code, "--ca-file", str(https_hub.ca)) == 0
    finally:
        os.umask(old_umask)
    out = capsys.readouterr().out
    assert f"booth {booth_id} (branch {branch.id}) enrolled" in out
    assert code not in out

    token_file = tmp_path / "etc" / "booth.token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert [p.name for p in token_file.parent.iterdir() if p.name.startswith(".")] == []
    pinned = tmp_path / "etc" / "branch-ca.pem"
    assert pinned.read_bytes() == https_hub.ca.read_bytes()

    config = load_config(tmp_path / "etc" / "kiosk.toml")  # the example's shape, filled in
    assert config.booth.id == booth_id
    assert config.hub.url == https_hub.url
    assert config.hub.token_file == str(token_file)
    assert config.hub.ca_file == str(pinned)
    assert config.hub.token == token_file.read_text().strip()

    client = HubClient(config.hub.url, config.hub.token, booth_id, ca_file=config.hub.ca_file)
    client.heartbeat("idle", {})
    assert https_hub.status(booth_id, config.hub.token) == 200

    # re-enrolling without --ca-file still pins the CA the kiosk.toml names
    assert provision(tmp_path, https_hub.url, https_hub.code(branch, booth_id)) == 0
    again = load_config(tmp_path / "etc" / "kiosk.toml")
    assert again.hub.ca_file == str(pinned) and again.hub.token != config.hub.token
    assert https_hub.status(booth_id, config.hub.token) == 401
    assert https_hub.status(booth_id, again.hub.token) == 200


def test_a_ca_that_did_not_sign_the_hub_is_refused_and_the_code_is_not_spent(
    https_hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    branch = https_hub.seeder.branch(booths=1)
    other_ca, _, _ = make_ca(tmp_path, "some-other-ca")
    code = https_hub.code(branch, branch.booths[0].id)
    assert provision(tmp_path, https_hub.url, code, "--ca-file", str(other_ca)) == UNTRUSTED
    err = capsys.readouterr().err
    assert "certificate is not trusted" in err and str(other_ca) in err
    assert "--ca-file" in err
    assert not (tmp_path / "etc").exists()
    assert https_hub.status(branch.booths[0].id, branch.booths[0].token) == 200
    # the TLS handshake failed before the code was sent: it still works with the right CA
    assert provision(tmp_path, https_hub.url, code, "--ca-file", str(https_hub.ca)) == 0


def test_reprovisioning_keeps_the_other_keys_and_revokes_the_old_token(
    http_hub: Hub, tmp_path: Path
):
    branch = http_hub.seeder.branch(booths=1)
    booth = branch.booths[0]
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "kiosk.toml").write_text(
        "# booth 1, by the entrance\n"
        "[booth]\n"
        'id = "old-id"\n'
        'language = "en"\n'
        "\n"
        "[hub]\n"
        "# the old hub\n"
        'url = "http://10.0.0.9:8700"\n'
        f'token = "{booth.token}"\n'
        "timeout_seconds = 7\n"
        "\n"
        "[camera]\n"
        'source = "/dev/video2"\n'
    )
    code = http_hub.code(branch, booth.id)
    assert provision(tmp_path, http_hub.url + "/", code) == 0

    text = (etc / "kiosk.toml").read_text()
    assert "# booth 1, by the entrance" in text and "# the old hub" in text
    assert booth.token not in text.replace(f'# token = "{booth.token}"', "")
    config = load_config(etc / "kiosk.toml")
    assert config.booth.id == booth.id and config.booth.language == "en"
    assert config.hub.url == http_hub.url and config.hub.timeout_seconds == 7
    assert config.camera.source == "/dev/video2"
    assert config.hub.ca_file == ""
    assert http_hub.status(booth.id, booth.token) == 401  # the old token is revoked
    assert http_hub.status(booth.id, config.hub.token) == 200

    first = config.hub.token
    (etc / "booth.token").chmod(0o644)
    assert provision(tmp_path, http_hub.url, http_hub.code(branch, booth.id)) == 0
    assert stat.S_IMODE((etc / "booth.token").stat().st_mode) == 0o600
    second = load_config(etc / "kiosk.toml").hub.token
    assert second != first
    assert http_hub.status(booth.id, first) == 401
    assert http_hub.status(booth.id, second) == 200


def test_used_unknown_and_expired_codes_are_refused_with_clear_messages(
    http_hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    branch = http_hub.seeder.branch(booths=1)
    booth = branch.booths[0]
    code = http_hub.code(branch, booth.id)
    assert provision(tmp_path / "a", http_hub.url, code) == 0
    capsys.readouterr()

    assert provision(tmp_path / "b", http_hub.url, code) == REFUSED
    assert "already used" in capsys.readouterr().err
    assert provision(tmp_path / "b", http_hub.url, "AAAA-BBBB-CCCC") == REFUSED
    assert "does not know this code" in capsys.readouterr().err

    expiring = http_hub.code(branch, booth.id)
    with http_hub.seeder.sessions.begin() as db:  # moved past its expiry in the database
        db.execute(
            update(EnrollmentCode)
            .where(EnrollmentCode.booth_id == booth.id, EnrollmentCode.used_at.is_(None))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert provision(tmp_path / "b", http_hub.url, expiring) == REFUSED
    assert "has expired" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()  # nothing written for a refused code


def test_unreachable_hub_and_local_problems_stop_before_the_code_is_spent(
    http_hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    branch = http_hub.seeder.branch(booths=1)
    code = http_hub.code(branch, branch.booths[0].id)
    nowhere = f"http://127.0.0.1:{free_port()}"
    assert provision(tmp_path, nowhere, code) == UNREACHABLE
    assert "cannot reach the hub" in capsys.readouterr().err

    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "kiosk.toml").write_text("[booth\nid = 1\n")
    assert provision(tmp_path, http_hub.url, code) == LOCAL_PROBLEM
    assert "the code has not been used" in capsys.readouterr().err
    assert provision(tmp_path, http_hub.url, code, "--ca-file", str(tmp_path)) == LOCAL_PROBLEM
    assert "https" in capsys.readouterr().err

    (tmp_path / "etc" / "kiosk.toml").unlink()
    assert provision(tmp_path, http_hub.url, code) == 0  # still good
