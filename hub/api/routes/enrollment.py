"""Booth enrollment over HTTP: `kiosk provision` exchanges a one-time code for a device token.

The code is the credential (no authentication); refusals are counted per client address and
too many in a minute get `429 rate_limited`, valid code or not (rules: hub.services.enrollment).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from hub.api.client_address import client_address
from hub.api.deps import DbSession, Hub, ReleasingRoute
from hub.api.schemas import EnrollAnswer
from hub.errors import ApiError
from hub.services import rate_limits
from hub.services.enrollment import FAILURES_PER_MINUTE, RATE_WINDOW, redeem_code

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["enrollment"], route_class=ReleasingRoute)


class EnrollRequest(BaseModel):
    code: str = Field(min_length=1, max_length=64)


@router.post("/enroll", response_model=EnrollAnswer)
def enroll(body: EnrollRequest, request: Request, db: DbSession, hub: Hub) -> dict:
    """No authentication: the one-time code is the credential (docs/hub-api.md)."""
    client = client_address(request, hub.settings.trusted_proxies)
    now = hub.clock.now()
    rate_limits.check(db, "enroll", client, FAILURES_PER_MINUTE, RATE_WINDOW, now)
    try:
        booth, token = redeem_code(db, hub.secret, body.code, client, now)
    except ApiError as err:
        rate_limits.refused(db, "enroll", client, err.code, now)
        db.commit()  # the refusal's audit event and its count
        log.info("enrollment refused (%s) for %s", err.code, client)
        raise
    db.commit()
    log.info("booth %s enrolled from %s", booth.id, client)
    return {
        "booth_id": booth.id,
        "branch_id": booth.branch_id,
        "token": token,
        "hub_time": now.isoformat(),
    }
