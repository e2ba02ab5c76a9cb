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

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import CALL_STATES
from hub.container import HubContext
from hub.domain.access import AccessDenied, Principal, SessionNeed, check_still_view
from hub.domain.jpeg import NotJpeg, TooManyPixels, check_jpeg
from hub.errors import ApiError
from hub.realtime import outbox
from hub.services import audit
from hub.services.serializers import iso
from hub.services.sessions import facts, load_session
from hub.store.database import private_directory
from hub.store.models import ServiceSession, Still, StillRequest, required

log = logging.getLogger(__name__)

MAX_BYTES = 8 * 1024 * 1024
STILLS_DIR = "stills"


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


def request_still(
    db: Session, hub: HubContext, session_id: int, agent: Principal, document: str
) -> dict[str, Any]:
    """Ask the booth for a still of one document (the booth shows a guide frame)."""
    session = load_session(db, session_id, agent, SessionNeed.SERVE)
    _in_call(session)
    now = hub.clock.now()
    request_id = secrets.token_urlsafe(12)
    db.add(
        StillRequest(
            id=request_id,
            session_id=session.id,
            document=document,
            agent_id=agent.id,
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
            "document": document,
        },
        now,
    )
    audit.record(
        db,
        agent.actor,
        "still_request",
        f"session:{session.id}",
        {"request_id": request_id, "document": document},
        now,
    )
    db.commit()
    return {"request_id": request_id}


def check_upload(hub: HubContext, session_id: int, booth: Principal, request_id: str) -> None:
    """Refuse an upload that would not be taken before its body is read, in a read transaction
    of its own: the body can take long to arrive, and no lock may wait for it."""
    with hub.read() as db:
        pending_request(db, session_id, booth, request_id, lock=False)


def pending_request(
    db: Session, session_id: int, booth: Principal, request_id: str, lock: bool | None = None
) -> tuple[ServiceSession, StillRequest]:
    """The booth's session and the still request an upload answers."""
    session = load_session(db, session_id, booth, SessionNeed.AS_BOOTH, lock=lock)
    still_request = db.get(StillRequest, request_id)
    if still_request is None or still_request.session_id != session.id:
        raise ApiError("not_found")
    _in_call(session)
    return session, still_request


def _write_file(data_dir: Path, session_id: int, data: bytes) -> str:
    """Write atomically, readable by the hub's user only; returns the path under `data_dir`."""
    relative = Path(STILLS_DIR) / str(session_id) / f"{secrets.token_hex(16)}.jpg"
    target = data_dir / relative
    private_directory(target.parent)  # stills/ and stills/<id>/ 0700 too, whatever the umask
    temporary = target.with_suffix(".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, target)
    return relative.as_posix()


def store(
    hub: HubContext,
    db: Session,
    session_id: int,
    booth: Principal,
    request_id: str,
    data: bytes,
) -> dict[str, Any]:
    """Check the picture (no transaction yet: decoding takes a while), then take the branch's
    turn, check the request again (the call may have ended meanwhile) and store it."""
    booth_id = booth.id
    try:
        width, height = check_jpeg(data)
    except TooManyPixels as err:
        raise ApiError("too_large", {"max_bytes": MAX_BYTES}) from err
    except NotJpeg as err:
        log.info("booth %s: still refused, not a JPEG (%s)", booth_id, err)
        raise ApiError("not_an_image") from err
    session, request = pending_request(db, session_id, booth, request_id)
    now = hub.clock.now()
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


def list_stills(db: Session, session_id: int, principal: Principal) -> dict[str, Any]:
    """The session's stills, oldest first (a reloaded console gets its thumbnails back)."""
    session = load_session(db, session_id, principal)
    check_still_view(principal, facts(session))
    stills = db.scalars(
        select(Still).where(Still.session_id == session.id).order_by(Still.id)
    ).all()
    return {"stills": [still_view(still) for still in stills]}


def open_still(db: Session, hub: HubContext, still_id: int, principal: Principal) -> Path:
    """The file of a still for a caller who may see it; every attempt is recorded."""
    now = hub.clock.now()
    still = db.get(Still, still_id)
    if still is None:
        raise ApiError("not_found")
    session = required(db, ServiceSession, still.session_id)
    try:
        check_still_view(principal, facts(session))
        allowed = True
    except AccessDenied:
        allowed = False
    audit.record(
        db,
        principal.actor,
        "still_view" if allowed else "still_view_refused",
        f"still:{still.id}",
        {"session_id": still.session_id, "document": still.document, "role": principal.role},
        now,
    )
    db.commit()
    if not allowed:
        raise ApiError("forbidden")
    path = hub.settings.resolved_data_dir() / still.path
    if not path.is_file():
        raise ApiError("not_found")
    return path


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
