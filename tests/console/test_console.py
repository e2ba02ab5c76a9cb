"""The CS console page in Debian chromium against a real hub: login, tiles, focus keys, CSRF,
checklist and close dialog. The booths here are API calls only (no media); media is in
test_console_call.py."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from tests.console.helpers import Console

pytestmark = pytest.mark.browser


def test_wrong_password_shows_error_and_keeps_login_form(console: Console) -> None:
    console.login(password="not-the-password")
    error = console.page.locator("#login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("salah")  # "Nama pengguna atau kata sandi salah."
    expect(console.page.locator("#console-view")).to_be_hidden()
    assert "bilik_csrf" not in console.page.evaluate("document.cookie")


def test_session_cookie_is_hidden_from_the_page_and_reload_keeps_login(console: Console) -> None:
    console.login()
    cookies = console.page.evaluate("document.cookie")
    assert "bilik_csrf=" in cookies
    assert "bilik_session" not in cookies  # HttpOnly
    console.page.reload()
    expect(console.page.locator("#console-view")).to_be_visible()
    console.page.click("#logout")
    expect(console.page.locator("#login-form")).to_be_visible()
    console.page.reload()
    expect(console.page.locator("#login-form")).to_be_visible()


def test_online_cs_sees_booth_session_as_tile_with_masked_name(console: Console) -> None:
    console.login()
    console.go_online(capacity=3)
    expect(console.page.locator(".tile.empty")).to_have_count(3)
    session_id = console.participant(0, name="Budi Santoso")
    tile = console.tile(1)
    expect(tile).to_have_attribute("data-session-id", str(session_id))
    expect(tile.locator(".name")).to_have_text("Bu** Sa*****")
    expect(tile.locator(".nik")).to_have_text(re.compile(r"^\d{4}\*{8}\d{4}$"))
    expect(tile).to_have_attribute("data-state", "assigned")
    expect(tile.locator(".slot")).to_contain_text(re.compile(r"\d\d:\d\d\u2013\d\d:\d\d"))
    assert "Budi Santoso" not in console.page.content()
    assert "Santoso" not in console.page.content()

    tile.locator("button.accept").click()
    expect(tile).to_have_attribute("data-state", "connecting")
    assert console.session(session_id, 0)["state"] == "connecting"
    # without a booth event stream the console says so instead of waiting silently
    expect(tile.locator(".badge.offline")).to_be_visible()


def test_keys_1_to_5_focus_tiles_and_put_the_others_on_hold(console: Console) -> None:
    console.login()
    console.go_online(capacity=5)
    names = ["Ani Lestari", "Bayu Pratama", "Citra Dewi"]
    sessions = [console.participant(i, name=name) for i, name in enumerate(names)]
    for n, session_id in enumerate(sessions, start=1):
        expect(console.tile(n)).to_have_attribute("data-session-id", str(session_id))
    for n in (1, 2, 3):
        console.accept(n)
        expect(console.tile(n)).to_have_attribute("data-state", "connecting")

    for n in (2, 3, 1, 3):
        console.press(str(n))
        focused = console.tile(n)
        expect(focused).to_have_attribute("data-focused", "true")
        expect(focused).to_be_focused()  # keyboard focus follows: the focus ring is on it
        expect(focused.locator(".badge.talking")).to_be_visible()
        for other in {1, 2, 3} - {n}:
            expect(console.tile(other)).to_have_attribute("data-focused", "false")
            expect(console.tile(other)).to_have_attribute("data-on-hold", "true")
            expect(console.tile(other).locator(".hold-overlay")).to_be_visible()
        expect(focused).to_have_attribute("data-on-hold", "false")
        for i, session_id in enumerate(sessions):
            on_hold = console.session(session_id, i)["on_hold"]
            assert on_hold is (i + 1 != n), (n, i, on_hold)

    expect(console.page.locator("#panel-title")).to_contain_text("Ci*** De**")
    console.press("5")  # an empty tile: nothing changes
    expect(console.tile(3)).to_have_attribute("data-focused", "true")


def test_state_changing_request_without_csrf_header_is_refused(console: Console) -> None:
    console.login()
    fetch = """async ([path, header]) => {
        const headers = {"Content-Type": "application/json"};
        if (header !== null) headers["X-CSRF-Token"] = header;
        const r = await fetch(path, {method: "POST", credentials: "same-origin", headers,
                                     body: JSON.stringify({status: "paused"})});
        return {status: r.status, body: await r.json()};
    }"""
    path = f"/api/v1/agents/{console.agent.id}/status"
    refused = console.page.evaluate(fetch, [path, None])
    assert refused["status"] == 403
    assert refused["body"]["error"]["code"] == "csrf"
    forged = console.page.evaluate(fetch, [path, "0" * 64])
    assert forged["status"] == 403
    assert forged["body"]["error"]["code"] == "csrf"
    csrf = console.page.evaluate(
        "document.cookie.split('; ').find(c => c.startsWith('bilik_csrf=')).split('=')[1]"
    )
    allowed = console.page.evaluate(fetch, [path, csrf])
    assert allowed["status"] == 200, allowed
    assert allowed["body"]["agent"]["status"] == "paused"
    # reading needs no token
    me = console.page.evaluate("fetch('/api/v1/agents/me').then(r => r.status)")
    assert me == 200


def test_checklist_shows_npwp_only_when_balance_over_50_million(console: Console) -> None:
    console.login()
    console.go_online()
    session_id = console.participant(0)
    console.accept(1)
    panel = console.page.locator("#checklist")
    expect(panel).to_be_enabled()
    npwp = panel.locator("input[name=npwp]")
    expect(npwp).to_be_hidden()
    for doc in ("ektp", "kk", "savings_book", "leaving_proof"):
        expect(panel.locator(f"input[name={doc}]")).to_be_visible()

    panel.locator("input[name=ektp]").check()
    panel.locator("input[name=balance_over_50m]").check()
    expect(npwp).to_be_visible()
    npwp.check()
    expect(panel.locator(".save-status")).to_have_text(re.compile("Tersimpan"))
    checklist = console.session(session_id, 0)["checklist"]
    assert checklist["balance_over_50m"] is True
    assert checklist["items"]["ektp"] is True
    assert checklist["items"]["npwp"] is True
    assert checklist["items"]["kk"] is False

    panel.locator("input[name=balance_over_50m]").uncheck()
    expect(npwp).to_be_hidden()
    expect(panel.locator(".save-status")).to_have_text(re.compile("Tersimpan"))
    checklist = console.session(session_id, 0)["checklist"]
    assert checklist["balance_over_50m"] is False
    assert not checklist["items"].get("npwp")

    console.page.reload()  # the checklist comes back from the hub
    expect(console.page.locator("#console-view")).to_be_visible()
    expect(panel.locator("input[name=ektp]")).to_be_checked()
    expect(npwp).to_be_hidden()


def test_close_dialog_needs_missing_documents_or_a_reason(console: Console) -> None:
    console.login()
    console.go_online()
    session_id = console.participant(0)
    page = console.page
    console.accept(1)
    page.locator("#checklist input[name=ektp]").check()
    page.locator("#checklist input[name=kk]").check()
    expect(page.locator("#checklist .save-status")).to_have_text(re.compile("Tersimpan"))

    console.press("c")
    dialog = page.locator("#close-dialog")
    expect(dialog).to_be_visible()
    error = dialog.locator("[data-role=error]")
    send = dialog.locator("[data-role=send]")

    send.click()  # no outcome chosen
    expect(error).to_be_visible()

    dialog.locator("input[value=verified]").check()
    send.click()  # savings book and proof of leaving work are not ticked
    expect(error).to_contain_text("Buku tabungan")

    dialog.locator("input[value=incomplete]").check()
    missing = dialog.locator("input[name=missing]")
    expect(missing).to_have_count(4)  # no NPWP: balance not over 50 million
    expect(dialog.locator("input[name=missing][value=savings_book]")).to_be_checked()
    expect(dialog.locator("input[name=missing][value=leaving_proof]")).to_be_checked()
    expect(dialog.locator("input[name=missing][value=ektp]")).not_to_be_checked()
    dialog.locator("input[name=missing][value=savings_book]").uncheck()
    dialog.locator("input[name=missing][value=leaving_proof]").uncheck()
    send.click()
    expect(error).to_contain_text("minimal satu dokumen")
    expect(dialog).to_be_visible()

    dialog.locator("input[value=rejected]").check()
    expect(dialog.locator("textarea[name=reason]")).to_be_visible()
    dialog.locator("textarea[name=reason]").fill("   ")
    send.click()
    expect(error).to_contain_text("alasan")
    assert console.session(session_id, 0)["state"] == "connecting"  # nothing sent yet

    dialog.locator("input[value=incomplete]").check()
    dialog.locator("input[name=missing][value=leaving_proof]").check()
    send.click()
    expect(dialog).to_be_hidden()
    expect(console.tile_of(session_id)).to_have_count(0)
    closed = console.session(session_id, 0)
    assert closed["state"] == "closed"
    assert closed["outcome"] == "incomplete"
    assert closed["outcome_missing"] == ["leaving_proof"]


def test_reject_sends_reason_and_tile_numbers_stay_with_their_session(console: Console) -> None:
    console.login()
    console.go_online()
    first, second, third = (console.participant(i, name=f"Peserta Nomor {i}") for i in range(3))
    expect(console.tile(3)).to_have_attribute("data-session-id", str(third))
    console.accept(2)
    console.press("c")
    dialog = console.page.locator("#close-dialog")
    dialog.locator("input[value=rejected]").check()
    dialog.locator("textarea[name=reason]").fill("Dokumen bukan milik peserta")
    dialog.locator("[data-role=send]").click()
    expect(dialog).to_be_hidden()
    closed = console.session(second, 1)
    assert (closed["outcome"], closed["outcome_reason"]) == (
        "rejected",
        "Dokumen bukan milik peserta",
    )
    expect(console.tile(3)).to_have_attribute("data-session-id", str(third))
    expect(console.tile(1)).to_have_attribute("data-session-id", str(first))
    fourth = console.participant(3)
    expect(console.tile(2)).to_have_attribute("data-session-id", str(fourth))


def test_static_files_stay_inside_the_console_directory(console: Console) -> None:
    base = console.hub.base_url
    page = requests.get(f"{base}/console", timeout=5)
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    script = requests.get(f"{base}/console/main.js", timeout=5)
    assert script.headers["content-type"].startswith("text/javascript")
    for path in (
        "/console/../app.py",
        "/console/%2e%2e/app.py",
        "/console/..%2fconsole.py",
        "/console/nothing.js",
        "/console/index.py",
    ):
        response = requests.get(base + path, timeout=5)
        assert response.status_code == 404, path
        assert "import" not in response.text


def test_branch_booths_are_listed_with_their_health(console: Console) -> None:
    """Branch IT sees from the console which booth is offline or has a failing device."""
    booth = console.booth(0)
    status, _ = console.api.post(
        f"/api/v1/booths/{booth.id}/heartbeat",
        booth.token,
        {
            "state": "idle",
            "devices": {
                "camera": {"ok": False, "detail": "unplugged"},
                "headset": {"ok": True, "detail": "pulse"},
            },
        },
    )
    assert status == 200
    console.login()
    item = console.page.locator(f"#booth-health li[data-booth-id='{booth.id}']")
    expect(item).to_have_attribute("data-online", "true")
    expect(item).to_have_attribute("data-healthy", "false")
    expect(item).to_contain_text("camera bermasalah")
    other = console.page.locator(f"#booth-health li[data-booth-id='{console.booth(1).id}']")
    expect(other).to_have_attribute("data-online", "false")  # never reported


def test_checklist_requests_and_outcomes_are_the_ones_the_hub_lists(console: Console) -> None:
    """No list of documents or outcomes of its own: the console shows GET /api/v1/contract."""
    contract = console.contract()
    console.login()
    console.go_online()
    console.participant(0)
    console.accept(1)
    page = console.page
    documents = [doc["id"] for doc in contract["documents"]]
    always = [doc["id"] for doc in contract["documents"] if doc["required"] == "always"]
    over_threshold = [doc for doc in documents if doc not in always]
    assert over_threshold, "the contract has a document needed only over the threshold (NPWP)"
    boxes = page.locator("#checklist input[type=checkbox]:not([name=balance_over_50m])")
    assert boxes.evaluate_all("boxes => boxes.map(b => b.name)") == always + over_threshold
    page.locator("#checklist input[name=balance_over_50m]").check()  # every document shown
    for doc in contract["documents"]:
        label = page.locator(f"#checklist label:has(input[name={doc['id']}])")
        expect(label).to_be_visible()
        expect(label).to_have_text(doc["id_text"])
        request = page.locator(f"#doc-requests li:has(button[data-document={doc['id']}])")
        expect(request.locator(".doc-name")).to_have_text(doc["id_text"])

    console.press("c")
    dialog = page.locator("#close-dialog")
    expect(dialog).to_be_visible()
    outcomes = dialog.locator("input[name=outcome]")
    assert outcomes.evaluate_all("inputs => inputs.map(i => i.value)") == [
        outcome["id"] for outcome in contract["outcomes"]
    ]
    for outcome in contract["outcomes"]:
        label = dialog.locator(f"label.outcome:has(input[value={outcome['id']}])")
        expect(label).to_contain_text(outcome["id_text"])
        expect(label.locator("small[lang=en]")).to_have_text(outcome["en_text"])
    dialog.locator("input[value=incomplete]").check()
    missing = dialog.locator("input[name=missing]")
    assert missing.evaluate_all("inputs => inputs.map(i => i.value)") == documents
    dialog.locator("[data-role=cancel]").click()
    expect(dialog).to_be_hidden()
    page.locator("#checklist input[name=balance_over_50m]").uncheck()
    console.press("c")
    dialog.locator("input[value=incomplete]").check()
    assert missing.evaluate_all("inputs => inputs.map(i => i.value)") == always


def test_verified_close_refused_by_the_hub_names_the_missing_documents(console: Console) -> None:
    """The hub decides whether the checklist allows "verified" (409 checklist_incomplete); the
    dialog names the documents it lists and ticks them as missing."""
    console.login()
    console.go_online()
    session_id = console.participant(0)
    page = console.page
    console.accept(1)
    page.locator("#checklist input[name=ektp]").check()
    page.locator("#checklist input[name=kk]").check()
    expect(page.locator("#checklist .save-status")).to_have_text(re.compile("Tersimpan"))

    console.press("c")
    dialog = page.locator("#close-dialog")
    dialog.locator("input[value=verified]").check()
    with page.expect_response(lambda r: r.url.endswith(f"/sessions/{session_id}/close")) as sent:
        dialog.locator("[data-role=send]").click()
    assert sent.value.status == 409
    refusal = sent.value.json()["error"]
    assert refusal == {
        "code": "checklist_incomplete",
        "params": {"missing": ["savings_book", "leaving_proof"]},
    }
    error = dialog.locator("[data-role=error]")
    expect(error).to_have_attribute("data-code", "checklist_incomplete")
    expect(error).to_contain_text(console.document_text("savings_book"))
    expect(error).to_contain_text(console.document_text("leaving_proof"))
    expect(error).not_to_contain_text(console.document_text("kk"))
    expect(error).not_to_contain_text("checklist_incomplete")  # not the generic "Gagal: code"
    expect(dialog).to_be_visible()
    assert console.session(session_id, 0)["state"] == "connecting"

    dialog.locator("input[value=incomplete]").check()  # one click away: the missing ones ticked
    for doc in ("savings_book", "leaving_proof"):
        expect(dialog.locator(f"input[name=missing][value={doc}]")).to_be_checked()
    for doc in ("ektp", "kk"):
        expect(dialog.locator(f"input[name=missing][value={doc}]")).not_to_be_checked()
    dialog.locator("[data-role=send]").click()
    expect(dialog).to_be_hidden()
    closed = console.session(session_id, 0)
    assert (closed["outcome"], closed["outcome_missing"]) == (
        "incomplete",
        ["savings_book", "leaving_proof"],
    )


def test_tiles_name_their_booth_and_keep_their_key_across_a_reload(console: Console) -> None:
    names = {0: "Bilik Mawar", 1: "Bilik Kenanga", 3: "Bilik Melati", 4: "Bilik Anggrek"}
    for index, name in names.items():
        console.name_booth(index, name)
    console.login()
    console.go_online()
    page = console.page
    first = console.participant(3, name="Ani Lestari")  # tile 1, at the fourth booth
    second = console.participant(1, name="Bayu Pratama")
    third = console.participant(4, name="Citra Dewi")
    expect(console.tile(3)).to_have_attribute("data-session-id", str(third))

    tile = console.tile(1)
    expect(tile).to_have_attribute("data-session-id", str(first))
    expect(tile).to_have_attribute("data-booth-name", "Bilik Melati")
    expect(tile.locator(".slot")).to_contain_text("Bilik Melati")
    expect(tile).to_have_attribute("aria-label", re.compile(r"^Bilik Melati \(tombol 1\)"))
    expect(tile).not_to_contain_text("Bilik 1")
    side = page.locator(f"#booth-health li[data-booth-id='{console.booth(3).id}']")
    expect(side).to_contain_text("Bilik Melati")  # the same name as in the branch's booth list
    console.press("1")
    expect(page.locator("#panel-title")).to_have_text(re.compile(r"^Bilik Melati \u00b7 An"))

    console.accept(2)  # the second booth's session ends: tile 2 is free for the next one
    console.press("c")
    dialog = page.locator("#close-dialog")
    expect(dialog.locator("[data-role=title]")).to_contain_text("Selesaikan sesi Bilik Kenanga")
    dialog.locator("input[value=rejected]").check()
    dialog.locator("textarea[name=reason]").fill("Bukan peserta terdaftar")
    dialog.locator("[data-role=send]").click()
    expect(dialog).to_be_hidden()
    assert console.session(second, 1)["state"] == "closed"
    fourth = console.participant(0, name="Dodi Saputra")
    expect(console.tile(2)).to_have_attribute("data-session-id", str(fourth))
    expect(console.tile(2)).to_have_attribute("data-booth-name", "Bilik Mawar")

    # the hub lists them by assignment (first, third, fourth); each keeps its key anyway
    page.reload()
    expect(page.locator("#console-view")).to_be_visible()
    for n, session_id, booth in (
        (1, first, "Bilik Melati"),
        (2, fourth, "Bilik Mawar"),
        (3, third, "Bilik Anggrek"),
    ):
        expect(console.tile(n)).to_have_attribute("data-session-id", str(session_id))
        expect(console.tile(n)).to_have_attribute("data-booth-name", booth)
    console.press("3")
    expect(page.locator("#panel-title")).to_have_text(re.compile(r"^Bilik Anggrek \u00b7 Ci"))


def test_console_opened_in_a_second_tab_takes_over_from_the_first(
    console: Console, context: BrowserContext
) -> None:
    """Two tabs share the browser's login cookie (the hub sees one login): the newer serves."""
    console.login()
    console.go_online()
    session_id = console.participant(0)
    console.accept(1)
    first = console.page
    sockets: list[str] = []
    first.on("websocket", lambda ws: sockets.append(ws.url))

    second = context.new_page()
    second.goto("/console")  # signed in already: the console, no login form
    expect(second.locator("#console-view")).to_be_visible()
    expect(second.locator(f"article.tile[data-session-id='{session_id}']")).to_be_visible()

    notice = first.locator("#login-error")
    expect(notice).to_have_attribute("data-reason", "open_in_other_tab")
    expect(notice).to_contain_text("tab lain")
    expect(notice.locator("small[lang=en]")).to_contain_text("another tab")
    expect(first.locator("#console-view")).to_be_hidden()
    assert first.evaluate("window.bilikConsole.events === null")  # its stream is closed
    assert first.evaluate("window.bilikConsole.calls.size") == 0
    first.wait_for_timeout(3000)
    assert sockets == []  # and not opened again
    expect(second.locator("#stream-state")).to_have_attribute("data-up", "true")
    assert console.session(session_id, 0)["state"] == "connecting"  # the session is unharmed
