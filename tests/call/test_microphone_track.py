"""MicrophoneTrack: the headset microphone as 48 kHz mono 20 ms frames, from the null sink's
monitor (a tone played on the earphones is what the microphone hears)."""

from __future__ import annotations

import asyncio
import threading
from fractions import Fraction

import numpy as np
import pytest

from kiosk.call.microphone_track import FRAME_SAMPLES, SAMPLE_RATE, MicrophoneTrack
from kiosk.devices.headset import Headset, HeadsetMissing, refresh_devices
from tests.call.conftest import run

pytestmark = [pytest.mark.sound, pytest.mark.timeout(30)]


def test_frames_are_20_ms_of_48_khz_mono_s16_with_sample_timestamps(pulse_null_sink) -> None:
    async def scenario() -> list:
        track = MicrophoneTrack(Headset("pulse", "pulse"))
        try:
            await track.start()
            return [await track.recv() for _ in range(60)]
        finally:
            await track.aclose()

    frames = run(scenario())
    for frame in frames:
        assert (frame.format.name, frame.layout.name) == ("s16", "mono")
        assert (frame.sample_rate, frame.samples) == (SAMPLE_RATE, FRAME_SAMPLES)
        assert frame.time_base == Fraction(1, SAMPLE_RATE)
    steps = {b.pts - a.pts for a, b in zip(frames, frames[1:], strict=False)}
    assert steps == {FRAME_SAMPLES}, "one frame after the other, nothing dropped"


def test_microphone_hears_a_tone_at_its_level(pulse_null_sink) -> None:
    headset = Headset("pulse", "pulse")

    async def scenario() -> float:
        track = MicrophoneTrack(headset)
        player = threading.Thread(target=headset.play_tone, args=(1000, 1.5), daemon=True)
        loudest = 0.0
        try:
            await track.start()
            player.start()
            for _ in range(60):
                samples = (await track.recv()).to_ndarray().astype(np.float32) / 32768
                loudest = max(loudest, float(np.sqrt(np.mean(np.square(samples)))))
        finally:
            await track.aclose()
            if player.is_alive():
                await asyncio.to_thread(player.join, 5)
        return loudest

    assert 0.18 <= run(scenario()) <= 0.24  # a 0.3 sine: 0.212 RMS


def test_unknown_microphone_raises_headset_missing_naming_it(pulse_null_sink) -> None:
    track = MicrophoneTrack(Headset("Jabra EVOLVE 20", "pulse"))
    with pytest.raises(HeadsetMissing, match="Jabra EVOLVE 20"):
        run(track.start())


def test_stop_closes_the_stream_and_ends_recv(pulse_null_sink) -> None:
    from aiortc.mediastreams import MediaStreamError

    async def scenario() -> None:
        track = MicrophoneTrack(Headset("pulse", "pulse"))
        try:
            await track.start()
            await track.recv()
            assert refresh_devices() is False
            pending = asyncio.ensure_future(track.recv())
            await asyncio.sleep(0)
            track.stop()
            with pytest.raises(MediaStreamError):
                await asyncio.wait_for(pending, 1)
        finally:
            await track.aclose()
        assert refresh_devices() is True

    run(scenario())


def test_stopping_while_the_device_is_still_opening_leaks_no_stream(pulse_null_sink) -> None:
    async def scenario() -> None:
        track = MicrophoneTrack(Headset("pulse", "pulse"))
        starting = asyncio.ensure_future(track.start())
        await asyncio.sleep(0)
        starting.cancel()  # e.g. the CS hung up while the booth was answering
        await track.aclose()
        assert refresh_devices() is True, "the stream opened after stop() was closed at once"

    run(scenario())
