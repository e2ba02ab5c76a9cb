"""The booth's live view of its session on the hub: WebSocket first, polling when WS fails.

Runs in its own thread and hands every update to a callback (the app posts it to the UI thread).
Polling keeps a booth working behind a proxy that breaks WebSockets; the WS is retried meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import websocket

from kiosk.hub_client import HubClient, HubRefusal, HubUnavailable

log = logging.getLogger(__name__)

SessionCallback = Callable[[dict[str, Any] | None], None]
MessageCallback = Callable[[dict[str, Any]], None]


class SessionEvents:
    """Delivers `{"type": "session"}` updates for one booth until `stop()`; every other message
    (call signaling, still requests: docs/call-api.md) goes to `on_message`. Those only travel
    over the WebSocket: while polling, a CS's call waits until the WebSocket is back."""

    def __init__(
        self,
        client: HubClient,
        on_session: SessionCallback,
        on_message: MessageCallback | None = None,
        poll_seconds: float = 2.0,
        ws_retry_seconds: float = 10.0,
    ) -> None:
        self._client = client
        self._on_session = on_session
        self._on_message = on_message or (lambda message: None)
        self._poll_seconds = poll_seconds
        self._ws_retry_seconds = ws_retry_seconds
        self._stop = threading.Event()
        self._ws: websocket.WebSocket | None = None
        self._thread = threading.Thread(target=self._run, name="hub-events", daemon=True)
        self.mode = "connecting"  # "websocket" | "polling": shown by diagnostics

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        ws = self._ws
        if ws is not None:
            ws.close()
        self._thread.join(timeout=3)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen_websocket()
            except (OSError, ValueError, websocket.WebSocketException) as err:
                log.info("event stream: websocket unavailable (%s); polling", type(err).__name__)
            self._poll_until_retry()

    def _listen_websocket(self) -> None:
        self._ws = websocket.create_connection(
            self._client.events_url(), timeout=30, **self._client.ws_options()
        )
        self.mode = "websocket"
        try:
            while not self._stop.is_set():
                raw = self._ws.recv()
                if not raw:  # the hub closed the connection
                    return
                message = json.loads(raw)
                if message.get("type") == "session":
                    self._on_session(message.get("session"))
                elif message.get("type") != "ping":
                    self._on_message(message)
        finally:
            self._ws.close()
            self._ws = None

    def _poll_until_retry(self) -> None:
        self.mode = "polling"
        waited = 0.0
        while not self._stop.is_set() and waited < self._ws_retry_seconds:
            try:
                self._on_session(self._client.open_session())
            except (HubUnavailable, HubRefusal) as err:
                log.debug("event stream: poll failed: %s", err)
            self._stop.wait(self._poll_seconds)
            waited += self._poll_seconds
