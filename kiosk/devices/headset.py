"""The participant's headset (microphone + earphones) through sounddevice/PortAudio.

Used by the ``headset_check`` screen (a live level meter and a test tone), by ``kiosk doctor``
(mic level, speaker tone) and by the heartbeat (``check()``). Every call has a deadline: a USB
headset that vanishes mid-stream must not freeze the booth, so waits are bounded and a silent
device becomes ``HeadsetMissing`` instead of a hang.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sounddevice as sd

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


class _OpenStreams:
    """This process's open PortAudio streams, held until closed.

    Two reasons. Re-initialising PortAudio under an open stream would pull the device from under
    it (the level meter, or a tone mid-play). And a running stream whose owner is dropped forms a
    cycle with its callback that the garbage collector may clear in the middle of a callback, on
    PortAudio's own thread, which ends in a segmentation fault (seen with the call's streams):
    holding every open stream here means a forgotten stream leaks instead of crashing the booth.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: set[sd._StreamBase] = set()

    @property
    def count(self) -> int:
        return len(self.open)

    def opened(self, stream: sd._StreamBase) -> None:
        with self.lock:
            self.open.add(stream)

    def closed(self, stream: sd._StreamBase) -> None:
        with self.lock:
            self.open.discard(stream)


_streams = _OpenStreams()


def refresh_devices() -> bool:
    """Make PortAudio enumerate devices again; False (and nothing done) while a stream is open.

    PortAudio lists devices once, when sounddevice is imported. A headset plugged in later, or a
    sound server started after import (the tests start PulseAudio), stays invisible until
    PortAudio is re-initialised.
    """
    with _streams.lock:
        if _streams.count:
            log.info("not refreshing audio devices: %d stream(s) open", _streams.count)
            return False
        sd._terminate()
        sd._initialize()
        return True


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


def _start(stream: sd._StreamBase) -> sd._StreamBase:
    _streams.opened(stream)
    try:
        stream.start()
    except BaseException:
        _abort(stream)
        raise
    return stream


def _abort(stream: sd._StreamBase) -> None:
    try:
        stream.abort()
        stream.close()
    except sd.PortAudioError as exc:
        log.warning("aborting audio stream: %s", exc)
    finally:
        _streams.closed(stream)


def _close(stream: sd._StreamBase) -> None:
    try:
        stream.stop()
        stream.close()
    except sd.PortAudioError as exc:
        log.warning("closing audio stream: %s", exc)
    finally:
        _streams.closed(stream)


class LevelMeter:
    """A running input stream that reports the mic level ``rate_hz`` times a second.

    The callback runs on PortAudio's audio thread: keep it short and hop to the UI thread.
    """

    def __init__(self, stream: sd.InputStream) -> None:
        self._stream = stream

    def stop(self) -> None:
        _abort(self._stream)

    def __enter__(self) -> LevelMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Headset:
    """The booth headset, chosen by name substrings from config (empty = system default)."""

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
            stream = sd.InputStream(
                device=device, channels=1, samplerate=rate, dtype="float32", callback=on_audio
            )
            _start(stream)
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"microphone cannot be opened: {exc}") from exc
        try:
            done.wait(seconds + STREAM_ALLOWANCE)
        finally:
            _abort(stream)  # abort, not stop: no need to wait for buffers we will not use
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
            stream = sd.InputStream(
                device=device,
                channels=1,
                samplerate=rate,
                dtype="float32",
                blocksize=max(1, int(rate / rate_hz)),
                callback=on_audio,
            )
            _start(stream)
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"microphone cannot be opened: {exc}") from exc
        return LevelMeter(stream)

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
            stream = sd.OutputStream(
                device=device, channels=1, samplerate=rate, dtype="float32", callback=on_audio
            )
            _start(stream)
        except sd.PortAudioError as exc:
            raise HeadsetMissing(f"earphones cannot be opened: {exc}") from exc
        try:
            done.wait(seconds + STREAM_ALLOWANCE)
        finally:
            if done.is_set():
                _close(stream)  # lets the last buffer play out: the tone's tail is audible
            else:
                _abort(stream)
        if not done.is_set():
            raise HeadsetMissing(f"earphones did not play within {seconds + STREAM_ALLOWANCE:g} s")
