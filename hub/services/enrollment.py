"""Booth enrollment: a one-time code from `bilik-hub booth enroll`, exchanged by `kiosk provision`.

The code is short and easy to type (three groups of four from an alphabet without 0/O, 1/I/L),
lives `enroll_code_minutes` and works once. Only its HMAC (keyed with the hub secret) is stored,
so a copy of the database gives nobody a usable code. Exchanging it gives the booth a new device
token that REPLACES the old one: a re-enrolled booth's previous token is refused from then on.

Refusals are counted per client address (in memory, per hub process); too many in a minute and
every attempt from that address gets `429 rate_limited` for a while, valid code or not.
Neither the code nor the token is ever written to the audit trail or the logs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets

from sqlalchemy import delete
from sqlalchemy.orm import Session

from contract.errors import ErrorCode
from hub.errors import ApiError
from hub.services import audit
from hub.services.credentials import hash_token, new_token
from hub.store.models import Booth, Branch, EnrollmentCode

log = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
GROUPS, GROUP_LENGTH = 3, 4
FAILURES_PER_MINUTE = 10
RATE_WINDOW = dt.timedelta(seconds=60)  # refusals per client address (hub.services.rate_limits)
BOOTH_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")  # as kiosk.toml booth.id


class EnrollmentError(ValueError):
    """`bilik-hub booth enroll` refused (unknown branch, booth of another branch)."""


def new_code() -> str:
    """`ABCD-EFGH-JKMN`: 31^12 ≈ 2^59 possibilities."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))
    return "-".join(groups)


def normalize_code(code: str) -> str:
    """What the technician typed → the canonical form: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def hash_code(secret: str, code: str) -> str:
    return hmac.new(secret.encode(), normalize_code(code).encode(), hashlib.sha256).hexdigest()


def issue_code(
    db: Session,
    secret: str,
    branch_id: str,
    booth_id: str,
    name: str | None,
    minutes: int,
    now: dt.datetime,
    actor: str = "cli",
) -> tuple[str, dt.datetime, bool]:
    """A fresh code for the booth (created under `branch_id` if missing; the caller commits).

    Returns (code, expires_at, created). Earlier unused codes of this booth stop working.
    """
    if not BOOTH_ID.fullmatch(booth_id):
        raise EnrollmentError(
            f"booth id {booth_id!r}: use 1-32 lower-case letters, digits and dashes, e.g. tgc-01"
        )
    if db.get(Branch, branch_id) is None:
        raise EnrollmentError(f"branch {branch_id!r} does not exist; create the branch first")
    booth = db.get(Booth, booth_id)
    created = booth is None
    if booth is None:
        booth = Booth(id=booth_id, branch_id=branch_id, name=name or booth_id, devices={})
        db.add(booth)
        db.flush()
    elif booth.branch_id != branch_id:
        raise EnrollmentError(
            f"booth {booth_id!r} belongs to branch {booth.branch_id!r}, not {branch_id!r}"
        )
    elif name:
        booth.name = name
    db.execute(
        delete(EnrollmentCode).where(
            EnrollmentCode.booth_id == booth_id, EnrollmentCode.used_at.is_(None)
        )
    )
    code = new_code()
    expires_at = now + dt.timedelta(minutes=minutes)
    db.add(
        EnrollmentCode(
            code_hash=hash_code(secret, code),
            booth_id=booth_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    audit.record(
        db,
        actor,
        "enroll_code_issued",
        f"booth:{booth_id}",
        {"branch_id": branch_id, "expires_at": expires_at.isoformat(), "new_booth": created},
        now,
    )
    return code, expires_at, created


def redeem_code(db: Session, secret: str, code: str, client: str, now: dt.datetime) -> tuple:
    """Exchange a code for a new booth token (the caller commits): (booth, token).

    Raises `ApiError` (unknown_code / code_used / code_expired) after auditing the refusal.
    """
    row = db.get(EnrollmentCode, hash_code(secret, code))
    reason = None
    if row is None:
        reason = ErrorCode.UNKNOWN_CODE
    elif row.used_at is not None:
        reason = ErrorCode.CODE_USED
    elif row.expires_at <= now:
        reason = ErrorCode.CODE_EXPIRED
    if reason is not None:
        subject = f"booth:{row.booth_id}" if row is not None else "enrollment"
        audit.record(
            db, "anonymous", "enroll_refused", subject, {"reason": reason, "client": client}, now
        )
        raise ApiError(reason)
    assert row is not None  # every refusal above raised
    booth = db.get(Booth, row.booth_id)
    if booth is None:  # the booth was deleted after its code was issued
        raise ApiError("unknown_code")
    token = new_token()
    booth.token_hash = hash_token(token)  # the previous token is refused from now on
    row.used_at = now
    audit.record(
        db,
        f"booth:{booth.id}",
        "booth_enrolled",
        f"booth:{booth.id}",
        {"branch_id": booth.branch_id, "client": client},
        now,
    )
    return booth, token
