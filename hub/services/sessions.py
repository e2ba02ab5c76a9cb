"""A session as a resource: load it for a caller (access decided in hub.domain.access), and
finish a change to it (dispatch, commit so the streams wake, answer with its view)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.container import HubContext
from hub.domain.access import (
    Principal,
    SessionFacts,
    SessionNeed,
    check_session,
    sees_participant_details,
)
from hub.errors import ApiError
from hub.services import transitions
from hub.services.dispatch import run_dispatch
from hub.services.serializers import session_view
from hub.store.models import ServiceSession


def facts(session: ServiceSession) -> SessionFacts:
    return SessionFacts(session.booth_id, session.branch_id, session.agent_id)


def load_session(
    db: Session, session_id: int, principal: Principal, need: SessionNeed = SessionNeed.READ
) -> ServiceSession:
    """The session if this caller may do `need` on it; `404`/`403` otherwise."""
    session = db.get(ServiceSession, session_id)
    if session is None:
        raise ApiError("not_found")
    check_session(principal, facts(session), need)
    return session


def view(db: Session, hub: HubContext, session: ServiceSession, principal: Principal) -> dict:
    """The session as this caller sees it: staff get the masked ticket and times too."""
    for_cs = sees_participant_details(principal)
    return session_view(db, session, hub.settings.avg_service_seconds, hub.clock.now(), for_cs)


def settle(
    db: Session, hub: HubContext, session: ServiceSession, principal: Principal
) -> dict[str, Any]:
    """Dispatch (the queue may have moved), commit (the streams wake), answer with S."""
    run_dispatch(db, session.branch_id, hub.clock.now())
    db.commit()
    db.refresh(session)
    return {"session": view(db, hub, session, principal)}


def enqueue(db: Session, hub: HubContext, session_id: int, booth: Principal) -> dict[str, Any]:
    """The participant is ready (headset checked): join the branch queue."""
    session = load_session(db, session_id, booth, SessionNeed.AS_BOOTH)
    transitions.enqueue(db, session, booth.actor, hub.clock.now())
    return settle(db, hub, session, booth)


def cancel(db: Session, hub: HubContext, session_id: int, booth: Principal) -> dict[str, Any]:
    """The participant left or cancelled: the ticket can be used again today."""
    session = load_session(db, session_id, booth, SessionNeed.AS_BOOTH)
    transitions.cancel(db, session, booth.actor, hub.clock.now())
    return settle(db, hub, session, booth)


def open_session_of_booth(db: Session, hub: HubContext, booth: Principal) -> dict[str, Any]:
    """How a restarted booth finds the participant it was serving."""
    session = transitions.open_session_of_booth(db, booth.id)
    return {"session": None if session is None else view(db, hub, session, booth)}
