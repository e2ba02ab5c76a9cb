"""Booth check-in: look a ticket up, then check it in (docs/hub-api.md, "Booth endpoints").

Both endpoints apply the same rules (`hub.domain.checkin_rules.evaluate_checkin`); every refusal
counts towards the booth's look-up rate limit, which stops a booth being used to guess booking codes
or NIKs. Checking in again from the same booth returns the open session (a restarted booth
resumes); from another booth it is refused with `checked_in_elsewhere`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import TicketStatus
from hub.container import HubContext
from hub.domain.access import Principal
from hub.domain.checkin_rules import (
    BranchFacts,
    Refusal,
    TicketFacts,
    TicketRef,
    Tolerances,
    Verdict,
    branch_today,
    evaluate_checkin,
    resolve_payload,
)
from hub.errors import ApiError
from hub.services import rate_limits, transitions
from hub.services.serializers import session_view, ticket_view
from hub.store.locks import lock_branch
from hub.store.models import Booth, Branch, Ticket, required

log = logging.getLogger(__name__)

RATE_WINDOW = dt.timedelta(seconds=60)
Judge = Callable[[Ticket], Verdict]


@dataclass(frozen=True)
class TicketQueryFields:
    """Exactly one way of naming the ticket; `token` is the raw QR payload."""

    booking_code: str | None = None
    token: str | None = None
    nik: str | None = None


def _facts(db: Session, ticket: Ticket) -> TicketFacts:
    branch = db.get(Branch, ticket.branch_id)
    booth = db.get(Booth, ticket.checked_in_booth) if ticket.checked_in_booth else None
    return TicketFacts(
        booking_code=ticket.booking_code,
        branch_id=ticket.branch_id,
        branch_name=branch.name if branch else ticket.branch_id,
        date=ticket.date,
        slot_start=ticket.slot_start,
        slot_end=ticket.slot_end,
        status=ticket.status,
        checked_in_booth=ticket.checked_in_booth,
        checked_in_booth_name=booth.name if booth else None,
    )


def _record_failure(db: Session, booth_id: str, code: str, now: dt.datetime) -> None:
    rate_limits.refused(db, "lookup", booth_id, code, now)
    db.commit()


def _find_ticket(
    db: Session, ref: TicketRef, branch: Branch, today: dt.date, judge: Judge
) -> tuple[Ticket, Verdict]:
    """By booking code; or by NIK among today's tickets at this branch, preferring a usable one."""
    if ref.booking_code:
        ticket = db.scalar(select(Ticket).where(Ticket.booking_code == ref.booking_code))
        if ticket is None:
            raise Refusal("unknown_ticket")
        return ticket, judge(ticket)
    candidates = db.scalars(
        select(Ticket)
        .where(Ticket.branch_id == branch.id, Ticket.date == today, Ticket.nik == ref.nik)
        .order_by(Ticket.slot_start, Ticket.id)
    ).all()
    if not candidates:
        raise Refusal("unknown_ticket")
    verdicts = [(t, judge(t)) for t in candidates]
    for ticket, verdict in verdicts:
        if verdict.ok:
            return ticket, verdict
    # None usable: explain the one still in play (booked or checked in), else the first.
    live = (TicketStatus.BOOKED, TicketStatus.CHECKED_IN, TicketStatus.IN_SERVICE)
    return next(((t, v) for t, v in verdicts if t.status in live), verdicts[0])


def _checkable_ticket(
    db: Session, hub: HubContext, booth: Principal, query: TicketQueryFields, now: dt.datetime
) -> tuple[Ticket, Verdict]:
    """The ticket the booth names, if the rules let it check in now; refusals are counted."""
    settings = hub.settings
    rate_limits.check(db, "lookup", booth.id, settings.lookup_failures_per_minute, RATE_WINDOW, now)
    branch = db.get(Branch, booth.branch_id)
    if branch is None:
        raise ApiError("not_found")
    here = BranchFacts(branch.id, branch.name, branch.timezone)
    tolerances = Tolerances(settings.early_tolerance_minutes, settings.late_tolerance_minutes)

    def judge(ticket: Ticket) -> Verdict:
        return evaluate_checkin(_facts(db, ticket), here, booth.id, now, tolerances)

    try:
        ref = resolve_payload(hub.secret, query.booking_code, query.token, query.nik)
        today = branch_today(branch.timezone, now)
        ticket, verdict = _find_ticket(db, ref, branch, today, judge)
        if not verdict.ok:
            raise Refusal(verdict.code or "unknown_ticket", verdict.params)
    except Refusal as refusal:
        _record_failure(db, booth.id, refusal.code, now)
        log.info("booth %s: look-up refused (%s)", booth.id, refusal.code)
        raise ApiError(refusal.code, refusal.params) from None
    return ticket, verdict


def lookup(db: Session, hub: HubContext, booth: Principal, query: TicketQueryFields) -> dict:
    """Apply every rule without changing anything (for the booth's confirm screen)."""
    ticket, _verdict = _checkable_ticket(db, hub, booth, query, hub.clock.now())
    return {"ticket": ticket_view(ticket, required(db, Branch, ticket.branch_id))}


def check_in(
    db: Session, hub: HubContext, booth: Principal, query: TicketQueryFields
) -> tuple[dict[str, Any], bool]:
    """Check the ticket in and open a session; the same booth again gets the same session.

    Returns the answer and whether a session was created (201) or resumed (200).
    """
    now = hub.clock.now()
    if booth.branch_id:
        lock_branch(db, booth.branch_id)  # a booth checks in for its own branch only
    ticket, verdict = _checkable_ticket(db, hub, booth, query, now)
    branch = required(db, Branch, ticket.branch_id)
    session = transitions.open_session_of_ticket(db, ticket.id) if verdict.resume else None
    created = not (session is not None and session.booth_id == booth.id)
    if session is None or created:
        created = True
        booth_row = required(db, Booth, booth.id)
        session = transitions.check_in(db, booth_row, ticket, now)
        db.flush()
    avg = hub.settings.avg_service_seconds
    answer = {"session": session_view(db, session, avg, now), "ticket": ticket_view(ticket, branch)}
    db.commit()
    if created:
        log.info("booth %s: checked in %s (session %s)", booth.id, ticket.booking_code, session.id)
    return answer, created
