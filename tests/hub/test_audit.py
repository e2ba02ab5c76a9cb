"""The audit trail: hash-chained, verifiable from the command line, personal data masked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.clock import utc_now
from hub.services import audit
from hub.store.database import open_database
from hub.store.models import AuditEvent
from tests.hub.harness import BILIK_HUB, Api, BranchInfo, Seeder


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    sessions = open_database(url)
    with sessions.begin() as db:
        for i in range(1, 6):
            audit.record(
                db, "booth:tgc-01", "check_in", f"session:{i}", {"booking_code": f"C{i}"}, utc_now()
            )
    return url, sessions


def verify_cli(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BILIK_HUB), "audit", "verify", "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_untouched_chain_verifies(database):
    url, sessions = database
    with sessions() as db:
        report = audit.verify_chain(db)
    assert (report.ok, report.count) == (True, 5)
    result = verify_cli(url)
    assert (result.returncode, result.stdout.strip()) == (0, "audit chain OK: 5 events")


def test_edited_event_breaks_the_chain_at_that_event(database):
    url, sessions = database
    with sessions.begin() as db:
        db.execute(
            update(AuditEvent).where(AuditEvent.seq == 3).values(details='{"booking_code":"X"}')
        )
    with sessions() as db:
        report = audit.verify_chain(db)
    assert (report.ok, report.bad_seq) == (False, 3)
    result = verify_cli(url)
    assert result.returncode == 1
    assert "BROKEN at event 3" in result.stderr


def test_removed_event_is_detected(database):
    _, sessions = database
    with sessions.begin() as db:
        db.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    with sessions() as db:
        report = audit.verify_chain(db)
    assert (report.ok, report.bad_seq, report.reason) == (False, 2, "event 2 is missing")


def test_removed_last_event_is_detected(database):
    _, sessions = database
    with sessions.begin() as db:
        db.execute(delete(AuditEvent).where(AuditEvent.seq == 5))
    with sessions() as db:
        assert not audit.verify_chain(db).ok


def test_an_event_appended_without_moving_the_head_is_detected(database):
    _, sessions = database
    with sessions.begin() as db:
        last = db.get(AuditEvent, 5)
        at, details = utc_now(), '{"booking_code":"C6"}'
        content = audit.canonical_content(6, at, "booth:tgc-01", "check_in", "session:6", details)
        db.add(
            AuditEvent(
                seq=6, at=at, actor="booth:tgc-01", action="check_in", subject="session:6",
                details=details, prev_hash=last.hash, hash=audit.link_hash(last.hash, content),
            )
        )  # fmt: skip
    with sessions() as db:
        report = audit.verify_chain(db)
    assert (report.ok, report.bad_seq) == (False, 6), report


def test_rehashed_forgery_still_breaks_the_next_link(database):
    _, sessions = database
    with sessions.begin() as db:
        event = db.get(AuditEvent, 2)
        event.actor = "agent:someone-else"
        content = audit.canonical_content(
            event.seq, event.at, event.actor, event.action, event.subject, event.details
        )
        event.hash = audit.link_hash(event.prev_hash, content)
    with sessions() as db:
        report = audit.verify_chain(db)
    assert (report.ok, report.bad_seq) == (False, 3)


def test_nik_and_name_are_masked_in_audit_details(database):
    _, sessions = database
    with sessions.begin() as db:
        audit.record(
            db,
            "cli",
            "check_in",
            "session:9",
            {"nik": "3671011508850001", "name": "Budi Santoso"},
            utc_now(),
        )
    with sessions() as db:
        event = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert json.loads(event.details) == {"nik": "3671********0001", "name": "Bu** Sa*****"}


def test_running_hub_audits_check_in_and_login_and_its_chain_verifies(
    api: Api, seeder: Seeder, hub_db: str
):
    branch: BranchInfo = seeder.branch(booths=1, agents=1)
    ticket = seeder.ticket(branch, name="Agus Setiawan")
    status, body = api.checkin(branch.booths[0].token, booking_code=ticket.booking_code)
    assert status == 201
    api.login(branch.agents[0].username, branch.agents[0].password)
    with seeder.sessions() as db:
        check_in = db.scalars(
            select(AuditEvent).where(AuditEvent.subject == f"session:{body['session']['id']}")
        ).one()
        logins = db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "login", AuditEvent.actor == f"agent:{branch.agents[0].id}"
            )
        ).all()
    assert check_in.actor == f"booth:{branch.booths[0].id}"
    details = json.loads(check_in.details)
    assert details["nik"] == ticket.nik[:4] + "********" + ticket.nik[-4:]
    assert details["name"] == "Ag** Se******"
    assert len(logins) == 1
    assert verify_cli(hub_db).returncode == 0
