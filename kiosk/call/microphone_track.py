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
import time

import av
import numpy as np
import sounddevice as sd
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from kiosk.devices.headset import Headset, HeadsetMissing, _abort, _start, find_device

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms, aiortc's audio packetization time
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
#: A silent microphone is logged once it has delivered nothing for this long.
STALL_SECONDS = 1.0


class MicrophoneTrack(MediaStreamTrack):
    """Audio from the headset microphone (by name substring, as ``Headset`` finds it).

    ``await start()`` opens the device (raises ``HeadsetMissing``); then ``recv`` returns one
    ``av.AudioFrame`` (s16, mono, 48 kHz, 960 samples) per 20 ms. Devices that cannot record at
    48 kHz record at their own rate and are resampled. Timestamps count samples recorded, so a
    dropped block leaves a gap in time rather than shifting everything after it.

    Create, start and ``recv`` on the asyncio loop; ``stop()`` may be called from anywhere.
    """

    kind = "audio"

    def __init__(self, headset: Headset | None = None, *, queue_frames: int = 10) -> None:
        """``queue_frames``: blocks kept while the sender is busy (10 = 200 ms)."""
        super().__init__()
        self.headset = headset or Headset()
        self._queue: asyncio.Queue[tuple[int, bytes] | None] | None = None
        self._queue_frames = queue_frames
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stream: sd.InputStream | None = None
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
        """Open and start the microphone stream (off the loop: PortAudio may take a while)."""
        if self._stream is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._stream = await asyncio.to_thread(self._open)

    def _open(self) -> sd.InputStream:
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
            stream = sd.InputStream(
                device=device,
                channels=1,
                samplerate=rate,
                dtype="int16",
                blocksize=rate * FRAME_SAMPLES // SAMPLE_RATE,
                latency="low",
                callback=self._on_audio,
            )
            _start(stream)
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"microphone cannot be opened: {exc}") from exc
        return stream

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
        assert self._queue is not None
        try:
            return await asyncio.wait_for(self._queue.get(), STALL_SECONDS)
        except TimeoutError:
            log.warning("microphone delivered nothing for %.0f s; still waiting", STALL_SECONDS)
            return await self._queue.get()

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            _abort(stream)
        if self._queue is not None and self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
        super().stop()


def _frame(data: bytes, rate: int, pts: int) -> av.AudioFrame:
    samples = np.frombuffer(data, dtype=np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = fractions.Fraction(1, rate)
    return frame
