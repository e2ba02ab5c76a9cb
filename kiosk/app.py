"""The booth app, wiring only: the flow decides, screens show, devices produce, the hub talks.

Threads: Kivy's UI thread runs the flow and the screens. Hub calls run on the effect runner's
worker, QR decoding on the scan loop's thread, the event stream on its own thread, audio in
PortAudio's callback thread. Everything that comes back is posted to the UI thread with
`Clock.schedule_once`, so the flow is only ever touched from one thread.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import flow as f
from kiosk.booth_devices import BoothDevices
from kiosk.call import BoothCall, encode_jpeg
from kiosk.call_control import CallControl
from kiosk.config import KioskConfig
from kiosk.effects import EffectRunner
from kiosk.hub_client import HubClient, HubRefusal, HubUnavailable
from kiosk.hub_events import SessionEvents
from kiosk.i18n import tr
from kiosk.screens.assigned import AssignedScreen
from kiosk.screens.attract import AttractScreen
from kiosk.screens.base import BoothScreen
from kiosk.screens.call import CallScreen
from kiosk.screens.confirm import ConfirmScreen
from kiosk.screens.document_capture import DocumentCaptureScreen
from kiosk.screens.finished import FinishedScreen
from kiosk.screens.headset_check import HeadsetCheckScreen
from kiosk.screens.maintenance import MaintenanceScreen
from kiosk.screens.manual_entry import ManualEntryScreen
from kiosk.screens.out_of_service import OutOfServiceScreen
from kiosk.screens.refused import RefusedScreen
from kiosk.screens.scanning import ScanningScreen
from kiosk.screens.verifying import VerifyingScreen
from kiosk.screens.video import FrameTexture
from kiosk.screens.waiting import WaitingScreen
from kiosk.watchdog import SystemdNotifier, WatchdogPinger

log = logging.getLogger(__name__)

#: One screen per flow state; checking in is shown by the verifying screen.
SCREENS: dict[str, type[BoothScreen]] = {
    "attract": AttractScreen,
    "scanning": ScanningScreen,
    "manual_entry": ManualEntryScreen,
    "verifying": VerifyingScreen,
    "confirm": ConfirmScreen,
    "headset_check": HeadsetCheckScreen,
    "waiting": WaitingScreen,
    "assigned": AssignedScreen,
    "call": CallScreen,
    "document_capture": DocumentCaptureScreen,
    "finished": FinishedScreen,
    "refused": RefusedScreen,
    "out_of_service": OutOfServiceScreen,
    "maintenance": MaintenanceScreen,
}
#: The hidden way into maintenance: this many taps on the header's corner within the window.
SECRET_TAPS, SECRET_TAP_WINDOW = 5, 3.0
#: Screens that show more than one state (the call screen overlays on hold and reconnecting).
SHARED_SCREENS = {
    "checking_in": "verifying",
    "in_call": "call",
    "on_hold": "call",
    "reconnecting": "call",
    "capturing_document": "document_capture",
}
SCREEN_FOR_STATE = {state.value: SHARED_SCREENS.get(state.value, state.value) for state in f.State}
PREVIEW_FPS = 30
#: States whose screen shows live pictures (camera preview, call video).
VIDEO_STATES = {"scanning", "capturing_document", "in_call", "on_hold", "reconnecting"}


class BoothApp(App):
    """The fullscreen booth. `state_listeners` get (old, new) state names (tests, `make run`)."""

    title = "Bilik"

    def __init__(
        self,
        config: KioskConfig,
        hub: HubClient,
        devices: BoothDevices,
        state_listeners: list[Callable[[str, str], None]] | None = None,
    ) -> None:
        super().__init__()
        self.booth_config = config
        self.hub = hub
        self.devices = devices
        self.state_listeners = list(state_listeners or [])
        self.flow = f.Flow(
            clock=time.monotonic,
            timeouts=f.Timeouts(idle=config.booth.idle_timeout_seconds),
            on_state=self._on_state,
        )
        self.call = CallControl(
            hub,
            make_call=lambda **kw: BoothCall(devices.camera, devices.headset, config.call, **kw),
            handle=self.handle,
            on_problem=self._show_call_problem,
        )
        self.effects = EffectRunner(
            hub,
            post=self.post,
            headset=devices.headset_check,
            on_level=lambda level: Clock.schedule_once(lambda _dt: self._show_level(level)),
            on_wipe=self._wipe_local_data,
            capture_still=lambda: encode_jpeg(devices.camera.full_resolution_still().image),
            on_end_call=self.call.hang_up,
            on_quit=self.quit_with,
        )
        self.events = SessionEvents(
            hub,
            on_session=lambda s: self.post(f.SessionChanged(s)),
            on_message=lambda m: Clock.schedule_once(lambda _dt: self._on_hub_message(m)),
        )
        self._video_event = None
        self._camera_texture = FrameTexture()
        self._remote_texture = FrameTexture()
        self._heartbeat_pending = False
        self._secret_taps: list[float] = []
        self.exit_code = 0
        # systemd Type=notify + WatchdogSec= (kiosk/watchdog.py); no-ops outside systemd.
        self.systemd = SystemdNotifier.from_env()
        self.watchdog = WatchdogPinger.from_env(self.systemd)

    # Kivy lifecycle ------------------------------------------------------------------------

    def run_with_asyncio(self) -> int:
        """Run the UI on an asyncio loop: the call (aiortc) shares it, so its coroutines and the
        UI never block each other and need no locks (DESIGN.md: measured UI ~74 fps while an
        aiortc call received 30 fps). Returns the process exit code (maintenance may set it)."""
        asyncio.run(self._run_then_close_the_call())
        return self.exit_code

    async def _run_then_close_the_call(self) -> None:
        await self.async_run(async_lib="asyncio")
        # on_stop hung up: let that close end (headset, peer connection) before asyncio.run
        # cancels every task still running
        await self.call.aclose()

    def build(self) -> ScreenManager:
        tr.switch(self.booth_config.booth.language)
        if self.booth_config.booth.fullscreen:
            Window.fullscreen = "auto"
        else:
            Window.size = (self.booth_config.booth.width, self.booth_config.booth.height)
        manager = ScreenManager(transition=NoTransition())
        for name, screen_class in SCREENS.items():
            manager.add_widget(screen_class(name=name))
        roi = self.devices.qr.decoder.roi
        manager.get_screen("scanning").guide = [roi.x0, roi.y0, roi.x1, roi.y1]
        self.manager = manager
        return manager

    def on_start(self) -> None:
        self.devices.start(
            on_scan=lambda payload: self.post(f.Scanned(payload)),
            on_health=lambda device, ok, detail: self.post(f.DeviceHealth(device, ok, detail)),
        )
        self.events.start()
        Clock.schedule_interval(lambda _dt: self.handle(f.Tick(time.monotonic())), 0.25)
        Clock.schedule_interval(
            lambda _dt: self._heartbeat(), self.booth_config.hub.heartbeat_seconds
        )
        Clock.schedule_interval(lambda _dt: self.devices.poll_health(), 1.0)
        self._heartbeat()
        self._enter(self.flow.state.value)
        self.effects.run(self.flow.start())
        # systemd: READY=1 once the first frame is on screen (a callback scheduled from frame 1's
        # callbacks runs in frame 2, after frame 1 was drawn). WATCHDOG=1 only from this UI-thread
        # Clock: a frozen UI stops ticking, the pings stop and systemd restarts the booth.
        Clock.schedule_once(lambda _dt: Clock.schedule_once(lambda _dt: self.systemd.ready()))
        if self.watchdog.tick_seconds:
            Clock.schedule_interval(lambda _dt: self.watchdog.tick(), self.watchdog.tick_seconds)

    def on_stop(self) -> None:
        self.systemd.stopping()  # systemd: a stop we asked for, not a crash
        self.call.hang_up()
        self.events.stop()
        self.effects.shutdown()
        self.devices.stop()

    # input from screens --------------------------------------------------------------------

    def touch(self, action: str) -> None:
        self.handle(f.Touch(action))

    def typed(self, text: str) -> None:
        self.handle(f.Typed(text))

    # maintenance (branch IT) ----------------------------------------------------------------

    def secret_tap(self) -> None:
        """Five quick taps on the header's corner open maintenance, if a PIN is configured."""
        now = time.monotonic()
        self._secret_taps = [t for t in self._secret_taps if now - t < SECRET_TAP_WINDOW]
        self._secret_taps.append(now)
        if len(self._secret_taps) >= SECRET_TAPS and self.booth_config.maintenance.pin:
            self._secret_taps.clear()
            self.touch("maintenance")

    def check_pin(self, pin: str) -> None:
        expected = self.booth_config.maintenance.pin
        self.handle(f.PinChecked(bool(expected) and hmac.compare_digest(pin, expected)))

    def run_diagnostics(self) -> None:
        """Device health and hub state for branch IT, gathered off the UI thread."""
        screen = self.manager.get_screen("maintenance")
        screen.report = tr._("Memeriksa perangkat…")
        down = dict(self.flow.down)

        def gather() -> None:
            lines = [f"booth {self.booth_config.booth.id}  ·  hub {self.booth_config.hub.url}"]
            lines.append("hub: " + (f"DOWN ({down['hub']})" if "hub" in down else "ok"))
            for name, status in self.devices.health().items():
                lines.append(f"{name}: {'ok' if status['ok'] else 'FAIL'} ({status['detail']})")
            lines.append("full check from a terminal: kiosk doctor")
            Clock.schedule_once(lambda _dt: setattr(screen, "report", "\n".join(lines)))

        self.effects.background(gather)

    def quit_with(self, exit_code: int) -> None:
        """Maintenance: restart (0, systemd starts the booth again) or exit to the desktop."""
        self.exit_code = exit_code
        self.stop()

    def toggle_language(self) -> None:
        language = tr.toggle()
        for screen in self.manager.screens:
            screen.language = language
        self.handle(f.Touch("still_here"))  # touching the screen is activity

    # the flow ------------------------------------------------------------------------------

    def _on_hub_message(self, message: dict) -> None:
        """Call signaling and still requests from the hub's event stream (UI/loop thread)."""
        kind = message.get("type")
        if kind == "signal":
            self.call.on_signal(message.get("session_id"), message.get("data") or {})
        elif kind == "still_request":
            self.handle(f.StillRequested(message["request_id"], message["document"]))

    def post(self, event: f.Event) -> None:
        """Thread-safe: deliver an event to the flow on the UI thread."""
        Clock.schedule_once(lambda _dt: self.handle(event))

    def handle(self, event: f.Event) -> None:
        effects = self.flow.handle(event)
        if not isinstance(event, f.Tick):
            self._present()
        self._update_countdown()
        self.effects.run(effects)

    def _on_state(self, old: f.State, new: f.State) -> None:
        log.info("state %s -> %s", old.value, new.value)
        self._secret_taps.clear()  # the hidden gesture counts taps on one screen only
        self._enter(new.value)
        self._heartbeat()
        for listener in self.state_listeners:
            listener(old.value, new.value)

    def _enter(self, state: str) -> None:
        self.manager.current = SCREEN_FOR_STATE[state]
        self._present()
        scanning = state in ("attract", "scanning", "manual_entry", "refused")
        self.devices.set_scanning(scanning)
        self._set_video(state)

    def _present(self) -> None:
        self.manager.current_screen.present(self.flow)

    def _update_countdown(self) -> None:
        now = time.monotonic()
        left = self.flow.seconds_left(now) if self.flow.countdown_visible(now) else None
        self.manager.current_screen.countdown = -1 if left is None else int(left + 0.999)

    # devices on the UI thread --------------------------------------------------------------

    def _set_video(self, state: str) -> None:
        """Run the picture loop only while a screen shows camera or call video."""
        on = state in VIDEO_STATES
        if on and self._video_event is None:
            self._video_event = Clock.schedule_interval(self._update_video, 1 / PREVIEW_FPS)
        elif not on and self._video_event is not None:
            self._video_event.cancel()
            self._video_event = None

    def _update_video(self, _dt: float) -> None:
        state = self.flow.state
        frame = self.devices.latest_frame()
        camera = self._camera_texture.show(*((frame.image, frame.number) if frame else (None, 0)))
        screen = self.manager.current_screen
        if state == f.State.SCANNING:
            screen.preview = camera
            screen.ids.preview.canvas.ask_update()
        elif state == f.State.CAPTURING_DOCUMENT:
            screen.preview = camera
            screen.ids.preview.canvas.ask_update()
            screen.seconds = int(self.flow.capture_seconds_left(time.monotonic()) + 0.999)
        elif screen.name == "call":
            screen.self_view = camera
            remote = self.call.remote_frame()
            screen.remote = self._remote_texture.show(*(remote or (None, 0)))
            screen.ids.self_view.canvas.ask_update()
            screen.ids.remote.canvas.ask_update()

    def _show_call_problem(self, device: str, message: str) -> None:
        """The headset failed during the call: tell the participant to call staff (loop thread)."""
        log.warning("call: %s problem: %s", device, message)
        self.manager.get_screen("call").device_problem = device

    def _show_level(self, level: float) -> None:
        self.manager.get_screen("headset_check").level = level

    def _wipe_local_data(self) -> None:
        """No participant data outlives a session on the booth: screens, preview, caches."""
        self.manager.get_screen("manual_entry").clear()
        for name in ("scanning", "document_capture"):
            self.manager.get_screen(name).preview = None
        self._camera_texture.clear()
        self._remote_texture.clear()
        self.devices.forget_scans()

    def _heartbeat(self) -> None:
        """Report state + device health; its success or failure is how the booth knows the hub
        is up. Sent on a timer and on every state change; at most one waits to be sent, and it
        reads the state when it goes out, so a slow hub never gets a pile of stale reports."""
        if self._heartbeat_pending:
            return
        self._heartbeat_pending = True

        def beat() -> None:
            self._heartbeat_pending = False
            try:
                state = self.flow.state
                in_use = state == f.State.HEADSET_CHECK or self.call.call is not None
                self.hub.heartbeat(state.value, self.devices.health(headset_in_use=in_use))
                self.post(f.HubUp())
            except HubUnavailable as err:
                self.post(f.HubDown(str(err)))
            except HubRefusal as err:
                self.post(f.HubDown(f"hub refused the booth: {err.code}"))

        self.effects.background(beat)


def screenshot_listener(app: App, folder: Path) -> Callable[[str, str], None]:
    """Save one screenshot of every screen the booth reaches (for `make run` without a display)."""
    folder.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()

    def on_state(_old: str, new: str) -> None:
        def save(_dt: float) -> None:
            # Only if the booth is still there: a screen shown for a blink is caught next time.
            if new not in seen and app.flow.state.value == new:
                seen.add(new)
                app.root.export_to_png(str(folder / f"{new}.png"))

        Clock.schedule_once(save, 0.05)  # after kv has updated the new screen's labels

    return on_state
