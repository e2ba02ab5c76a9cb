"""The booth's side of docs/hub-api.md, over `requests`.

Blocking by design: the app calls it from worker threads only, never from the Kivy UI thread.
Two kinds of failure, because the participant sees them differently:
`HubUnavailable` (network, timeout, 5xx: the booth goes out of service and recovers by itself) and
`HubRefusal` (the hub answered no: the participant sees that specific message).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import requests

from contract.ticket_payload import TicketQuery

if TYPE_CHECKING:
    from kiosk.config import KioskConfig

log = logging.getLogger(__name__)


class HubUnavailable(Exception):
    """The hub could not be reached or failed: nothing the participant did wrong.

    ``status`` is the HTTP status when something answered (5xx, or not JSON), 0 when nothing
    did; then ``__cause__`` is the ``requests`` error (``SSLError``: the pinned CA did not sign
    the hub's certificate)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class HubRefusal(Exception):
    """The hub answered with an error code from docs/hub-api.md."""

    def __init__(self, code: str, params: dict[str, Any] | None = None, status: int = 0) -> None:
        super().__init__(f"{status} {code}")
        self.code = code
        self.params = params or {}
        self.status = status


class HubClient:
    """One booth's authenticated connection to its hub."""

    def __init__(
        self,
        base_url: str,
        token: str,
        booth_id: str,
        timeout: float = 5.0,
        ca_file: str = "",
    ) -> None:
        """`ca_file`: the branch CA to trust for https (pinned: the system's CAs are not used)."""
        self.base_url = base_url.rstrip("/")
        self.booth_id = booth_id
        self.timeout = timeout
        self.ca_file = ca_file
        self._http = requests.Session()
        # Passed with every request: a session-level `verify` loses to REQUESTS_CA_BUNDLE.
        self._verify: str | bool = ca_file or True
        self._http.headers["Authorization"] = f"Bearer {token}"
        self._token = token

    # check-in ------------------------------------------------------------------------------

    def lookup(self, query: TicketQuery) -> dict[str, Any]:
        return self._call("POST", "/checkins/lookup", json=query.as_json())["ticket"]

    def check_in(self, query: TicketQuery) -> tuple[dict[str, Any], dict[str, Any]]:
        body = self._call("POST", "/checkins", json=query.as_json())
        return body["session"], body["ticket"]

    # session -------------------------------------------------------------------------------

    def enqueue(self, session_id: str) -> dict[str, Any]:
        return self._call("POST", f"/sessions/{session_id}/enqueue")["session"]

    def cancel(self, session_id: str) -> dict[str, Any]:
        return self._call("POST", f"/sessions/{session_id}/cancel")["session"]

    def session(self, session_id: str) -> dict[str, Any]:
        return self._call("GET", f"/sessions/{session_id}")["session"]

    def open_session(self) -> dict[str, Any] | None:
        """This booth's open session on the hub, if any: how a restarted booth resumes."""
        return self._call("GET", f"/booths/{self.booth_id}/session")["session"]

    # the call (docs/call-api.md) -------------------------------------------------------------

    def signal(self, session_id: str, data: dict[str, Any]) -> None:
        """Send an SDP answer (or bye) to the CS console through the hub."""
        self._call("POST", f"/sessions/{session_id}/signal", json={"data": data})

    def call_state(self, session_id: str, state: str) -> None:
        """`connected`, `reconnecting` or `failed`: the hub moves the session and tells the CS."""
        self._call("POST", f"/sessions/{session_id}/call-state", json={"state": state})

    def upload_still(self, session_id: str, request_id: str, jpeg: bytes) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/sessions/{session_id}/stills?request_id={request_id}",
            data=jpeg,
            content_type="image/jpeg",
        )["still"]

    def rate(self, session_id: str, stars: int) -> None:
        self._call("POST", f"/sessions/{session_id}/rating", json={"stars": stars})

    # booth ---------------------------------------------------------------------------------

    def booth(self) -> dict[str, Any]:
        """This booth as the hub knows it: the token is accepted for this booth id."""
        return self._call("GET", f"/booths/{self.booth_id}")

    def heartbeat(self, state: str, devices: dict[str, dict[str, Any]]) -> None:
        self._call(
            "POST", f"/booths/{self.booth_id}/heartbeat", json={"state": state, "devices": devices}
        )

    # operations (kiosk doctor) ---------------------------------------------------------------

    def health(self) -> None:
        """``GET /healthz``: returns when the hub answers that it runs."""
        self._request("GET", "/healthz")

    def hub_time(self) -> dt.datetime:
        """The hub's clock (``GET /api/v1/time``). Raises ``ValueError`` for an answer without a
        usable time (a hub older than the clock check)."""
        now = self._call("GET", "/time").get("now")
        if not isinstance(now, str):
            raise ValueError(f"no time in the answer ({now!r})")
        return dt.datetime.fromisoformat(now)

    @classmethod
    def from_config(cls, config: KioskConfig, *, timeout: float | None = None) -> HubClient:
        """The client a booth with this KioskConfig uses (``timeout`` overrides the config's)."""
        hub = config.hub
        seconds = hub.timeout_seconds if timeout is None else timeout
        return cls(hub.url, hub.token, config.booth.id, seconds, hub.ca_file)

    def ws_options(self) -> dict[str, Any]:
        """websocket-client TLS options matching the HTTP side (same pinned CA)."""
        return {"sslopt": {"ca_certs": self.ca_file}} if self.ca_file else {}

    def events_url(self) -> str:
        """WebSocket URL of this booth's event stream (token in the query: browsers' WS API
        cannot send headers, and one way for every client keeps the hub simple)."""
        ws = (
            "wss" + self.base_url[5:]
            if self.base_url.startswith("https")
            else "ws" + self.base_url[4:]
        )
        return f"{ws}/api/v1/booths/{self.booth_id}/events?token={self._token}"

    # plumbing ------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        json: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """A request to ``/api/v1{path}``."""
        return self._request(method, f"/api/v1{path}", json, data, content_type)

    def _request(
        self,
        method: str,
        path: str,
        json: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        headers = {"Content-Type": content_type} if content_type else None
        try:
            response = self._http.request(
                method,
                url,
                json=json,
                data=data,
                headers=headers,
                timeout=self.timeout,
                verify=self._verify,
            )
        except requests.RequestException as err:
            raise HubUnavailable(f"{method} {path}: {type(err).__name__}") from err
        if response.status_code >= 500:
            raise HubUnavailable(
                f"{method} {path}: HTTP {response.status_code}", response.status_code
            )
        try:
            body = response.json()
        except ValueError as err:
            raise HubUnavailable(
                f"{method} {path}: not JSON (HTTP {response.status_code})", response.status_code
            ) from err
        if response.status_code >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise HubRefusal(
                error.get("code", "unknown"), error.get("params", {}), response.status_code
            )
        return body
