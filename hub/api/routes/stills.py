"""Document stills: the CS asks, the booth captures and uploads a JPEG, staff look at it.

Rules, storage and audit are in hub.services.stills; this module only streams the upload (no
8 MiB+ buffers) and serves the file.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from contract.states import Document
from hub.api.deps import (
    AnyPrincipal,
    BoothAuth,
    CsAuth,
    DbSession,
    Hub,
    ReadDb,
    ReleasingRoute,
    RowId,
)
from hub.api.schemas import StillAnswer, StillRequestAnswer, StillsAnswer
from hub.errors import ApiError
from hub.services import stills

router = APIRouter(prefix="/api/v1", tags=["stills"], route_class=ReleasingRoute)


class StillRequestBody(BaseModel):
    document: Document


@router.post(
    "/sessions/{session_id}/still-requests", status_code=201, response_model=StillRequestAnswer
)
def request_still(
    session_id: RowId, body: StillRequestBody, cs: CsAuth, db: DbSession, hub: Hub
) -> dict:
    """Ask the booth for a still of one document (the booth shows a guide frame)."""
    return stills.request_still(db, hub, session_id, cs, body.document.value)


async def _read_body(request: Request) -> bytes:
    """The upload, refused as soon as it passes the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > stills.MAX_BYTES:
        raise ApiError("too_large", {"max_bytes": stills.MAX_BYTES})
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > stills.MAX_BYTES:
            raise ApiError("too_large", {"max_bytes": stills.MAX_BYTES})
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/sessions/{session_id}/stills", status_code=201, response_model=StillAnswer)
async def upload_still(
    session_id: RowId,
    request_id: Annotated[str, Query(max_length=64)],
    request: Request,
    booth: BoothAuth,
    db: DbSession,
    hub: Hub,
) -> dict:
    """The booth's capture for a still request: `image/jpeg`, at most 8 MiB."""
    await run_in_threadpool(stills.check_upload, hub, session_id, booth, request_id)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "image/jpeg":
        raise ApiError("not_an_image")
    data = await _read_body(request)
    return await run_in_threadpool(stills.store, hub, db, session_id, booth, request_id, data)


@router.get("/sessions/{session_id}/stills", response_model=StillsAnswer)
def list_stills(session_id: RowId, principal: AnyPrincipal, db: ReadDb) -> dict:
    """The session's stills (a reloaded console gets its thumbnails back)."""
    return stills.list_stills(db, session_id, principal)


@router.get(
    "/stills/{still_id}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}, "description": "The JPEG."}},
)
def download_still(
    still_id: RowId, principal: AnyPrincipal, db: DbSession, hub: Hub
) -> FileResponse:
    """The CS serving the session, the branch supervisor and HQ; every attempt is recorded."""
    path = stills.open_still(db, hub, still_id, principal)
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
