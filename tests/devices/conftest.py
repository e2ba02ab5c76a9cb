"""Fixtures for the device layer: real video files with ticket QRs, and no audio stream left
open (the PulseAudio null sink is in tests/conftest.py, shared with the end-to-end tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.devices.audio_streams import STREAMS
from tests.videos import TICKET, write_ticket_video


@pytest.fixture(autouse=True)
def no_audio_stream_left_open() -> Iterator[None]:
    """A headset test that leaves a PortAudio stream open fails (and the stream is closed here,
    so that it cannot disturb the tests after it)."""
    yield
    left = STREAMS.running()
    for stream in left:
        STREAMS.close(stream)
    assert not left, f"{len(left)} PortAudio stream(s) left open"


@pytest.fixture
def ticket_video(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``ticket_video(name="cam.avi", payload=..., size=..., fps=..., frames=...)``."""

    def make(name: str = "camera.avi", payload: str | None = TICKET, **kwargs: object) -> Path:
        return write_ticket_video(tmp_path / name, payload, **kwargs)  # type: ignore[arg-type]

    return make
