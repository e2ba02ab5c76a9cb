"""Check-in over HTTP against a real `bilik-hub serve`: every refusal code, as a booth sees it."""

from __future__ import annotations

import datetime as dt

from hub.domain.checkin_rules import make_ticket_token
from tests.hub.harness import SECRET, Api, BranchInfo, Seeder

MINUTES = dt.timedelta(minutes=1)
HOURS = dt.timedelta(hours=1)


def refusal(result: tuple[int, dict]) -> tuple[int, str, dict]:
    status, body = result
    return status, body["error"]["code"], body["error"]["params"]


def test_valid_ticket_lookup_shows_the_ticket_masked(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch, name="Siti Rahmawati")
    status, body = api.lookup(branch.booths[0].token, booking_code=ticket.booking_code.lower())
    assert status == 200
    assert body["ticket"] == {
        "booking_code": ticket.booking_code,
        "name_masked": "Si** Ra*******",
        "nik_masked": ticket.nik[:4] + "********" + ticket.nik[-4:],
        "service": "JHT",
        "branch_name": branch.name,
        "date": ticket.date.isoformat(),
        "slot_start": ticket.slot_start.strftime("%H:%M"),
        "slot_end": ticket.slot_end.strftime("%H:%M"),
        "slot_zone": branch.timezone,  # a test zone (Etc/GMT±N) is named as it is
        "priority": False,
    }


def test_lookup_changes_nothing(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch)
    token = branch.booths[0].token
    assert api.lookup(token, booking_code=ticket.booking_code)[0] == 200
    assert api.lookup(token, booking_code=ticket.booking_code)[0] == 200
    assert api.get(f"/api/v1/booths/{branch.booths[0].id}/session", token)[1] == {"session": None}


def test_signed_qr_token_checks_in(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch)
    qr = make_ticket_token(SECRET, ticket.booking_code)
    status, body = api.checkin(branch.booths[0].token, token=qr, booking_code=ticket.booking_code)
    assert status == 201
    assert body["session"]["state"] == "checked_in"
    assert body["session"]["booking_code"] == ticket.booking_code


def test_forged_qr_token_is_invalid_signature(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch)
    forged = make_ticket_token("not-the-hub-secret-at-all", ticket.booking_code)
    assert refusal(api.lookup(branch.booths[0].token, token=forged)) == (
        400, "invalid_signature", {}
    )  # fmt: skip


def test_payload_that_is_no_ticket_is_malformed(api: Api, branch: BranchInfo):
    token = branch.booths[0].token
    assert refusal(api.lookup(token, token="WIFI:S:kantor;;"))[:2] == (400, "malformed_payload")
    assert refusal(api.lookup(token))[:2] == (400, "malformed_payload")


def test_unknown_booking_code_is_unknown_ticket(api: Api, branch: BranchInfo):
    assert refusal(api.lookup(branch.booths[0].token, booking_code="ZZZZ9999")) == (
        404, "unknown_ticket", {}
    )  # fmt: skip


def test_invalid_nik_says_why(api: Api, branch: BranchInfo):
    assert refusal(api.lookup(branch.booths[0].token, nik="3671013208850001")) == (
        400, "invalid_nik", {"reason": "birth_date"}
    )  # fmt: skip


def test_nik_finds_todays_ticket_at_this_branch(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch)
    status, body = api.checkin(branch.booths[0].token, nik=ticket.nik)
    assert (status, body["ticket"]["booking_code"]) == (201, ticket.booking_code)


def test_nik_with_no_ticket_today_here_is_unknown_ticket(
    api: Api, seeder: Seeder, branch: BranchInfo
):
    other = seeder.branch(booths=1)
    elsewhere = seeder.ticket(other)
    tomorrow = seeder.ticket(branch, day_offset=1)
    token = branch.booths[0].token
    assert refusal(api.lookup(token, nik=elsewhere.nik))[:2] == (404, "unknown_ticket")
    assert refusal(api.lookup(token, nik=tomorrow.nik))[:2] == (404, "unknown_ticket")


def test_ticket_for_another_branch_names_that_branch(api: Api, seeder: Seeder, branch: BranchInfo):
    other = seeder.branch(booths=1)
    ticket = seeder.ticket(other)
    assert refusal(api.lookup(branch.booths[0].token, booking_code=ticket.booking_code)) == (
        409, "wrong_branch", {"branch_name": other.name}
    )  # fmt: skip


def test_ticket_for_tomorrow_gives_its_date(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch, day_offset=1)
    assert refusal(api.lookup(branch.booths[0].token, booking_code=ticket.booking_code)) == (
        409, "wrong_day", {"date": ticket.date.isoformat()}
    )  # fmt: skip


def test_too_early_ticket_says_when_to_return(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch, start_in=3 * HOURS, length=30 * MINUTES)
    start = dt.datetime.combine(ticket.date, ticket.slot_start)
    assert refusal(api.lookup(branch.booths[0].token, booking_code=ticket.booking_code)) == (
        409,
        "too_early",
        {
            "slot_start": start.strftime("%H:%M"),
            "return_at": (start - 30 * MINUTES).strftime("%H:%M"),
        },
    )


def test_expired_ticket_is_too_late_with_its_slot_end(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch, start_in=-3 * HOURS, length=HOURS)
    assert refusal(api.lookup(branch.booths[0].token, booking_code=ticket.booking_code)) == (
        409, "too_late", {"slot_end": ticket.slot_end.strftime("%H:%M")}
    )  # fmt: skip


def test_cancelled_served_and_no_show_tickets_have_their_own_codes(
    api: Api, seeder: Seeder, branch: BranchInfo
):
    token = branch.booths[0].token
    for status, code in (
        ("cancelled", "cancelled"),
        ("served", "already_served"),
        ("no_show", "no_show"),
    ):
        ticket = seeder.ticket(branch, status=status)
        assert refusal(api.checkin(token, booking_code=ticket.booking_code)) == (409, code, {})


def test_checking_in_again_from_the_same_booth_returns_the_open_session(
    api: Api, seeder: Seeder, branch: BranchInfo
):
    ticket = seeder.ticket(branch)
    token = branch.booths[0].token
    first_status, first = api.checkin(token, booking_code=ticket.booking_code)
    again_status, again = api.checkin(token, booking_code=ticket.booking_code)
    assert (first_status, again_status) == (201, 200)
    assert again["session"]["id"] == first["session"]["id"]


def test_ticket_checked_in_at_another_booth_is_refused_with_that_booth_name(
    api: Api, seeder: Seeder, branch: BranchInfo
):
    ticket = seeder.ticket(branch)
    assert api.checkin(branch.booths[0].token, booking_code=ticket.booking_code)[0] == 201
    assert refusal(api.checkin(branch.booths[1].token, booking_code=ticket.booking_code)) == (
        409, "checked_in_elsewhere", {"booth_name": "Bilik 1"}
    )  # fmt: skip


def test_cancel_gives_the_ticket_back_for_a_new_check_in(
    api: Api, seeder: Seeder, branch: BranchInfo
):
    ticket = seeder.ticket(branch)
    booth_a, booth_b = branch.booths[0], branch.booths[1]
    _, body = api.checkin(booth_a.token, booking_code=ticket.booking_code)
    session_id = body["session"]["id"]
    status, cancelled = api.post(f"/api/v1/sessions/{session_id}/cancel", booth_a.token)
    assert (status, cancelled["session"]["state"]) == (200, "cancelled")
    assert api.get(f"/api/v1/booths/{booth_a.id}/session", booth_a.token)[1] == {"session": None}
    status, again = api.checkin(booth_b.token, booking_code=ticket.booking_code)
    assert status == 201 and again["session"]["id"] != session_id


def test_a_new_check_in_replaces_an_unserved_session_at_the_same_booth(
    api: Api, seeder: Seeder, branch: BranchInfo
):
    first, second = seeder.ticket(branch), seeder.ticket(branch)
    booth = branch.booths[0]
    _, old = api.checkin(booth.token, booking_code=first.booking_code)
    _, new = api.checkin(booth.token, booking_code=second.booking_code)
    assert (
        api.get(f"/api/v1/sessions/{old['session']['id']}", booth.token)[1]["session"]["state"]
        == "cancelled"
    )
    # the first ticket is free again, at any booth
    assert api.lookup(branch.booths[1].token, booking_code=first.booking_code)[0] == 200
    assert new["session"]["state"] == "checked_in"


def test_repeated_failed_lookups_are_rate_limited_per_booth(
    api: Api, seeder: Seeder, branch: BranchInfo
):
    ticket = seeder.ticket(branch)
    guessing, neighbour = branch.booths[0].token, branch.booths[1].token
    for i in range(5):
        assert api.lookup(guessing, booking_code=f"ZZZZ000{i}")[0] == 404
    status, code, params = refusal(api.lookup(guessing, booking_code=ticket.booking_code))
    assert (status, code) == (429, "rate_limited")
    assert 1 <= params["retry_after"] <= 60
    # another booth of the branch is not affected
    assert api.lookup(neighbour, booking_code=ticket.booking_code)[0] == 200


def test_rate_limited_answer_carries_retry_after_header(api: Api, branch: BranchInfo):
    token = branch.booths[0].token
    for i in range(5):
        api.lookup(token, booking_code=f"YYYY000{i}")
    response = api.http.post(
        api.base_url + "/api/v1/checkins/lookup",
        json={"booking_code": "YYYY0009"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == response.json()["error"]["params"]["retry_after"]


def test_checkin_needs_a_booth_token(api: Api, seeder: Seeder, branch: BranchInfo):
    ticket = seeder.ticket(branch)
    assert refusal(api.checkin("", booking_code=ticket.booking_code))[:2] == (401, "unauthorized")
    assert refusal(api.checkin("no-such-token", booking_code=ticket.booking_code))[:2] == (
        401, "unauthorized"
    )  # fmt: skip
