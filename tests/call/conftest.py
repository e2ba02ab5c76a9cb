"""Fixtures for the call tests: the booth camera on a real video file, the headset on the
private PulseAudio null sink (tests/conftest.py), and a bounded way to run a coroutine."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import sys
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kiosk.devices.audio_streams import STREAMS
from kiosk.devices.camera import SharedCamera, make_source
from kiosk.devices.headset import Headset
from tests.videos import write_ticket_video

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run ``coro`` on a fresh loop, failing (not hanging) after ``timeout`` seconds; on a
    timeout, print where every task and thread was stuck."""

    async def bounded() -> T:
        task = asyncio.ensure_future(coro)
        done, _ = await asyncio.wait([task], timeout=timeout)
        if done:
            return task.result()
        print(f"--- scenario still running after {timeout:g} s; tasks:", file=sys.stderr)
        for other in asyncio.all_tasks():
            other.print_stack(limit=6, file=sys.stderr)
        faulthandler.dump_traceback(sys.stderr, all_threads=True)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise TimeoutError(f"scenario not done within {timeout:g} s (stacks on stderr)")

    return asyncio.run(bounded())


def start_camera(video: Path, size: tuple[int, int], fps: float = 30.0) -> SharedCamera:
    camera = SharedCamera(make_source(str(video), width=size[0], height=size[1], fps=fps))
    camera.start()
    assert camera.wait_frame(0, 5.0) is not None, camera.detail
    return camera


@pytest.fixture(autouse=True)
def no_audio_stream_left_open() -> Iterator[None]:
    """Every test closes the streams it opened; one left open fails the test (and is closed
    here, so that it cannot disturb the tests after it). The registry is the process's one:
    the call's streams and the headset's own."""
    yield
    left = STREAMS.running()
    for stream in left:
        STREAMS.close(stream)
    assert not left, f"{len(left)} PortAudio stream(s) left open"


@pytest.fixture
def camera(tmp_path: Path) -> Iterator[SharedCamera]:
    """The booth camera: a 1280x720, 30 fps ticket video read through OpenCV, like a webcam."""
    video = write_ticket_video(tmp_path / "camera.avi", size=(1280, 720), fps=30, frames=60)
    camera = start_camera(video, (1280, 720))
    yield camera
    camera.stop()


@pytest.fixture
def headset(pulse_null_sink: str) -> Headset:
    """The booth headset: PortAudio's "pulse" device on the null sink; the microphone hears
    the sink's monitor, so the booth's microphone hears whatever its earphones play."""
    return Headset(input_name="pulse", output_name="pulse")


@pytest.fixture
def cs_video(tmp_path: Path) -> Path:
    """The CS camera for aiortc's MediaPlayer: a real 640x480 video file."""
    return write_ticket_video(tmp_path / "cs.avi", None, size=(640, 480), fps=30, frames=45)
