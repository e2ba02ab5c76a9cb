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
from hub.store.locks import lock_branch
from hub.store.models import ServiceSession


def facts(session: ServiceSession) -> SessionFacts:
    return SessionFacts(session.booth_id, session.branch_id, session.agent_id)


def load_session(
    db: Session,
    session_id: int,
    principal: Principal,
    need: SessionNeed = SessionNeed.READ,
    lock: bool | None = None,
) -> ServiceSession:
    """The session if this caller may do `need` on it; `404`/`403` otherwise.

    Any need but READ takes the branch's turn first (hub.store.locks) and reads the session
    again in it; `lock=False` for a change that touches no branch state (a relayed signal).
    """
    session = db.get(ServiceSession, session_id)
    if session is None:
        raise ApiError("not_found")
    check_session(principal, facts(session), need)
    if lock if lock is not None else need != SessionNeed.READ:
        lock_branch(db, session.branch_id)
        db.refresh(session)
        check_session(principal, facts(session), need)
    return session


def view(db: Session, hub: HubContext, session: ServiceSession, principal: Principal) -> dict:
    """The session as this caller sees it: staff get the masked ticket and times too."""
    for_cs = sees_participant_details(principal)
    return session_view(db, session, hub.settings.avg_service_seconds, hub.clock.now(), for_cs)


def settle(
    db: Session, hub: HubContext, session: ServiceSession, principal: Principal
) -> dict[str, Any]:
    """Dispatch (the queue may have moved), answer with S, commit (the streams wake).

    The answer is read before the commit, in the same transaction, so the request does not
    open a second one (and, on SQLite, take the write lock again) just to read it back.
    """
    run_dispatch(db, session.branch_id, hub.clock.now())
    db.flush()
    db.refresh(session)
    answer = {"session": view(db, hub, session, principal)}
    db.commit()
    return answer


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
