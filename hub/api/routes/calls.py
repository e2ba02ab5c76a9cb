"""The call over HTTP (docs/call-api.md): accept, focus, media reports, signaling, checklist,
close and rating."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from contract.states import DOCUMENTS, Document, Outcome
from hub.api.deps import (
    DB_ID_MAX,
    AnyPrincipal,
    BoothAuth,
    CsAuth,
    DbSession,
    Hub,
    ReleasingRoute,
    RowId,
)
from hub.api.schemas import Ok, SessionAnswer, SessionsAnswer
from hub.domain.access import check_own_account
from hub.services import calls

router = APIRouter(prefix="/api/v1", tags=["call"], route_class=ReleasingRoute)

MAX_SDP = 100_000  # characters; a full SDP with candidates is a few kB


class FocusRequest(BaseModel):
    session_id: Annotated[int, Field(ge=1, le=DB_ID_MAX)] | None


class CallStateReport(BaseModel):
    state: Literal["connected", "reconnecting", "failed"]


class SignalData(BaseModel):
    kind: Literal["offer", "answer", "bye"]
    sdp: str | None = Field(default=None, max_length=MAX_SDP)


class SignalRequest(BaseModel):
    data: SignalData


class ChecklistBody(BaseModel):
    items: dict[Document, bool] = Field(default_factory=dict)
    balance_over_50m: bool = False


class CloseRequest(BaseModel):
    outcome: Outcome
    missing: list[Document] = Field(default_factory=list, max_length=len(DOCUMENTS))
    reason: str = Field(default="", max_length=500)


class Rating(BaseModel):
    stars: int = Field(ge=1, le=5)


@router.post("/sessions/{session_id}/accept", response_model=SessionAnswer)
def accept(session_id: RowId, cs: CsAuth, db: DbSession, hub: Hub) -> dict:
    """assigned → connecting; the console sends its offer next."""
    return calls.accept(db, hub, session_id, cs)


@router.post("/agents/{agent_id}/focus", response_model=SessionsAnswer)
def focus(agent_id: str, body: FocusRequest, cs: CsAuth, db: DbSession, hub: Hub) -> dict:
    """Talk to one booth; the CS's other calls go on hold (`null`: all on hold)."""
    check_own_account(cs, agent_id)
    return calls.focus(db, hub, cs, body.session_id)


@router.post("/sessions/{session_id}/call-state", response_model=SessionAnswer)
def call_state(
    session_id: RowId, body: CallStateReport, booth: BoothAuth, db: DbSession, hub: Hub
) -> dict:
    """The booth's media connection: `connected` makes the session `in_call`."""
    return calls.report_call_state(db, hub, session_id, booth, body.state)


@router.post("/sessions/{session_id}/signal", response_model=Ok)
def signal(
    session_id: RowId, body: SignalRequest, principal: AnyPrincipal, db: DbSession, hub: Hub
) -> dict:
    """Only the session's booth and the CS it is assigned to; anyone else gets 403."""
    calls.relay_signal(db, hub, session_id, principal, body.data.kind, body.data.sdp)
    return {"ok": True}


@router.put("/sessions/{session_id}/checklist", response_model=SessionAnswer)
def put_checklist(
    session_id: RowId, body: ChecklistBody, cs: CsAuth, db: DbSession, hub: Hub
) -> dict:
    """The whole checklist each time; documents not named are not ticked."""
    items = {str(doc): ticked for doc, ticked in body.items.items()}
    return calls.put_checklist(db, hub, session_id, cs, items, body.balance_over_50m)


@router.post("/sessions/{session_id}/close", response_model=SessionAnswer)
def close(session_id: RowId, body: CloseRequest, cs: CsAuth, db: DbSession, hub: Hub) -> dict:
    """`incomplete` needs `missing`, `rejected` a reason, `verified` a complete checklist."""
    missing = [str(doc) for doc in body.missing]
    return calls.close(db, hub, session_id, cs, body.outcome, missing, body.reason)


@router.post("/sessions/{session_id}/rating", response_model=SessionAnswer)
def rate(session_id: RowId, body: Rating, booth: BoothAuth, db: DbSession, hub: Hub) -> dict:
    """The participant's stars, once, after the CS closed the session."""
    return calls.rate(db, hub, session_id, booth, body.stars)
