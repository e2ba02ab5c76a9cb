"""The booth's configuration (`/etc/bilik/kiosk.toml`), checked completely at start.

Branch IT edits this file by hand at a booth, often over a phone call with HQ. So every mistake
stops the kiosk at once with one line that names the key and says how to fix it, instead of a
traceback later, in front of a participant. Unknown keys are errors too: a misspelt key silently
falling back to its default is the hardest kind of mistake to find.

Pure Python (tomllib, no Kivy): `kiosk check-config` and the tests load it without a display.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

__all__ = [
    "AudioConfig",
    "BoothConfig",
    "CallConfig",
    "CameraConfig",
    "ConfigError",
    "HubConfig",
    "KioskConfig",
    "ScannerConfig",
    "load_config",
    "parse_config",
]


class ConfigError(ValueError):
    """One mistake in the configuration: where it is, what is wrong, what to write instead."""

    def __init__(
        self, key: str, problem: str, fix: str, source: str = "<config>", line: int | None = None
    ) -> None:
        self.key = key
        self.problem = problem
        self.fix = fix
        self.source = source
        self.line = line
        super().__init__(f"{source}: {key}: {problem} — {fix}")


@dataclass(frozen=True)
class BoothConfig:
    id: str
    language: str = "id"
    fullscreen: bool = True
    idle_timeout_seconds: float = 60.0
    width: int = 1280
    height: int = 800


@dataclass(frozen=True)
class HubConfig:
    """`token` always holds the token to send; with `token_file` it was read from that file,
    and `token_file` is then the absolute path that was read (for `kiosk doctor` messages)."""

    url: str
    token: str = ""
    token_file: str = ""
    #: The branch CA (PEM) that signed the hub's HTTPS certificate: pinned instead of the
    #: system's CAs. Empty: the system's CAs (or plain http on a lab LAN).
    ca_file: str = ""
    timeout_seconds: float = 5.0
    heartbeat_seconds: float = 10.0


@dataclass(frozen=True)
class CameraConfig:
    source: str = "0"
    width: int = 1280
    height: int = 720
    reopen_seconds: float = 2.0

    @property
    def source_kind(self) -> str:
        """`index`, `device`, `demo` or `file`: which camera backend `source` asks for."""
        return _camera_source_kind(self.source) or "file"


@dataclass(frozen=True)
class AudioConfig:
    input: str = ""
    output: str = ""
    tone_hz: float = 440.0


@dataclass(frozen=True)
class ScannerConfig:
    device: str = ""


@dataclass(frozen=True)
class CallConfig:
    """The WebRTC call (kiosk/call). On a branch LAN no ICE server is needed: both peers are
    reachable by their host addresses. `video_width` x `video_height` bounds the video sent to
    the CS (the camera keeps its full resolution for document stills)."""

    stun_urls: tuple[str, ...] = ()
    turn_url: str = ""
    turn_username: str = ""
    turn_password: str = ""
    video_width: int = 640
    video_height: int = 480
    codec: str = "VP8"


@dataclass(frozen=True)
class MaintenanceConfig:
    """Branch IT's way into the booth: five quick taps on the top-left corner of any screen
    without a participant, then this PIN. Empty: the maintenance screen is disabled."""

    pin: str = ""


@dataclass(frozen=True)
class KioskConfig:
    booth: BoothConfig
    hub: HubConfig
    camera: CameraConfig = field(default_factory=CameraConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    call: CallConfig = field(default_factory=CallConfig)
    maintenance: MaintenanceConfig = field(default_factory=MaintenanceConfig)


SECTIONS: dict[str, type] = {
    "booth": BoothConfig,
    "hub": HubConfig,
    "camera": CameraConfig,
    "audio": AudioConfig,
    "scanner": ScannerConfig,
    "call": CallConfig,
    "maintenance": MaintenanceConfig,
}
#: Sections that have a key without a default: the file must contain them.
REQUIRED_KEYS = {"booth": ("id",), "hub": ("url",)}
#: section → key → expected type, straight from the dataclass annotations.
_TYPES: dict[str, dict[str, type]] = {name: get_type_hints(cls) for name, cls in SECTIONS.items()}

BOOTH_ID = re.compile(r"^[a-z0-9-]+$")
LANGUAGES = ("id", "en")
VIDEO_FILE_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mov", ".mjpeg", ".mjpg", ".mpg", ".mpeg", ".ogv",
     ".y4m", ".ts", ".wmv", ".flv"}
)  # fmt: skip
#: (low, high) inclusive for numbers; sizes share one generous bound that still catches typos.
RANGES: dict[str, tuple[float, float]] = {
    "booth.idle_timeout_seconds": (10, 600),
    "booth.width": (1, 8192),
    "booth.height": (1, 8192),
    "hub.timeout_seconds": (0.1, 120),
    "hub.heartbeat_seconds": (1, 3600),
    "camera.width": (1, 8192),
    "camera.height": (1, 8192),
    "camera.reopen_seconds": (0.1, 600),
    "audio.tone_hz": (20, 20000),
    "call.video_width": (160, 1920),
    "call.video_height": (120, 1080),
}
#: Video codecs the booth can prefer (aiortc's own encoders).
CALL_CODECS = ("VP8", "H264")
#: What aiortc accepts (it uses only "stun:"; "turns:" only over TCP).
STUN_URL = re.compile(r"^stun:[^?:\s/]+(:\d{1,5})?$")
TURN_URL = re.compile(
    r"^(turn:[^?:\s/]+(:\d{1,5})?(\?transport=(udp|tcp))?|turns:[^?:\s/]+(:\d{1,5})?(\?transport=tcp)?)$"
)

StrList = tuple[str, ...]  # a TOML list of strings, kept as a tuple: configs are frozen
_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    StrList: "a list of strings",
}


# --- loading -------------------------------------------------------------------------------


def load_config(path: str | Path) -> KioskConfig:
    """Read and check a kiosk TOML file; a relative `hub.token_file` is relative to this file."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "file",
            "not found",
            f"copy config/kiosk.example.toml to {path} and edit it",
            source,
        ) from None
    except OSError as err:
        raise ConfigError(
            "file", f"cannot be read ({err.strerror})", "check the path and permissions", source
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(
            "file", "is not UTF-8 text", "save the file as UTF-8 (plain text)", source
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise _syntax_error(err, source) from None
    return parse_config(data, source, base_dir=path.parent)


def parse_config(
    data: dict[str, Any], source: str = "<config>", *, base_dir: str | Path | None = None
) -> KioskConfig:
    """Check parsed TOML; `base_dir` anchors a relative token file (default: the current one)."""
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    for name, value in data.items():
        if name not in SECTIONS:
            raise _unknown_section(name, source)
        if not isinstance(value, dict):
            raise ConfigError(
                name,
                f"must be a section, got {_describe(value)}",
                f"write it as a [{name}] header with its keys below it",
                source,
            )
    # Typos first: a misspelt key often explains why a required one looks missing.
    for name, table in data.items():
        for key in table:
            if key not in _TYPES[name]:
                raise _unknown_key(name, key, source)
    sections = {name: _section(name, data.get(name, {}), source) for name in SECTIONS}
    hub = sections["hub"]
    hub.update(_token(hub, source, base))
    if hub.get("ca_file"):
        hub["ca_file"] = _existing_file("hub.ca_file", hub["ca_file"], base, source)
    hub["url"] = hub["url"].rstrip("/")  # the client appends /api/v1/...
    return KioskConfig(
        booth=BoothConfig(**sections["booth"]),
        hub=HubConfig(**hub),
        camera=CameraConfig(**sections["camera"]),
        audio=AudioConfig(**sections["audio"]),
        scanner=ScannerConfig(**sections["scanner"]),
        call=_call(sections["call"], source),
        maintenance=MaintenanceConfig(**sections["maintenance"]),
    )


# --- per section ---------------------------------------------------------------------------


def _existing_file(key: str, value: str, base: Path, source: str) -> str:
    """An absolute path to a file that exists (relative paths are relative to the config)."""
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise ConfigError(
            key,
            f"{path} does not exist",
            "copy the branch CA certificate (PEM, from the hub's TLS set-up) to that path",
            source,
        )
    return str(path)


def _section(name: str, table: dict[str, Any], source: str) -> dict[str, Any]:
    types = _TYPES[name]
    for key in REQUIRED_KEYS.get(name, ()):
        if key not in table:
            fix = f"add {key} = {_EXAMPLES[name][key]} under [{name}]"
            raise ConfigError(f"{name}.{key}", "is missing", fix, source)
    values = {key: _typed(name, key, value, types[key], source) for key, value in table.items()}
    for key, value in values.items():
        _check_value(name, key, value, source)
    return values


def _typed(section: str, key: str, value: Any, expected: type, source: str) -> Any:
    full = f"{section}.{key}"
    if not _is_a(value, expected):
        raise ConfigError(
            full,
            f"expected {_TYPE_NAMES[expected]}, got {_describe(value)}",
            _type_fix(full, key, value, expected),
            source,
        )
    if expected == StrList:
        return tuple(value)
    if expected is float:
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(
                full, f"must be a finite number, got {value}", _range_fix(full, key), source
            )
    return value


def _is_a(value: Any, expected: type) -> bool:
    """TOML types as people mean them: 60 is a fine float; true is not a number."""
    if expected == StrList:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if expected is bool or isinstance(value, bool):
        return expected is bool and isinstance(value, bool)
    if expected is float:
        return isinstance(value, int | float)
    return isinstance(value, expected)


def _check_value(section: str, key: str, value: Any, source: str) -> None:
    full = f"{section}.{key}"
    if full in RANGES:
        low, high = RANGES[full]
        if not low <= value <= high:
            raise ConfigError(full, f"{value:g} is out of range", _range_fix(full, key), source)
        return
    check = _CHECKS.get(full)
    if check:
        problem_fix = check(value)
        if problem_fix:
            raise ConfigError(full, problem_fix[0], problem_fix[1], source)


def _check_booth_id(value: str) -> tuple[str, str] | None:
    if BOOTH_ID.match(value):
        return None
    suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "tgc-01"
    return (
        f"{value!r} may only contain a-z, 0-9 and -",
        f'use lower-case letters, digits and dashes, e.g. id = "{suggestion}"',
    )


def _check_language(value: str) -> tuple[str, str] | None:
    if value in LANGUAGES:
        return None
    return (
        f"{value!r} is not a supported language",
        'use "id" (Bahasa Indonesia) or "en" (English)',
    )


def _check_hub_url(value: str) -> tuple[str, str] | None:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return (f"{value!r} has an invalid port", 'write it like url = "http://10.0.0.5:8700"')
    if parts.scheme in ("http", "https") and parts.hostname and not re.search(r"\s", value):
        return None
    return (
        f"{value!r} is not an http:// or https:// URL",
        'write the hub\'s address with its scheme, e.g. url = "https://hub.cabang.local:8700"',
    )


def _check_camera_source(value: str) -> tuple[str, str] | None:
    if _camera_source_kind(value) is not None:
        return None
    if Path(value).suffix.lower() in VIDEO_FILE_SUFFIXES:
        return None  # a video file; it may not exist yet, the camera retries to open it
    return (
        f"{value!r} is not a device index, /dev/video path, video file or demo:<payload>",
        'use e.g. source = "0", "/dev/video0", "/var/lib/bilik/test.mp4" or "demo:TGC4K7QX"'
        f" (video files end in {', '.join(sorted(VIDEO_FILE_SUFFIXES))})",
    )


def _check_scanner_device(value: str) -> tuple[str, str] | None:
    if value == "" or (value.startswith("/dev/") and len(value) > len("/dev/")):
        return None
    return (
        f"{value!r} is not an evdev device path",
        "use the scanner's /dev/input/... path, e.g. device = \"/dev/input/by-id/usb-scanner-"
        'event-kbd", or device = "" when the booth has no HID scanner',
    )


def _check_stun_urls(value: tuple[str, ...]) -> tuple[str, str] | None:
    for url in value:
        if not STUN_URL.match(url):
            return (
                f"{url!r} is not a stun: URL",
                'write each one like "stun:stun.cabang.local:3478" (host and optional port;'
                " stuns: is not supported), or stun_urls = [] on a branch LAN",
            )
    return None


def _check_turn_url(value: str) -> tuple[str, str] | None:
    if value == "" or TURN_URL.match(value):
        return None
    return (
        f"{value!r} is not a turn: or turns: URL",
        'write it like turn_url = "turn:turn.cabang.local:3478" (add ?transport=tcp when UDP is'
        ' blocked; turns: works over TCP only), or turn_url = "" for no TURN server',
    )


def _check_codec(value: str) -> tuple[str, str] | None:
    if value in CALL_CODECS:
        return None
    close = [c for c in CALL_CODECS if c.lower() == value.lower().replace(".", "").replace("-", "")]
    example = close[0] if close else CALL_CODECS[0]
    return (
        f"{value!r} is not a supported video codec",
        f'use "VP8" or "H264" (upper case), e.g. codec = "{example}"',
    )


def _check_pin(value: str) -> tuple[str, str] | None:
    if value == "" or (value.isascii() and value.isdigit() and 4 <= len(value) <= 8):
        return None
    return ("must be 4 to 8 digits (or empty to disable maintenance)", 'e.g. pin = "482913"')


#: A value's own check: None when fine, else (problem, fix).
_CHECKS: dict[str, Callable[[Any], tuple[str, str] | None]] = {
    "booth.id": _check_booth_id,
    "booth.language": _check_language,
    "hub.url": _check_hub_url,
    "camera.source": _check_camera_source,
    "scanner.device": _check_scanner_device,
    "call.stun_urls": _check_stun_urls,
    "call.turn_url": _check_turn_url,
    "call.codec": _check_codec,
    "maintenance.pin": _check_pin,
}


def _call(values: dict[str, Any], source: str) -> CallConfig:
    """A TURN server needs all three of url, username and password: a half-configured relay
    fails only later, in the middle of a call set-up, with nothing on screen to say why."""
    url = values.get("turn_url", "")
    for key in ("turn_username", "turn_password"):
        given = values.get(key, "")
        if url and not given:
            raise ConfigError(
                f"call.{key}",
                "is missing although call.turn_url is given",
                f'add {key} = "..." under [call] (from the TURN server\'s operator)',
                source,
            )
        if given and not url:
            raise ConfigError(
                f"call.{key}",
                "is given without call.turn_url",
                'add turn_url = "turn:host:3478" under [call], or remove ' + key,
                source,
            )
    return CallConfig(**values)


def _camera_source_kind(value: str) -> str | None:
    if value.isascii() and value.isdigit():
        return "index"
    if value.startswith("/dev/") and len(value) > len("/dev/"):
        return "device"  # /dev/videoN or a udev stable name such as /dev/v4l/by-id/...
    if value.startswith("demo:") and len(value) > len("demo:"):
        return "demo"
    return None


def _token(hub: dict[str, Any], source: str, base: Path) -> dict[str, str]:
    """Exactly one of `token` / `token_file`: two places for one secret invite the stale one."""
    token, token_file = hub.get("token", ""), hub.get("token_file", "")
    if token and token_file:
        raise ConfigError(
            "hub.token_file",
            "hub.token and hub.token_file are both given",
            "keep only one of them (token_file is better: the file can be readable by root only)",
            source,
        )
    if not token and not token_file:
        raise ConfigError(
            "hub.token",
            "no booth token given",
            'add token = "..." or token_file = "/etc/bilik/booth.token" under [hub]',
            source,
        )
    if token:
        _check_token_text("hub.token", token, source)
        return {}
    path = Path(token_file).expanduser()
    if not path.is_absolute():
        path = base / path
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(
            "hub.token_file",
            f"{path} does not exist",
            "put the booth's token in that file, or point token_file at the right file",
            source,
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise ConfigError(
            "hub.token_file",
            f"{path} cannot be read ({reason})",
            "make it a text file readable by the kiosk user",
            source,
        ) from None
    if not text:
        raise ConfigError(
            "hub.token_file", f"{path} is empty", "put the booth's token in that file", source
        )
    _check_token_text("hub.token_file", text, source)
    return {"token": text, "token_file": str(path)}


def _check_token_text(key: str, token: str, source: str) -> None:
    if token.isprintable() and not any(ch.isspace() for ch in token):
        return
    raise ConfigError(
        key,
        "the token contains spaces, line breaks or control characters",
        "copy the token again exactly as the hub gave it (one line, no spaces)",
        source,
    )


# --- messages ------------------------------------------------------------------------------

_EXAMPLES = {
    "booth": {"id": '"tgc-01"'},
    "hub": {"url": '"http://127.0.0.1:8700"'},
}


def _syntax_error(err: tomllib.TOMLDecodeError, source: str) -> ConfigError:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
    line = int(match.group(1)) if match else None
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err)) or "syntax error"
    if match:
        where = f"line {line}"
        message = f"{message} at column {match.group(2)}"
    else:
        where = "file"
    return ConfigError(
        where,
        f"invalid TOML: {message}",
        'check that line: text values need quotes (url = "http://..."), '
        "true/false and numbers do not, and section names are in [brackets]",
        source,
        line=line,
    )


def _unknown_section(name: str, source: str) -> ConfigError:
    close = difflib.get_close_matches(name, SECTIONS, n=1)
    if close:
        return ConfigError(name, f"unknown section [{name}]", f"did you mean [{close[0]}]?", source)
    owners = [s for s, keys in _TYPES.items() if name in keys]
    if owners:
        return ConfigError(
            name,
            f"unknown top-level key {name}",
            f"move it under [{owners[0]}] (did you mean {owners[0]}.{name}?)",
            source,
        )
    return ConfigError(
        name,
        f"unknown section [{name}]",
        f"remove it; the sections are {', '.join(f'[{s}]' for s in SECTIONS)}",
        source,
    )


def _unknown_key(section: str, key: str, source: str) -> ConfigError:
    full = f"{section}.{key}"
    close = difflib.get_close_matches(key, _TYPES[section], n=1)
    if close:
        fix = f"did you mean {section}.{close[0]}?"
    else:
        elsewhere = [s for s, keys in _TYPES.items() if key in keys]
        fix = (
            f"did you mean {elsewhere[0]}.{key}? It belongs under [{elsewhere[0]}]"
            if elsewhere
            else f"remove it; the keys of [{section}] are {', '.join(_TYPES[section])}"
        )
    return ConfigError(full, f"unknown key {full}", fix, source)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, dict):
        return "a section/table"
    if isinstance(value, list):
        odd = next((item for item in value if not isinstance(item, str)), None)
        return "a list" if odd is None else f"a list holding {_describe(odd)}"
    return f"a date/time ({value})"


def _type_fix(full: str, key: str, value: Any, expected: type) -> str:
    if expected == StrList:
        if isinstance(value, str):
            return f'write it as a list in brackets: {key} = ["{value}"]'
        return f'write a list of quoted texts, e.g. {key} = ["stun:stun.cabang.local:3478"]'
    if expected is str:
        shown = str(value).lower() if isinstance(value, bool) else value
        if isinstance(value, bool | int | float):
            return f'put it in quotes: {key} = "{shown}"'
        return f'write it as text in quotes, e.g. {key} = "..."'
    if expected is bool:
        return f"write {key} = true or {key} = false, without quotes"
    if isinstance(value, str) and _looks_numeric(value, expected):
        return f"write the number without quotes: {key} = {value.strip()}"
    example = f"{key} = {_DEFAULT_OF[full]:g}"
    if expected is int and isinstance(value, float):
        if math.isfinite(value):
            example = f"{key} = {int(value)}"
        return f"write a whole number without a decimal point, e.g. {example}"
    return f"write a number without quotes, e.g. {example}"


def _looks_numeric(text: str, expected: type) -> bool:
    try:
        expected(text.strip())
    except ValueError:
        return False
    return True


def _range_fix(full: str, key: str) -> str:
    low, high = RANGES[full]
    return f"use a value from {low:g} to {high:g}, e.g. {key} = {_DEFAULT_OF[full]:g}"


_DEFAULT_OF: dict[str, float] = {
    f"{name}.{f.name}": f.default
    for name, cls in SECTIONS.items()
    for f in fields(cls)
    if isinstance(f.default, int | float) and not isinstance(f.default, bool)
}
