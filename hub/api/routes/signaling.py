"""The signaling relay (docs/call-api.md, "Signaling"): SDP between the console and the booth.

The console offers, the booth answers, either side may say bye; each message goes to the other
party's event stream. No trickle ICE: each side sends its complete SDP. The hub only checks who
may talk to whom and passes the message on; media never comes through here.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from contract.states import ACTIVE_AGENT_STATES
from hub.api.auth import AgentPrincipal, AnyPrincipal
from hub.api.routes.sessions import load_session
from hub.clock import utc_now
from hub.container import DbSession
from hub.errors import ApiError
from hub.realtime import outbox

router = APIRouter(prefix="/api/v1", tags=["call"])

MAX_SDP = 100_000  # characters; a full SDP with candidates is a few kB


class SignalData(BaseModel):
    kind: Literal["offer", "answer", "bye"]
    sdp: str | None = Field(default=None, max_length=MAX_SDP)


class SignalRequest(BaseModel):
    data: SignalData


@router.post("/sessions/{session_id}/signal")
def signal(session_id: int, body: SignalRequest, principal: AnyPrincipal, db: DbSession) -> dict:
    """Only the session's booth and the CS it is assigned to; anyone else gets 403."""
    session = load_session(db, session_id, principal)
    if isinstance(principal, AgentPrincipal) and session.agent_id != principal.agent_id:
        raise ApiError("forbidden")
    if session.state not in ACTIVE_AGENT_STATES:
        raise ApiError("invalid_state", {"state": session.state})
    data = body.data
    sender_kinds = ("offer", "bye") if isinstance(principal, AgentPrincipal) else ("answer", "bye")
    if data.kind not in sender_kinds:  # the console offers, the booth answers
        raise ApiError("invalid_request", {"fields": ["data.kind"]})
    if data.kind != "bye" and not data.sdp:
        raise ApiError("invalid_request", {"fields": ["data.sdp"]})
    payload = {"kind": data.kind} if data.kind == "bye" else {"kind": data.kind, "sdp": data.sdp}
    message = {"type": "signal", "session_id": session.id, "data": payload}
    if isinstance(principal, AgentPrincipal):
        outbox.post(db, "booth", session.booth_id, message, utc_now())
    else:
        outbox.post(db, "agent", session.agent_id, message, utc_now())
    db.commit()
    return {"ok": True}
