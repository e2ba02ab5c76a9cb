"""The hub in-process (FastAPI's TestClient) on a fresh SQLite file, with a clock tests move.

For rules that depend on time (slot windows, grace periods, retention) and for sweeps over every
route: each request is a few milliseconds and the time is whatever the test sets. The real
server over loopback is tested beside this (tests/hub/harness.py); both run the same app.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about its httpx client
    from fastapi.testclient import TestClient

from contract.states import Role
from hub.app import create_app
from hub.clock import FakeClock
from hub.domain.passwords import hash_password
from hub.services.accounts import ensure_booth, ensure_branch
from hub.services.credentials import issue_agent_token
from hub.settings import HubSettings
from hub.store.models import Agent, Ticket

#: 10:00 WIB on a Wednesday: inside the branch's day, whatever the real time is.
START = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
SECRET = "in-process-test-secret"
PASSWORD = "kata-sandi-uji"


@functools.cache
def password_hash() -> str:
    """scrypt is slow on purpose; one hash serves every test account."""
    return hash_password(PASSWORD)


@dataclass
class World:
    client: TestClient
    clock: FakeClock
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)  # role name → bearer token
    ids: dict[str, Any] = field(default_factory=dict)

    @property
    def sessions(self) -> Any:
        return self.app.state.hub.sessions

    def call(
        self, method: str, path: str, who: str | None = None, json: Any = None, **kw: Any
    ) -> Any:
        headers = kw.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.request(method, path, headers=headers, json=json, **kw)

    def ticket(self, branch_id: str = "tga", slot: tuple[int, int] = (10, 11), **extra: Any) -> str:
        """A booked ticket for today (branch time) in `slot` hours; returns its booking code."""
        n = len(self.ids.setdefault("tickets", [])) + 1
        code = f"T{n:07d}"
        local_day = (self.clock.now() + dt.timedelta(hours=7)).date()
        with self.sessions.begin() as db:
            db.add(
                Ticket(
                    booking_code=code,
                    nik=f"367101150885{n:04d}",
                    name="Budi Santoso",
                    service="JHT",
                    branch_id=branch_id,
                    date=local_day,
                    slot_start=dt.time(slot[0]),
                    slot_end=dt.time(slot[1]),
                    status="booked",
                    **extra,
                )
            )
        self.ids["tickets"].append(code)
        return code


def build_world(tmp: Path, **settings: Any) -> World:
    """Two branches (WIB): booths, a CS of each kind, supervisors, HQ and an admin."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp / 'hub.db'}",
        "secret": SECRET,
        "data_dir": str(tmp / "data"),
        "booth_grace_seconds": 3600,
    }
    values.update(settings)
    clock = FakeClock(START)
    app = create_app(HubSettings().with_overrides(**values), clock=clock)
    world = World(TestClient(app), clock, app)
    with app.state.hub.sessions.begin() as db:
        for branch in ("tga", "tgb"):
            ensure_branch(db, branch, f"Cabang {branch}", "Asia/Jakarta")
        booths = {"booth": ("tga-01", "tga"), "other_booth": ("tga-02", "tga")}
        for who, (booth_id, branch) in booths.items():
            ensure_booth(db, booth_id, branch, f"Bilik {booth_id[-1]}", f"token-{booth_id}")
            world.tokens[who] = f"token-{booth_id}"
        staff = {
            "cs": ("cs-a", Role.CS, "tga"),
            "other_cs": ("cs-a2", Role.CS, "tga"),
            "supervisor": ("spv-a", Role.SUPERVISOR, "tga"),
            "other_supervisor": ("spv-b", Role.SUPERVISOR, "tgb"),
            "hq": ("hq-1", Role.HQ, None),
            "admin": ("admin-1", Role.ADMIN, None),
        }
        for who, (account, role, branch) in staff.items():
            agent = Agent(
                id=account,
                username=account,
                name=f"Staf {account}",
                branch_id=branch,
                password_hash=password_hash(),
                role=role,
                status="offline",
                capacity=5,
            )
            db.add(agent)
            db.flush()
            world.tokens[who] = issue_agent_token(db, agent, clock.now())
            world.ids[who] = account
        db.add(Agent(id="spare", username="spare", name="Cadangan", branch_id="tga",
                     password_hash="x", role=Role.CS))  # fmt: skip
    return world


def assigned_session(world: World) -> int:
    """Booth tga-01 checked in, queued and assigned to CS cs-a; returns the session id."""
    code = world.ticket()
    answer = world.call("POST", "/api/v1/checkins", "booth", {"booking_code": code})
    assert answer.status_code == 201, answer.text
    session_id = answer.json()["session"]["id"]
    assert world.call("POST", f"/api/v1/sessions/{session_id}/enqueue", "booth").status_code == 200
    online = world.call("POST", "/api/v1/agents/cs-a/status", "cs", {"status": "online"})
    assert online.status_code == 200, online.text
    return session_id
