"""A real `bilik-hub serve` on loopback and a way to put test data into its database.

Tests talk to the hub over HTTP/WebSocket exactly like a booth; the seeding side writes the same
database (a SQLite file or a PostgreSQL database) through `hub.store.models` and
`hub.services.accounts` (what `bilik-hub demo` uses too).

Clock independence: the hub checks tickets against the real clock in the branch's time zone.
Each test branch gets a fixed-offset zone (`Etc/GMT±N`) chosen so that its local time is
within half an hour of noon when the branch is created; slots a few hours before or after "now"
then always stay inside the branch's today, whatever time the suite runs. The Indonesian zones
(WIB/WITA/WIT) and midnight edges are covered by the pure rule tests with fixed instants.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy.orm import Session, sessionmaker

from hub.services.accounts import ensure_agent, ensure_booth, ensure_branch
from hub.store.database import open_database
from hub.store.models import Ticket

ROOT = Path(__file__).resolve().parents[2]
BILIK_HUB = Path(sys.executable).parent / "bilik-hub"
SECRET = "test-secret-for-ticket-signatures"

_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path: Path, database_url: str, port: int, **overrides: Any) -> Path:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "database_url": database_url,
        "secret": SECRET,
        "early_tolerance_minutes": 30,
        "late_tolerance_minutes": 15,
        "lookup_failures_per_minute": 5,
        "avg_service_seconds": 600,
        "booth_grace_seconds": 3600,  # test booths send no heartbeats
    }
    values.update(overrides)
    lines = [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in values.items()]
    path.write_text("\n".join(lines).replace("'", '"') + "\n")
    return path


class HubProcess:
    """`bilik-hub serve --config …` as a child process; `stop()` ends exactly that process."""

    def __init__(
        self,
        config: Path,
        port: int,
        log_path: Path,
        scheme: str = "http",
        ca_file: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        """`scheme="https"` with the `ca_file` that signed the hub's certificate; `extra_args`
        for `serve` (e.g. `--workers 2`)."""
        self.config = config
        self.base_url = f"{scheme}://127.0.0.1:{port}"
        self.ws_url = f"{'wss' if scheme == 'https' else 'ws'}://127.0.0.1:{port}"
        self._verify: str | bool = str(ca_file) if ca_file else True
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [
                str(BILIK_HUB),
                "serve",
                "--config",
                str(config),
                "--log-level",
                "warning",
                *extra_args,
            ],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(self.base_url + "/healthz", timeout=1, verify=self._verify).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"hub did not become healthy: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


class Api:
    """Thin `requests` wrapper: `api.post(path, token, json)` → (status, body).

    Cookies persist within one `Api` like in a browser (the console's login cookies); a bearer
    `token` wins over them on the hub.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def raw(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(
            method, self.base_url + path, json=json, data=data, headers=headers, timeout=10
        )

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        response = self.raw(method, path, token, json=json, headers=headers)
        return response.status_code, response.json()

    def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        return self.call("GET", path, token)

    def post(self, path: str, token: str | None = None, json: Any = None) -> tuple[int, Any]:
        return self.call("POST", path, token, json)

    def put(self, path: str, token: str | None = None, json: Any = None) -> tuple[int, Any]:
        return self.call("PUT", path, token, json)

    # the calls most tests make
    def checkin(self, booth_token: str, /, **body: str) -> tuple[int, Any]:
        return self.post("/api/v1/checkins", booth_token, body)

    def lookup(self, booth_token: str, /, **body: str) -> tuple[int, Any]:
        return self.post("/api/v1/checkins/lookup", booth_token, body)

    def login(self, username: str, password: str) -> str:
        status, body = self.post(
            "/api/v1/agents/login", json={"username": username, "password": password}
        )
        assert status == 200, body
        return body["token"]


def noon_zone(now: dt.datetime | None = None) -> str:
    """A fixed-offset IANA zone whose local time is within 30 minutes of 12:00 right now."""
    now = now or dt.datetime.now(dt.UTC)
    hours = now.hour + now.minute / 60
    offset = round(12 - hours)
    if offset > 14:
        offset -= 24
    if offset < -12:
        offset += 24
    return f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT-7 is UTC+7


@dataclass
class BoothInfo:
    id: str
    token: str


@dataclass
class AgentInfo:
    id: str
    username: str
    password: str


@dataclass
class BranchInfo:
    id: str
    name: str
    timezone: str
    booths: list[BoothInfo] = field(default_factory=list)
    agents: list[AgentInfo] = field(default_factory=list)

    def local_now(self) -> dt.datetime:
        return dt.datetime.now(ZoneInfo(self.timezone))


class Seeder:
    """Creates branches, booths, CS accounts and tickets in the hub's database."""

    def __init__(self, database_url: str) -> None:
        self.sessions: sessionmaker[Session] = open_database(database_url)

    def close(self) -> None:
        """Return the pooled connections (a PostgreSQL server counts them against its limit)."""
        bind = self.sessions.kw.get("bind")
        if bind is not None:
            bind.dispose()

    def branch(
        self,
        booths: int = 2,
        agents: int = 0,
        mode: str = "one_to_many",
        max_capacity: int = 5,
        timezone: str | None = None,
    ) -> BranchInfo:
        n = next(_ids)
        info = BranchInfo(f"b{n}", f"Cabang Uji {n}", timezone or noon_zone())
        with self.sessions.begin() as db:
            ensure_branch(db, info.id, info.name, info.timezone, mode, max_capacity)
            for i in range(1, booths + 1):
                booth = BoothInfo(f"{info.id}-{i:02d}", f"token-{info.id}-{i:02d}-{n}")
                ensure_booth(db, booth.id, info.id, f"Bilik {i}", booth.token)
                info.booths.append(booth)
            for i in range(1, agents + 1):
                agent = AgentInfo(f"{info.id}-cs{i}", f"{info.id}-cs{i}", f"pw-{info.id}-{i}")
                ensure_agent(db, agent.id, agent.username, f"CS {i}", info.id, agent.password)
                info.agents.append(agent)
        return info

    def ticket(
        self,
        branch: BranchInfo,
        start_in: dt.timedelta = dt.timedelta(minutes=-30),
        length: dt.timedelta = dt.timedelta(hours=1),
        day_offset: int = 0,
        status: str = "booked",
        priority: bool = False,
        name: str = "Budi Santoso",
    ) -> Ticket:
        """A ticket whose slot starts `start_in` from now (branch local time)."""
        n = next(_ids)
        local_now = branch.local_now()
        start = (local_now + start_in).replace(second=0, microsecond=0)
        end = start + length
        assert start.date() == end.date() == local_now.date(), "slot must stay inside today"
        ticket = Ticket(
            booking_code=f"T{n:07d}",
            nik=f"367101150885{n % 10000 or 1:04d}",
            name=name,
            service="JHT",
            branch_id=branch.id,
            date=local_now.date() + dt.timedelta(days=day_offset),
            slot_start=start.time(),
            slot_end=end.time(),
            status=status,
            priority=priority,
        )
        with self.sessions.begin() as db:
            db.add(ticket)
        return ticket
