"""Booth check-in: look a ticket up, then check it in (docs/hub-api.md, "Booth endpoints")."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hub.api.deps import BoothAuth, DbSession, Hub, ReleasingRoute
from hub.api.schemas import CheckinAnswer, LookupAnswer, TicketQuery
from hub.services import checkin

router = APIRouter(prefix="/api/v1/checkins", tags=["check-in"], route_class=ReleasingRoute)


def _fields(query: TicketQuery) -> checkin.TicketQueryFields:
    return checkin.TicketQueryFields(query.booking_code, query.token, query.nik)


@router.post("/lookup", response_model=LookupAnswer)
def lookup(query: TicketQuery, booth: BoothAuth, db: DbSession, hub: Hub) -> dict:
    """Apply every rule without changing anything (for the booth's confirm screen)."""
    return checkin.lookup(db, hub, booth, _fields(query))


@router.post("", status_code=201, response_model=CheckinAnswer)
def check_in(
    query: TicketQuery, response: Response, booth: BoothAuth, db: DbSession, hub: Hub
) -> dict:
    """Check the ticket in and open a session; the same booth again gets the same session."""
    answer, created = checkin.check_in(db, hub, booth, _fields(query))
    if not created:
        response.status_code = 200
    return answer
