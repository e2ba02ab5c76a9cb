"""One owner for the process's PortAudio streams: the headset's own (level meter, tone) and the
call's (microphone and earphones tracks) open and close in the same registry, through the headset.

Real streams on PortAudio's "pulse" device on the private PulseAudio null sink.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from kiosk.booth_devices import BoothDevices
from kiosk.call.microphone_track import MicrophoneTrack
from kiosk.call.remote_audio import RemoteAudioPlayer
from kiosk.config import parse_config
from kiosk.devices.audio_streams import STREAMS
from kiosk.devices.headset import Headset, refresh_devices
from tests.call.conftest import run
from tests.call.waiting import until
from tests.media_tracks import SineTrack
from tests.videos import write_ticket_video

pytestmark = [pytest.mark.sound, pytest.mark.timeout(30)]


def test_closing_the_headset_stops_the_call_streams_and_its_own(headset: Headset) -> None:
    async def scenario() -> None:
        meter = headset.level_meter(lambda _level: None)
        microphone, player, cs_voice = MicrophoneTrack(headset), RemoteAudioPlayer(headset), None
        try:
            await microphone.start()
            cs_voice = SineTrack(440, 0.1)
            player.start(cs_voice)
            assert await asyncio.wait_for(player.wait_open(), 5)
            await until(lambda: microphone.last_audio_at is not None, 2, "microphone recording")

            # one registry: the meter, the call's microphone and its earphones
            assert len(headset.streams) == 3
            assert set(STREAMS.running()) == set(headset.streams)
            assert refresh_devices() is False

            assert headset.close() == 3
            assert headset.streams == [] and STREAMS.running() == []
            stopped_at = time.monotonic()
            await asyncio.sleep(0.3)
            assert microphone.last_audio_at is not None
            assert microphone.last_audio_at < stopped_at, "the call's microphone was stopped"
            assert refresh_devices() is True, "PortAudio may list devices again"
        finally:
            # their owners close them again later: harmless, PortAudio is not touched again
            meter.stop()
            await microphone.aclose()
            await player.stop()
            if cs_voice is not None:
                cs_voice.stop()
        assert STREAMS.running() == []

    run(scenario())


def test_closing_a_stream_twice_is_harmless(headset: Headset) -> None:
    meter = headset.level_meter(lambda _level: None)
    [stream] = headset.streams
    assert headset.close_stream(stream) is True
    assert headset.close_stream(stream) is False, "closed already: nothing to do"
    meter.stop()  # a third time, through the meter
    assert headset.streams == []


def test_closing_one_headset_leaves_another_headsets_streams_running(headset: Headset) -> None:
    other = Headset("pulse", "pulse", name="second headset")
    levels: list[float] = []
    meter = other.level_meter(lambda level: levels.append(level.rms))
    try:
        headset.level_meter(lambda _level: None)
        assert headset.close() == 1
        assert len(other.streams) == 1
        before = len(levels)
        time.sleep(0.3)
        assert len(levels) > before, "the other meter still measures"
    finally:
        meter.stop()


def test_stopping_the_booth_devices_releases_a_stream_a_call_left_open(
    headset: Headset, tmp_path: Path
) -> None:
    video = write_ticket_video(tmp_path / "camera.avi", frames=15)
    config = parse_config(
        {
            "booth": {"id": "tgc-01"},
            "hub": {"url": "http://127.0.0.1:9", "token": "t"},
            "camera": {"source": str(video)},
            "audio": {"input": "pulse", "output": "pulse"},
        }
    )
    devices = BoothDevices(config)

    async def forgotten_call() -> None:
        # a call's microphone nobody closed (a bug, or a call still closing at exit)
        await MicrophoneTrack(devices.headset).start()

    run(forgotten_call())
    assert len(devices.headset.streams) == 1
    devices.stop()
    assert STREAMS.running() == [] and refresh_devices() is True
