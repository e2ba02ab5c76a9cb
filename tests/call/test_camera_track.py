"""CameraTrack: the shared camera's frames for the call, paced, timestamped, downscaled, and
never blocking the loop. The camera is a real video file read through OpenCV."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from kiosk.call.camera_track import VIDEO_CLOCK_RATE, CameraTrack, fit_size
from tests.call.conftest import run, start_camera
from tests.videos import write_ticket_video

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    ("size", "bound", "fitted"),
    [
        ((1280, 720), (640, 480), (640, 360)),  # keeps 16:9 inside a 4:3 bound
        ((1280, 720), (1280, 720), (1280, 720)),
        ((640, 480), (1280, 720), (640, 480)),  # never upscaled
        ((1920, 1080), (1280, 720), (1280, 720)),
        ((640, 480), (640, 360), (480, 360)),
        ((1280, 720), None, (1280, 720)),
        ((1281, 721), None, (1280, 720)),  # even, for YUV 4:2:0
        ((1000, 1000), (640, 480), (480, 480)),
    ],
)
def test_fit_size_keeps_the_shape_inside_the_bound(size, bound, fitted) -> None:
    assert fit_size(size, bound) == fitted


async def _collect(track: CameraTrack, seconds: float) -> list:
    frames = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frames.append(await track.recv())
    return frames


def test_frames_come_at_the_camera_rate_with_monotonic_capture_timestamps(tmp_path: Path):
    video = write_ticket_video(tmp_path / "cam.avi", size=(640, 480), fps=15, frames=30)
    camera = start_camera(video, (640, 480), fps=15)
    try:
        track = CameraTrack(camera, (640, 480))
        frames = run(_collect(track, 2.0))
        track.stop()
    finally:
        camera.stop()
    assert 20 <= len(frames) <= 33, f"{len(frames)} frames in 2 s from a 15 fps camera"
    pts = [f.pts for f in frames]
    assert all(b > a for a, b in zip(pts, pts[1:], strict=False)), "strictly increasing"
    gaps = np.diff(pts) / VIDEO_CLOCK_RATE
    assert abs(float(np.median(gaps)) - 1 / 15) < 0.01, "timestamps follow the capture times"
    assert all(f.format.name == "yuv420p" and (f.width, f.height) == (640, 480) for f in frames)
    assert track.frames_sent == len(frames)


def test_a_fast_camera_is_capped_at_max_fps(tmp_path: Path):
    video = write_ticket_video(tmp_path / "cam.avi", None, size=(320, 240), fps=60, frames=60)
    camera = start_camera(video, (320, 240), fps=60)
    try:
        track = CameraTrack(camera, None, max_fps=20)
        frames = run(_collect(track, 2.0))
        track.stop()
    finally:
        camera.stop()
    assert 28 <= len(frames) <= 44, f"{len(frames)} frames in 2 s at max_fps=20"


def test_frames_are_downscaled_to_the_send_size_keeping_the_picture(camera) -> None:
    track = CameraTrack(camera, (640, 480))
    frame = run(track.recv())
    track.stop()
    assert (frame.width, frame.height) == (640, 360)
    sent = frame.to_ndarray(format="bgr24")
    source = camera.latest().image
    # the same picture, smaller: compare both at the send size
    import cv2

    expected = cv2.resize(source, (640, 360), interpolation=cv2.INTER_AREA)
    assert float(np.abs(sent.astype(int) - expected.astype(int)).mean()) < 12


def test_each_camera_frame_is_sent_once(camera) -> None:
    track = CameraTrack(camera, (320, 240))

    async def two() -> tuple[float, list]:
        first = await track.recv()
        start = time.monotonic()
        second = await track.recv()
        return time.monotonic() - start, [first, second]

    waited, (first, second) = run(two())
    track.stop()
    assert second.pts > first.pts
    assert waited > 0.01, "the second recv waited for the camera's next frame"


def test_waiting_for_a_stalled_camera_does_not_block_the_loop(tmp_path: Path) -> None:
    video = write_ticket_video(tmp_path / "cam.avi", None, size=(320, 240), fps=15, frames=15)
    camera = start_camera(video, (320, 240), fps=15)
    camera.stop()  # the camera stops delivering: recv waits on its worker thread

    async def scenario() -> tuple[list[float], float]:
        track = CameraTrack(camera, None)
        pending = asyncio.ensure_future(track.recv())
        lags = []
        for _ in range(50):
            start = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - start - 0.01)
        assert not pending.done(), "no frame while the camera is down"
        stopped = time.monotonic()
        track.stop()
        with pytest.raises(MediaStreamError):
            await pending
        return lags, time.monotonic() - stopped

    cpu = time.process_time()
    lags, ended_after = run(scenario())
    # blocking would show as a 250 ms stall (one wait for the camera); allow for a busy machine
    assert max(lags) < 0.1, f"loop blocked {max(lags) * 1000:.0f} ms"
    assert ended_after < 0.5, "stop() ends a waiting recv promptly"
    assert time.process_time() - cpu < 0.5, "waiting does not spin the CPU"


def test_recv_after_stop_raises(camera) -> None:
    track = CameraTrack(camera)
    track.stop()
    with pytest.raises(MediaStreamError):
        run(track.recv())
