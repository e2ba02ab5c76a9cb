"""The hub holds a country (issue 8): a central hub on PostgreSQL with 1, 2 and 4 processes and a
branch hub on SQLite, under held event streams and a steady load of look-ups and check-ins.

    python -m bench.central [--quick] [--json PATH] [--markdown PATH] [--only SECTIONS]
                            [--configs NAMES] [--seed N]

Everything is real: `bilik-hub serve [--workers N]` (tests/hub/harness.HubProcess) on loopback,
over a SQLite file or a private PostgreSQL cluster (tests/postgres.PostgresCluster), driven over
HTTP and WebSocket by one asyncio client process (httpx + websockets) on the same machine. The
machine has 2 cores: the load generator, the hub processes and PostgreSQL share them, so every
latency includes the client's own CPU time and its competition with the hub; the report shows
how many cores each used.

Demo data (bulk INSERTs through SQLAlchemy core, not per-row API calls): 300 branches x 7 booths
and 3 CS each (2,100 booths, 900 CS, online with capacity 5), tickets for today in every branch
(each branch in a fixed-offset zone whose local time is near noon, so every slot is "now").

Sections (`--only`, default all):

- dispatch: bench.dispatch's own functions (the decision with 1,000 waiting / 200 CS, and one
  full run_dispatch on SQLite); target p99 <= 5 ms.
- streams: per configuration (sqlite-1, pg-1, pg-2, pg-4) and per level of held streams
  (200 / 1,000 booth streams over booths drawn at random from every branch; 3,000 = every booth
  (2,100) + every CS console (900), on sqlite-1 and pg-4), in order:
    * resident memory (VmRSS from /proc of every hub process: the server, or uvicorn's
      supervisor, its workers and multiprocessing's resource tracker) with no stream and with
      the streams held; per stream = (total - total with no stream) / streams;
    * database use while idle, over 30 s (twice the streams' 15 s ping period, after which a
      stream re-reads): statements (BEGIN not counted) and transactions counted inside every
      hub process by a SQLAlchemy event listener on the Engine class (a `sitecustomize` that
      this bench puts on the hub's PYTHONPATH; the hub's code is unchanged), and on PostgreSQL
      also pg_stat_database's xact_commit + xact_rollback of the hub's database (its counters
      are flushed by the backends about once a second, up to 10 s late when idle). Not counted
      on SQLite: the cross-process wake-up watcher's `PRAGMA data_version`, 20 a second per
      process, a shared-memory read through the raw sqlite3 module;
    * look-ups alone: 50 in a row, nothing else sent;
    * a steady open-loop load (Poisson arrivals, LOOKUP_RATE + VISIT_RATE: about twice a
      national peak) of ticket look-ups (a random ticket of a random branch, at a random booth
      of that branch) and visits (check-in at a random booth, enqueue = dispatch, which assigns
      a CS, then cancel): p50/p99 of each request, cores used;
    * check-ins per second, closed loop (16 clients; each check-in at a booth takes the booth's
      other ticket and supersedes the previous participant, so every one opens a session);
    * PostgreSQL deadlocks (pg_stat_database.deadlocks), 5xx answers, requests not answered,
      streams that failed to open or ended.
  On pg-2 and pg-4 also the cross-process event latency: a check-in is sent on a connection
  held by one worker for a booth whose stream another worker holds (which process holds which
  socket is read from /proc/net/tcp and /proc/<pid>/fd, for every request); from request sent
  to the booth's stream message, with nothing else running; target p99 <= 100 ms.
- assign: 300 participants / 30 CS (10 branches x 30 booths x 3 CS) on pg-4, every client on
  its own connection, all at once: check-ins + enqueues while the CS log in and go online, then
  rounds (3; 1 with --quick) of every CS going offline and online again while a third of the
  booths cancel and check in again; a housekeeping pass. Then the database: CS over capacity,
  tickets or booths in two open sessions, a waiting session with a CS set, a branch with
  someone waiting while a CS has room; the audit chain; 5xx and deadlocks. Target 0.
- scale: look-up and dispatch time with ~10 k, 100 k and 1 M tickets and sessions (a year of
  closed or cancelled sessions spread over every booth and CS; --quick stops at 100 k), SQLite
  and PostgreSQL (ANALYZEd after each load, as autovacuum would; SQLite gets no ANALYZE, as the
  hub runs none): HTTP look-ups against a 1-process hub, the hot queries timed in this process
  through the hub's own functions (booth's open session, CS load, booth-silence sweep,
  run_dispatch + commit on a branch with 20 waiting and 3 free CS) or their exact queries
  (ticket by booking code as hub.services.checkin, branches with waiting sessions as
  hub.jobs.housekeeping), and EXPLAIN / EXPLAIN QUERY PLAN at the largest size of every SELECT
  those functions really send (captured at the cursor, with their parameters).

Targets (issue 8): 3,000 streams on 4 processes with look-up p99 <= 50 ms; no deadlock at any
concurrency (every request answered, no 5xx, no PostgreSQL deadlock); dispatch <= 5 ms p99 at
1,000 waiting / 200 CS; zero double assignments at 300 participants / 30 CS across processes;
a change committed in one process reaches a stream held by another in <= 100 ms p99.

Exits 0 whether the targets are met or not; non-zero only when a section could not complete.
A full run takes about 20 minutes and writes bench/results/central.json and central.md;
`--quick` (about 3 minutes: sqlite-1 and pg-4 with 200 streams, shorter windows, scale to
100 k) writes them only when asked (--json, --markdown).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import gc
import json
import math
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine, event, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from contract.states import ACTIVE_AGENT_STATES, OPEN_SESSION_STATES, SessionState
from hub.domain.passwords import hash_password
from hub.services import audit
from hub.services.credentials import hash_token
from hub.store.database import open_database
from hub.store.engine import make_read_sessions
from hub.store.models import Agent, AgentToken, Booth, Branch, ServiceSession, Ticket
from tests.hub.harness import ROOT, HubProcess, free_port, noon_zone, write_config

RESULTS = ROOT / "bench" / "results"
BRANCHES, BOOTHS_PER_BRANCH, CS_PER_BRANCH, CAPACITY = 300, 7, 3, 5
PASSWORD = "bench-password-1"
#: The steady phase, per second: about twice a national peak (2,100 booths, each starting a
#: participant every 10 minutes, is 3.5 visits/s; a look-up or two per visit). The machine's
#: ceiling is measured apart, by the check-in burst.
LOOKUP_RATE, VISIT_RATE = 10.0, 5.0
BURST_CLIENTS = 16
HTTP_TIMEOUT = 30.0  # a request not answered by then counts as "no answer"
OPEN_CONCURRENCY = 100  # streams connecting at once, as booths after a hub restart
MAX_IN_FLIGHT = 400  # open-loop arrivals beyond this are not sent (counted)

TARGET_LOOKUP_P99_MS = 50.0
TARGET_DISPATCH_P99_MS = 5.0
TARGET_XPROC_P99_MS = 100.0


@dataclass(frozen=True)
class Config:
    name: str
    backend: str  # "sqlite" | "postgresql"
    workers: int
    levels: tuple[int, ...]
    cross_process_at: int | None = None  # the level after which the cross-process test runs


@dataclass(frozen=True)
class Plan:
    configs: tuple[Config, ...]
    baseline_idle_s: float
    idle_s: float
    steady_s: float
    burst_s: float
    xproc_events: int
    scale_sizes: tuple[int, ...]
    scale_reps: int
    dispatch_rounds: int
    assign_rounds: int  # rounds of every CS going offline and online again


FULL = Plan(
    configs=(
        Config("sqlite-1", "sqlite", 1, (200, 1000, 3000)),
        Config("pg-1", "postgresql", 1, (200, 1000)),
        Config("pg-2", "postgresql", 2, (200, 1000), cross_process_at=1000),
        Config("pg-4", "postgresql", 4, (200, 1000, 3000), cross_process_at=1000),
    ),
    baseline_idle_s=10,
    idle_s=30,
    steady_s=20,
    burst_s=10,
    xproc_events=160,
    scale_sizes=(10_000, 100_000, 1_000_000),
    scale_reps=100,
    dispatch_rounds=300,
    assign_rounds=3,
)
QUICK = Plan(
    configs=(
        Config("sqlite-1", "sqlite", 1, (200,)),
        Config("pg-4", "postgresql", 4, (200,), cross_process_at=200),
    ),
    baseline_idle_s=5,
    idle_s=10,
    steady_s=10,
    burst_s=5,
    xproc_events=110,
    scale_sizes=(10_000, 100_000),
    scale_reps=40,
    dispatch_rounds=100,
    assign_rounds=1,
)


class BenchFailed(Exception):
    pass


# --- numbers ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: with 100 values, p99 is the 99th smallest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 2),
        "p99": round(percentile(values, 0.99), 2),
        "max": round(max(values), 2),
    }


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def pair(stats: dict[str, Any] | None, digits: int = 1) -> str:
    if not stats or not stats.get("n"):
        return "n/a"
    return f"{fmt(stats['p50'], digits)} / {fmt(stats['p99'], digits)}"


# --- hub processes: which, how big, which holds a socket, how many statements -------------------


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (uvicorn's workers and multiprocessing's helper)."""
    parent_of = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _ppid(int(entry))
            if parent is not None:
                parent_of[int(entry)] = parent
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parent_of.items() if parent in frontier]
        tree.extend(frontier)
    return tree


def role_of(pid: int, root: int, workers: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "resource_tracker" in cmdline:
        return "resource tracker"
    if pid == root:
        return "hub" if workers == 1 else "supervisor"
    return "worker" if "multiprocessing" in cmdline else "child"


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


class CpuMeter:
    """Share of the machine's cores used meanwhile by the hub processes, by PostgreSQL's
    processes (if any) and by this client."""

    def __init__(self, hub: Hub) -> None:
        self.groups: dict[str, Callable[[], list[int]]] = {
            "hub_cores": hub.pids,
            "postgres_cores": postgres_pids,
            "client_cores": lambda: [os.getpid()],
        }
        self.began = time.monotonic()
        self.start = {name: self._per_pid(pids()) for name, pids in self.groups.items()}

    @staticmethod
    def _per_pid(pids: list[int]) -> dict[int, float]:
        return {pid: cpu_seconds([pid]) for pid in pids}

    def result(self) -> dict[str, float | None]:
        elapsed = time.monotonic() - self.began
        out: dict[str, float | None] = {}
        for name, pids in self.groups.items():
            now = self._per_pid(pids())  # a process born meanwhile counts from 0
            used = sum(t - self.start[name].get(pid, 0.0) for pid, t in now.items())
            out[name] = round(used / elapsed, 2) if now else None
        return out


_postgres_root: list[int] = []


def postgres_pids() -> list[int]:
    """The private cluster's postmaster and its backends (none before it starts)."""
    return process_tree(_postgres_root[0]) if _postgres_root else []


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def socket_owners(hub_port: int, pids: list[int]) -> dict[int, int]:
    """Client port -> the hub process holding the server side of that TCP connection."""
    inode_of_port: dict[int, str] = {}
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            parts = line.split()
            local_port = int(parts[1].split(":")[1], 16)
            remote_port = int(parts[2].split(":")[1], 16)
            if local_port == hub_port and remote_port and parts[9] != "0":
                inode_of_port[remote_port] = parts[9]
    pid_of_inode: dict[str, int] = {}
    for pid in pids:
        directory = f"/proc/{pid}/fd"
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            try:
                target = os.readlink(f"{directory}/{name}")
            except OSError:
                continue
            if target.startswith("socket:["):
                pid_of_inode[target[8:-1]] = pid
    return {
        port: pid_of_inode[inode] for port, inode in inode_of_port.items() if inode in pid_of_inode
    }


COUNTER_SITECUSTOMIZE = '''\
"""bench.central: count the SQL statements and transactions of this process (hub under bench).
Put on the hub's PYTHONPATH by the bench only; the count goes to $BILIK_BENCH_COUNT_DIR/<pid>."""
import os
import threading

_DIR = os.environ.get("BILIK_BENCH_COUNT_DIR")
if _DIR:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:
        _DIR = None
if _DIR:
    _lock = threading.Lock()
    _counts = [0, 0]  # statements (BEGIN excluded), transactions

    @event.listens_for(Engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip()[:5].upper().startswith("BEGIN"):
            with _lock:
                _counts[0] += 1

    @event.listens_for(Engine, "begin")
    def _transaction(conn):
        with _lock:
            _counts[1] += 1

    def _write():
        path = os.path.join(_DIR, str(os.getpid()))
        while True:
            with _lock:
                line = f"{_counts[0]} {_counts[1]}"
            with open(path + ".tmp", "w") as out:
                out.write(line)
            os.replace(path + ".tmp", path)
            threading.Event().wait(0.2)

    threading.Thread(target=_write, name="bench-counter", daemon=True).start()
'''


class Counters:
    """Statements and transactions of the hub processes, summed over the process tree."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "sitecustomize.py").write_text(COUNTER_SITECUSTOMIZE)

    @contextlib.contextmanager
    def environment(self) -> Iterator[None]:
        """For the duration of a HubProcess start (it copies os.environ into the child)."""
        saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "BILIK_BENCH_COUNT_DIR")}
        path = [str(self.directory)] + ([saved["PYTHONPATH"]] if saved["PYTHONPATH"] else [])
        os.environ["PYTHONPATH"] = os.pathsep.join(path)
        os.environ["BILIK_BENCH_COUNT_DIR"] = str(self.directory)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def read(self, pids: list[int]) -> tuple[int, int]:
        statements = transactions = 0
        for pid in pids:
            with contextlib.suppress(OSError, ValueError):
                s, t = (self.directory / str(pid)).read_text().split()
                statements, transactions = statements + int(s), transactions + int(t)
        return statements, transactions


class PgMonitor:
    """pg_stat_database of the hub's database, read over a connection to `postgres`."""

    def __init__(self, cluster: Any) -> None:
        import psycopg

        self.cluster = cluster
        self.conn = psycopg.connect(
            host="127.0.0.1", port=cluster.port, user="bilik", dbname="postgres", autocommit=True
        )

    def stats(self, database: str) -> tuple[int, int]:
        """(transactions, deadlocks) so far."""
        row = self.conn.execute(
            "SELECT xact_commit + xact_rollback, deadlocks FROM pg_stat_database"
            " WHERE datname = %s",
            (database,),
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def version(self) -> str:
        row = self.conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def log_deadlocks(self) -> int:
        try:
            return self.cluster.log_path.read_text(errors="replace").count("deadlock detected")
        except OSError:
            return 0

    def close(self) -> None:
        self.conn.close()


# --- the hub under bench ------------------------------------------------------------------------


class Hub:
    """A `bilik-hub serve [--workers N]` with its statement counters."""

    def __init__(self, work: Path, name: str, url: str, workers: int, counters: Counters) -> None:
        self.name, self.url, self.workers, self.counters = name, url, workers, counters
        self.port = free_port()
        config = write_config(work / f"{name}.toml", url, self.port)
        extra = ["--workers", str(workers)] if workers > 1 else []
        with counters.environment():
            self.process = HubProcess(config, self.port, work / f"{name}.log", extra_args=extra)
        self.root = self.process.proc.pid
        self.base_url, self.ws_url = self.process.base_url, self.process.ws_url
        self.worker_pids: list[int] = []

    def pids(self) -> list[int]:
        return process_tree(self.root)

    def serving_pids(self) -> list[int]:
        """The processes that hold client connections (workers, or the one hub process)."""
        if self.workers == 1:
            return [self.root]
        return [p for p in self.pids() if role_of(p, self.root, self.workers) == "worker"]

    async def wait_all_workers(self, timeout: float = 90.0) -> None:
        """Until a fresh connection has been answered by every worker (all have their app)."""
        if self.workers == 1:
            self.worker_pids = [self.root]
            return
        deadline, seen = time.monotonic() + timeout, set()
        while time.monotonic() < deadline:
            workers = self.serving_pids()
            clients = [_client(self, 1) for _ in range(4 * self.workers)]
            try:
                ports = []
                for client in clients:
                    with contextlib.suppress(httpx.HTTPError):
                        response = await client.get("/healthz")
                        if response.status_code == 200:
                            ports.append(client_port(response))
                owners = socket_owners(self.port, workers)
                seen |= {owners[p] for p in ports if p in owners}
            finally:
                await asyncio.gather(*(c.aclose() for c in clients))
            if len(workers) == self.workers and seen >= set(workers):
                self.worker_pids = sorted(workers)
                return
            await asyncio.sleep(0.5)
        raise BenchFailed(f"{self.name}: not every worker answered within {timeout:.0f} s")

    def memory(self) -> list[dict[str, Any]]:
        return [
            {"pid": p, "role": role_of(p, self.root, self.workers), "rss_mb": rss_kb(p) / 1024}
            for p in self.pids()
        ]

    def counts(self) -> tuple[int, int]:
        return self.counters.read(self.pids())

    def stop(self) -> dict[str, Any]:
        """Stop it; what its log says went wrong (tracebacks are product bugs to report)."""
        self.process.stop()
        log = self.process.log_path.read_text(errors="replace")
        lines = log.splitlines()
        errors = [line for line in lines if " ERROR " in line or line.startswith("ERROR")]
        tracebacks = []
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = next((j for j in range(i + 1, len(lines)) if lines[j][:1] not in " \t"), i)
                tracebacks.append("\n".join(lines[max(0, i - 1) : end + 1])[-1500:])
        return {
            "log": str(self.process.log_path),
            "tracebacks": len(tracebacks),
            "error_lines": len(errors),
            "first_errors": errors[:5],
            "first_tracebacks": tracebacks[:2],
        }


def client_port(response: httpx.Response) -> int:
    stream = response.extensions.get("network_stream")
    address = stream.get_extra_info("client_addr") if stream is not None else None
    return int(address[1]) if address else 0


def _client(hub: Hub, connections: int) -> httpx.AsyncClient:
    # keep-alive shorter than uvicorn's 5 s: a pooled connection is never reused just as the
    # server closes it
    return httpx.AsyncClient(
        base_url=hub.base_url,
        timeout=HTTP_TIMEOUT,
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=2.0,
        ),
        trust_env=False,
    )


# --- demo data ----------------------------------------------------------------------------------


@dataclass
class BoothRef:
    id: str
    branch: str
    token: str
    codes: list[str]
    turn: int = 0  # which of `codes` the next check-in uses

    def next_code(self) -> str:
        return self.codes[self.turn % len(self.codes)]


@dataclass
class AgentRef:
    id: str
    username: str
    branch: str
    token: str


@dataclass
class Country:
    branches: list[str]
    booths: list[BoothRef]
    agents: list[AgentRef]
    lookups: dict[str, list[str]]  # branch -> booking codes only ever looked up
    booths_of: dict[str, list[BoothRef]] = field(default_factory=dict)
    agents_of: dict[str, list[AgentRef]] = field(default_factory=dict)
    zone: str = ""

    def index(self) -> None:
        for booth in self.booths:
            self.booths_of.setdefault(booth.branch, []).append(booth)
        for agent in self.agents:
            self.agents_of.setdefault(agent.branch, []).append(agent)


_password_hash: list[str] = []


def _shared_password_hash() -> str:
    if not _password_hash:
        _password_hash.append(hash_password(PASSWORD))
    return _password_hash[0]


def _engine(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def seed_country(
    url: str,
    rng: random.Random,
    branches: int = BRANCHES,
    booths: int = BOOTHS_PER_BRANCH,
    cs: int = CS_PER_BRANCH,
    codes_per_booth: int = 2,
    lookups_per_branch: int = 20,
    cs_online: bool = True,
    prefix: str = "C",
) -> Country:
    """Branches, booths, CS (with a login token each) and today's tickets, in bulk."""
    sessions = open_database(url)
    engine = _engine(sessions)
    zone = noon_zone()
    local_now = dt.datetime.now(ZoneInfo(zone))
    today, utc_now = local_now.date(), dt.datetime.now(dt.UTC)
    password_hash = _shared_password_hash()
    country = Country([], [], [], {}, zone=zone)
    serial = iter(range(1, 10**7))
    branch_rows: list[dict[str, Any]] = []
    booth_rows: list[dict[str, Any]] = []
    agent_rows: list[dict[str, Any]] = []
    token_rows: list[dict[str, Any]] = []
    ticket_rows: list[dict[str, Any]] = []

    def ticket(branch_id: str) -> str:
        n = next(serial)
        code = f"{prefix}{n:07d}"
        start = (local_now - dt.timedelta(minutes=rng.randint(5, 60))).replace(second=0)
        end = start + dt.timedelta(minutes=rng.choice([120, 150, 180]))
        ticket_rows.append(
            {
                "booking_code": code,
                "nik": f"3671{rng.randrange(10**11, 10**12):012d}",
                "name": rng.choice(["Budi Santoso", "Siti Rahmawati", "Agus Setiawan", "Dewi"]),
                "service": "JHT",
                "branch_id": branch_id,
                "ticket_date": today,
                "slot_start": start.time().replace(microsecond=0),
                "slot_end": end.time().replace(microsecond=0),
                "status": "booked",
                "priority": rng.random() < 0.1,
                "checked_in_booth": None,
            }
        )
        return code

    for b in range(branches):
        branch_id = f"{prefix.lower()}{b:03d}"
        country.branches.append(branch_id)
        branch_rows.append(
            {
                "id": branch_id,
                "name": f"Cabang {prefix}{b:03d}",
                "timezone": zone,
                "mode": "one_to_many",
                "max_capacity": CAPACITY,
            }  # fmt: skip
        )
        for k in range(1, booths + 1):
            booth_id = f"{branch_id}-{k:02d}"
            token = f"bench-{booth_id}-{rng.getrandbits(48):x}"
            codes = [ticket(branch_id) for _ in range(codes_per_booth)]
            country.booths.append(BoothRef(booth_id, branch_id, token, codes))
            booth_rows.append(
                {
                    "id": booth_id,
                    "branch_id": branch_id,
                    "name": f"Bilik {k}",
                    "token_hash": hash_token(token),
                    "state": None,
                    "last_seen": None,
                    "devices": {},
                }  # fmt: skip
            )
        for k in range(1, cs + 1):
            agent_id = f"{branch_id}-cs{k}"
            token = f"bench-{agent_id}-{rng.getrandbits(64):x}"
            country.agents.append(AgentRef(agent_id, agent_id, branch_id, token))
            agent_rows.append(
                {
                    "id": agent_id,
                    "username": agent_id,
                    "name": f"CS {k}",
                    "branch_id": branch_id,
                    "role": "cs",
                    "disabled": False,
                    "password_hash": password_hash,
                    "status": "online" if cs_online else "offline",
                    "capacity": CAPACITY,
                    "last_assigned_at": None,
                }  # fmt: skip
            )
            token_rows.append(
                {
                    "token_hash": hash_token(token),
                    "agent_id": agent_id,
                    "created_at": utc_now,
                    "expires_at": utc_now + dt.timedelta(hours=12),
                }  # fmt: skip
            )
        country.lookups[branch_id] = [ticket(branch_id) for _ in range(lookups_per_branch)]
    with engine.begin() as conn:
        conn.execute(insert(Branch), branch_rows)
        conn.execute(insert(Booth), booth_rows)
        conn.execute(insert(Agent), agent_rows)
        conn.execute(insert(AgentToken), token_rows)
        for start in range(0, len(ticket_rows), 5000):
            conn.execute(insert(Ticket), ticket_rows[start : start + 5000])
    with sessions.begin() as db:
        audit.ensure_head(db)
    engine.dispose()
    country.index()
    return country


# --- clients --------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw: latencies of 2xx answers by kind, every status by kind."""

    ms: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    statuses: collections.Counter[tuple[str, int, str]] = field(default_factory=collections.Counter)
    server_errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, what: str, status: int, code: str, ms: float, detail: str = "") -> None:
        self.statuses[(what, status, code)] += 1
        if 200 <= status < 300:
            self.ms[what].append(ms)
        elif status >= 500 and len(self.server_errors) < 10:
            self.server_errors.append(
                {
                    "what": what,
                    "status": status,
                    "code": code,
                    "body": detail,
                    "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                }  # fmt: skip
            )

    def count(self, predicate: Callable[[int], bool]) -> int:
        return sum(n for (_w, status, _c), n in self.statuses.items() if predicate(status))

    def report(self) -> dict[str, Any]:
        return {
            "latency_ms": {what: summary(values) for what, values in sorted(self.ms.items())},
            "answers": {
                f"{w} {s} {c}".strip(): n for (w, s, c), n in sorted(self.statuses.items())
            },
            "server_errors": self.count(lambda s: s >= 500),
            "not_answered": self.count(lambda s: s == 0),
            "refused_4xx": self.count(lambda s: 400 <= s < 500),
            "first_server_errors": self.server_errors,
        }


async def call(
    client: httpx.AsyncClient,
    tally: Tally,
    what: str,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
) -> tuple[int, Any, httpx.Response | None]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    start = time.perf_counter()
    try:
        response = await client.request(method, path, json=body, headers=headers)
    except httpx.HTTPError as err:
        tally.add(what, 0, type(err).__name__, (time.perf_counter() - start) * 1000, repr(err))
        return 0, None, None
    ms = (time.perf_counter() - start) * 1000
    try:
        payload = response.json()
    except ValueError:
        payload = None
    code = ""
    if response.status_code >= 400:
        try:
            code = str(payload["error"]["code"])
        except (KeyError, TypeError):
            code = "<not the error shape>"
    detail = f"{method} {path} -> {response.text[:300]}" if response.status_code >= 500 else ""
    tally.add(what, response.status_code, code, ms, detail)
    return response.status_code, payload, response


@dataclass
class Stream:
    kind: str  # "booth" | "agent"
    owner: str
    ws: ClientConnection
    messages: collections.deque[tuple[float, dict[str, Any]]] = field(
        default_factory=lambda: collections.deque(maxlen=64)
    )
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    received: int = 0
    refused: dict[str, Any] | None = None
    ended: bool = False
    reader: asyncio.Task[None] | None = None


class Streams:
    """Event streams held open with `websockets`, one reader task each, messages timestamped."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.held: dict[tuple[str, str], Stream] = {}
        self.failed: list[str] = []

    async def open_many(self, wanted: list[tuple[str, str, str]]) -> float:
        """Open (kind, owner, token) streams, OPEN_CONCURRENCY at a time, and wait for the first
        message of each (its current state): seconds until every one was served."""
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)
        began = time.monotonic()

        async def one(kind: str, owner: str, token: str) -> None:
            path = "booths" if kind == "booth" else "agents"
            async with gate:
                try:
                    ws = await connect(
                        f"{self.hub.ws_url}/api/v1/{path}/{owner}/events?token={token}",
                        open_timeout=60,
                        ping_interval=None,  # the hub pings; this side only answers
                        compression=None,
                        proxy=None,
                        max_queue=None,
                    )
                except (OSError, WebSocketException, TimeoutError) as err:
                    self.failed.append(f"{kind}:{owner}: {err!r}")
                    return
            stream = Stream(kind, owner, ws)
            self.held[(kind, owner)] = stream
            stream.reader = asyncio.create_task(self._read(stream))
            try:
                await asyncio.wait_for(stream.arrived.wait(), 90)
            except TimeoutError:
                self.failed.append(f"{kind}:{owner}: no first message in 90 s")

        await asyncio.gather(*(one(*w) for w in wanted))
        return time.monotonic() - began

    async def _read(self, stream: Stream) -> None:
        try:
            async for raw in stream.ws:
                at = time.monotonic()
                message = json.loads(raw)
                if message.get("type") == "ping":
                    continue
                if message.get("type") == "error":
                    stream.refused = message
                stream.messages.append((at, message))
                stream.received += 1
                stream.arrived.set()
        except ConnectionClosed:
            pass
        stream.ended = True
        stream.arrived.set()

    def ended(self) -> list[str]:
        return [f"{s.kind}:{s.owner}" for s in self.held.values() if s.ended or s.refused]

    async def close(self) -> None:
        streams = list(self.held.values())
        await asyncio.gather(*(s.ws.close() for s in streams), return_exceptions=True)
        readers = [s.reader for s in streams if s.reader is not None]
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        self.held.clear()


# --- the load -----------------------------------------------------------------------------------


async def lookup_one(client: httpx.AsyncClient, tally: Tally, country: Country, rng) -> None:
    branch = rng.choice(country.branches)
    booth = rng.choice(country.booths_of[branch])
    code = rng.choice(country.lookups[branch])
    await call(client, tally, "lookup", "POST", "/api/v1/checkins/lookup", booth.token,
               {"booking_code": code})  # fmt: skip


async def visit_one(
    client: httpx.AsyncClient, tally: Tally, booth: BoothRef, busy: set[str]
) -> None:
    """A participant: check in, join the queue (dispatch assigns a CS), then leave (cancel)."""
    busy.add(booth.id)
    try:
        status, body, _ = await call(client, tally, "check-in", "POST", "/api/v1/checkins",
                                     booth.token, {"booking_code": booth.next_code()})  # fmt: skip
        if status not in (200, 201):
            return
        session_id = body["session"]["id"]
        await call(client, tally, "enqueue", "POST", f"/api/v1/sessions/{session_id}/enqueue",
                   booth.token)  # fmt: skip
        await call(client, tally, "cancel", "POST", f"/api/v1/sessions/{session_id}/cancel",
                   booth.token)  # fmt: skip
    finally:
        busy.discard(booth.id)


async def lookups_alone(hub: Hub, country: Country, rng: random.Random, n: int) -> dict:
    """One look-up at a time, nothing else sent: the unloaded reference."""
    tally = Tally()
    async with _client(hub, 1) as client:
        for _ in range(n):
            await lookup_one(client, tally, country, rng)
    return summary(tally.ms["lookup"])


async def steady_load(hub: Hub, country: Country, rng: random.Random, seconds: float) -> dict:
    """Open loop: look-ups and visits arrive as Poisson processes, whatever the answers take."""
    tally = Tally()
    arrivals: list[tuple[float, str]] = []
    for kind, rate in (("lookup", LOOKUP_RATE), ("visit", VISIT_RATE)):
        t = rng.expovariate(rate)
        while t < seconds:
            arrivals.append((t, kind))
            t += rng.expovariate(rate)
    arrivals.sort()
    busy: set[str] = set()
    tasks: set[asyncio.Task[None]] = set()
    skipped = lag_max = 0.0
    loop = asyncio.get_running_loop()
    meter = CpuMeter(hub)
    async with _client(hub, 64) as client:
        start = loop.time()
        for at, kind in arrivals:
            delay = start + at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            lag_max = max(lag_max, -delay)
            if len(tasks) >= MAX_IN_FLIGHT:
                skipped += 1
                continue
            if kind == "lookup":
                coro = lookup_one(client, tally, country, rng)
            else:
                free = [b for b in rng.sample(country.booths, 20) if b.id not in busy]
                if not free:
                    skipped += 1
                    continue
                coro = visit_one(client, tally, free[0], busy)
            task = asyncio.create_task(coro)
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=3 * HTTP_TIMEOUT)
        elapsed = loop.time() - start
    result = tally.report()
    result.update(
        seconds=round(elapsed, 1),
        offered_per_s={"lookup": LOOKUP_RATE, "visit": VISIT_RATE},
        lookups_per_s=round(len(tally.ms["lookup"]) / elapsed, 1),
        visits_per_s=round(len(tally.ms["cancel"]) / elapsed, 1),
        not_sent=int(skipped),
        client_lag_max_ms=round(lag_max * 1000, 1),
        cpu=meter.result(),
    )
    return result


async def checkin_burst(hub: Hub, booths: list[BoothRef], seconds: float) -> dict:
    """Closed loop: BURST_CLIENTS clients, each checking in at its own booths in turn; each
    check-in takes the booth's other ticket, so it supersedes the previous participant."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    async def client_loop(mine: list[BoothRef]) -> None:
        async with _client(hub, 1) as client:
            i = 0
            while time.monotonic() < deadline:
                booth = mine[i % len(mine)]
                i += 1
                status, _body, _ = await call(client, tally, "check-in", "POST",
                                              "/api/v1/checkins", booth.token,
                                              {"booking_code": booth.next_code()})  # fmt: skip
                if status in (200, 201):
                    booth.turn += 1

    began = time.monotonic()
    meter = CpuMeter(hub)
    await asyncio.gather(*(client_loop(booths[i::BURST_CLIENTS]) for i in range(BURST_CLIENTS)))
    elapsed = time.monotonic() - began
    result = tally.report()
    result.update(
        cpu=meter.result(),
        seconds=round(elapsed, 1),
        clients=BURST_CLIENTS,
        checkins_per_s=round(len(tally.ms["check-in"]) / elapsed, 1),
    )
    return result


async def cross_process(hub: Hub, streams: Streams, country: Country, events: int, rng) -> dict:
    """Check-ins sent to one worker for booths whose stream another worker holds."""
    workers = hub.worker_pids
    booth_of = {b.id: b for b in country.booths}
    owners = socket_owners(hub.port, workers)
    by_pid: dict[int, list[Stream]] = collections.defaultdict(list)
    for stream in streams.held.values():
        if stream.kind == "booth" and not stream.ended:
            pid = owners.get(int(stream.ws.local_address[1]))
            if pid is not None:
                by_pid[pid].append(stream)
    stream_pid = {id(s): pid for pid, group in by_pid.items() for s in group}
    writers = [_client(hub, 1) for _ in range(4 * len(workers))]
    writer_pid: dict[int, int] = {}
    tally = Tally()
    cross: list[tuple[float, float]] = []
    same: list[tuple[float, float]] = []
    missed = 0
    try:
        for i, writer in enumerate(writers):
            _s, _b, response = await call(writer, tally, "healthz", "GET", "/healthz")
            if response is not None:
                writer_pid[i] = socket_owners(hub.port, workers).get(client_port(response), 0)
        attempts = 0
        while len(cross) < events and attempts < 3 * events:
            attempts += 1
            i = rng.randrange(len(writers))
            others = [p for p in by_pid if p != writer_pid.get(i)]
            if not others:
                continue
            stream = rng.choice(by_pid[rng.choice(others)])
            booth = booth_of[stream.owner]
            sent = time.monotonic()
            status, body, response = await call(writers[i], tally, "check-in", "POST",
                                                "/api/v1/checkins", booth.token,
                                                {"booking_code": booth.next_code()})  # fmt: skip
            answered = time.monotonic()
            if status != 201 or response is None:
                continue
            booth.turn += 1
            port = client_port(response)
            server = socket_owners(hub.port, workers).get(port, 0)
            writer_pid[i] = server
            session_id = body["session"]["id"]
            arrived = await _wait_session(stream, session_id, sent, timeout=5.0)
            if arrived is None:
                missed += 1
                continue
            sample = ((arrived - sent) * 1000, (arrived - answered) * 1000)
            (cross if server != stream_pid[id(stream)] else same).append(sample)
            await asyncio.sleep(0.02)
    finally:
        await asyncio.gather(*(w.aclose() for w in writers))
    return {
        "workers": len(workers),
        "streams_per_worker": {str(pid): len(group) for pid, group in sorted(by_pid.items())},
        "cross_process": summary([c[0] for c in cross]),
        "cross_process_after_answer": summary([c[1] for c in cross]),
        "same_process": summary([s[0] for s in same]),
        "missed_events": missed,
        "requests": tally.report()["answers"],
    }


async def _wait_session(stream: Stream, session_id: int, since: float, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        for at, message in stream.messages:
            session = message.get("session") if message.get("type") == "session" else None
            if at >= since and session and session.get("id") == session_id:
                return at
        left = deadline - time.monotonic()
        if left <= 0 or stream.ended:
            return None
        stream.arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stream.arrived.wait(), left)


# --- one configuration: levels of held streams ---------------------------------------------


class Database:
    """Where the databases live: SQLite files in the work directory, PostgreSQL databases in
    one private cluster for the whole bench (started on first use)."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.cluster: Any = None
        self.monitor: PgMonitor | None = None

    def new(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.work / (name + '.db')}"
        if self.cluster is None:
            from tests.postgres import PostgresCluster

            self.cluster = PostgresCluster()
            self.cluster.start()
            self.monitor = PgMonitor(self.cluster)
            pid_file = Path(self.cluster.data) / "postmaster.pid"
            _postgres_root[:] = [int(pid_file.read_text().split()[0])]
        return str(self.cluster.new_database(name))

    def pg_stats(self, url: str) -> tuple[int, int] | None:
        if self.monitor is None or not url.startswith("postgresql"):
            return None
        return self.monitor.stats(str(make_url(url).database))

    def stop(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
        if self.cluster is not None:
            self.cluster.stop(keep_log=self.work / "postgres.log")


async def idle_window(hub: Hub, databases: Database, seconds: float, streams: int) -> dict:
    s0, t0 = hub.counts()
    pg0 = databases.pg_stats(hub.url)
    meter = CpuMeter(hub)
    began = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - began
    s1, t1 = hub.counts()
    pg1 = databases.pg_stats(hub.url)
    result: dict[str, Any] = {
        "window_s": round(elapsed, 1),
        "streams": streams,
        "statements_per_s": round((s1 - s0) / elapsed, 1),
        "transactions_per_s": round((t1 - t0) / elapsed, 1),
        "pg_xacts_per_s": None,
        "cpu": meter.result(),
    }
    if pg0 is not None and pg1 is not None:
        result["pg_xacts_per_s"] = round((pg1[0] - pg0[0]) / elapsed, 1)
    return result


def memory_report(hub: Hub, baseline: list[dict[str, Any]] | None, streams: int) -> dict:
    now = hub.memory()
    total = sum(p["rss_mb"] for p in now)
    result: dict[str, Any] = {
        "processes": [{**p, "rss_mb": round(p["rss_mb"], 1)} for p in now],
        "total_mb": round(total, 1),
    }
    if baseline is not None:
        base = sum(p["rss_mb"] for p in baseline)
        result["delta_mb"] = round(total - base, 1)
        result["kb_per_stream"] = round((total - base) * 1024 / streams, 1) if streams else None
    return result


async def drive_config(
    cfg: Config, hub: Hub, country: Country, plan: Plan, databases: Database, rng: random.Random
) -> dict:
    await hub.wait_all_workers()
    result: dict[str, Any] = {"config": cfg.name, "backend": cfg.backend, "workers": cfg.workers}
    async with _client(hub, 8) as client:  # warm every worker a little
        warm = Tally()
        await asyncio.gather(*(lookup_one(client, warm, country, rng) for _ in range(40)))
    await asyncio.sleep(1)
    baseline = hub.memory()
    result["baseline"] = {
        "memory": memory_report(hub, None, 0),
        "idle": await idle_window(hub, databases, plan.baseline_idle_s, 0),
    }
    stats0 = databases.pg_stats(hub.url)
    order = list(country.booths)
    rng.shuffle(order)
    wanted_all = [("booth", b.id, b.token) for b in order] + [
        ("agent", a.id, a.token) for a in country.agents
    ]
    streams = Streams(hub)
    levels = []
    try:
        for level in cfg.levels:
            step: dict[str, Any] = {"streams": level}
            already = len(streams.held)
            wanted = wanted_all[already:level]
            step["booth_streams"] = sum(1 for w in wanted_all[:level] if w[0] == "booth")
            step["agent_streams"] = level - step["booth_streams"]
            print(f"  {cfg.name}: opening streams {already} -> {level}", flush=True)
            step["open_s"] = round(await streams.open_many(wanted), 1)
            step["open_failures"] = list(streams.failed[:5])
            step["open_failed"] = len(streams.failed)
            await asyncio.sleep(2)
            pg_before = databases.pg_stats(hub.url)
            step["idle"] = await idle_window(hub, databases, plan.idle_s, len(streams.held))
            step["memory"] = memory_report(hub, baseline, len(streams.held))
            step["lookup_alone"] = await lookups_alone(hub, country, rng, 50)
            print(f"  {cfg.name} @ {level}: steady load {plan.steady_s:.0f} s", flush=True)
            step["steady"] = await steady_load(hub, country, rng, plan.steady_s)
            step["burst"] = await checkin_burst(hub, order[: max(level, 200)], plan.burst_s)
            step["memory_after_load"] = memory_report(hub, baseline, len(streams.held))
            if cfg.cross_process_at == level and cfg.workers > 1:
                print(f"  {cfg.name} @ {level}: cross-process events", flush=True)
                await asyncio.sleep(1)
                step["cross_process"] = await cross_process(
                    hub, streams, country, plan.xproc_events, rng
                )
            pg_after = databases.pg_stats(hub.url)
            if pg_before is not None and pg_after is not None:
                step["pg_deadlocks"] = pg_after[1] - pg_before[1]
            step["streams_ended"] = streams.ended()[:10]
            step["streams_ended_count"] = len(streams.ended())
            levels.append(step)
            print(f"  {_level_line(cfg, step)}", flush=True)
    finally:
        await streams.close()
    stats1 = databases.pg_stats(hub.url)
    if stats0 is not None and stats1 is not None:
        result["pg_deadlocks"] = stats1[1] - stats0[1]
    result["levels"] = levels
    return result


def _level_line(cfg: Config, step: dict) -> str:
    lookup = step["steady"]["latency_ms"].get("lookup")
    return (
        f"{cfg.name} @ {step['streams']} streams: look-up p50/p99 {pair(lookup)} ms,"
        f" {step['burst']['checkins_per_s']} check-ins/s, idle {step['idle']['statements_per_s']}"
        f" statements/s, RSS {step['memory']['total_mb']} MB"
        f" ({fmt(step['memory'].get('kb_per_stream'))} KB/stream),"
        f" 5xx {step['steady']['server_errors'] + step['burst']['server_errors']}"
    )


def run_config(cfg: Config, plan: Plan, work: Path, databases: Database, counters: Counters,
               rng: random.Random) -> dict:  # fmt: skip
    url = databases.new(cfg.backend, f"country_{cfg.name.replace('-', '_')}")
    began = time.monotonic()
    country = seed_country(url, rng)
    seeded = time.monotonic() - began
    hub = Hub(work, cfg.name, url, cfg.workers, counters)
    try:
        result = asyncio.run(drive_config(cfg, hub, country, plan, databases, rng))
    finally:
        log = hub.stop()
    result["seed_s"] = round(seeded, 1)
    result["hub_log"] = log
    return result


# --- zero double assignments ----------------------------------------------------------------------


async def assign_storm(hub: Hub, country: Country, rng: random.Random, rounds: int) -> dict:
    """Everything at once, each client on its own connection (so spread over the workers)."""
    await hub.wait_all_workers()
    tally = Tally()
    sessions: dict[str, int] = {}
    gate = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:

        async def own() -> httpx.AsyncClient:
            return await stack.enter_async_context(_client(hub, 1))

        booth_clients = {b.id: await own() for b in country.booths}
        agent_clients = {a.id: await own() for a in country.agents}
        tokens: dict[str, str] = {}

        async def participant(booth: BoothRef) -> None:
            client = booth_clients[booth.id]
            await gate.wait()
            status, body, _ = await call(client, tally, "check-in", "POST", "/api/v1/checkins",
                                         booth.token, {"booking_code": booth.codes[0]})  # fmt: skip
            if status in (200, 201):
                sessions[booth.id] = body["session"]["id"]
                path = f"/api/v1/sessions/{sessions[booth.id]}/enqueue"
                await call(client, tally, "enqueue", "POST", path, booth.token)

        async def cs(agent: AgentRef) -> None:
            client = agent_clients[agent.id]
            await gate.wait()
            await asyncio.sleep(rng.uniform(0, 1.0))
            status, body, _ = await call(client, tally, "login", "POST", "/api/v1/agents/login",
                                         None, {"username": agent.username,
                                                "password": PASSWORD})  # fmt: skip
            if status != 200:
                return
            tokens[agent.id] = body["token"]
            await call(client, tally, "status online", "POST", f"/api/v1/agents/{agent.id}/status",
                       tokens[agent.id], {"status": "online", "capacity": CAPACITY})  # fmt: skip

        async def toggle(agent: AgentRef) -> None:
            if agent.id not in tokens:
                return
            client, token = agent_clients[agent.id], tokens[agent.id]
            path = f"/api/v1/agents/{agent.id}/status"
            await asyncio.sleep(rng.uniform(0, 0.3))
            await call(client, tally, "status offline", "POST", path, token, {"status": "offline"})
            await asyncio.sleep(rng.uniform(0, 0.3))
            await call(client, tally, "status online", "POST", path, token,
                       {"status": "online", "capacity": CAPACITY})  # fmt: skip

        async def come_back(booth: BoothRef) -> None:
            if booth.id not in sessions:
                return
            client = booth_clients[booth.id]
            await asyncio.sleep(rng.uniform(0, 0.3))
            await call(client, tally, "cancel", "POST",
                       f"/api/v1/sessions/{sessions[booth.id]}/cancel", booth.token)  # fmt: skip
            status, body, _ = await call(client, tally, "check-in", "POST", "/api/v1/checkins",
                                         booth.token, {"booking_code": booth.codes[0]})  # fmt: skip
            if status in (200, 201):
                sessions[booth.id] = body["session"]["id"]
                path = f"/api/v1/sessions/{sessions[booth.id]}/enqueue"
                await call(client, tally, "enqueue", "POST", path, booth.token)

        tasks = [asyncio.create_task(participant(b)) for b in country.booths]
        tasks += [asyncio.create_task(cs(a)) for a in country.agents]
        await asyncio.sleep(0.3)
        began = time.monotonic()
        gate.set()
        await asyncio.gather(*tasks)
        for _round in range(rounds):
            movers = rng.sample(country.booths, len(country.booths) // 3)
            await asyncio.gather(
                *(toggle(a) for a in country.agents), *(come_back(b) for b in movers)
            )
        took = time.monotonic() - began
    return {"storm_s": round(took, 1), "rounds": rounds, "requests": tally.report()}


def check_assignments(url: str, country: Country) -> dict:
    """The database after the storm: nothing served twice, nobody over capacity."""
    sessions = open_database(url)
    booths = [b.id for b in country.booths]
    agents = [a.id for a in country.agents]
    with sessions() as db:
        rows = db.execute(
            select(Agent.id, Agent.capacity, Agent.status).where(Agent.id.in_(agents))
        )
        agent_rows = rows.all()
        capacity = {r.id: r.capacity for r in agent_rows}
        status = {r.id: r.status for r in agent_rows}
        load = collections.Counter(
            db.scalars(
                select(ServiceSession.agent_id).where(
                    ServiceSession.agent_id.in_(agents),
                    ServiceSession.state.in_(ACTIVE_AGENT_STATES),
                )
            )
        )
        open_rows = db.execute(
            select(ServiceSession.ticket_id, ServiceSession.booth_id, ServiceSession.branch_id,
                   ServiceSession.state).where(
                ServiceSession.booth_id.in_(booths),
                ServiceSession.state.in_(OPEN_SESSION_STATES),
            )
        ).all()  # fmt: skip
        inconsistent = db.scalar(
            select(func.count()).where(
                ServiceSession.booth_id.in_(booths),
                ServiceSession.state == SessionState.WAITING,
                ServiceSession.agent_id.is_not(None),
            )
        )
        chain = audit.verify_chain(db)
    _engine(sessions).dispose()
    per_ticket = collections.Counter(r.ticket_id for r in open_rows)
    per_booth = collections.Counter(r.booth_id for r in open_rows)
    waiting = collections.Counter(r.branch_id for r in open_rows if r.state == "waiting")
    free: collections.Counter[str] = collections.Counter()
    for agent in country.agents:
        if status.get(agent.id) == "online":
            free[agent.branch] += max(0, capacity[agent.id] - load.get(agent.id, 0))
    over = {a: n for a, n in load.items() if a is not None and n > capacity.get(a, 0)}
    return {
        "agents_over_capacity": len(over),
        "over_capacity": over,
        "tickets_in_two_open_sessions": sum(1 for n in per_ticket.values() if n > 1),
        "booths_with_two_open_sessions": sum(1 for n in per_booth.values() if n > 1),
        "waiting_with_an_agent": int(inconsistent or 0),
        "assigned": sum(load.values()),
        "places": sum(capacity.get(a, 0) for a in agents if status.get(a) == "online"),
        "open_sessions": len(open_rows),
        "branches_waiting_while_cs_free": sum(1 for b in waiting if free[b] > 0),
        "audit_chain_ok": bool(chain.ok),
    }


def run_assign(
    plan: Plan, work: Path, databases: Database, counters: Counters, rng: random.Random
) -> dict:
    url = databases.new("postgresql", "assign")
    country = seed_country(url, rng, branches=10, booths=30, cs=3, codes_per_booth=1,
                           lookups_per_branch=0, cs_online=False, prefix="A")  # fmt: skip
    before = databases.pg_stats(url)
    log_before = databases.monitor.log_deadlocks() if databases.monitor else 0
    hub = Hub(work, "assign-pg-4", url, 4, counters)
    try:
        print("  storm", flush=True)
        result = asyncio.run(assign_storm(hub, country, rng, plan.assign_rounds))
        print(f"  storm done in {result['storm_s']} s; a housekeeping pass", flush=True)
        time.sleep(6)  # a housekeeping pass (every 5 s) settles any dispatch a change missed
    finally:
        result_log = hub.stop()
    after = databases.pg_stats(url)
    result["participants"], result["cs"] = len(country.booths), len(country.agents)
    result["database"] = check_assignments(url, country)
    result["pg_deadlocks"] = after[1] - before[1] if before and after else None
    if databases.monitor:
        result["pg_log_deadlocks"] = databases.monitor.log_deadlocks() - log_before
    result["hub_log"] = result_log
    return result


# --- scale: look-up and dispatch with 10 k .. 1 M tickets and sessions -----------------------


def seed_history(url: str, country: Country, rng: random.Random, count: int) -> float:
    """`count` more past tickets, each with its (closed or cancelled) session, in bulk."""
    began = time.monotonic()
    sessions = open_database(url)
    engine = _engine(sessions)
    today = dt.datetime.now(ZoneInfo(country.zone)).date()
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        ticket_id = int(conn.scalar(select(func.coalesce(func.max(Ticket.id), 0))) or 0)
        session_id = int(conn.scalar(select(func.coalesce(func.max(ServiceSession.id), 0))) or 0)
        serial = int(conn.scalar(select(func.count()).where(Ticket.booking_code.like("H%"))) or 0)
    batch = 20_000
    done = 0
    while done < count:
        n = min(batch, count - done)
        tickets, rows = [], []
        for _ in range(n):
            ticket_id, session_id, serial = ticket_id + 1, session_id + 1, serial + 1
            booth = rng.choice(country.booths)
            agent = rng.choice(country.agents_of[booth.branch])
            days = rng.randint(1, 365)
            created = now - dt.timedelta(days=days, seconds=rng.randint(0, 8 * 3600))
            served = rng.random() < 0.95
            tickets.append(
                {
                    "id": ticket_id,
                    "booking_code": f"H{serial:07d}",
                    "nik": "3671011508850001",
                    "name": "Riwayat",
                    "service": "JHT",
                    "branch_id": booth.branch,
                    "ticket_date": today - dt.timedelta(days=days),
                    "slot_start": dt.time(9),
                    "slot_end": dt.time(10),
                    "status": "served" if served else "booked",
                    "priority": False,
                    "checked_in_booth": None,
                }  # fmt: skip
            )
            rows.append(
                {
                    "id": session_id,
                    "booth_id": booth.id,
                    "ticket_id": ticket_id,
                    "branch_id": booth.branch,
                    "state": "closed" if served else "cancelled",
                    "priority": False,
                    "agent_id": agent.id if served else None,
                    "created_at": created,
                    "enqueued_at": created + dt.timedelta(seconds=30),
                    "assigned_at": created + dt.timedelta(seconds=90) if served else None,
                    "closed_at": created + dt.timedelta(seconds=700),
                    "outcome": "verified" if served else None,
                    "on_hold": False,
                }  # fmt: skip
            )
        with engine.begin() as conn:
            conn.execute(insert(Ticket), tickets)
            conn.execute(insert(ServiceSession), rows)
        done += n
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("tickets", "sessions"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                  f" (SELECT max(id) FROM {table}))"))  # fmt: skip
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.monotonic() - began


@dataclass
class DispatchFixture:
    branch: str
    session_ids: list[int]
    ticket_ids: list[int]


def dispatch_fixture(url: str, country: Country, waiting: int = 20) -> DispatchFixture:
    """One branch with `waiting` participants in the queue and its 3 CS online and free."""
    branch = country.branches[0]
    booths = country.booths_of[branch]
    sessions = open_database(url)
    engine = _engine(sessions)
    zone_now = dt.datetime.now(ZoneInfo(country.zone))
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        ticket_ids = []
        for i in range(waiting):
            ticket_ids.append(
                int(
                    conn.execute(
                        insert(Ticket).returning(Ticket.id),
                        {
                            "booking_code": f"D{i:07d}",
                            "nik": "3671011508850001",
                            "name": "Antri",
                            "service": "JHT",
                            "branch_id": branch,
                            "ticket_date": zone_now.date(),
                            "slot_start": dt.time(0),
                            "slot_end": dt.time(23, 59),
                            "status": "checked_in",
                            "priority": i % 7 == 0,
                            "checked_in_booth": booths[i % len(booths)].id,
                        },  # fmt: skip
                    ).scalar_one()
                )
            )
        session_ids = [
            int(
                conn.execute(
                    insert(ServiceSession).returning(ServiceSession.id),
                    {
                        "booth_id": booths[i % len(booths)].id,
                        "ticket_id": t,
                        "branch_id": branch,
                        "state": "waiting",
                        "priority": i % 7 == 0,
                        "agent_id": None,
                        "created_at": now,
                        "enqueued_at": now + dt.timedelta(milliseconds=i),
                        "on_hold": False,
                    },  # fmt: skip
                ).scalar_one()
            )
            for i, t in enumerate(ticket_ids)
        ]
    engine.dispose()
    return DispatchFixture(branch, session_ids, ticket_ids)


def _reset_fixture(db: Session, fixture: DispatchFixture) -> None:
    db.execute(
        update(ServiceSession)
        .where(ServiceSession.id.in_(fixture.session_ids))
        .values(state="waiting", agent_id=None, assigned_at=None)
    )
    db.execute(update(Ticket).where(Ticket.id.in_(fixture.ticket_ids)).values(status="checked_in"))
    db.commit()


def _hot_queries(
    country: Country, fixture: DispatchFixture, rng: random.Random, have: int
) -> dict[str, Callable[[Session], Any]]:
    """The hub's hot reads, as the hub runs them (its own functions where they exist)."""
    from hub.services.dispatch import active_counts
    from hub.services.transitions import abandoned_sessions, open_session_of_booth

    today_codes = [c for codes in country.lookups.values() for c in codes]

    def ticket_by_code(db: Session) -> Any:  # hub.services.checkin._find_ticket
        code = (
            f"H{rng.randrange(1, have + 1):07d}" if rng.random() < 0.5 else rng.choice(today_codes)
        )
        return db.scalar(select(Ticket).where(Ticket.booking_code == code))

    def booth_open_session(db: Session) -> Any:
        return open_session_of_booth(db, rng.choice(country.booths).id)

    def agent_load(db: Session) -> Any:
        branch = rng.choice(country.branches)
        return active_counts(db, [a.id for a in country.agents_of[branch]])

    def silence_sweep(db: Session) -> Any:  # housekeeping, every 5 s, the whole country
        return abandoned_sessions(db, dt.datetime.now(dt.UTC), 120)

    def waiting_branches(db: Session) -> Any:  # hub.jobs.housekeeping.housekeeping
        return set(
            db.scalars(
                select(ServiceSession.branch_id)
                .where(ServiceSession.state == SessionState.WAITING)
                .distinct()
            )
        )

    return {
        "ticket by booking code": ticket_by_code,
        "booth's open session": booth_open_session,
        "CS load (agent_id, state)": agent_load,
        "booth-silence sweep": silence_sweep,
        "branches with waiting sessions": waiting_branches,
    }


def time_queries(url: str, country: Country, fixture: DispatchFixture, rng: random.Random,
                 have: int, reps: int) -> dict:  # fmt: skip
    from hub.services.dispatch import run_dispatch

    sessions = open_database(url)
    engine = _engine(sessions)
    reads = make_read_sessions(engine)
    result: dict[str, Any] = {}
    for name, query in _hot_queries(country, fixture, rng, have).items():
        n = max(5, reps // 10) if "sweep" in name or "waiting" in name else reps
        samples = []
        with reads() as db:
            query(db)  # warm
            for _ in range(n):
                start = time.perf_counter()
                query(db)
                samples.append((time.perf_counter() - start) * 1000)
                db.expunge_all()
        result[name] = summary(samples)
    samples, assigned = [], 0
    for _ in range(max(10, reps // 3)):
        with sessions() as db:
            _reset_fixture(db, fixture)
        with sessions() as db:
            start = time.perf_counter()
            done = run_dispatch(db, fixture.branch, dt.datetime.now(dt.UTC))
            db.commit()
            samples.append((time.perf_counter() - start) * 1000)
            assigned = len(done)
    result["dispatch (run_dispatch + commit)"] = {**summary(samples), "assigned": assigned}
    with sessions() as db:
        result["tickets"] = int(db.scalar(select(func.count()).select_from(Ticket)) or 0)
        result["sessions"] = int(db.scalar(select(func.count()).select_from(ServiceSession)) or 0)
    reads_engine = reads.kw.get("bind")
    if isinstance(reads_engine, Engine) and reads_engine is not engine:
        reads_engine.dispose()
    engine.dispose()
    return result


def explain_queries(url: str, country: Country, fixture: DispatchFixture, rng, have: int) -> dict:
    """EXPLAIN (PostgreSQL) / EXPLAIN QUERY PLAN (SQLite) of every SELECT the hot functions run."""
    from hub.services.dispatch import run_dispatch

    sessions = open_database(url)
    engine = _engine(sessions)
    sqlite = engine.dialect.name == "sqlite"
    captured: list[tuple[str, Any]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        captured.append((statement, parameters))

    plans: dict[str, list[dict[str, Any]]] = {}
    jobs: dict[str, Callable[[Session], Any]] = dict(_hot_queries(country, fixture, rng, have))
    jobs["dispatch (run_dispatch)"] = lambda db: run_dispatch(
        db, fixture.branch, dt.datetime.now(dt.UTC)
    )
    for name, job in jobs.items():
        with sessions() as db:
            if name.startswith("dispatch"):
                _reset_fixture(db, fixture)
            captured.clear()
            event.listen(engine, "before_cursor_execute", grab)
            try:
                job(db)
            finally:
                event.remove(engine, "before_cursor_execute", grab)
            db.rollback()
        entries = []
        seen = set()
        for statement, parameters in captured:
            head = statement.lstrip().upper()
            if not head.startswith("SELECT") or "ADVISORY" in head or statement in seen:
                continue
            seen.add(statement)
            with engine.connect() as conn:
                prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
                rows = conn.exec_driver_sql(prefix + statement, parameters).all()
                conn.rollback()
            plan = [str(r[3]) for r in rows] if sqlite else [str(r[0]) for r in rows]
            entries.append({"sql": " ".join(statement.split()), "plan": plan})
        plans[name] = entries
    engine.dispose()
    return plans


async def http_lookups(hub: Hub, country: Country, rng: random.Random, n: int) -> dict:
    tally = Tally()
    async with _client(hub, 1) as client:
        for _ in range(10):
            await lookup_one(client, Tally(), country, rng)
        for _ in range(n):
            await lookup_one(client, tally, country, rng)
    report = tally.report()
    return {"lookup": report["latency_ms"].get("lookup"), "answers": report["answers"]}


def run_scale(backend: str, plan: Plan, work: Path, databases: Database, counters: Counters,
              rng: random.Random) -> dict:  # fmt: skip
    url = databases.new(backend, f"scale_{backend}")
    country = seed_country(url, rng, codes_per_booth=1, lookups_per_branch=2, prefix="S")
    fixture = dispatch_fixture(url, country)
    have, steps = 0, []
    for size in plan.scale_sizes:
        print(f"  scale {backend}: {size:,} sessions", flush=True)
        seeded = seed_history(url, country, rng, size - have)
        have = size
        step: dict[str, Any] = {"history_sessions": size, "seed_s": round(seeded, 1)}
        step["in_process_ms"] = time_queries(url, country, fixture, rng, have, plan.scale_reps)
        hub = Hub(work, f"scale-{backend}-{size}", url, 1, counters)
        try:
            step["http"] = asyncio.run(http_lookups(hub, country, rng, 2 * plan.scale_reps))
        finally:
            step["hub_log"] = hub.stop()
        steps.append(step)
        print(f"  {_scale_line(backend, step)}", flush=True)
    explain = explain_queries(url, country, fixture, rng, have)
    return {"backend": backend, "steps": steps, "explain_at": have, "explain": explain}


def _scale_line(backend: str, step: dict) -> str:
    q = step["in_process_ms"]
    return (
        f"{backend} {q['sessions']:,} sessions / {q['tickets']:,} tickets: HTTP look-up p50/p99"
        f" {pair(step['http']['lookup'])} ms, sweep p50 {fmt(q['booth-silence sweep']['p50'])} ms,"
        f" dispatch p50/p99 {pair(q['dispatch (run_dispatch + commit)'])} ms"
    )


# --- dispatch: bench.dispatch's own measurement ---------------------------------------------------


def run_dispatch_bench(plan: Plan) -> dict:
    import hub.app  # noqa: F401  (load what the server loads, then freeze it like serve does)
    from bench import dispatch

    gc.collect()
    gc.freeze()
    result: dict[str, Any] = {"waiting": dispatch.WAITING, "agents": dispatch.AGENTS,
                              "rounds": plan.dispatch_rounds}  # fmt: skip
    for label, busy in (("all CS free", False), ("busy branch", True)):
        p50, p99, worst, assigned = dispatch.bench_decision(plan.dispatch_rounds, busy)
        result[label] = {"p50": round(p50, 3), "p99": round(p99, 3), "max": round(worst, 3),
                         "assigned": assigned}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        elapsed, assigned = dispatch.bench_database(Path(tmp))
    result["run_dispatch on SQLite (busy branch), once"] = {
        "ms": round(elapsed, 1),
        "assigned": assigned,
    }
    gc.unfreeze()
    return result


# --- report ---------------------------------------------------------------------------------------


def targets(results: dict) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    configs = {c["config"]: c for c in results.get("streams", []) if "levels" in c}
    pg4 = configs.get("pg-4")
    top = max(pg4["levels"], key=lambda s: s["streams"]) if pg4 and pg4["levels"] else None
    if top is not None:
        p99 = (top["steady"]["latency_ms"].get("lookup") or {}).get("p99")
        rows.append({
            "target": f"{top['streams']:,} streams on 4 processes, look-up p99 <= 50 ms",
            "measured": f"p99 {fmt(p99)} ms with {top['streams']:,} streams held",
            "met": p99 is not None and p99 <= TARGET_LOOKUP_P99_MS and top["streams"] >= 3000,
        })  # fmt: skip
    errors = unanswered = deadlocks = ended = 0
    for c in configs.values():
        deadlocks += c.get("pg_deadlocks") or 0
        for step in c["levels"]:
            for phase in ("steady", "burst"):
                errors += step[phase]["server_errors"]
                unanswered += step[phase]["not_answered"]
            ended += step["streams_ended_count"] + step["open_failed"]
    assign = results.get("assign") or {}
    if "requests" in assign:
        errors += assign["requests"]["server_errors"]
        unanswered += assign["requests"]["not_answered"]
        deadlocks += assign.get("pg_deadlocks") or 0
    if configs or assign:
        rows.append({
            "target": "no deadlock: every request answered, no 5xx, no PostgreSQL deadlock",
            "measured": f"{unanswered} not answered, {errors} 5xx, {deadlocks} deadlocks,"
                        f" {ended} streams failed or ended",
            "met": unanswered == 0 and errors == 0 and deadlocks == 0 and ended == 0,
        })  # fmt: skip
    dispatch = results.get("dispatch")
    if dispatch and "busy branch" in dispatch:
        worst = max(dispatch["all CS free"]["p99"], dispatch["busy branch"]["p99"])
        rows.append({
            "target": "dispatch <= 5 ms p99 at 1,000 waiting / 200 CS",
            "measured": f"p99 {worst:.2f} ms (decision, worse of all-free and busy)",
            "met": worst <= TARGET_DISPATCH_P99_MS,
        })  # fmt: skip
    if "database" in assign:
        db = assign["database"]
        bad = (db["agents_over_capacity"] + db["tickets_in_two_open_sessions"]
               + db["booths_with_two_open_sessions"] + db["waiting_with_an_agent"])  # fmt: skip
        rows.append({
            "target": "zero double assignments, 300 participants / 30 CS on 4 processes",
            "measured": f"{bad} double assignments or CS over capacity,"
                        f" {assign['requests']['server_errors']} 5xx,"
                        f" {assign.get('pg_deadlocks')} deadlocks",
            "met": bad == 0 and assign["requests"]["server_errors"] == 0
                   and not assign.get("pg_deadlocks"),
        })  # fmt: skip
    for c in configs.values():
        for step in c["levels"]:
            xp = step.get("cross_process")
            if xp:
                p99 = xp["cross_process"]["p99"]
                rows.append({
                    "target": f"cross-process event <= 100 ms p99 ({c['config']})",
                    "measured": f"p99 {fmt(p99)} ms over {xp['cross_process']['n']} events",
                    "met": p99 is not None and p99 <= TARGET_XPROC_P99_MS
                           and xp["cross_process"]["n"] >= 100,
                })  # fmt: skip
    return rows


def _cores(cpu: dict[str, Any]) -> str:
    return " / ".join(fmt(cpu.get(k), 2) for k in ("hub_cores", "postgres_cores", "client_cores"))


def markdown(results: dict) -> str:
    meta = results["meta"]
    out = [
        f"### bench.central ({meta['mode']}, {meta['started']}, commit {meta['commit']})",
        "",
        f"{meta['cpus']} cores, {meta['memory_gb']} GB; the load generator (one asyncio process)"
        " and every hub process share those cores, so each latency includes the client's CPU"
        f" time. PostgreSQL {meta.get('postgres', 'n/a')}, SQLite {meta['sqlite']},"
        f" Python {meta['python']}. Demo data: {BRANCHES} branches x {BOOTHS_PER_BRANCH} booths,"
        f" {CS_PER_BRANCH} CS each (online, capacity {CAPACITY}); steady load {LOOKUP_RATE:.0f}"
        f" look-ups/s + {VISIT_RATE:.0f} visits/s (check-in, enqueue, cancel), open loop.",
        "",
    ]
    if results.get("streams"):
        out += [
            "| config | streams | look-up alone p50/p99 ms | under load: look-up p50/p99 |"
            " check-in p50/p99 | enqueue (dispatch) p50/p99 | cores used hub / PG / client |"
            " check-ins/s (16 clients) | RSS MB total (per process) | KB/stream |"
            " idle statements/s (txn/s; PG xact/s) | 5xx / no answer | deadlocks |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
    for c in results.get("streams", []):
        if "levels" not in c:
            out.append(f"| {c.get('config')} | failed: {c.get('error', '?')[:80]} |")
            continue
        base = c["baseline"]
        idle = base["idle"]
        procs = "+".join(f"{p['rss_mb']:.0f}" for p in base["memory"]["processes"])
        out.append(
            f"| {c['config']} | 0 | | | | | {_cores(idle['cpu'])} (idle) | |"
            f" {base['memory']['total_mb']:.0f} ({procs}) | |"
            f" {idle['statements_per_s']} ({idle['transactions_per_s']};"
            f" {fmt(idle['pg_xacts_per_s'])}) | | |"
        )
        for step in c["levels"]:
            lat = step["steady"]["latency_ms"]
            mem = step["memory"]
            procs = "+".join(f"{p['rss_mb']:.0f}" for p in mem["processes"])
            idle = step["idle"]
            errors = step["steady"]["server_errors"] + step["burst"]["server_errors"]
            missing = step["steady"]["not_answered"] + step["burst"]["not_answered"]
            label = f"{step['streams']:,}"
            if step["agent_streams"]:
                label += f" ({step['booth_streams']:,} booth + {step['agent_streams']} CS)"
            out.append(
                f"| {c['config']} | {label} | {pair(step.get('lookup_alone'))} |"
                f" {pair(lat.get('lookup'))} | {pair(lat.get('check-in'))} |"
                f" {pair(lat.get('enqueue'))} | {_cores(step['steady']['cpu'])} |"
                f" {step['burst']['checkins_per_s']} | {mem['total_mb']:.0f} ({procs}) |"
                f" {fmt(mem.get('kb_per_stream'), 0)} | {idle['statements_per_s']}"
                f" ({idle['transactions_per_s']}; {fmt(idle['pg_xacts_per_s'])}) |"
                f" {errors} / {missing} | {fmt(step.get('pg_deadlocks'), 0)} |"
            )
    xrows = [
        (c["config"], s["streams"], s["cross_process"])
        for c in results.get("streams", [])
        for s in c.get("levels", [])
        if s.get("cross_process")
    ]
    if xrows:
        out += ["", "Cross-process event latency (check-in answered by one worker -> the booth's"
                " stream held by another; from request sent):", "",
                "| config | streams | events | p50 ms | p99 ms | max ms | same-process p50/p99 |",
                "|---|---|---|---|---|---|---|"]  # fmt: skip
        for name, streams, xp in xrows:
            cp = xp["cross_process"]
            out.append(
                f"| {name} | {streams:,} | {cp['n']} | {fmt(cp['p50'])} | {fmt(cp['p99'])} |"
                f" {fmt(cp['max'])} | {pair(xp['same_process'])} |"
            )
    assign = results.get("assign")
    if assign and "database" in assign:
        db = assign["database"]
        req = assign["requests"]
        out += ["", f"Double assignments, {assign['participants']} participants /"
                f" {assign['cs']} CS on PostgreSQL with 4 processes (storm {assign['storm_s']} s):",
                "", "| CS over capacity | tickets in 2 open sessions | booths with 2 open |"
                " waiting with a CS set | assigned / places | branches waiting while a CS is free"
                " | audit chain | 5xx | no answer | deadlocks |",
                "|---|---|---|---|---|---|---|---|---|---|",
                f"| {db['agents_over_capacity']} | {db['tickets_in_two_open_sessions']} |"
                f" {db['booths_with_two_open_sessions']} | {db['waiting_with_an_agent']} |"
                f" {db['assigned']} / {db['places']} | {db['branches_waiting_while_cs_free']} |"
                f" {'ok' if db['audit_chain_ok'] else 'BROKEN'} | {req['server_errors']} |"
                f" {req['not_answered']} | {assign.get('pg_deadlocks')} |"]  # fmt: skip
    dispatch = results.get("dispatch")
    if dispatch and "busy branch" in dispatch:
        once = dispatch["run_dispatch on SQLite (busy branch), once"]
        out += ["", f"Dispatch decision (bench.dispatch), {dispatch['waiting']} waiting /"
                f" {dispatch['agents']} CS, {dispatch['rounds']} rounds:", "",
                "| case | p50 ms | p99 ms | max ms |", "|---|---|---|---|"]  # fmt: skip
        for label in ("all CS free", "busy branch"):
            d = dispatch[label]
            out.append(f"| {label} | {d['p50']:.3f} | {d['p99']:.3f} | {d['max']:.3f} |")
        out.append(f"| full run_dispatch on SQLite, once | {once['ms']} | | |")
    scale = [s for s in results.get("scale", []) if "steps" in s]
    if scale:
        out += ["", "Scale (in-process timings through the hub's functions; HTTP look-up via a"
                " 1-process hub), p50/p99 ms:", "",
                "| backend | sessions | tickets | HTTP look-up | ticket by code | booth's open"
                " session | CS load | booth-silence sweep | waiting branches | dispatch + commit |",
                "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for s in scale:
            for step in s["steps"]:
                q = step["in_process_ms"]
                own = q["booth's open session"]
                out.append(
                    f"| {s['backend']} | {q['sessions']:,} | {q['tickets']:,} |"
                    f" {pair(step['http']['lookup'], 2)} | {pair(q['ticket by booking code'], 3)}"
                    f" | {pair(own, 3)} |"
                    f" {pair(q['CS load (agent_id, state)'], 3)} |"
                    f" {pair(q['booth-silence sweep'], 1)} |"
                    f" {pair(q['branches with waiting sessions'], 1)} |"
                    f" {pair(q['dispatch (run_dispatch + commit)'], 2)} |"
                )
        for s in scale:
            out += ["", f"EXPLAIN on {s['backend']} with {s['explain_at']:,} history sessions:",
                    "", "```"]  # fmt: skip
            for name, entries in s["explain"].items():
                for entry in entries:
                    out.append(f"-- {name}: {entry['sql'][:160]}")
                    out.extend(f"   {line}" for line in entry["plan"])
            out.append("```")
    rows = targets(results)
    if rows:
        out += ["", "| target | measured | met |", "|---|---|---|"]
        out += [
            f"| {r['target']} | {r['measured']} | {'yes' if r['met'] else 'NO'} |" for r in rows
        ]
    failures = [
        f"{name}: {entry.get('error')}"
        for name in ("streams", "scale")
        for entry in results.get(name, [])
        if "error" in entry
    ] + [f"{n}: {results[n]['error']}" for n in ("dispatch", "assign")
         if isinstance(results.get(n), dict) and "error" in results[n]]  # fmt: skip
    if failures:
        out += ["", "Sections that could not complete:", *[f"- {f}" for f in failures]]
    out += ["", f"Run time {results['meta']['runtime_s']:.0f} s."]
    return "\n".join(out) + "\n"


def _meta(mode: str) -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "hub"))
    return {
        "mode": mode,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD")
        + (" + uncommitted hub changes" if dirty else ""),  # fmt: skip
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "note": "client and hub share the machine's cores",
    }


def raise_open_files(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run (about 3 minutes)")
    parser.add_argument(
        "--only",
        default="dispatch,streams,assign,scale",
        help="sections, comma-separated (dispatch,streams,assign,scale)",
    )
    parser.add_argument("--configs", default="", help="stream configurations, e.g. pg-4,sqlite-1")
    parser.add_argument("--json", type=Path, help="write the results here (default for a full"
                        " run: bench/results/central.json)")  # fmt: skip
    parser.add_argument("--markdown", type=Path, help="write the table here (default for a full"
                        " run: bench/results/central.md)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    if args.configs:
        names = {n.strip() for n in args.configs.split(",")}
        plan = dataclasses.replace(plan, configs=tuple(c for c in plan.configs if c.name in names))
    full_run = not args.quick and sections >= {"dispatch", "streams", "assign", "scale"}
    json_path = args.json or (RESULTS / "central.json" if full_run else None)
    md_path = args.markdown or (RESULTS / "central.md" if full_run else None)
    limit = raise_open_files(16000)
    rng = random.Random(args.seed)
    began = time.monotonic()
    results: dict[str, Any] = {"meta": _meta("quick" if args.quick else "full")}
    results["meta"]["open_files_limit"] = limit
    failed = False
    print(f"bench.central ({results['meta']['mode']}): {os.cpu_count()} cores shared by the"
          " load generator and the hub processes", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bilik-central-") as tmp:
        work = Path(tmp)
        counters = Counters(work / "counters")
        databases = Database(work)
        try:
            if "dispatch" in sections:
                print("dispatch (bench.dispatch)", flush=True)
                try:
                    results["dispatch"] = run_dispatch_bench(plan)
                except Exception as err:
                    failed = True
                    results["dispatch"] = {"error": repr(err), "trace": traceback.format_exc()}
            if "streams" in sections:
                results["streams"] = []
                for cfg in plan.configs:
                    print(f"streams: {cfg.name}", flush=True)
                    try:
                        results["streams"].append(
                            run_config(cfg, plan, work, databases, counters, rng)
                        )
                    except Exception as err:
                        failed = True
                        traceback.print_exc()
                        results["streams"].append({"config": cfg.name, "error": repr(err),
                                                   "trace": traceback.format_exc()})  # fmt: skip
            if "assign" in sections:
                print("double assignments: 300 participants / 30 CS on pg-4", flush=True)
                try:
                    results["assign"] = run_assign(plan, work, databases, counters, rng)
                except Exception as err:
                    failed = True
                    traceback.print_exc()
                    results["assign"] = {"error": repr(err), "trace": traceback.format_exc()}
            if "scale" in sections:
                results["scale"] = []
                for backend in ("sqlite", "postgresql"):
                    try:
                        results["scale"].append(
                            run_scale(backend, plan, work, databases, counters, rng)
                        )
                    except Exception as err:
                        failed = True
                        traceback.print_exc()
                        results["scale"].append({"backend": backend, "error": repr(err),
                                                 "trace": traceback.format_exc()})  # fmt: skip
            if databases.monitor is not None:
                results["meta"]["postgres"] = databases.monitor.version()
        finally:
            databases.stop()
    results["meta"]["runtime_s"] = round(time.monotonic() - began, 1)
    results["targets"] = targets(results)
    table = markdown(results)
    print()
    print(table)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1, default=str) + "\n")
        print(f"results: {json_path}")
    if md_path:
        md_path.parent.mkdir(parents=True, exist_ok=True)
        md_path.write_text(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
