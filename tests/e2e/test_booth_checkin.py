"""The real booth app under Xvfb, a real hub on loopback, real video files as the camera.

Each test walks a participant through the booth with real touches and checks what the screen
says and what the hub recorded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests

from hub.domain.checkin_rules import make_ticket_token
from tests.hub.harness import SECRET, Api
from tests.videos import write_ticket_video

pytestmark = pytest.mark.gui


def hub_ticket(hub, code: str) -> dict:
    """The ticket's row as the hub stores it (status, booth)."""
    from hub.store.models import Ticket

    with hub.seeder.sessions() as db:
        ticket = db.query(Ticket).filter_by(booking_code=code).one()
        return {"status": ticket.status, "booth": ticket.checked_in_booth}


def test_ticket_qr_on_camera_checks_in_and_queues_until_a_cs_is_assigned(
    hub, branch, start_booth, tmp_path: Path
):
    ticket = hub.seeder.ticket(branch, name="Budi Santoso")
    video = write_ticket_video(
        tmp_path / "phone.avi", make_ticket_token(SECRET, ticket.booking_code)
    )
    booth = start_booth(branch, video)

    booth.wait_state("confirm")
    screen = booth.texts()
    assert "Apakah ini Anda?" in screen
    assert "Bu** Sa*****" in screen  # the name is masked, even on the confirm screen
    assert "Budi" not in screen
    assert ticket.booking_code in screen

    booth.tap("confirm")
    booth.wait_state("headset_check")
    assert hub_ticket(hub, ticket.booking_code) == {
        "status": "checked_in",
        "booth": branch.booths[0].id,
    }
    booth.tap("headset_ok")
    booth.wait_state("waiting")
    booth.wait_for(lambda: "1" in booth.texts().split("\n"), 5, "queue position 1 not shown")

    api = Api(hub.url)
    agent = branch.agents[0]
    token = api.login(agent.username, agent.password)
    status, _ = api.post(f"/api/v1/agents/{agent.id}/status", token, {"status": "online"})
    assert status == 200
    booth.wait_state("assigned")
    assert "CS 1" in booth.texts()  # the assigned CS's name, pushed by the hub's event stream
    booth.wait_for(
        lambda: api.get(f"/api/v1/booths/{branch.booths[0].id}", token)[1]["state"] == "assigned",
        5,
        "the booth's heartbeat did not report 'assigned' to the hub",
    )


def test_typed_booking_code_and_typed_nik_both_find_the_ticket(
    hub, branch, start_booth, blank_camera
):
    ticket = hub.seeder.ticket(branch)
    booth = start_booth(branch, blank_camera)
    booth.enter_code(ticket.booking_code.lower(), "confirm")
    assert ticket.booking_code in booth.texts()

    booth.tap("not_me")
    booth.wait_state("attract")
    assert booth.flow()["ticket"] == {}  # "not me" forgets the ticket on the booth

    booth.enter_code(ticket.nik, "confirm")
    assert ticket.booking_code in booth.texts()


REFUSALS = [
    # (ticket kwargs, title the participant reads, a detail that must be in the body)
    (
        {"start_in": dt.timedelta(hours=3)},
        "Anda datang lebih awal",
        "Silakan kembali ke bilik pukul",
    ),
    ({"start_in": dt.timedelta(hours=-3)}, "Jadwal Anda sudah lewat", "berakhir pukul"),
    ({"status": "cancelled"}, "Tiket sudah dibatalkan", "antrean baru"),
    ({"status": "served"}, "Tiket sudah digunakan", "sudah selesai"),
    ({"day_offset": 1}, "Tiket bukan untuk hari ini", "Tiket Anda untuk tanggal"),
]


def test_every_wrong_ticket_gets_its_own_message_and_the_booth_stays_usable(
    hub, branch, start_booth, blank_camera
):
    other_branch = hub.seeder.branch(booths=1)
    elsewhere = hub.seeder.ticket(branch)
    Api(hub.url).checkin(branch.booths[1].token, booking_code=elsewhere.booking_code)
    cases = [
        (hub.seeder.ticket(branch, **kwargs).booking_code, title, detail)
        for kwargs, title, detail in REFUSALS
    ]
    cases += [
        (hub.seeder.ticket(other_branch).booking_code, "Tiket untuk kantor cabang lain",
         other_branch.name),
        ("ZZZZ9999", "Tiket tidak ditemukan", "Periksa kembali"),
        (elsewhere.booking_code, "Tiket sedang dipakai di bilik lain", "Bilik 2"),
        ("ABC", "Kode booking tidak lengkap", "8 huruf dan angka"),
        ("3201019999900001", "NIK tidak valid", "Tanggal lahir"),
    ]  # fmt: skip
    booth = start_booth(branch, blank_camera)
    for code, title, detail in cases:
        booth.enter_code(code, "refused")
        screen = booth.texts()
        assert title in screen, (code, screen)
        assert detail in screen, (code, screen)
        booth.tap("retry")  # back to the keypad the participant came from
        booth.wait_state("manual_entry")
    assert booth.texts().count("—") == 1  # the keypad's entry is empty again


def test_too_early_ticket_says_when_to_come_back(hub, branch, start_booth, blank_camera):
    ticket = hub.seeder.ticket(branch, start_in=dt.timedelta(hours=2))
    slot = ticket.slot_start
    back = (dt.datetime.combine(dt.date.today(), slot) - dt.timedelta(minutes=30)).time()
    booth = start_booth(branch, blank_camera)
    booth.enter_code(ticket.booking_code, "refused")
    assert (
        f"Jadwal Anda mulai pukul {slot:%H:%M}. Silakan kembali ke bilik pukul {back:%H:%M}."
        in booth.texts()
    )


def test_foreign_qr_is_refused_without_asking_the_hub(hub, branch, start_booth, tmp_path):
    wifi = write_ticket_video(tmp_path / "wifi.avi", "WIFI:S:Kantor;T:WPA;P:rahasia123;;")
    booth = start_booth(branch, wifi)
    booth.wait_state("refused")
    assert "QR ini bukan tiket antrean" in booth.texts()
    assert booth.flow()["refusal"][0] == "malformed"


def test_forged_ticket_qr_is_refused(hub, branch, start_booth, tmp_path):
    ticket = hub.seeder.ticket(branch)
    forged = make_ticket_token("not-the-hub-secret", ticket.booking_code)
    booth = start_booth(branch, write_ticket_video(tmp_path / "forged.avi", forged))
    booth.wait_state("refused")
    assert "Tiket tidak dapat diverifikasi" in booth.texts()
    assert hub_ticket(hub, ticket.booking_code)["status"] == "booked"


def test_language_toggle_switches_every_text_to_english_and_back(
    hub, branch, start_booth, blank_camera
):
    booth = start_booth(branch, blank_camera)
    assert "Selamat datang" in booth.texts()
    booth.tap("language_toggle")
    screen = booth.texts()
    assert "Welcome" in screen and "Selamat datang" not in screen
    assert "Bahasa Indonesia" in screen  # the toggle offers the way back
    booth.enter_code("ABC", "refused")
    assert "Incomplete booking code" in booth.texts()
    booth.tap("language_toggle")
    assert "Kode booking tidak lengkap" in booth.texts()


def test_idle_booth_counts_down_then_wipes_and_gives_the_ticket_back(
    hub, branch, start_booth, blank_camera
):
    ticket = hub.seeder.ticket(branch)
    booth = start_booth(branch, blank_camera, idle_timeout=10)
    booth.check_in_typed(ticket.booking_code)
    booth.wait_for(lambda: "Kembali ke awal dalam" in booth.texts(), 12, "no countdown shown")
    booth.wait_state("attract", timeout=15)
    assert booth.flow()["session"] is None and booth.flow()["ticket"] == {}
    booth.wait_for(
        lambda: hub_ticket(hub, ticket.booking_code)["status"] == "booked",
        5,
        "the walked-away participant's ticket was not given back",
    )


def test_missing_headset_is_explained_and_cancel_gives_the_ticket_back(
    hub, branch, start_booth, blank_camera
):
    ticket = hub.seeder.ticket(branch)
    booth = start_booth(branch, blank_camera, audio_input="no-such-headset")
    booth.check_in_typed(ticket.booking_code)
    booth.wait_for(
        lambda: "Headset tidak terdeteksi" in booth.texts(), 10, "missing headset not explained"
    )
    with pytest.raises(AssertionError, match="disabled"):
        booth.tap("headset_ok")  # cannot queue without a headset
    booth.tap("cancel")
    booth.wait_state("attract")
    booth.wait_for(
        lambda: hub_ticket(hub, ticket.booking_code)["status"] == "booked",
        5,
        "cancelled ticket was not given back",
    )


def test_restarted_booth_resumes_its_waiting_participant(hub, branch, start_booth, blank_camera):
    ticket = hub.seeder.ticket(branch)
    booth = start_booth(branch, blank_camera, name="before")
    booth.check_in_typed(ticket.booking_code)
    booth.tap("headset_ok")
    booth.wait_state("waiting")
    # The hub has queued us once it tells the position (the booth shows "waiting" at once).
    booth.wait_for(lambda: booth.flow()["session"]["state"] == "waiting", 5, "not queued")
    booth.proc.kill()  # power cut, crash: no goodbye to the hub
    booth.proc.wait()

    again = start_booth(branch, blank_camera, name="after")
    again.wait_state("waiting")
    assert again.flow()["session"]["booking_code"] == ticket.booking_code


def test_camera_unplugged_takes_booth_out_of_service_until_it_returns(
    hub, branch, start_booth, tmp_path
):
    camera = tmp_path / "video0.avi"  # not there yet: the camera is unplugged
    booth = start_booth(branch, camera)
    booth.wait_state("out_of_service")
    screen = booth.texts()
    assert "Kamera bilik tidak berfungsi." in screen
    assert "Bilik ini sementara tidak dapat digunakan" in screen
    write_ticket_video(camera, None)  # plugged back in
    booth.wait_state("attract", timeout=15)


def test_hub_down_shows_out_of_service_and_recovers_by_itself(
    hub, branch, start_booth, blank_camera
):
    booth = start_booth(branch, blank_camera)
    booth.wait_for(lambda: booth.state == "attract", 10, "booth did not settle")
    hub.stop()
    try:
        booth.wait_state("out_of_service", timeout=15)
        assert "Bilik tidak dapat terhubung ke server layanan." in booth.texts()
    finally:
        hub.start()
    booth.wait_state("attract", timeout=15)
    assert requests.get(f"{hub.url}/healthz", timeout=2).ok
