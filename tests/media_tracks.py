"""Synthetic media for the aiortc peers the tests put on the other end of a call."""

from __future__ import annotations

import asyncio
import fractions
import math
import time

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960


class SineTrack(MediaStreamTrack):
    """A sine on the CS microphone, paced in real time; ``paused`` stops it sending."""

    kind = "audio"

    def __init__(self, freq: float = 440.0, amplitude: float = 0.3) -> None:
        super().__init__()
        self.freq, self.amplitude = freq, amplitude
        self.running = asyncio.Event()
        self.running.set()
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await self.running.wait()
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / SAMPLE_RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        elif wait < -0.1:  # resumed after a pause: restart the clock, keep timestamps rising
            self._start = time.monotonic() - self._pts / SAMPLE_RATE
        t = (self._pts + np.arange(FRAME_SAMPLES)) / SAMPLE_RATE
        samples = (self.amplitude * 32767 * np.sin(2 * math.pi * self.freq * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts, frame.time_base = self._pts, fractions.Fraction(1, SAMPLE_RATE)
        self._pts += FRAME_SAMPLES
        return frame
