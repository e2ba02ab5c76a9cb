"""Who serves whom, as pure rules (DESIGN.md, "Dispatch"): no database, the time passed in.

A waiting participant goes to the online, unpaused CS with the most free capacity (ties: longest
since last assignment); priority participants first, then first come, first served.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from contract.states import BranchMode


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
