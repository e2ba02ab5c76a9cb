"""A PulseAudio null sink for machines without a sound card (tests, headless demos).

The booth's headset code is unchanged: PortAudio → ALSA → PulseAudio, where the null sink plays
the tone and its monitor source hears it back. Idempotent: reuses a running server and sink.
"""

from __future__ import annotations

import shutil
import subprocess
import time

SINK = "booth"


def _pactl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)


def ensure_null_sink(sink: str = SINK, timeout: float = 10.0) -> None:
    """Start PulseAudio if needed, load a null sink, make it the default sink and source."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        raise RuntimeError("pulseaudio/pactl missing: run `make install`")
    if _pactl("info").returncode != 0:
        subprocess.run(
            ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "--log-target=stderr"],
            capture_output=True,
            timeout=20,
        )
        deadline = time.monotonic() + timeout
        while _pactl("info").returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("PulseAudio did not start (see `pulseaudio -vvv`)")
            time.sleep(0.1)
    if sink not in _pactl("list", "short", "sinks").stdout.split():
        loaded = _pactl("load-module", "module-null-sink", f"sink_name={sink}")
        if loaded.returncode != 0:
            raise RuntimeError(f"cannot load the null sink: {loaded.stderr.strip()}")
    _pactl("set-default-sink", sink)
    _pactl("set-default-source", f"{sink}.monitor")


if __name__ == "__main__":
    ensure_null_sink()
    print(f"PulseAudio null sink '{SINK}' ready")
