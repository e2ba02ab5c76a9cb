"""The booth event stream keeps the connection alive with pings.

The hub runs in-process here (uvicorn in a thread, real loopback socket) so the test can shorten
the 15 s ping interval instead of waiting for it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import uvicorn
import websocket

from hub.app import create_app
from hub.services.accounts import ensure_booth, ensure_branch
from hub.settings import HubSettings
from tests.hub.harness import free_port


def test_event_stream_sends_ping_between_session_updates(tmp_path: Path):
    app = create_app(HubSettings(database_url=f"sqlite:///{tmp_path / 'ping.db'}"))
    app.state.hub.ping_seconds = 0.3
    with app.state.hub.sessions.begin() as db:
        ensure_branch(db, "tgc", "Tangerang Cikokol", "Asia/Jakarta")
        ensure_booth(db, "tgc-01", "tgc", "Bilik 1", "tok-1")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/api/v1/booths/tgc-01/events?token=tok-1", timeout=5
        )
        try:
            assert json.loads(ws.recv()) == {"type": "session", "session": None}
            assert json.loads(ws.recv()) == {"type": "ping"}
            assert json.loads(ws.recv()) == {"type": "ping"}
        finally:
            ws.close()
    finally:
        server.should_exit = True
        thread.join(10)
