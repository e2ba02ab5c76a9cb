"""Booth health: the heartbeat a booth sends and the state branch IT, the CS and HQ see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from hub.api.deps import AnyPrincipal, BoothAuth, DbSession, Hub, ReadDb, ReaderAuth, ReleasingRoute
from hub.api.schemas import BoothOut, BoothsAnswer
from hub.services import booths

router = APIRouter(prefix="/api/v1", tags=["booths"], route_class=ReleasingRoute)


MAX_DEVICES = 16
MAX_DETAIL = 500  # characters


def _clip(text: object) -> object:
    """A long detail (an exception's text on the booth) is cut, not refused: the booth keeps
    reporting its health."""
    return text[:MAX_DETAIL] if isinstance(text, str) else text


class DeviceReport(BaseModel):
    """One device's health as the booth sends it (kiosk.devices.status.DeviceStatus)."""

    model_config = ConfigDict(extra="forbid")
    ok: bool
    detail: Annotated[str, BeforeValidator(_clip)] = ""


DeviceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


class Heartbeat(BaseModel):
    """Bounded: a booth once stored a 260-deep or 6 MB `devices` and broke its branch's console."""

    state: str = Field(max_length=32)
    devices: dict[DeviceName, DeviceReport] = Field(default_factory=dict, max_length=MAX_DEVICES)


@router.post("/booths/{booth_id}/heartbeat", response_model=BoothOut)
def heartbeat(booth_id: str, body: Heartbeat, booth: BoothAuth, db: DbSession, hub: Hub) -> dict:
    """Record the booth's screen state and device health; answers with the booth as stored."""
    return booths.heartbeat(
        db,
        hub,
        booth_id,
        booth,
        body.state,
        {k: v.model_dump(exclude_unset=True) for k, v in body.devices.items()},
    )


@router.get("/booths/{booth_id}", response_model=BoothOut)
def get_booth(booth_id: str, principal: AnyPrincipal, db: ReadDb, hub: Hub) -> dict:
    """The booth itself, or staff who may read its branch."""
    return booths.get_booth(db, hub, booth_id, principal)


@router.get("/branches/{branch_id}/booths", response_model=BoothsAnswer)
def list_booths(branch_id: str, reader: ReaderAuth, db: ReadDb, hub: Hub) -> dict:
    """Every booth of the branch with its health: its CS and supervisor, and HQ."""
    return booths.list_booths(db, hub, branch_id, reader)
