"""Branches, booths and staff accounts: what `bilik-hub branch|user` and `/api/v1/admin` do.

`add_*`, `disable_user` and `reset_password` are the administration use cases: validated (an
`AccountError` says what is wrong and how to fix it, in one line), audited, refused when the id or
username exists. `ensure_*` are idempotent upserts for demo data and tests: running the same
set-up twice leaves one row per id, with the secrets replaced by the latest ones given.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import BRANCH_ROLES, AgentStatus, BranchMode, Role
from hub.domain.masking import mask_text
from hub.domain.passwords import hash_password
from hub.services import audit
from hub.services.credentials import hash_token, revoke_other_logins
from hub.services.dispatch import run_dispatch
from hub.services.transitions import set_agent_status
from hub.store.locks import lock_branch
from hub.store.models import Agent, Booth, Branch


def ensure_branch(
    db: Session,
    branch_id: str,
    name: str,
    timezone: str,
    mode: str = BranchMode.ONE_TO_MANY,
    max_capacity: int = 5,
) -> Branch:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"branch {branch_id}: unknown time zone {timezone!r}") from None
    if mode not in tuple(BranchMode):
        raise ValueError(f"branch {branch_id}: mode must be one_to_many or one_to_one")
    branch = db.get(Branch, branch_id) or Branch(id=branch_id)
    branch.name, branch.timezone, branch.mode = name, timezone, str(mode)
    branch.max_capacity = 1 if mode == BranchMode.ONE_TO_ONE else max_capacity
    db.add(branch)
    db.flush()  # booths, agents and tickets refer to it; make sure it is written first
    return branch


def ensure_booth(db: Session, booth_id: str, branch_id: str, name: str, token: str) -> Booth:
    booth = db.get(Booth, booth_id) or Booth(id=booth_id, devices={})
    booth.branch_id, booth.name, booth.token_hash = branch_id, name, hash_token(token)
    db.add(booth)
    db.flush()
    return booth


def ensure_agent(
    db: Session,
    agent_id: str,
    username: str,
    name: str,
    branch_id: str | None,
    password: str,
    capacity: int = 5,
    role: Role = Role.CS,
) -> Agent:
    agent = db.get(Agent, agent_id) or Agent(id=agent_id, status=AgentStatus.OFFLINE)
    agent.username, agent.name, agent.branch_id = username, name, branch_id
    agent.role, agent.disabled = role, False
    agent.password_hash = hash_password(password)
    agent.capacity = capacity
    db.add(agent)
    db.flush()
    return agent


# -- administration (CLI and /api/v1/admin) -------------------------------------------------

ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD = 8


class AccountError(ValueError):
    """A refused administration request; the message names the problem and the fix."""

    def __init__(self, message: str, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


def branch_row(branch: Branch) -> dict[str, Any]:
    return {
        "id": branch.id,
        "name": branch.name,
        "timezone": branch.timezone,
        "mode": branch.mode,
        "max_capacity": branch.max_capacity,
    }


def user_row(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "username": agent.username,
        "name": agent.name,
        "role": agent.role or Role.CS,
        "branch_id": agent.branch_id,
        "disabled": bool(agent.disabled),
    }


def add_branch(
    db: Session,
    branch_id: str,
    name: str,
    timezone: str,
    mode: str,
    max_capacity: int,
    actor: str,
    now: dt.datetime,
) -> Branch:
    if not ID.fullmatch(branch_id):
        raise AccountError(
            f"branch id {branch_id!r}: use 1-32 lower-case letters, digits and dashes, e.g. tgc"
        )
    if db.get(Branch, branch_id) is not None:
        raise AccountError(f"branch {branch_id!r} exists already", conflict=True)
    if not 1 <= max_capacity <= 5:
        raise AccountError("max capacity must be 1 to 5 booths per CS")
    branch = ensure_branch(db, branch_id, name.strip(), timezone, mode, max_capacity)
    audit.record(db, actor, "branch_added", f"branch:{branch_id}", branch_row(branch), now)
    return branch


def list_branches(db: Session) -> list[Branch]:
    return list(db.scalars(select(Branch).order_by(Branch.id)))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


def add_user(
    db: Session,
    username: str,
    name: str,
    role: Role,
    branch_id: str | None,
    password: str,
    actor: str,
    now: dt.datetime,
) -> Agent:
    """A staff account; CS and supervisors belong to one branch, HQ and admins to none."""
    if not USERNAME.fullmatch(username):
        raise AccountError(
            f"user name {mask_text(username)[:64]!r}: use letters, digits, dot, dash, underscore"
        )
    if db.scalar(select(Agent).where(Agent.username == username)) is not None:
        raise AccountError(f"user {username!r} exists already", conflict=True)
    if role in BRANCH_ROLES:
        if not branch_id:
            raise AccountError(f"a {role} belongs to a branch: give --branch")
        if db.get(Branch, branch_id) is None:
            raise AccountError(f"branch {branch_id!r} does not exist; add it first")
    elif branch_id:
        raise AccountError(f"a {role} account sees every branch: leave out --branch")
    check_password(password)
    account_id = username.lower()[:32]
    if db.get(Agent, account_id) is not None:
        raise AccountError(f"an account with id {account_id!r} exists already", conflict=True)
    agent = ensure_agent(db, account_id, username, name.strip(), branch_id, password, role=role)
    details = {"role": role, "branch_id": branch_id}
    audit.record(db, actor, "user_added", f"agent:{agent.id}", details, now)
    return agent


def list_users(db: Session, branch_id: str | None = None) -> list[Agent]:
    query = select(Agent).order_by(Agent.branch_id, Agent.id)
    if branch_id is not None:
        query = query.where(Agent.branch_id == branch_id)
    return list(db.scalars(query))


def find_user(db: Session, user: str) -> Agent:
    """By account id or user name."""
    agent = db.get(Agent, user) or db.scalar(select(Agent).where(Agent.username == user))
    if agent is None:
        raise AccountError(f"no user {user!r}; see `bilik-hub user list`")
    return agent


def disable_user(db: Session, user: str, actor: str, now: dt.datetime) -> Agent:
    """The account can no longer log in; its logins and streams end at once."""
    agent = find_user(db, user)
    if agent.branch_id:
        lock_branch(db, agent.branch_id)
        db.refresh(agent)
    agent.disabled = True
    if agent.status != AgentStatus.OFFLINE:  # its participants go back to the queue
        set_agent_status(
            db, agent, AgentStatus.OFFLINE, None, now, 5, False, actor=actor, reason="disabled"
        )
        if agent.branch_id:
            run_dispatch(db, agent.branch_id, now)
    revoke_other_logins(db, agent.id)
    audit.record(db, actor, "user_disabled", f"agent:{agent.id}", {}, now)
    return agent


def reset_password(db: Session, user: str, password: str, actor: str, now: dt.datetime) -> Agent:
    """A new password; every login with the old one ends."""
    agent = find_user(db, user)
    check_password(password)
    agent.password_hash = hash_password(password)
    agent.disabled = False
    revoke_other_logins(db, agent.id)
    audit.record(db, actor, "password_reset", f"agent:{agent.id}", {}, now)
    return agent
