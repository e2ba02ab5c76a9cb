"""Focus and hold across a CS's calls; checklist, outcome rules, rating."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.store.models import AuditEvent
from tests.hub.calls import (
    accept,
    agent_stream,
    booth_stream,
    go_online,
    in_call,
    session_as_booth,
    session_message,
    sessions_message,
    tick_all,
    waiting,
)
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder


@pytest.fixture
def staffed(seeder: Seeder, hub_server: HubProcess) -> BranchInfo:
    return seeder.branch(booths=3, agents=2)


def focus(api: Api, branch: BranchInfo, cs: str, session_id: int | None) -> tuple[int, dict]:
    return api.post(f"/api/v1/agents/{branch.agents[0].id}/focus", cs, {"session_id": session_id})


def holds(api: Api, branch: BranchInfo, sessions: list[dict]) -> list[bool]:
    return [
        session_as_booth(api, branch, booth, s["id"])["on_hold"] for booth, s in enumerate(sessions)
    ]


def close(api: Api, cs: str, session_id: int, **body) -> tuple[int, dict]:
    return api.post(f"/api/v1/sessions/{session_id}/close", cs, body)


def verified(api: Api, cs: str, session_id: int, **body) -> tuple[int, dict]:
    """Close as verified the honest way: every required document ticked first."""
    tick_all(api, cs, session_id)
    return close(api, cs, session_id, outcome="verified", **body)


def test_first_accepted_call_is_focused_and_later_ones_wait_on_hold(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    calls = [in_call(api, seeder, staffed, booth, cs) for booth in range(3)]
    assert holds(api, staffed, calls) == [False, True, True]


def test_focus_puts_every_other_call_of_the_cs_on_hold(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    calls = [in_call(api, seeder, staffed, booth, cs) for booth in range(3)]
    with booth_stream(hub_server, staffed, 0) as first_booth:
        first_booth.next(session_message(lambda s: s["on_hold"] is False))
        status, body = focus(api, staffed, cs, calls[2]["id"])
        assert status == 200
        assert [(s["id"], s["on_hold"]) for s in body["sessions"]] == [
            (calls[0]["id"], True), (calls[1]["id"], True), (calls[2]["id"], False)
        ]  # fmt: skip
        first_booth.next(session_message(lambda s: s["on_hold"] is True))  # "please wait"
    assert holds(api, staffed, calls) == [True, True, False]
    status, _ = focus(api, staffed, cs, None)  # the CS steps away from every booth
    assert status == 200 and holds(api, staffed, calls) == [True, True, True]


def test_focus_is_audited_and_refuses_what_is_not_the_cs_call(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0, capacity=2)
    call = in_call(api, seeder, staffed, 0, cs)
    assigned = waiting(api, seeder, staffed, 1)  # assigned, not accepted yet
    status, body = focus(api, staffed, cs, assigned["id"])
    assert (status, body["error"]["params"]) == (409, {"state": "assigned"})
    other = go_online(api, staffed, 1)
    theirs = in_call(api, seeder, staffed, 2, other)
    assert focus(api, staffed, cs, theirs["id"])[0] == 403
    assert focus(api, staffed, cs, 10**9)[0] == 404
    foreign_path = f"/api/v1/agents/{staffed.agents[0].id}/focus"
    assert api.post(foreign_path, other, {"session_id": None})[0] == 403
    assert focus(api, staffed, cs, call["id"])[0] == 200
    with seeder.sessions() as db:
        focus_events = db.execute(
            select(AuditEvent.actor, AuditEvent.details).where(
                AuditEvent.subject == f"agent:{staffed.agents[0].id}", AuditEvent.action == "focus"
            )
        ).all()
    assert [tuple(e) for e in focus_events] == [
        (f"agent:{staffed.agents[0].id}", f'{{"session_id":{call["id"]}}}')
    ]


def test_closing_the_focused_call_leaves_a_single_remaining_call_focused(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    first, second = (in_call(api, seeder, staffed, booth, cs) for booth in range(2))
    assert holds(api, staffed, [first, second]) == [False, True]
    assert verified(api, cs, first["id"])[0] == 200
    assert session_as_booth(api, staffed, 1, second["id"])["on_hold"] is False


def test_accepting_while_another_call_is_focused_joins_on_hold_and_the_console_sees_it(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    first = in_call(api, seeder, staffed, 0, cs)
    second = waiting(api, seeder, staffed, 1)
    with agent_stream(hub_server, staffed, 0, cs) as console:
        console.next(sessions_message(lambda ss: len(ss) == 2))
        accepted = accept(api, cs, second["id"])
        assert (accepted["state"], accepted["on_hold"]) == ("connecting", True)
        pushed = console.next(
            sessions_message(lambda ss: any(s["state"] == "connecting" for s in ss))
        )["sessions"]
        assert {s["id"]: s["on_hold"] for s in pushed} == {first["id"]: False, second["id"]: True}


# Checklist ----------------------------------------------------------------------------------------


def test_checklist_is_stored_whole_and_shown_to_the_console(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    path = f"/api/v1/sessions/{session['id']}/checklist"
    with agent_stream(hub_server, staffed, 0, cs) as console:
        console.next(lambda m: m["type"] == "sessions")
        status, body = api.put(
            path, cs, {"items": {"ektp": True, "npwp": True}, "balance_over_50m": True}
        )
        assert status == 200
        expected = {
            "items": {
                "ektp": True,
                "kk": False,
                "savings_book": False,
                "leaving_proof": False,
                "npwp": True,
            },
            "balance_over_50m": True,
        }
        assert body["session"]["checklist"] == expected
        assert body["session"]["ticket"]["booking_code"] == session["booking_code"]
        console.next(sessions_message(lambda ss: ss[0]["checklist"] == expected))
    status, body = api.put(path, cs, {"items": {"kk": True}})
    assert body["session"]["checklist"]["items"]["ektp"] is False  # whole list each time
    assert body["session"]["checklist"]["balance_over_50m"] is False


def test_checklist_refuses_unknown_documents_other_cs_and_closed_sessions(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    path = f"/api/v1/sessions/{session['id']}/checklist"
    status, body = api.put(path, cs, {"items": {"passport": True}})
    assert (status, body["error"]["code"]) == (422, "invalid_request")
    other = api.login(staffed.agents[1].username, staffed.agents[1].password)
    assert api.put(path, other, {"items": {}})[1]["error"]["code"] == "forbidden"
    verified(api, cs, session["id"])
    assert api.put(path, cs, {"items": {}})[0] == 409


# Close --------------------------------------------------------------------------------------------


def test_incomplete_needs_the_missing_documents_and_the_booth_sees_them(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    for body in ({}, {"missing": []}):
        status, answer = close(api, cs, session["id"], outcome="incomplete", **body)
        assert (status, answer["error"]) == (
            422, {"code": "invalid_request", "params": {"fields": ["missing"]}}
        )  # fmt: skip
    status, answer = close(api, cs, session["id"], outcome="incomplete", missing=["visa"])
    assert status == 422
    with booth_stream(hub_server, staffed, 0) as booth:
        booth.next(session_message(lambda s: s["state"] == "in_call"))
        status, answer = close(
            api, cs, session["id"], outcome="incomplete", missing=["npwp", "kk", "npwp"]
        )
        assert status == 200
        closed = booth.next(session_message(lambda s: s["state"] == "closed"))["session"]
    assert (closed["outcome"], closed["outcome_missing"], closed["outcome_reason"]) == (
        "incomplete", ["npwp", "kk"], ""
    )  # fmt: skip


def test_rejected_needs_a_reason(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    for reason in ({}, {"reason": "   "}):
        status, answer = close(api, cs, session["id"], outcome="rejected", **reason)
        assert (status, answer["error"]["params"]) == (422, {"fields": ["reason"]})
    status, answer = close(
        api, cs, session["id"], outcome="rejected", reason="Nama di KTP dan buku tabungan beda"
    )
    assert status == 200
    assert answer["session"]["outcome_reason"] == "Nama di KTP dan buku tabungan beda"
    assert answer["session"]["outcome_missing"] == []


def test_closing_twice_is_invalid_state_and_both_tries_are_audited_once(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    assert verified(api, cs, session["id"], missing=["kk"])[0] == 200
    status, body = close(api, cs, session["id"], outcome="rejected", reason="again")
    assert (status, body["error"]["params"]) == (409, {"state": "closed"})
    assert session_as_booth(api, staffed, 0, session["id"])["outcome_missing"] == []
    with seeder.sessions() as db:
        closes = db.scalars(
            select(AuditEvent.details).where(
                AuditEvent.subject == f"session:{session['id']}", AuditEvent.action == "close"
            )
        ).all()
    assert closes == ['{"missing":[],"outcome":"verified","reason":""}']


def test_only_the_sessions_cs_may_close_before_any_other_check(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    other = api.login(staffed.agents[1].username, staffed.agents[1].password)
    status, body = close(api, other, session["id"], outcome="incomplete")  # no `missing` either
    assert (status, body["error"]["code"]) == (403, "forbidden")


# Rating -------------------------------------------------------------------------------------------


def test_rating_once_after_the_close(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    path = f"/api/v1/sessions/{session['id']}/rating"
    token = staffed.booths[0].token
    status, body = api.post(path, token, {"stars": 5})
    assert (status, body["error"]["params"]) == (409, {"state": "in_call"})
    verified(api, cs, session["id"])
    assert api.post(path, token, {"stars": 0})[0] == 422
    assert api.post(path, token, {"stars": 6})[0] == 422
    status, body = api.post(path, token, {"stars": 4})
    assert (status, body["session"]["rating"]) == (200, 4)
    status, body = api.post(path, token, {"stars": 1})
    assert (status, body["error"]["params"]) == (409, {"state": "rated"})
    assert api.post(path, staffed.booths[1].token, {"stars": 5})[0] == 403
    assert api.post(path, cs, {"stars": 5})[0] == 403


def test_a_cancelled_session_cannot_be_rated(api: Api, seeder: Seeder, staffed: BranchInfo):
    session = waiting(api, seeder, staffed, 0)
    token = staffed.booths[0].token
    api.post(f"/api/v1/sessions/{session['id']}/cancel", token)
    status, body = api.post(f"/api/v1/sessions/{session['id']}/rating", token, {"stars": 3})
    assert (status, body["error"]["params"]) == (409, {"state": "cancelled"})
