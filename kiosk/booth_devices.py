"""The booth's devices as the app sees them: one camera shared by preview and QR decoder, an
optional HID scanner, the headset; plus their health for the heartbeat and the flow.

No Kivy here: callbacks arrive on device threads and the app hops them to the UI thread.
The camera is the one critical device: without it the CS cannot see the participant or the
documents, so losing it takes the booth out of service until it comes back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kiosk.config import KioskConfig
from kiosk.devices.camera import CameraSource, CameraState, Frame, SharedCamera, make_source
from kiosk.devices.headset import Headset, HeadsetMissing, LevelMeter, refresh_devices
from kiosk.devices.qr import QrScanLoop
from kiosk.devices.scanner_hid import HidScanner
from kiosk.devices.status import DeviceStatus

log = logging.getLogger(__name__)

OnScan = Callable[[str], None]
OnHealth = Callable[[str, bool, str], None]

#: Camera states that say something about health (starting/stopped say nothing yet).
_DECISIVE = {CameraState.OK: True, CameraState.MISSING: False, CameraState.UNPLUGGED: False}
#: dBFS mapped to an empty / full level bar: speech into a headset mic sits around -30..-10.
METER_FLOOR_DBFS, METER_CEILING_DBFS = -60.0, -6.0


class HeadsetCheck:
    """The headset screen's check: test tone on the earphones, live microphone level."""

    def __init__(self, headset: Headset, tone_hz: float = 440.0) -> None:
        self.headset = headset
        self.tone_hz = tone_hz
        self._meter: LevelMeter | None = None
        self._lock = threading.Lock()

    def start(
        self, on_level: Callable[[float], None], on_result: Callable[[bool, str], None]
    ) -> None:
        """Returns at once; the tone plays and the meter starts on a worker thread."""
        threading.Thread(
            target=self._run, args=(on_level, on_result), name="headset-check", daemon=True
        ).start()

    def _run(self, on_level: Callable[[float], None], on_result: Callable[[bool, str], None]):
        self.stop()
        try:
            refresh_devices()  # a headset plugged in since start-up becomes visible
            with self._lock:
                self._meter = self.headset.level_meter(lambda level: on_level(bar(level.dbfs)))
            self.headset.play_tone(self.tone_hz, 1.0)
        except HeadsetMissing as err:
            log.warning("headset check failed: %s", err)
            self.stop()
            on_result(False, str(err))
            return
        on_result(True, "")

    def stop(self) -> None:
        with self._lock:
            meter, self._meter = self._meter, None
        if meter is not None:
            meter.stop()


def bar(dbfs: float) -> float:
    """Level-bar fraction 0..1 for a loudness in dBFS."""
    span = METER_CEILING_DBFS - METER_FLOOR_DBFS
    return min(1.0, max(0.0, (dbfs - METER_FLOOR_DBFS) / span))


class BoothDevices:
    """Owns every device of one booth for the app's lifetime."""

    def __init__(self, config: KioskConfig, camera_source: CameraSource | None = None) -> None:
        """`camera_source` replaces the configured camera (benchmarks feed their own frames)."""
        camera = config.camera
        self.camera = SharedCamera(
            camera_source or make_source(camera.source, width=camera.width, height=camera.height),
            retry_interval=camera.reopen_seconds,
        )
        self.qr = QrScanLoop(self.camera, self._scanned)
        self.scanner = (
            HidScanner(config.scanner.device, self._scanned) if config.scanner.device else None
        )
        self.headset = Headset(config.audio.input or None, config.audio.output or None)
        self.headset_check = HeadsetCheck(self.headset, config.audio.tone_hz)
        self._on_scan: OnScan = lambda payload: None
        self._on_health: OnHealth = lambda device, ok, detail: None
        self._scanning = threading.Event()
        self._camera_ok: bool | None = None
        self._health_lock = threading.Lock()
        self._headset_status: DeviceStatus | None = None

    def start(self, on_scan: OnScan, on_health: OnHealth) -> None:
        self._on_scan, self._on_health = on_scan, on_health
        self.camera.on_status_change(lambda state, detail: self.poll_health())
        self.camera.start()
        self.qr.start()
        if self.scanner is not None:
            self.scanner.start()

    def stop(self) -> None:
        self.headset_check.stop()
        self.qr.stop()
        if self.scanner is not None:
            self.scanner.stop()
        self.camera.stop()
        self.headset.close()  # whatever is still open on it, a call's streams too

    def set_scanning(self, on: bool) -> None:
        """Decode only on screens that accept a ticket: elsewhere a QR means nothing, and the
        CPU is better spent on the call's video. A payload in flight when scanning stops is
        dropped."""
        if on:
            self._scanning.set()
            self.qr.resume()
        else:
            self._scanning.clear()
            self.qr.pause()

    def forget_scans(self) -> None:
        """The next participant may show the same QR as the last one (e.g. after 'not me')."""
        self.qr.forget()

    def latest_frame(self) -> Frame | None:
        return self.camera.latest()

    def poll_health(self) -> None:
        """Report the camera's health when it changes; also catches a stalled camera, which
        changes no state by itself. Cheap: call it often."""
        with self._health_lock:
            ok = _DECISIVE.get(self.camera.status)
            if ok is None or ok == self._camera_ok:
                return
            self._camera_ok = ok
        self._on_health("camera", ok, self.camera.detail)

    def health(self, headset_in_use: bool = False) -> dict[str, dict[str, Any]]:
        """Heartbeat body. Queries PortAudio: call it off the UI thread. While the call or the
        headset check holds the headset, its last status is repeated instead: enumerating
        PortAudio devices under an open stream is not safe."""
        if not headset_in_use or self._headset_status is None:
            self._headset_status = self.headset.check()
        statuses = [self.camera.device_status(), self._headset_status]
        if self.scanner is not None:
            statuses.append(self.scanner.device_status())
        return {s.name: s.as_heartbeat() for s in statuses}

    def _scanned(self, payload: str) -> None:
        if self._scanning.is_set():
            self._on_scan(payload)
