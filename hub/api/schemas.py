"""The JSON the hub answers with, as pydantic models: `/openapi.json` describes every response.

Models forbid extra fields, so a serializer (hub.services.serializers) that grows a key without
its model fails the tests instead of sending something the contract does not name. The letters
T, S, A refer to docs/hub-api.md and docs/call-api.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.states import (
    AgentStatus,
    BranchMode,
    Document,
    Outcome,
    Role,
    SessionState,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ok(Strict):
    ok: bool = True


# -- requests -------------------------------------------------------------------------------


class TicketQuery(BaseModel):
    """Exactly one way of naming the ticket; `token` is the raw QR payload."""

    booking_code: str | None = Field(default=None, max_length=64)
    token: str | None = Field(default=None, max_length=512)
    nik: str | None = Field(default=None, max_length=32)


# -- T, S, A --------------------------------------------------------------------------------


class TicketOut(Strict):
    """T: a ticket as the booth's confirm screen and the console show it (masked)."""

    booking_code: str
    name_masked: str
    nik_masked: str
    service: str
    branch_name: str
    date: str
    slot_start: str
    slot_end: str
    slot_zone: str
    priority: bool


class AgentRef(Strict):
    id: str
    name: str


class Checklist(Strict):
    items: dict[Document, bool]
    balance_over_50m: bool


class SessionOut(Strict):
    """S: a session as its booth sees it."""

    id: int
    booth_id: str
    booth_name: str
    booking_code: str
    state: SessionState
    position: int | None
    eta_seconds: int | None
    agent: AgentRef | None
    created_at: str | None
    assigned_at: str | None
    on_hold: bool
    outcome: Outcome | None
    outcome_missing: list[Document]
    outcome_reason: str
    checklist: Checklist
    rating: int | None
    booth_online: bool


class StaffSessionOut(SessionOut):
    """S as staff see it: with the (masked) ticket and when the service started."""

    ticket: TicketOut | None
    started_at: str | None


AnySession = StaffSessionOut | SessionOut


class SessionAnswer(Strict):
    session: AnySession


class MaybeSession(Strict):
    session: AnySession | None


class CheckinAnswer(Strict):
    session: SessionOut
    ticket: TicketOut


class LookupAnswer(Strict):
    ticket: TicketOut


class AgentOut(Strict):
    """A: a staff account with its availability (CS) and load."""

    id: str
    name: str
    branch_id: str | None
    role: Role
    status: AgentStatus
    capacity: int
    active_sessions: int


class AgentAnswer(Strict):
    agent: AgentOut


class SessionsAnswer(Strict):
    sessions: list[StaffSessionOut]


class MeAnswer(Strict):
    agent: AgentOut
    sessions: list[StaffSessionOut]
    login_id: str | None


class LoginAnswer(Strict):
    token: str
    agent_id: str
    name: str
    role: Role
    login_id: str


class QueueAnswer(Strict):
    waiting: list[StaffSessionOut]
    agents: list[AgentOut]


# -- booths, enrollment, stills ---------------------------------------------------------------


class BoothOut(Strict):
    booth_id: str
    name: str
    branch_id: str
    state: str | None
    last_seen: str | None
    online: bool
    devices: dict[str, Any]


class BoothsAnswer(Strict):
    booths: list[BoothOut]


class EnrollAnswer(Strict):
    booth_id: str
    branch_id: str
    token: str
    hub_time: str


class StillRequestAnswer(Strict):
    request_id: str


class StillOut(Strict):
    id: int
    request_id: str
    document: Document
    width: int
    height: int
    created_at: str | None


class StillAnswer(Strict):
    still: StillOut


class StillsAnswer(Strict):
    stills: list[StillOut]


# -- the contract itself, for the console -------------------------------------------------------


class Label(Strict):
    """One choice with its name in both console languages."""

    id: str
    id_text: str  # Bahasa Indonesia
    en_text: str


class DocumentLabel(Label):
    required: Literal["always", "balance_over_50m"]


class ContractAnswer(Strict):
    """What the console lists (documents, outcomes): one source, the hub's contract package."""

    documents: list[DocumentLabel]
    outcomes: list[Label]
    npwp_threshold_rupiah: int


# -- operations -------------------------------------------------------------------------------


class Health(Strict):
    ok: bool


class HubTime(Strict):
    now: str


# -- administration ---------------------------------------------------------------------------


class BranchOut(Strict):
    id: str
    name: str
    timezone: str
    mode: BranchMode
    max_capacity: int


class BranchesAnswer(Strict):
    branches: list[BranchOut]


class BranchIn(BaseModel):
    id: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=120)
    timezone: str = Field(default="Asia/Jakarta", max_length=64)
    mode: BranchMode = BranchMode.ONE_TO_MANY
    max_capacity: int = Field(default=5, ge=1, le=5)


class UserOut(Strict):
    id: str
    username: str
    name: str
    role: Role
    branch_id: str | None
    disabled: bool


class UsersAnswer(Strict):
    users: list[UserOut]


class UserAnswer(Strict):
    user: UserOut


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    role: Role
    branch_id: str | None = Field(default=None, max_length=32)
    password: str = Field(min_length=1, max_length=256)


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=256)


class BoothIn(BaseModel):
    booth_id: str = Field(min_length=1, max_length=32)
    branch_id: str = Field(min_length=1, max_length=32)
    name: str | None = Field(default=None, max_length=120)


class EnrollCodeAnswer(Strict):
    booth_id: str
    code: str
    expires_at: str
    new_booth: bool
