"""How a service ends: the CS's checklist, the outcome, the participant's rating."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from contract.states import DOCUMENTS, Document
from hub.api.auth import AgentAuth, BoothAuth
from hub.api.routes.sessions import load_session, settle
from hub.clock import utc_now
from hub.container import DbSession, Hub
from hub.errors import ApiError
from hub.services import call_transitions, transitions
from hub.services.serializers import empty_checklist, session_view

router = APIRouter(prefix="/api/v1", tags=["outcome"])


class Checklist(BaseModel):
    items: dict[Document, bool] = Field(default_factory=dict)
    balance_over_50m: bool = False


class CloseRequest(BaseModel):
    outcome: Literal["verified", "incomplete", "rejected"]
    missing: list[Document] = Field(default_factory=list, max_length=len(DOCUMENTS))
    reason: str = Field(default="", max_length=500)


class Rating(BaseModel):
    stars: int = Field(ge=1, le=5)


@router.put("/sessions/{session_id}/checklist")
def put_checklist(
    session_id: int, body: Checklist, agent: AgentAuth, db: DbSession, hub: Hub
) -> dict:
    """The whole checklist each time; documents not named are not ticked."""
    session = load_session(db, session_id, agent)
    checklist = empty_checklist()
    checklist["items"].update(body.items)
    checklist["balance_over_50m"] = body.balance_over_50m
    call_transitions.set_checklist(db, session, agent.agent_id, checklist, utc_now())
    return settle(db, hub, session, for_cs=True)


@router.post("/sessions/{session_id}/close")
def close(session_id: int, body: CloseRequest, agent: AgentAuth, db: DbSession, hub: Hub) -> dict:
    """The CS ends the service; `incomplete` needs `missing`, `rejected` needs `reason`."""
    session = load_session(db, session_id, agent)
    transitions.check_closable(session, agent.agent_id)
    missing = list(dict.fromkeys(body.missing))  # once each, in the order given
    reason = body.reason.strip()
    if body.outcome == "incomplete" and not missing:
        raise ApiError("invalid_request", {"fields": ["missing"]})
    if body.outcome == "rejected" and not reason:
        raise ApiError("invalid_request", {"fields": ["reason"]})
    if body.outcome == "verified":
        missing, reason = [], ""
    transitions.close(db, session, agent.agent_id, body.outcome, utc_now(), missing, reason)
    return settle(db, hub, session, for_cs=True)


@router.post("/sessions/{session_id}/rating")
def rate(session_id: int, body: Rating, booth: BoothAuth, db: DbSession, hub: Hub) -> dict:
    """The participant's stars, once, after the CS closed the session."""
    session = load_session(db, session_id, booth)
    call_transitions.rate(db, session, booth.booth_id, body.stars, utc_now())
    db.commit()
    return {"session": session_view(db, session, hub.settings.avg_service_seconds)}
