"""Rules that depend on time, played out in milliseconds with the hub's injected clock.

The world starts at 10:00 WIB (hub.clock.FakeClock); nothing here sleeps. The same rules run
against the real server and the real clock in tests/hub (test_grace.py, test_api_checkin.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from hub.jobs.housekeeping import housekeeping
from hub.store.models import ServiceSession, Still, Ticket
from tests.hub.inprocess.test_role_sweep import _still
from tests.hub.inprocess.world import START, assigned_session, build_world


def test_a_ticket_opens_half_an_hour_before_its_slot_and_closes_a_quarter_after(tmp_path: Path):
    world = build_world(tmp_path)
    code = world.ticket(slot=(11, 12))  # 11.00-12.00 WIB; it is 10.00 WIB
    lookup = world.call("POST", "/api/v1/checkins/lookup", "booth", {"booking_code": code})
    assert (lookup.status_code, lookup.json()["error"]) == (
        409,
        {"code": "too_early", "params": {"slot_start": "11:00", "return_at": "10:30"}},
    )
    world.clock.advance(30 * 60)  # 10.30 WIB: the window opens
    ok = world.call("POST", "/api/v1/checkins/lookup", "booth", {"booking_code": code})
    assert ok.status_code == 200 and ok.json()["ticket"]["slot_zone"] == "WIB"
    world.clock.set(START + dt.timedelta(hours=2, minutes=15, seconds=1))  # 12.15.01 WIB
    late = world.call("POST", "/api/v1/checkins/lookup", "booth", {"booking_code": code})
    assert late.json()["error"] == {"code": "too_late", "params": {"slot_end": "12:00"}}


def test_a_silent_booth_loses_its_session_after_the_grace_period(tmp_path: Path):
    world = build_world(tmp_path, booth_grace_seconds=120)
    code = world.ticket()
    session = world.call("POST", "/api/v1/checkins", "booth", {"booking_code": code}).json()
    hub, session_id = world.app.state.hub, session["session"]["id"]

    def states() -> tuple[str, str]:
        """As the database holds them: a request from the booth would be a sign of life."""
        with world.sessions() as db:
            ticket = db.scalar(select(Ticket).where(Ticket.booking_code == code))
            kept = db.get(ServiceSession, session_id)
            assert ticket is not None and kept is not None
            return kept.state, ticket.status

    world.clock.advance(119)
    housekeeping(hub)
    assert states() == ("checked_in", "checked_in")
    world.clock.advance(2)  # 121 s without a word from the booth
    housekeeping(hub)
    assert states() == ("cancelled", "booked")  # the ticket is given back for today


def test_stills_are_deleted_after_the_retention_period(tmp_path: Path):
    world = build_world(tmp_path, still_retention_days=30)
    session_id = assigned_session(world)
    assert world.call("POST", f"/api/v1/sessions/{session_id}/accept", "cs").status_code == 200
    still_id = _still(world, session_id)
    with world.sessions() as db:
        path = tmp_path / "data" / db.get(Still, still_id).path
    assert path.is_file()
    world.clock.advance(29 * 86400)
    housekeeping(world.app.state.hub)
    assert path.is_file()
    world.clock.advance(86400 + 1)
    housekeeping(world.app.state.hub)
    assert not path.exists()
    with world.sessions() as db:
        assert db.get(Still, still_id) is None


def test_a_staff_login_expires_after_twelve_hours(tmp_path: Path):
    world = build_world(tmp_path)
    assert world.call("GET", "/api/v1/agents/me", "supervisor").status_code == 200
    world.clock.advance(12 * 3600 + 1)
    expired = world.call("GET", "/api/v1/agents/me", "supervisor")
    assert (expired.status_code, expired.json()["error"]["code"]) == (401, "unauthorized")


def test_the_hub_time_endpoint_reads_the_injected_clock(tmp_path: Path):
    world = build_world(tmp_path)
    world.clock.advance(90)
    now = world.call("GET", "/api/v1/time").json()["now"]
    assert dt.datetime.fromisoformat(now) == START + dt.timedelta(seconds=90)
