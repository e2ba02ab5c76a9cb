"""Carries out the flow's effects off the UI thread and reports back as flow events.

The flow says *what* (look up this ticket, enqueue that session); this runner says *how* (which hub
call, which thread) and turns every outcome, including failures, into an event. `post` must
deliver the event on the UI thread (the app passes a Clock-based function; tests pass a list).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from kiosk import flow
from kiosk.hub_client import HubClient, HubRefusal, HubUnavailable

log = logging.getLogger(__name__)

Post = Callable[[flow.Event], None]


class HeadsetCheck(Protocol):
    """What the headset screen needs from the audio device layer."""

    def start(self, on_level: Callable[[float], None], on_result: Callable[[bool, str], None]):
        """Play the test tone and stream microphone levels until `stop()`."""

    def stop(self) -> None: ...


class EffectRunner:
    """One worker thread for hub calls keeps them in the order the flow asked for them."""

    def __init__(
        self,
        hub: HubClient,
        post: Post,
        headset: HeadsetCheck | None = None,
        on_level: Callable[[float], None] | None = None,
        on_wipe: Callable[[], None] | None = None,
        capture_still: Callable[[], bytes] | None = None,
        on_end_call: Callable[[], None] | None = None,
        on_quit: Callable[[int], None] | None = None,
    ) -> None:
        """`capture_still` returns a JPEG of the shared camera (blocking, run on the worker);
        `on_end_call` hangs up the media (called on the UI thread)."""
        self._hub = hub
        self._post = post
        self._headset = headset
        self._on_level = on_level or (lambda level: None)
        self._on_wipe = on_wipe or (lambda: None)
        self._capture_still = capture_still
        self._on_end_call = on_end_call or (lambda: None)
        self._on_quit = on_quit or (lambda exit_code: None)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-call")
        self._background_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-bg")

    def run(self, effects: list[flow.Effect]) -> None:
        for effect in effects:
            getattr(self, "_do_" + type(effect).__name__)(effect)

    def background(self, job: Callable[[], None]) -> None:
        """Housekeeping calls (heartbeat) that must not queue behind the participant's calls."""
        self._background_pool.submit(job)

    def shutdown(self) -> None:
        if self._headset:
            self._headset.stop()
        self._worker.shutdown(wait=False, cancel_futures=True)
        self._background_pool.shutdown(wait=False, cancel_futures=True)

    # hub calls -----------------------------------------------------------------------------

    def _do_LookupTicket(self, effect: flow.LookupTicket) -> None:
        self._submit(lambda: flow.LookupAnswered(self._hub.lookup(effect.query)))

    def _do_CheckIn(self, effect: flow.CheckIn) -> None:
        self._submit(lambda: flow.CheckedIn(*self._hub.check_in(effect.query)))

    def _do_Enqueue(self, effect: flow.Enqueue) -> None:
        self._submit(lambda: flow.SessionChanged(self._hub.enqueue(effect.session_id)))

    def _do_CancelSession(self, effect: flow.CancelSession) -> None:
        def cancel() -> None:
            self._hub.cancel(effect.session_id)  # the flow has already moved on

        self._submit(cancel)

    def _do_FetchOpenSession(self, _effect: flow.FetchOpenSession) -> None:
        self._submit(lambda: flow.SessionChanged(self._hub.open_session()))

    def _do_CaptureStill(self, effect: flow.CaptureStill) -> None:
        def capture_and_upload() -> flow.Event:
            if self._capture_still is None:
                return flow.StillDone(False, "no camera")
            try:
                jpeg = self._capture_still()
            except Exception as err:  # the camera failed: the CS asks again, the call goes on
                log.warning("document still failed: %s", err)
                return flow.StillDone(False, "camera")
            self._hub.upload_still(effect.session_id, effect.request_id, jpeg)
            return flow.StillDone(True)

        self._submit(capture_and_upload, refused=lambda err: flow.StillDone(False, err.code))

    def _do_SendRating(self, effect: flow.SendRating) -> None:
        def rate() -> None:
            self._hub.rate(effect.session_id, effect.stars)

        self._submit(rate)

    def _submit(
        self,
        call: Callable[[], flow.Event | None],
        refused: Callable[[HubRefusal], flow.Event | None] | None = None,
    ) -> None:
        def job() -> None:
            try:
                event = call()
            except HubRefusal as err:
                event = refused(err) if refused else flow.Refused(err.code, err.params)
            except HubUnavailable as err:
                log.warning("hub unavailable: %s", err)
                event = flow.HubDown(str(err))
            except Exception:  # a bug must not freeze the booth on "verifying"
                log.exception("hub call failed unexpectedly")
                event = flow.HubDown("internal error")
            if event is not None:
                self._post(event)

        self._worker.submit(job)

    # devices -------------------------------------------------------------------------------

    def _do_StartHeadsetCheck(self, _effect: flow.StartHeadsetCheck) -> None:
        if self._headset is None:
            self._post(flow.HeadsetResult(False, "no headset configured"))
            return
        self._headset.start(
            on_level=self._on_level,
            on_result=lambda ok, detail: self._post(flow.HeadsetResult(ok, detail)),
        )

    def _do_StopHeadsetCheck(self, _effect: flow.StopHeadsetCheck) -> None:
        if self._headset is not None:
            self._headset.stop()

    def _do_EndCall(self, _effect: flow.EndCall) -> None:
        self._on_end_call()

    def _do_QuitApp(self, effect: flow.QuitApp) -> None:
        self._on_quit(effect.exit_code)

    def _do_Wipe(self, _effect: flow.Wipe) -> None:
        self._on_wipe()
