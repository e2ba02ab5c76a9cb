"""Session endpoints: enqueue, cancel, read, the booth's open session.

The CS's side (accept, focus, checklist, close) is in hub.api.routes.calls.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from hub.api.deps import (
    AnyPrincipal,
    BoothAuth,
    DbSession,
    Hub,
    ReadDb,
    ReleasingRoute,
    RowId,
    SupervisorAuth,
)
from hub.api.schemas import MaybeSession, SessionAnswer
from hub.domain.access import check_own_booth
from hub.services import sessions, supervision

router = APIRouter(prefix="/api/v1", tags=["sessions"], route_class=ReleasingRoute)


@router.post("/sessions/{session_id}/enqueue", response_model=SessionAnswer)
def enqueue(session_id: RowId, booth: BoothAuth, db: DbSession, hub: Hub) -> dict:
    """The participant is ready (headset checked): join the branch queue."""
    return sessions.enqueue(db, hub, session_id, booth)


@router.post("/sessions/{session_id}/cancel", response_model=SessionAnswer)
def cancel(session_id: RowId, booth: BoothAuth, db: DbSession, hub: Hub) -> dict:
    """The participant left or cancelled: the ticket can be used again today."""
    return sessions.cancel(db, hub, session_id, booth)


@router.get("/sessions/{session_id}", response_model=SessionAnswer)
def get_session(session_id: RowId, principal: AnyPrincipal, db: ReadDb, hub: Hub) -> dict:
    """The booth, the CS serving it, the branch supervisor and HQ; the booth's polling fallback."""
    session = sessions.load_session(db, session_id, principal)
    return {"session": sessions.view(db, hub, session, principal)}


class ReassignRequest(BaseModel):
    agent_id: str = Field(min_length=1, max_length=32)


@router.post("/sessions/{session_id}/reassign", response_model=SessionAnswer)
def reassign(
    session_id: RowId, body: ReassignRequest, supervisor: SupervisorAuth, db: DbSession, hub: Hub
) -> dict:
    """The branch supervisor gives a waiting or not yet accepted session to another CS."""
    return supervision.reassign(db, hub, session_id, supervisor, body.agent_id)


@router.get("/booths/{booth_id}/session", response_model=MaybeSession)
def booth_open_session(booth_id: str, booth: BoothAuth, db: ReadDb, hub: Hub) -> dict:
    """How a restarted booth finds the participant it was serving."""
    check_own_booth(booth, booth_id)
    return sessions.open_session_of_booth(db, hub, booth)
