"""State changes of the call itself, each audited, inside the caller's transaction.

assigned → connecting (the CS accepts) → in_call (the booth's media is up); a failed call goes
back to connecting so the console offers again. Focus: of a CS's sessions in a call at most
one is not `on_hold`; the booths on hold tell their participant to wait.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import CALL_STATES, SessionState
from hub.errors import ApiError
from hub.services import audit
from hub.store.models import ServiceSession


def _own(session: ServiceSession, agent_id: str) -> None:
    if session.agent_id != agent_id:
        raise ApiError("forbidden")


def call_sessions(db: Session, agent_id: str) -> list[ServiceSession]:
    return list(
        db.scalars(
            select(ServiceSession)
            .where(ServiceSession.agent_id == agent_id, ServiceSession.state.in_(CALL_STATES))
            .order_by(ServiceSession.id)
        )
    )


def settle_focus(db: Session, agent_id: str | None) -> None:
    """A CS with a single call focuses it implicitly; nobody is left on hold for nothing."""
    if agent_id is None:
        return
    db.flush()
    calls = call_sessions(db, agent_id)
    if len(calls) == 1 and calls[0].on_hold:
        calls[0].on_hold = False


def accept(db: Session, session: ServiceSession, agent_id: str, now: dt.datetime) -> None:
    """assigned → connecting; focused if the CS focuses no other call yet. Idempotent."""
    _own(session, agent_id)
    if session.state in CALL_STATES:
        return
    if session.state != SessionState.ASSIGNED:
        raise ApiError("invalid_state", {"state": session.state})
    focused = any(not s.on_hold for s in call_sessions(db, agent_id))
    session.state = SessionState.CONNECTING
    session.started_at = now
    session.on_hold = focused
    audit.record(
        db,
        f"agent:{agent_id}",
        "accept",
        f"session:{session.id}",
        {"on_hold": session.on_hold},
        now,
    )


def focus(db: Session, agent_id: str, session_id: int | None, now: dt.datetime) -> None:
    """That session off hold, every other call of the CS on hold (`None`: all on hold)."""
    calls = call_sessions(db, agent_id)
    if session_id is not None and session_id not in {s.id for s in calls}:
        target = db.get(ServiceSession, session_id)
        if target is None:
            raise ApiError("not_found")
        _own(target, agent_id)
        raise ApiError("invalid_state", {"state": target.state})
    for session in calls:
        session.on_hold = session.id != session_id
    audit.record(
        db, f"agent:{agent_id}", "focus", f"agent:{agent_id}", {"session_id": session_id}, now
    )


def report_call_state(
    db: Session, session: ServiceSession, booth_id: str, state: str, now: dt.datetime
) -> None:
    """What the booth says about its media connection.

    `connected`: connecting → in_call. `failed`: in_call → connecting (the CS offers again).
    `reconnecting` changes nothing but is recorded.
    """
    if session.state not in CALL_STATES:
        raise ApiError("invalid_state", {"state": session.state})
    before = session.state
    if state == "connected":
        session.state = SessionState.IN_CALL
    elif state == "failed":
        session.state = SessionState.CONNECTING
    audit.record(
        db,
        f"booth:{booth_id}",
        "call_state",
        f"session:{session.id}",
        {"reported": state, "from": before, "to": session.state},
        now,
    )


def set_checklist(
    db: Session, session: ServiceSession, agent_id: str, checklist: dict[str, Any], now: dt.datetime
) -> None:
    _own(session, agent_id)
    if session.state not in (SessionState.ASSIGNED, *CALL_STATES):
        raise ApiError("invalid_state", {"state": session.state})
    session.checklist = checklist
    audit.record(db, f"agent:{agent_id}", "checklist", f"session:{session.id}", checklist, now)


def rate(db: Session, session: ServiceSession, booth_id: str, stars: int, now: dt.datetime) -> None:
    """The participant's rating: after the close, once."""
    if session.state != SessionState.CLOSED:
        raise ApiError("invalid_state", {"state": session.state})
    if session.rating is not None:
        raise ApiError("invalid_state", {"state": "rated"})
    session.rating = stars
    audit.record(db, f"booth:{booth_id}", "rating", f"session:{session.id}", {"stars": stars}, now)
