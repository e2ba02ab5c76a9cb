"""The booth camera: one abstract source, and one capture thread shared by every consumer.

The camera is opened once (DESIGN.md "The call") and feeds the preview, the QR decoder and the
WebRTC call. Like aiortc's ``MediaRelay``, ``SharedCamera`` owns the source and publishes the
newest frame; consumers take what they need without the capture thread copying per consumer.
Frames are read-only numpy arrays, so sharing them is safe.

Cameras get unplugged and files go missing: the capture thread never gives up. It reports
``missing`` / ``unplugged`` with a detail text, retries every ``retry_interval`` seconds and goes
back to ``ok`` by itself, so the app can show "out of service" and recover without a restart.

Backends, one module each (like Kivy's ``kivy/core/camera``): ``camera_opencv`` (V4L2 device or
video file) and ``camera_demo`` (a synthetic source for ``make run`` only). ``open_camera`` picks.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.status import DeviceError, DeviceStatus

log = logging.getLogger(__name__)


class CameraError(DeviceError):
    """The source failed; the message says what branch IT should check."""


class CameraMissing(CameraError):
    """The source cannot be opened: no such device or file, or the driver refuses it."""


class CameraUnplugged(CameraError):
    """The source was delivering frames and stopped (unplugged, file removed, read errors)."""


class CameraState(enum.StrEnum):
    STARTING = "starting"  # capture thread started, no frame yet
    OK = "ok"
    MISSING = "missing"  # never opened since start
    UNPLUGGED = "unplugged"  # was delivering frames, lost them; retrying
    STOPPED = "stopped"


@dataclass(frozen=True)
class Frame:
    """One published camera frame, shared by every consumer.

    ``image`` is BGR uint8 and read-only: consumers that need to draw on it copy it themselves.
    ``number`` grows by one per published frame for the camera's lifetime (also across
    reconnects), so a consumer can tell a new frame from one it has already seen.
    ``timestamp`` is ``time.monotonic()`` when the frame was read.
    """

    image: np.ndarray
    number: int
    timestamp: float

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]

    def brightness(self) -> float:
        """Mean luma 0..255 of a small copy: ``kiosk doctor`` flags a covered lens or dark booth."""
        small = cv2.resize(
            self.image, (160, max(1, 160 * self.image.shape[0] // self.image.shape[1]))
        )
        return float(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).mean())


class CameraSource(ABC):
    """A camera backend. Used by one thread only (the ``SharedCamera`` capture thread).

    ``read`` blocks until the next frame is due, the way a live camera does, so the capture loop
    needs no pacing of its own.
    """

    #: human-readable name of what is opened, for status details ("/dev/video0", "demo", ...)
    description: str = "camera"

    @abstractmethod
    def open(self) -> None:
        """Open the source. Raises ``CameraMissing`` with a reason when it is not there."""

    @abstractmethod
    def read(self) -> np.ndarray:
        """Return the next BGR frame, a new array each call (consumers keep references to it).
        Raises ``CameraUnplugged`` when frames stop coming."""

    @abstractmethod
    def close(self) -> None:
        """Release the device. Safe to call when not open."""

    @property
    @abstractmethod
    def frame_size(self) -> tuple[int, int] | None:
        """(width, height) delivered while open, else None."""


StatusCallback = Callable[[CameraState, str], None]


class SharedCamera:
    """Owns a ``CameraSource`` in one capture thread and fans its frames out to any consumer.

    Consumers call ``latest()`` (never blocks; the preview does this on each UI tick) or
    ``wait_frame(after=n)`` (blocks for a frame newer than ``n``; worker threads such as the QR
    scan loop and the call's video track do this, and so always get the newest frame, skipping
    stale ones). Status callbacks run on the capture thread: UI code must hop to its own thread.
    """

    def __init__(
        self,
        source: CameraSource,
        *,
        retry_interval: float = 2.0,
        stall_after: float = 3.0,
        name: str = "camera",
    ) -> None:
        """``retry_interval``: seconds between reopen attempts while the source is down.
        ``stall_after``: seconds without a frame after which ``status`` no longer says ok, even
        when the driver is stuck inside a read and reports nothing."""
        self.source = source
        self.retry_interval = retry_interval
        self.stall_after = stall_after
        self.name = name
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._count = 0
        self._state = CameraState.STOPPED
        self._detail = "not started"
        self._callbacks: list[StatusCallback] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fps = 0.0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> SharedCamera:
        """Start the capture thread (returns at once; the first frame follows)."""
        if self._thread and self._thread.is_alive():
            return self
        self._stop.clear()
        self._set_state(CameraState.STARTING, f"opening {self.source.description}")
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-capture", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Stop capturing and release the device (the call ends, the kiosk shuts down)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._set_state(CameraState.STOPPED, "stopped")

    def __enter__(self) -> SharedCamera:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- health ------------------------------------------------------------------------------
    @property
    def status(self) -> CameraState:
        """Current state; ``ok`` turns into ``unplugged`` when frames stall."""
        with self._cond:
            state, latest = self._state, self._latest
        stalled = latest is not None and time.monotonic() - latest.timestamp > self.stall_after
        return CameraState.UNPLUGGED if state is CameraState.OK and stalled else state

    @property
    def detail(self) -> str:
        with self._cond:
            state, detail, latest = self._state, self._detail, self._latest
        if state is CameraState.OK and latest is not None:
            age = time.monotonic() - latest.timestamp
            if age > self.stall_after:
                return f"{self.source.description}: no frame for {age:.0f} s"
        return detail

    def device_status(self) -> DeviceStatus:
        """Health for the heartbeat and ``kiosk doctor``."""
        state = self.status
        return DeviceStatus(self.name, state is CameraState.OK, f"{state.value}: {self.detail}")

    def on_status_change(self, callback: StatusCallback) -> Callable[[], None]:
        """Call ``callback(state, detail)`` on every state change; returns an unsubscriber."""
        with self._cond:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._cond:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    @property
    def fps(self) -> float:
        """Measured frames per second (smoothed), for ``kiosk doctor``."""
        return self._fps

    @property
    def frame_size(self) -> tuple[int, int] | None:
        latest = self._latest
        return latest.size if latest is not None else None

    # -- consumers ---------------------------------------------------------------------------
    def latest(self) -> Frame | None:
        """The newest frame, or None before the first one. Never blocks.

        While the camera is down this stays the last frame it delivered (check ``status`` or
        the frame's ``timestamp``), so a preview freezes rather than flickers to black.
        """
        return self._latest

    def wait_frame(self, after: int = 0, timeout: float | None = None) -> Frame | None:
        """Block until a frame numbered above ``after`` exists; return the newest one.

        Returns None on timeout or when the camera stops. Frames are numbered from 1, so
        ``after=0`` means "any frame".
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._stop.is_set():
                if self._latest is not None and self._latest.number > after:
                    return self._latest
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
        return None

    def full_resolution_still(self, *, timeout: float = 3.0, candidates: int = 3) -> Frame:
        """A document still: the sharpest of the next ``candidates`` frames, at source resolution.

        Waits for frames taken after the call, because the participant has just been asked to
        hold the document still; picking the sharpest of a few avoids a hand-shake blur.
        Raises ``CameraError`` when no frame arrives within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        latest = self._latest
        after = latest.number if latest is not None else 0
        best: tuple[float, Frame] | None = None
        for _ in range(max(1, candidates)):
            frame = self.wait_frame(after, max(0.0, deadline - time.monotonic()))
            if frame is None:
                break
            after = frame.number
            score = _sharpness(frame.image)
            if best is None or score > best[0]:
                best = (score, frame)
        if best is None:
            state = self.status.value
            raise CameraError(f"no frame within {timeout:.1f} s ({state}: {self.detail})")
        return best[1]

    # -- capture thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.source.open()
            except Exception as exc:  # CameraMissing, or a driver error we did not foresee
                if not isinstance(exc, CameraError):
                    log.exception("opening %s failed", self.source.description)
                self._set_down(str(exc) if isinstance(exc, CameraError) else repr(exc))
                with contextlib.suppress(Exception):
                    self.source.close()
                self._stop.wait(self.retry_interval)
                continue
            try:
                self._capture()
            except CameraError as exc:
                self._set_down(str(exc))
            except Exception as exc:  # a driver bug must not kill the only capture thread
                log.exception("camera source %s failed", self.source.description)
                self._set_down(f"{self.source.description}: {exc!r}")
            finally:
                self.source.close()
            self._stop.wait(self.retry_interval)

    def _set_down(self, reason: str) -> None:
        """``missing`` until the source has delivered a frame, ``unplugged`` after that."""
        state = CameraState.UNPLUGGED if self._count else CameraState.MISSING
        self._set_state(state, f"{reason}; retrying every {self.retry_interval:g} s")

    def _capture(self) -> None:
        last = None
        while not self._stop.is_set():
            image = self.source.read()
            now = time.monotonic()
            image.flags.writeable = False
            with self._cond:
                self._count += 1
                self._latest = Frame(image, self._count, now)
                self._cond.notify_all()
            if last is not None and now > last:
                rate = 1.0 / (now - last)
                self._fps = 0.9 * self._fps + 0.1 * rate if self._fps else rate
            last = now
            if self._state is not CameraState.OK and not self._stop.is_set():
                w, h = image.shape[1], image.shape[0]
                self._set_state(CameraState.OK, f"{self.source.description} {w}x{h}")

    def _set_state(self, state: CameraState, detail: str) -> None:
        with self._cond:
            changed = state is not self._state
            self._state, self._detail = state, detail
            callbacks = list(self._callbacks) if changed else []
        if changed:
            log.info("%s: %s (%s)", self.name, state.value, detail)
        for callback in callbacks:
            try:
                callback(state, detail)
            except Exception:
                log.exception("camera status callback failed")


def _sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian on a small grey copy: higher means sharper."""
    small = cv2.resize(image, (320, max(1, 320 * image.shape[0] // image.shape[1])))
    return float(cv2.Laplacian(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var())


def make_source(
    source: str | int,
    *,
    width: int | None = 1280,
    height: int | None = 720,
    fps: float | None = None,
) -> CameraSource:
    """Pick the backend from the configured source.

    ``"demo:<payload>"`` → the synthetic demo source showing a QR of ``<payload>``;
    an int, a digit string, or a ``/dev/...`` path → a V4L2 device; anything else → a video file.
    """
    if isinstance(source, str) and source.startswith("demo:"):
        from kiosk.devices.camera_demo import DemoCameraSource

        return DemoCameraSource(
            source.removeprefix("demo:"), width=width or 1280, height=height or 720, fps=fps or 15
        )
    from kiosk.devices.camera_opencv import OpenCvCameraSource

    target: int | str | Path = source
    if isinstance(source, str) and source.strip().isdigit():
        target = int(source)
    elif isinstance(source, str) and not source.startswith("/dev/"):
        target = Path(source)
    return OpenCvCameraSource(target, width=width, height=height, fps=fps)


def open_camera(
    source: str | int,
    *,
    width: int | None = 1280,
    height: int | None = 720,
    fps: float | None = None,
    retry_interval: float = 2.0,
    stall_after: float = 3.0,
) -> SharedCamera:
    """Make the source (see ``make_source``) and start a ``SharedCamera`` on it."""
    cam = SharedCamera(
        make_source(source, width=width, height=height, fps=fps),
        retry_interval=retry_interval,
        stall_after=stall_after,
    )
    return cam.start()
