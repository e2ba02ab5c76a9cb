"""Fixtures for end-to-end booth tests: a real hub, the real booth app on Xvfb, real video files
as the camera and a private PulseAudio null sink as the headset."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.virtual_screen import VirtualScreen
from tests.booth import BoothProcess, booth_env
from tests.hub.harness import BranchInfo, HubProcess, Seeder, free_port, write_config
from tests.videos import write_ticket_video


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A virtual screen the size of a booth's touch screen; yields the DISPLAY value."""
    screen = VirtualScreen()
    try:
        display = screen.start()
    except RuntimeError as err:
        pytest.fail(str(err))
    yield display
    screen.stop()


class HubFactory:
    """Starts hubs on loopback with their own SQLite file; `restart()` keeps port and data."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.database_url = f"sqlite:///{directory / 'hub.db'}"
        self.port = free_port()
        # Generous look-up limit: these tests walk one booth through many refusals on purpose.
        self.config = write_config(
            directory / "hub.toml", self.database_url, self.port, lookup_failures_per_minute=50
        )
        self.seeder = Seeder(self.database_url)
        self.process: HubProcess | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = HubProcess(self.config, self.port, self.directory / "hub.log")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubFactory]:
    factory = HubFactory(tmp_path_factory.mktemp("e2e-hub"))
    yield factory
    factory.stop()


@pytest.fixture
def branch(hub: HubFactory) -> BranchInfo:
    """A fresh branch per test (one booth, one CS who stays offline until a test says so)."""
    return hub.seeder.branch(booths=2, agents=1)


@pytest.fixture
def start_booth(
    xvfb: str,
    pulse_null_sink: str,
    hub: HubFactory,
    tmp_path: Path,  # noqa: F811
) -> Iterator[Callable[..., BoothProcess]]:
    """Factory: start the real booth app for `booth` of a branch with a camera `source`."""
    booths: list[BoothProcess] = []

    def start(
        branch: BranchInfo,
        camera: Path | str,
        booth_index: int = 0,
        audio_input: str = "",
        idle_timeout: float = 60,
        name: str = "booth",
        extra: str = "",
        env: dict[str, str] | None = None,
    ) -> BoothProcess:
        """`extra`: more kiosk.toml sections (e.g. `[maintenance]`); `env`: more environment."""
        booth = branch.booths[booth_index]
        config = tmp_path / f"{name}.toml"
        config.write_text(
            f"""
[booth]
id = "{booth.id}"
fullscreen = false
idle_timeout_seconds = {idle_timeout}

[hub]
url = "{hub.url}"
token = "{booth.token}"
timeout_seconds = 2
heartbeat_seconds = 1

[camera]
source = "{camera}"
reopen_seconds = 0.5

[audio]
input = "{audio_input}"
{extra}"""
        )
        environment = booth_env(xvfb, tmp_path / f"kivy-{name}", pulse_null_sink)
        booth_tmp = tmp_path / f"tmp-{name}"  # the booth's own temp dir: privacy tests scan it
        booth_tmp.mkdir(exist_ok=True)
        booth_environment = {**environment, "TMPDIR": str(booth_tmp), **(env or {})}
        process = BoothProcess(config, booth_environment, tmp_path / f"{name}.log")
        booths.append(process)
        return process

    yield start
    for process in booths:
        process.stop()


@pytest.fixture
def blank_camera(tmp_path: Path) -> Path:
    """A camera that sees the booth, no QR: for tests that type codes."""
    return write_ticket_video(tmp_path / "blank.avi", None)
