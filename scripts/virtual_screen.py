"""A virtual screen (Xvfb) the size of a booth's touch screen, for tests, benches and demos."""

from __future__ import annotations

import subprocess

BOOTH_SCREEN = "1280x800x24"


class VirtualScreen:
    """`start()` gives the DISPLAY value (":N", a free number Xvfb picks itself); `stop()`."""

    def __init__(self, geometry: str = BOOTH_SCREEN) -> None:
        self.geometry = geometry
        self.display = ""
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> str:
        """Raises RuntimeError when Xvfb is missing or does not come up."""
        try:
            self._proc = subprocess.Popen(
                ["Xvfb", "-displayfd", "1", "-screen", "0", self.geometry, "-nolisten", "tcp"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        except FileNotFoundError as err:
            raise RuntimeError("Xvfb is not installed: run `make install` (Debian xvfb)") from err
        assert self._proc.stdout is not None
        number = self._proc.stdout.readline().strip()
        if not number:
            self.stop()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        return self.display

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
            self._proc = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
