"""The participant's headset (microphone + earphones) through sounddevice/PortAudio.

Used by the ``headset_check`` screen (a live level meter and a test tone), by ``kiosk doctor``
(mic level, speaker tone), by the heartbeat (``check()``), and by the call, whose microphone and
earphones streams open through ``Headset.open_stream`` like the headset's own.

Every call has a deadline: a USB headset that vanishes mid-stream must not freeze the booth, so
waits are bounded and a silent device becomes ``HeadsetMissing`` instead of a hang.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sounddevice as sd

from kiosk.devices.audio_streams import STREAMS, S, Stream
from kiosk.devices.status import DeviceError, DeviceStatus

log = logging.getLogger(__name__)

#: extra seconds allowed for opening and closing a stream on top of the requested duration
STREAM_ALLOWANCE = 1.0
SILENCE_DBFS = -120.0


class HeadsetMissing(DeviceError):
    """No usable input/output device: not plugged in, wrong name in the config, or no sound
    server. The message names what was looked for and what exists."""


@dataclass(frozen=True)
class Level:
    """Loudness of a block of samples (floats in -1..1)."""

    rms: float
    peak: float

    @property
    def dbfs(self) -> float:
        """RMS in dB relative to full scale; ``SILENCE_DBFS`` for digital silence."""
        return 20 * math.log10(self.rms) if self.rms > 1e-6 else SILENCE_DBFS


def level_of(samples: np.ndarray) -> Level:
    if samples.size == 0:
        return Level(0.0, 0.0)
    x = samples.astype(np.float32, copy=False)
    return Level(float(np.sqrt(np.mean(np.square(x)))), float(np.max(np.abs(x))))


def refresh_devices() -> bool:
    """Make PortAudio list devices again (a headset plugged in since start-up); False, and
    nothing done, while any stream of this process is open (kiosk.devices.audio_streams)."""
    return STREAMS.refresh_devices()


def device_names(kind: str) -> list[str]:
    """Names of the devices that can ``kind`` ("input" or "output")."""
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        return [d["name"] for d in sd.query_devices() if d[key] > 0]
    except sd.PortAudioError:
        return []


def find_device(name: str | None, kind: str) -> int:
    """Index of the first ``kind`` device whose name contains ``name`` (case-insensitive);
    the system default when ``name`` is empty. Raises ``HeadsetMissing`` saying what exists."""
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        if not name:
            return int(sd.query_devices(kind=kind)["index"])
        for info in sd.query_devices():
            if info[key] > 0 and name.lower() in info["name"].lower():
                return int(info["index"])
    except sd.PortAudioError as exc:
        raise HeadsetMissing(f"no default {kind} audio device ({exc})") from exc
    available = ", ".join(device_names(kind)) or "none"
    raise HeadsetMissing(f"no {kind} audio device named like {name!r} (available: {available})")


class LevelMeter:
    """A running input stream that reports the mic level ``rate_hz`` times a second.

    The callback runs on PortAudio's audio thread: keep it short and hop to the UI thread.
    """

    def __init__(self, headset: Headset, stream: Stream) -> None:
        self._headset = headset
        self._stream = stream

    def stop(self) -> None:
        self._headset.close_stream(self._stream)

    def __enter__(self) -> LevelMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Headset:
    """The booth headset, chosen by name substrings from config (empty = system default).

    Every stream on it, its own (meter, tone, mic level) and the call's (microphone and
    earphones tracks), is opened with ``open_stream`` and closed with ``close_stream``, in the
    process's one registry (kiosk.devices.audio_streams); ``close()`` stops them all.
    """

    def __init__(
        self,
        input_name: str | None = None,
        output_name: str | None = None,
        *,
        name: str = "headset",
    ) -> None:
        self.input_name = input_name
        self.output_name = output_name
        self.name = name

    # -- streams ------------------------------------------------------------------------------
    def open_stream(self, make: Callable[[], S]) -> S:
        """Create a stream on this headset with ``make()`` and start it. Raises
        ``sd.PortAudioError`` when the device refuses."""
        return STREAMS.open(make, owner=self)

    def close_stream(self, stream: Stream, *, play_out: bool = False) -> bool:
        """Stop and close ``stream`` (``play_out``: let queued output finish). Closing twice is
        harmless: False when it was closed already (e.g. by ``close()``)."""
        return STREAMS.close(stream, play_out=play_out)

    @property
    def streams(self) -> list[Stream]:
        """The streams open on this headset now: none once a call and the checks are over."""
        return STREAMS.running(owner=self)

    def close(self) -> int:
        """Stop every stream open on this headset, the call's too (the app at exit; a call
        that lost track of one); returns how many. The headset can be used again after."""
        count = STREAMS.close_all(owner=self)
        if count:
            log.warning("%s closed with %d stream(s) still open", self.name, count)
        return count

    # -- which devices ------------------------------------------------------------------------
    def input_device(self) -> int:
        return find_device(self.input_name, "input")

    def output_device(self) -> int:
        return find_device(self.output_name, "output")

    def _rate(self, device: int) -> int:
        return int(sd.query_devices(device)["default_samplerate"])

    def check(self) -> DeviceStatus:
        """Heartbeat/doctor health: both devices exist and open. Never raises."""
        try:
            mic, out = self.input_device(), self.output_device()
            sd.check_input_settings(device=mic, channels=1, dtype="float32")
            sd.check_output_settings(device=out, channels=1, dtype="float32")
        except (HeadsetMissing, sd.PortAudioError, ValueError) as exc:
            return DeviceStatus(self.name, False, f"missing: {exc}")
        mic_name = sd.query_devices(mic)["name"]
        out_name = sd.query_devices(out)["name"]
        return DeviceStatus(self.name, True, f"mic {mic_name!r}, earphones {out_name!r}")

    # -- microphone ----------------------------------------------------------------------------
    def mic_level(self, seconds: float = 0.5) -> Level:
        """Record ``seconds`` from the mic and return its level.

        Returns within ``seconds`` + ``STREAM_ALLOWANCE``; raises ``HeadsetMissing`` if the
        device cannot be opened or delivers nothing in that time.
        """
        device = self.input_device()
        rate = self._rate(device)
        wanted = max(1, int(seconds * rate))
        chunks: list[np.ndarray] = []
        got = 0
        done = threading.Event()

        def on_audio(indata: np.ndarray, frames: int, _time: object, _status: object) -> None:
            nonlocal got
            if got < wanted:
                chunks.append(indata[:, 0].copy())
                got += frames
            if got >= wanted:
                done.set()

        try:
            stream = self.open_stream(
                lambda: sd.InputStream(
                    device=device, channels=1, samplerate=rate, dtype="float32", callback=on_audio
                )
            )
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"microphone cannot be opened: {exc}") from exc
        try:
            done.wait(seconds + STREAM_ALLOWANCE)
        finally:
            self.close_stream(stream)  # abort, not stop: no need for buffers we will not use
        if not chunks:
            raise HeadsetMissing(f"microphone delivered no audio within {seconds:g} s")
        return level_of(np.concatenate(chunks)[:wanted])

    def level_meter(self, on_level: Callable[[Level], None], *, rate_hz: float = 20) -> LevelMeter:
        """Start metering the mic for the UI: ``on_level(Level)`` about ``rate_hz`` times/s."""
        device = self.input_device()
        rate = self._rate(device)

        def on_audio(indata: np.ndarray, _frames: int, _time: object, _status: object) -> None:
            try:
                on_level(level_of(indata[:, 0]))
            except Exception:  # an exception here would kill the audio thread silently
                log.exception("level callback failed")

        try:
            stream = self.open_stream(
                lambda: sd.InputStream(
                    device=device,
                    channels=1,
                    samplerate=rate,
                    dtype="float32",
                    blocksize=max(1, int(rate / rate_hz)),
                    callback=on_audio,
                )
            )
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"microphone cannot be opened: {exc}") from exc
        return LevelMeter(self, stream)

    # -- earphones -----------------------------------------------------------------------------
    def play_tone(
        self, freq: float = 440.0, seconds: float = 1.0, *, amplitude: float = 0.3
    ) -> None:
        """Play a sine tone on the earphones; returns when it has played.

        Returns within ``seconds`` + ``STREAM_ALLOWANCE`` even if the device stalls. A short
        fade in/out avoids the click that makes participants think the headset is broken.
        """
        device = self.output_device()
        rate = self._rate(device)
        n = max(1, int(seconds * rate))
        t = np.arange(n, dtype=np.float32) / rate
        tone = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        fade = min(n // 2, int(0.01 * rate))
        if fade:
            ramp = np.linspace(0, 1, fade, dtype=np.float32)
            tone[:fade] *= ramp
            tone[-fade:] *= ramp[::-1]
        position = 0
        done = threading.Event()

        def on_audio(outdata: np.ndarray, frames: int, _time: object, _status: object) -> None:
            nonlocal position
            chunk = tone[position : position + frames]
            outdata[: len(chunk), 0] = chunk
            outdata[len(chunk) :, 0] = 0
            position += frames
            if position >= n:
                done.set()
                raise sd.CallbackStop

        try:
            stream = self.open_stream(
                lambda: sd.OutputStream(
                    device=device, channels=1, samplerate=rate, dtype="float32", callback=on_audio
                )
            )
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"earphones cannot be opened: {exc}") from exc
        try:
            done.wait(seconds + STREAM_ALLOWANCE)
        finally:
            # a tone played to its end lets the last buffer play out: its tail is audible
            self.close_stream(stream, play_out=done.is_set())
        if not done.is_set():
            raise HeadsetMissing(f"earphones did not play within {seconds + STREAM_ALLOWANCE:g} s")
