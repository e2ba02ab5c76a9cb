"""Who is calling: booth and CS bearer tokens (or the console's cookie), on every endpoint.

Tokens are stored only as sha256 digests: a copy of the database does not let anyone act as a
booth or a CS. A booth token opens only its own booth's paths (`403 booth_mismatch`). The CS
console may send its login token as a cookie instead (hub.api.console_auth).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hub.api.console_auth import check_csrf, session_cookie
from hub.clock import utc_now
from hub.container import DbSession
from hub.errors import ApiError
from hub.store.models import Agent, AgentToken, Booth

AGENT_TOKEN_LIFETIME = dt.timedelta(hours=12)
TOUCH_INTERVAL = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class BoothPrincipal:
    booth_id: str
    branch_id: str


@dataclass(frozen=True)
class AgentPrincipal:
    agent_id: str
    branch_id: str


Principal = BoothPrincipal | AgentPrincipal


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def issue_agent_token(db: Session, agent: Agent, now: dt.datetime) -> str:
    """Create a login token (the caller commits); expired ones of this agent are dropped."""
    for old in db.scalars(select(AgentToken).where(AgentToken.agent_id == agent.id)):
        if old.expires_at <= now:
            db.delete(old)
    token = new_token()
    db.add(
        AgentToken(
            token_hash=hash_token(token),
            agent_id=agent.id,
            created_at=now,
            expires_at=now + AGENT_TOKEN_LIFETIME,
        )
    )
    return token


def revoke_agent_token(db: Session, token: str) -> None:
    """Log out: the token stops working at once (the caller commits)."""
    row = db.get(AgentToken, hash_token(token))
    if row is not None:
        db.delete(row)


def authenticate(db: Session, token: str | None, now: dt.datetime | None = None) -> Principal:
    """Resolve a bearer token to a booth or an agent; `401 unauthorized` otherwise."""
    if not token:
        raise ApiError("unauthorized")
    now = now or utc_now()
    digest = hash_token(token)
    booth = db.scalar(select(Booth).where(Booth.token_hash == digest))
    if booth is not None:
        return BoothPrincipal(booth.id, booth.branch_id)
    row = db.execute(
        select(Agent.id, Agent.branch_id)
        .join(AgentToken, AgentToken.agent_id == Agent.id)
        .where(AgentToken.token_hash == digest, AgentToken.expires_at > now)
    ).first()
    if row is not None:
        return AgentPrincipal(row.id, row.branch_id)
    raise ApiError("unauthorized")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_principal(request: Request, db: DbSession) -> Principal:
    """A bearer token, else the console's session cookie (agents only, with CSRF check)."""
    token = bearer_token(request)
    if token is not None:
        return authenticate(db, token)
    token = session_cookie(request)
    if token is None:
        raise ApiError("unauthorized")
    principal = authenticate(db, token)
    if not isinstance(principal, AgentPrincipal):
        raise ApiError("unauthorized")  # the hub never gives a booth a cookie
    check_csrf(request, request.app.state.hub.secret, token)
    return principal


def presented_token(request: Request) -> str | None:
    """The token this request authenticated with (bearer first, as in `require_principal`)."""
    return bearer_token(request) or session_cookie(request)


AnyPrincipal = Annotated[Principal, Depends(require_principal)]


def touch_booth(db: Session, booth_id: str, now: dt.datetime) -> None:
    """Any request from a booth is a sign of life (written at most every few seconds)."""
    result = db.execute(
        update(Booth)
        .where(
            Booth.id == booth_id,
            or_(Booth.last_seen.is_(None), Booth.last_seen < now - TOUCH_INTERVAL),
        )
        .values(last_seen=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        db.commit()


def require_booth(principal: AnyPrincipal, db: DbSession) -> BoothPrincipal:
    if not isinstance(principal, BoothPrincipal):
        raise ApiError("forbidden")
    touch_booth(db, principal.booth_id, utc_now())
    return principal


BoothAuth = Annotated[BoothPrincipal, Depends(require_booth)]


def require_agent(principal: AnyPrincipal) -> AgentPrincipal:
    if not isinstance(principal, AgentPrincipal):
        raise ApiError("forbidden")
    return principal


AgentAuth = Annotated[AgentPrincipal, Depends(require_agent)]


def require_own_booth(booth_id: str, booth: BoothAuth) -> str:
    """For `/booths/{booth_id}/...` paths that only the booth itself may use."""
    if booth.booth_id != booth_id:
        raise ApiError("booth_mismatch")
    return booth_id


OwnBoothId = Annotated[str, Depends(require_own_booth)]


def check_booth_access(principal: Principal, booth_id: str, booth_branch_id: str) -> None:
    """The booth itself, or a CS of the booth's branch."""
    if isinstance(principal, BoothPrincipal):
        if principal.booth_id != booth_id:
            raise ApiError("booth_mismatch")
    elif principal.branch_id != booth_branch_id:
        raise ApiError("forbidden")
