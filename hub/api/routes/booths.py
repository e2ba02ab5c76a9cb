"""Booth health: the heartbeat a booth sends and the state branch IT and the CS see."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.auth import AgentAuth, AnyPrincipal, BoothPrincipal, OwnBoothId, check_booth_access
from hub.clock import utc_now
from hub.container import DbSession, Hub
from hub.errors import ApiError
from hub.services.serializers import booth_view
from hub.store.models import Booth

router = APIRouter(prefix="/api/v1/booths", tags=["booths"])
branch_router = APIRouter(prefix="/api/v1/branches", tags=["booths"])


class Heartbeat(BaseModel):
    state: str = Field(max_length=32)
    devices: dict[str, dict[str, Any]] = Field(default_factory=dict)


@router.post("/{booth_id}/heartbeat")
def heartbeat(
    body: Heartbeat,
    booth_id: OwnBoothId,
    db: DbSession,
    hub: Hub,
) -> dict:
    """Record the booth's screen state and device health; answers with the booth as stored."""
    booth = db.get(Booth, booth_id)
    now = utc_now()
    booth.state = body.state
    booth.devices = body.devices
    booth.last_seen = now
    db.commit()
    return booth_view(booth, now, hub.settings.booth_grace_seconds)


@router.get("/{booth_id}")
def get_booth(
    booth_id: str,
    principal: AnyPrincipal,
    db: DbSession,
    hub: Hub,
) -> dict:
    """The booth itself, or a CS of its branch."""
    booth = db.get(Booth, booth_id)
    if booth is None:
        if isinstance(principal, BoothPrincipal):  # a booth asking about another id
            raise ApiError("booth_mismatch")
        raise ApiError("not_found")
    check_booth_access(principal, booth.id, booth.branch_id)
    return booth_view(booth, utc_now(), hub.settings.booth_grace_seconds)


def branch_booths(db: Session, branch_id: str | None = None) -> list[Booth]:
    """The booths of one branch (or all), by id; for the API and `bilik-hub booth list`."""
    query = select(Booth).order_by(Booth.branch_id, Booth.id)
    if branch_id is not None:
        query = query.where(Booth.branch_id == branch_id)
    return list(db.scalars(query))


@branch_router.get("/{branch_id}/booths")
def list_booths(branch_id: str, agent: AgentAuth, db: DbSession, hub: Hub) -> dict:
    """Every booth of the branch with its health; a CS of that branch only."""
    if agent.branch_id != branch_id:
        raise ApiError("forbidden")
    now, grace = utc_now(), hub.settings.booth_grace_seconds
    return {"booths": [booth_view(booth, now, grace) for booth in branch_booths(db, branch_id)]}
