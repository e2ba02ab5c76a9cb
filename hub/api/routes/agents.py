"""Staff endpoints: log in and out, who am I, availability and capacity, own sessions, the queue."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from hub.api.client_address import client_address
from hub.api.console_auth import clear_login_cookies, set_login_cookies
from hub.api.deps import (
    CsAuth,
    DbSession,
    Hub,
    ReadDb,
    ReaderAuth,
    ReleasingRoute,
    StaffAuth,
    presented_token,
)
from hub.api.schemas import AgentAnswer, LoginAnswer, MeAnswer, Ok, QueueAnswer, SessionsAnswer
from hub.services import staff
from hub.services.credentials import AGENT_TOKEN_LIFETIME, account_role, login_id

router = APIRouter(prefix="/api/v1", tags=["agents"], route_class=ReleasingRoute)


class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class StatusRequest(BaseModel):
    status: Literal["online", "paused", "offline"]
    capacity: int | None = Field(default=None, ge=1, le=5)


@router.post("/agents/login", response_model=LoginAnswer)
def login(
    body: LoginRequest, request: Request, response: Response, db: DbSession, hub: Hub
) -> dict:
    """The token comes back in the body (API clients) and as the console's cookies."""
    client = client_address(request, hub.settings.trusted_proxies)
    agent, token = staff.login(db, hub, body.username, body.password, client)
    lifetime = int(AGENT_TOKEN_LIFETIME.total_seconds())
    set_login_cookies(request, response, hub.secret, token, lifetime)
    return {
        "token": token,
        "agent_id": agent.id,
        "name": agent.name,
        "role": account_role(agent),
        "login_id": login_id(token),
    }


@router.post("/agents/logout", response_model=Ok)
def logout(
    request: Request, response: Response, principal: StaffAuth, db: DbSession, hub: Hub
) -> dict:
    """The token (bearer or cookie) stops working; the console's cookies are cleared."""
    staff.logout(db, hub, principal, presented_token(request))
    clear_login_cookies(response)
    return {"ok": True}


@router.get("/agents/me", response_model=MeAnswer)
def me(request: Request, principal: StaffAuth, db: ReadDb, hub: Hub) -> dict:
    """Who the console is logged in as, and the sessions they serve."""
    return staff.me(db, hub, principal, presented_token(request))


@router.post("/agents/{agent_id}/status", response_model=AgentAnswer)
def set_status(agent_id: str, body: StatusRequest, cs: CsAuth, db: DbSession, hub: Hub) -> dict:
    """Online takes participants, paused keeps current ones, offline hands them back."""
    return staff.set_status(db, hub, agent_id, cs, body.status, body.capacity)


@router.get("/agents/{agent_id}/sessions", response_model=SessionsAnswer)
def agent_sessions(agent_id: str, cs: CsAuth, db: ReadDb, hub: Hub) -> dict:
    """The sessions this CS holds now (assigned or in a call)."""
    return staff.own_sessions(db, hub, agent_id, cs)


@router.get("/queue", response_model=QueueAnswer)
def queue(reader: ReaderAuth, db: ReadDb, hub: Hub, branch_id: str | None = None) -> dict:
    """The branch's waiting participants in dispatch order, and its staff (HQ names a branch)."""
    return staff.branch_queue(db, hub, reader, branch_id)
