"""Who may do what on which resource: every access decision of the hub is made here.

Routes declare the roles that may call them at all (`hub.api.auth.allow`); services then ask this
module about the one object at hand (this session, this booth, this branch). Pure: no database,
no web framework; the object is described by the few facts a decision needs.

| role         | sessions                                  | branch (queue, booths) | accounts |
|--------------|-------------------------------------------|------------------------|----------|
| `booth`      | its own session, as the booth              | its own booth only     | -        |
| `cs`         | the sessions assigned to them, to serve    | their branch, read     | their own|
| `supervisor` | every session of their branch, read; reassign | their branch, read  | their own|
| `hq`         | every session, read                        | every branch, read     | their own|
| `admin`      | -                                          | -                      | all      |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contract.errors import ErrorCode
from contract.states import Role
from hub.errors import ApiError


class AccessDenied(ApiError):
    """The caller is known but may not do this (`403 forbidden` or `403 booth_mismatch`)."""

    def __init__(self, code: ErrorCode = ErrorCode.FORBIDDEN) -> None:
        super().__init__(code)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a booth (device token) or a staff account (login)."""

    role: Role
    id: str  # the booth id, or the account id
    branch_id: str | None  # None for HQ and admin accounts

    @property
    def actor(self) -> str:
        """How the audit trail names this caller (`booth:tgc-01`, `agent:cs1`)."""
        return f"booth:{self.id}" if self.role == Role.BOOTH else f"agent:{self.id}"

    @property
    def is_booth(self) -> bool:
        return self.role == Role.BOOTH


@dataclass(frozen=True)
class SessionFacts:
    booth_id: str
    branch_id: str
    agent_id: str | None


class SessionNeed(StrEnum):
    READ = "read"  # see it (the booth, its CS, the branch supervisor, HQ)
    AS_BOOTH = "as_booth"  # act as the participant's booth (enqueue, media reports, rating)
    SERVE = "serve"  # act as the CS serving it (accept, checklist, stills, close)
    REASSIGN = "reassign"  # give it to another CS (the branch supervisor)


def check_session(principal: Principal, session: SessionFacts, need: SessionNeed) -> None:
    """Raise `AccessDenied` unless `principal` may do `need` on `session`."""
    role = principal.role
    if role == Role.BOOTH:
        if principal.id != session.booth_id:
            raise AccessDenied(ErrorCode.BOOTH_MISMATCH)
        if need in (SessionNeed.READ, SessionNeed.AS_BOOTH):
            return
        raise AccessDenied()
    if need == SessionNeed.AS_BOOTH:
        raise AccessDenied()
    if role == Role.CS:
        if need in (SessionNeed.READ, SessionNeed.SERVE) and session.agent_id == principal.id:
            return
        raise AccessDenied()
    if role == Role.SUPERVISOR:
        if principal.branch_id == session.branch_id and need in (
            SessionNeed.READ,
            SessionNeed.REASSIGN,
        ):
            return
        raise AccessDenied()
    if role == Role.HQ and need == SessionNeed.READ:
        return
    raise AccessDenied()


def may_read_session(principal: Principal, session: SessionFacts) -> bool:
    try:
        check_session(principal, session, SessionNeed.READ)
    except AccessDenied:
        return False
    return True


def check_branch_read(principal: Principal, branch_id: str) -> None:
    """The branch's queue, CS and booths: its CS and supervisor, and HQ."""
    if principal.role == Role.HQ:
        return
    if principal.role in (Role.CS, Role.SUPERVISOR) and principal.branch_id == branch_id:
        return
    raise AccessDenied()


def check_booth_read(principal: Principal, booth_id: str, branch_id: str) -> None:
    """A booth's health: the booth itself, and whoever may read its branch."""
    if principal.role == Role.BOOTH:
        if principal.id != booth_id:
            raise AccessDenied(ErrorCode.BOOTH_MISMATCH)
        return
    check_branch_read(principal, branch_id)


def check_own_booth(principal: Principal, booth_id: str) -> None:
    """`/booths/{booth_id}/...` paths only that booth may use."""
    if principal.role != Role.BOOTH:
        raise AccessDenied()
    if principal.id != booth_id:
        raise AccessDenied(ErrorCode.BOOTH_MISMATCH)


def check_own_account(principal: Principal, account_id: str) -> None:
    """A staff member's own status, focus and sessions."""
    if principal.role == Role.BOOTH or principal.id != account_id:
        raise AccessDenied()


def check_still_view(principal: Principal, session: SessionFacts) -> None:
    """Document stills: the CS serving the session, the branch supervisor and HQ (audited)."""
    if principal.role == Role.BOOTH:
        raise AccessDenied()
    check_session(principal, session, SessionNeed.READ)


def sees_participant_details(principal: Principal) -> bool:
    """Staff see the (masked) ticket and service times; a booth never needs them."""
    return principal.role != Role.BOOTH
