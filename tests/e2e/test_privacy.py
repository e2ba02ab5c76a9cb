"""No participant data stays on the booth after a session (DESIGN.md, Security): the files the
booth app wrote (Kivy's home with its logs, its temp dir) are scanned for the participant's
NIK, name and booking code, and for pictures, once the session is over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

PICTURES = {".jpg", ".jpeg", ".png", ".bmp", ".avi", ".mp4"}


def written_by_the_booth(tmp_path: Path, name: str) -> list[Path]:
    """Every file under the booth's Kivy home and temp dir, but Kivy's own window icons (copied
    into its home on first start)."""
    kivy_icons = tmp_path / f"kivy-{name}" / "icon"
    roots = [tmp_path / f"kivy-{name}", tmp_path / f"tmp-{name}"]
    return [
        p
        for root in roots
        if root.exists()
        for p in root.rglob("*")
        if p.is_file() and kivy_icons not in p.parents
    ]


def test_nothing_of_the_participant_is_left_on_disk_after_the_session(
    hub, branch, start_booth, blank_camera, tmp_path
):
    ticket = hub.seeder.ticket(branch, name="Sulastri Wijayakusuma")
    booth = start_booth(branch, blank_camera, name="privacy")
    booth.enter_code(ticket.nik, "confirm")  # typed NIK: the most sensitive path
    booth.tap("confirm")
    booth.wait_state("headset_check")
    booth.tap("headset_ok")
    booth.wait_state("waiting")
    booth.tap("cancel")
    booth.wait_state("attract")
    booth.stop()  # logs flushed and closed

    files = written_by_the_booth(tmp_path, "privacy")
    assert any(p.suffix == ".txt" for p in files), "expected Kivy's log file to scan"
    secrets = [ticket.nik, ticket.booking_code, "Sulastri", "Wijayakusuma"]
    for path in files:
        assert path.suffix.lower() not in PICTURES, f"a picture was left on disk: {path}"
        text = path.read_bytes().decode("utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, f"{secret!r} found in {path}"


def test_under_journald_the_booth_logs_json_lines_and_writes_no_log_files(
    hub, branch, start_booth, blank_camera, tmp_path
):
    ticket = hub.seeder.ticket(branch)
    booth = start_booth(branch, blank_camera, name="journald", env={"BILIK_LOG_JSON": "1"})
    booth.enter_code(ticket.nik, "confirm")
    booth.tap("not_me")
    booth.wait_state("attract")
    booth.stop()

    lines = (tmp_path / "journald.log").read_text().splitlines()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(e["msg"] == "state attract -> manual_entry" for e in entries), lines[-20:]
    assert all({"ts", "level", "logger", "msg"} <= set(e) for e in entries)
    assert ticket.nik not in "\n".join(lines)
    assert not list((tmp_path / "kivy-journald").rglob("*.txt")), "Kivy wrote log files"
