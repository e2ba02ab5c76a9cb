"""The CS's voice on the headset earphones.

aiortc decodes the remote Opus track to 48 kHz stereo frames on the asyncio loop's schedule;
the sound card pulls samples on PortAudio's thread at its own clock. Between the two sits a small
buffer: a little is kept in hand (``prefill``) against network jitter, and when the two clocks
drift apart the oldest audio is dropped beyond ``max_buffer``, so the delay never grows.

Muting a booth on hold is the CS console's job (it disables its microphone toward that booth);
the booth plays whatever arrives.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque

import av
import numpy as np
import sounddevice as sd
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from kiosk.call.stream_holder import StreamHolder
from kiosk.devices.headset import Headset, HeadsetMissing, find_device

log = logging.getLogger(__name__)


class _SampleBuffer:
    """Mono float32 samples handed from the loop to the audio thread.

    Keeps about ``prefill`` in hand. Audio that arrived late and then in a burst (a device that
    started slowly, a network stall) would otherwise leave a delay that never goes away: so when
    the buffer never ran below ``prefill`` for a whole ``window``, the surplus is dropped, and
    beyond ``limit`` it is dropped at once.
    """

    def __init__(self, prefill: int, limit: int, window: int) -> None:
        self.prefill, self.limit, self.window = prefill, limit, window
        self._chunks: deque[np.ndarray] = deque()
        self._size = 0
        self._primed = False
        self._lowest = limit  # lowest level seen by the audio thread in this window
        self._pushed = 0  # samples pushed in this window
        self._lock = threading.Lock()
        self.dropped = 0  # samples dropped to keep the delay bounded
        self.underruns = 0

    def push(self, samples: np.ndarray) -> None:
        with self._lock:
            self._chunks.append(samples)
            self._size += len(samples)
            self._pushed += len(samples)
            if self._size > self.limit:
                self._drop(self._size - self.prefill)
            elif self._pushed >= self.window:
                if self._primed and self._lowest > self.prefill * 3 // 2:
                    self._drop(self._lowest - self.prefill)
                self._lowest, self._pushed = self._size, 0

    def _drop(self, count: int) -> None:
        while count > 0 and self._chunks:
            head = self._chunks[0]
            cut = min(len(head), count)
            if cut == len(head):
                self._chunks.popleft()
            else:
                self._chunks[0] = head[cut:]
            self._size -= cut
            self.dropped += cut
            count -= cut

    def pull(self, out: np.ndarray) -> int:
        """Fill ``out`` (zeros where nothing is buffered); returns the samples really played."""
        wanted, filled = len(out), 0
        with self._lock:
            if not self._primed and self._size >= self.prefill:
                self._primed = True
            while self._primed and filled < wanted and self._chunks:
                chunk = self._chunks[0]
                take = min(len(chunk), wanted - filled)
                out[filled : filled + take] = chunk[:take]
                filled += take
                self._size -= take
                if take == len(chunk):
                    self._chunks.popleft()
                else:
                    self._chunks[0] = chunk[take:]
            if self._primed and filled < wanted:
                self._primed = False  # ran dry: wait for prefill again instead of stuttering
                self.underruns += 1
            self._lowest = min(self._lowest, self._size)
        out[filled:] = 0
        return filled

    @property
    def buffered(self) -> int:
        return self._size


class RemoteAudioPlayer:
    """Plays a remote audio track on the headset's earphones (``Headset.output_name``).

    ``start(track)`` returns at once; opening the device and draining the track happen in a task
    on the loop. The track is drained even when the earphones cannot be opened (``error`` then
    says why), because aiortc queues received audio without bound until someone reads it.
    """

    def __init__(
        self,
        headset: Headset | None = None,
        *,
        prefill: float = 0.04,
        max_buffer: float = 0.25,
    ) -> None:
        """``prefill``: seconds buffered before playing starts (and after running dry);
        ``max_buffer``: seconds beyond which the oldest audio is dropped."""
        self.headset = headset or Headset()
        self.prefill, self.max_buffer = prefill, max_buffer
        self.rate: int | None = None
        self.error: str | None = None
        #: remote frames received; samples actually played on the device
        self.frames_received = 0
        self.samples_played = 0
        #: ``time.monotonic()`` of the newest remote frame, None before the first
        self.last_frame_at: float | None = None
        self._buffer: _SampleBuffer | None = None
        self._holder = StreamHolder(self.headset)
        self._resampler: av.AudioResampler | None = None
        self._task: asyncio.Task[None] | None = None
        self._opening: asyncio.Future[None] | None = None

    def start(self, track: MediaStreamTrack) -> None:
        """Begin playing ``track``. Call on the loop."""
        if self._task is None:
            # its own task, never cancelled: a stream opened by an abandoned thread would leak
            self._opening = asyncio.ensure_future(asyncio.to_thread(self._open))
            self._task = asyncio.create_task(self._run(track), name="call-remote-audio")

    async def wait_open(self) -> bool:
        """Wait until the device is open (or failed to open); True when it plays."""
        assert self._opening is not None, "start() first"
        await asyncio.gather(asyncio.shield(self._opening), return_exceptions=True)
        return self._holder.stream is not None

    @property
    def underruns(self) -> int:
        return self._buffer.underruns if self._buffer else 0

    @property
    def dropped_samples(self) -> int:
        return self._buffer.dropped if self._buffer else 0

    async def stop(self) -> None:
        """Stop playing and close the device (waiting for one still being opened)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._opening is not None:
            await asyncio.gather(self._opening, return_exceptions=True)
        stream = self._holder.take()
        if stream is not None:
            await asyncio.to_thread(self.headset.close_stream, stream)

    async def _run(self, track: MediaStreamTrack) -> None:
        assert self._opening is not None
        try:
            await asyncio.shield(self._opening)
        except Exception as exc:  # HeadsetMissing, or a PortAudio surprise: drain anyway
            self._resampler = None
            self.error = str(exc)
            log.warning("remote audio not played: %s", exc)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.AudioFrame):
                continue  # a remote track yields decoded frames; aiortc's type allows packets
            self.frames_received += 1
            self.last_frame_at = time.monotonic()
            if self._buffer is not None and self._resampler is not None:
                for out in self._resampler.resample(frame):
                    self._buffer.push(out.to_ndarray().reshape(-1).astype(np.float32))

    def _open(self) -> None:
        device = find_device(self.headset.output_name, "output")
        rate = int(sd.query_devices(device)["default_samplerate"])
        self.rate = rate
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        self._buffer = _SampleBuffer(int(self.prefill * rate), int(self.max_buffer * rate), rate)
        try:
            stream = self.headset.open_stream(
                lambda: sd.OutputStream(
                    device=device,
                    channels=1,
                    samplerate=rate,
                    dtype="float32",
                    latency="high",
                    callback=self._on_audio,
                )
            )
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"earphones cannot be opened: {exc}") from exc
        self._holder.opened(stream)

    def _on_audio(self, outdata: np.ndarray, _frames: int, _time: object, _status: object) -> None:
        """PortAudio's thread: copy out what is buffered, silence for the rest."""
        assert self._buffer is not None
        self.samples_played += self._buffer.pull(outdata[:, 0])
