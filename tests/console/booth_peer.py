"""A booth played by a Python aiortc peer in the test process, through the booth's real API.

It does what docs/call-api.md asks of a booth and nothing more: it holds the booth's event
stream open (so the console sees `booth_online`), answers the console's offer with a complete
SDP, reports `connected`, sends a moving test picture and a tone, uploads a JPEG when a still
is requested, and measures what it hears from the CS (to check that the CS microphone reaches
only the focused booth). It runs on its own asyncio loop in a thread, beside Playwright's sync
API in the test's main thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
import time
from dataclasses import dataclass, field

import cv2
import httpx
import numpy as np
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
from av import VideoFrame

from tests.hub.harness import BoothInfo
from tests.media_tracks import SineTrack


class BoothPicture(VideoStreamTrack):
    """The booth camera: a moving gradient with the booth's name, 640×480."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
        self._n = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = picture(self.label, self._n)
        self._n += 1
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def picture(label: str, n: int = 0, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    width, height = size
    x = np.linspace(0, 1, width)[None, :]
    y = np.linspace(0, 1, height)[:, None]
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = (90 + 60 * x + 0 * y).astype(np.uint8)
    image[..., 1] = (70 + 50 * y + 0 * x).astype(np.uint8)
    image[..., 2] = (40 + 30 * x * y).astype(np.uint8)
    cx = int(width / 2 + width / 4 * math.sin(n / 15))
    cv2.circle(image, (cx, height // 2), 60, (230, 220, 200), -1)
    cv2.putText(image, label, (24, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
    return image


def document_jpeg(document: str) -> bytes:
    """A stand-in for a photographed document: a card with the document's name."""
    image = np.full((720, 1280, 3), 235, np.uint8)
    cv2.rectangle(image, (140, 110), (1140, 610), (120, 80, 40), 6)
    cv2.putText(image, document.upper(), (200, 260), cv2.FONT_HERSHEY_SIMPLEX, 3, (60, 40, 20), 6)
    cv2.putText(
        image, "NIK 3671********0001", (200, 420), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (60, 40, 20), 3
    )
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


@dataclass
class Heard:
    """Peaks of the CS audio as received, one entry per decoded frame."""

    peaks: list[tuple[float, int]] = field(default_factory=list)

    def peak_between(self, start: float, end: float) -> int:
        values = [p for t, p in self.peaks if start <= t <= end]
        return max(values, default=-1)


class BoothPeer:
    """One fake booth; `start()` runs it in a thread, `stop()` ends it."""

    def __init__(self, base_url: str, booth: BoothInfo, label: str | None = None) -> None:
        self.base_url = base_url
        self.ws_url = base_url.replace("http://", "ws://", 1)
        self.booth = booth
        self.label = label or booth.id
        self.offers = 0
        self.connected = threading.Event()
        self.heard = Heard()
        self.video_frames = 0
        self.stills_sent: list[str] = []
        self.errors: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._pc: RTCPeerConnection | None = None
        self._ready = threading.Event()

    # ---- thread control ------------------------------------------------------------------

    def start(self) -> BoothPeer:
        self._thread = threading.Thread(
            target=self._run, name=f"booth-{self.booth.id}", daemon=True
        )
        self._thread.start()
        assert self._ready.wait(10), "booth peer did not start"
        return self

    def stop(self) -> None:
        """Close the event stream and the call (again: nothing happens)."""
        if self._thread is None or not self._thread.is_alive():
            return
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop ended by itself meanwhile
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        headers = {"Authorization": f"Bearer {self.booth.token}"}
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=10) as http:
            self._http = http
            url = f"{self.ws_url}/api/v1/booths/{self.booth.id}/events?token={self.booth.token}"
            try:
                async with websockets.connect(url) as ws:
                    self._ready.set()
                    reader = asyncio.create_task(self._read(ws))
                    await self._stop.wait()
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reader
            except Exception as err:  # noqa: BLE001 (reported to the test)
                self.errors.append(repr(err))
                self._ready.set()
            finally:
                if self._pc is not None:
                    await self._pc.close()

    async def _read(self, ws: websockets.ClientConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            try:
                if message.get("type") == "signal":
                    data = message.get("data") or {}
                    if data.get("kind") == "offer":
                        await self._answer(message["session_id"], data["sdp"])
                    elif data.get("kind") == "bye" and self._pc is not None:
                        await self._pc.close()
                elif message.get("type") == "still_request":
                    await self._send_still(message)
            except Exception as err:  # noqa: BLE001
                self.errors.append(repr(err))

    # ---- the call --------------------------------------------------------------------

    async def _answer(self, session_id: int, sdp: str) -> None:
        self.offers += 1
        if self._pc is not None:
            await self._pc.close()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pc = pc

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc is self._pc and pc.connectionState == "connected":
                await self._http.post(
                    f"/api/v1/sessions/{session_id}/call-state", json={"state": "connected"}
                )
                self.connected.set()

        @pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            asyncio.ensure_future(self._consume(pc, track))

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        pc.addTrack(SineTrack(330.0, 0.2))  # the participant: a quiet tone
        pc.addTrack(BoothPicture(self.label))
        await pc.setLocalDescription(await pc.createAnswer())  # aiortc gathers completely
        response = await self._http.post(
            f"/api/v1/sessions/{session_id}/signal",
            json={"data": {"kind": "answer", "sdp": pc.localDescription.sdp}},
        )
        response.raise_for_status()

    async def _consume(self, pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
        while pc is self._pc:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if track.kind == "audio":
                samples = frame.to_ndarray()
                self.heard.peaks.append((time.monotonic(), int(np.abs(samples).max())))
            else:
                self.video_frames += 1

    async def _send_still(self, message: dict) -> None:
        document = message["document"]
        response = await self._http.post(
            f"/api/v1/sessions/{message['session_id']}/stills",
            params={"request_id": message["request_id"]},
            content=document_jpeg(document),
            headers={"Content-Type": "image/jpeg"},
        )
        response.raise_for_status()
        self.stills_sent.append(document)
