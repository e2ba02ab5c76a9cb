"""Session and ticket state changes, each audited, inside the caller's transaction.

Routers, the background sweeper and the CLI all change state through these functions, so a
ticket and its session never disagree and no change escapes the audit trail. Callers commit,
then run dispatch and wake the event stream.

Session: checked_in → waiting → assigned → connecting → in_call → closed, or cancelled from any
open state (the call's own steps are in hub.services.call_transitions).
Ticket:  booked → checked_in → in_service → served; a cancelled session gives the ticket back
(`booked`) so the participant can check in again today.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import (
    ACTIVE_AGENT_STATES,
    CALL_STATES,
    OPEN_SESSION_STATES,
    AgentStatus,
    SessionState,
    TicketStatus,
)
from hub.errors import ApiError
from hub.realtime import presence
from hub.services import audit
from hub.services.call_transitions import settle_focus
from hub.store.models import Agent, Booth, ServiceSession, Ticket

#: Open states a new check-in at the same booth may replace (nobody is talking to them yet).
SUPERSEDABLE = (SessionState.CHECKED_IN, SessionState.WAITING)


def open_session_of_booth(db: Session, booth_id: str) -> ServiceSession | None:
    return db.scalar(
        select(ServiceSession)
        .where(ServiceSession.booth_id == booth_id, ServiceSession.state.in_(OPEN_SESSION_STATES))
        .order_by(ServiceSession.id.desc())
        .limit(1)
    )


def open_session_of_ticket(db: Session, ticket_id: int) -> ServiceSession | None:
    return db.scalar(
        select(ServiceSession)
        .where(ServiceSession.ticket_id == ticket_id, ServiceSession.state.in_(OPEN_SESSION_STATES))
        .order_by(ServiceSession.id.desc())
        .limit(1)
    )


def check_in(db: Session, booth: Booth, ticket: Ticket, now: dt.datetime) -> ServiceSession:
    """Open a session for a ticket the rules accepted.

    A booth holds one participant: an earlier session at this booth that nobody serves yet is
    cancelled (the person left without pressing cancel); one a CS already holds is not, and the
    new check-in is refused with `invalid_state` until the CS closes it.
    """
    previous = open_session_of_booth(db, booth.id)
    if previous is not None:
        if previous.state not in SUPERSEDABLE:
            raise ApiError("invalid_state", {"state": previous.state})
        cancel(db, previous, f"booth:{booth.id}", now, reason="superseded")
    ticket.status = TicketStatus.CHECKED_IN
    ticket.checked_in_booth = booth.id
    session = ServiceSession(
        booth_id=booth.id,
        ticket_id=ticket.id,
        branch_id=booth.branch_id,
        state=SessionState.CHECKED_IN,
        priority=ticket.priority,
        created_at=now,
    )
    db.add(session)
    db.flush()
    audit.record(
        db,
        f"booth:{booth.id}",
        "check_in",
        f"session:{session.id}",
        {"booking_code": ticket.booking_code, "nik": ticket.nik, "name": ticket.name},
        now,
    )
    return session


def enqueue(db: Session, session: ServiceSession, actor: str, now: dt.datetime) -> None:
    """checked_in → waiting; repeating it (or asking once assigned) changes nothing."""
    if session.state in (SessionState.CLOSED, SessionState.CANCELLED):
        raise ApiError("invalid_state", {"state": session.state})
    if session.state != SessionState.CHECKED_IN:
        return
    session.state = SessionState.WAITING
    session.enqueued_at = now
    audit.record(db, actor, "enqueue", f"session:{session.id}", {"booth_id": session.booth_id}, now)


def cancel(
    db: Session, session: ServiceSession, actor: str, now: dt.datetime, reason: str = "cancelled"
) -> None:
    """Any open state → cancelled; the ticket is given back. Cancelling again is a no-op."""
    if session.state == SessionState.CANCELLED:
        return
    if session.state == SessionState.CLOSED:
        raise ApiError("invalid_state", {"state": session.state})
    released_agent = session.agent_id if session.state in ACTIVE_AGENT_STATES else None
    session.state = SessionState.CANCELLED
    session.closed_at = now
    session.on_hold = False
    ticket = db.get(Ticket, session.ticket_id)
    if ticket is not None and ticket.status in (TicketStatus.CHECKED_IN, TicketStatus.IN_SERVICE):
        ticket.status = TicketStatus.BOOKED
        ticket.checked_in_booth = None
    audit.record(
        db,
        actor,
        "cancel",
        f"session:{session.id}",
        {"reason": reason, "booth_id": session.booth_id, "agent_id": released_agent},
        now,
    )
    settle_focus(db, released_agent)


def check_closable(session: ServiceSession, agent_id: str) -> None:
    """Only the CS holding the session, only once it was accepted, and only once
    (`403 forbidden`, `409 invalid_state`): nobody closes a participant they never saw."""
    if session.agent_id != agent_id:
        raise ApiError("forbidden")
    if session.state not in CALL_STATES:
        raise ApiError("invalid_state", {"state": session.state})


def close(
    db: Session,
    session: ServiceSession,
    agent_id: str,
    outcome: str,
    now: dt.datetime,
    missing: list[str] | None = None,
    reason: str = "",
) -> None:
    """The CS ends the service with an outcome; the ticket is served. Only once.

    `incomplete` names the missing documents and `rejected` gives a reason (the booth shows
    both to the participant); hub.domain.checklist decides what a close may store.
    """
    check_closable(session, agent_id)
    session.state = SessionState.CLOSED
    session.closed_at = now
    session.outcome = outcome
    session.outcome_missing = list(missing or [])
    session.outcome_reason = reason
    session.on_hold = False
    ticket = db.get(Ticket, session.ticket_id)
    if ticket is not None:
        ticket.status = TicketStatus.SERVED
    audit.record(
        db,
        f"agent:{agent_id}",
        "close",
        f"session:{session.id}",
        {"outcome": outcome, "missing": session.outcome_missing, "reason": reason},
        now,
    )
    settle_focus(db, agent_id)


def hand_back(
    db: Session, agent: Agent, now: dt.datetime, actor: str, reason: str = "offline"
) -> list[ServiceSession]:
    """A CS leaving gives their sessions back to the queue.

    They keep their original `enqueued_at` and priority, which puts them ahead of everyone who
    came later; the checklist and stills stay with the session for the next CS.
    """
    sessions = db.scalars(
        select(ServiceSession).where(
            ServiceSession.agent_id == agent.id, ServiceSession.state.in_(ACTIVE_AGENT_STATES)
        )
    ).all()
    for session in sessions:
        session.state = SessionState.WAITING
        session.agent_id = None
        session.assigned_at = None
        session.started_at = None
        session.on_hold = False
        ticket = db.get(Ticket, session.ticket_id)
        if ticket is not None and ticket.status == TicketStatus.IN_SERVICE:
            ticket.status = TicketStatus.CHECKED_IN
        audit.record(
            db,
            actor,
            "hand_back",
            f"session:{session.id}",
            {"agent_id": agent.id, "reason": reason},
            now,
        )
    return list(sessions)


def set_agent_status(
    db: Session,
    agent: Agent,
    status: str,
    capacity: int | None,
    now: dt.datetime,
    max_capacity: int,
    one_to_one: bool,
    actor: str | None = None,
    reason: str = "offline",
) -> None:
    """Change availability; going offline hands the CS's sessions back."""
    actor = actor or f"agent:{agent.id}"
    if capacity is not None:
        agent.capacity = 1 if one_to_one else min(capacity, max_capacity)
    previous = agent.status
    agent.status = status
    if status == AgentStatus.OFFLINE:
        hand_back(db, agent, now, actor, reason)  # also sessions left after a previous offline
    audit.record(
        db,
        actor,
        "agent_status",
        f"agent:{agent.id}",
        {"from": previous, "to": status, "capacity": agent.capacity, "reason": reason},
        now,
    )


def abandoned_sessions(
    db: Session, now: dt.datetime, grace_seconds: int, branch_id: str | None = None
) -> list[ServiceSession]:
    """Open sessions whose booth has been silent past the grace period (see below)."""
    cutoff = now - dt.timedelta(seconds=grace_seconds)
    query = (
        select(ServiceSession, Booth.last_seen)
        .join(Booth, Booth.id == ServiceSession.booth_id)
        .where(ServiceSession.state.in_(OPEN_SESSION_STATES))
    )
    if branch_id is not None:
        query = query.where(ServiceSession.branch_id == branch_id)
    silent = [
        session
        for session, last_seen in db.execute(query).all()
        if max(last_seen or session.created_at, session.created_at) < cutoff
    ]
    connected = presence.online_booths(db, {s.booth_id for s in silent}, now)
    return [s for s in silent if s.booth_id not in connected]


def expire_abandoned(
    db: Session, now: dt.datetime, grace_seconds: int, branch_id: str | None = None
) -> set[str]:
    """Cancel the open sessions of booths silent for longer than the grace period.

    Silent: no request, no heartbeat and no open event stream. A booth that disconnects keeps
    its session for `grace_seconds` (a restart takes less), also one a CS holds: the console
    shows the booth offline meanwhile. After that the ticket is given back and the CS's place
    is free again. Returns the branches whose queue changed.
    """
    changed: set[str] = set()
    for session in abandoned_sessions(db, now, grace_seconds, branch_id):
        cancel(db, session, "system", now, reason="booth_silent")
        changed.add(session.branch_id)
    return changed
