"""One WebRTC call between this booth and a CS console: one ``RTCPeerConnection``.

The console offers, the booth answers, both with complete SDP (no trickle ICE; docs/call-api.md).
The booth sends the shared camera and the headset microphone, and plays what the CS sends. The
app owns the hub traffic: it passes the offer in, posts the answer back, and reports the call's
state (``connected`` / ``reconnecting`` / ``failed``) from ``on_state``.

A ``BoothCall`` is used for one offer. When the console offers again (after a drop, or a booth
restart), the app closes the old call and answers with a new one.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from kiosk.call.background import BackgroundTasks
from kiosk.call.camera_track import CameraTrack
from kiosk.call.codecs import preferring
from kiosk.call.microphone_track import MicrophoneTrack
from kiosk.call.remote_audio import RemoteAudioPlayer
from kiosk.call.remote_video import RemoteVideoSink
from kiosk.config import CallConfig
from kiosk.devices.camera import SharedCamera
from kiosk.devices.headset import Headset, HeadsetMissing

log = logging.getLogger(__name__)

#: seconds ``close()`` waits for aiortc before releasing the devices anyway
PC_CLOSE_TIMEOUT = 5.0


class CallState(enum.StrEnum):
    NEW = "new"
    CONNECTING = "connecting"  # answer given, ICE/DTLS under way
    CONNECTED = "connected"  # media path up: the app reports call-state "connected"
    DISCONNECTED = "disconnected"  # no media from the CS for a while: report "reconnecting"
    FAILED = "failed"  # ICE/DTLS failed or never connected: report "failed"
    CLOSED = "closed"  # closed by either side

    @property
    def final(self) -> bool:
        return self in (CallState.FAILED, CallState.CLOSED)


StateCallback = Callable[["CallState"], None]
ProblemCallback = Callable[[str, str], None]


def ice_servers(config: CallConfig) -> list[RTCIceServer]:
    """The STUN/TURN servers of ``[call]``. Always a list, never None: given None, aiortc
    would ask Google's public STUN server, which a branch LAN cannot reach; every call set-up
    would then wait for that request to time out."""
    servers = [RTCIceServer(urls=list(config.stun_urls))] if config.stun_urls else []
    if config.turn_url:
        servers.append(
            RTCIceServer(
                urls=config.turn_url,
                username=config.turn_username,
                credential=config.turn_password,
            )
        )
    return servers


class BoothCall:
    """The booth's side of one call.

    Everything here runs on the asyncio loop that also runs the Kivy app (``async_run``):
    construct it, ``await answer()``, ``await close()`` there. ``on_state`` and ``on_problem``
    are called on that loop, so with Kivy on the same loop they may touch the UI directly.
    The devices' own threads (capture, PortAudio, conversions) never call back into the app.
    """

    def __init__(
        self,
        camera: SharedCamera,
        headset: Headset,
        config: CallConfig | None = None,
        *,
        on_state: StateCallback | None = None,
        on_problem: ProblemCallback | None = None,
        connect_timeout: float = 20.0,
        media_timeout: float = 5.0,
        mic_timeout: float = 2.0,
    ) -> None:
        """``on_state(CallState)``: every state change. ``on_problem(device, message)``: the
        "microphone" or the "earphones" could not be opened, or the microphone went silent for
        ``mic_timeout`` seconds mid-call (a headset unplugged). The call goes on (the CS still
        sees the participant; a missing microphone sends silence); the app decides what to show.
        ``connect_timeout``: seconds from the answer to a connected call before it counts as
        failed. ``media_timeout``: seconds without any frame from the CS, once frames came,
        before the call counts as disconnected (aiortc itself notices a vanished peer only
        after ~30 s of failed consent checks)."""
        self.camera = camera
        self.headset = headset
        self.config = config or CallConfig()
        self.on_state = on_state
        self.on_problem = on_problem
        self.connect_timeout = connect_timeout
        self.media_timeout = media_timeout
        self.mic_timeout = mic_timeout
        self.state = CallState.NEW
        self.pc: RTCPeerConnection | None = None
        self.camera_track = CameraTrack(camera, (self.config.video_width, self.config.video_height))
        self.microphone: MicrophoneTrack | None = None
        self.remote_video = RemoteVideoSink()
        self.remote_audio = RemoteAudioPlayer(headset)
        #: ``time.monotonic()`` when the offer was applied / the call connected
        self.offer_applied_at: float | None = None
        self.connected_at: float | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._tasks = BackgroundTasks(log)
        self._mic_silent = False

    # -- signaling ---------------------------------------------------------------------------
    async def answer(self, offer_sdp: str) -> str:
        """Apply the console's offer and return the complete answer SDP (ICE gathered).

        Raises ``ValueError`` for an SDP aiortc cannot use (no common codec, malformed); the
        call is then closed and the app reports ``failed``.
        """
        if self.pc is not None:
            raise RuntimeError("a BoothCall answers one offer; make a new one for a new offer")
        self.pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers(self.config)))
        pc.on("connectionstatechange", self._on_connection_state)
        pc.on("track", self._on_track)
        try:
            audio = await self._microphone_or_silence()
            video = pc.addTransceiver(self.camera_track, direction="sendrecv")
            _prefer(video, self.config.codec)
            pc.addTransceiver(audio, direction="sendrecv")
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            self.offer_applied_at = time.monotonic()
            self._set_state(CallState.CONNECTING)
            await pc.setLocalDescription(await pc.createAnswer())  # gathers ICE candidates
        except asyncio.CancelledError:  # the app gave up on this offer (a "bye", a new offer)
            await self.close()
            raise
        except Exception as exc:
            log.warning("cannot answer the offer: %s", exc)
            self._set_state(CallState.FAILED)
            await self.close()
            raise ValueError(f"cannot answer the offer: {exc}") from exc
        self._watchdog = self._tasks.spawn(self._watch(), "call-watchdog")
        return pc.localDescription.sdp

    async def close(self) -> None:
        """Hang up and release the microphone, earphones and worker threads. Idempotent; the
        shared camera keeps running for the preview and the QR decoder."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    # -- internals ---------------------------------------------------------------------------
    async def _microphone_or_silence(self) -> MediaStreamTrack:
        self.microphone = microphone = MicrophoneTrack(self.headset)
        try:
            await microphone.start()
        except HeadsetMissing as exc:
            self._problem("microphone", str(exc))
            return AudioStreamTrack()  # silence keeps the audio line negotiated
        return microphone

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self.remote_video.start(track)
        elif track.kind == "audio":
            self.remote_audio.start(track)
            self._tasks.spawn(self._check_earphones(), "call-check-earphones")

    async def _check_earphones(self) -> None:
        if not await self.remote_audio.wait_open() and self.remote_audio.error:
            self._problem("earphones", self.remote_audio.error)

    def _on_connection_state(self) -> None:
        assert self.pc is not None
        state = self.pc.connectionState
        log.info("call connection %s", state)
        if state == "connected":
            self.connected_at = self.connected_at or time.monotonic()
            self._set_state(CallState.CONNECTED)
        elif state in ("failed", "closed"):
            self._set_state(CallState.FAILED if state == "failed" else CallState.CLOSED)
            self._tasks.spawn(self.close(), "call-close")  # release the devices at once

    async def _watch(self) -> None:
        """Connect timeout, then media liveness: aiortc has no "disconnected" state."""
        deadline = time.monotonic() + self.connect_timeout
        while not self.state.final:
            await asyncio.sleep(min(0.25, self.media_timeout / 4))
            now = time.monotonic()
            if self.state is CallState.CONNECTING and now > deadline:
                log.warning("call not connected within %.0f s", self.connect_timeout)
                self._set_state(CallState.FAILED)
                await self.close()
                return
            self._check_microphone(now)
            last = self._last_media_at()
            if last is None or self.state not in (CallState.CONNECTED, CallState.DISCONNECTED):
                continue
            quiet = now - last > self.media_timeout
            if quiet and self.state is CallState.CONNECTED:
                log.warning("no media from the CS for %.1f s", now - last)
                self._set_state(CallState.DISCONNECTED)
            elif not quiet and self.state is CallState.DISCONNECTED:
                self._set_state(CallState.CONNECTED)

    def _check_microphone(self, now: float) -> None:
        """A headset unplugged mid-call stops the microphone without an error: say so once
        per silence, so the app can show it (the CS hears nothing meanwhile)."""
        mic = self.microphone
        if mic is None or mic.last_audio_at is None:
            return
        silent = now - mic.last_audio_at > self.mic_timeout
        if silent and not self._mic_silent:
            self._problem("microphone", f"no audio from the microphone for {self.mic_timeout:g} s")
        self._mic_silent = silent

    def _last_media_at(self) -> float | None:
        times = [self.remote_video.last_frame_at, self.remote_audio.last_frame_at]
        return max((t for t in times if t is not None), default=None)

    async def _close(self) -> None:
        if self._watchdog is not None and self._watchdog is not asyncio.current_task():
            self._watchdog.cancel()
        self.camera_track.stop()
        if self.pc is not None:
            # bounded: a kiosk must get its headset back even if aiortc hangs (it did, when a
            # track swallowed the sender's cancellation)
            # held by self._tasks, so one that outlives the timeout still runs to its end
            closing = self._tasks.spawn(self.pc.close(), "call-pc-close")
            done, _ = await asyncio.wait([closing], timeout=PC_CLOSE_TIMEOUT)
            if not done:
                log.error("RTCPeerConnection.close() still running after %g s", PC_CLOSE_TIMEOUT)
        devices = [self.remote_video.stop(), self.remote_audio.stop()]
        if self.microphone is not None:
            devices.append(self.microphone.aclose())
        await asyncio.gather(*devices)
        self._set_state(CallState.CLOSED)

    def _set_state(self, state: CallState) -> None:
        if state is self.state or self.state.final:
            return
        log.info("call %s -> %s", self.state.value, state.value)
        self.state = state
        if self.on_state is not None:
            try:
                self.on_state(state)
            except Exception:
                log.exception("on_state callback failed")

    def _problem(self, device: str, message: str) -> None:
        log.warning("call without %s: %s", device, message)
        if self.on_problem is not None:
            try:
                self.on_problem(device, message)
            except Exception:
                log.exception("on_problem callback failed")


def _prefer(transceiver: RTCRtpTransceiver, codec: str) -> None:
    transceiver.setCodecPreferences(preferring(codec, transceiver.kind))
