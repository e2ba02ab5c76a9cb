"""RemoteVideoSink: the CS's newest picture as BGR for the UI, drained as fast as it comes."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from kiosk.call.remote_video import RemoteFrame, RemoteVideoSink
from tests.call.conftest import run
from tests.call.console_peer import PatternTrack
from tests.call.waiting import until

pytestmark = pytest.mark.timeout(30)


def test_sink_keeps_the_newest_frame_as_bgr_and_counts_frames() -> None:
    firsts: list[RemoteFrame] = []

    async def scenario() -> None:
        sink = RemoteVideoSink(on_first_frame=firsts.append)
        assert sink.latest() is None
        track = PatternTrack((320, 240))
        sink.start(track)
        first = await asyncio.wait_for(sink.wait_first_frame(), 2)
        await until(lambda: sink.frames_received >= 15, 2, "frames at 30 fps")
        latest = sink.latest()
        assert latest is not None and latest.number == sink.frames_received
        assert latest.size == (320, 240) and latest.image.shape == (240, 320, 3)
        assert latest.image.dtype == np.uint8 and not latest.image.flags.writeable
        assert first.number == 1 and latest.timestamp > first.timestamp
        assert sink.first_frame_at == first.timestamp
        # BGR of the pattern: grey (x + y + 8n) % 256, so the three channels agree
        assert np.array_equal(latest.image[..., 0], latest.image[..., 2])
        await sink.stop()
        count = sink.frames_received
        await asyncio.sleep(0.2)
        assert sink.frames_received == count, "stopped"
        track.stop()

    run(scenario())
    assert len(firsts) == 1 and firsts[0].number == 1


def test_sink_ends_quietly_when_the_track_ends() -> None:
    async def scenario() -> None:
        sink = RemoteVideoSink()
        track = PatternTrack((64, 48))
        sink.start(track)
        await until(lambda: sink.frames_received > 0, 2, "a frame")
        track.stop()
        await asyncio.sleep(0.1)
        await sink.stop()

    run(scenario())
