"""The headset microphone as an aiortc audio track: 48 kHz mono, 20 ms frames.

PortAudio calls back on its own audio thread every 20 ms; each block is handed to the asyncio
loop with ``call_soon_threadsafe`` and waits in a short queue for the sender. The queue is
bounded: when the loop falls behind, the oldest audio is dropped, because talking over a
growing delay is worse than a click.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import threading
import time

import av
import numpy as np
import sounddevice as sd
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from kiosk.call.stream_holder import StreamHolder
from kiosk.devices.headset import Headset, HeadsetMissing, find_device

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms, aiortc's audio packetization time
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


class MicrophoneTrack(MediaStreamTrack):
    """Audio from the headset microphone (by name substring, as ``Headset`` finds it).

    ``await start()`` opens the device (raises ``HeadsetMissing``); then ``recv`` returns one
    ``av.AudioFrame`` (s16, mono, 48 kHz, 960 samples) per 20 ms. Devices that cannot record at
    48 kHz record at their own rate and are resampled. Timestamps count samples recorded, so a
    dropped block leaves a gap in time rather than shifting everything after it.

    Create, start and ``recv`` on the asyncio loop. ``stop()`` (aiortc's, sync) may be called
    from anywhere and closes the device on a thread; ``await aclose()`` also waits for that.
    """

    kind = "audio"

    def __init__(self, headset: Headset | None = None, *, queue_frames: int = 10) -> None:
        """``queue_frames``: blocks kept while the sender is busy (10 = 200 ms)."""
        super().__init__()
        self.headset = headset or Headset()
        self._queue: asyncio.Queue[tuple[int, bytes] | None] | None = None
        self._queue_frames = queue_frames
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder = StreamHolder(self.headset)
        self._opening: asyncio.Future[None] | None = None
        self._closer: threading.Thread | None = None
        self._captured = 0  # samples recorded so far, at the device rate
        self._resampler: av.AudioResampler | None = None
        self._pending: list[av.AudioFrame] = []
        self._resampled = 0
        self._rate = SAMPLE_RATE
        #: blocks recorded / dropped because the loop was behind
        self.blocks_recorded = 0
        self.blocks_dropped = 0
        #: ``time.monotonic()`` of the last block recorded (None before the first)
        self.last_audio_at: float | None = None

    @property
    def device_rate(self) -> int:
        return self._rate

    async def start(self) -> None:
        """Open and start the microphone (off the loop: PortAudio may take a while). Raises
        ``HeadsetMissing``. Cancelling the wait does not leak the stream: ``stop()`` closes it."""
        if self._opening is None:
            self._loop = asyncio.get_running_loop()
            self._queue = asyncio.Queue()
            self._opening = asyncio.ensure_future(asyncio.to_thread(self._open))
        await asyncio.shield(self._opening)

    def _open(self) -> None:
        device = find_device(self.headset.input_name, "input")
        rate = SAMPLE_RATE
        try:
            sd.check_input_settings(device=device, channels=1, dtype="int16", samplerate=rate)
        except (sd.PortAudioError, ValueError):
            rate = int(sd.query_devices(device)["default_samplerate"])
            self._resampler = av.AudioResampler(
                format="s16", layout="mono", rate=SAMPLE_RATE, frame_size=FRAME_SAMPLES
            )
            log.info("microphone records at %d Hz, resampled to %d Hz", rate, SAMPLE_RATE)
        self._rate = rate
        try:
            stream = self.headset.open_stream(
                lambda: sd.InputStream(
                    device=device,
                    channels=1,
                    samplerate=rate,
                    dtype="int16",
                    blocksize=rate * FRAME_SAMPLES // SAMPLE_RATE,
                    latency="high",
                    callback=self._on_audio,
                )
            )
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"microphone cannot be opened: {exc}") from exc
        self._holder.opened(stream)

    def _on_audio(self, indata: np.ndarray, frames: int, _time: object, _status: object) -> None:
        """PortAudio's thread: no waiting, no logging here."""
        pts = self._captured
        self._captured += frames
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop closed between the check and here
                loop.call_soon_threadsafe(self._put, pts, indata.tobytes())

    def _put(self, pts: int, data: bytes) -> None:
        if self._queue is None or self.readyState != "live":
            return
        self.blocks_recorded += 1
        self.last_audio_at = time.monotonic()
        while self._queue.qsize() >= self._queue_frames:
            self._queue.get_nowait()
            self.blocks_dropped += 1
        self._queue.put_nowait((pts, data))

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._queue is None:
            await self.start()
        assert self._queue is not None
        while not self._pending:
            block = await self._next_block()
            if block is None:
                raise MediaStreamError
            pts, data = block
            frame = _frame(data, self._rate, pts)
            if self._resampler is None:
                return frame
            for out in self._resampler.resample(frame):
                out.pts, out.time_base = self._resampled, TIME_BASE
                self._resampled += out.samples
                self._pending.append(out)
        return self._pending.pop(0)

    async def _next_block(self) -> tuple[int, bytes] | None:
        # A plain get, no asyncio.wait_for: on Python 3.11 wait_for can swallow the sender's
        # cancellation when the get completes at the same moment, and aiortc's sender then
        # never stops (RTCPeerConnection.close() hung here). A silent microphone is noticed by
        # BoothCall's watchdog from ``last_audio_at`` instead.
        assert self._queue is not None
        return await self._queue.get()

    def stop(self) -> None:
        stream = self._holder.take()
        if stream is not None:
            # closing waits for PortAudio's lock and thread: not on the loop, which draws the UI
            self._closer = threading.Thread(
                target=self.headset.close_stream, args=(stream,), name="call-mic-close"
            )
            self._closer.start()
        if self._queue is not None and self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
        super().stop()

    async def aclose(self) -> None:
        """``stop()``, then wait until the device is really closed (also one still opening)."""
        self.stop()
        if self._opening is not None:
            await asyncio.gather(self._opening, return_exceptions=True)
        if self._closer is not None:
            await asyncio.to_thread(self._closer.join)


def _frame(data: bytes, rate: int, pts: int) -> av.AudioFrame:
    samples = np.frombuffer(data, dtype=np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = fractions.Fraction(1, rate)
    return frame
