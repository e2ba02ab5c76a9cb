"""Who serves whom: the one-to-many agent pool (DESIGN.md, "Dispatch").

`choose_assignments` (hub.domain.dispatch_policy) is the policy as a pure function:
waiting participants first come, first served with the priority flag first; each goes to the
online CS with the most free capacity, ties to the one who has waited longest since their last
assignment. `run_dispatch` applies it to the database with a conditional
`UPDATE ... WHERE state = 'waiting'`, so a session can be assigned once only, even when several
hub processes dispatch at the same moment; the branch's agent rows are locked
(`SELECT ... FOR UPDATE`, and `BEGIN IMMEDIATE` on SQLite) so no CS is filled beyond capacity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from contract.states import ACTIVE_AGENT_STATES, AgentStatus, Role, SessionState, TicketStatus
from hub.domain.dispatch_policy import (
    AgentLoad,
    Assignment,
    BranchPolicy,
    QueueView,
    Waiting,
    choose_assignments,
    effective_capacity,
    queue_order,
)
from hub.realtime import changes
from hub.services import audit
from hub.store.locks import lock_branch
from hub.store.models import Agent, Branch, ServiceSession, Ticket


def takes_participants() -> ColumnElement[bool]:
    """Only CS accounts take participants (supervisors, HQ and admins never do)."""
    return or_(Agent.role.is_(None), Agent.role == Role.CS)


def _policy(branch: Branch) -> BranchPolicy:
    return BranchPolicy(branch.mode, branch.max_capacity)


def active_counts(db: Session, agent_ids: Sequence[str]) -> dict[str, int]:
    if not agent_ids:
        return {}
    rows = db.execute(
        select(ServiceSession.agent_id, func.count())
        .where(
            ServiceSession.agent_id.in_(agent_ids), ServiceSession.state.in_(ACTIVE_AGENT_STATES)
        )
        .group_by(ServiceSession.agent_id)
    )
    return {agent_id: count for agent_id, count in rows if agent_id is not None}


def waiting(db: Session, branch_id: str) -> list[Waiting]:
    """The branch's waiting sessions, unordered (`queue_order` gives the dispatch order)."""
    rows = db.execute(
        select(ServiceSession.id, ServiceSession.priority, ServiceSession.enqueued_at).where(
            ServiceSession.branch_id == branch_id, ServiceSession.state == SessionState.WAITING
        )
    )
    return [Waiting(r.id, r.priority, r.enqueued_at) for r in rows if r.enqueued_at]


def _online_loads(db: Session, agents: Sequence[Agent]) -> list[AgentLoad]:
    online = [a for a in agents if a.status == AgentStatus.ONLINE]
    counts = active_counts(db, [a.id for a in online])
    return [AgentLoad(a.id, a.capacity, counts.get(a.id, 0), a.last_assigned_at) for a in online]


def queue_view(db: Session, branch: Branch, avg_service_seconds: int) -> QueueView:
    ordered = queue_order(waiting(db, branch.id))
    agents = db.scalars(
        select(Agent).where(Agent.branch_id == branch.id, takes_participants())
    ).all()
    policy = _policy(branch)
    loads = _online_loads(db, agents)
    total = sum(effective_capacity(a.capacity, policy) for a in loads)
    free = sum(max(0, effective_capacity(a.capacity, policy) - a.active) for a in loads)
    return QueueView(
        {w.session_id: i for i, w in enumerate(ordered, start=1)}, free, total, avg_service_seconds
    )


def run_dispatch(db: Session, branch_id: str, now: dt.datetime) -> list[Assignment]:
    """Assign waiting sessions of a branch inside the caller's transaction (caller commits)."""
    lock_branch(db, branch_id)  # normally taken already, first, by the caller
    branch = db.get(Branch, branch_id)
    if branch is None:
        return []
    # Lock the branch's agents: concurrent dispatchers of this branch take turns.
    agents = db.scalars(
        select(Agent)
        .where(Agent.branch_id == branch_id, takes_participants())
        .order_by(Agent.id)
        .with_for_update()
    ).all()
    loads = _online_loads(db, agents)
    if not loads:
        return []
    rows = db.execute(
        select(
            ServiceSession.id,
            ServiceSession.priority,
            ServiceSession.enqueued_at,
            ServiceSession.ticket_id,
            ServiceSession.booth_id,
        ).where(ServiceSession.branch_id == branch_id, ServiceSession.state == SessionState.WAITING)
    ).all()
    if not rows:
        return []
    ticket_of = {r.id: r.ticket_id for r in rows}
    booth_of = {r.id: r.booth_id for r in rows}
    queue = [Waiting(r.id, r.priority, r.enqueued_at) for r in rows if r.enqueued_at]
    by_id = {a.id: a for a in agents}
    done: list[Assignment] = []
    with db.no_autoflush:
        for choice in choose_assignments(queue, loads, _policy(branch)):
            result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
                update(ServiceSession)
                .where(
                    ServiceSession.id == choice.session_id,
                    ServiceSession.state == SessionState.WAITING,
                )
                .values(state=SessionState.ASSIGNED, agent_id=choice.agent_id, assigned_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # 0: another process got there first; never assign twice
                by_id[choice.agent_id].last_assigned_at = now
                done.append(choice)
    if not done:
        return []
    db.execute(
        update(Ticket)
        .where(Ticket.id.in_([ticket_of[a.session_id] for a in done]))
        .values(status=TicketStatus.IN_SERVICE)
        .execution_options(synchronize_session=False)
    )
    audit.record_many(
        db,
        [
            audit.Entry(
                "system",
                "assign",
                f"session:{a.session_id}",
                {"agent_id": a.agent_id, "branch_id": branch_id},
            )
            for a in done
        ],
        now,
    )
    db.flush()
    changes.mark(
        db,
        branches=[branch_id],
        booths=[booth_of[a.session_id] for a in done],
        agents={a.agent_id for a in done},
    )
    # The updates bypassed the ORM: sessions and tickets it already holds must be re-read.
    for obj in list(db.identity_map.values()):
        if isinstance(obj, ServiceSession | Ticket):
            db.expire(obj)
    return done
