"""Call bench: the booth's side of a WebRTC call against a CS peer in another process.

Run: ``python -m bench.call [--calls N] [--seconds S] [--codecs VP8,H264] [--sizes 640x480,...]``.

Two numbers from DESIGN.md "Numbers to beat":

- **First remote frame**: from the CS's offer reaching the booth (``BoothCall.answer`` called) to
  the first CS video frame decoded at the booth, median over ``--calls`` calls per codec. Target
  ≤ 1 s on loopback. Signaling goes over a pipe to the CS process, standing in for the hub.
- **Booth CPU** for a call that sends and receives W×H at 30 fps, per codec: CPU time of the
  booth process (``getrusage``: every thread, the encoder and decoder threads included) over
  ``--seconds`` of a connected call, as a percentage of one core. The "camera only" row is the same
  process with the shared camera running and no call: the call's own cost is the difference.

The booth is the real ``BoothCall``: the shared camera reads a real video file through OpenCV at
30 fps; the headset is PortAudio's "pulse" device on a private PulseAudio null sink (as in the
tests), so the microphone and earphones streams and the Opus work are counted too. The CS is an
aiortc peer in a child process (so its CPU is not counted) sending the same kind of video at the
same size, 30 fps, and a sine on its microphone; it forces the codec with ``setCodecPreferences``
on its offer. The bench shares the machine: the header shows the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import logging
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

TARGET_FIRST_FRAME_S = 1.0
FPS = 30
SAMPLE_RATE = 48_000


# --- media files ---------------------------------------------------------------------------


def write_video(path: Path, size: tuple[int, int], frames: int = 60) -> Path:
    """An MJPG file looking roughly like a webcam: a lit scene, a moving person-sized shape,
    sensor noise. Encoders spend what real pictures cost, unlike on a flat test pattern."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, size)
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write MJPG/.avi here")
    rng = np.random.default_rng(7)
    low = rng.integers(60, 200, (9, 16, 3)).astype(np.uint8)
    scene = cv2.resize(low, size, interpolation=cv2.INTER_CUBIC)
    for i in range(frames):
        frame = scene.copy()
        sway = math.sin(2 * math.pi * i / frames)
        centre = (int(width * (0.5 + 0.08 * sway)), int(height * 0.55))
        cv2.ellipse(frame, centre, (width // 7, height // 3), 0, 0, 360, (60, 90, 140), -1)
        cv2.circle(frame, (centre[0], centre[1] - height // 3), height // 8, (80, 120, 170), -1)
        noise = rng.normal(0, 4, frame.shape)
        writer.write(np.clip(frame + noise, 0, 255).astype(np.uint8))
    writer.release()
    return path


# --- the CS peer (child process) -----------------------------------------------------------


async def _cs_peer() -> None:
    """Commands as JSON lines on stdin, replies as JSON lines on stdout."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
    from av import AudioFrame, VideoFrame

    from kiosk.call.codecs import only

    class Sine(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self._pts, self._start = 0, time.monotonic()

        async def recv(self) -> AudioFrame:
            wait = self._start + self._pts / SAMPLE_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            t = (self._pts + np.arange(960)) / SAMPLE_RATE
            samples = (0.2 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
            frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate, frame.pts = SAMPLE_RATE, self._pts
            frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
            self._pts += 960
            return frame

    class Camera(VideoStreamTrack):
        """The CS webcam: the video file's frames, decoded once, sent at exactly 30 fps
        (aiortc's MediaPlayer bursts when it loops a file, which would inflate the booth's
        receive side)."""

        def __init__(self, frames: list[VideoFrame]) -> None:
            super().__init__()
            self._frames, self._n = frames, 0

        async def recv(self) -> VideoFrame:
            pts, time_base = await self.next_timestamp()
            source = self._frames[self._n % len(self._frames)]
            self._n += 1
            frame = VideoFrame.from_ndarray(source.to_ndarray(), format="yuv420p")
            frame.pts, frame.time_base = pts, time_base
            return frame

    decoded: dict[str, list[VideoFrame]] = {}

    def frames_of(path: str) -> list[VideoFrame]:
        if path not in decoded:
            capture, frames = cv2.VideoCapture(path), []
            while (got := capture.read())[0]:
                yuv = cv2.cvtColor(got[1], cv2.COLOR_BGR2YUV_I420)
                frames.append(VideoFrame.from_ndarray(yuv, format="yuv420p"))
            capture.release()
            decoded[path] = frames
        return decoded[path]

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    counts = {"video": 0, "audio": 0}
    pc: Any = None
    tasks: list[asyncio.Task[None]] = []

    async def drain(track: Any) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            counts[track.kind] += 1

    def reply(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    async def hang_up() -> None:
        nonlocal pc
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()
        if pc is not None:
            await pc.close()
        pc = None

    while line := await reader.readline():
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "offer":
            await hang_up()
            counts.update(video=0, audio=0)
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            pc.on("track", lambda track: tasks.append(asyncio.ensure_future(drain(track))))
            video = pc.addTransceiver(Camera(frames_of(cmd["video"])), direction="sendrecv")
            video.setCodecPreferences(only(cmd["codec"]))
            pc.addTransceiver(Sine(), direction="sendrecv")
            await pc.setLocalDescription(await pc.createOffer())
            reply({"sdp": pc.localDescription.sdp})
        elif op == "answer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp=cmd["sdp"], type="answer"))
            reply({"ok": True})
        elif op == "stats":
            reply(dict(counts))
        elif op == "hangup":
            await hang_up()
            reply({"ok": True})
        elif op == "quit":
            await hang_up()
            reply({"ok": True})
            return


class CsProcess:
    """The CS peer's process, driven over its stdin/stdout."""

    def __init__(self) -> None:
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.call",
            "--cs-peer",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=str(Path(__file__).resolve().parents[1]),
        )

    async def ask(self, **cmd: Any) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin and self._proc.stdout
        self._proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self._proc.stdin.drain()
        line = await asyncio.wait_for(self._proc.stdout.readline(), 30)
        if not line:
            raise RuntimeError("the CS peer process ended")
        return json.loads(line)

    async def stop(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(Exception):
            await self.ask(op="quit")
        try:
            await asyncio.wait_for(self._proc.wait(), 5)
        except TimeoutError:
            self._proc.kill()
            await self._proc.wait()


# --- the booth -----------------------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class LoopLag:
    """How late 10 ms sleeps wake up on the booth's loop (the loop Kivy draws on)."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> LoopLag:
        self._task = asyncio.ensure_future(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    async def _run(self) -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(0.01)
            self.lags.append(time.monotonic() - start - 0.01)

    def p99_max_ms(self) -> tuple[float, float]:
        lags = sorted(self.lags) or [0.0]
        return lags[int(len(lags) * 0.99)] * 1000, lags[-1] * 1000


class Booth:
    """The booth process's devices for the bench: a camera per size, the headset."""

    def __init__(self, workdir: Path, headset: Any) -> None:
        self.workdir = workdir
        self.headset = headset
        self.videos: dict[tuple[int, int], Path] = {}

    def video(self, size: tuple[int, int]) -> Path:
        if size not in self.videos:
            self.videos[size] = write_video(self.workdir / f"{size[0]}x{size[1]}.avi", size)
        return self.videos[size]

    def camera(self, size: tuple[int, int]) -> Any:
        from kiosk.devices.camera import SharedCamera, make_source

        camera = SharedCamera(make_source(str(self.video(size)), width=size[0], height=size[1]))
        camera.start()
        if camera.wait_frame(0, 5) is None:
            raise RuntimeError(f"camera on {self.video(size)} gave no frame: {camera.detail}")
        return camera

    async def call(self, cs: CsProcess, camera: Any, codec: str, size: tuple[int, int]) -> Any:
        """Set up one call as the app would; returns (call, seconds to the first CS frame)."""
        from kiosk.call import BoothCall
        from kiosk.call.codecs import negotiated
        from kiosk.config import CallConfig

        offer = (await cs.ask(op="offer", codec=codec, video=str(self.video(size))))["sdp"]
        config = CallConfig(video_width=size[0], video_height=size[1], codec=codec)
        call = BoothCall(camera, self.headset, config)
        received = time.monotonic()
        answer = await call.answer(offer)
        if negotiated(answer) != codec:
            raise RuntimeError(f"asked for {codec}, the call negotiated {negotiated(answer)}")
        await cs.ask(op="answer", sdp=answer)
        await asyncio.wait_for(call.remote_video.wait_first_frame(), 10)
        assert call.remote_video.first_frame_at is not None
        return call, call.remote_video.first_frame_at - received

    async def hang_up(self, cs: CsProcess, call: Any) -> None:
        await cs.ask(op="hangup")
        await call.close()


async def first_frames(booth: Booth, cs: CsProcess, codec: str, calls: int) -> list[float]:
    camera = booth.camera((640, 480))
    took = []
    try:
        for _ in range(calls + 1):  # the first call warms up imports and codecs: not counted
            call, first = await booth.call(cs, camera, codec, (640, 480))
            took.append(first)
            await booth.hang_up(cs, call)
            await asyncio.sleep(0.2)
    finally:
        camera.stop()
    return took[1:]


async def cpu_of_call(
    booth: Booth, cs: CsProcess, codec: str | None, size: tuple[int, int], seconds: float
) -> dict[str, float]:
    """CPU of the booth process over ``seconds`` of a connected call (None: camera only)."""
    camera = booth.camera(size)
    call = None
    try:
        if codec is not None:
            call, _ = await booth.call(cs, camera, codec, size)
        await asyncio.sleep(2.0)  # settle: bitrate ramp-up, jitter buffers, first keyframes
        cs_before = await cs.ask(op="stats") if call else {"video": 0}
        got_before = call.remote_video.frames_received if call else 0
        sent_before = call.camera_track.frames_sent if call else 0
        cam_before = camera.latest().number
        with LoopLag() as lag:
            wall, cpu = time.monotonic(), cpu_seconds()
            await asyncio.sleep(seconds)
            wall, cpu = time.monotonic() - wall, cpu_seconds() - cpu
        cs_after = await cs.ask(op="stats") if call else {"video": 0}
        p99, worst = lag.p99_max_ms()
        result = {
            "cpu": 100 * cpu / wall,
            "camera_fps": (camera.latest().number - cam_before) / wall,
            "sent_fps": ((call.camera_track.frames_sent - sent_before) / wall) if call else 0,
            "cs_got_fps": (cs_after["video"] - cs_before["video"]) / wall,
            "booth_got_fps": ((call.remote_video.frames_received - got_before) / wall)
            if call
            else 0,
            "lag_p99_ms": p99,
            "lag_max_ms": worst,
        }
        if call is not None:
            await booth.hang_up(cs, call)
        return result
    finally:
        if call is not None:
            await call.close()
        camera.stop()


# --- main ----------------------------------------------------------------------------------


def _sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        width, height = item.lower().split("x")
        sizes.append((int(width), int(height)))
    return sizes


def _start_audio(workdir: Path) -> tuple[Any, Any, str]:
    """A private null sink for the headset; without PulseAudio the call runs without audio."""
    from scripts.null_audio import NullSinkServer

    server = NullSinkServer(workdir / "pulse")
    try:
        server.start()
    except RuntimeError as err:
        from kiosk.devices.headset import Headset

        return None, Headset("no-such-mic", "no-such-earphones"), f"none ({err})"
    os.environ["PULSE_SERVER"] = server.address
    from kiosk.devices.headset import Headset, HeadsetMissing, refresh_devices

    refresh_devices()
    headset = Headset("pulse", "pulse")
    for _ in range(3):  # the first stream on a fresh server may stall (tests/conftest.py)
        with contextlib.suppress(HeadsetMissing):
            headset.play_tone(440, 0.2, amplitude=0.0)
            break
    return server, headset, "PulseAudio null sink (mic + earphones streams, Opus both ways)"


async def run_bench(args: argparse.Namespace) -> int:
    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()]
    sizes = _sizes(args.sizes)
    with tempfile.TemporaryDirectory(prefix="bench-call-") as tmp:
        server, headset, audio = _start_audio(Path(tmp))
        booth = Booth(Path(tmp), headset)
        cs = CsProcess()
        await cs.start()
        try:
            load = os.getloadavg()
            print("call bench: booth = this process, CS = aiortc peer in a child process")
            print(f"cpus {os.cpu_count()}, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
            print(f"audio: {audio}")
            print()
            print(f"First CS frame at the booth after the offer arrives ({args.calls} calls,")
            print(f"640x480@{FPS}; target ≤ {TARGET_FIRST_FRAME_S:g} s)")
            print(f"{'codec':<6} {'median':>8} {'min':>8} {'max':>8}  verdict")
            for codec in codecs:
                took = await first_frames(booth, cs, codec, args.calls)
                median = statistics.median(took)
                verdict = "ok" if median <= TARGET_FIRST_FRAME_S else "MISSED"
                print(
                    f"{codec:<6} {median * 1000:6.0f} ms {min(took) * 1000:5.0f} ms "
                    f"{max(took) * 1000:5.0f} ms  {verdict}"
                )
            print()
            print(f"Booth CPU, sending and receiving W×H@{FPS}, over {args.seconds:g} s per row")
            print("(% of one core, all booth threads; fps: camera / sent / CS received /")
            print(" booth received; loop lag: how late a 10 ms sleep wakes, p99 / max)")
            header = (
                f"{'size':<10} {'codec':<12} {'CPU':>6}  {'cam':>4} {'sent':>5} {'cs got':>6}"
                f" {'got':>5}  {'loop lag':>14}"
            )
            print(header)
            for size in sizes:
                for codec in [None, *codecs]:
                    r = await cpu_of_call(booth, cs, codec, size, args.seconds)
                    shown = f"{size[0]}x{size[1]}"
                    print(
                        f"{shown:<10} {codec or 'camera only':<12} {r['cpu']:5.0f}%"
                        f"  {r['camera_fps']:4.0f} {r['sent_fps']:5.1f} {r['cs_got_fps']:6.1f}"
                        f" {r['booth_got_fps']:5.1f}  {r['lag_p99_ms']:5.1f} / "
                        f"{r['lag_max_ms']:4.0f} ms"
                    )
        finally:
            await cs.stop()
            if server is not None:
                server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.call", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--calls", type=int, default=10, help="calls per codec for first frame")
    parser.add_argument("--seconds", type=float, default=10.0, help="CPU window per call")
    parser.add_argument("--codecs", default="VP8,H264")
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--cs-peer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.cs_peer:
        asyncio.run(_cs_peer())
        return 0
    return asyncio.run(run_bench(args))


if __name__ == "__main__":
    sys.exit(main())
