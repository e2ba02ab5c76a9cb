"""`make screenshots`: a picture of every booth screen, taken from the real app under Xvfb.

Drives real booths against a real hub the way the end-to-end tests do (tests/booth.py), so the
README's pictures are what a participant sees. Output: docs/screenshots/<screen>.png.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import sys
import tempfile
import time
from pathlib import Path

from scripts.null_audio import NullSinkServer
from scripts.virtual_screen import VirtualScreen
from tests.booth import BoothProcess, booth_env
from tests.chromium import chromium
from tests.console.booth_peer import BoothPeer
from tests.console.helpers import Console
from tests.hub.harness import Api, HubProcess, Seeder, free_port, write_config
from tests.videos import write_ticket_video


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bilik-shots-") as tmp_name:
        tmp = Path(tmp_name)
        audio = NullSinkServer(tmp / "pulse").start()
        screen = VirtualScreen()
        display = screen.start()
        port = free_port()
        database = f"sqlite:///{tmp / 'hub.db'}"
        hub = HubProcess(write_config(tmp / "hub.toml", database, port), port, tmp / "hub.log")
        try:
            take_all(out, tmp, display, hub, Seeder(database), audio)
        finally:
            hub.stop()
            screen.stop()
            audio.stop()
    print(f"screenshots in {out}/")
    return 0


@contextlib.contextmanager
def console_in_chromium(hub_url: str, branch, seeder: Seeder, hub: HubProcess):
    """The CS console in headless Debian chromium (fake camera and microphone), logged out."""
    with chromium() as browser:
        context = browser.new_context(base_url=hub_url, permissions=["camera", "microphone"])
        try:
            yield Console(context.new_page(), Api(hub_url), branch, seeder, hub)
        finally:
            context.close()


def take_all(
    out: Path,
    tmp: Path,
    display: str,
    hub_process: HubProcess,
    seeder: Seeder,
    audio: NullSinkServer,
) -> None:
    hub_url = hub_process.base_url
    branch = seeder.branch(booths=5, agents=1)  # a zone where it is about noon: slots fit today
    ticket = seeder.ticket(
        branch, start_in=dt.timedelta(minutes=-5), length=dt.timedelta(minutes=10)
    )
    camera = write_ticket_video(tmp / "booth.avi", None)

    def booth(index: int, camera_source: Path | str, url: str = hub_url, timeout: float = 2):
        config = tmp / f"booth{index}.toml"
        config.write_text(
            f'[booth]\nid = "{branch.booths[index].id}"\nfullscreen = false\n'
            f'[hub]\nurl = "{url}"\ntoken = "{branch.booths[index].token}"\n'
            f"timeout_seconds = {timeout}\nheartbeat_seconds = 1\n"
            f'[camera]\nsource = "{camera_source}"\nreopen_seconds = 0.5\n'
        )
        env = booth_env(display, tmp / f"kivy{index}", audio.address)
        return BoothProcess(config, env, tmp / f"booth{index}.log")

    def shot(process: BoothProcess, name: str, settle: float = 0.5) -> None:
        time.sleep(settle)  # let the camera preview and level meter show something
        process.screenshot(out / f"{name}.png")
        print(f"  {name}")

    main_booth = booth(0, camera)
    try:
        main_booth.wait_state("attract")
        shot(main_booth, "attract")
        main_booth.tap("language_toggle")
        shot(main_booth, "attract_en")
        main_booth.tap("language_toggle")
        main_booth.tap("start")
        main_booth.wait_state("scanning")
        shot(main_booth, "scanning", settle=1.5)
        main_booth.tap("type_code")
        main_booth.wait_state("manual_entry")
        main_booth.type(ticket.booking_code[:5])
        shot(main_booth, "manual_entry")
        main_booth.type(ticket.booking_code[5:])
        main_booth.tap("submit")
        main_booth.wait_state("confirm")
        shot(main_booth, "confirm")
        main_booth.tap("confirm")
        main_booth.wait_state("headset_check")
        shot(main_booth, "headset_check", settle=1.2)
        main_booth.tap("headset_ok")
        main_booth.wait_state("waiting")
        shot(main_booth, "waiting", settle=1.0)
        with console_in_chromium(hub_url, branch, seeder, hub_process) as console:
            console.login()
            console.go_online()
            main_booth.wait_state("assigned")
            shot(main_booth, "assigned")
            console.press("1")
            console.press("a")  # the CS accepts: the console calls the booth
            main_booth.wait_state("in_call", timeout=20)
            shot(main_booth, "call", settle=2.0)
            console.press("e")  # the CS asks for the e-KTP
            main_booth.wait_state("capturing_document")
            shot(main_booth, "document_capture", settle=1.0)
            main_booth.wait_state("in_call", timeout=15)
            other = BoothPeer(hub_url, branch.booths[4], label="Bilik 5").start()
            try:
                console.participant(4, name="Siti Rahmawati")
                console.page.wait_for_selector("article.tile[data-slot='2']")
                console.press("2")
                console.press("a")  # the CS turns to another booth: this one waits
                main_booth.wait_state("on_hold", timeout=20)
                shot(main_booth, "on_hold", settle=1.0)
                console.press("1")
                main_booth.wait_state("in_call")
            finally:
                other.stop()
            console.press("c")
            dialog = console.page.locator("#close-dialog")
            dialog.locator("input[value=incomplete]").check()
            for box in dialog.locator("input[name=missing]").all():
                box.uncheck()
            dialog.locator("input[name=missing][value=leaving_proof]").check()
            dialog.locator("[data-role=send]").click()
            main_booth.wait_state("finished")
            shot(main_booth, "finished")
    finally:
        main_booth.stop()

    early = seeder.ticket(branch, start_in=dt.timedelta(hours=2), length=dt.timedelta(minutes=30))
    refusing = booth(1, camera)
    try:
        refusing.tap("type_code")
        refusing.wait_state("manual_entry")
        refusing.type(early.booking_code)
        refusing.tap("submit")
        refusing.wait_state("refused")
        shot(refusing, "refused")
    finally:
        refusing.stop()

    unplugged = booth(2, tmp / "no-camera.avi")
    try:
        unplugged.wait_state("out_of_service")
        shot(unplugged, "out_of_service")
    finally:
        unplugged.stop()

    # A hub that accepts connections and never answers keeps the booth on "verifying".
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        slow = booth(3, camera, url=f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=20)
        try:
            slow.tap("type_code")
            slow.wait_state("manual_entry")
            slow.type(ticket.booking_code)
            slow.tap("submit")
            slow.wait_state("verifying")
            shot(slow, "verifying")
        finally:
            slow.stop()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
