"""SharedCamera over real video files: fan-out, pacing, looping, unplug/replug, stills, factory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk.devices.camera import (
    CameraError,
    CameraState,
    Frame,
    SharedCamera,
    make_source,
    open_camera,
)
from kiosk.devices.camera_demo import DemoCameraSource
from kiosk.devices.camera_opencv import OpenCvCameraSource
from kiosk.devices.qr import QrDecoder, QrScanLoop
from tests.videos import TICKET, write_ticket_video


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def file_camera(path: Path, **kwargs: object) -> SharedCamera:
    source = OpenCvCameraSource(path, width=None, height=None)
    return SharedCamera(source, **kwargs)  # type: ignore[arg-type]


def test_every_consumer_gets_the_same_read_only_frames(ticket_video) -> None:
    path = ticket_video(fps=30, frames=20)
    seen: dict[str, list[Frame]] = {"preview": [], "decoder": [], "call": []}

    def consume(name: str, cam: SharedCamera) -> None:
        last = 0
        while len(seen[name]) < 8:
            frame = cam.wait_frame(after=last, timeout=5)
            assert frame is not None
            seen[name].append(frame)
            last = frame.number

    with file_camera(path) as cam:
        threads = [threading.Thread(target=consume, args=(n, cam)) for n in seen]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    numbers = {name: [f.number for f in frames] for name, frames in seen.items()}
    for frames in numbers.values():
        assert frames == sorted(set(frames)), "each consumer sees newer frames only"
    by_number: dict[int, Frame] = {}
    shared = 0
    for frames in seen.values():
        for frame in frames:
            if frame.number in by_number:
                assert frame is by_number[frame.number], "same frame object, no per-consumer copy"
                shared += 1
            by_number[frame.number] = frame
    assert shared > 0
    frame = seen["preview"][0]
    assert frame.image.shape == (720, 1280, 3) and frame.image.dtype == np.uint8
    with pytest.raises(ValueError):
        frame.image[0, 0, 0] = 1  # read-only: one consumer cannot scribble on another's frame


def test_file_source_is_paced_at_the_file_fps_like_a_live_camera(ticket_video) -> None:
    path = ticket_video(fps=20, frames=100)
    with file_camera(path) as cam:
        first = cam.wait_frame(timeout=5)
        assert first is not None
        time.sleep(1.0)
        latest = cam.latest()
    assert latest is not None
    delivered = latest.number - first.number
    assert 12 <= delivered <= 28, f"{delivered} frames in 1 s from a 20 fps file"


def test_file_source_loops_at_the_end(ticket_video) -> None:
    path = ticket_video(fps=30, frames=6)  # 0.2 s of video
    with file_camera(path) as cam:
        assert wait_for(lambda: (f := cam.latest()) is not None and f.number > 20, 5)
        assert cam.status is CameraState.OK
        # the corner marker shows which file frame it is: it went back to the first one
        markers = set()
        last = 0
        for _ in range(12):
            frame = cam.wait_frame(after=last, timeout=2)
            assert frame is not None
            last = frame.number
            markers.add(round(int(frame.image[4, 4, 0]) / 40))
    assert markers == set(range(6)), markers


def test_qr_scan_loop_reports_the_ticket_in_the_video_once(ticket_video) -> None:
    path = ticket_video(fps=15, frames=15)
    reported: list[str] = []
    with file_camera(path) as cam, QrScanLoop(cam, reported.append, repeat_after=30) as loop:
        assert wait_for(lambda: reported, 10)
        assert wait_for(lambda: loop.frames_decoded >= 10, 10)
    assert reported == [TICKET], "seen on every frame, reported once"


def test_qr_scan_loop_reports_again_after_forget(ticket_video) -> None:
    path = ticket_video(fps=15, frames=15)
    reported: list[str] = []
    with file_camera(path) as cam, QrScanLoop(cam, reported.append, repeat_after=30) as loop:
        assert wait_for(lambda: len(reported) == 1, 10)
        loop.forget()  # a new participant: the same ticket counts again
        assert wait_for(lambda: len(reported) == 2, 10)
    assert reported == [TICKET, TICKET]


def test_qr_scan_loop_repeats_a_payload_only_after_repeat_after(ticket_video) -> None:
    path = ticket_video(fps=15, frames=15)
    times: list[float] = []
    with (
        file_camera(path) as cam,
        QrScanLoop(cam, lambda _: times.append(time.monotonic()), repeat_after=0.6),
    ):
        assert wait_for(lambda: len(times) >= 3, 10)
    gaps = np.diff(times[:3])
    assert all(gap >= 0.6 for gap in gaps), gaps


def test_qr_scan_loop_skips_stale_frames_when_decoding_is_slow(ticket_video) -> None:
    path = ticket_video(fps=30, frames=30)

    class SlowDecoder(QrDecoder):
        def decode(self, frame: np.ndarray) -> list[str]:
            time.sleep(0.2)  # much slower than 30 fps: must not fall behind the camera
            return super().decode(frame)

    with file_camera(path) as cam:
        loop = QrScanLoop(cam, lambda _: None, decoder=SlowDecoder()).start()
        time.sleep(1.5)
        loop.stop()
        newest = cam.latest()
    assert newest is not None
    assert loop.frames_skipped > loop.frames_decoded, "stale frames skipped, not queued"


def test_paused_scan_loop_decodes_nothing_until_resumed(ticket_video) -> None:
    path = ticket_video(fps=15, frames=15)
    reported: list[str] = []
    with file_camera(path) as cam:
        loop = QrScanLoop(cam, reported.append)
        loop.pause()  # e.g. during the call, when the encoder needs the CPU
        with loop:
            time.sleep(0.8)
            assert loop.paused and loop.frames_decoded == 0 and reported == []
            loop.resume()
            assert wait_for(lambda: reported == [TICKET], 10)


def test_frame_brightness_tells_a_covered_lens_from_a_lit_scene() -> None:
    dark = Frame(np.zeros((720, 1280, 3), np.uint8), 1, 0.0)
    lit = Frame(np.full((720, 1280, 3), 200, np.uint8), 2, 0.0)
    assert dark.brightness() < 1 and lit.brightness() == pytest.approx(200, abs=1)


def test_missing_file_reports_missing_then_recovers_when_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "replugged.avi"
    changes: list[tuple[CameraState, str]] = []
    cam = file_camera(path, retry_interval=0.2)
    cam.on_status_change(lambda state, detail: changes.append((state, detail)))
    with cam:
        assert wait_for(lambda: cam.status is CameraState.MISSING, 5)
        assert "not found" in cam.detail and str(path) in cam.detail
        assert not cam.device_status().ok
        assert cam.latest() is None
        time.sleep(0.5)  # several retries while missing: still one "missing" report
        write_ticket_video(path, fps=15, frames=10)
        assert wait_for(lambda: cam.status is CameraState.OK, 5), cam.detail
        assert cam.wait_frame(timeout=5) is not None
        assert cam.device_status().ok
    states = [state for state, _ in changes]
    assert states == [
        CameraState.STARTING,
        CameraState.MISSING,
        CameraState.OK,
        CameraState.STOPPED,
    ], changes


def test_removed_file_reports_unplugged_then_recovers_when_put_back(
    tmp_path: Path,
) -> None:
    path = write_ticket_video(tmp_path / "cam.avi", fps=30, frames=6)
    spare = path.read_bytes()
    cam = file_camera(path, retry_interval=0.2)
    with cam:
        assert wait_for(lambda: cam.status is CameraState.OK, 5)
        path.unlink()  # "unplug": noticed at the end of the loop
        assert wait_for(lambda: cam.status is CameraState.UNPLUGGED, 5), cam.detail
        assert "removed" in cam.detail or "not found" in cam.detail
        before = cam.latest()
        assert before is not None
        path.write_bytes(spare)  # "replug"
        assert wait_for(lambda: cam.status is CameraState.OK, 5), cam.detail
        again = cam.wait_frame(after=before.number, timeout=5)
        assert again is not None and again.number > before.number, "numbering continues"


def test_undecodable_file_is_reported_missing_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "garbage.avi"
    path.write_bytes(b"not a video at all" * 100)
    with file_camera(path, retry_interval=0.2) as cam:
        assert wait_for(lambda: cam.status is CameraState.MISSING, 5)
        assert "garbage.avi" in cam.detail and "cannot be decoded" in cam.detail


def test_stalled_camera_stops_reporting_ok(ticket_video) -> None:
    path = ticket_video(fps=15, frames=10)

    class Freezing(OpenCvCameraSource):
        """A driver stuck inside read(), as a wedged USB camera does."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.frozen = threading.Event()
            self.release = threading.Event()

        def read(self) -> np.ndarray:
            if self.frozen.is_set():
                self.release.wait(10)
            return super().read()

    source = Freezing(path, width=None, height=None)
    cam = SharedCamera(source, stall_after=0.3)
    with cam:
        assert wait_for(lambda: cam.status is CameraState.OK, 5)
        source.frozen.set()
        assert wait_for(lambda: cam.status is CameraState.UNPLUGGED, 5)
        assert "no frame for" in cam.detail
        assert not cam.device_status().ok
        source.frozen.clear()
        source.release.set()
        assert wait_for(lambda: cam.status is CameraState.OK, 5)


def test_full_resolution_still_is_a_fresh_frame_at_source_size(ticket_video) -> None:
    path = ticket_video(size=(1920, 1080), fps=30, frames=30)
    with file_camera(path) as cam:
        first = cam.wait_frame(timeout=5)
        assert first is not None
        still = cam.full_resolution_still(candidates=3)
    assert still.size == (1920, 1080)
    assert still.number > first.number, "taken after the request, not a stale frame"


def test_full_resolution_still_without_frames_raises_with_status(tmp_path: Path) -> None:
    cam = file_camera(tmp_path / "none.avi", retry_interval=0.1)
    with cam, pytest.raises(CameraError, match="missing"):
        cam.full_resolution_still(timeout=0.5)


def test_requested_resolution_applies_to_file_sources(ticket_video) -> None:
    path = ticket_video(size=(640, 480), fps=15, frames=5)
    cam = SharedCamera(OpenCvCameraSource(path, width=1280, height=720))
    with cam:
        frame = cam.wait_frame(timeout=5)
    assert frame is not None and frame.size == (1280, 720)
    assert cam.frame_size == (1280, 720)


def test_open_camera_picks_the_backend_from_the_source(ticket_video) -> None:
    assert isinstance(make_source("demo:TGC4K7QX"), DemoCameraSource)
    device = make_source("0")
    assert isinstance(device, OpenCvCameraSource) and device.source == 0 and not device.is_file
    by_id = make_source("/dev/v4l/by-id/usb-Logitech_C920-video-index0")
    assert isinstance(by_id, OpenCvCameraSource) and not by_id.is_file
    video = make_source(str(ticket_video(frames=3)))
    assert isinstance(video, OpenCvCameraSource) and video.is_file


def test_unplugged_device_path_is_reported_missing_with_its_name() -> None:
    cam = open_camera("/dev/v4l/by-id/usb-not-plugged-video-index0", retry_interval=0.2)
    try:
        assert wait_for(lambda: cam.status is CameraState.MISSING, 5)
        status = cam.device_status()
    finally:
        cam.stop()
    assert not status.ok and "usb-not-plugged" in status.detail
    assert status.as_heartbeat() == {"ok": False, "detail": status.detail}


def test_demo_source_shows_a_decodable_ticket_qr_then_hides_it() -> None:
    source = DemoCameraSource("TGC4K7QX", fps=100, qr_after=0.2, qr_for=0.3, cycle=0.8)
    assert "DEMO" in source.description
    decoder = QrDecoder()
    source.open()
    try:
        results = []
        deadline = time.monotonic() + 1.6
        while time.monotonic() < deadline:
            frame = source.read()
            results.append(decoder.decode(frame) == ["TGC4K7QX"])
    finally:
        source.close()
    assert any(results) and not all(results), "the QR comes and goes"
    # on, off, on again: it repeats every cycle
    changes = sum(1 for a, b in zip(results, results[1:], strict=False) if a != b)
    assert changes >= 3, changes
