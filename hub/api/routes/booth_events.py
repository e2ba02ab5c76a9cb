"""The booth's event stream: `WS /api/v1/booths/{booth_id}/events?token=`.

Pushes the booth's session whenever it changes (queue position, ETA, assignment, hold, outcome)
and, from docs/call-api.md, the CS's signals and still requests. The loop itself is
hub.realtime.streams; this module says what a booth sees and who may listen.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket
from sqlalchemy.orm import Session

from hub.api.deps import ReleasingRoute
from hub.container import HubContext
from hub.domain.access import Principal, check_own_booth
from hub.realtime import presence, streams
from hub.realtime.broadcast import booth_topic, branch_topic
from hub.services.credentials import authenticate
from hub.services.serializers import session_view
from hub.services.transitions import open_session_of_booth
from hub.store.models import ServiceSession

router = APIRouter(tags=["booth events"], route_class=ReleasingRoute)


class BoothFeed(streams.Feed):
    kind = presence.BOOTH

    def __init__(self, hub: HubContext, principal: Principal, token: str) -> None:
        super().__init__(hub, principal, token)
        self.current_id: int | None = None

    def snapshots(self, db: Session) -> list[dict[str, Any]]:
        """The booth's open session; once it ends, its final state (closed/cancelled)."""
        session = open_session_of_booth(db, self.owner_id)
        if session is None and self.current_id is not None:
            session = db.get(ServiceSession, self.current_id)
        view = None
        if session is not None:
            self.current_id = session.id
            avg = self.hub.settings.avg_service_seconds
            view = session_view(db, session, avg, self.hub.clock.now())
        return [{"type": "session", "session": view}]


def _authorize(hub: HubContext, token: str | None, booth_id: str) -> Principal:
    with hub.read() as db:
        principal = authenticate(db, token, hub.clock.now())
    check_own_booth(principal, booth_id)
    return principal


@router.websocket("/api/v1/booths/{booth_id}/events")
async def booth_events(websocket: WebSocket, booth_id: str, token: str | None = None) -> None:
    hub: HubContext = websocket.app.state.hub
    principal = await streams.admit(websocket, _authorize, hub, token, booth_id)
    if principal is None:
        return
    topics = [branch_topic(principal.branch_id or ""), booth_topic(booth_id)]
    await streams.serve(websocket, hub, BoothFeed(hub, principal, token or ""), topics)
