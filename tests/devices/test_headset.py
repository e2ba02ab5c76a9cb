"""Headset through a real PulseAudio null sink: a tone played is heard on the sink's monitor.

DESIGN.md measured RMS 0.21 for a 0.3 sine round-tripped this way (0.3 / sqrt(2) = 0.212).
"""

from __future__ import annotations

import threading
import time

import pytest

from kiosk.devices.headset import (
    STREAM_ALLOWANCE,
    Headset,
    HeadsetMissing,
    Level,
    device_names,
    find_device,
    level_of,
    refresh_devices,
)

pytestmark = pytest.mark.sound


@pytest.fixture
def headset(pulse_null_sink: str) -> Headset:
    # "pulse" is the ALSA plugin device that PortAudio lists; on a booth this is a substring of
    # the USB headset's name from kiosk.toml
    return Headset(input_name="pulse", output_name="pulse")


def test_tone_played_is_heard_back_on_the_monitor(headset: Headset) -> None:
    levels: list[Level] = []
    with headset.level_meter(levels.append):
        time.sleep(0.3)
        quiet = list(levels)
        headset.play_tone(440, 1.0, amplitude=0.3)
        time.sleep(0.2)
    loud = [lv.rms for lv in levels[len(quiet) :]]
    assert quiet and max(lv.rms for lv in quiet) < 0.01, "silence before the tone"
    assert 0.18 <= max(loud) <= 0.24, f"0.3 sine should measure ~0.212 RMS, got {max(loud):.3f}"
    assert max(lv.peak for lv in levels) == pytest.approx(0.3, abs=0.03)


def test_mic_level_measures_a_tone_playing_at_the_same_time(headset: Headset) -> None:
    player = threading.Thread(target=headset.play_tone, args=(1000, 1.5), kwargs={"amplitude": 0.5})
    player.start()
    time.sleep(0.3)
    level = headset.mic_level(0.6)
    player.join(5)
    assert 0.30 <= level.rms <= 0.40, level  # 0.5 / sqrt(2) = 0.354
    assert -10 < level.dbfs < -8


def test_mic_level_of_silence_is_very_low(headset: Headset) -> None:
    level = headset.mic_level(0.3)
    assert level.dbfs < -60


def test_level_meter_reports_about_twenty_times_a_second(headset: Headset) -> None:
    count = 0

    def tick(_: Level) -> None:
        nonlocal count
        count += 1

    meter = headset.level_meter(tick, rate_hz=20)
    time.sleep(1.0)
    meter.stop()
    assert 14 <= count <= 26, count


def test_calls_return_within_the_time_asked(headset: Headset) -> None:
    t0 = time.monotonic()
    headset.play_tone(440, 0.3)
    played = time.monotonic() - t0
    t0 = time.monotonic()
    headset.mic_level(0.3)
    recorded = time.monotonic() - t0
    assert 0.25 <= played <= 0.3 + STREAM_ALLOWANCE
    assert 0.25 <= recorded <= 0.3 + STREAM_ALLOWANCE


def test_check_names_the_devices(headset: Headset) -> None:
    status = headset.check()
    assert status.ok and status.name == "headset"
    assert "pulse" in status.detail


def test_default_devices_are_used_when_no_name_is_configured(pulse_null_sink: str) -> None:
    assert Headset().check().ok
    assert find_device(None, "input") >= 0 and find_device("", "output") >= 0


def test_unknown_device_name_raises_headset_missing_saying_what_exists(
    pulse_null_sink: str,
) -> None:
    headset = Headset(input_name="Jabra EVOLVE 20", output_name="pulse")
    with pytest.raises(HeadsetMissing) as caught:
        headset.mic_level(0.2)
    message = str(caught.value)
    assert "'Jabra EVOLVE 20'" in message and "input" in message
    assert "available:" in message and "pulse" in message
    with pytest.raises(HeadsetMissing, match="Jabra"):
        headset.level_meter(lambda _: None)
    status = headset.check()
    assert not status.ok and "Jabra EVOLVE 20" in status.detail


def test_unknown_output_name_raises_headset_missing(pulse_null_sink: str) -> None:
    with pytest.raises(HeadsetMissing, match="output audio device named like 'Sennheiser'"):
        Headset(output_name="Sennheiser").play_tone(440, 0.1)


def test_device_names_lists_what_portaudio_sees(pulse_null_sink: str) -> None:
    assert any("pulse" in name for name in device_names("input"))
    assert any("pulse" in name for name in device_names("output"))


def test_level_of_known_signals() -> None:
    import numpy as np

    assert level_of(np.zeros(100, np.float32)).dbfs == -120.0
    full = level_of(np.ones(100, np.float32))
    assert full.rms == pytest.approx(1.0) and full.dbfs == pytest.approx(0.0)
    half = level_of(np.full(100, 0.5, np.float32))
    assert half.dbfs == pytest.approx(-6.02, abs=0.01)
    assert level_of(np.zeros(0, np.float32)) == Level(0.0, 0.0)


def test_devices_are_not_refreshed_under_an_open_stream(headset: Headset) -> None:
    meter = headset.level_meter(lambda _: None)
    try:
        assert refresh_devices() is False, "would pull PortAudio from under the meter"
    finally:
        meter.stop()
    assert refresh_devices() is True
    assert headset.check().ok
