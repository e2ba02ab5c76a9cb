"""Fixtures for the device layer: real video files with ticket QRs (the PulseAudio null sink
is in tests/conftest.py, shared with the end-to-end tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.videos import TICKET, write_ticket_video


@pytest.fixture
def ticket_video(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``ticket_video(name="cam.avi", payload=..., size=..., fps=..., frames=...)``."""

    def make(name: str = "camera.avi", payload: str | None = TICKET, **kwargs: object) -> Path:
        return write_ticket_video(tmp_path / name, payload, **kwargs)  # type: ignore[arg-type]

    return make
