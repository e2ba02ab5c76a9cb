"""A CS console played by a Python aiortc peer, in the test process, on loopback.

The real console is a browser; what matters to the booth is the same: it offers with its camera
and microphone, takes the booth's answer, and receives the booth's camera and microphone. The
sources here are real media (a video file through aiortc's ``MediaPlayer``) or synthetic tracks
that a test can pause, to play a CS whose media stops.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
from av import VideoFrame

from kiosk.call.codecs import only
from tests.media_tracks import SineTrack


class PatternTrack(VideoStreamTrack):
    """A moving test pattern from the CS camera; ``running`` cleared stops it sending."""

    def __init__(self, size: tuple[int, int] = (640, 480)) -> None:
        super().__init__()
        self.size = size
        self.running = asyncio.Event()
        self.running.set()
        self._n = 0

    async def recv(self) -> VideoFrame:
        await self.running.wait()
        pts, time_base = await self.next_timestamp()
        width, height = self.size
        x = np.arange(width, dtype=np.uint16)[None, :]
        y = np.arange(height, dtype=np.uint16)[:, None]
        grey = ((x + y + 8 * self._n) % 256).astype(np.uint8)
        self._n += 1
        frame = VideoFrame.from_ndarray(np.dstack([grey, grey, grey]), format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class ConsolePeer:
    """The CS side: offers camera + microphone, counts what arrives from the booth."""

    def __init__(
        self,
        video: MediaStreamTrack | None = None,
        audio: MediaStreamTrack | None = None,
        *,
        codec: str | None = None,
    ) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.video = video if video is not None else PatternTrack()
        self.audio = audio if audio is not None else SineTrack()
        self.codec = codec
        self.video_frames = 0
        self.video_sizes: set[tuple[int, int]] = set()
        self.video_images: list[np.ndarray] = []  # a few, for content checks
        self.audio_frames = 0
        self.audio_peak_rms = 0.0
        self.first_video_at: float | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._player: MediaPlayer | None = None
        self.pc.on("track", self._on_track)

    @classmethod
    def playing(cls, video_file: Path, **kwargs: object) -> ConsolePeer:
        """A CS whose camera is a real video file (looped) and whose microphone is a sine."""
        player = MediaPlayer(str(video_file), loop=True)
        peer = cls(player.video, **kwargs)  # type: ignore[arg-type]
        peer._player = player
        return peer

    async def offer(self) -> str:
        video = self.pc.addTransceiver(self.video, direction="sendrecv")
        if self.codec:
            video.setCodecPreferences(only(self.codec))
        self.pc.addTransceiver(self.audio, direction="sendrecv")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pc.close()
        if self._player is not None:
            for track in (self._player.video, self._player.audio):
                if track is not None:
                    track.stop()

    def _on_track(self, track: MediaStreamTrack) -> None:
        run = self._video if track.kind == "video" else self._audio
        self._tasks.append(asyncio.create_task(run(track)))

    async def _video(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.video_frames += 1
            if self.first_video_at is None:
                self.first_video_at = time.monotonic()
            self.video_sizes.add((frame.width, frame.height))
            if self.video_frames % 10 == 0 and len(self.video_images) < 20:
                self.video_images.append(frame.to_ndarray(format="bgr24"))

    async def _audio(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.audio_frames += 1
            samples = frame.to_ndarray().astype(np.float32) / 32768
            rms = float(np.sqrt(np.mean(np.square(samples))))
            self.audio_peak_rms = max(self.audio_peak_rms, rms)
