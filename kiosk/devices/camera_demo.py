"""DEMO-ONLY synthetic camera: lets ``make run`` show the booth on a machine without a camera.

It draws a moving pattern labelled "DEMO" and, for a few seconds of every cycle, a phone showing
a ticket QR, so the whole check-in path (preview → QR decoder → hub) runs for real. It is never a
stand-in for tests of the camera path: those use real video files through ``camera_opencv``.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from kiosk.devices.camera import CameraSource, CameraUnplugged
from kiosk.devices.qr_image import phone_card


class DemoCameraSource(CameraSource):
    """Synthetic frames at ``fps``. The phone with the QR of ``payload`` is shown from
    ``qr_after`` to ``qr_after + qr_for`` seconds of every ``cycle`` seconds."""

    def __init__(
        self,
        payload: str,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 15.0,
        qr_after: float = 3.0,
        qr_for: float = 4.0,
        cycle: float = 12.0,
    ) -> None:
        self.payload = payload
        self.width, self.height, self.fps = width, height, fps
        self.qr_after, self.qr_for, self.cycle = qr_after, qr_for, cycle
        self.description = "DEMO camera (synthetic, no real camera)"
        self._card = phone_card(payload, qr_px=max(120, height // 3)) if payload else None
        self._t0: float | None = None
        self._next_due = 0.0
        self._n = 0

    def open(self) -> None:
        self._t0 = time.monotonic()
        self._next_due = self._t0
        self._n = 0

    def read(self) -> np.ndarray:
        if self._t0 is None:
            raise CameraUnplugged("DEMO camera is not open")
        now = time.monotonic()
        if self._next_due > now:
            time.sleep(self._next_due - now)
        self._next_due = max(self._next_due + 1.0 / self.fps, time.monotonic())
        self._n += 1
        return self._draw(time.monotonic() - self._t0)

    def qr_visible(self, elapsed: float) -> bool:
        """Whether the phone is in the picture ``elapsed`` seconds after ``open``."""
        phase = elapsed % self.cycle
        return self._card is not None and self.qr_after <= phase < self.qr_after + self.qr_for

    def _draw(self, elapsed: float) -> np.ndarray:
        w, h = self.width, self.height
        x = np.arange(w, dtype=np.float32)[None, :]
        y = np.arange(h, dtype=np.float32)[:, None]
        shift = elapsed * 60.0
        wave = 0.5 + 0.5 * np.sin((x + shift) / 45.0) * np.cos((y - shift * 0.5) / 60.0)
        base = (60 + 60 * wave).astype(np.uint8)
        frame = cv2.merge([base, (base * 0.8).astype(np.uint8), (110 + base // 3)])
        if self.qr_visible(elapsed):
            card = self._card
            assert card is not None
            ch, cw = card.shape[:2]
            top, left = (h - ch) // 2, (w - cw) // 2
            if top >= 0 and left >= 0:
                frame[top : top + ch, left : left + cw] = card
        cv2.putText(frame, "DEMO", (24, 64), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (255, 255, 255), 4)
        label = f"synthetic camera  #{self._n}"
        cv2.putText(frame, label, (24, h - 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
        return frame

    def close(self) -> None:
        self._t0 = None

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return (self.width, self.height) if self._t0 is not None else None
