"""What happens when a CS's console stays away longer than `agent_grace_seconds`.

Their sessions go back to the head of the queue (original place, priority kept) and the CS goes
offline, so dispatch does not hand the sessions straight back to a console nobody watches; the
console sets the CS online again when it returns. Booths have their own grace period
(`hub.services.transitions.expire_abandoned`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import AgentStatus, BranchMode
from hub.realtime import presence
from hub.services.dispatch import active_counts
from hub.services.transitions import set_agent_status
from hub.store.models import Agent, Branch, required


def dropped_agent_branches(db: Session, now: dt.datetime, grace_seconds: int) -> set[str]:
    """The branches with a CS gone past the grace period (housekeeping settles each apart)."""
    agents = presence.dropped_agents(db, now, grace_seconds)
    if not agents:
        return set()
    rows = db.scalars(select(Agent.branch_id).where(Agent.id.in_(agents))).all()
    return {b for b in rows if b}


def settle_dropped_agents(
    db: Session, now: dt.datetime, grace_seconds: int, branch_id: str | None = None
) -> set[str]:
    """Hand back the sessions of agents gone past the grace period; returns their branches."""
    changed: set[str] = set()
    for agent_id in presence.dropped_agents(db, now, grace_seconds):
        agent = db.get(Agent, agent_id)
        if branch_id is not None and (agent is None or agent.branch_id != branch_id):
            continue
        if agent is not None and (
            agent.status != AgentStatus.OFFLINE or active_counts(db, [agent.id]).get(agent.id)
        ):
            branch = required(db, Branch, agent.branch_id)
            set_agent_status(
                db,
                agent,
                AgentStatus.OFFLINE,
                None,
                now,
                max_capacity=branch.max_capacity,
                one_to_one=branch.mode == BranchMode.ONE_TO_ONE,
                actor="system",
                reason="agent_dropped",
            )
            changed.add(branch.id)
        presence.forget_agent(db, agent_id)
    return changed
