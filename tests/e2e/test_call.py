"""The whole service on loopback: the real booth app (Xvfb, camera from a video file, headset on
the PulseAudio null sink), a real hub, and the CS console in headless Debian chromium.

A participant checks in, a CS accepts, both see each other, the CS asks for the e-KTP, puts the
booth on hold to talk to another booth, closes with an outcome; the booth shows it, takes a
rating and wipes itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.chromium import chromium
from tests.console.booth_peer import BoothPeer
from tests.console.helpers import Console
from tests.hub.harness import Api

pytestmark = [pytest.mark.gui, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        with chromium() as browser:
            yield browser
    except RuntimeError as err:
        pytest.fail(str(err))


@pytest.fixture
def page(browser: Browser, hub) -> Iterator[Page]:
    context = browser.new_context(
        base_url=hub.url,
        permissions=["camera", "microphone"],
        viewport={"width": 1440, "height": 900},
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the console page: {errors}"


def frames_decoded(console: Console, n: int) -> int:
    return int(console.tile(n).get_attribute("data-frames-decoded") or 0)


def test_cs_and_participant_see_each_other_still_hold_outcome_and_wipe(
    hub, branch, start_booth, blank_camera, page
):
    ticket = hub.seeder.ticket(branch, name="Budi Santoso")
    booth = start_booth(branch, blank_camera)
    booth.check_in_typed(ticket.booking_code)
    booth.tap("headset_ok")
    booth.wait_state("waiting")

    console = Console(page, Api(hub.url), branch, hub.seeder, hub.process)
    console.login()
    console.go_online()
    booth.wait_state("assigned")
    expect(console.tile(1)).to_contain_text("Bu** Sa*****")  # masked for the CS too
    expect(console.tile(1)).to_have_attribute("data-booth-online", "true")

    console.press("1")
    console.press("a")  # accept: the console calls the booth
    booth.wait_state("in_call", timeout=20)
    expect(console.tile(1)).to_have_attribute("data-state", "in_call")
    session_id = booth.flow()["session"]["id"]

    # media both ways: the console decodes the booth camera, the booth receives the CS camera
    booth.wait_for(lambda: frames_decoded(console, 1) > 30, 15, "console decodes booth video")
    first = booth.remote_frames()
    booth.wait_for(lambda: booth.remote_frames() > first + 10, 20, "booth receives CS video")
    assert "Anda terhubung dengan CS 1" in booth.texts()

    # a document still: the booth shows the guide, counts down, uploads; the tile shows it
    console.press("e")
    booth.wait_state("capturing_document")
    assert "e-KTP" in booth.texts()
    booth.wait_state("in_call", timeout=15)
    thumb = console.tile(1).locator(".still-strip .thumb img")
    expect(thumb).to_have_count(1)
    assert thumb.evaluate("img => img.naturalWidth") == 1280  # full resolution, not the preview

    # another participant at booth 2 (an aiortc peer): focusing them puts this booth on hold
    other = BoothPeer(hub.url, branch.booths[1], label="Bilik 2").start()
    try:
        console.participant(1, name="Siti Rahmawati")
        expect(console.tile(2)).to_have_count(1)
        console.press("2")
        console.press("a")
        assert other.connected.wait(15), "booth 2 never connected"
        booth.wait_state("on_hold")
        assert "Petugas sedang melayani peserta lain" in booth.texts()
        console.press("1")
        booth.wait_state("in_call")
    finally:
        other.stop()

    # the CS closes with an outcome: the booth shows it, takes a rating, wipes itself
    console.press("1")
    console.press("c")
    dialog = page.locator("#close-dialog")
    dialog.locator("input[value=incomplete]").check()
    for box in dialog.locator("input[name=missing]").all():
        box.uncheck()
    dialog.locator("input[name=missing][value=leaving_proof]").check()
    dialog.locator("[data-role=send]").click()
    expect(dialog).to_be_hidden()
    booth.wait_state("finished", timeout=10)
    screen = booth.texts()
    assert "Dokumen belum lengkap" in screen
    assert "Surat keterangan berhenti bekerja" in screen
    booth.tap("rate_5")
    booth.wait_for(lambda: "Terima kasih atas penilaian Anda." in booth.texts(), 5, "no thanks")
    booth.tap("done")
    booth.wait_state("attract")
    flow = booth.flow()
    assert flow["session"] is None and flow["ticket"] == {}
    assert booth.command("call")["up"] is False  # camera and microphone have left the line
    booth.wait_for(lambda: console.session(session_id, 0)["rating"] == 5, 5, "rating not recorded")
    closed = console.session(session_id, 0)
    assert (closed["state"], closed["outcome_missing"]) == ("closed", ["leaving_proof"])
