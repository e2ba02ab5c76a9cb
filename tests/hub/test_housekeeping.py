"""A booth that goes silent keeps its place for the grace period, then gives the ticket back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hub.services.accounts import ensure_booth, ensure_branch
from hub.services.transitions import check_in, enqueue, expire_abandoned
from hub.store.database import open_database
from hub.store.models import Booth, ServiceSession, Ticket

NOW = dt.datetime(2025, 3, 10, 3, 0, tzinfo=dt.UTC)


def test_silent_booth_loses_its_waiting_session_only_after_the_grace_period(tmp_path: Path):
    sessions = open_database(f"sqlite:///{tmp_path / 'hk.db'}")
    with sessions.begin() as db:
        ensure_branch(db, "tgc", "Tangerang Cikokol", "Asia/Jakarta")
        booth = ensure_booth(db, "tgc-01", "tgc", "Bilik 1", "tok")
        booth.last_seen = NOW
        ticket = Ticket(booking_code="TGC4K7QX", nik="3671011508850001", name="Budi Santoso",
                        branch_id="tgc", date=NOW.date(), slot_start=dt.time(10),
                        slot_end=dt.time(11))  # fmt: skip
        db.add(ticket)
        db.flush()
        session = check_in(db, booth, ticket, NOW)
        enqueue(db, session, "booth:tgc-01", NOW)
        session_id, ticket_id = session.id, ticket.id

    with sessions.begin() as db:
        assert expire_abandoned(db, NOW + dt.timedelta(seconds=119), grace_seconds=120) == set()
    with sessions.begin() as db:
        assert expire_abandoned(db, NOW + dt.timedelta(seconds=121), grace_seconds=120) == {"tgc"}
    with sessions() as db:
        assert db.get(ServiceSession, session_id).state == "cancelled"
        ticket = db.get(Ticket, ticket_id)
        assert (ticket.status, ticket.checked_in_booth) == ("booked", None)
        assert db.get(Booth, "tgc-01") is not None


def test_one_process_holds_the_housekeeping_lease_and_another_takes_over_when_it_lapses(
    tmp_path: Path,
):
    """Several hub processes: one runs the country's housekeeping, the others stand by."""
    from hub.clock import FakeClock
    from hub.container import HubContext
    from hub.jobs.housekeeping import housekeeping
    from hub.realtime.broadcast import Broadcaster
    from hub.settings import HubSettings
    from hub.store.models import JobLease

    url = f"sqlite:///{tmp_path / 'lease.db'}"
    sessions = open_database(url)
    clock = FakeClock(NOW)
    settings = HubSettings(database_url=url, data_dir=str(tmp_path / "data"))
    first, second = (
        HubContext(settings, sessions, Broadcaster(), secret="x" * 16, clock=clock)
        for _ in range(2)
    )

    def holder() -> str:
        with sessions() as db:
            return db.get(JobLease, "housekeeping").holder

    housekeeping(first)
    housekeeping(second)  # stands by: the first holds the lease
    assert holder() == first.process_id
    clock.advance(10)
    housekeeping(first)  # renews it
    clock.advance(10)
    housekeeping(second)
    assert holder() == first.process_id
    clock.advance(16)  # the first stopped: its lease runs out
    housekeeping(second)
    assert holder() == second.process_id
