"""Booth enrollment (issue: operations): `bilik-hub booth enroll` prints a one-time code, the
booth exchanges it at `POST /api/v1/enroll` for a device token that replaces the old one.

The real `bilik-hub` command issues the codes, against the real hub's database; the exchange goes
over HTTP to the real hub process.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

from sqlalchemy import select, update

from hub.store.models import AuditEvent, Booth, EnrollmentCode
from tests.hub.harness import (
    BILIK_HUB,
    ROOT,
    Api,
    BranchInfo,
    HubProcess,
    Seeder,
    free_port,
    write_config,
)

CODE = re.compile(r"enrollment code for booth \S+: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})")


def bilik_hub(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BILIK_HUB), *args, "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def issue(config: Path, branch_id: str, booth_id: str, *extra: str) -> str:
    done = bilik_hub(config, "booth", "enroll", branch_id, booth_id, *extra)
    assert done.returncode == 0, done.stderr
    match = CODE.search(done.stdout)
    assert match, done.stdout
    return match.group(1)


def enroll(api: Api, code: str) -> tuple[int, dict]:
    return api.post("/api/v1/enroll", json={"code": code})


def error_code(body: dict) -> str:
    return body["error"]["code"]


def test_code_from_the_cli_gives_a_new_booth_a_working_token(
    hub_server: HubProcess, seeder: Seeder, api: Api
):
    branch = seeder.branch(booths=0)
    done = bilik_hub(
        hub_server.config, "booth", "enroll", branch.id, f"{branch.id}-07", "--name", "Bilik 7"
    )
    assert done.returncode == 0, done.stderr
    assert f"booth {branch.id}-07 created in branch {branch.id}" in done.stdout
    assert "valid once, until" in done.stdout
    code = CODE.search(done.stdout).group(1)
    assert not set(code) & set("01OIL")

    status, body = enroll(api, code)
    assert status == 200, body
    assert body["booth_id"] == f"{branch.id}-07" and body["branch_id"] == branch.id
    assert dt.datetime.fromisoformat(body["hub_time"]).tzinfo is not None
    status, booth = api.get(f"/api/v1/booths/{branch.id}-07", body["token"])
    assert status == 200, booth
    assert booth["name"] == "Bilik 7"

    with seeder.sessions() as db:
        row = db.scalar(select(EnrollmentCode).where(EnrollmentCode.booth_id == f"{branch.id}-07"))
        assert row.used_at is not None
        assert row.expires_at - row.created_at == dt.timedelta(minutes=15)  # the default
        assert code not in row.code_hash and code.replace("-", "") not in row.code_hash
        events = db.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == f"booth:{branch.id}-07")
            .order_by(AuditEvent.seq)
        ).all()
    actions = [e.action for e in events]
    assert actions == ["enroll_code_issued", "booth_enrolled"]
    for event in events:  # neither the code nor the token is ever written down
        assert code not in event.details and code.replace("-", "") not in event.details
        assert body["token"] not in event.details
    assert code not in hub_server.log_path.read_text()


def test_reenrollment_revokes_the_old_token(hub_server: HubProcess, branch: BranchInfo, api: Api):
    booth = branch.booths[0]
    assert api.get(f"/api/v1/booths/{booth.id}", booth.token)[0] == 200
    code = issue(hub_server.config, branch.id, booth.id)
    status, body = enroll(api, code.lower().replace("-", " "))  # as typed on a booth keyboard
    assert status == 200, body
    assert api.get(f"/api/v1/booths/{booth.id}", booth.token) == (
        401,
        {"error": {"code": "unauthorized", "params": {}}},
    )
    assert api.get(f"/api/v1/booths/{booth.id}", body["token"])[0] == 200

    second = issue(hub_server.config, branch.id, booth.id)
    status, again = enroll(api, second)
    assert status == 200, again
    assert api.get(f"/api/v1/booths/{booth.id}", body["token"])[0] == 401
    assert api.get(f"/api/v1/booths/{booth.id}", again["token"])[0] == 200


def test_a_used_code_is_refused(hub_server: HubProcess, branch: BranchInfo, api: Api):
    code = issue(hub_server.config, branch.id, branch.booths[0].id)
    status, body = enroll(api, code)
    assert status == 200
    status, refused = enroll(api, code)
    assert (status, error_code(refused)) == (409, "code_used")
    assert api.get(f"/api/v1/booths/{branch.booths[0].id}", body["token"])[0] == 200


def test_code_past_its_expiry_time_is_refused_expiry_moved_back_in_the_database(
    hub_server: HubProcess, seeder: Seeder, branch: BranchInfo, api: Api
):
    booth = branch.booths[0]
    code = issue(hub_server.config, branch.id, booth.id)
    with seeder.sessions.begin() as db:
        db.execute(
            update(EnrollmentCode)
            .where(EnrollmentCode.booth_id == booth.id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    status, body = enroll(api, code)
    assert (status, error_code(body)) == (410, "code_expired")
    assert api.get(f"/api/v1/booths/{booth.id}", booth.token)[0] == 200  # token unchanged


def test_unknown_code_and_a_replaced_code_are_refused(
    hub_server: HubProcess, branch: BranchInfo, api: Api
):
    status, body = enroll(api, "AAAA-BBBB-CCCC")
    assert (status, error_code(body)) == (404, "unknown_code")
    first = issue(hub_server.config, branch.id, branch.booths[0].id)
    second = issue(hub_server.config, branch.id, branch.booths[0].id)
    status, body = enroll(api, first)  # a newer code for the same booth replaces it
    assert (status, error_code(body)) == (404, "unknown_code")
    assert enroll(api, second)[0] == 200


def test_cli_refuses_unknown_branch_bad_id_and_a_booth_of_another_branch(
    hub_server: HubProcess, seeder: Seeder
):
    done = bilik_hub(hub_server.config, "booth", "enroll", "no-such-branch", "x-01")
    assert done.returncode == 1
    assert "branch 'no-such-branch' does not exist" in done.stderr
    one, two = seeder.branch(booths=1), seeder.branch(booths=0)
    done = bilik_hub(hub_server.config, "booth", "enroll", two.id, one.booths[0].id)
    assert done.returncode == 1
    assert f"belongs to branch {one.id!r}" in done.stderr
    done = bilik_hub(hub_server.config, "booth", "enroll", two.id, "Bilik Satu")
    assert done.returncode == 1 and "lower-case letters" in done.stderr
    with seeder.sessions() as db:
        assert db.get(Booth, "Bilik Satu") is None


def test_booth_list_shows_the_heartbeats_device_health(
    hub_server: HubProcess, seeder: Seeder, api: Api
):
    branch, other = seeder.branch(booths=2, agents=1), seeder.branch(booths=1, agents=1)
    booth = branch.booths[0]
    devices = {"camera": {"ok": False, "detail": "unplugged"}, "scanner": {"ok": True}}
    status, _ = api.post(
        f"/api/v1/booths/{booth.id}/heartbeat", booth.token, {"state": "out_of_service",
                                                               "devices": devices}
    )  # fmt: skip
    assert status == 200
    token = api.login(branch.agents[0].username, branch.agents[0].password)
    status, body = api.get(f"/api/v1/branches/{branch.id}/booths", token)
    assert status == 200, body
    listed = {b["booth_id"]: b for b in body["booths"]}
    assert set(listed) == {b.id for b in branch.booths}
    assert listed[booth.id]["state"] == "out_of_service"
    assert listed[booth.id]["online"] is True
    assert listed[booth.id]["devices"] == devices
    assert listed[booth.id]["last_seen"]
    assert listed[branch.booths[1].id]["online"] is False

    other_token = api.login(other.agents[0].username, other.agents[0].password)
    status, body = api.get(f"/api/v1/branches/{branch.id}/booths", other_token)
    assert (status, error_code(body)) == (403, "forbidden")
    status, body = api.get(f"/api/v1/branches/{branch.id}/booths", booth.token)
    assert (status, error_code(body)) == (403, "forbidden")
    assert Api(hub_server.base_url).get(f"/api/v1/branches/{branch.id}/booths")[0] == 401

    done = bilik_hub(hub_server.config, "booth", "list", "--branch", branch.id)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if booth.id in line)
    assert "online" in line and "out_of_service" in line and "camera=FAIL" in line
    done = bilik_hub(hub_server.config, "booth", "list", "--branch", branch.id, "--json")
    assert {b["booth_id"] for b in json.loads(done.stdout)} == {b.id for b in branch.booths}


def test_failed_attempts_are_rate_limited_per_client(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    port = free_port()
    config = write_config(tmp_path / "hub.toml", database, port, enroll_code_minutes=5)
    branch = Seeder(database).branch(booths=1)
    hub = HubProcess(config, port, tmp_path / "hub.log")
    try:
        api = Api(hub.base_url)
        code = issue(config, branch.id, branch.booths[0].id)
        for _ in range(10):
            assert enroll(api, "ZZZZ-ZZZZ-ZZZZ")[0] == 404
        response = api.raw("POST", "/api/v1/enroll", json={"code": code})
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "rate_limited"
        assert int(response.headers["Retry-After"]) > 0
        with Seeder(database).sessions() as db:  # the valid code was not spent
            row = db.scalar(select(EnrollmentCode))
            assert row.used_at is None
            assert row.expires_at - row.created_at == dt.timedelta(minutes=5)
    finally:
        hub.stop()
