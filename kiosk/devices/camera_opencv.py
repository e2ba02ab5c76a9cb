"""OpenCV camera backend: a V4L2 device (index, /dev/videoN, udev by-id path) or a video file.

Files are paced at their own frame rate and loop at the end, so a test video behaves like a live
camera: the capture thread, the QR scan loop and the call see the same timing either way.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.camera import CameraMissing, CameraSource, CameraUnplugged


class OpenCvCameraSource(CameraSource):
    """``cv2.VideoCapture`` on a device or a file.

    ``width``/``height``/``fps`` are requested from devices (the driver may pick the nearest
    mode; ``frame_size`` tells what came). Files are resized to the requested size, so a test
    video can stand in for the configured camera.
    """

    def __init__(
        self,
        source: int | str | Path,
        *,
        width: int | None = 1280,
        height: int | None = 720,
        fps: float | None = None,
        loop: bool = True,
    ) -> None:
        self.source = source
        self.width, self.height, self.fps = width, height, fps
        self.loop = loop
        #: the video file, None for a device
        self.path = source if isinstance(source, Path) else None
        self.is_file = self.path is not None
        self.description = str(source) if not isinstance(source, int) else f"camera {source}"
        self._cap: cv2.VideoCapture | None = None
        self._size: tuple[int, int] | None = None
        self._interval = 0.0
        self._next_due = 0.0

    def open(self) -> None:
        self.close()
        if self.path is not None:
            self._open_file(self.path)
        else:
            self._open_device()

    def _open_file(self, path: Path) -> None:
        if not path.is_file():
            raise CameraMissing(f"video file {path} not found")
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise CameraMissing(f"video file {path} cannot be decoded")
        file_fps = cap.get(cv2.CAP_PROP_FPS)
        rate = self.fps or (file_fps if 1 <= file_fps <= 240 else 30.0)
        self._interval = 1.0 / rate
        self._next_due = time.monotonic()
        self._cap = cap

    def _open_device(self) -> None:
        if isinstance(self.source, str) and not os.path.exists(self.source):
            raise CameraMissing(f"no camera at {self.source} (not plugged in, or udev name wrong)")
        cap = cv2.VideoCapture(self.source, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise CameraMissing(f"{self.description} cannot be opened (missing or busy)")
        # USB webcams deliver 720p/1080p at 30 fps only as MJPG; YUYV would drop to ~5-10 fps.
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        if self.width and self.height:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        if self.fps:
            cap.set(cv2.CAP_PROP_FPS, self.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a queue of stale ones
        self._interval = 0.0  # the device paces itself
        self._cap = cap

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise CameraUnplugged(f"{self.description} is not open")
        if self.is_file:
            self._wait_until_due()
        ok, image = self._cap.read()
        if not ok and self.path is not None and self.loop:
            image = self._rewind(self.path)
        elif not ok or image is None:
            raise CameraUnplugged(f"{self.description} stopped delivering frames")
        if self.is_file and self.width and self.height:
            wanted = (self.width, self.height)
            if (image.shape[1], image.shape[0]) != wanted:
                image = cv2.resize(image, wanted, interpolation=cv2.INTER_AREA)
        self._size = (image.shape[1], image.shape[0])
        return image

    def _wait_until_due(self) -> None:
        now = time.monotonic()
        if self._next_due > now:
            time.sleep(self._next_due - now)
        # if we fell behind (slow consumer machine), do not try to catch up in a burst
        self._next_due = max(self._next_due + self._interval, time.monotonic())

    def _rewind(self, path: Path) -> np.ndarray:
        """Loop the file; a file that disappeared counts as an unplugged camera."""
        if not path.is_file():
            raise CameraUnplugged(f"video file {self.source} was removed")
        assert self._cap is not None
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        ok, image = self._cap.read()
        if not ok or image is None:
            raise CameraUnplugged(f"video file {self.source} has no readable frames")
        return image

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._size = None

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return self._size
