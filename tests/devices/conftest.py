"""Fixtures for the device layer: real video files with ticket QRs, a real PulseAudio server.

No mocks: the camera tests read files OpenCV writes here, the headset tests play and record
through a PulseAudio null sink (DESIGN.md "Testing here").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.devices.qr_image import phone_card

TICKET = "BLK1.TGC4K7QX.MFRGGZDFMZTWQ2LKNNWG23TPOA"


def write_ticket_video(
    path: Path,
    payload: str | None = TICKET,
    *,
    size: tuple[int, int] = (1280, 720),
    fps: float = 15.0,
    frames: int = 30,
) -> Path:
    """Write an MJPG .avi of a phone showing ``payload`` over a moving background.

    Written to a temporary name and renamed, the way a camera node appears all at once: the
    reader never sees a half-written file. Each frame carries its index (mod 7) as a grey level
    in the top-left corner, so tests can tell which file frame they got.
    """
    width, height = size
    tmp = path.with_name(path.name + ".part.avi")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write MJPG/.avi here"
    card = phone_card(payload, qr_px=min(height // 3, 300)) if payload else None
    x = np.arange(width, dtype=np.float32)[None, :]
    y = np.arange(height, dtype=np.float32)[:, None]
    for i in range(frames):
        wave = 0.5 + 0.5 * np.sin((x + 12 * i) / 40.0) * np.cos(y / 55.0)
        grey = (50 + 120 * wave).astype(np.uint8)
        frame = cv2.merge([grey, grey, grey])
        if card is not None:
            ch, cw = card.shape[:2]
            top, left = (height - ch) // 2, (width - cw) // 2
            frame[top : top + ch, left : left + cw] = card
        frame[:16, :16] = 40 * (i % 7)
        writer.write(frame)
    writer.release()
    os.replace(tmp, path)
    return path


@pytest.fixture
def ticket_video(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``ticket_video(name="cam.avi", payload=..., size=..., fps=..., frames=...)``."""

    def make(name: str = "camera.avi", payload: str | None = TICKET, **kwargs: object) -> Path:
        return write_ticket_video(tmp_path / name, payload, **kwargs)  # type: ignore[arg-type]

    return make


def _pactl(server: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PULSE_SERVER": server}
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10, env=env)


@pytest.fixture(scope="session")
def pulse_null_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private PulseAudio server with a null sink ``booth`` as default sink, its monitor as
    default source; yields the server address and points this process at it.

    As DESIGN.md "Testing here" describes, with two differences:
    - run in the foreground with its own socket: the test owns the process (stops it by its own
      handle), and other PulseAudio users on the machine (a demo, another test run) cannot play
      into the sink this test measures;
    - a ``parec`` reads the monitor with 20 ms latency for the whole session. Without a
      low-latency reader the null sink runs with 2 s of latency: measured here, a 1 s write took
      ~2.9 s and a recording's first audio came after more than a second, so every bounded call
      of the headset timed out. A real headset's sound card clock never behaves like that.
    Fails, never skips, when PulseAudio cannot start: the headset tests must run.
    """
    for tool in ("pulseaudio", "pactl", "parec"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not installed: run `make install` (Debian pulseaudio)")
    runtime = tmp_path_factory.mktemp("pulse")
    socket = runtime / "native"
    server = f"unix:{socket}"
    log_path = runtime / "pulseaudio.log"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    procs: list[subprocess.Popen[bytes]] = []
    previous = os.environ.get("PULSE_SERVER")
    with open(log_path, "wb") as log:
        procs.append(
            subprocess.Popen(
                [
                    "pulseaudio",
                    "-n",  # no default.pa: only the modules below
                    "--daemonize=no",
                    "--exit-idle-time=-1",
                    "--use-pid-file=no",
                    "--log-target=stderr",
                    "-L",
                    f"module-native-protocol-unix socket={socket} auth-anonymous=1",
                    "-L",
                    "module-null-sink sink_name=booth",
                ],
                stdout=log,
                stderr=log,
                env=env,
            )
        )
    try:
        deadline = time.monotonic() + 15
        while _pactl(server, "info").returncode != 0:
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"PulseAudio did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        for args in (("set-default-sink", "booth"), ("set-default-source", "booth.monitor")):
            done = _pactl(server, *args)
            if done.returncode != 0:
                pytest.fail(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        procs.append(
            subprocess.Popen(
                ["parec", "--latency-msec=20", "--device=booth.monitor", "--raw"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**env, "PULSE_SERVER": server},
            )
        )
        deadline = time.monotonic() + 10
        while "RUNNING" not in _pactl(server, "list", "short", "sources").stdout:
            if time.monotonic() > deadline:
                pytest.fail("the null sink's monitor never started running (parec failed?)")
            time.sleep(0.05)
        os.environ["PULSE_SERVER"] = server
        from kiosk.devices.headset import Headset, HeadsetMissing, refresh_devices

        refresh_devices()  # PortAudio listed devices at import, before this server existed
        # Warm up: the very first playback stream on a fresh server stalled here once for
        # >1.5 s; later ones start within ~10 ms. Tests measure the steady state.
        for attempt in range(3):
            try:
                Headset("pulse", "pulse").play_tone(440, 0.2, amplitude=0.0)
                break
            except HeadsetMissing as exc:
                if attempt == 2:
                    pytest.fail(f"no audio through the PulseAudio null sink: {exc}")
        yield server
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if previous is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = previous
