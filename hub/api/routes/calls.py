"""The call's life cycle over HTTP: the CS accepts and focuses, the booth reports its media."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from hub.api.auth import AgentAuth, BoothAuth
from hub.api.routes.agents import own_agent
from hub.api.routes.sessions import load_session, settle
from hub.clock import utc_now
from hub.container import DbSession, Hub
from hub.services import call_transitions
from hub.services.serializers import agent_sessions_view

router = APIRouter(prefix="/api/v1", tags=["call"])


class FocusRequest(BaseModel):
    session_id: int | None


class CallStateReport(BaseModel):
    state: Literal["connected", "reconnecting", "failed"]


@router.post("/sessions/{session_id}/accept")
def accept(session_id: int, agent: AgentAuth, db: DbSession, hub: Hub) -> dict:
    """assigned → connecting; the console sends its offer next."""
    session = load_session(db, session_id, agent)
    call_transitions.accept(db, session, agent.agent_id, utc_now())
    return settle(db, hub, session, for_cs=True)


@router.post("/agents/{agent_id}/focus")
def focus(agent_id: str, body: FocusRequest, principal: AgentAuth, db: DbSession, hub: Hub) -> dict:
    """Talk to one booth; the CS's other calls go on hold (`null`: all on hold)."""
    agent, _branch = own_agent(db, agent_id, principal)
    call_transitions.focus(db, agent.id, body.session_id, utc_now())
    db.commit()
    return {"sessions": agent_sessions_view(db, agent.id, hub.settings.avg_service_seconds)}


@router.post("/sessions/{session_id}/call-state")
def call_state(
    session_id: int, body: CallStateReport, booth: BoothAuth, db: DbSession, hub: Hub
) -> dict:
    """The booth's media connection: `connected` makes the session `in_call`."""
    session = load_session(db, session_id, booth)
    call_transitions.report_call_state(db, session, booth.booth_id, body.state, utc_now())
    return settle(db, hub, session)
