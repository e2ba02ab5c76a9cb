"""Between the hub's signaling and the booth's one call at a time (kiosk.call.BoothCall).

Runs on the asyncio loop the Kivy app runs on, so it may hand events straight to the flow.
Hub requests (answer, call state) are blocking `requests` calls: they run on a worker thread.
The work nobody awaits (answering, hanging up, telling the hub) runs as tasks held by this object
until they end (kiosk.call.background); the app awaits `aclose()` before its loop ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from kiosk import flow
from kiosk.call import BoothCall, CallState
from kiosk.call.background import BackgroundTasks
from kiosk.hub_client import HubClient, HubRefusal, HubUnavailable

log = logging.getLogger(__name__)

#: seconds `aclose()` waits for the call to close and the last hub update to go out
CLOSE_TIMEOUT = 10.0

#: What the hub hears about the call, by the call's state (docs/call-api.md `call-state`).
HUB_CALL_STATE = {
    CallState.CONNECTED: "connected",
    CallState.DISCONNECTED: "reconnecting",
    CallState.FAILED: "failed",
}


class CallControl:
    """Answers the console's offers, reports the call's state, hangs up."""

    def __init__(
        self,
        hub: HubClient,
        make_call: Callable[..., BoothCall],
        handle: Callable[[flow.Event], None],
        on_problem: Callable[[str, str], None] | None = None,
    ) -> None:
        """`make_call(on_state=…, on_problem=…)` builds a BoothCall on the shared camera and
        headset; `handle(event)` feeds the flow; `on_problem(device, message)` says a headset
        part failed mid-call (all on this loop)."""
        self._hub = hub
        self._make_call = make_call
        self._handle = handle
        self._on_problem = on_problem or (lambda device, message: None)
        self.call: BoothCall | None = None
        self._session_id: Any = None
        self._tasks = BackgroundTasks(log)

    def on_signal(self, session_id: Any, data: dict[str, Any]) -> None:
        kind = data.get("kind")
        if kind == "offer" and isinstance(data.get("sdp"), str):
            self._tasks.spawn(self._answer(session_id, data["sdp"]), "call-answer")
        elif kind == "bye":
            self.hang_up()
        else:
            log.warning("ignoring signal of kind %r", kind)

    def remote_frame(self) -> tuple[Any, int] | None:
        """(BGR image, frame number) of the CS's newest picture, for the UI's video loop."""
        frame = self.call.remote_video.latest() if self.call else None
        return (frame.image, frame.number) if frame else None

    def hang_up(self) -> None:
        call, self.call = self.call, None
        if call is not None:
            self._tasks.spawn(call.close(), "call-close")

    async def aclose(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Hang up, then wait until every task started here has ended (the headset released,
        the peer connection closed), at most ``timeout`` seconds."""
        self.hang_up()
        if not await self._tasks.wait(timeout):
            names = ", ".join(task.get_name() for task in self._tasks.running)
            log.error("call tasks still running after %g s: %s", timeout, names)

    async def _answer(self, session_id: Any, offer_sdp: str) -> None:
        """A new offer replaces any call in progress: the console offers again after a drop."""
        if self.call is not None:
            old, self.call = self.call, None
            await old.close()
        call: BoothCall = self._make_call(
            on_state=lambda state: self._on_state(call, state), on_problem=self._on_problem
        )
        self.call, self._session_id = call, session_id
        try:
            answer = await call.answer(offer_sdp)
        except ValueError as err:
            if call is self.call:  # not hung up or replaced meanwhile: a real failure
                log.warning("call %s: %s", session_id, err)
                await self._tell_hub(self._hub.call_state, session_id, "failed")
            return
        if call is not self.call:
            return  # the CS hung up (or offered again) while we were answering
        await self._tell_hub(self._hub.signal, session_id, {"kind": "answer", "sdp": answer})

    def _on_state(self, call: BoothCall, state: CallState) -> None:
        if call is not self.call:
            return  # a replaced call closing down
        if state is CallState.CONNECTED:
            self._handle(flow.CallConnected())
        elif state in (CallState.DISCONNECTED, CallState.FAILED):
            self._handle(flow.CallLost(state.value))
        if state in HUB_CALL_STATE:
            self._tasks.spawn(
                self._tell_hub(self._hub.call_state, self._session_id, HUB_CALL_STATE[state]),
                f"call-state-{HUB_CALL_STATE[state]}",
            )

    async def _tell_hub(self, request: Callable[..., Any], *args: Any) -> None:
        try:
            await asyncio.to_thread(request, *args)
        except (HubUnavailable, HubRefusal) as err:
            log.warning("hub did not take the call update: %s", err)
