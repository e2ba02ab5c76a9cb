"""CS endpoints: log in and out, who am I, availability and capacity, own sessions, the queue."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import BranchMode, SessionState
from hub.api.auth import (
    AGENT_TOKEN_LIFETIME,
    AgentAuth,
    AgentPrincipal,
    issue_agent_token,
    presented_token,
    revoke_agent_token,
)
from hub.api.console_auth import clear_login_cookies, set_login_cookies
from hub.clock import utc_now
from hub.container import DbSession, Hub
from hub.domain.passwords import verify_password
from hub.errors import ApiError
from hub.services import audit, transitions
from hub.services.dispatch import Waiting, active_counts, queue_order, run_dispatch
from hub.services.serializers import agent_sessions_view, agent_view, session_views
from hub.store.models import Agent, Branch, ServiceSession

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["agents"])


class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class StatusRequest(BaseModel):
    status: Literal["online", "paused", "offline"]
    capacity: int | None = Field(default=None, ge=1, le=5)


def own_agent(db: Session, agent_id: str, principal: AgentPrincipal) -> tuple[Agent, Branch]:
    if principal.agent_id != agent_id:
        raise ApiError("forbidden")
    agent = db.get(Agent, agent_id)
    if agent is None:
        raise ApiError("not_found")
    return agent, db.get(Branch, agent.branch_id)


@router.post("/agents/login")
def login(
    body: LoginRequest, request: Request, response: Response, db: DbSession, hub: Hub
) -> dict:
    """Same answer and same time for a wrong password and an unknown username.

    The token comes back in the body (API clients) and as the console's cookies.
    """
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
    lifetime = int(AGENT_TOKEN_LIFETIME.total_seconds())
    set_login_cookies(request, response, hub.secret, token, lifetime)
    return {"token": token, "agent_id": agent.id, "name": agent.name}


@router.post("/agents/logout")
def logout(request: Request, response: Response, agent: AgentAuth, db: DbSession) -> dict:
    """The token (bearer or cookie) stops working; the console's cookies are cleared."""
    token = presented_token(request)
    if token:
        revoke_agent_token(db, token)
    audit.record(db, f"agent:{agent.agent_id}", "logout", f"agent:{agent.agent_id}", {}, utc_now())
    db.commit()
    clear_login_cookies(response)
    return {"ok": True}


@router.get("/agents/me")
def me(principal: AgentAuth, db: DbSession, hub: Hub) -> dict:
    """Who the console is logged in as, and the sessions it serves."""
    agent, branch = own_agent(db, principal.agent_id, principal)
    sessions = agent_sessions_view(db, agent.id, hub.settings.avg_service_seconds)
    return {"agent": agent_view(agent, branch, len(sessions)), "sessions": sessions}


@router.post("/agents/{agent_id}/status")
def set_status(
    agent_id: str,
    body: StatusRequest,
    principal: AgentAuth,
    db: DbSession,
    hub: Hub,
) -> dict:
    """Online takes participants, paused keeps current ones, offline hands them back."""
    agent, branch = own_agent(db, agent_id, principal)
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
    agent, _branch = own_agent(db, agent_id, principal)
    return {"sessions": agent_sessions_view(db, agent.id, hub.settings.avg_service_seconds)}


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
        "waiting": session_views(db, sessions, hub.settings.avg_service_seconds, for_cs=True),
        "agents": [agent_view(a, branch, counts.get(a.id, 0)) for a in agents],
    }
