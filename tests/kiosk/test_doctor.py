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
) -> Path:
    path.write_text(
        f'[booth]\nid = "{booth.id}"\n'
        f'[hub]\nurl = "{hub_url}"\ntoken = "{token or booth.token}"\ntimeout_seconds = 2\n'
        f'[camera]\nsource = "{camera}"\n'
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
