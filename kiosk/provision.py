"""`kiosk provision`: enroll this booth with a one-time code from `bilik-hub booth enroll`.

    kiosk provision --hub https://hub.cabang.local:8700 --code ABCD-EFGH-JKMN --ca-file ca.pem

Exchanges the code at `POST /api/v1/enroll` (pinning the branch CA when given), writes the device
token to a file only its owner can read (mode 0600, written atomically) and points kiosk.toml at
it: booth.id, hub.url, hub.token_file and hub.ca_file (the CA is copied next to the token as
`branch-ca.pem`). Every other key and comment of an existing kiosk.toml is kept; without one,
config/kiosk.example.toml is the starting point.

Everything that can be checked before the code is spent is checked first: the code works once,
and the hub replaces the booth's previous token as soon as it is exchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import requests

DEFAULT_CONFIG = Path("/etc/bilik/kiosk.toml")
DEFAULT_TOKEN_FILE = Path("/etc/bilik/booth.token")
CA_NAME = "branch-ca.pem"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "config" / "kiosk.example.toml"
SKEW_WARNING = dt.timedelta(minutes=2)

# exit codes of `kiosk provision`
OK, REFUSED, LOCAL_PROBLEM, UNREACHABLE, UNTRUSTED = 0, 1, 2, 3, 4

_REFUSALS = {
    "unknown_code": "the hub does not know this code: check for typos, or issue a new one with"
    " `bilik-hub booth enroll BRANCH BOOTH` on the hub",
    "code_used": "this code was already used (a code works once): issue a new one with"
    " `bilik-hub booth enroll BRANCH BOOTH` on the hub",
    "code_expired": "this code has expired: issue a new one with"
    " `bilik-hub booth enroll BRANCH BOOTH` on the hub",
    "rate_limited": "too many wrong codes from this booth; wait {retry_after} seconds and try"
    " again",
}


class ProvisionError(Exception):
    """A failure worded for branch IT, with the exit code for `kiosk provision`."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Enrollment:
    booth_id: str
    branch_id: str
    token: str
    hub_time: str


@dataclass(frozen=True)
class Result:
    enrollment: Enrollment
    config: Path
    token_file: Path
    ca_file: Path | None
    warnings: tuple[str, ...] = ()


# --- the hub -------------------------------------------------------------------------------


def exchange_code(
    hub_url: str, code: str, ca_file: str | Path | None = None, timeout: float = 10.0
) -> Enrollment:
    """`POST /api/v1/enroll`; with `ca_file` only that CA is trusted for the hub's certificate."""
    url = hub_url.rstrip("/") + "/api/v1/enroll"
    # `verify` per request: a session's verify loses to REQUESTS_CA_BUNDLE (kiosk.hub_client).
    verify: str | bool = str(ca_file) if ca_file else True
    try:
        response = requests.post(url, json={"code": code}, timeout=timeout, verify=verify)
    except requests.exceptions.SSLError as err:
        pinned = f"the branch CA {ca_file}" if ca_file else "the system's CAs"
        raise ProvisionError(
            f"the hub's HTTPS certificate is not trusted by {pinned} ({_reason(err)}); give"
            " --ca-file the branch CA that signed the hub's certificate",
            UNTRUSTED,
        ) from None
    except requests.RequestException as err:
        raise ProvisionError(
            f"cannot reach the hub at {hub_url} ({type(err).__name__}); check the address, the"
            " port and that bilik-hub is running (`systemctl status bilik-hub` on the hub)",
            UNREACHABLE,
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict):
        try:
            return Enrollment(
                str(body["booth_id"]), str(body["branch_id"]), str(body["token"]),
                str(body.get("hub_time", "")),
            )  # fmt: skip
        except KeyError:
            pass
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code") in _REFUSALS:
        params = error.get("params") or {}
        message = _REFUSALS[error["code"]].format(retry_after=params.get("retry_after", 60))
        raise ProvisionError(f"code refused: {message}", REFUSED)
    raise ProvisionError(
        f"unexpected answer from {url} (HTTP {response.status_code}); is this a Bilik hub, and"
        " is the hub up to date?",
        UNREACHABLE,
    )


def _reason(err: Exception) -> str:
    text = str(err)
    match = re.search(r"certificate verify failed: ([^(\"')]+)", text)
    return f"certificate verify failed: {match.group(1).strip()}" if match else "TLS error"


# --- files ---------------------------------------------------------------------------------


def write_private_file(
    path: Path, data: bytes, mode: int = 0o600, owner: str | None = None
) -> None:
    """Write `data` atomically: a new file created with `mode`, fsynced, then renamed over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            os.fchmod(fd, mode)  # whatever the umask
            if owner:
                import pwd

                entry = pwd.getpwnam(owner)
                os.fchown(fd, entry.pw_uid, entry.pw_gid)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


_SECTION = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_COMMENTED_KEY = re.compile(r"^\s*#\s*([A-Za-z0-9_-]+)\s*=")


def update_toml(text: str, changes: dict[str, dict[str, str | None]]) -> str:
    """Set (or, with None, comment out) `[section] key` lines; comments and the rest are kept.

    For kiosk.toml's flat two-level shape: a key is replaced where it stands, a missing one takes
    the place of its commented-out example (`# key = ...`) or else goes right after its section's
    header, a missing section at the end.
    """
    lines = text.splitlines()
    present: set[tuple[str | None, str]] = set()
    examples: dict[tuple[str | None, str], int] = {}
    section = None
    for number, line in enumerate(lines):
        if match := _SECTION.match(line):
            section = match.group(1)
        elif match := _KEY.match(line):
            present.add((section, match.group(1)))
        elif match := _COMMENTED_KEY.match(line):
            examples.setdefault((section, match.group(1)), number)
    out: list[str] = []
    sections_seen: set[str] = set()
    section = None
    wanted: dict[str, str | None] = {}  # the changes of this section (none before the first)
    for number, line in enumerate(lines):
        if match := _SECTION.match(line):
            section = match.group(1)
            wanted = changes.get(section, {})
            sections_seen.add(section)
            out.append(line)
            for key, value in wanted.items():
                missing = (section, key) not in present and (section, key) not in examples
                if value is not None and missing:
                    out.append(f"{key} = {_toml_string(value)}")
            continue
        match = _COMMENTED_KEY.match(line)
        if match and (section, match.group(1)) not in present:
            value = wanted.get(match.group(1))
            if value is not None and examples.get((section, match.group(1))) == number:
                out.append(f"{match.group(1)} = {_toml_string(value)}")
                continue
        match = _KEY.match(line)
        if match and match.group(1) in wanted:
            value = wanted[match.group(1)]
            if value is None:
                out.append(f"# {line.strip()}  # replaced by token_file (kiosk provision)")
            else:
                out.append(f"{match.group(1)} = {_toml_string(value)}")
            continue
        out.append(line)
    for name, keys in changes.items():
        values = [(k, v) for k, v in keys.items() if v is not None]
        if name not in sections_seen and values:
            out.extend(["", f"[{name}]", *(f"{k} = {_toml_string(v)}" for k, v in values)])
    return "\n".join(out).strip("\n") + "\n"


def _config_text(config: Path) -> str:
    """The existing kiosk.toml, else the example's shape; must be valid TOML either way."""
    if config.exists():
        try:
            text = config.read_text(encoding="utf-8")
            tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise ProvisionError(
                f"{config} cannot be updated ({err}); fix or remove it, then run provision again"
                " (the code has not been used)",
                LOCAL_PROBLEM,
            ) from None
        return text
    if EXAMPLE_CONFIG.is_file():
        return EXAMPLE_CONFIG.read_text(encoding="utf-8")
    return "[booth]\n\n[hub]\n"


def _pinned_ca(text: str, config: Path) -> Path | None:
    """Re-enrolling without --ca-file: the CA the existing kiosk.toml already pins, if any."""
    ca_file = tomllib.loads(text).get("hub", {}).get("ca_file")
    if not isinstance(ca_file, str) or not ca_file or not config.exists():
        return None
    path = Path(ca_file).expanduser()
    path = path if path.is_absolute() else config.parent / path
    return path if path.is_file() else None


def _writable(path: Path) -> bool:
    """Can `path` be created or replaced (its nearest existing ancestor directory writable)?"""
    directory = path.parent
    while not directory.exists():
        directory = directory.parent
    return os.access(directory, os.W_OK | os.X_OK)


def provision(
    hub_url: str,
    code: str,
    config: Path = DEFAULT_CONFIG,
    token_file: Path = DEFAULT_TOKEN_FILE,
    ca_file: Path | None = None,
    owner: str | None = None,
    timeout: float = 10.0,
) -> Result:
    """Enroll and write the files; `ProvisionError` before anything is spent where possible."""
    hub_url = hub_url.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", hub_url):
        raise ProvisionError(
            f"--hub {hub_url!r} is not a hub address; use e.g. https://192.168.1.10:8700",
            LOCAL_PROBLEM,
        )
    if ca_file is not None and not hub_url.startswith("https://"):
        raise ProvisionError(
            "--ca-file pins the CA of an https hub; use an https:// address with it",
            LOCAL_PROBLEM,
        )
    config, token_file = Path(config).absolute(), Path(token_file).absolute()
    ca_target = token_file.parent / CA_NAME if ca_file is not None else None
    if ca_file is not None:
        try:
            pem = Path(ca_file).read_bytes()
        except OSError as err:
            raise ProvisionError(
                f"--ca-file {ca_file} cannot be read ({err.strerror})", LOCAL_PROBLEM
            ) from None
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            raise ProvisionError(
                f"--ca-file {ca_file} is not a PEM certificate (-----BEGIN CERTIFICATE-----)",
                LOCAL_PROBLEM,
            )
    text = _config_text(config)
    for path in (config, token_file, *([ca_target] if ca_target else [])):
        if not _writable(path):
            raise ProvisionError(
                f"cannot write {path}: permission denied (run as root: sudo kiosk provision ...)",
                LOCAL_PROBLEM,
            )

    enrollment = exchange_code(hub_url, code, ca_file or _pinned_ca(text, config), timeout)

    # From here on the code is spent and the booth's old token is gone: keep the new one first.
    write_private_file(token_file, (enrollment.token + "\n").encode(), 0o600, owner)
    if (
        ca_file is not None
        and ca_target is not None
        and Path(ca_file).resolve() != ca_target.resolve()
    ):
        shutil.copyfile(ca_file, ca_target)
        os.chmod(ca_target, 0o644)
    hub_changes: dict[str, str | None] = {
        "url": hub_url,
        "token": None,
        "token_file": str(token_file),
    }
    if ca_target is not None:
        hub_changes["ca_file"] = str(ca_target)
    new_text = update_toml(text, {"booth": {"id": enrollment.booth_id}, "hub": hub_changes})
    mode = config.stat().st_mode & 0o777 if config.exists() else 0o644
    write_private_file(config, new_text.encode("utf-8"), mode)
    return Result(enrollment, config, token_file, ca_target, _warnings(enrollment, config))


def _warnings(enrollment: Enrollment, config: Path) -> tuple[str, ...]:
    from kiosk.config import ConfigError, load_config

    warnings = []
    try:
        load_config(config)
    except (ConfigError, OSError) as err:
        warnings.append(f"{config} has a problem to fix by hand: {err}")
    try:
        hub_time = dt.datetime.fromisoformat(enrollment.hub_time)
        skew = abs(dt.datetime.now(dt.UTC) - hub_time)
        if skew > SKEW_WARNING:
            warnings.append(
                f"this booth's clock is {int(skew.total_seconds())} s away from the hub's; set up"
                " time sync (systemd-timesyncd)"
            )
    except (ValueError, TypeError):
        pass
    return tuple(warnings)


def describe(result: Result) -> str:
    lines = [
        f"booth {result.enrollment.booth_id} (branch {result.enrollment.branch_id}) enrolled",
        f"  token:  {result.token_file} (mode 0600)",
    ]
    if result.ca_file is not None:
        lines.append(f"  CA:     {result.ca_file} (pinned for the hub)")
    lines.append(f"  config: {result.config}")
    lines.extend(f"warning: {w}" for w in result.warnings)
    lines.append("next: kiosk doctor, then systemctl restart bilik-kiosk")
    return "\n".join(lines)


def default_owner() -> str | None:
    """Run as root: the token belongs to the kiosk's service user (`bilik`) when it exists."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam("bilik")
    except KeyError:
        return None
    return "bilik"
