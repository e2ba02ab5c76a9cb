"""A private PulseAudio server with a null sink, for machines without a sound card.

Used by the tests, `make run` without a display and `make screenshots`. The booth's headset code
is unchanged: PortAudio → ALSA → PulseAudio, where the null sink `booth` plays the tone and its
monitor source hears it back (DESIGN.md "Testing here"), with two refinements measured here:

- its own server and socket, started in the foreground and stopped by its own handle: nothing
  else on the machine plays into the sink a test measures, and nothing is left running;
- a `parec` reads the monitor with 20 ms latency all along. Without a low-latency reader the null
  sink runs with ~2 s of latency (a 1 s tone took ~2.9 s to play and recordings started late), so
  every bounded headset call timed out. A real headset's sound card never behaves like that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

SINK = "booth"


class NullSinkServer:
    """`start()` it, point clients at `address` (PULSE_SERVER), `stop()` it."""

    def __init__(self, runtime_dir: Path, sink: str = SINK) -> None:
        self.runtime_dir = Path(runtime_dir)
        self.sink = sink
        self.address = f"unix:{self.runtime_dir / 'native'}"
        self.log_path = self.runtime_dir / "pulseaudio.log"
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self, timeout: float = 15.0) -> NullSinkServer:
        """Raises RuntimeError saying why when PulseAudio cannot give a running null sink."""
        for tool in ("pulseaudio", "pactl", "parec"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} not installed: run `make install` (Debian pulseaudio)")
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "XDG_RUNTIME_DIR": str(self.runtime_dir)}
        with open(self.log_path, "wb") as log:
            self._procs.append(
                subprocess.Popen(
                    [
                        "pulseaudio",
                        "-n",  # no default.pa: only the modules below
                        "--daemonize=no",
                        "--exit-idle-time=-1",
                        "--use-pid-file=no",
                        "--log-target=stderr",
                        "-L",
                        f"module-native-protocol-unix socket={self.runtime_dir / 'native'} "
                        "auth-anonymous=1",
                        "-L",
                        f"module-null-sink sink_name={self.sink}",
                    ],
                    stdout=log,
                    stderr=log,
                    env=env,
                )
            )
        try:
            self._wait(lambda: self._pactl("info").returncode == 0, timeout, "did not start")
            for args in (("set-default-sink", self.sink), ("set-default-source", self.monitor)):
                done = self._pactl(*args)
                if done.returncode != 0:
                    raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
            self._procs.append(
                subprocess.Popen(
                    ["parec", "--latency-msec=20", f"--device={self.monitor}", "--raw"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env={**env, "PULSE_SERVER": self.address},
                )
            )
            self._wait(
                lambda: "RUNNING" in self._pactl("list", "short", "sources").stdout,
                10,
                "monitor never started running (parec failed?)",
            )
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def monitor(self) -> str:
        return f"{self.sink}.monitor"

    def stop(self) -> None:
        for proc in reversed(self._procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._procs.clear()

    def __enter__(self) -> NullSinkServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _pactl(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PULSE_SERVER": self.address}
        return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10, env=env)

    def _wait(self, ready, timeout: float, problem: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self._procs[0].poll() is not None or time.monotonic() > deadline:
                log = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"PulseAudio {problem}:\n{log}")
            time.sleep(0.05)
