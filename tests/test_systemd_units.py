"""The systemd units, the installer and the udev rules in systemd/ and config/udev/.

`systemd-analyze verify` also checks that every Exec*= binary exists. The units point at the
installed booth (/opt/bilik/.venv/bin/kiosk, .../bilik-hub) and at /usr/bin/cage, none of which
exist on a development or CI machine. So the test proves two things: (1) verifying the real unit
reports nothing but "is not executable" for exactly those install paths, and (2) a copy of the unit
whose install paths are rewritten to executable stand-ins in tmp_path -- and nothing else changed
-- verifies with exit 0 and no output at all.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "systemd").glob("*.service"))
#: Executables the units reference that exist only on an installed booth/hub.
INSTALL_PATHS = ("/opt/bilik/.venv/bin/kiosk", "/opt/bilik/.venv/bin/bilik-hub", "/usr/bin/cage")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed")


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def directives(unit: Path) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [values...]}}; keys may repeat in unit files."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None, f"{unit.name}: {line!r} outside a section"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_there_are_units():
    assert {u.name for u in UNITS} >= {"bilik-kiosk.service", "bilik-hub.service"}


@needs_analyze
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_unit_verifies_apart_from_missing_install_paths(unit: Path):
    result = verify(unit)
    complaints = [line for line in result.stderr.splitlines() if line.strip()]
    missing = {p for p in INSTALL_PATHS if not Path(p).exists()}
    expected = re.compile(
        rf"^{re.escape(unit.name)}: Command ({'|'.join(map(re.escape, missing)) or '$^'}) "
        r"is not executable: No such file or directory$"
    )
    unexpected = [line for line in complaints if not expected.match(line)]
    assert unexpected == [], "\n".join(unexpected)


@needs_analyze
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_unit_with_stand_in_executables_verifies_clean(unit: Path, tmp_path: Path):
    text = unit.read_text()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    rewritten = text
    for path in INSTALL_PATHS:
        stand_in = bin_dir / Path(path).name
        stand_in.write_text("#!/bin/sh\nexit 0\n")
        stand_in.chmod(0o755)
        rewritten = rewritten.replace(path, str(stand_in))
    # only the install paths differ: every other line is verified exactly as shipped
    changed = [
        (a, b) for a, b in zip(text.splitlines(), rewritten.splitlines(), strict=True) if a != b
    ]
    assert all(line.startswith("Exec") for line, _ in changed), changed

    copy = tmp_path / "units" / unit.name
    copy.parent.mkdir()
    copy.write_text(rewritten)
    result = verify(copy)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_kiosk_unit_is_notify_with_watchdog_and_restart():
    service = directives(ROOT / "systemd" / "bilik-kiosk.service")["Service"]
    assert service["Type"] == ["notify"]
    # the booth is cage's child, not ExecStart's main process (see the unit's comment)
    assert service["NotifyAccess"] == ["all"]
    assert "cage" in service["ExecStart"][0]
    assert int(service["WatchdogSec"][0]) > 0
    assert service["Restart"] == ["always"]
    assert service["User"] == ["bilik"]
    # hardening, but the booth keeps its camera, sound and input devices
    assert "PrivateDevices" not in service
    assert "DevicePolicy" not in service
    assert service["ProtectSystem"] == ["strict"]
    assert "/var/lib/bilik" in service["ReadWritePaths"][0].split()
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectKernelTunables", "ProtectControlGroups",
                "RestrictSUIDSGID", "LockPersonality"):  # fmt: skip
        assert service[key] == ["yes"], key


def test_hub_unit_is_notify_and_hardened():
    service = directives(ROOT / "systemd" / "bilik-hub.service")["Service"]
    assert service["Type"] == ["notify"]
    assert service["User"] == ["bilik"]
    assert service["Restart"] == ["always"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["ReadWritePaths"] == ["/var/lib/bilik"]


def test_hub_serve_sends_ready_once_listening_and_stopping_on_sigterm(tmp_path: Path):
    """The hub unit is Type=notify: without READY=1 systemd would time its start out."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(60)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify"))
    env.pop("BILIK_HUB_CONFIG", None)
    hub = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--database-url", f"sqlite:///{tmp_path / 'hub.db'}", "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert notify.recv(4096) == b"READY=1"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # READY=1 means it listens
        hub.send_signal(signal.SIGTERM)
        assert notify.recv(4096) == b"STOPPING=1"
        hub.wait(30)
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait()
        notify.close()


# installer --------------------------------------------------------------------------------

INSTALLER = ROOT / "systemd" / "bilik-kiosk-install.sh"


def test_installer_is_valid_shell():
    subprocess.run(["bash", "-n", str(INSTALLER)], check=True)
    assert os.access(INSTALLER, os.X_OK)


def test_installer_refuses_when_not_root():
    """As a non-root user; when the tests run as root, dropped to `nobody` with setpriv (on a
    copy `nobody` can read: the checkout may sit in a directory only root can enter)."""
    with tempfile.TemporaryDirectory() as where:
        command = ["bash", str(INSTALLER)]
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root and setpriv is missing")
            os.chmod(where, 0o755)
            copy = Path(shutil.copy(INSTALLER, where))
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       "bash", str(copy)]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=where)
    assert result.returncode != 0
    assert "root" in result.stderr
    assert result.stdout == ""  # refused before doing anything


# udev rules ---------------------------------------------------------------------------------

RULES = ROOT / "config" / "udev" / "70-bilik.rules"
#: udev rule keys (man 7 udev) that the rules use, and the operators they allow.
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "SUBSYSTEMS", "KERNEL", "ATTRS", "ATTR", "ENV", "TAG"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "TAG", "ENV", "OPTIONS", "GOTO", "LABEL"}
PAIR = re.compile(r'\s*([A-Z_]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')


def rule_lines() -> list[str]:
    return [
        line.strip()
        for line in RULES.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_udev_rules_parse():
    """`udevadm verify` only exists from systemd 254; with it, the rules must verify clean.
    Either way a structural check: every rule is KEY[{attr}]OP"value" pairs, known keys with the
    right kind of operator, and every rule that names a device has a match."""
    udevadm = shutil.which("udevadm")
    if (
        udevadm
        and subprocess.run([udevadm, "verify", "--help"], capture_output=True).returncode == 0
    ):
        result = subprocess.run([udevadm, "verify", str(RULES)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr

    lines = rule_lines()
    assert lines
    for line in lines:
        pairs = PAIR.findall(line)
        assert pairs, line
        assert "".join(m.group(0) for m in PAIR.finditer(line)).strip() == line, line
        for key, _attr, op, _value in pairs:
            if op in ("==", "!="):
                assert key in MATCH_KEYS, (key, line)
            else:
                assert key in ASSIGN_KEYS, (key, line)
        assert any(op in ("==", "!=") for _k, _a, op, _v in pairs) or pairs[0][0] == "LABEL", line


def test_udev_rules_name_the_scanner_and_camera_for_the_kiosk_user():
    text = "\n".join(rule_lines())
    assert 'SYMLINK+="bilik-scanner"' in text
    assert 'SYMLINK+="bilik-camera"' in text
    assert 'ENV{ID_INPUT_KEYBOARD}=="1"' in text
    assert 'GROUP="bilik"' in text
