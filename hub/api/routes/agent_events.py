"""The CS console's event stream: `WS /api/v1/agents/{agent_id}/events`.

Authenticated by the console's session cookie (same origin only) or `?token=`. Pushes the CS's
sessions whenever one of them changes (assignment, booth online/offline, hold, checklist,
close), the CS itself (`{"type":"agent"}`: status, capacity, load), the booths' signals and
arriving stills. While it is open the CS counts as connected;
when it closes their grace period starts (hub.jobs.grace).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket
from sqlalchemy.orm import Session

from hub.api.console_auth import check_same_origin, session_cookie
from hub.api.deps import ReleasingRoute
from hub.container import HubContext
from hub.domain.access import Principal, check_own_account
from hub.realtime import presence, streams
from hub.realtime.broadcast import agent_topic
from hub.services.credentials import authenticate
from hub.services.serializers import agent_sessions_view, agent_view
from hub.store.models import Agent, Branch

router = APIRouter(tags=["agent events"], route_class=ReleasingRoute)


class AgentFeed(streams.Feed):
    kind = presence.AGENT

    def snapshots(self, db: Session) -> list[dict[str, Any]]:
        """The CS's sessions, then the CS (status and load: the hub may set it offline)."""
        avg, now = self.hub.settings.avg_service_seconds, self.hub.clock.now()
        sessions = agent_sessions_view(db, self.owner_id, avg, now)
        messages: list[dict[str, Any]] = [{"type": "sessions", "sessions": sessions}]
        agent = db.get(Agent, self.owner_id)
        if agent is not None:
            branch = db.get(Branch, agent.branch_id) if agent.branch_id else None
            messages.append({"type": "agent", "agent": agent_view(agent, branch, len(sessions))})
        return messages


def _authorize(
    hub: HubContext, websocket: WebSocket, token: str | None, agent_id: str
) -> tuple[Principal, str]:
    if token is None:
        token = session_cookie(websocket)
        if token is not None:
            check_same_origin(websocket)
    with hub.read() as db:
        principal = authenticate(db, token, hub.clock.now())
    check_own_account(principal, agent_id)
    return principal, token or ""


@router.websocket("/api/v1/agents/{agent_id}/events")
async def agent_events(websocket: WebSocket, agent_id: str, token: str | None = None) -> None:
    hub: HubContext = websocket.app.state.hub
    admitted = await streams.admit(websocket, _authorize, hub, websocket, token, agent_id)
    if admitted is None:
        return
    principal, credential = admitted
    feed = AgentFeed(hub, principal, credential)
    await streams.serve(websocket, hub, feed, [agent_topic(agent_id)])
