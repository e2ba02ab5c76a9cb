"""What a branch supervisor does to the live service: give a session to another CS."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contract.states import AgentStatus, Role, SessionState, TicketStatus
from hub.container import HubContext
from hub.domain.access import Principal, SessionNeed
from hub.domain.dispatch_policy import BranchPolicy, effective_capacity
from hub.errors import ApiError
from hub.services import audit
from hub.services.call_transitions import settle_focus
from hub.services.dispatch import active_counts
from hub.services.sessions import load_session, settle
from hub.store.models import Agent, Branch, Ticket, required

#: A session in a call stays with its CS: they end it or go offline (which hands it back).
REASSIGNABLE = (SessionState.WAITING, SessionState.ASSIGNED)


def reassign(
    db: Session, hub: HubContext, session_id: int, supervisor: Principal, agent_id: str
) -> dict[str, Any]:
    """Give a waiting or not yet accepted session to an online CS of the branch with room."""
    session = load_session(db, session_id, supervisor, SessionNeed.REASSIGN)
    if session.state not in REASSIGNABLE:
        raise ApiError("invalid_state", {"state": session.state})
    target = db.get(Agent, agent_id)
    if (
        target is None
        or target.branch_id != session.branch_id
        or (target.role or Role.CS) != Role.CS
    ):
        raise ApiError("invalid_request", {"fields": ["agent_id"]})
    if target.status != AgentStatus.ONLINE or target.disabled:
        raise ApiError("invalid_state", {"agent_status": target.status})
    branch = required(db, Branch, session.branch_id)
    room = effective_capacity(target.capacity, BranchPolicy(branch.mode, branch.max_capacity))
    if session.agent_id != target.id and active_counts(db, [target.id]).get(target.id, 0) >= room:
        raise ApiError("invalid_state", {"agent_status": "full"})
    now, previous = hub.clock.now(), session.agent_id
    session.state = SessionState.ASSIGNED
    session.agent_id = target.id
    session.assigned_at = now
    session.on_hold = False
    ticket = db.get(Ticket, session.ticket_id)
    if ticket is not None:
        ticket.status = TicketStatus.IN_SERVICE
    target.last_assigned_at = now
    audit.record(
        db,
        supervisor.actor,
        "reassign",
        f"session:{session.id}",
        {"from": previous, "to": target.id},
        now,
    )
    settle_focus(db, previous)
    return settle(db, hub, session, supervisor)
