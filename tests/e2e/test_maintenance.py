"""Branch IT's way in: five quick taps on the corner, the PIN from kiosk.toml, then device
health, restart or exit to the desktop. Nothing else leaves the fullscreen booth."""

from __future__ import annotations

import pytest

from kiosk.flow import EXIT_TO_DESKTOP

pytestmark = pytest.mark.gui

PIN = "2468"
MAINTENANCE = f'\n[maintenance]\npin = "{PIN}"\n'


def open_maintenance(booth) -> None:
    for _ in range(5):
        booth.tap("corner")
    booth.wait_state("maintenance")


def type_pin(booth, pin: str) -> None:
    for digit in pin:
        booth.tap(f"pin_{digit}")
    booth.tap("pin_submit")


def test_pin_opens_diagnostics_and_exit_to_desktop_ends_the_app(
    hub, branch, start_booth, blank_camera
):
    booth = start_booth(branch, blank_camera, extra=MAINTENANCE)
    booth.wait_state("attract")
    for _ in range(4):
        booth.tap("corner")
    assert booth.state == "attract"  # four taps are just taps

    open_maintenance(booth)
    assert "Masukkan PIN petugas IT." in booth.texts()
    type_pin(booth, "1357")
    booth.wait_for(lambda: "PIN salah (1 dari 3)" in booth.texts(), 5, "wrong PIN not told")
    with pytest.raises(AssertionError, match="disabled"):
        booth.tap("diagnose")  # still locked
    type_pin(booth, PIN)
    booth.wait_for(lambda: booth.flow()["state"] == "maintenance", 5, "left maintenance")
    booth.tap("diagnose")
    booth.wait_for(lambda: "camera: ok" in booth.texts(), 10, "no device health shown")
    assert "hub: ok" in booth.texts()
    booth.tap("close")
    booth.wait_state("attract")

    open_maintenance(booth)
    type_pin(booth, PIN)
    booth.wait_for(lambda: "Keluar ke desktop" in booth.texts(), 5, "not unlocked")  # shown
    booth.tap("exit_to_desktop")
    assert booth.proc.wait(15) == EXIT_TO_DESKTOP  # systemd: RestartPreventExitStatus


def test_three_wrong_pins_return_to_the_start_screen(hub, branch, start_booth, blank_camera):
    booth = start_booth(branch, blank_camera, extra=MAINTENANCE)
    booth.wait_state("attract")
    open_maintenance(booth)
    for _ in range(3):
        type_pin(booth, "0000")
    booth.wait_state("attract")


def test_without_a_pin_the_corner_taps_do_nothing(hub, branch, start_booth, blank_camera):
    booth = start_booth(branch, blank_camera)
    booth.wait_state("attract")
    for _ in range(6):
        booth.tap("corner")
    assert booth.flow()["state"] == "attract"
