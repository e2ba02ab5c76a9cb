"""Branches, booths and CS accounts: create or update them by id (demo data, tests, CLI).

Idempotent on purpose: running the same set-up twice leaves one row per id, with the secrets
(booth token, CS password) replaced by the latest ones given.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from contract.states import AgentStatus, BranchMode
from hub.api.auth import hash_token
from hub.domain.passwords import hash_password
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
    branch_id: str,
    password: str,
    capacity: int = 5,
) -> Agent:
    agent = db.get(Agent, agent_id) or Agent(id=agent_id, status=AgentStatus.OFFLINE)
    agent.username, agent.name, agent.branch_id = username, name, branch_id
    agent.password_hash = hash_password(password)
    agent.capacity = capacity
    db.add(agent)
    db.flush()
    return agent
