"""The check-in rules as pure functions, at fixed instants, in WIB, WITA and WIT."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain.checkin_rules import (
    BranchFacts,
    Refusal,
    TicketFacts,
    Tolerances,
    branch_today,
    evaluate_checkin,
    make_ticket_token,
    resolve_payload,
    verify_ticket_token,
)

JAKARTA = BranchFacts("tgc", "Tangerang Cikokol", "Asia/Jakarta")  # WIB, UTC+7
MAKASSAR = BranchFacts("mks", "Makassar", "Asia/Makassar")  # WITA, UTC+8
JAYAPURA = BranchFacts("jyp", "Jayapura", "Asia/Jayapura")  # WIT, UTC+9
TOL = Tolerances(early_minutes=30, late_minutes=15)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def ticket(
    branch: BranchFacts = JAKARTA,
    date: str = "2025-03-10",
    start: str = "10:30",
    end: str = "11:00",
    status: str = "booked",
    booth: str | None = None,
) -> TicketFacts:
    return TicketFacts(
        booking_code="TGC4K7QX",
        branch_id=branch.id,
        branch_name=branch.name,
        date=dt.date.fromisoformat(date),
        slot_start=dt.time.fromisoformat(start),
        slot_end=dt.time.fromisoformat(end),
        status=status,
        checked_in_booth=booth,
        checked_in_booth_name={"tgc-02": "Bilik 2"}.get(booth or ""),
    )


def check(t: TicketFacts, now: str, branch: BranchFacts = JAKARTA, booth: str = "tgc-01"):
    return evaluate_checkin(t, branch, booth, utc(now), TOL)


def test_ticket_inside_its_slot_checks_in():
    assert check(ticket(), "2025-03-10T03:40:00").ok  # 10:40 WIB


def test_too_early_ticket_says_when_to_return():
    verdict = check(ticket(), "2025-03-10T02:30:00")  # 09:30 WIB, slot 10:30
    assert (verdict.ok, verdict.code) == (False, "too_early")
    assert verdict.params == {"slot_start": "10:30", "return_at": "10:00"}


def test_window_opens_exactly_at_slot_start_minus_early_tolerance():
    assert check(ticket(), "2025-03-10T03:00:00").ok  # 10:00:00 WIB
    assert check(ticket(), "2025-03-10T02:59:59").code == "too_early"


def test_window_closes_exactly_at_slot_end_plus_late_tolerance():
    assert check(ticket(), "2025-03-10T04:15:00").ok  # 11:15:00 WIB
    verdict = check(ticket(), "2025-03-10T04:15:01")
    assert (verdict.code, verdict.params) == ("too_late", {"slot_end": "11:00"})


def test_tolerances_come_from_configuration():
    strict = Tolerances(early_minutes=0, late_minutes=0)
    at_ten_twenty = utc("2025-03-10T03:20:00")
    verdict = evaluate_checkin(ticket(), JAKARTA, "tgc-01", at_ten_twenty, strict)
    assert verdict.params == {"slot_start": "10:30", "return_at": "10:30"}


def test_ticket_of_another_branch_names_the_right_branch():
    verdict = check(ticket(branch=MAKASSAR), "2025-03-10T02:40:00")
    assert (verdict.code, verdict.params) == ("wrong_branch", {"branch_name": "Makassar"})


def test_ticket_for_another_day_gives_its_date():
    verdict = check(ticket(date="2025-03-11"), "2025-03-10T03:40:00")
    assert (verdict.code, verdict.params) == ("wrong_day", {"date": "2025-03-11"})


def test_today_is_the_branch_day_in_jayapura_while_utc_is_still_yesterday():
    # 16:30 UTC on 9 March is 01:30 WIT on 10 March: a 01:00-02:00 slot is today in Jayapura.
    t = ticket(branch=JAYAPURA, date="2025-03-10", start="01:00", end="02:00")
    assert check(t, "2025-03-09T16:30:00", branch=JAYAPURA).ok
    assert branch_today("Asia/Jayapura", utc("2025-03-09T16:30:00")) == dt.date(2025, 3, 10)


def test_same_instant_is_still_yesterday_in_jakarta():
    # 16:30 UTC is 23:30 WIB on 9 March: a ticket for 10 March is not for today in Jakarta.
    t = ticket(date="2025-03-10", start="01:00", end="02:00")
    verdict = check(t, "2025-03-09T16:30:00")
    assert (verdict.code, verdict.params) == ("wrong_day", {"date": "2025-03-10"})


def test_wita_slot_is_read_in_wita():
    # 01:45 UTC = 09:45 WITA; slot 10:30 WITA opens at 10:00 WITA: too early by 15 minutes.
    t = ticket(branch=MAKASSAR, start="10:30", end="11:00")
    verdict = check(t, "2025-03-10T01:45:00", branch=MAKASSAR)
    assert (verdict.code, verdict.params["return_at"]) == ("too_early", "10:00")
    assert check(t, "2025-03-10T02:00:00", branch=MAKASSAR).ok  # 10:00 WITA


@pytest.mark.parametrize(
    ("status", "code"),
    [("cancelled", "cancelled"), ("served", "already_served"), ("no_show", "no_show")],
)
def test_finished_tickets_are_refused_with_their_own_code(status: str, code: str):
    assert check(ticket(status=status), "2025-03-10T03:40:00").code == code


def test_served_ticket_says_served_even_after_its_window():
    assert check(ticket(status="served"), "2025-03-10T09:00:00").code == "already_served"


def test_ticket_checked_in_at_another_booth_names_that_booth():
    verdict = check(ticket(status="checked_in", booth="tgc-02"), "2025-03-10T03:40:00")
    assert (verdict.code, verdict.params) == ("checked_in_elsewhere", {"booth_name": "Bilik 2"})


def test_same_booth_resumes_its_check_in_even_after_the_window():
    verdict = check(ticket(status="in_service", booth="tgc-01"), "2025-03-10T09:00:00")
    assert verdict.ok and verdict.resume


# Signed tokens and payloads ------------------------------------------------------------------


def test_signed_token_round_trips_and_has_the_documented_shape():
    token = make_ticket_token("s3cret-s3cret-s3cret", "tgc-4k7q x")
    prefix, code, sig = token.split(".")
    assert (prefix, code, len(sig)) == ("BLK1", "TGC4K7QX", 26)
    assert sig.isupper() and "=" not in sig
    assert verify_ticket_token("s3cret-s3cret-s3cret", token) == "TGC4K7QX"


def test_token_signed_with_another_secret_is_invalid_signature():
    token = make_ticket_token("another-secret-value", "TGC4K7QX")
    with pytest.raises(Refusal) as err:
        verify_ticket_token("s3cret-s3cret-s3cret", token)
    assert err.value.code == "invalid_signature"


def test_token_for_one_code_cannot_be_reused_for_another():
    sig = make_ticket_token("s3cret-s3cret-s3cret", "TGC4K7QX").split(".")[2]
    with pytest.raises(Refusal) as err:
        verify_ticket_token("s3cret-s3cret-s3cret", f"BLK1.TGC00000.{sig}")
    assert err.value.code == "invalid_signature"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"booking_code": "tgc4-k7qx"}, "TGC4K7QX"),
        ({"booking_code": " tgc4 k7qx "}, "TGC4K7QX"),
        ({"token": "https://antrian.bpjsketenagakerjaan.go.id/t/TGC4K7QX"}, "TGC4K7QX"),
        ({"token": "https://example.test/booking?kode=tgc4k7qx"}, "TGC4K7QX"),
        ({"token": "TGC4K7QX"}, "TGC4K7QX"),
    ],
)
def test_booking_codes_urls_and_bare_qr_codes_resolve_to_a_code(body, expected):
    assert resolve_payload("s3cret-s3cret-s3cret", **body).booking_code == expected


def test_booth_may_send_the_code_it_read_with_the_token():
    token = make_ticket_token("s3cret-s3cret-s3cret", "TGC4K7QX")
    ref = resolve_payload("s3cret-s3cret-s3cret", booking_code="TGC4K7QX", token=token)
    assert ref.booking_code == "TGC4K7QX"
    with pytest.raises(Refusal) as err:
        resolve_payload("s3cret-s3cret-s3cret", booking_code="TGC00000", token=token)
    assert err.value.code == "malformed_payload"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"booking_code": "TOO-LONG-CODE"},
        {"token": "WIFI:S:kantor;T:WPA;P:rahasia;;"},
        {"token": "BLK1.TGC4K7QX"},
        {"token": "https://example.test/nothing-here"},
    ],
)
def test_anything_else_is_a_malformed_payload(body):
    with pytest.raises(Refusal) as err:
        resolve_payload("s3cret-s3cret-s3cret", **body)
    assert err.value.code == "malformed_payload"


@pytest.mark.parametrize(
    ("nik", "reason"),
    [
        ("367101150885", "length"),
        ("2071011508850001", "province"),  # 20 is not a province code
        ("3600011508850001", "region"),  # regency 00
        ("3671001508850001", "region"),  # district 00
        ("3671013208850001", "birth_date"),  # 32 August
        ("3671017202850001", "birth_date"),  # 32 February for a woman (72 - 40)
        ("3671011508850000", "serial"),
    ],
)
def test_invalid_nik_is_refused_with_the_reason(nik: str, reason: str):
    with pytest.raises(Refusal) as err:
        resolve_payload("s3cret-s3cret-s3cret", nik=nik)
    assert (err.value.code, err.value.params) == ("invalid_nik", {"reason": reason})


def test_valid_nik_of_a_woman_born_on_29_february_is_accepted():
    # 29 + 40 = 69; 2000 was a leap year
    assert resolve_payload("s3cret-s3cret-s3cret", nik="3671016902000001").nik == (
        "3671016902000001"
    )
