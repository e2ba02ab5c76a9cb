"""Credentials: booth device tokens and staff logins, resolved to a `Principal`.

Tokens are stored only as sha256 digests: a copy of the database does not let anyone act as a
booth or a staff member. A disabled account's logins stop working at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from contract.states import Role
from hub.domain.access import Principal
from hub.errors import ApiError
from hub.realtime.changes import mark
from hub.store.models import Agent, AgentToken, Booth

AGENT_TOKEN_LIFETIME = dt.timedelta(hours=12)
TOUCH_INTERVAL = dt.timedelta(seconds=5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def login_id(token: str) -> str:
    """A short public name for one login (so a console can tell its own login from another)."""
    return hash_token(token)[:12]


def account_role(agent: Agent) -> Role:
    return Role(agent.role or Role.CS)


def issue_agent_token(db: Session, agent: Agent, now: dt.datetime) -> str:
    """Create a login token (the caller commits); expired ones of this account are dropped."""
    db.execute(
        delete(AgentToken).where(AgentToken.agent_id == agent.id, AgentToken.expires_at <= now)
    )
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


def revoke_other_logins(db: Session, agent_id: str, keep_token: str | None = None) -> int:
    """Every login of the account but `keep_token` stops working (the caller commits); the
    account's open streams wake when it commits and close (the bulk delete is not seen by the
    ORM's change collection, hub.realtime.changes)."""
    mark(db, agents=[agent_id])
    query = delete(AgentToken).where(AgentToken.agent_id == agent_id)
    if keep_token is not None:
        query = query.where(AgentToken.token_hash != hash_token(keep_token))
    return cast(CursorResult[Any], db.execute(query)).rowcount or 0


def authenticate(db: Session, token: str | None, now: dt.datetime) -> Principal:
    """Resolve a bearer token to a booth or a staff account; `401 unauthorized` otherwise."""
    if not token:
        raise ApiError("unauthorized")
    digest = hash_token(token)
    booth = db.scalar(select(Booth).where(Booth.token_hash == digest))
    if booth is not None:
        return Principal(Role.BOOTH, booth.id, booth.branch_id)
    agent = db.scalar(
        select(Agent)
        .join(AgentToken, AgentToken.agent_id == Agent.id)
        .where(AgentToken.token_hash == digest, AgentToken.expires_at > now)
    )
    if agent is not None and not agent.disabled:
        return Principal(account_role(agent), agent.id, agent.branch_id)
    raise ApiError("unauthorized")


def expires_at(db: Session, principal: Principal, token_digest: str) -> dt.datetime | None:
    """When a staff login ends by itself (a stream closes at that moment); None for booths."""
    if principal.is_booth:
        return None
    row = db.get(AgentToken, token_digest)
    return row.expires_at if row is not None else None


def still_valid(db: Session, principal: Principal, token_digest: str, now: dt.datetime) -> bool:
    """Is the credential a stream was opened with still good? (re-enrolled, logged out...)"""
    if principal.is_booth:
        booth = db.get(Booth, principal.id)
        return booth is not None and booth.token_hash == token_digest
    row = db.get(AgentToken, token_digest)
    if row is None or row.expires_at <= now:
        return False
    agent = db.get(Agent, principal.id)
    return agent is not None and not agent.disabled


def touch_due(db: Session, booth_id: str, now: dt.datetime) -> bool:
    """Is the booth's sign of life old enough to write again? (read first: most are not)"""
    booth = db.get(Booth, booth_id)
    return booth is not None and (booth.last_seen is None or booth.last_seen < now - TOUCH_INTERVAL)


def touch_booth(db: Session, booth_id: str, now: dt.datetime) -> None:
    """Any request from a booth is a sign of life (written at most every few seconds)."""
    result: CursorResult[Any] = db.execute(  # type: ignore[assignment]  # UPDATE → CursorResult
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
