"""The CS's camera picture for the booth screen.

The UI blits whatever is newest, at its own frame rate; it must never wait for the network. So
this sink drains the remote track as fast as frames are decoded, converts each to BGR on its own
worker thread (a 720p conversion takes milliseconds the loop, which also draws the UI, cannot
spare) and publishes the result. Like ``SharedCamera``, frames are numbered so the UI uploads a
texture only when something new arrived.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemoteFrame:
    """``image``: BGR uint8, read-only, shared by every reader. ``number`` grows by one per
    frame received; ``timestamp`` is ``time.monotonic()`` when it was received."""

    image: np.ndarray
    number: int
    timestamp: float

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]


class RemoteVideoSink:
    """Keeps the newest frame of a remote video track as a BGR array.

    ``start(track)`` on the loop; ``latest()`` from anywhere, never blocks. ``on_first_frame``
    (optional) is called on the loop with the first frame: the app swaps "connecting…" for the
    CS's picture then.
    """

    def __init__(self, on_first_frame: Callable[[RemoteFrame], None] | None = None) -> None:
        self.on_first_frame = on_first_frame
        #: frames decoded and published so far
        self.frames_received = 0
        #: ``time.monotonic()`` of the first / the newest frame, None before the first
        self.first_frame_at: float | None = None
        self.last_frame_at: float | None = None
        self._latest: RemoteFrame | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._first = asyncio.Event()

    def start(self, track: MediaStreamTrack) -> None:
        if self._task is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="call-remote-video")
            self._task = asyncio.create_task(self._run(track), name="call-remote-video")

    def latest(self) -> RemoteFrame | None:
        """The newest frame, or None before the first one."""
        return self._latest

    async def wait_first_frame(self) -> RemoteFrame:
        """Wait for the first frame (bound it with ``asyncio.wait_for``)."""
        await self._first.wait()
        assert self._latest is not None
        return self._latest

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, VideoFrame):
                continue  # a remote track yields decoded frames; aiortc's type allows packets
            image = await loop.run_in_executor(self._executor, _to_bgr, frame)
            now = time.monotonic()
            self.frames_received += 1
            published = RemoteFrame(image, self.frames_received, now)
            self._latest = published
            self.last_frame_at = now
            if self.first_frame_at is None:
                self.first_frame_at = now
                self._first.set()
                if self.on_first_frame is not None:
                    try:
                        self.on_first_frame(published)
                    except Exception:
                        log.exception("on_first_frame callback failed")


def _to_bgr(frame: VideoFrame) -> np.ndarray:
    image = frame.to_ndarray(format="bgr24")
    image.flags.writeable = False
    return image
