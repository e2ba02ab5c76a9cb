"""Test-side remote control for a real booth app process (see tests/booth_driver.py)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class BoothProcess:
    """Starts `python -m tests.booth_driver`, records every state it reaches, sends commands."""

    def __init__(self, config_path: Path, env: dict[str, str], log_path: Path) -> None:
        self.states: list[str] = []
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._state_changed = threading.Condition()
        self._ids = itertools.count(1)
        self._log = open(log_path, "w")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.booth_driver", "--config", str(config_path)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(lambda: bool(self.states), 30, "booth app did not start")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.startswith("@@ "):
                self._log.write(line)
                continue
            message = json.loads(line[3:])
            if "reply" in message:
                self._replies.put(message)
            elif message.get("event") in ("state", "ready"):
                with self._state_changed:
                    self.states.append(message.get("new") or message["state"])
                    self._state_changed.notify_all()

    @property
    def state(self) -> str:
        return self.states[-1] if self.states else ""

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._state_changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"{what} (states so far: {self.states})")
                self._state_changed.wait(min(left, 0.2))

    def wait_state(self, state: str, timeout: float = 15) -> None:
        """Wait until the booth is in `state` (now or later)."""
        self.wait_for(lambda: self.state == state, timeout, f"booth never reached {state!r}")

    def command(self, cmd: str, timeout: float = 10, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        command_id = next(self._ids)
        self.proc.stdin.write(json.dumps({"id": command_id, "cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self._replies.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty as err:
                raise AssertionError(f"booth did not answer {cmd!r}") from err
            if reply["reply"] == command_id:
                if not reply["ok"]:
                    raise AssertionError(
                        f"booth failed {cmd!r}: {reply['error']}\n{reply['trace']}"
                    )
                return reply

    def tap(self, widget: str) -> None:
        self.command("tap", widget=widget)

    def type(self, text: str) -> None:
        self.command("type", text=text)

    def enter_code(self, text: str, then: str) -> None:
        """Type a booking code or NIK on the keypad, submit, and wait for state `then`."""
        if self.state != "manual_entry":
            self.tap("type_code")
            self.wait_state("manual_entry")
        self.type(text)
        self.tap("submit")
        self.wait_state(then)

    def check_in_typed(self, code: str) -> None:
        """From the start screen to the headset check, confirming the ticket found."""
        self.enter_code(code, "confirm")
        self.tap("confirm")
        self.wait_state("headset_check")

    def texts(self) -> str:
        """All visible label texts on the current screen, joined (for `in` assertions)."""
        return "\n".join(self.command("texts")["texts"])

    def flow(self) -> dict[str, Any]:
        return self.command("flow")

    def remote_frames(self) -> int:
        """Frames of the CS's video the booth has received in the current call."""
        return self.command("call")["remote_frames"]

    def screenshot(self, path: Path) -> Path:
        self.command("screenshot", path=str(path))
        return path

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(AssertionError, BrokenPipeError, OSError):
                self.command("quit", timeout=5)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def booth_env(display: str, kivy_home: Path, pulse_server: str | None = None) -> dict[str, str]:
    """Environment for a booth process: the Xvfb display, its own KIVY_HOME, no Kivy argv."""
    env = dict(os.environ)
    env.update({"DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(kivy_home)})
    env.pop("WAYLAND_DISPLAY", None)
    if pulse_server:
        env["PULSE_SERVER"] = pulse_server
    return env
