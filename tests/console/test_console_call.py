"""Media between the console (Debian chromium, fake camera and microphone) and booths played by
aiortc peers in the test process (tests/console/booth_peer.py), through the real hub.

Set BILIK_CONSOLE_SCREENSHOT=docs/screenshots/console.png to also save the README screenshot.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.console.booth_peer import BoothPeer
from tests.console.helpers import Console

pytestmark = pytest.mark.browser

#: Peak sample value (int16) above which a booth "hears" the CS. Chromium's fake microphone
#: beeps loudly; a disabled track arrives as digital silence.
HEARD = 1000
SILENT = 50


@pytest.fixture
def booth_peers(console: Console) -> Iterator[Callable[[int], BoothPeer]]:
    peers: list[BoothPeer] = []

    def start(index: int) -> BoothPeer:
        peer = BoothPeer(console.hub.base_url, console.booth(index), label=f"Bilik {index + 1}")
        peers.append(peer.start())
        assert not peer.errors, peer.errors
        return peer

    yield start
    for peer in peers:
        peer.stop()
    errors = [e for peer in peers for e in peer.errors]
    assert not errors, errors


def frames_decoded(tile: Locator) -> int:
    return int(tile.get_attribute("data-frames-decoded") or 0)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_booth_video_plays_and_cs_microphone_reaches_only_the_focused_booth(
    console: Console, booth_peers: Callable[[int], BoothPeer]
) -> None:
    console.login()
    console.go_online()
    first_id = console.participant(0, name="Ani Lestari")
    second_id = console.participant(1, name="Bayu Pratama")
    first, second = booth_peers(0), booth_peers(1)
    tile1, tile2 = console.tile(1), console.tile(2)
    expect(tile1).to_have_attribute("data-booth-online", "true")
    expect(tile1.locator(".badge.offline")).to_be_hidden()

    started = time.monotonic()
    console.accept(1)
    assert first.connected.wait(10), "booth 1 never connected"
    expect(tile1).to_have_attribute("data-state", "in_call")
    wait_for(lambda: frames_decoded(tile1) > 0, 10, "first frame from booth 1 in the console")
    first_frame = time.monotonic() - started
    console.accept(2)
    assert second.connected.wait(10), "booth 2 never connected"
    expect(tile2).to_have_attribute("data-state", "in_call")

    # video flows: framesDecoded keeps rising on both tiles, and the <video> has a picture
    before = frames_decoded(tile1), frames_decoded(tile2)
    wait_for(
        lambda: frames_decoded(tile1) > before[0] + 20 and frames_decoded(tile2) > before[1] + 20,
        10,
        "frames decoded rising on both tiles",
    )
    assert tile1.locator("video").evaluate("v => v.videoWidth") == 640
    expect(tile1).to_have_attribute("data-quality", "good")
    expect(tile1.locator(".no-video")).to_be_hidden()
    assert first.video_frames > 0 and second.video_frames > 0  # the CS camera reaches booths

    # accepting booth 2 (selected) focused it: the CS microphone goes to booth 2 only
    peaks: list[tuple[int, int]] = []
    for focused, (talk, hold), (talk_id, hold_id) in (
        (2, (second, first), (second_id, first_id)),
        (1, (first, second), (first_id, second_id)),
    ):
        console.press(str(focused))
        other = 3 - focused
        expect(console.tile(focused)).to_have_attribute("data-mic", "on")
        expect(console.tile(other)).to_have_attribute("data-mic", "off")
        expect(console.tile(other)).to_have_attribute("data-on-hold", "true")
        expect(console.tile(focused)).to_have_attribute("data-audio", "on")
        expect(console.tile(other)).to_have_attribute("data-audio", "muted")
        assert console.session(talk_id, focused - 1)["on_hold"] is False
        assert console.session(hold_id, other - 1)["on_hold"] is True
        since = time.monotonic() + 0.5  # let the switch settle
        time.sleep(3.0)
        now = time.monotonic()
        heard = talk.heard.peak_between(since, now), hold.heard.peak_between(since, now)
        peaks.append(heard)
        assert heard[0] > HEARD, f"focused booth hears nothing (peak {heard[0]})"
        assert 0 <= heard[1] < SILENT, f"booth on hold hears the CS (peak {heard[1]})"

    # the CS may listen in on a booth on hold (Shift+2), which still does not hear the CS
    console.press("Shift+2")
    expect(tile2).to_have_attribute("data-audio", "on")
    expect(tile2.locator("button.listen")).to_have_attribute("aria-pressed", "true")
    expect(tile2).to_have_attribute("data-mic", "off")
    console.press("Shift+2")
    expect(tile2).to_have_attribute("data-audio", "muted")
    print(
        f"\naccept -> first booth frame in the console: {first_frame:.2f} s; "
        f"CS audio peaks (focused, on hold): {peaks}"
    )


def test_booth_that_drops_and_returns_gets_a_new_offer_and_video_resumes(
    console: Console, booth_peers: Callable[[int], BoothPeer]
) -> None:
    console.login()
    console.go_online()
    session_id = console.participant(0)
    peer = booth_peers(0)
    tile = console.tile(1)
    console.accept(1)
    assert peer.connected.wait(10), "booth never connected"
    wait_for(lambda: frames_decoded(tile) > 10, 10, "video before the drop")

    peer.stop()  # the booth's event stream closes (a restart, a cable)
    expect(tile).to_have_attribute("data-booth-online", "false")
    expect(tile.locator(".badge.offline")).to_be_visible()
    assert console.session(session_id, 0)["state"] in ("connecting", "in_call")  # kept

    back = booth_peers(0)
    expect(tile).to_have_attribute("data-booth-online", "true")
    assert back.connected.wait(10), "the console did not offer again"
    assert back.offers == 1
    # a new peer connection: its frame counter starts again and rises
    wait_for(lambda: frames_decoded(tile) > 0, 10, "video after the return")
    before = frames_decoded(tile)
    wait_for(lambda: frames_decoded(tile) > before + 20, 10, "video running after the return")
    expect(tile.locator(".badge.offline")).to_be_hidden()


def test_document_still_arrives_in_tile_and_opens_zoomable(
    console: Console, booth_peers: Callable[[int], BoothPeer]
) -> None:
    page = console.page
    console.login()
    console.go_online()
    focus_id = console.participant(0, name="Siti Rahmawati")
    console.participant(1, name="Joko Susilo")
    console.participant(2, name="Dewi Kartika")
    peer = booth_peers(0)
    booth_peers(1)
    booth_peers(2)
    console.accept(2)
    console.accept(1)
    wait_for(lambda: frames_decoded(console.tile(1)) > 10, 15, "video from booth 1")
    wait_for(lambda: frames_decoded(console.tile(2)) > 10, 15, "video from booth 2")

    console.press("e")  # request a still of the e-KTP
    expect(page.locator("#doc-requests button[data-document=ektp] + .doc-status")).to_have_text(
        "\u2713"
    )
    assert peer.stills_sent == ["ektp"]
    thumb = console.tile(1).locator(".still-strip .thumb")
    expect(thumb).to_have_count(1)
    expect(page.locator("#panel-stills .thumb")).to_have_count(1)
    assert thumb.locator("img").evaluate("img => img.naturalWidth") == 1280

    page.locator("#checklist input[name=ektp]").check()
    page.locator("#checklist input[name=kk]").check()
    expect(page.locator("#checklist .save-status")).to_have_text("Tersimpan")
    screenshot(console)

    console.press("v")
    viewer = page.locator("#viewer")
    expect(viewer).to_be_visible()
    expect(viewer).to_have_attribute("data-scale", "1.00")
    stage = viewer.locator("[data-role=stage]")
    stage.hover()
    page.mouse.wheel(0, -300)
    wait_for(lambda: float(viewer.get_attribute("data-scale") or 1) > 1.1, 5, "wheel zoom")
    viewer.locator("[data-role=zoom-reset]").click()
    expect(viewer).to_have_attribute("data-scale", "1.00")
    viewer.locator("[data-role=zoom-in]").click()
    expect(viewer).to_have_attribute("data-scale", "1.25")
    box = stage.bounding_box()
    assert box is not None
    image = viewer.locator("[data-role=image]")
    before = image.evaluate("i => i.style.transform")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 40)
    page.mouse.up()
    assert image.evaluate("i => i.style.transform") != before  # dragged
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    assert console.session(focus_id, 0)["state"] == "in_call"


def screenshot(console: Console) -> None:
    """The README picture: three booths (one talking, one on hold, one waiting), a still."""
    target = os.environ.get("BILIK_CONSOLE_SCREENSHOT")
    if not target:
        return
    page = console.page
    page.wait_for_timeout(800)  # a few more frames and one more stats sample
    page.locator("#toasts").evaluate("t => t.replaceChildren()")
    page.evaluate("document.activeElement?.blur()")
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    page.screenshot(path=str(tmp))
    shutil.move(tmp, path)


def test_five_booths_in_calls_at_once_and_focus_holds_all_but_one(
    console: Console, booth_peers: Callable[[int], BoothPeer]
) -> None:
    """One CS, five booths (the one-to-many limit), all in a call with video at the same time."""
    console.login()
    console.go_online(capacity=5)
    names = ["Ani Lestari", "Bayu Pratama", "Citra Dewi", "Dodi Saputra", "Eka Wulandari"]
    sessions = [console.participant(i, name=name) for i, name in enumerate(names)]
    peers = [booth_peers(i) for i in range(5)]
    for n in range(1, 6):
        console.accept(n)
    for n, peer in enumerate(peers, start=1):
        assert peer.connected.wait(20), f"booth {n} never connected"
        expect(console.tile(n)).to_have_attribute("data-state", "in_call")
    for n in range(1, 6):
        wait_for(lambda n=n: frames_decoded(console.tile(n)) > 5, 20, f"video of booth {n}")

    for focused in (3, 5, 1):
        console.press(str(focused))
        expect(console.tile(focused)).to_have_attribute("data-mic", "on")
        for n, session_id in enumerate(sessions, start=1):
            on_hold = n != focused
            expect(console.tile(n)).to_have_attribute("data-on-hold", str(on_hold).lower())
            wait_for(
                lambda sid=session_id, i=n - 1, want=on_hold: (
                    console.session(sid, i)["on_hold"] is want
                ),
                5,
                f"booth {n} on hold = {on_hold} at the hub while booth {focused} is focused",
            )


def test_stills_come_back_after_a_reload_and_after_the_stream_drops(
    console: Console, booth_peers: Callable[[int], BoothPeer]
) -> None:
    page = console.page
    console.login()
    console.go_online()
    session_id = console.participant(0)
    peer = booth_peers(0)
    console.accept(1)
    assert peer.connected.wait(10), "booth never connected"
    thumbs = console.tile(1).locator(".still-strip .thumb")
    console.press("e")
    expect(thumbs).to_have_count(1)

    page.reload()  # the stills are listed again by the hub, not asked of the booth again
    expect(page.locator("#console-view")).to_be_visible()
    expect(thumbs).to_have_count(1)
    expect(page.locator("#panel-stills .thumb")).to_have_count(1)  # its only session: focused
    wait_for(
        lambda: thumbs.locator("img").evaluate("img => img.naturalWidth") == 1280,
        5,
        "the reloaded thumbnail's picture",
    )
    assert peer.stills_sent == ["ektp"]

    # The event stream drops (it reconnects in 4 s); a still arrives meanwhile, unannounced.
    page.evaluate("""() => {
        const events = window.bilikConsole.events;
        events.retryMs = 4000;
        events.socket.close();
    }""")
    expect(page.locator("#stream-state")).to_have_attribute("data-up", "false")
    console.press("k")
    wait_for(lambda: peer.stills_sent == ["ektp", "kk"], 5, "the booth's still of the KK")
    expect(thumbs).to_have_count(1)  # not announced: the stream is down
    expect(page.locator("#stream-state")).to_have_attribute("data-up", "true", timeout=10_000)
    expect(thumbs).to_have_count(2)
    listed = page.evaluate(
        "id => fetch(`/api/v1/sessions/${id}/stills`).then(r => r.json())", session_id
    )
    shown = thumbs.evaluate_all("nodes => nodes.map(n => Number(n.dataset.stillId))")
    assert shown == [still["id"] for still in listed["stills"]]  # each once, oldest first


#: Records every RTCPeerConnection the page makes, to check that they are all closed.
TRACK_PEER_CONNECTIONS = """
    const Native = window.RTCPeerConnection;
    window.peerConnections = [];
    window.RTCPeerConnection = class extends Native {
        constructor(...args) { super(...args); window.peerConnections.push(this); }
    };
"""


def test_cs_signed_in_elsewhere_stops_calling_the_booth_and_says_so(
    console: Console, booth_peers: Callable[[int], BoothPeer], browser: Browser
) -> None:
    page = console.page
    page.add_init_script(TRACK_PEER_CONNECTIONS)
    console.login()
    console.go_online()
    session_id = console.participant(0)
    peer = booth_peers(0)
    console.accept(1)
    assert peer.connected.wait(10), "booth never connected"
    wait_for(lambda: frames_decoded(console.tile(1)) > 5, 10, "video in the first console")
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))

    # the same CS signs in on another PC (its own browser, its own cookies)
    other_context = browser.new_context(
        base_url=console.hub.base_url, permissions=["camera", "microphone"]
    )
    try:
        other_page = other_context.new_page()
        errors: list[str] = []
        other_page.on("pageerror", lambda err: errors.append(str(err)))
        other = Console(other_page, console.api, console.branch, console.seeder, console.hub)
        other.login()

        notice = page.locator("#login-error")
        expect(notice).to_have_attribute("data-reason", "signed_in_elsewhere")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("Akun Anda masuk di perangkat lain")
        expect(notice.locator("small[lang=en]")).to_contain_text("signed in on another device")
        expect(page.locator("#console-view")).to_be_hidden()
        states = page.evaluate("window.peerConnections.map(pc => pc.signalingState)")
        assert states and set(states) == {"closed"}, states

        # the new console takes the call over
        expect(other.tile(1)).to_have_attribute("data-session-id", str(session_id))
        wait_for(lambda: peer.offers == 2, 10, "the new console's offer")
        wait_for(lambda: frames_decoded(other.tile(1)) > 5, 10, "video in the new console")
        # the old one neither offers nor reconnects (the flip came back every ~18 s)
        page.wait_for_timeout(6_000)
        assert peer.offers == 2
        assert sockets == [], sockets
        assert page.evaluate("window.peerConnections.length") == len(states)
        expect(notice).to_have_attribute("data-reason", "signed_in_elsewhere")
        expect(other.tile(1)).to_have_attribute("data-state", "in_call")
        expect(other.page.locator("#stream-state")).to_have_attribute("data-up", "true")
        assert not errors, errors
    finally:
        other_context.close()
