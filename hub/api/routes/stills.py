"""Document stills: the CS asks, the booth captures and uploads a JPEG, the CS looks at it.

Stills are personal documents (e-KTP, family card, bank book), so: files readable by the hub's
user only, under `<data_dir>/stills`; shown only to the CS serving the session; every access,
granted or refused, is an audit event; deleted after `still_retention_days`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contract.states import CALL_STATES, Document
from hub.api.auth import AgentAuth, AnyPrincipal, BoothAuth, BoothPrincipal
from hub.api.routes.sessions import load_session
from hub.clock import utc_now
from hub.container import DbSession, Hub, HubContext
from hub.domain.jpeg import NotJpeg, TooManyPixels, check_jpeg
from hub.errors import ApiError
from hub.realtime import outbox
from hub.services import audit
from hub.services.serializers import iso
from hub.store.models import ServiceSession, Still, StillRequest

log = logging.getLogger(__name__)

MAX_BYTES = 8 * 1024 * 1024
STILLS_DIR = "stills"

router = APIRouter(prefix="/api/v1", tags=["stills"])


class StillRequestBody(BaseModel):
    document: Document


def still_view(still: Still) -> dict[str, Any]:
    return {
        "id": still.id,
        "request_id": still.request_id,
        "document": still.document,
        "width": still.width,
        "height": still.height,
        "created_at": iso(still.created_at),
    }


def _in_call(session: ServiceSession) -> None:
    if session.state not in CALL_STATES:
        raise ApiError("invalid_state", {"state": session.state})


@router.post("/sessions/{session_id}/still-requests", status_code=201)
def request_still(session_id: int, body: StillRequestBody, agent: AgentAuth, db: DbSession) -> dict:
    """Ask the booth for a still of one document (the booth shows a guide frame)."""
    session = load_session(db, session_id, agent)
    if session.agent_id != agent.agent_id:
        raise ApiError("forbidden")
    _in_call(session)
    now = utc_now()
    request_id = secrets.token_urlsafe(12)
    db.add(
        StillRequest(
            id=request_id,
            session_id=session.id,
            document=body.document,
            agent_id=agent.agent_id,
            created_at=now,
        )
    )
    outbox.post(
        db,
        "booth",
        session.booth_id,
        {
            "type": "still_request",
            "session_id": session.id,
            "request_id": request_id,
            "document": body.document,
        },
        now,
    )
    audit.record(
        db,
        f"agent:{agent.agent_id}",
        "still_request",
        f"session:{session.id}",
        {"request_id": request_id, "document": body.document},
        now,
    )
    db.commit()
    return {"request_id": request_id}


async def _read_body(request: Request) -> bytes:
    """The upload, refused as soon as it passes the limit (no 8 MiB+ buffers)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BYTES:
        raise ApiError("too_large", {"max_bytes": MAX_BYTES})
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise ApiError("too_large", {"max_bytes": MAX_BYTES})
        chunks.append(chunk)
    return b"".join(chunks)


def _write_file(data_dir: Path, session_id: int, data: bytes) -> str:
    """Write atomically, readable by the hub's user only; returns the path under `data_dir`."""
    relative = Path(STILLS_DIR) / str(session_id) / f"{secrets.token_hex(16)}.jpg"
    target = data_dir / relative
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = target.with_suffix(".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, target)
    return relative.as_posix()


def _store(
    hub: HubContext,
    db: Session,
    session: ServiceSession,
    request: StillRequest,
    booth_id: str,
    data: bytes,
) -> dict[str, Any]:
    try:
        width, height = check_jpeg(data)
    except TooManyPixels as err:
        raise ApiError("too_large", {"max_bytes": MAX_BYTES}) from err
    except NotJpeg as err:
        log.info("booth %s: still refused, not a JPEG (%s)", booth_id, err)
        raise ApiError("not_an_image") from err
    now = utc_now()
    data_dir = hub.settings.resolved_data_dir()
    path = _write_file(data_dir, session.id, data)
    try:
        still = Still(
            session_id=session.id,
            request_id=request.id,
            document=request.document,
            width=width,
            height=height,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            path=path,
            created_at=now,
        )
        db.add(still)
        db.flush()
        view = still_view(still)
        if session.agent_id:
            outbox.post(
                db,
                "agent",
                session.agent_id,
                {"type": "still", "session_id": session.id, "still": view},
                now,
            )
        audit.record(
            db,
            f"booth:{booth_id}",
            "still_upload",
            f"still:{still.id}",
            {
                "session_id": session.id,
                "request_id": request.id,
                "document": request.document,
                "sha256": still.sha256,
                "bytes": still.size,
            },
            now,
        )
        db.commit()
    except BaseException:
        (data_dir / path).unlink(missing_ok=True)
        raise
    return {"still": view}


@router.post("/sessions/{session_id}/stills", status_code=201)
async def upload_still(
    session_id: int,
    request_id: str,
    request: Request,
    booth: BoothAuth,
    db: DbSession,
    hub: Hub,
) -> dict:
    """The booth's capture for a still request: `image/jpeg`, at most 8 MiB."""

    def check() -> tuple[ServiceSession, StillRequest]:
        session = load_session(db, session_id, booth)
        still_request = db.get(StillRequest, request_id)
        if still_request is None or still_request.session_id != session.id:
            raise ApiError("not_found")
        _in_call(session)
        return session, still_request

    session, still_request = await run_in_threadpool(check)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "image/jpeg":
        raise ApiError("not_an_image")
    data = await _read_body(request)
    return await run_in_threadpool(_store, hub, db, session, still_request, booth.booth_id, data)


@router.get("/stills/{still_id}", response_class=FileResponse)
def download_still(still_id: int, principal: AnyPrincipal, db: DbSession, hub: Hub) -> FileResponse:
    """Only the CS serving the session; every attempt is recorded."""
    now = utc_now()
    still = db.get(Still, still_id)
    if still is None:
        raise ApiError("not_found")
    session = db.get(ServiceSession, still.session_id)
    actor = (
        f"booth:{principal.booth_id}"
        if isinstance(principal, BoothPrincipal)
        else f"agent:{principal.agent_id}"
    )
    allowed = not isinstance(principal, BoothPrincipal) and session.agent_id == principal.agent_id
    audit.record(
        db,
        actor,
        "still_view" if allowed else "still_view_refused",
        f"still:{still.id}",
        {"session_id": still.session_id, "document": still.document},
        now,
    )
    db.commit()
    if not allowed:
        raise ApiError("forbidden")
    path = hub.settings.resolved_data_dir() / still.path
    if not path.is_file():
        raise ApiError("not_found")
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def purge_expired(db: Session, data_dir: Path, retention_days: int, now: dt.datetime) -> int:
    """Delete stills older than the retention period, file and row; each one audited."""
    cutoff = now - dt.timedelta(days=retention_days)
    expired = db.scalars(select(Still).where(Still.created_at < cutoff)).all()
    for still in expired:
        path = data_dir / still.path
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # the session's directory, once empty
        audit.record(
            db,
            "system",
            "still_purged",
            f"still:{still.id}",
            {"session_id": still.session_id, "retention_days": retention_days},
            now,
        )
        db.delete(still)
    return len(expired)
