"""Booth health: the heartbeat a booth sends and the state branch IT, the CS and HQ see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.container import HubContext
from hub.domain.access import (
    Principal,
    check_booth_read,
    check_branch_read,
    check_own_booth,
)
from hub.errors import ApiError
from hub.services.serializers import booth_view
from hub.store.models import Booth, Branch


def heartbeat(
    db: Session,
    hub: HubContext,
    booth_id: str,
    principal: Principal,
    state: str,
    devices: dict[str, Any],
) -> dict[str, Any]:
    """Record the booth's screen state and device health; answers with the booth as stored."""
    check_own_booth(principal, booth_id)
    booth = db.get(Booth, booth_id)
    if booth is None:
        raise ApiError("not_found")
    now = hub.clock.now()
    booth.state = state
    booth.devices = devices
    booth.last_seen = now
    db.commit()
    return booth_view(booth, now, hub.settings.booth_grace_seconds)


def get_booth(db: Session, hub: HubContext, booth_id: str, principal: Principal) -> dict[str, Any]:
    """The booth itself, or staff who may read its branch."""
    booth = db.get(Booth, booth_id)
    if booth is None:
        if principal.is_booth:  # a booth asking about another id
            raise ApiError("booth_mismatch")
        raise ApiError("not_found")
    check_booth_read(principal, booth.id, booth.branch_id)
    return booth_view(booth, hub.clock.now(), hub.settings.booth_grace_seconds)


def branch_booths(db: Session, branch_id: str | None = None) -> list[Booth]:
    """The booths of one branch (or all), by id; for the API and `bilik-hub booth list`."""
    query = select(Booth).order_by(Booth.branch_id, Booth.id)
    if branch_id is not None:
        query = query.where(Booth.branch_id == branch_id)
    return list(db.scalars(query))


def list_booths(
    db: Session, hub: HubContext, branch_id: str, principal: Principal
) -> dict[str, Any]:
    """Every booth of the branch with its health."""
    check_branch_read(principal, branch_id)
    if db.get(Branch, branch_id) is None:
        raise ApiError("not_found")
    now, grace = hub.clock.now(), hub.settings.booth_grace_seconds
    return {"booths": [booth_view(booth, now, grace) for booth in branch_booths(db, branch_id)]}
