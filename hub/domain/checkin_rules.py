"""Check-in rules and ticket payloads: pure functions, no database, no clock of their own.

The rules decide whether a ticket may be checked in at a booth *now*; every refusal has its own
code and the parameters the booth needs to word it (docs/hub-api.md, "Errors"). Callers pass the
current UTC time, so the rules are tested at any instant and in any branch time zone.

Parsing of QR payloads and booking codes is shared with the booth (`contract.ticket_payload`), so
both sides read a payload the same way; only the hub holds the key that signs ticket tokens.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from contract.nik import normalize_nik, validate_nik
from contract.states import TicketStatus
from contract.ticket_payload import (
    BOOKING_CODE,
    MalformedPayload,
    normalize_booking_code,
    parse_scan,
)

TOKEN_PREFIX = "BLK1"
SIGNATURE_BYTES = 16

__all__ = [
    "BranchFacts",
    "Refusal",
    "TicketFacts",
    "TicketRef",
    "TicketStatus",
    "Tolerances",
    "Verdict",
    "branch_today",
    "evaluate_checkin",
    "make_ticket_token",
    "normalize_booking_code",
    "resolve_payload",
    "verify_ticket_token",
]


@dataclass(frozen=True)
class TicketFacts:
    """What the rules need to know about a ticket (built from the store by the caller)."""

    booking_code: str
    branch_id: str
    branch_name: str
    date: dt.date
    slot_start: dt.time
    slot_end: dt.time
    status: str
    checked_in_booth: str | None = None
    checked_in_booth_name: str | None = None


@dataclass(frozen=True)
class BranchFacts:
    id: str
    name: str
    timezone: str


@dataclass(frozen=True)
class Tolerances:
    early_minutes: int = 30
    late_minutes: int = 15


@dataclass(frozen=True)
class Verdict:
    """`ok` with `resume` means: already checked in at this very booth, give its session back."""

    ok: bool
    code: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    resume: bool = False


class Refusal(Exception):
    """A payload or rule refusal with the code and params of docs/hub-api.md."""

    def __init__(self, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.params = params or {}


def hhmm(value: dt.time | dt.datetime) -> str:
    return value.strftime("%H:%M")


#: The zone names participants read on every time (DESIGN.md: "10.30 WIB").
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_abbreviation(timezone: str) -> str:
    """WIB, WITA or WIT for an Indonesian branch; the IANA name for anywhere else."""
    return ZONE_ABBREVIATIONS.get(timezone, timezone)


def branch_today(timezone: str, now_utc: dt.datetime) -> dt.date:
    """Today's date where the branch is: WIB, WITA and WIT differ by up to two hours."""
    return now_utc.astimezone(ZoneInfo(timezone)).date()


def evaluate_checkin(
    ticket: TicketFacts,
    booth_branch: BranchFacts,
    booth_id: str,
    now_utc: dt.datetime,
    tolerances: Tolerances,
) -> Verdict:
    """Apply the check-in rules of DESIGN.md in the order a participant can act on.

    Order: branch, date, status, time window. Status comes before the window so that a served
    ticket says "already served" rather than "too late", and so that a booth resuming its own
    check-in (restart while the participant waits) is not refused because the slot has passed.
    """
    if ticket.branch_id != booth_branch.id:
        return Verdict(False, "wrong_branch", {"branch_name": ticket.branch_name})
    if ticket.date != branch_today(booth_branch.timezone, now_utc):
        return Verdict(False, "wrong_day", {"date": ticket.date.isoformat()})

    status = ticket.status
    if status == TicketStatus.CANCELLED:
        return Verdict(False, "cancelled")
    if status == TicketStatus.SERVED:
        return Verdict(False, "already_served")
    if status == TicketStatus.NO_SHOW:
        return Verdict(False, "no_show")
    if status in (TicketStatus.CHECKED_IN, TicketStatus.IN_SERVICE):
        if ticket.checked_in_booth == booth_id:
            return Verdict(True, resume=True)
        return Verdict(
            False,
            "checked_in_elsewhere",
            {"booth_name": ticket.checked_in_booth_name or ticket.checked_in_booth or ""},
        )

    zone = ZoneInfo(booth_branch.timezone)
    start = dt.datetime.combine(ticket.date, ticket.slot_start, tzinfo=zone)
    end = dt.datetime.combine(ticket.date, ticket.slot_end, tzinfo=zone)
    opens = start - dt.timedelta(minutes=tolerances.early_minutes)
    closes = end + dt.timedelta(minutes=tolerances.late_minutes)
    if now_utc < opens:
        return Verdict(
            False, "too_early", {"slot_start": hhmm(ticket.slot_start), "return_at": hhmm(opens)}
        )
    if now_utc > closes:
        return Verdict(False, "too_late", {"slot_end": hhmm(ticket.slot_end)})
    return Verdict(True)


# Signed ticket tokens ---------------------------------------------------------------------------


def _signature(secret: str, booking_code: str) -> str:
    mac = hmac.new(secret.encode(), f"{TOKEN_PREFIX}.{booking_code}".encode(), hashlib.sha256)
    return base64.b32encode(mac.digest()[:SIGNATURE_BYTES]).decode().rstrip("=")


def make_ticket_token(secret: str, booking_code: str) -> str:
    """`BLK1.<code>.<sig>`: what the ticket QR carries, so a forged code is refused offline."""
    code = normalize_booking_code(booking_code)
    if not BOOKING_CODE.match(code):
        raise ValueError(f"not a booking code: {booking_code!r}")
    return f"{TOKEN_PREFIX}.{code}.{_signature(secret, code)}"


def verify_ticket_token(secret: str, token: str) -> str:
    """Return the booking code of a valid token; raise `Refusal` otherwise."""
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not BOOKING_CODE.match(parts[1]):
        raise Refusal("malformed_payload")
    expected = _signature(secret, parts[1])
    if not hmac.compare_digest(expected.encode(), parts[2].upper().encode()):
        raise Refusal("invalid_signature")
    return parts[1]


# What the booth sent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRef:
    """A ticket named either by booking code or by NIK (today's ticket at the branch)."""

    booking_code: str | None = None
    nik: str | None = None


def resolve_payload(
    secret: str,
    booking_code: str | None = None,
    token: str | None = None,
    nik: str | None = None,
) -> TicketRef:
    """Turn a check-in body into a `TicketRef`; raise `Refusal` for anything unusable.

    `token` is the raw QR payload (signed token, URL or bare code). The booth may send the code
    it read from a token alongside it; the token wins and the two must agree.
    """
    if token:
        text = token.strip()
        if text.startswith(TOKEN_PREFIX + "."):
            code = verify_ticket_token(secret, text)
        else:
            try:
                code = parse_scan(text).booking_code or ""
            except MalformedPayload:
                raise Refusal("malformed_payload") from None
        if booking_code and normalize_booking_code(booking_code) != code:
            raise Refusal("malformed_payload")
        return TicketRef(booking_code=code)
    if booking_code:
        code = normalize_booking_code(booking_code)
        if not BOOKING_CODE.match(code):
            raise Refusal("malformed_payload")
        return TicketRef(booking_code=code)
    if nik:
        check = validate_nik(nik)
        if not check.ok:
            raise Refusal("invalid_nik", {"reason": check.reason})
        return TicketRef(nik=normalize_nik(nik))
    raise Refusal("malformed_payload")
