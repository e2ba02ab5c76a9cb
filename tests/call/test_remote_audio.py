"""RemoteAudioPlayer: the CS's voice on the earphones, with a bounded delay.

The buffer tests need no sound card; the player tests play into the PulseAudio null sink and
listen on its monitor."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from kiosk.call.remote_audio import RemoteAudioPlayer, _SampleBuffer
from kiosk.devices.headset import Headset, refresh_devices
from tests.call.conftest import run
from tests.call.console_peer import SineTrack
from tests.call.waiting import until

pytestmark = pytest.mark.timeout(30)


def _ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


def test_buffer_waits_for_prefill_then_plays_in_order() -> None:
    buffer = _SampleBuffer(prefill=100, limit=1000, window=10_000)
    out = np.ones(50, np.float32)
    buffer.push(_ramp(0, 60))
    assert buffer.pull(out) == 0 and not out.any(), "silence until prefill is reached"
    buffer.push(_ramp(60, 60))
    assert buffer.pull(out) == 50 and out[0] == 0 and out[-1] == 49
    assert buffer.pull(out) == 50 and out[0] == 50


def test_buffer_running_dry_plays_silence_and_primes_again() -> None:
    buffer = _SampleBuffer(prefill=100, limit=1000, window=10_000)
    buffer.push(_ramp(0, 120))
    out = np.ones(200, np.float32)
    assert buffer.pull(out) == 120 and not out[120:].any()
    assert buffer.underruns == 1
    buffer.push(_ramp(0, 50))
    assert buffer.pull(out) == 0, "waits for prefill again instead of stuttering"


def test_buffer_over_its_limit_drops_the_oldest_audio_down_to_prefill() -> None:
    buffer = _SampleBuffer(prefill=100, limit=1000, window=100_000)
    for i in range(11):
        buffer.push(_ramp(i * 100, 100))
    assert buffer.buffered == 100 and buffer.dropped == 1000
    out = np.zeros(100, np.float32)
    buffer.pull(out)
    assert out[0] == 1000, "the newest audio is kept"


def test_buffer_drops_a_standing_delay_after_one_window() -> None:
    """Audio that arrived in a burst once keeps a delay unless it is trimmed."""
    buffer = _SampleBuffer(prefill=100, limit=10_000, window=1_000)
    buffer.push(_ramp(0, 800))  # a burst: 800 in hand, 8x prefill
    out = np.zeros(100, np.float32)
    for i in range(20):  # then steady: one block in, one block out
        buffer.pull(out)
        buffer.push(_ramp(800 + i * 100, 100))
    assert buffer.buffered <= 200, f"{buffer.buffered} samples of delay left"
    assert buffer.dropped > 0 and buffer.underruns == 0


@pytest.mark.sound
def test_player_plays_a_track_on_the_earphones(pulse_null_sink: str) -> None:
    headset = Headset("pulse", "pulse")

    async def scenario() -> None:
        player = RemoteAudioPlayer(headset)
        track = SineTrack(1000, 0.5)
        try:
            player.start(track)
            assert await asyncio.wait_for(player.wait_open(), 5)
            await until(lambda: player.samples_played > 20_000, 5, "playing")
            level = await asyncio.to_thread(headset.mic_level, 0.5)
            assert 0.30 <= level.rms <= 0.40, level  # 0.5 / sqrt(2) = 0.354
            assert refresh_devices() is False, "the stream is open"
        finally:
            await player.stop()
            track.stop()
        assert refresh_devices() is True, "stop() closes the stream"
        assert player.frames_received > 25

    run(scenario())


@pytest.mark.sound
def test_player_without_earphones_still_drains_the_track(pulse_null_sink: str) -> None:
    async def scenario() -> None:
        player = RemoteAudioPlayer(Headset("pulse", "Sennheiser"))
        track = SineTrack()
        try:
            player.start(track)
            assert not await asyncio.wait_for(player.wait_open(), 5)
            assert player.error and "Sennheiser" in player.error
            await until(lambda: player.frames_received > 10, 2, "drained anyway")
        finally:
            await player.stop()
            track.stop()

    run(scenario())


@pytest.mark.sound
def test_stopping_while_the_earphones_are_still_opening_leaks_no_stream(pulse_null_sink) -> None:
    async def scenario() -> None:
        player = RemoteAudioPlayer(Headset("pulse", "pulse"))
        track = SineTrack()
        player.start(track)
        await asyncio.sleep(0)
        await player.stop()
        track.stop()
        assert refresh_devices() is True

    run(scenario())
