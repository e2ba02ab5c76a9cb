"""Session endpoints: enqueue, cancel, read, the booth's open session.

The CS's side (accept, focus, checklist, close) is in hub.api.routes.calls and
hub.api.routes.outcome.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from hub.api.auth import (
    AgentPrincipal,
    AnyPrincipal,
    BoothAuth,
    BoothPrincipal,
    OwnBoothId,
    Principal,
)
from hub.clock import utc_now
from hub.container import DbSession, Hub, HubContext
from hub.errors import ApiError
from hub.services import transitions
from hub.services.dispatch import run_dispatch
from hub.services.serializers import session_view
from hub.store.models import ServiceSession

router = APIRouter(prefix="/api/v1", tags=["sessions"])


def load_session(db: Session, session_id: int, principal: Principal) -> ServiceSession:
    """The session if this caller may see it: its own booth, or a CS of its branch."""
    session = db.get(ServiceSession, session_id)
    if session is None:
        raise ApiError("not_found")
    if isinstance(principal, BoothPrincipal):
        if principal.booth_id != session.booth_id:
            raise ApiError("booth_mismatch")
    elif principal.branch_id != session.branch_id:
        raise ApiError("forbidden")
    return session


def settle(db: Session, hub: HubContext, session: ServiceSession, for_cs: bool = False) -> dict:
    """Dispatch (the queue may have moved), commit (the streams wake), answer with S."""
    run_dispatch(db, session.branch_id, utc_now())
    db.commit()
    db.refresh(session)
    return {"session": session_view(db, session, hub.settings.avg_service_seconds, for_cs)}


@router.post("/sessions/{session_id}/enqueue")
def enqueue(
    session_id: int,
    booth: BoothAuth,
    db: DbSession,
    hub: Hub,
) -> dict:
    """The participant is ready (headset checked): join the branch queue."""
    session = load_session(db, session_id, booth)
    transitions.enqueue(db, session, f"booth:{booth.booth_id}", utc_now())
    return settle(db, hub, session)


@router.post("/sessions/{session_id}/cancel")
def cancel(
    session_id: int,
    booth: BoothAuth,
    db: DbSession,
    hub: Hub,
) -> dict:
    """The participant left or cancelled: the ticket can be used again today."""
    session = load_session(db, session_id, booth)
    transitions.cancel(db, session, f"booth:{booth.booth_id}", utc_now())
    return settle(db, hub, session)


@router.get("/sessions/{session_id}")
def get_session(
    session_id: int,
    principal: AnyPrincipal,
    db: DbSession,
    hub: Hub,
) -> dict:
    """The polling fallback for when the event stream is unavailable."""
    session = load_session(db, session_id, principal)
    for_cs = isinstance(principal, AgentPrincipal)
    return {"session": session_view(db, session, hub.settings.avg_service_seconds, for_cs)}


@router.get("/booths/{booth_id}/session")
def booth_open_session(
    booth_id: OwnBoothId,
    db: DbSession,
    hub: Hub,
) -> dict:
    """How a restarted booth finds the participant it was serving."""
    session = transitions.open_session_of_booth(db, booth_id)
    if session is None:
        return {"session": None}
    return {"session": session_view(db, session, hub.settings.avg_service_seconds)}
