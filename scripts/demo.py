"""`make run`: a branch hub with demo data, one booth window, and what to do next.

- loads the demo branch (Tangerang Cikokol: 5 booths, 2 CS accounts, today's tickets) into
  `demo-output/hub.sqlite` and writes each ticket's QR to `demo-output/qr/`;
- starts the hub on http://127.0.0.1:8700 and puts demo CS `cs1` online, so a checked-in booth gets
  a CS assigned;
- starts booth tgc-01: with a camera at /dev/video0 it uses it, otherwise the demo camera shows a
  valid demo ticket's QR and the demo autopilot presses the buttons a participant would;
- with no display at all, the booth runs on a virtual screen (Xvfb), prints each state change,
  saves a screenshot of each screen to `demo-output/screenshots/`, and stops once a CS is
  assigned (with BILIK_DEMO_STAY=1 it stays up, so the console can call it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from scripts.null_audio import NullSinkServer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "demo-output"
PORT = int(os.environ.get("BILIK_DEMO_PORT", "8700"))
HUB = f"http://127.0.0.1:{PORT}"
BIN = Path(sys.executable).parent


def main() -> int:
    OUT.mkdir(exist_ok=True)
    database = f"sqlite:///{OUT / 'hub.sqlite'}"
    demo = json.loads(
        subprocess.run(
            [
                BIN / "bilik-hub",
                "demo",
                "--database-url",
                database,
                "--json",
                "--qr-dir",
                OUT / "qr",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    hub = subprocess.Popen(
        [BIN / "bilik-hub", "serve", "--port", str(PORT), "--database-url", database]
    )
    try:
        wait_for_hub()
        agent = demo["agents"][0]
        put_agent_online(agent["username"], agent["password"])
        booth = demo["booths"][0]
        ticket = next(t for t in demo["tickets"] if t["expect"] == "ok")
        config = write_booth_config(booth, ticket)
        print_summary(demo, booth, ticket, agent)
        return run_booth(config)
    finally:
        hub.send_signal(signal.SIGINT)
        try:
            hub.wait(timeout=10)
        except subprocess.TimeoutExpired:
            hub.kill()


def wait_for_hub(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{HUB}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the hub did not start on {HUB} (is port {PORT} in use?)")


def put_agent_online(username: str, password: str) -> None:
    login = requests.post(
        f"{HUB}/api/v1/agents/login", json={"username": username, "password": password}, timeout=5
    )
    login.raise_for_status()
    body = login.json()
    requests.post(
        f"{HUB}/api/v1/agents/{body['agent_id']}/status",
        json={"status": "online", "capacity": 5},
        headers={"Authorization": f"Bearer {body['token']}"},
        timeout=5,
    ).raise_for_status()


def write_booth_config(booth: dict, ticket: dict) -> Path:
    camera = "/dev/video0" if Path("/dev/video0").exists() else f"demo:{ticket['qr_payload']}"
    config = OUT / "kiosk.toml"
    config.write_text(
        "\n".join(
            [
                "[booth]",
                f'id = "{booth["booth_id"]}"',
                'language = "id"',
                "fullscreen = false",
                "",
                "[hub]",
                f'url = "{HUB}"',
                f'token = "{booth["token"]}"',
                "heartbeat_seconds = 3",
                "",
                "[camera]",
                f"source = {json.dumps(camera)}",
                "",
            ]
        )
    )
    return config


def print_summary(demo: dict, booth: dict, ticket: dict, agent: dict) -> None:
    print(f"\nBilik demo — hub {HUB}  (API docs {HUB}/docs, OpenAPI {HUB}/openapi.json)")
    print(
        f"CS console: {HUB}/console  (log in as {agent['username']} / {agent['password']}; "
        "the console page arrives with the video call — until then the CS side is the API)"
    )
    print(f"Booth {booth['booth_id']} checks in ticket {ticket['booking_code']} by itself.\n")
    print(f"{'code':<10} {'expect':<18} {'slot':<13} {'name':<24} QR image")
    for t in demo["tickets"]:
        slot = f"{t['slot_start']}-{t['slot_end']}"
        qr = OUT / "qr" / f"{t['booking_code']}.png"
        print(f"{t['booking_code']:<10} {t['expect']:<18} {slot:<13} {t['name']:<24} {qr}")
    print()


def run_booth(config: Path) -> int:
    kiosk = [str(BIN / "kiosk"), "run", "--config", str(config), "--print-states"]
    env = dict(os.environ, KIVY_NO_ARGS="1")
    if (
        Path("/proc/asound/cards").exists()
        and "no soundcards" not in Path("/proc/asound/cards").read_text()
    ):
        return run_kiosk(kiosk, env)
    with NullSinkServer(OUT / "pulse") as audio:  # no sound card: the headset check still works
        env["PULSE_SERVER"] = audio.address
        return run_kiosk(kiosk, env)


def has_sound_card() -> bool:
    cards = Path("/proc/asound/cards")
    return cards.exists() and "no soundcards" not in cards.read_text()


def run_kiosk(kiosk: list[str], env: dict[str, str]) -> int:
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        kiosk.append("--demo-autopilot")
        return subprocess.call(kiosk, env=env)
    if shutil.which("xvfb-run") is None:
        raise SystemExit("no display and no xvfb-run: run `make install`")
    shots = OUT / "screenshots"
    print(f"No display: running the booth on a virtual screen; screenshots go to {shots}/")
    kiosk += ["--demo-autopilot", "--screenshots", str(shots)]
    if os.environ.get("BILIK_DEMO_STAY"):
        print(f"The booth keeps running for the console at {HUB}/console; Ctrl-C stops it.")
    else:  # stop once a CS is assigned; `make run BILIK_DEMO_STAY=1` keeps it for the call
        kiosk += ["--exit-on", "assigned"]
    env["KIVY_HOME"] = str(OUT / "kivy-home")
    code = subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", *kiosk], env=env)
    print(f"Screenshots of every screen reached: {shots}/")
    return code


if __name__ == "__main__":
    sys.exit(main())
