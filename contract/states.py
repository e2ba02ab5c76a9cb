"""Every state and choice the hub, the booth and the console name by string (docs/hub-api.md)."""

from __future__ import annotations

from enum import StrEnum


class SessionState(StrEnum):
    CHECKED_IN = "checked_in"
    WAITING = "waiting"
    ASSIGNED = "assigned"
    CONNECTING = "connecting"  # the CS accepted; the call is being set up
    IN_CALL = "in_call"  # the booth reported the media connection up
    CLOSED = "closed"
    CANCELLED = "cancelled"


#: Sessions still in play (a ticket with one of these cannot be checked in elsewhere).
OPEN_SESSION_STATES = (
    SessionState.CHECKED_IN,
    SessionState.WAITING,
    SessionState.ASSIGNED,
    SessionState.CONNECTING,
    SessionState.IN_CALL,
)
#: Sessions that hold one unit of a CS's capacity.
ACTIVE_AGENT_STATES = (SessionState.ASSIGNED, SessionState.CONNECTING, SessionState.IN_CALL)
#: Sessions with a call (being) set up: the ones focus and `on_hold` are about.
CALL_STATES = (SessionState.CONNECTING, SessionState.IN_CALL)


class TicketStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    IN_SERVICE = "in_service"
    SERVED = "served"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class AgentStatus(StrEnum):
    ONLINE = "online"
    PAUSED = "paused"
    OFFLINE = "offline"


class Outcome(StrEnum):
    VERIFIED = "verified"
    INCOMPLETE = "incomplete"
    REJECTED = "rejected"


class BranchMode(StrEnum):
    ONE_TO_MANY = "one_to_many"
    ONE_TO_ONE = "one_to_one"


class Document(StrEnum):
    """The JHT documents a CS checks, in the checklist's order.

    `npwp` is needed only when the balance is over Rp50 million; `leaving_proof` is the
    paklaring / surat keterangan berhenti bekerja.
    """

    EKTP = "ektp"
    KK = "kk"
    SAVINGS_BOOK = "savings_book"
    LEAVING_PROOF = "leaving_proof"
    NPWP = "npwp"


#: Every document id, in the checklist's order.
DOCUMENTS: tuple[str, ...] = tuple(d.value for d in Document)


class Role(StrEnum):
    """Who is calling (DESIGN.md, "Security"): what each may do is decided in hub.domain.access."""

    BOOTH = "booth"  # its own session only
    CS = "cs"  # sessions assigned to them; their branch's queue, read
    SUPERVISOR = "supervisor"  # everything of their branch, read; reassign
    HQ = "hq"  # every branch, read
    ADMIN = "admin"  # accounts, branches, booths


#: Roles of people (accounts with a password); a booth has a device token instead.
STAFF_ROLES = (Role.CS, Role.SUPERVISOR, Role.HQ, Role.ADMIN)
#: Staff roles tied to one branch.
BRANCH_ROLES = (Role.CS, Role.SUPERVISOR)
