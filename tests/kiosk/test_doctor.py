"""`kiosk doctor` against real parts: a real hub process, a camera reading a real video file,
the headset through the PulseAudio null sink (its monitor is the microphone, so the speaker
check hears its own tone back). The exit codes are checked on the installed `kiosk` command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.config import KioskConfig, load_config
from kiosk.doctor import (
    check_clock,
    check_disk,
    check_hub,
    check_hub_token,
    check_microphone,
    check_scanner,
    check_speaker,
)
from tests.hub.harness import BoothInfo, HubProcess, Seeder, free_port, write_config
from tests.tls.ca import make_ca, make_server_cert
from tests.videos import write_ticket_video

pytestmark = pytest.mark.sound

KIOSK = Path(sys.executable).parent / "kiosk"
ALL_CHECKS = {"camera", "microphone", "speaker", "scanner", "hub", "hub token", "clock", "disk"}


@dataclass
class Hub:
    base_url: str
    booth: BoothInfo


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A real `bilik-hub serve` with one seeded booth."""
    directory = tmp_path_factory.mktemp("doctor-hub")
    database = f"sqlite:///{directory / 'hub.db'}"
    port = free_port()
    server = HubProcess(
        write_config(directory / "hub.toml", database, port), port, directory / "hub.log"
    )
    try:
        yield Hub(server.base_url, Seeder(database).branch(booths=1).booths[0])
    finally:
        server.stop()


@dataclass
class HttpsHub:
    base_url: str
    booth: BoothInfo
    ca: Path  # the branch CA that signed the hub's certificate
    other_ca: Path  # a valid CA that did not


@pytest.fixture(scope="module")
def https_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsHub]:
    """A real `bilik-hub serve` over HTTPS, its certificate signed by a throw-away branch CA."""
    directory = tmp_path_factory.mktemp("doctor-tls")
    ca, ca_key, ca_cert = make_ca(directory, "branch-ca")
    other_ca, _, _ = make_ca(directory, "some-other-ca")
    cert, key = make_server_cert(directory, ca_key, ca_cert)
    database = f"sqlite:///{directory / 'hub.db'}"
    port = free_port()
    config = write_config(
        directory / "hub.toml", database, port, tls_certfile=str(cert), tls_keyfile=str(key)
    )
    booth = Seeder(database).branch(booths=1).booths[0]
    server = HubProcess(config, port, directory / "hub.log", scheme="https", ca_file=ca)
    try:
        yield HttpsHub(server.base_url, booth, ca, other_ca)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ticket_video(tmp_path_factory.mktemp("doctor-camera") / "camera.avi")


def kiosk_toml(
    path: Path,
    hub_url: str,
    booth: BoothInfo,
    camera: Path,
    *,
    token: str | None = None,
    audio: str = "pulse",
    ca_file: Path | None = None,
) -> Path:
    pinned = f'ca_file = "{ca_file}"\n' if ca_file else ""
    path.write_text(
        f'[booth]\nid = "{booth.id}"\n'
        f'[hub]\nurl = "{hub_url}"\ntoken = "{token or booth.token}"\ntimeout_seconds = 2\n'
        + pinned
        + f'[camera]\nsource = "{camera}"\n'
        f'[audio]\ninput = "{audio}"\noutput = "{audio}"\n'
    )
    return path


def doctor(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KIOSK), "doctor", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_healthy_booth_passes_every_check_in_human_and_json_output(
    hub: Hub, video: Path, pulse_null_sink: str, tmp_path: Path
) -> None:
    config = kiosk_toml(tmp_path / "kiosk.toml", hub.base_url, hub.booth, video)

    done = doctor(config, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["booth"] == hub.booth.id
    checks = {c["name"]: c for c in report["checks"]}
    assert set(checks) == ALL_CHECKS
    assert all(c["ok"] for c in checks.values()), checks
    camera = checks["camera"]["summary"]
    assert "1280x720" in camera and "brightness" in camera, camera
    fps = float(camera.split(" at ")[1].split(" fps")[0])
    assert 12 <= fps <= 18, camera  # the file is paced at its own 15 fps
    assert "heard back on the monitor" in checks["speaker"]["summary"]
    assert "not configured" in checks["scanner"]["summary"]

    done = doctor(config)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert not any(line.startswith("FAIL") for line in lines), done.stdout
    assert lines[-1] == f"all {len(ALL_CHECKS)} checks ok"


def test_missing_camera_fails_with_the_fix_and_exit_1(
    hub: Hub, pulse_null_sink: str, tmp_path: Path
) -> None:
    missing = tmp_path / "unplugged.avi"
    config = kiosk_toml(tmp_path / "kiosk.toml", hub.base_url, hub.booth, missing)

    done = doctor(config, "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    camera = checks["camera"]
    assert not camera["ok"] and "unplugged.avi" in camera["summary"]
    assert "camera.source" in camera["fix"] and str(config) in camera["fix"]
    assert all(c["ok"] for name, c in checks.items() if name != "camera"), checks


def test_bad_config_exits_2_without_running_checks(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[booth]\nid = "tgc-01"\n[hub]\nurl = "http://hub:8700"\ntokn = "x"\n')
    done = doctor(config)
    assert done.returncode == 2
    assert "hub.tokn" in done.stderr and not done.stdout


def load(path: Path) -> KioskConfig:
    return load_config(path)


def test_hub_down_fails_hub_with_a_fix(video: Path, hub: Hub, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    config = load(kiosk_toml(tmp_path / "kiosk.toml", down, hub.booth, video))
    result = check_hub(config, "kiosk.toml")
    assert not result.ok and "unreachable" in result.summary
    assert "hub.url" in result.fix and down in result.fix
    assert not check_hub_token(config).ok and not check_clock(config).ok


def test_wrong_token_fails_the_token_check_naming_the_token(
    hub: Hub, video: Path, tmp_path: Path
) -> None:
    config = load(kiosk_toml(tmp_path / "k.toml", hub.base_url, hub.booth, video, token="stale"))
    assert check_hub(config).ok  # reachable; only the token is wrong
    result = check_hub_token(config, "k.toml")
    assert not result.ok and "401" in result.summary and "token" in result.summary
    assert "hub.token" in result.fix and "re-enroll" in result.fix


def test_clock_and_disk_checks(hub: Hub, video: Path, tmp_path: Path) -> None:
    config = load(kiosk_toml(tmp_path / "kiosk.toml", hub.base_url, hub.booth, video))
    clock = check_clock(config)
    assert clock.ok and "s " in clock.summary, clock
    assert float(clock.summary.split()[2]) < 2  # same machine, same clock
    assert check_disk(config, path=str(tmp_path)).ok
    full = check_disk(config, path=str(tmp_path), min_free=1 << 60)
    assert not full.ok and "journalctl" in full.fix


def test_scanner_not_there_fails_with_the_fix(video: Path, hub: Hub, tmp_path: Path):
    path = kiosk_toml(tmp_path / "kiosk.toml", hub.base_url, hub.booth, video)
    path.write_text(path.read_text() + '[scanner]\ndevice = "/dev/input/by-id/no-scanner"\n')
    result = check_scanner(load(path), "kiosk.toml")
    assert not result.ok and "/dev/input/by-id/no-scanner" in result.summary
    assert "scanner.device" in result.fix


def test_missing_headset_fails_microphone_and_speaker(
    hub: Hub, video: Path, pulse_null_sink: str, tmp_path: Path
) -> None:
    config = load(
        kiosk_toml(tmp_path / "kiosk.toml", hub.base_url, hub.booth, video, audio="jabra")
    )
    mic, speaker = check_microphone(config, "kiosk.toml"), check_speaker(config, "kiosk.toml")
    assert not mic.ok and "jabra" in mic.summary and "audio.input" in mic.fix
    assert not speaker.ok and "jabra" in speaker.summary and "audio.output" in speaker.fix
    assert "pulse" in mic.fix  # names what is available


def test_booth_pinning_the_branch_ca_passes_the_hub_checks_over_https(
    https_hub: HttpsHub, video: Path, tmp_path: Path
) -> None:
    """The doctor trusts what the booth trusts: the pinned branch CA of hub.ca_file."""
    path = kiosk_toml(
        tmp_path / "kiosk.toml", https_hub.base_url, https_hub.booth, video, ca_file=https_hub.ca
    )
    config = load(path)
    hub, token, clock = check_hub(config), check_hub_token(config), check_clock(config)
    assert hub.ok and https_hub.base_url in hub.summary, hub
    assert token.ok and https_hub.booth.id in token.summary, token
    assert clock.ok, clock


def test_hub_certificate_the_pinned_ca_did_not_sign_fails_naming_the_ca_file(
    https_hub: HttpsHub, video: Path, tmp_path: Path
) -> None:
    path = kiosk_toml(
        tmp_path / "kiosk.toml",
        https_hub.base_url,
        https_hub.booth,
        video,
        ca_file=https_hub.other_ca,
    )
    result = check_hub(load(path), "kiosk.toml")
    assert not result.ok and "SSLError" in result.summary, result
    assert "hub.ca_file" in result.fix and str(https_hub.other_ca) in result.fix, result.fix
    assert not check_hub_token(load(path)).ok
