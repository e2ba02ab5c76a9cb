"""Dispatch decision time with 1,000 waiting participants and 200 CS (target: p99 <= 5 ms).

    python -m bench.dispatch [--rounds N]

Measures `hub.services.dispatch.choose_assignments` (the decision) on fresh random queues: every CS
free (1,000 assignments at once) and a busy branch (most CS full, a few places free). Then, for
scale, one full `run_dispatch` pass against a real SQLite file (read queue and agents, decide,
conditional updates, audit) with the busy set-up.

The garbage collector stays on, as in the server, and the modules the server loads are frozen
out of it (`gc.freeze()`) exactly as `bilik-hub serve` does at start: without that, a full
collection walking FastAPI's and SQLAlchemy's objects lands inside ~1 % of decisions (~20 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import tempfile
import time
from pathlib import Path

from hub.domain.dispatch_policy import AgentLoad, Waiting, choose_assignments
from hub.services.dispatch import run_dispatch
from hub.store.database import open_database
from hub.store.models import Agent, Booth, Branch, ServiceSession, Ticket

WAITING, AGENTS, CAPACITY = 1000, 200, 5
T0 = dt.datetime(2025, 3, 10, 1, 0, tzinfo=dt.UTC)


def _queue(rng: random.Random) -> list[Waiting]:
    return [
        Waiting(i, rng.random() < 0.1, T0 + dt.timedelta(seconds=rng.uniform(0, 7200)))
        for i in range(WAITING)
    ]


def _agents(rng: random.Random, busy: bool) -> list[AgentLoad]:
    return [
        AgentLoad(
            f"cs{i}",
            CAPACITY,
            rng.choice([4, 5, 5, 5]) if busy else 0,
            T0 - dt.timedelta(seconds=rng.uniform(0, 3600)),
        )
        for i in range(AGENTS)
    ]


def _percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99, ordered[-1]


def bench_decision(rounds: int, busy: bool) -> tuple[float, float, float, int]:
    rng = random.Random(7)
    samples, assigned = [], 0
    for _ in range(rounds):
        waiting, agents = _queue(rng), _agents(rng, busy)
        start = time.perf_counter()
        result = choose_assignments(waiting, agents)
        samples.append((time.perf_counter() - start) * 1000)
        assigned = len(result)
    return (*_percentiles(samples), assigned)


def bench_database(directory: Path) -> tuple[float, int]:
    sessions = open_database(f"sqlite:///{directory / 'bench.db'}")
    rng = random.Random(11)
    with sessions.begin() as db:
        db.add(Branch(id="b", name="Bench", timezone="Asia/Jakarta", mode="one_to_many",
                      max_capacity=CAPACITY))  # fmt: skip
        db.flush()
        db.add_all(
            Booth(id=f"k{i}", branch_id="b", name=f"k{i}", devices={}) for i in range(WAITING)
        )
        db.add_all(
            Agent(id=f"cs{i}", username=f"cs{i}", name=f"CS {i}", branch_id="b", password_hash="x",
                  status="online", capacity=CAPACITY)
            for i in range(AGENTS)
        )  # fmt: skip
        db.flush()
        for i in range(WAITING):
            ticket = Ticket(booking_code=f"B{i:07d}", nik="3671011508850001", name="Bench",
                            branch_id="b", date=T0.date(), slot_start=dt.time(8),
                            slot_end=dt.time(9), status="checked_in")  # fmt: skip
            db.add(ticket)
            db.flush()
            db.add(ServiceSession(booth_id=f"k{i}", ticket_id=ticket.id, branch_id="b",
                                  state="waiting", priority=rng.random() < 0.1, created_at=T0,
                                  enqueued_at=T0 + dt.timedelta(seconds=i)))  # fmt: skip
        # a busy branch: fill 190 CS to capacity with sessions of their own
        db.flush()
        for i in range(190):
            for j in range(CAPACITY):
                n = WAITING + i * CAPACITY + j
                db.add(Booth(id=f"k{n}", branch_id="b", name="x", devices={}))
                ticket = Ticket(booking_code=f"B{n:07d}", nik="3671011508850001", name="Bench",
                                branch_id="b", date=T0.date(), slot_start=dt.time(8),
                                slot_end=dt.time(9), status="in_service")  # fmt: skip
                db.add(ticket)
                db.flush()
                db.add(ServiceSession(booth_id=f"k{n}", ticket_id=ticket.id, branch_id="b",
                                      state="assigned", agent_id=f"cs{i}", created_at=T0,
                                      assigned_at=T0))  # fmt: skip
    with sessions.begin() as db:
        start = time.perf_counter()
        done = run_dispatch(db, "b", T0 + dt.timedelta(hours=1))
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, len(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    import hub.app  # noqa: F401  (load what the server loads, then freeze it like serve does)

    gc.collect()
    gc.freeze()
    print(f"dispatch decision, {WAITING} waiting, {AGENTS} CS x {CAPACITY}, {args.rounds} rounds")
    for label, busy in (("all CS free", False), ("busy branch", True)):
        p50, p99, worst, assigned = bench_decision(args.rounds, busy)
        verdict = "OK" if p99 <= 5.0 else "OVER TARGET"
        print(
            f"  {label:<12} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  max {worst:6.3f} ms"
            f"  ({assigned} assigned)  target p99 <= 5 ms: {verdict}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        elapsed, assigned = bench_database(Path(tmp))
    print(f"  full run_dispatch on SQLite (busy branch): {elapsed:.1f} ms, {assigned} assigned")


if __name__ == "__main__":
    main()
