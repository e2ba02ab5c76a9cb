"""The call and how it ends: accept, focus, media reports, checklist, close, rating, signaling.

Each function is one use case: load the session for the caller (access in hub.domain.access),
make the audited change (hub.services.transitions / call_transitions), settle and answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contract.states import ACTIVE_AGENT_STATES, Outcome
from hub.container import HubContext
from hub.domain.access import Principal, SessionNeed
from hub.domain.checklist import close_terms, empty_checklist
from hub.errors import ApiError
from hub.realtime import outbox
from hub.services import call_transitions, transitions
from hub.services.serializers import agent_sessions_view
from hub.services.sessions import load_session, settle, view


def accept(db: Session, hub: HubContext, session_id: int, cs: Principal) -> dict[str, Any]:
    """assigned → connecting; the console sends its offer next."""
    session = load_session(db, session_id, cs, SessionNeed.SERVE)
    call_transitions.accept(db, session, cs.id, hub.clock.now())
    return settle(db, hub, session, cs)


def focus(db: Session, hub: HubContext, cs: Principal, session_id: int | None) -> dict[str, Any]:
    """Talk to one booth; the CS's other calls go on hold (`None`: all on hold)."""
    if session_id is not None:
        load_session(db, session_id, cs, SessionNeed.SERVE)
    now = hub.clock.now()
    call_transitions.focus(db, cs.id, session_id, now)
    db.commit()
    return {"sessions": agent_sessions_view(db, cs.id, hub.settings.avg_service_seconds, now)}


def report_call_state(
    db: Session, hub: HubContext, session_id: int, booth: Principal, state: str
) -> dict[str, Any]:
    """The booth's media connection: `connected` makes the session `in_call`."""
    session = load_session(db, session_id, booth, SessionNeed.AS_BOOTH)
    call_transitions.report_call_state(db, session, booth.id, state, hub.clock.now())
    return settle(db, hub, session, booth)


def put_checklist(
    db: Session,
    hub: HubContext,
    session_id: int,
    cs: Principal,
    items: dict[str, bool],
    balance_over_50m: bool,
) -> dict[str, Any]:
    """The whole checklist each time; documents not named are not ticked."""
    session = load_session(db, session_id, cs, SessionNeed.SERVE)
    checklist = empty_checklist()
    checklist["items"].update({str(k): v for k, v in items.items()})
    checklist["balance_over_50m"] = balance_over_50m
    call_transitions.set_checklist(db, session, cs.id, checklist, hub.clock.now())
    return settle(db, hub, session, cs)


def close(
    db: Session,
    hub: HubContext,
    session_id: int,
    cs: Principal,
    outcome: Outcome,
    missing: list[str],
    reason: str,
) -> dict[str, Any]:
    """The CS ends the service (rules: hub.domain.checklist.close_terms)."""
    session = load_session(db, session_id, cs, SessionNeed.SERVE)
    transitions.check_closable(session, cs.id)
    missing, reason = close_terms(outcome, missing, reason, session.checklist)
    transitions.close(db, session, cs.id, outcome, hub.clock.now(), missing, reason)
    return settle(db, hub, session, cs)


def rate(
    db: Session, hub: HubContext, session_id: int, booth: Principal, stars: int
) -> dict[str, Any]:
    """The participant's stars, once, after the CS closed the session."""
    session = load_session(db, session_id, booth, SessionNeed.AS_BOOTH)
    call_transitions.rate(db, session, booth.id, stars, hub.clock.now())
    db.commit()
    return {"session": view(db, hub, session, booth)}


def relay_signal(
    db: Session,
    hub: HubContext,
    session_id: int,
    sender: Principal,
    kind: str,
    sdp: str | None,
) -> None:
    """Pass SDP between the console and the booth: only the session's booth and its CS.

    The console offers, the booth answers, either side may say bye; no trickle ICE.
    """
    need = SessionNeed.AS_BOOTH if sender.is_booth else SessionNeed.SERVE
    session = load_session(db, session_id, sender, need, lock=False)
    if session.state not in ACTIVE_AGENT_STATES:
        raise ApiError("invalid_state", {"state": session.state})
    allowed = ("answer", "bye") if sender.is_booth else ("offer", "bye")
    if kind not in allowed:
        raise ApiError("invalid_request", {"fields": ["data.kind"]})
    if kind != "bye" and not sdp:
        raise ApiError("invalid_request", {"fields": ["data.sdp"]})
    payload = {"kind": kind} if kind == "bye" else {"kind": kind, "sdp": sdp}
    message = {"type": "signal", "session_id": session.id, "data": payload}
    now = hub.clock.now()
    if sender.is_booth:
        outbox.post(db, "agent", session.agent_id or "", message, now)
    else:
        outbox.post(db, "booth", session.booth_id, message, now)
    db.commit()
