"""The booth camera as an aiortc video track: the call's consumer of the ``SharedCamera``.

The camera is opened once and shared (DESIGN.md "The call"): this track never opens it, it
waits for the capture thread's next frame like the QR decoder does. Waiting blocks, so it happens
on the track's own worker thread, together with the downscale and the colour conversion; the
asyncio loop (which also runs Kivy) only awaits the result.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from aiortc.mediastreams import MediaStreamError, VideoStreamTrack
from av import VideoFrame

from kiosk.devices.camera import SharedCamera

log = logging.getLogger(__name__)

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
#: How long one wait for a camera frame lasts before the worker checks whether it should stop.
_POLL = 0.25


def fit_size(size: tuple[int, int], bound: tuple[int, int] | None) -> tuple[int, int]:
    """The largest even (width, height) with the shape of ``size`` inside ``bound``.

    Never upscales, never stretches: a 1280x720 camera sent at a 640x480 bound becomes 640x360,
    so the CS sees the participant with the right proportions. Even, because the encoders work
    in YUV 4:2:0, whose chroma planes have half the width and height.
    """
    width, height = size
    scale = 1.0 if bound is None else min(1.0, bound[0] / width, bound[1] / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


class CameraTrack(VideoStreamTrack):
    """Frames of a ``SharedCamera`` for an ``RTCPeerConnection``, at the camera's own pace.

    ``recv`` hands out each new camera frame once (skipping frames the encoder was too slow
    for, never repeating one), at most ``max_fps`` a second. Timestamps come from the capture
    time of each frame, so they are monotonic and follow the camera's real timing. While the
    camera is down ``recv`` simply waits: the CS sees the last frame until it comes back.

    Create and use it on the asyncio loop; ``stop()`` may be called from anywhere.
    """

    kind = "video"

    def __init__(
        self,
        camera: SharedCamera,
        max_size: tuple[int, int] | None = (640, 480),
        *,
        max_fps: float = 30.0,
    ) -> None:
        """``max_size``: the (width, height) bound of the frames sent, or None for the camera's
        full size. ``max_fps``: frames closer together than this allows are skipped (a 60 fps
        camera would double the encoder's work for nothing the CS needs)."""
        super().__init__()
        self.camera = camera
        self.max_size = max_size
        self._min_interval = 0.8 / max_fps if max_fps > 0 else 0.0
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="call-camera")
        self._stopped = threading.Event()
        self._last_number = 0
        self._last_taken: float | None = None
        self._origin: float | None = None
        self._last_pts = -1
        #: frames handed to the encoder so far
        self.frames_sent = 0
        #: (width, height) of the last frame sent
        self.sent_size: tuple[int, int] | None = None

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        try:
            got = await loop.run_in_executor(self._executor, self._next_frame)
        except RuntimeError as exc:  # executor shut down by stop()
            raise MediaStreamError from exc
        if got is None:
            raise MediaStreamError
        frame, number, taken = got
        if self._origin is None:
            self._origin = taken
        pts = max(round((taken - self._origin) * VIDEO_CLOCK_RATE), self._last_pts + 1)
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        self._last_pts, self._last_number, self._last_taken = pts, number, taken
        self.frames_sent += 1
        return frame

    def stop(self) -> None:
        self._stopped.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
        super().stop()

    # -- worker thread -----------------------------------------------------------------------
    def _next_frame(self) -> tuple[VideoFrame, int, float] | None:
        after = self._last_number
        while not self._stopped.is_set():
            deadline = time.monotonic() + _POLL
            shared = self.camera.wait_frame(after, _POLL)
            if shared is None:
                # timed out, or the camera is stopped (then wait_frame returns at once)
                self._stopped.wait(max(0.0, deadline - time.monotonic()))
                continue
            after = shared.number
            if (
                self._last_taken is not None
                and shared.timestamp - self._last_taken < self._min_interval
            ):
                continue
            return self._convert(shared.image), shared.number, shared.timestamp
        return None

    def _convert(self, image: np.ndarray) -> VideoFrame:
        """BGR camera image → YUV 4:2:0 frame at the send size. Converting here, with OpenCV,
        spares the encoder its own (slower) conversion on aiortc's executor."""
        height, width = image.shape[:2]
        size = fit_size((width, height), self.max_size)
        if size != (width, height):
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        self.sent_size = size
        # uint8 in, uint8 out; OpenCV's stubs only say "some array": asarray states it, no copy
        yuv = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)
        return VideoFrame.from_ndarray(yuv, format="yuv420p")
