"""The hub's configuration: one frozen object, loaded from `/etc/bilik/hub.toml`.

Validated once at start, so a typo stops the service with a message that names the key and the
fix instead of surfacing later as a strange refusal at a booth.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

DEFAULT_PATH = Path("/etc/bilik/hub.toml")
DEFAULT_DATABASE_URL = "sqlite:///var/hub.db"  # relative: ./var/ in a checkout (git-ignored)
MIN_SECRET_LENGTH = 16


class SettingsError(ValueError):
    """A configuration problem, worded for branch IT: where, what is wrong, how to fix it."""


@dataclass(frozen=True)
class HubSettings:
    """Everything the hub reads from its configuration file.

    `secret` signs the ticket QR tokens. Left empty, the hub keeps a random one in its database,
    so `bilik-hub demo` and `bilik-hub serve` on the same database agree without any set-up.
    """

    host: str = "127.0.0.1"
    port: int = 8700
    database_url: str = DEFAULT_DATABASE_URL
    secret: str = ""
    early_tolerance_minutes: int = 30
    late_tolerance_minutes: int = 15
    lookup_failures_per_minute: int = 5
    avg_service_seconds: int = 600
    booth_grace_seconds: int = 120
    agent_grace_seconds: int = 30
    data_dir: str = ""  # document stills; empty: next to the SQLite file, else ./var
    still_retention_days: int = 30
    enroll_code_minutes: int = 15  # lifetime of a `bilik-hub booth enroll` one-time code
    # HTTPS: the hub's certificate (PEM, chain included) and key, signed by the branch CA that
    # booths pin (kiosk.toml hub.ca_file). Both or neither; neither serves plain http.
    tls_certfile: str = ""
    tls_keyfile: str = ""
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs); empty: none, the
    # TCP peer is the client (hub.api.client_address).
    trusted_proxies: tuple[str, ...] = ()
    # Staff login: after k wrong passwords for a user name the next attempt waits 2^k seconds,
    # at most this long; and failures per client address per minute before `rate_limited`.
    login_delay_max_seconds: int = 300
    login_failures_per_address_per_minute: int = 30

    def resolved_data_dir(self) -> Path:
        """Where stills are kept: `data_dir`, else beside the SQLite file, else `./var`."""
        if self.data_dir:
            return Path(self.data_dir)
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).parent
        return Path("var")

    def with_overrides(self, **overrides: Any) -> HubSettings:
        """Command-line flags win over the file; `None` means "not given"."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return validate(replace(self, **given))


# key → (minimum, maximum) for the integer settings
_INT_RANGES: dict[str, tuple[int, int]] = {
    "port": (1, 65535),
    "early_tolerance_minutes": (0, 24 * 60),
    "late_tolerance_minutes": (0, 24 * 60),
    "lookup_failures_per_minute": (1, 1000),
    "avg_service_seconds": (30, 4 * 3600),
    "booth_grace_seconds": (5, 24 * 3600),
    "agent_grace_seconds": (1, 3600),
    "still_retention_days": (1, 3650),
    "enroll_code_minutes": (1, 7 * 24 * 60),
    "login_delay_max_seconds": (1, 3600),
    "login_failures_per_address_per_minute": (1, 10000),
}

#: settings that are lists of strings in the TOML file
_LIST_KEYS = frozenset({"trusted_proxies"})


#: How `bilik-hub serve --workers N` tells each worker process where its settings are.
WORKER_ENV = "BILIK_HUB_WORKER"


def settings_for_worker() -> HubSettings:
    """The settings `serve --workers` started this worker with (the config path, overrides)."""
    spec = json.loads(os.environ[WORKER_ENV])
    return load_settings(spec["config"] or None).with_overrides(**spec["overrides"])


def load_settings(path: Path | str | None) -> HubSettings:
    """Read and validate a TOML file; `None` gives the defaults (development, tests)."""
    if path is None:
        return validate(HubSettings())
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(
            f"{path}: file not found. Copy config/hub.example.toml there and edit it."
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(f"{path}: not valid TOML ({err}). Fix the syntax.") from None
    return settings_from_mapping(raw, source=str(path))


def settings_from_mapping(raw: dict[str, Any], source: str = "hub.toml") -> HubSettings:
    """Build settings from parsed TOML; unknown keys are refused (they are usually typos)."""
    known = {f.name: f for f in fields(HubSettings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise SettingsError(
                f"{source}: unknown key '{key}'. Valid keys: {', '.join(sorted(known))}."
            )
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(
                    f"{source}: '{key}' must be a list of strings (got {value!r})."
                    f' Example: {key} = ["10.0.0.1", "192.168.10.0/24"]'
                )
            values[key] = tuple(value)
            continue
        expected = int if key in _INT_RANGES else str
        if isinstance(value, bool) or not isinstance(value, expected):
            raise SettingsError(
                f"{source}: '{key}' must be {'an integer' if expected is int else 'a string'}"
                f" (got {value!r}). Example: {key} = {getattr(HubSettings(), key)!r}"
            )
        values[key] = value
    return validate(HubSettings(**values), source)


def validate(settings: HubSettings, source: str = "settings") -> HubSettings:
    """Check ranges and required shapes; returns the settings unchanged when they are fine."""
    for key, (low, high) in _INT_RANGES.items():
        value = getattr(settings, key)
        if not low <= value <= high:
            raise SettingsError(f"{source}: '{key}' = {value} is out of range; use {low}..{high}.")
    if settings.secret and len(settings.secret) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"{source}: 'secret' is too short ({len(settings.secret)} characters); use at least"
            f" {MIN_SECRET_LENGTH}, e.g. the output of `python3 -c 'import secrets;"
            " print(secrets.token_urlsafe(32))'`, or leave it out to let the hub keep one."
        )
    if "://" not in settings.database_url:
        raise SettingsError(
            f"{source}: 'database_url' = {settings.database_url!r} is not a URL; use e.g."
            " 'sqlite:////var/lib/bilik/hub.db' or 'postgresql+psycopg://bilik@localhost/bilik'."
        )
    if not settings.host:
        raise SettingsError(f"{source}: 'host' is empty; use '127.0.0.1' or '0.0.0.0'.")
    if bool(settings.tls_certfile) != bool(settings.tls_keyfile):
        raise SettingsError(
            f"{source}: 'tls_certfile' and 'tls_keyfile' go together; set both (HTTPS) or"
            " neither (plain http)."
        )
    for key in ("tls_certfile", "tls_keyfile"):
        path = getattr(settings, key)
        if path and not Path(path).is_file():
            raise SettingsError(f"{source}: '{key}' = {path!r} does not exist; fix the path.")
    for proxy in settings.trusted_proxies:
        try:
            ipaddress.ip_network(proxy.strip(), strict=False)
        except ValueError:
            raise SettingsError(
                f"{source}: 'trusted_proxies' entry {proxy!r} is not an address or a network;"
                " use e.g. '10.0.0.1' or '10.0.0.0/24'."
            ) from None
    return settings
