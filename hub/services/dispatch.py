"""Who serves whom: the one-to-many agent pool (DESIGN.md, "Dispatch").

`choose_assignments` is the policy as a pure function (unit-tested, benchmarked):
waiting participants first come, first served with the priority flag first; each goes to the
online CS with the most free capacity, ties to the one who has waited longest since their last
assignment. `run_dispatch` applies it to the database with a conditional
`UPDATE ... WHERE state = 'waiting'`, so a session can be assigned once only, even when several
hub processes dispatch at the same moment; the branch's agent rows are locked
(`SELECT ... FOR UPDATE`, and `BEGIN IMMEDIATE` on SQLite) so no CS is filled beyond capacity.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from contract.states import ACTIVE_AGENT_STATES, AgentStatus, BranchMode, SessionState, TicketStatus
from hub.realtime import changes
from hub.services import audit
from hub.store.models import Agent, Branch, ServiceSession, Ticket


@dataclass(frozen=True)
class Waiting:
    session_id: int
    priority: bool
    enqueued_at: dt.datetime


@dataclass(frozen=True)
class AgentLoad:
    """An online, unpaused CS: how many sessions they may hold and hold now."""

    agent_id: str
    capacity: int
    active: int
    last_assigned_at: dt.datetime | None = None


@dataclass(frozen=True)
class BranchPolicy:
    mode: str = BranchMode.ONE_TO_MANY
    max_capacity: int = 5


@dataclass(frozen=True)
class Assignment:
    session_id: int
    agent_id: str


def effective_capacity(requested: int, policy: BranchPolicy) -> int:
    """A CS's capacity as the branch allows it: 1 in one-to-one, else at most `max_capacity`."""
    if policy.mode == BranchMode.ONE_TO_ONE:
        return 1
    return max(1, min(requested, policy.max_capacity))


def queue_order(waiting: Sequence[Waiting]) -> list[Waiting]:
    """Priority first, then first come, first served (session id breaks exact ties)."""
    return sorted(waiting, key=lambda w: (not w.priority, w.enqueued_at, w.session_id))


def choose_assignments(
    waiting: Sequence[Waiting], agents: Sequence[AgentLoad], policy: BranchPolicy | None = None
) -> list[Assignment]:
    """Decide assignments for one branch; O((W + A) log A).

    An agent never assigned before counts as the longest since last assignment; an agent who
    gets a participant in this round moves behind everyone with the same free capacity.
    """
    policy = policy or BranchPolicy()
    heap: list[tuple[int, tuple[int, float], str]] = []
    for agent in agents:
        free = effective_capacity(agent.capacity, policy) - agent.active
        if free > 0:
            since = agent.last_assigned_at.timestamp() if agent.last_assigned_at else -math.inf
            heapq.heappush(heap, (-free, (0, since), agent.agent_id))
    assignments: list[Assignment] = []
    for round_no, item in enumerate(queue_order(waiting), start=1):
        if not heap:
            break
        neg_free, _since, agent_id = heapq.heappop(heap)
        assignments.append(Assignment(item.session_id, agent_id))
        if neg_free + 1 < 0:
            heapq.heappush(heap, (neg_free + 1, (1, float(round_no)), agent_id))
    return assignments


def estimate_wait(
    position: int, free_capacity: int, total_capacity: int, avg_service_seconds: int
) -> int | None:
    """Seconds until a CS takes the participant at `position` (1-based); None if no CS online.

    Positions covered by free capacity are served now; beyond that, with `total_capacity`
    sessions in service at once, one place frees up every `avg_service / total` seconds.
    """
    if total_capacity <= 0:
        return None
    if position <= free_capacity:
        return 0
    return math.ceil((position - free_capacity) * avg_service_seconds / total_capacity)


@dataclass(frozen=True)
class QueueView:
    """A branch's queue at one instant: positions and the numbers behind the ETA."""

    positions: dict[int, int] = field(default_factory=dict)
    free_capacity: int = 0
    total_capacity: int = 0
    avg_service_seconds: int = 600

    def position(self, session_id: int) -> int | None:
        return self.positions.get(session_id)

    def eta_seconds(self, session_id: int) -> int | None:
        position = self.positions.get(session_id)
        if position is None:
            return None
        return estimate_wait(
            position, self.free_capacity, self.total_capacity, self.avg_service_seconds
        )


# Database side ----------------------------------------------------------------------------------


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
    return {agent_id: count for agent_id, count in rows}


def _waiting(db: Session, branch_id: str) -> list[Waiting]:
    rows = db.execute(
        select(ServiceSession.id, ServiceSession.priority, ServiceSession.enqueued_at).where(
            ServiceSession.branch_id == branch_id, ServiceSession.state == SessionState.WAITING
        )
    )
    return [Waiting(r.id, r.priority, r.enqueued_at) for r in rows]


def _online_loads(db: Session, agents: Sequence[Agent]) -> list[AgentLoad]:
    online = [a for a in agents if a.status == AgentStatus.ONLINE]
    counts = active_counts(db, [a.id for a in online])
    return [AgentLoad(a.id, a.capacity, counts.get(a.id, 0), a.last_assigned_at) for a in online]


def queue_view(db: Session, branch: Branch, avg_service_seconds: int) -> QueueView:
    ordered = queue_order(_waiting(db, branch.id))
    agents = db.scalars(select(Agent).where(Agent.branch_id == branch.id)).all()
    policy = _policy(branch)
    loads = _online_loads(db, agents)
    total = sum(effective_capacity(a.capacity, policy) for a in loads)
    free = sum(max(0, effective_capacity(a.capacity, policy) - a.active) for a in loads)
    return QueueView(
        {w.session_id: i for i, w in enumerate(ordered, start=1)}, free, total, avg_service_seconds
    )


def run_dispatch(db: Session, branch_id: str, now: dt.datetime) -> list[Assignment]:
    """Assign waiting sessions of a branch inside the caller's transaction (caller commits)."""
    branch = db.get(Branch, branch_id)
    if branch is None:
        return []
    # Lock the branch's agents: concurrent dispatchers of this branch take turns.
    agents = db.scalars(
        select(Agent).where(Agent.branch_id == branch_id).order_by(Agent.id).with_for_update()
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
    waiting = [Waiting(r.id, r.priority, r.enqueued_at) for r in rows]
    by_id = {a.id: a for a in agents}
    done: list[Assignment] = []
    with db.no_autoflush:
        for choice in choose_assignments(waiting, loads, _policy(branch)):
            result = db.execute(
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
