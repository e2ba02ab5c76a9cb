"""HID wedge scanner: recorded evdev key events replayed through the real decoder.

There is no /dev/input here (DESIGN.md "Testing here"), so ``HidScanner``'s device side is tested
for what can be tested: a missing or non-evdev node is reported, not crashed on. The recordings in
``data/`` are evemu-record files (see their headers for how they were made).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from evdev import ecodes as e

from kiosk.devices.scanner_hid import HidScanner, KeyEventDecoder, ScannerMissing

DATA = Path(__file__).parent / "data"


def recorded(name: str) -> list[tuple[int, int, int]]:
    """(type, code, value) of every ``E:`` line of an evemu recording."""
    events = []
    for line in (DATA / name).read_text().splitlines():
        if line.startswith("E:"):
            _, _stamp, typ, code, value = line.split("#")[0].split()
            events.append((int(typ, 16), int(code, 16), int(value)))
    assert events, f"{name} has no events"
    return events


def test_replayed_evdev_events_booking_code_with_shift_per_capital() -> None:
    events = recorded("scanner_booking_code_shift_per_char.evemu")
    assert KeyEventDecoder().feed_all(events) == ["TGC4K7QX"]


def test_replayed_evdev_events_ticket_token_with_shift_held_down() -> None:
    events = recorded("scanner_ticket_token_shift_held.evemu")
    assert KeyEventDecoder().feed_all(events) == ["BLK1.TGC4K7QX.MFRGGZDFMZTWQ2LKNNWG23TPOA"]


def test_replayed_evdev_events_ticket_url_with_shifted_symbols() -> None:
    events = recorded("scanner_ticket_url.evemu")
    assert KeyEventDecoder().feed_all(events) == [
        "https://antrian.bpjs-ketenagakerjaan.go.id/t/TGC4K7QX?kode=TGC4K7QX"
    ]


def test_replayed_evdev_events_nik_on_keypad_ended_by_keypad_enter() -> None:
    events = recorded("scanner_nik_keypad_digits.evemu")
    assert KeyEventDecoder().feed_all(events) == ["3201234567890001"]


def test_replayed_evdev_events_two_scans_come_out_separately() -> None:
    events = recorded("scanner_two_scans_back_to_back.evemu")
    assert KeyEventDecoder().feed_all(events) == [
        "TGC4K7QX",
        "BLK1.ABCD2345.MFRGGZDFMZTWQ2LKNNWG23TPOA",
    ]


def test_replayed_evdev_events_caps_lock_turns_plain_letters_into_capitals() -> None:
    events = recorded("scanner_caps_lock_on.evemu")
    assert KeyEventDecoder().feed_all(events) == ["TGC4K7QX"]


def test_replayed_evdev_events_tab_suffix_ends_a_scan_only_when_configured() -> None:
    events = recorded("scanner_tab_suffix.evemu")
    assert KeyEventDecoder(terminators=("tab",)).feed_all(events) == ["TGC4K7QX"]
    assert KeyEventDecoder().feed_all(events) == [], "Tab is not a terminator by default"


def test_replayed_evdev_events_fed_one_by_one_complete_on_enter_only() -> None:
    events = recorded("scanner_booking_code_shift_per_char.evemu")
    decoder = KeyEventDecoder()
    outputs = [decoder.feed(*ev) for ev in events]
    completed = [(i, text) for i, text in enumerate(outputs) if text is not None]
    assert len(completed) == 1
    index, text = completed[0]
    assert text == "TGC4K7QX"
    assert events[index] == (e.EV_KEY, e.KEY_ENTER, 1), "the scan completes on Enter down"


def test_enter_alone_and_unknown_keys_give_no_scan() -> None:
    decoder = KeyEventDecoder()
    assert decoder.feed_all([(e.EV_KEY, e.KEY_ENTER, 1), (e.EV_KEY, e.KEY_ENTER, 0)]) == []
    presses = [(e.EV_KEY, code, 1) for code in (e.KEY_F5, e.KEY_LEFTCTRL, e.KEY_A)]
    assert decoder.feed_all([*presses, (e.EV_KEY, e.KEY_ENTER, 1)]) == ["a"]


def test_key_repeat_and_release_do_not_type() -> None:
    events = [(e.EV_KEY, e.KEY_7, 1), (e.EV_KEY, e.KEY_7, 2), (e.EV_KEY, e.KEY_7, 0)]
    assert KeyEventDecoder().feed_all([*events, (e.EV_KEY, e.KEY_ENTER, 1)]) == ["7"]


def test_runaway_input_without_enter_is_dropped() -> None:
    decoder = KeyEventDecoder(max_length=10)
    flood = [(e.EV_KEY, e.KEY_1, 1)] * 25
    assert decoder.feed_all([*flood, (e.EV_KEY, e.KEY_ENTER, 1)]) == []
    again = [(e.EV_KEY, e.KEY_2, 1), (e.EV_KEY, e.KEY_ENTER, 1)]
    assert decoder.feed_all(again) == ["2"], "the next scan reads normally"


def test_reset_forgets_a_half_typed_scan() -> None:
    decoder = KeyEventDecoder()
    decoder.feed_all([(e.EV_KEY, e.KEY_LEFTSHIFT, 1), (e.EV_KEY, e.KEY_A, 1)])
    decoder.reset()  # the scanner was unplugged mid-scan and came back
    assert decoder.feed_all([(e.EV_KEY, e.KEY_B, 1), (e.EV_KEY, e.KEY_ENTER, 1)]) == ["b"]


def test_missing_scanner_is_reported_with_its_path() -> None:
    path = "/dev/input/by-id/usb-Honeywell_1900-event-kbd"
    scanner = HidScanner(path, lambda _: None, retry_interval=0.1)
    with pytest.raises(ScannerMissing, match="no scanner at"):
        scanner.open_device()
    with scanner:
        deadline = time.monotonic() + 5
        while scanner.device_status().detail == "not started" and time.monotonic() < deadline:
            time.sleep(0.02)
        status = scanner.device_status()
    assert not status.ok
    assert path in status.detail and "retrying" in status.detail


def test_a_node_that_is_not_an_input_device_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "event-kbd"
    fake.write_bytes(b"")
    with pytest.raises(ScannerMissing, match="cannot open"):
        HidScanner(str(fake), lambda _: None).open_device()
