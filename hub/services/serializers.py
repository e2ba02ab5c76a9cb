"""The JSON shapes of docs/hub-api.md and docs/call-api.md (T, S, A, booth), from the store.

Participants' data leaves the hub masked only: a booth shows `Bu** Sa*****` on its confirm
screen, which its owner recognises and a passer-by cannot use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.states import ACTIVE_AGENT_STATES, Role
from hub.domain.checkin_rules import zone_abbreviation
from hub.domain.checklist import empty_checklist
from hub.domain.dispatch_policy import BranchPolicy, QueueView, effective_capacity
from hub.domain.masking import mask_name, mask_nik
from hub.realtime import presence
from hub.services.dispatch import queue_view
from hub.store.models import Agent, Booth, Branch, ServiceSession, Ticket


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
        "slot_zone": zone_abbreviation(branch.timezone),
        "priority": ticket.priority,
    }


def session_views(
    db: Session,
    sessions: Sequence[ServiceSession],
    avg_service_seconds: int,
    now: dt.datetime,
    for_cs: bool = False,
) -> list[dict[str, Any]]:
    """Several sessions at once: tickets, agents, presence and each branch's queue load once.

    `for_cs` adds what the console shows and a booth never needs: the ticket (masked) and
    when the service started.
    """
    if not sessions:
        return []
    ticket_ids = {s.ticket_id for s in sessions}
    tickets = {t.id: t for t in db.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))}
    agent_ids = {s.agent_id for s in sessions if s.agent_id}
    agents = (
        {a.id: a for a in db.scalars(select(Agent).where(Agent.id.in_(agent_ids)))}
        if agent_ids
        else {}
    )
    branches = {b: db.get(Branch, b) for b in {s.branch_id for s in sessions}}
    booth_ids = {s.booth_id for s in sessions}
    booth_names = dict(
        db.execute(select(Booth.id, Booth.name).where(Booth.id.in_(booth_ids))).all()
    )
    queues: dict[str, QueueView] = {}
    for branch_id in {s.branch_id for s in sessions if s.state == "waiting"}:
        branch = branches[branch_id]
        if branch is not None:
            queues[branch_id] = queue_view(db, branch, avg_service_seconds)
    online = presence.online_booths(db, booth_ids, now)
    views = []
    for s in sessions:
        ticket = tickets.get(s.ticket_id)
        view = _session_json(
            s, ticket.booking_code if ticket else "", agents.get(s.agent_id or ""), queues
        )
        view["booth_online"] = s.booth_id in online
        view["booth_name"] = booth_names.get(s.booth_id, s.booth_id)
        if for_cs:
            branch = branches[s.branch_id]
            view["ticket"] = ticket_view(ticket, branch) if ticket and branch else None
            view["started_at"] = iso(s.started_at)
        views.append(view)
    return views


def session_view(
    db: Session,
    session: ServiceSession,
    avg_service_seconds: int,
    now: dt.datetime,
    for_cs: bool = False,
) -> dict[str, Any]:
    return session_views(db, [session], avg_service_seconds, now, for_cs)[0]


def agent_sessions_view(
    db: Session, agent_id: str, avg_service_seconds: int, now: dt.datetime
) -> list[dict[str, Any]]:
    """The sessions a CS holds now, oldest assignment first, as the console shows them."""
    sessions = db.scalars(
        select(ServiceSession)
        .where(ServiceSession.agent_id == agent_id, ServiceSession.state.in_(ACTIVE_AGENT_STATES))
        .order_by(ServiceSession.assigned_at, ServiceSession.id)
    ).all()
    return session_views(db, sessions, avg_service_seconds, now, for_cs=True)


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
        "on_hold": bool(s.on_hold),
        "outcome": s.outcome,
        "outcome_missing": list(s.outcome_missing or []),
        "outcome_reason": s.outcome_reason or "",
        "checklist": s.checklist or empty_checklist(),
        "rating": s.rating,
    }


def agent_view(agent: Agent, branch: Branch | None, active_sessions: int) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "branch_id": agent.branch_id,
        "role": agent.role or Role.CS,
        "status": agent.status,
        "capacity": effective_capacity(
            agent.capacity, BranchPolicy(branch.mode, branch.max_capacity)
        )
        if branch is not None
        else 0,
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
