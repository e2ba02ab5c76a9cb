"""The JSON shapes of docs/hub-api.md (T, S, A, booth), built from the store.

Participants' data leaves the hub masked only: a booth shows `Bu** Sa*****` on its confirm
screen, which its owner recognises and a passer-by cannot use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.dispatch import BranchPolicy, QueueView, effective_capacity, queue_view
from hub.masking import mask_name, mask_nik
from hub.store import Agent, Booth, Branch, ServiceSession, Ticket


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def ticket_view(ticket: Ticket, branch: Branch) -> dict[str, Any]:
    return {
        "booking_code": ticket.booking_code,
        "name_masked": mask_name(ticket.name),
        "nik_masked": mask_nik(ticket.nik),
        "service": ticket.service,
        "branch_name": branch.name,
        "date": ticket.date.isoformat(),
        "slot_start": ticket.slot_start.strftime("%H:%M"),
        "slot_end": ticket.slot_end.strftime("%H:%M"),
        "priority": ticket.priority,
    }


def session_views(
    db: Session, sessions: Sequence[ServiceSession], avg_service_seconds: int
) -> list[dict[str, Any]]:
    """Several sessions at once: tickets, agents and each branch's queue are loaded once."""
    if not sessions:
        return []
    ticket_ids = {s.ticket_id for s in sessions}
    codes = dict(
        db.execute(select(Ticket.id, Ticket.booking_code).where(Ticket.id.in_(ticket_ids))).all()
    )
    agent_ids = {s.agent_id for s in sessions if s.agent_id}
    agents = (
        {a.id: a for a in db.scalars(select(Agent).where(Agent.id.in_(agent_ids)))}
        if agent_ids
        else {}
    )
    queues: dict[str, QueueView] = {}
    for branch_id in {s.branch_id for s in sessions if s.state == "waiting"}:
        branch = db.get(Branch, branch_id)
        if branch is not None:
            queues[branch_id] = queue_view(db, branch, avg_service_seconds)
    return [
        _session_json(s, codes.get(s.ticket_id, ""), agents.get(s.agent_id or ""), queues)
        for s in sessions
    ]


def session_view(db: Session, session: ServiceSession, avg_service_seconds: int) -> dict[str, Any]:
    return session_views(db, [session], avg_service_seconds)[0]


def _session_json(
    s: ServiceSession, code: str, agent: Agent | None, queues: dict[str, QueueView]
) -> dict[str, Any]:
    queue = queues.get(s.branch_id) if s.state == "waiting" else None
    return {
        "id": s.id,
        "booth_id": s.booth_id,
        "booking_code": code,
        "state": s.state,
        "position": queue.position(s.id) if queue else None,
        "eta_seconds": queue.eta_seconds(s.id) if queue else None,
        "agent": {"id": agent.id, "name": agent.name} if agent else None,
        "created_at": iso(s.created_at),
        "assigned_at": iso(s.assigned_at),
        "outcome": s.outcome,
    }


def agent_view(agent: Agent, branch: Branch, active_sessions: int) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "status": agent.status,
        "capacity": effective_capacity(
            agent.capacity, BranchPolicy(branch.mode, branch.max_capacity)
        ),
        "active_sessions": active_sessions,
    }


def booth_view(booth: Booth, now: dt.datetime, grace_seconds: int) -> dict[str, Any]:
    online = booth.last_seen is not None and (now - booth.last_seen).total_seconds() <= (
        grace_seconds
    )
    return {
        "booth_id": booth.id,
        "name": booth.name,
        "branch_id": booth.branch_id,
        "state": booth.state,
        "last_seen": iso(booth.last_seen),
        "online": online,
        "devices": booth.devices or {},
    }
