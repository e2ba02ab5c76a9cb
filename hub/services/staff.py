"""Staff at work: log in and out, availability and capacity, own sessions, the branch queue."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import BranchMode, Role
from hub.container import HubContext
from hub.domain.access import Principal, check_branch_read, check_own_account
from hub.domain.dispatch_policy import queue_order
from hub.domain.passwords import verify_password
from hub.errors import ApiError
from hub.realtime import outbox
from hub.services import audit, rate_limits, transitions
from hub.services.credentials import (
    account_role,
    issue_agent_token,
    login_id,
    revoke_agent_token,
    revoke_other_logins,
)
from hub.services.dispatch import active_counts, run_dispatch, waiting
from hub.services.serializers import agent_sessions_view, agent_view, session_views
from hub.store.locks import lock_branch
from hub.store.models import Agent, Branch, ServiceSession

log = logging.getLogger(__name__)

ADDRESS_WINDOW = dt.timedelta(seconds=60)  # login failures per client address


def _user_key(username: str) -> str:
    """The back-off's key for a typed user name: a digest, so a NIK typed as a user name is
    not kept in the refusals table."""
    return hashlib.sha256(username.encode()).hexdigest()[:32]


def login(
    db: Session, hub: HubContext, username: str, password: str, client: str = "unknown"
) -> tuple[Agent, str]:
    """Same answer and same time for a wrong password, an unknown or a disabled account.

    Throttled (hub.services.rate_limits, in the database so every hub process agrees): after k
    failures for a user name the next attempt is refused with `429 rate_limited` for
    min(2^k s, `login_delay_max_seconds`), even with the right password; a client address gets
    at most `login_failures_per_address_per_minute` failures. The right password clears the
    user name's count. The audit names the typed user only when such an account exists.

    A CS is signed in once: a new login ends the older ones, whose console is told
    `signed_in_elsewhere` and stops calling booths (two consoles offering to one booth made its
    video flip between them).
    """
    now = hub.clock.now()
    settings = hub.settings
    user_key = _user_key(username)
    rate_limits.check(
        db,
        "login_addr",
        client,
        settings.login_failures_per_address_per_minute,
        ADDRESS_WINDOW,
        now,
    )
    cap = dt.timedelta(seconds=settings.login_delay_max_seconds)
    rate_limits.check_backoff(db, "login", user_key, cap, now)
    agent = db.scalar(select(Agent).where(Agent.username == username))
    known = verify_password(password, agent.password_hash if agent else None)
    if agent is None or not known or agent.disabled:
        subject = f"agent:{agent.id}" if agent is not None else "user:unknown"
        audit.record(db, "anonymous", "login_failed", subject, {"client": client}, now)
        rate_limits.refused(db, "login", user_key, "unauthorized", now)
        rate_limits.refused(db, "login_addr", client, "unauthorized", now)
        db.commit()
        log.info("staff login refused for user %r from %s", username[:32], client)
        raise ApiError("unauthorized")
    rate_limits.clear(db, "login", user_key)
    token = issue_agent_token(db, agent, now)
    taken_over = 0
    if account_role(agent) == Role.CS:
        taken_over = revoke_other_logins(db, agent.id, keep_token=token)
        if taken_over:
            outbox.post(
                db,
                "agent",
                agent.id,
                {"type": "signed_in_elsewhere", "login": login_id(token)},
                now,
            )
    details = {"role": account_role(agent), "ended_logins": taken_over, "client": client}
    audit.record(db, f"agent:{agent.id}", "login", f"agent:{agent.id}", details, now)
    db.commit()
    return agent, token


def logout(db: Session, hub: HubContext, principal: Principal, token: str | None) -> None:
    """The token (bearer or cookie) stops working."""
    if token:
        revoke_agent_token(db, token)
    audit.record(db, principal.actor, "logout", principal.actor, {}, hub.clock.now())
    db.commit()


def own_account(db: Session, account_id: str, principal: Principal) -> tuple[Agent, Branch | None]:
    check_own_account(principal, account_id)
    agent = db.get(Agent, account_id)
    if agent is None:
        raise ApiError("not_found")
    branch = db.get(Branch, agent.branch_id) if agent.branch_id else None
    return agent, branch


def me(db: Session, hub: HubContext, principal: Principal, token: str | None) -> dict[str, Any]:
    """Who the console is logged in as, and the sessions they serve."""
    agent, branch = own_account(db, principal.id, principal)
    avg, now = hub.settings.avg_service_seconds, hub.clock.now()
    sessions = agent_sessions_view(db, agent.id, avg, now)
    return {
        "agent": agent_view(agent, branch, len(sessions)),
        "sessions": sessions,
        "login_id": login_id(token) if token else None,
    }


def set_status(
    db: Session,
    hub: HubContext,
    account_id: str,
    principal: Principal,
    status: str,
    capacity: int | None,
) -> dict[str, Any]:
    """Online takes participants, paused keeps current ones, offline hands them back."""
    agent, branch = own_account(db, account_id, principal)
    if branch is None:
        raise ApiError("forbidden")
    lock_branch(db, branch.id)
    agent, branch = own_account(db, account_id, principal)  # as it is now, in the branch's turn
    assert branch is not None
    now = hub.clock.now()
    transitions.set_agent_status(
        db,
        agent,
        status,
        capacity,
        now,
        max_capacity=branch.max_capacity,
        one_to_one=branch.mode == BranchMode.ONE_TO_ONE,
    )
    run_dispatch(db, branch.id, now)
    db.flush()
    answer = {"agent": agent_view(agent, branch, active_counts(db, [agent.id]).get(agent.id, 0))}
    db.commit()
    return answer


def own_sessions(
    db: Session, hub: HubContext, account_id: str, principal: Principal
) -> dict[str, Any]:
    """The sessions this CS holds now (assigned or in a call)."""
    agent, _branch = own_account(db, account_id, principal)
    avg, now = hub.settings.avg_service_seconds, hub.clock.now()
    return {"sessions": agent_sessions_view(db, agent.id, avg, now)}


def branch_queue(
    db: Session, hub: HubContext, principal: Principal, branch_id: str | None
) -> dict[str, Any]:
    """The branch's waiting participants in dispatch order, and its staff.

    CS and supervisors read their own branch (`branch_id` may be left out); HQ names one.
    """
    branch_id = branch_id or principal.branch_id
    if branch_id is None:
        raise ApiError("invalid_request", {"fields": ["branch_id"]})
    check_branch_read(principal, branch_id)
    branch = db.get(Branch, branch_id)
    if branch is None:
        raise ApiError("not_found")
    ordered = [w.session_id for w in queue_order(waiting(db, branch.id))]
    rows = db.scalars(select(ServiceSession).where(ServiceSession.id.in_(ordered))).all()
    by_id = {s.id: s for s in rows}
    sessions = [by_id[i] for i in ordered if i in by_id]
    agents = db.scalars(select(Agent).where(Agent.branch_id == branch.id).order_by(Agent.id)).all()
    counts = active_counts(db, [a.id for a in agents])
    avg, now = hub.settings.avg_service_seconds, hub.clock.now()
    return {
        "waiting": session_views(db, sessions, avg, now, for_cs=True),
        "agents": [agent_view(a, branch, counts.get(a.id, 0)) for a in agents],
    }
