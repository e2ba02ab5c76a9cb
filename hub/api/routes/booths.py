"""Booth health: the heartbeat a booth sends and the state branch IT, the CS and HQ see."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from hub.api.deps import AnyPrincipal, BoothAuth, DbSession, Hub, ReadDb, ReaderAuth, ReleasingRoute
from hub.api.schemas import BoothOut, BoothsAnswer
from hub.services import booths

router = APIRouter(prefix="/api/v1", tags=["booths"], route_class=ReleasingRoute)


class Heartbeat(BaseModel):
    state: str = Field(max_length=32)
    devices: dict[str, dict[str, Any]] = Field(default_factory=dict)


@router.post("/booths/{booth_id}/heartbeat", response_model=BoothOut)
def heartbeat(booth_id: str, body: Heartbeat, booth: BoothAuth, db: DbSession, hub: Hub) -> dict:
    """Record the booth's screen state and device health; answers with the booth as stored."""
    return booths.heartbeat(db, hub, booth_id, booth, body.state, body.devices)


@router.get("/booths/{booth_id}", response_model=BoothOut)
def get_booth(booth_id: str, principal: AnyPrincipal, db: ReadDb, hub: Hub) -> dict:
    """The booth itself, or staff who may read its branch."""
    return booths.get_booth(db, hub, booth_id, principal)


@router.get("/branches/{branch_id}/booths", response_model=BoothsAnswer)
def list_booths(branch_id: str, reader: ReaderAuth, db: ReadDb, hub: Hub) -> dict:
    """Every booth of the branch with its health: its CS and supervisor, and HQ."""
    return booths.list_booths(db, hub, branch_id, reader)
