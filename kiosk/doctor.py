"""`kiosk doctor`: one pass over the booth's devices and its hub, for branch IT.

Each check is a small function taking the ``KioskConfig`` and returning a ``Check``; each is
bounded in time (a few seconds at most), never raises, and says in its ``fix`` what branch IT can
do about a failure. ``run_doctor`` runs them all in order; ``render_human`` / ``render_json``
print the result. Plain Python (no Kivy): it runs over SSH on a booth whose app is stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import requests

from kiosk.config import KioskConfig
from kiosk.hub_client import HubClient, HubRefusal, HubUnavailable

__all__ = [
    "Check",
    "check_camera",
    "check_clock",
    "check_disk",
    "check_hub",
    "check_hub_token",
    "check_microphone",
    "check_scanner",
    "check_speaker",
    "render_human",
    "render_json",
    "run_doctor",
]

DEFAULT_CONFIG_PATH = "/etc/bilik/kiosk.toml"
#: Where the kiosk keeps its state (systemd StateDirectory=bilik); "/" when it does not exist.
STATE_DIR = "/var/lib/bilik"
CAMERA_OPEN_SECONDS = 3.0
CAMERA_MEASURE_SECONDS = 2.0
MIN_FPS, LOW_FPS = 5.0, 12.0
TOO_DARK, TOO_BRIGHT = 40.0, 220.0
MAX_SKEW_SECONDS = 30.0
MIN_FREE_BYTES = 1 << 30
#: RMS above which the tone counts as heard back on a monitor input (a 0.3 sine is ~0.21).
LOOPBACK_HEARD_RMS = 0.05
HTTP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    """One result: ``fix`` is a sentence branch IT can act on (empty when there is nothing to
    do). ``warning`` marks a check that passed with something worth a look (a dark image)."""

    name: str
    ok: bool
    summary: str
    detail: str = ""
    fix: str = ""
    warning: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _fail(name: str, summary: str, fix: str, detail: str = "") -> Check:
    return Check(name, False, summary, detail, fix)


# --- camera ------------------------------------------------------------------------------------


def check_camera(config: KioskConfig, config_path: str = DEFAULT_CONFIG_PATH) -> Check:
    """Open the configured camera for a few seconds: frames, frame rate, resolution, brightness."""
    from kiosk.devices.camera import CameraState, SharedCamera, make_source

    cam = config.camera
    fix_source = (
        f"Plug the camera in, or set camera.source in {config_path} "
        "(ls /dev/video* /dev/v4l/by-id/ lists the cameras)"
    )
    try:
        source = make_source(cam.source, width=cam.width, height=cam.height)
    except Exception as exc:  # a backend that cannot even be built
        return _fail("camera", f"{cam.source}: {exc}", fix_source)
    camera = SharedCamera(source, retry_interval=60.0, name="camera")
    try:
        camera.start()
        first = None
        give_up = time.monotonic() + CAMERA_OPEN_SECONDS
        while first is None and time.monotonic() < give_up:
            first = camera.wait_frame(0, 0.1)
            if first is None and camera.status is CameraState.MISSING:
                break  # the source said why it cannot open: no need to wait longer
        if first is None:
            state = camera.status
            detail = camera.detail.split("; retrying")[0]
            if state is CameraState.STARTING:
                detail = f"{source.description}: no frame within {CAMERA_OPEN_SECONDS:g} s"
            return _fail("camera", f"no frames ({detail})", fix_source, detail)
        deadline = first.timestamp + CAMERA_MEASURE_SECONDS
        last = first
        while (remaining := deadline - time.monotonic()) > 0:
            frame = camera.wait_frame(last.number, remaining)
            if frame is None:
                break
            last = frame
        frames = last.number - first.number
        elapsed = last.timestamp - first.timestamp
        fps = frames / elapsed if elapsed > 0 else 0.0
        width, height = last.size
        brightness = last.brightness()
    finally:
        camera.stop()
    summary = (
        f"{source.description}: {width}x{height} at {fps:.1f} fps, brightness {brightness:.0f}/255"
    )
    detail = f"{frames + 1} frames in {elapsed:.1f} s"
    if fps < MIN_FPS:
        return _fail(
            "camera",
            summary + " (frame rate too low)",
            "Plug the camera into a USB port of its own (not a hub), or lower camera.width/"
            f"camera.height in {config_path}; check that nothing else uses it",
            detail,
        )
    problems, fixes = [], []
    if fps < LOW_FPS:
        problems.append("low frame rate")
        fixes.append("use a USB port of its own for the camera")
    if width < cam.width or height < cam.height:
        problems.append(f"asked for {cam.width}x{cam.height}")
        fixes.append(
            f"check the camera model supports {cam.width}x{cam.height}, or set camera.width/"
            f"camera.height in {config_path} to what it delivers"
        )
    if brightness < TOO_DARK:
        problems.append("too dark")
        fixes.append("uncover the lens and check the booth light is on")
    elif brightness > TOO_BRIGHT:
        problems.append("too bright")
        fixes.append("move the camera or booth light so no lamp shines straight into the lens")
    if problems:
        fix = "; ".join(fixes)
        return Check(
            "camera",
            True,
            f"{summary} ({', '.join(problems)})",
            detail,
            fix[0].upper() + fix[1:],
            warning=True,
        )
    return Check("camera", True, summary, detail)


# --- audio -------------------------------------------------------------------------------------


def _headset(config: KioskConfig):
    from kiosk.devices.headset import Headset, refresh_devices

    refresh_devices()  # a headset plugged in, or a sound server started, since import
    return Headset(config.audio.input or None, config.audio.output or None)


def _audio_fix(kind: str, key: str, config_path: str) -> str:
    from kiosk.devices.headset import device_names

    available = ", ".join(device_names(kind)) or "none: is the sound server running?"
    return (
        f"Plug the headset in, or set {key} in {config_path} to part of the name of an "
        f"{kind} device (available: {available}; empty = system default)"
    )


def check_microphone(config: KioskConfig, config_path: str = DEFAULT_CONFIG_PATH) -> Check:
    """Record half a second from the headset microphone and report its level."""
    from kiosk.devices.headset import SILENCE_DBFS, HeadsetMissing

    try:
        headset = _headset(config)
        level = headset.mic_level(0.5)
    except HeadsetMissing as exc:
        return _fail("microphone", str(exc), _audio_fix("input", "audio.input", config_path))
    except Exception as exc:  # PortAudio errors we did not foresee
        return _fail("microphone", f"{exc!r}", _audio_fix("input", "audio.input", config_path))
    name = _device_name(headset.input_name, "input")
    summary = f"{name}: level {level.dbfs:.0f} dBFS (peak {level.peak:.2f})"
    if level.dbfs <= SILENCE_DBFS:
        return Check(
            "microphone",
            True,
            summary + " (digital silence)",
            fix="If the booth is quiet this is fine; otherwise check the headset's mute switch",
            warning=True,
        )
    return Check("microphone", True, summary)


def check_speaker(config: KioskConfig, config_path: str = DEFAULT_CONFIG_PATH) -> Check:
    """Play the test tone on the earphones; where the microphone is a monitor of the earphones
    (a PulseAudio sink's monitor source), record it back and measure its level."""
    from kiosk.devices.headset import HeadsetMissing

    fix = _audio_fix("output", "audio.output", config_path)
    try:
        headset = _headset(config)
        out_name = _device_name(headset.output_name, "output")
        loopback = _input_is_monitor(headset)
        if not loopback:
            headset.play_tone(config.audio.tone_hz, 0.5)
            return Check(
                "speaker",
                True,
                f"{out_name}: played a {config.audio.tone_hz:g} Hz tone "
                "(loopback not possible: the microphone is not a monitor of the earphones; "
                "listen for the tone)",
            )
        errors: list[BaseException] = []

        def play() -> None:
            try:
                headset.play_tone(config.audio.tone_hz, 1.2)
            except BaseException as exc:
                errors.append(exc)

        player = threading.Thread(target=play, name="doctor-tone", daemon=True)
        player.start()
        time.sleep(0.3)
        try:
            level = headset.mic_level(0.5)
        except HeadsetMissing as exc:
            level = None
            mic_error = str(exc)
        finally:
            player.join(5)
        if errors:
            raise errors[0]
    except HeadsetMissing as exc:
        return _fail("speaker", str(exc), fix)
    except Exception as exc:
        return _fail("speaker", f"{exc!r}", fix)
    if level is None:
        return Check(
            "speaker",
            True,
            f"{out_name}: played a {config.audio.tone_hz:g} Hz tone (loopback not measured: "
            f"{mic_error}; see the microphone check)",
        )
    summary = f"{out_name}: played a {config.audio.tone_hz:g} Hz tone, heard back on the monitor"
    if level.rms < LOOPBACK_HEARD_RMS:
        return _fail(
            "speaker",
            f"{out_name}: played a tone but the monitor heard only {level.dbfs:.0f} dBFS",
            "Check that the output is not muted (pactl list sinks) and that audio.output in "
            f"{config_path} names the device whose monitor is the input",
        )
    return Check("speaker", True, f"{summary} at {level.dbfs:.0f} dBFS")


def _device_name(name: str | None, kind: str) -> str:
    import sounddevice as sd

    from kiosk.devices.headset import find_device

    try:
        return str(sd.query_devices(find_device(name, kind))["name"])
    except Exception:
        return name or "default"


def _input_is_monitor(headset) -> bool:
    """True when the input device is the monitor source of the output: its name says so, or it
    is the sound server's default ("pulse"/"default") and PulseAudio's default source is the
    default sink's monitor."""
    mic = _device_name(headset.input_name, "input").lower()
    if "monitor" in mic:
        return True
    if mic not in ("pulse", "default") or shutil.which("pactl") is None:
        return False
    try:
        info = subprocess.run(
            ["pactl", "info"], capture_output=True, text=True, timeout=2, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in info.splitlines())
    )
    sink, source = fields.get("Default Sink", ""), fields.get("Default Source", "")
    return bool(sink) and source == f"{sink}.monitor"


# --- scanner -----------------------------------------------------------------------------------


def check_scanner(config: KioskConfig, config_path: str = DEFAULT_CONFIG_PATH) -> Check:
    """The HID scanner's evdev node exists and can be opened and grabbed (then released)."""
    path = config.scanner.device
    if not path:
        return Check("scanner", True, "not configured (tickets are read through the camera)")
    try:
        from kiosk.devices.scanner_hid import HidScanner, ScannerMissing

        device = HidScanner(path, lambda _text: None).open_device()
    except ScannerMissing as exc:
        return _fail(
            "scanner",
            str(exc),
            "Plug the scanner in and check its udev rule (ls -l /dev/input/by-id/), or set "
            f'scanner.device in {config_path} (device = "" when the booth has none); stop the '
            "kiosk first if it holds the scanner (systemctl stop bilik-kiosk)",
        )
    except Exception as exc:
        return _fail("scanner", f"{path}: {exc!r}", "Check the scanner and its permissions")
    try:
        name = device.name
    finally:
        with contextlib.suppress(OSError):
            device.ungrab()
        device.close()
    return Check("scanner", True, f"{name} at {path}")


# --- hub ---------------------------------------------------------------------------------------
# Through the booth's own HubClient: the same URL, token, pinned CA (hub.ca_file) and error
# handling as the booth, so the doctor cannot pass where the booth fails, nor the other way round.


def _client(config: KioskConfig) -> HubClient:
    return HubClient.from_config(config, timeout=min(config.hub.timeout_seconds, HTTP_TIMEOUT))


def _why(exc: HubUnavailable) -> str:
    """What went wrong on the way, e.g. ``ConnectionError``, ``SSLError``, ``HTTP 502``."""
    if exc.status:
        return f"HTTP {exc.status}"
    return type(exc.__cause__).__name__ if exc.__cause__ is not None else str(exc)


def _unreachable_fix(config: KioskConfig, config_path: str, exc: HubUnavailable) -> str:
    if isinstance(exc.__cause__, requests.exceptions.SSLError):
        pinned = (
            f"hub.ca_file in {config_path} ({config.hub.ca_file}) must be the branch CA that "
            "signed the hub's certificate"
            if config.hub.ca_file
            else f"set hub.ca_file in {config_path} to the branch CA that signed the hub's "
            "certificate"
        )
        return (
            f"The hub's certificate is not trusted: {pinned}; check that the booth's clock is "
            "right (a certificate is valid only between two dates)"
        )
    return (
        f"Check the network cable and that the hub runs (systemctl status bilik-hub on the hub "
        f"PC), and that hub.url in {config_path} is right ({config.hub.url})"
    )


def _answered_fix(config_path: str) -> str:
    return (
        f"Check that hub.url in {config_path} points at the Bilik hub, and the hub's log "
        "(journalctl -u bilik-hub)"
    )


def check_hub(config: KioskConfig, config_path: str = DEFAULT_CONFIG_PATH) -> Check:
    """GET /healthz answers."""
    try:
        _client(config).health()
    except HubUnavailable as exc:
        if exc.status:
            return _fail(
                "hub", f"{config.hub.url}/healthz answered {_why(exc)}", _answered_fix(config_path)
            )
        return _fail(
            "hub",
            f"{config.hub.url} unreachable ({_why(exc)})",
            _unreachable_fix(config, config_path, exc),
            str(exc.__cause__ or exc),
        )
    except HubRefusal as exc:
        return _fail(
            "hub",
            f"{config.hub.url}/healthz answered HTTP {exc.status}",
            _answered_fix(config_path),
        )
    return Check("hub", True, f"{config.hub.url} reachable")


def check_hub_token(config: KioskConfig, config_path: str = DEFAULT_CONFIG_PATH) -> Check:
    """The booth token is accepted: GET /api/v1/booths/{id} with it answers 200."""
    booth = config.booth.id
    where = f"the token in {config.hub.token_file}" if config.hub.token_file else "hub.token"
    try:
        _client(config).booth()
    except HubUnavailable as exc:
        if exc.status:
            return _fail(
                "hub token",
                f"GET /api/v1/booths/{booth}: {_why(exc)}",
                "Check the hub's log (journalctl -u bilik-hub)",
            )
        return _fail(
            "hub token", f"not checked: hub unreachable ({_why(exc)})", "Fix the hub check first"
        )
    except HubRefusal as exc:
        if exc.status not in (401, 403):
            return _fail(
                "hub token",
                f"GET /api/v1/booths/{booth}: HTTP {exc.status} {exc.code}",
                "Check the hub's log (journalctl -u bilik-hub)",
            )
        fix = (
            f"The hub does not accept this booth's token: check {where} in {config_path} "
            "against the token the hub gave for this booth, or re-enroll the booth"
        )
        if exc.code == "booth_mismatch":
            fix = (
                f"The token belongs to another booth: check booth.id = {booth!r} and {where} in "
                f"{config_path}, or re-enroll the booth"
            )
        return _fail(
            "hub token", f"token refused for booth {booth} (HTTP {exc.status} {exc.code})", fix
        )
    return Check("hub token", True, f"booth {booth} accepted by the hub")


def check_clock(config: KioskConfig, config_path: str = DEFAULT_CONFIG_PATH) -> Check:
    """Clock skew against the hub (GET /api/v1/time), corrected for half the round trip."""
    client = _client(config)
    try:
        before = time.time()
        hub_now = client.hub_time().timestamp()
        after = time.time()
    except HubUnavailable as exc:
        return _fail(
            "clock", f"not checked: hub unreachable ({_why(exc)})", "Fix the hub check first"
        )
    except (HubRefusal, ValueError) as exc:
        return _fail(
            "clock",
            f"hub sent no usable time ({exc})",
            "Update the hub: it must answer GET /api/v1/time",
        )
    skew = hub_now - (before + after) / 2
    summary = f"booth clock {abs(skew):.1f} s {'behind' if skew > 0 else 'ahead of'} the hub"
    if abs(skew) > MAX_SKEW_SECONDS:
        return _fail(
            "clock",
            f"{summary} (more than {MAX_SKEW_SECONDS:g} s)",
            "Turn on time sync on the booth (timedatectl set-ntp true; timedatectl "
            "timesync-status shows the NTP server) and check the hub PC's clock the same way",
            f"round trip {after - before:.3f} s",
        )
    return Check("clock", True, summary, f"round trip {after - before:.3f} s")


# --- disk --------------------------------------------------------------------------------------


def check_disk(
    config: KioskConfig,
    config_path: str = DEFAULT_CONFIG_PATH,
    *,
    path: str | None = None,
    min_free: int = MIN_FREE_BYTES,
) -> Check:
    """Free space where the kiosk writes (its state directory, or "/")."""
    path = path or (STATE_DIR if os.path.isdir(STATE_DIR) else "/")
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return _fail("disk", f"{path}: {exc.strerror or exc}", f"Check that {path} exists")
    summary = f"{_gib(usage.free)} free of {_gib(usage.total)} on {path}"
    if usage.free < min_free:
        return _fail(
            "disk",
            f"{summary} (under {_gib(min_free)})",
            f"Free space on {path}: journalctl --vacuum-size=200M, and remove old files "
            f"(du -xh {path} | sort -h | tail shows the largest)",
        )
    return Check("disk", True, summary)


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB"


# --- running and printing ----------------------------------------------------------------------

CHECKS: tuple[Callable[[KioskConfig, str], Check], ...] = (
    check_camera,
    check_microphone,
    check_speaker,
    check_scanner,
    check_hub,
    check_hub_token,
    check_clock,
    check_disk,
)


def run_doctor(config: KioskConfig, config_path: str = DEFAULT_CONFIG_PATH) -> list[Check]:
    """Every check, in order; a check that raises anyway becomes a failed ``Check``."""
    results = []
    for check in CHECKS:
        try:
            results.append(check(config, config_path))
        except Exception as exc:  # a bug in a check must not hide the other checks
            name = check.__name__.removeprefix("check_")
            results.append(_fail(name, f"check crashed: {exc!r}", "Report this to HQ"))
    return results


def render_human(checks: list[Check], config: KioskConfig | None = None) -> str:
    lines = []
    if config is not None:
        lines.append(f"kiosk doctor: booth {config.booth.id}, hub {config.hub.url}")
    width = max((len(c.name) for c in checks), default=0)
    for c in checks:
        mark = "FAIL" if not c.ok else "WARN" if c.warning else "OK"
        lines.append(f"{mark:<4}  {c.name:<{width}}  {c.summary}")
        if c.fix:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {c.fix}")
    failed = sum(not c.ok for c in checks)
    lines.append(
        f"{failed} of {len(checks)} checks failed" if failed else f"all {len(checks)} checks ok"
    )
    return "\n".join(lines)


def render_json(checks: list[Check], config: KioskConfig | None = None) -> str:
    body: dict[str, Any] = {"ok": all(c.ok for c in checks)}
    if config is not None:
        body["booth"] = config.booth.id
        body["hub"] = config.hub.url
    body["checks"] = [c.as_json() for c in checks]
    return json.dumps(body, indent=2, ensure_ascii=False)
