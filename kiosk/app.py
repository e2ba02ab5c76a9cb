"""The booth app, wiring only: the flow decides, screens show, devices produce, the hub talks.

Threads: Kivy's UI thread runs the flow and the screens. Hub calls run on the effect runner's
worker, QR decoding on the scan loop's thread, the event stream on its own thread, audio in
PortAudio's callback thread. Everything that comes back is posted to the UI thread with
`Clock.schedule_once`, so the flow is only ever touched from one thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.texture import Texture
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import flow as f
from kiosk.booth_devices import BoothDevices
from kiosk.config import KioskConfig
from kiosk.effects import EffectRunner
from kiosk.hub_client import HubClient, HubRefusal, HubUnavailable
from kiosk.hub_events import SessionEvents
from kiosk.i18n import tr
from kiosk.screens.assigned import AssignedScreen
from kiosk.screens.attract import AttractScreen
from kiosk.screens.base import BoothScreen
from kiosk.screens.confirm import ConfirmScreen
from kiosk.screens.headset_check import HeadsetCheckScreen
from kiosk.screens.manual_entry import ManualEntryScreen
from kiosk.screens.out_of_service import OutOfServiceScreen
from kiosk.screens.refused import RefusedScreen
from kiosk.screens.scanning import ScanningScreen
from kiosk.screens.verifying import VerifyingScreen
from kiosk.screens.waiting import WaitingScreen

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
    "refused": RefusedScreen,
    "out_of_service": OutOfServiceScreen,
}
SCREEN_FOR_STATE = {state.value: state.value for state in f.State} | {"checking_in": "verifying"}
PREVIEW_FPS = 30


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
        self.effects = EffectRunner(
            hub,
            post=self.post,
            headset=devices.headset_check,
            on_level=lambda level: Clock.schedule_once(lambda _dt: self._show_level(level)),
            on_wipe=self._wipe_local_data,
        )
        self.events = SessionEvents(hub, lambda s: self.post(f.SessionChanged(s)))
        self._preview_event = None
        self._preview_texture: Texture | None = None
        self._last_frame_index = -1
        self._heartbeat_pending = False

    # Kivy lifecycle ------------------------------------------------------------------------

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

    def on_stop(self) -> None:
        self.events.stop()
        self.effects.shutdown()
        self.devices.stop()

    # input from screens --------------------------------------------------------------------

    def touch(self, action: str) -> None:
        self.handle(f.Touch(action))

    def typed(self, text: str) -> None:
        self.handle(f.Typed(text))

    def toggle_language(self) -> None:
        language = tr.toggle()
        for screen in self.manager.screens:
            screen.language = language
        self.handle(f.Touch("still_here"))  # touching the screen is activity

    # the flow ------------------------------------------------------------------------------

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
        self._enter(new.value)
        self._heartbeat()
        for listener in self.state_listeners:
            listener(old.value, new.value)

    def _enter(self, state: str) -> None:
        self.manager.current = SCREEN_FOR_STATE[state]
        self._present()
        scanning = state in ("attract", "scanning", "manual_entry", "refused")
        self.devices.set_scanning(scanning)
        self._set_preview(state == "scanning")

    def _present(self) -> None:
        self.manager.current_screen.present(self.flow)

    def _update_countdown(self) -> None:
        now = time.monotonic()
        left = self.flow.seconds_left(now) if self.flow.countdown_visible(now) else None
        self.manager.current_screen.countdown = -1 if left is None else int(left + 0.999)

    # devices on the UI thread --------------------------------------------------------------

    def _set_preview(self, on: bool) -> None:
        if on and self._preview_event is None:
            self._preview_event = Clock.schedule_interval(self._update_preview, 1 / PREVIEW_FPS)
        elif not on and self._preview_event is not None:
            self._preview_event.cancel()
            self._preview_event = None
            self.manager.get_screen("scanning").preview = None

    def _update_preview(self, _dt: float) -> None:
        frame = self.devices.latest_frame()
        if frame is None or frame.number == self._last_frame_index:
            return
        self._last_frame_index = frame.number
        image = frame.image
        height, width = image.shape[:2]
        texture = self._preview_texture
        if texture is None or texture.size != (width, height):
            texture = Texture.create(size=(width, height), colorfmt="bgr")
            texture.flip_vertical()
            self._preview_texture = texture
        texture.blit_buffer(image.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        screen = self.manager.get_screen("scanning")
        screen.preview = texture
        screen.ids.preview.canvas.ask_update()

    def _show_level(self, level: float) -> None:
        self.manager.get_screen("headset_check").level = level

    def _wipe_local_data(self) -> None:
        """No participant data outlives a session on the booth: screens, preview, caches."""
        self.manager.get_screen("manual_entry").clear()
        self.manager.get_screen("scanning").preview = None
        self._preview_texture = None
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
                self.hub.heartbeat(self.flow.state.value, self.devices.health())
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
