"""Masking at the audit's door (issue 9): free text entering the audit is scanned for NIK-like
numbers, and a failed login names the typed user only when such an account exists.

Against the real `bilik-hub serve` (SQLite and PostgreSQL); the audit table is read directly.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hub.domain.masking import mask_nik_like
from hub.services import audit
from hub.store.models import AuditEvent
from tests.hub.calls import go_online, in_call
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder

NIK = "3171234567890001"
WRITTEN = ["3171234567890001", "3171 2345 6789 0001", "3171.2345.6789.0001", "3171-2345-6789-0001"]


def _audit_text(seeder: Seeder) -> str:
    with seeder.sessions() as db:
        rows = db.execute(select(AuditEvent.actor, AuditEvent.subject, AuditEvent.details))
        return "\n".join(" ".join(row) for row in rows)


@pytest.fixture
def staffed(seeder: Seeder, hub_server: HubProcess) -> BranchInfo:
    return seeder.branch(booths=1, agents=1)


@pytest.mark.parametrize("written", WRITTEN)
def test_a_nik_in_a_close_reason_is_masked_in_the_audit(
    api: Api, seeder: Seeder, staffed: BranchInfo, written: str
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    reason = f"NIK {written} tidak cocok dengan KTP"
    status, body = api.post(
        f"/api/v1/sessions/{session['id']}/close", cs, {"outcome": "rejected", "reason": reason}
    )
    assert status == 200, body
    with seeder.sessions() as db:
        details = db.scalar(
            select(AuditEvent.details).where(
                AuditEvent.subject == f"session:{session['id']}", AuditEvent.action == "close"
            )
        )
    assert details is not None and "3171********0001" in details, details
    text = _audit_text(seeder)
    assert written not in text and NIK not in text


def test_a_nik_typed_as_a_login_user_name_is_not_audited(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    for name in (NIK, "3171 2345 6789 0002"):
        status, body = api.post("/api/v1/agents/login", json={"username": name, "password": "x"})
        assert status == 401, body
    # a known user's failure is audited under the account
    agent = staffed.agents[0]
    status, _ = api.post("/api/v1/agents/login", json={"username": agent.username, "password": "x"})
    assert status == 401
    with seeder.sessions() as db:
        failed = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "login_failed").order_by(AuditEvent.seq)
        ).all()
    subjects = [event.subject for event in failed[-3:]]
    assert subjects == ["user:unknown", "user:unknown", f"agent:{agent.id}"]
    text = _audit_text(seeder)
    assert NIK not in text and "3171 2345 6789 0002" not in text and "317123456789" not in text


def test_every_string_in_details_at_any_depth_is_scanned(tmp_path):
    from hub.store.database import open_database

    sessions = open_database(f"sqlite:///{tmp_path / 'hub.db'}")
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as db:
        audit.record(
            db,
            "agent:a1",
            "note",
            f"session:1 {NIK}",
            {"note": f"x {WRITTEN[1]}", "items": [WRITTEN[2], {"deep": WRITTEN[3]}], "n": 5},
            now,
        )
    with sessions() as db:
        event = db.scalars(select(AuditEvent)).one()
        assert NIK not in event.subject and "3171********0001" in event.subject
        for written in WRITTEN:
            assert written not in event.details
        assert event.details.count("3171********0001") == 3 and '"n":5' in event.details
        assert audit.verify_chain(db).ok


def test_mask_nik_like_leaves_other_numbers():
    assert mask_nik_like("tel 0812-3456-7890, 2026-12-02 20:13:35") == (
        "tel 0812-3456-7890, 2026-12-02 20:13:35"
    )
    assert mask_nik_like("12345678901234567") == "12345678901234567"  # 17 digits: not a NIK
