"""CS endpoints: log in, availability and capacity, own sessions, the branch queue."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit, transitions
from hub.auth import AgentAuth, AgentPrincipal, issue_agent_token
from hub.context import DbSession, Hub
from hub.dispatch import Waiting, active_counts, queue_order, run_dispatch
from hub.errors import ApiError
from hub.passwords import verify_password
from hub.store import (
    ACTIVE_AGENT_STATES,
    Agent,
    Branch,
    BranchMode,
    ServiceSession,
    SessionState,
    utc_now,
)
from hub.views import agent_view, session_views

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["agents"])


class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class StatusRequest(BaseModel):
    status: Literal["online", "paused", "offline"]
    capacity: int | None = Field(default=None, ge=1, le=5)


def _own_agent(db: Session, agent_id: str, principal: AgentPrincipal) -> tuple[Agent, Branch]:
    if principal.agent_id != agent_id:
        raise ApiError("forbidden")
    agent = db.get(Agent, agent_id)
    if agent is None:
        raise ApiError("not_found")
    return agent, db.get(Branch, agent.branch_id)


@router.post("/agents/login")
def login(body: LoginRequest, db: DbSession) -> dict:
    """Same answer and same time for a wrong password and an unknown username."""
    now = utc_now()
    agent = db.scalar(select(Agent).where(Agent.username == body.username))
    if not verify_password(body.password, agent.password_hash if agent else None):
        audit.record(db, "anonymous", "login_failed", f"user:{body.username[:32]}", {}, now)
        db.commit()
        log.info("CS login refused for user %r", body.username[:32])
        raise ApiError("unauthorized")
    token = issue_agent_token(db, agent, now)
    audit.record(db, f"agent:{agent.id}", "login", f"agent:{agent.id}", {}, now)
    db.commit()
    return {"token": token, "agent_id": agent.id, "name": agent.name}


@router.post("/agents/{agent_id}/status")
def set_status(
    agent_id: str,
    body: StatusRequest,
    principal: AgentAuth,
    db: DbSession,
    hub: Hub,
) -> dict:
    """Online takes participants, paused keeps current ones, offline hands them back."""
    agent, branch = _own_agent(db, agent_id, principal)
    now = utc_now()
    transitions.set_agent_status(
        db,
        agent,
        body.status,
        body.capacity,
        now,
        max_capacity=branch.max_capacity,
        one_to_one=branch.mode == BranchMode.ONE_TO_ONE,
    )
    run_dispatch(db, branch.id, now)
    db.commit()
    hub.broadcaster.notify(branch.id)
    active = active_counts(db, [agent.id]).get(agent.id, 0)
    return {"agent": agent_view(agent, branch, active)}


@router.get("/agents/{agent_id}/sessions")
def agent_sessions(
    agent_id: str,
    principal: AgentAuth,
    db: DbSession,
    hub: Hub,
) -> dict:
    """The sessions this CS holds now (assigned or in a call)."""
    agent, _branch = _own_agent(db, agent_id, principal)
    sessions = db.scalars(
        select(ServiceSession)
        .where(ServiceSession.agent_id == agent.id, ServiceSession.state.in_(ACTIVE_AGENT_STATES))
        .order_by(ServiceSession.assigned_at, ServiceSession.id)
    ).all()
    return {"sessions": session_views(db, sessions, hub.settings.avg_service_seconds)}


@router.get("/queue")
def queue(
    principal: AgentAuth,
    db: DbSession,
    hub: Hub,
) -> dict:
    """The branch's waiting participants in dispatch order, and its CS."""
    branch = db.get(Branch, principal.branch_id)
    waiting = db.scalars(
        select(ServiceSession).where(
            ServiceSession.branch_id == branch.id, ServiceSession.state == SessionState.WAITING
        )
    ).all()
    by_id = {s.id: s for s in waiting}
    ordered = queue_order([Waiting(s.id, s.priority, s.enqueued_at) for s in waiting])
    sessions = [by_id[w.session_id] for w in ordered]
    agents = db.scalars(select(Agent).where(Agent.branch_id == branch.id).order_by(Agent.id)).all()
    counts = active_counts(db, [a.id for a in agents])
    return {
        "waiting": session_views(db, sessions, hub.settings.avg_service_seconds),
        "agents": [agent_view(a, branch, counts.get(a.id, 0)) for a in agents],
    }
