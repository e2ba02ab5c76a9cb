import pytest

from contract.ticket_payload import TicketQuery
from kiosk.flow import (
    CALL_STATES,
    EXIT_TO_DESKTOP,
    CallConnected,
    CallLost,
    CancelSession,
    CaptureStill,
    CheckedIn,
    CheckIn,
    DeviceHealth,
    EndCall,
    Enqueue,
    FetchOpenSession,
    Flow,
    HeadsetResult,
    HubDown,
    HubUp,
    LookupAnswered,
    LookupTicket,
    PinChecked,
    QuitApp,
    Refused,
    Scanned,
    SendRating,
    SessionChanged,
    StartHeadsetCheck,
    State,
    StillDone,
    StillRequested,
    StopHeadsetCheck,
    Tick,
    Timeouts,
    Touch,
    Typed,
    Wipe,
)

CODE = "TGC4K7QX"
TOKEN = f"BLK1.{CODE}.MFRGGZDFMZTWQ2LK"
QUERY = TicketQuery(booking_code=CODE, token=TOKEN)
TICKET = {"booking_code": CODE, "name_masked": "Bu** Sa*****", "slot_start": "10:30"}
IDLE, REFUSED_IDLE, WARN = 60.0, 30.0, 15.0


def session(state: str = "checked_in", sid: str = "s1", **extra) -> dict:
    return {"id": sid, "booth_id": "tgc-01", "booking_code": CODE, "state": state, **extra}


class Clock:
    """The injected monotonic clock: a number the test moves forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def flow(clock: Clock) -> Flow:
    return Flow(clock, Timeouts(idle=IDLE, refused=REFUSED_IDLE, warn=WARN))


def wait(flow: Flow, clock: Clock, seconds: float) -> list:
    clock.now += seconds
    return flow.handle(Tick(clock.now))


# Ways to bring a fresh flow to each state, the way a participant would.
def to_scanning(flow: Flow) -> None:
    flow.handle(Touch("start"))


def to_manual_entry(flow: Flow) -> None:
    flow.handle(Touch("type_code"))


def to_verifying(flow: Flow) -> None:
    to_scanning(flow)
    flow.handle(Scanned(TOKEN))


def to_confirm(flow: Flow) -> None:
    to_verifying(flow)
    flow.handle(LookupAnswered(TICKET))


def to_checking_in(flow: Flow) -> None:
    to_confirm(flow)
    flow.handle(Touch("confirm"))


def to_headset_check(flow: Flow) -> None:
    to_checking_in(flow)
    flow.handle(CheckedIn(session(), TICKET))


def to_waiting(flow: Flow) -> None:
    to_headset_check(flow)
    flow.handle(Touch("headset_ok"))


def to_assigned(flow: Flow) -> None:
    to_waiting(flow)
    flow.handle(SessionChanged(session("assigned", agent={"id": "a1", "name": "Sari"})))


def to_in_call(flow: Flow) -> None:
    to_assigned(flow)
    flow.handle(SessionChanged(session("connecting", agent={"id": "a1", "name": "Sari"})))
    flow.handle(CallConnected())


def to_on_hold(flow: Flow) -> None:
    to_in_call(flow)
    flow.handle(SessionChanged(session("in_call", on_hold=True)))


def to_capturing_document(flow: Flow) -> None:
    to_in_call(flow)
    flow.handle(StillRequested("r1", "ektp"))


def to_reconnecting(flow: Flow) -> None:
    to_in_call(flow)
    flow.handle(CallLost("ice failed"))


def to_finished(flow: Flow) -> None:
    to_in_call(flow)
    flow.handle(SessionChanged(session("closed", outcome="verified")))


def to_maintenance(flow: Flow) -> None:
    flow.handle(Touch("maintenance"))


def to_refused(flow: Flow) -> None:
    to_scanning(flow)
    flow.handle(Scanned("WIFI:S:Tamu;;"))


def to_out_of_service(flow: Flow) -> None:
    flow.handle(HubDown("connection refused"))


REACH = {
    State.ATTRACT: lambda flow: None,
    State.SCANNING: to_scanning,
    State.MANUAL_ENTRY: to_manual_entry,
    State.VERIFYING: to_verifying,
    State.CONFIRM: to_confirm,
    State.CHECKING_IN: to_checking_in,
    State.HEADSET_CHECK: to_headset_check,
    State.WAITING: to_waiting,
    State.ASSIGNED: to_assigned,
    State.IN_CALL: to_in_call,
    State.ON_HOLD: to_on_hold,
    State.CAPTURING_DOCUMENT: to_capturing_document,
    State.RECONNECTING: to_reconnecting,
    State.FINISHED: to_finished,
    State.MAINTENANCE: to_maintenance,
    State.REFUSED: to_refused,
    State.OUT_OF_SERVICE: to_out_of_service,
}


def reach(flow: Flow, state: State) -> Flow:
    REACH[state](flow)
    assert flow.state == state
    return flow


def test_every_state_has_a_way_to_reach_it_in_these_tests():
    assert set(REACH) == set(State)


# --- the happy path -----------------------------------------------------------------------------


def test_happy_path_from_attract_to_assigned_with_the_effects_of_each_step(flow):
    assert flow.state == State.ATTRACT
    assert flow.start() == [FetchOpenSession()]

    assert flow.handle(Touch("start")) == []
    assert flow.state == State.SCANNING

    assert flow.handle(Scanned(TOKEN)) == [LookupTicket(QUERY)]
    assert flow.state == State.VERIFYING

    assert flow.handle(LookupAnswered(TICKET)) == []
    assert flow.state == State.CONFIRM
    assert flow.ticket == TICKET

    assert flow.handle(Touch("confirm")) == [CheckIn(QUERY)]
    assert flow.state == State.CHECKING_IN

    assert flow.handle(CheckedIn(session(), TICKET)) == [StartHeadsetCheck()]
    assert flow.state == State.HEADSET_CHECK
    assert flow.session == session()

    assert flow.handle(HeadsetResult(ok=True)) == []
    assert flow.handle(Touch("headset_ok")) == [StopHeadsetCheck(), Enqueue("s1")]
    assert flow.state == State.WAITING

    assert flow.handle(SessionChanged(session("waiting", position=3, eta_seconds=900))) == []
    assert flow.state == State.WAITING
    assert flow.session["position"] == 3

    assert flow.handle(SessionChanged(session("assigned", agent={"id": "a1"}))) == []
    assert flow.state == State.ASSIGNED

    assert flow.handle(SessionChanged(session("connecting"))) == []
    assert flow.state == State.ASSIGNED  # until media flows

    assert flow.handle(CallConnected()) == []
    assert flow.state == State.IN_CALL

    assert flow.handle(SessionChanged(session("closed", outcome="verified"))) == [EndCall()]
    assert flow.state == State.FINISHED
    assert flow.session["outcome"] == "verified"

    assert flow.handle(Touch("rate_5")) == [SendRating("s1", 5)]
    assert flow.handle(Touch("rate_4")) == []  # one rating per session
    assert flow.handle(Touch("done")) == [Wipe()]  # the session is closed: nothing to cancel
    assert flow.state == State.ATTRACT
    assert flow.session is None and flow.ticket == {} and flow.query is None


def test_qr_shown_on_the_attract_screen_starts_the_lookup_at_once(flow):
    assert flow.handle(Scanned(f"  {CODE.lower()}\n")) == [
        LookupTicket(TicketQuery(booking_code=CODE))
    ]
    assert flow.state == State.VERIFYING


def test_typed_booking_code_is_looked_up(flow):
    to_manual_entry(flow)
    assert flow.handle(Typed("tgc4-k7qx")) == [LookupTicket(TicketQuery(booking_code=CODE))]
    assert flow.state == State.VERIFYING


def test_typed_nik_is_looked_up_as_nik(flow):
    to_manual_entry(flow)
    nik = "3201011508850001"
    assert flow.handle(Typed(nik)) == [LookupTicket(TicketQuery(nik=nik))]


def test_state_listener_hears_each_change_once(clock):
    changes = []
    flow = Flow(clock, on_state=lambda old, new: changes.append((old, new)))
    to_verifying(flow)
    flow.handle(Touch("still_here"))  # no change of state
    assert changes == [(State.ATTRACT, State.SCANNING), (State.SCANNING, State.VERIFYING)]


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload", ["WIFI:S:Tamu;T:WPA;P:rahasia;;", "https://www.tokopedia.com/", "hello"]
)
def test_malformed_qr_is_refused_on_the_booth_without_asking_the_hub(flow, payload):
    to_scanning(flow)
    assert flow.handle(Scanned(payload)) == []
    assert flow.state == State.REFUSED
    assert flow.refusal == ("malformed", {})


def test_invalid_typed_nik_is_refused_with_its_reason_without_asking_the_hub(flow):
    to_manual_entry(flow)
    assert flow.handle(Typed("3201011508850000")) == []
    assert flow.state == State.REFUSED
    assert flow.refusal == ("nik_serial", {})


def test_too_early_refusal_keeps_params_for_the_message(flow):
    to_verifying(flow)
    params = {"slot_start": "10:30", "return_at": "10:00"}
    assert flow.handle(Refused("too_early", params)) == []
    assert flow.state == State.REFUSED
    assert flow.refusal == ("too_early", {"slot_start": "10:30", "return_at": "10:00"})
    params["return_at"] = "changed"  # the event's dict is not shared with the screen
    assert flow.refusal[1]["return_at"] == "10:00"


def test_refusal_at_check_in_keeps_its_params_and_forgets_the_ticket(flow):
    to_checking_in(flow)
    flow.handle(Refused("checked_in_elsewhere", {"booth_name": "Bilik 2"}))
    assert flow.state == State.REFUSED
    assert flow.refusal == ("checked_in_elsewhere", {"booth_name": "Bilik 2"})
    assert flow.ticket == {} and flow.query is None


@pytest.mark.parametrize("state", [State.ATTRACT, State.SCANNING, State.CONFIRM, State.WAITING])
def test_hub_refusal_outside_a_request_is_ignored(flow, state):
    reach(flow, state)
    assert flow.handle(Refused("rate_limited", {"retry_after": 30})) == []
    assert flow.state == state


def test_retry_after_a_scanned_refusal_goes_back_to_scanning(flow):
    to_verifying(flow)
    flow.handle(Refused("unknown_ticket"))
    assert flow.handle(Touch("retry")) == []
    assert flow.state == State.SCANNING


def test_retry_after_a_malformed_qr_on_the_keypad_screen_goes_to_scanning(flow):
    to_manual_entry(flow)
    flow.handle(Scanned("WIFI:S:x;;"))
    flow.handle(Touch("retry"))
    assert flow.state == State.SCANNING


def test_retry_after_a_typed_entry_was_refused_goes_back_to_the_keypad(flow):
    to_manual_entry(flow)
    flow.handle(Typed("halo"))
    assert flow.refusal == ("booking_code", {})
    flow.handle(Touch("retry"))
    assert flow.state == State.MANUAL_ENTRY


def test_retry_after_the_hub_refused_a_typed_code_goes_back_to_the_keypad(flow):
    to_manual_entry(flow)
    flow.handle(Typed(CODE))
    flow.handle(LookupAnswered(TICKET))
    flow.handle(Touch("confirm"))
    flow.handle(Refused("too_late", {"slot_end": "11:00"}))
    flow.handle(Touch("retry"))
    assert flow.state == State.MANUAL_ENTRY


def test_refused_screen_offers_the_other_way_in(flow):
    to_refused(flow)
    flow.handle(Touch("type_code"))
    assert flow.state == State.MANUAL_ENTRY
    flow.handle(Typed("halo"))
    flow.handle(Touch("scan"))
    assert flow.state == State.SCANNING


def test_new_qr_on_the_refused_screen_is_looked_up(flow):
    to_refused(flow)
    assert flow.handle(Scanned(TOKEN)) == [LookupTicket(QUERY)]
    assert flow.state == State.VERIFYING


def test_not_me_on_confirm_wipes_without_cancelling_anything(flow):
    to_confirm(flow)
    assert flow.handle(Touch("not_me")) == [Wipe()]
    assert flow.state == State.ATTRACT
    assert flow.ticket == {}


def test_cancel_while_waiting_gives_the_ticket_back(flow):
    to_waiting(flow)
    assert flow.handle(Touch("cancel")) == [CancelSession("s1"), Wipe()]
    assert flow.state == State.ATTRACT


def test_cancel_during_headset_check_stops_it_and_gives_the_ticket_back(flow):
    to_headset_check(flow)
    assert flow.handle(Touch("home")) == [StopHeadsetCheck(), CancelSession("s1"), Wipe()]


def test_cancel_is_not_offered_once_a_cs_is_assigned(flow):
    to_assigned(flow)
    assert flow.handle(Touch("cancel")) == []
    assert flow.state == State.ASSIGNED


# --- QR during a session -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        State.VERIFYING,
        State.CONFIRM,
        State.CHECKING_IN,
        State.HEADSET_CHECK,
        State.WAITING,
        State.ASSIGNED,
        State.OUT_OF_SERVICE,
    ],
)
def test_qr_shown_mid_session_is_ignored(flow, state):
    reach(flow, state)
    before = (flow.query, dict(flow.ticket), flow.session)
    assert flow.handle(Scanned("BLK1.ZZZZ9999.MFRGGZDFMZTWQ2LK")) == []
    assert flow.handle(Scanned("WIFI:S:x;;")) == []
    assert flow.state == state
    assert (flow.query, flow.ticket, flow.session) == before


def test_typing_outside_the_keypad_screen_is_ignored(flow):
    to_scanning(flow)
    assert flow.handle(Typed(CODE)) == []
    assert flow.state == State.SCANNING


# --- idle timeouts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "limit", "effects"),
    [
        (State.SCANNING, IDLE, [Wipe()]),
        (State.MANUAL_ENTRY, IDLE, [Wipe()]),
        (State.CONFIRM, IDLE, [Wipe()]),
        (State.HEADSET_CHECK, IDLE, [StopHeadsetCheck(), CancelSession("s1"), Wipe()]),
        (State.REFUSED, REFUSED_IDLE, [Wipe()]),
    ],
)
def test_idle_participant_screen_times_out_wipes_and_cancels_a_held_session(
    flow, clock, state, limit, effects
):
    reach(flow, state)
    assert flow.seconds_left(clock.now) == limit
    assert wait(flow, clock, limit - 0.5) == []
    assert flow.state == state
    assert wait(flow, clock, 0.5) == effects
    assert flow.state == State.ATTRACT
    assert flow.session is None and flow.ticket == {} and flow.query is None
    assert flow.seconds_left(clock.now) is None


@pytest.mark.parametrize(
    "state",
    [
        State.ATTRACT,
        State.VERIFYING,
        State.CHECKING_IN,
        State.WAITING,
        State.ASSIGNED,
        State.OUT_OF_SERVICE,
    ],
)
def test_nothing_times_out_outside_participant_screens(flow, clock, state):
    reach(flow, state)
    assert flow.seconds_left(clock.now) is None
    assert wait(flow, clock, 24 * 3600) == []
    assert flow.state == state
    assert not flow.countdown_visible(clock.now)


def test_still_here_rearms_the_timeout(flow, clock):
    to_scanning(flow)
    wait(flow, clock, IDLE - 1)
    assert flow.handle(Touch("still_here")) == []
    assert flow.seconds_left(clock.now) == IDLE
    assert wait(flow, clock, IDLE - 1) == []
    assert flow.state == State.SCANNING
    assert wait(flow, clock, 1) == [Wipe()]


def test_still_here_outside_participant_screens_arms_nothing(flow, clock):
    to_waiting(flow)
    flow.handle(Touch("still_here"))
    assert flow.seconds_left(clock.now) is None


def test_each_new_screen_gets_a_full_timeout(flow, clock):
    to_scanning(flow)
    clock.now += IDLE - 1
    flow.handle(Touch("type_code"))
    assert flow.seconds_left(clock.now) == IDLE


def test_countdown_is_visible_only_in_the_last_warn_seconds(flow, clock):
    to_confirm(flow)
    start = clock.now
    assert not flow.countdown_visible(start)
    assert not flow.countdown_visible(start + IDLE - WARN - 0.1)
    assert flow.countdown_visible(start + IDLE - WARN)
    assert flow.seconds_left(start + IDLE - WARN) == WARN
    assert flow.countdown_visible(start + IDLE - 1)
    assert flow.seconds_left(start + IDLE + 5) == 0.0  # never negative on screen


def test_headset_retry_rearms_and_restarts_the_check(flow, clock):
    to_headset_check(flow)
    wait(flow, clock, IDLE - 1)
    assert flow.handle(Touch("headset_retry")) == [StartHeadsetCheck()]
    assert flow.seconds_left(clock.now) == IDLE


# --- headset ------------------------------------------------------------------------------------


def test_headset_problem_is_set_and_cleared(flow):
    to_headset_check(flow)
    flow.handle(HeadsetResult(ok=False, detail="no_microphone"))
    assert flow.headset_problem == "no_microphone"
    flow.handle(HeadsetResult(ok=False))
    assert flow.headset_problem == "missing"
    flow.handle(HeadsetResult(ok=True))
    assert flow.headset_problem == ""


def test_headset_retry_clears_the_problem(flow):
    to_headset_check(flow)
    flow.handle(HeadsetResult(ok=False, detail="no_sound"))
    flow.handle(Touch("headset_retry"))
    assert flow.headset_problem == ""


def test_headset_result_outside_the_check_is_ignored(flow):
    to_waiting(flow)
    flow.handle(HeadsetResult(ok=False, detail="unplugged"))
    assert flow.headset_problem == ""


def test_headset_ok_stops_the_check_and_enqueues_the_session(flow):
    to_headset_check(flow)
    assert flow.handle(Touch("headset_ok")) == [StopHeadsetCheck(), Enqueue("s1")]
    assert flow.state == State.WAITING


def test_headset_ok_outside_the_check_does_not_enqueue(flow):
    to_confirm(flow)
    assert flow.handle(Touch("headset_ok")) == []


# --- out of service -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state", [s for s in State if s not in (State.OUT_OF_SERVICE, State.MAINTENANCE)]
)
def test_hub_down_from_any_state_goes_out_of_service_and_wipes(flow, state):
    reach(flow, state)
    effects = flow.handle(HubDown("timeout"))
    stop = [StopHeadsetCheck()] if state == State.HEADSET_CHECK else []
    hang_up = [EndCall()] if state in CALL_STATES else []
    assert effects == hang_up + stop + [Wipe()]  # never CancelSession: the hub keeps it
    assert flow.state == State.OUT_OF_SERVICE
    assert flow.session is None and flow.ticket == {} and flow.query is None
    assert flow.down == {"hub": "timeout"}


def test_recovery_goes_to_attract_and_asks_for_the_open_session(flow):
    to_waiting(flow)
    flow.handle(HubDown())
    assert flow.handle(HubUp()) == [FetchOpenSession()]
    assert flow.state == State.ATTRACT
    assert flow.down == {}


def test_session_found_after_recovery_resumes_waiting(flow):
    to_waiting(flow)
    flow.handle(HubDown())
    flow.handle(HubUp())
    assert flow.handle(SessionChanged(session("waiting", position=2))) == []
    assert flow.state == State.WAITING
    assert flow.session["id"] == "s1"


def test_checked_in_session_found_after_restart_resumes_the_headset_check(flow):
    flow.start()
    assert flow.handle(SessionChanged(session("checked_in"))) == [StartHeadsetCheck()]
    assert flow.state == State.HEADSET_CHECK


def test_assigned_session_found_after_restart_resumes_assigned(flow):
    flow.start()
    flow.handle(SessionChanged(session("in_call")))
    assert flow.state == State.ASSIGNED


def test_no_open_session_after_restart_stays_on_attract(flow):
    assert flow.handle(SessionChanged(None)) == []
    assert flow.state == State.ATTRACT


def test_hub_and_camera_down_need_both_up_to_recover(flow):
    to_scanning(flow)
    flow.handle(HubDown("refused"))
    assert flow.handle(DeviceHealth("camera", ok=False, detail="no frames")) == []
    assert flow.down == {"hub": "refused", "camera": "no frames"}
    assert flow.handle(HubUp()) == []
    assert flow.state == State.OUT_OF_SERVICE
    assert flow.handle(DeviceHealth("camera", ok=True)) == [FetchOpenSession()]
    assert flow.state == State.ATTRACT


def test_device_recovering_outside_out_of_service_changes_nothing(flow):
    to_scanning(flow)
    assert flow.handle(DeviceHealth("camera", ok=True)) == []
    assert flow.handle(HubUp()) == []
    assert flow.state == State.SCANNING


def test_second_hub_down_while_out_of_service_emits_nothing_new(flow):
    to_out_of_service(flow)
    assert flow.handle(HubDown("still down")) == []
    assert flow.down == {"hub": "still down"}


def test_session_update_while_out_of_service_is_kept_for_the_recovery(flow):
    to_waiting(flow)
    flow.handle(DeviceHealth("camera", ok=False))
    assert flow.handle(SessionChanged(session("waiting", position=1))) == []
    assert flow.state == State.OUT_OF_SERVICE
    flow.handle(DeviceHealth("camera", ok=True))
    assert flow.state == State.ATTRACT
    assert flow.handle(SessionChanged(session("waiting", position=1))) == []
    assert flow.state == State.WAITING


@pytest.mark.parametrize("ended", [session("closed"), session("cancelled"), None])
def test_session_ending_while_out_of_service_keeps_the_booth_out_of_service(flow, ended):
    to_waiting(flow)
    flow.handle(DeviceHealth("camera", ok=False, detail="unplugged"))
    flow.handle(SessionChanged(session("assigned")))  # hub still streams to us
    flow.handle(SessionChanged(ended))
    assert flow.state == State.OUT_OF_SERVICE  # the camera is still unplugged
    assert flow.session is None
    assert flow.handle(DeviceHealth("camera", ok=True)) == [FetchOpenSession()]
    assert flow.state == State.ATTRACT


# --- the hub's view of the session ---------------------------------------------------------------


@pytest.mark.parametrize("ended", ["closed", "cancelled"])
def test_session_ended_by_the_hub_while_waiting_wipes_back_to_attract(flow, ended):
    to_waiting(flow)
    assert flow.handle(SessionChanged(session(ended))) == [Wipe()]  # no CancelSession back
    assert flow.state == State.ATTRACT
    assert flow.session is None


@pytest.mark.parametrize("state", sorted(CALL_STATES))
def test_session_closed_during_the_call_shows_the_outcome(flow, state):
    reach(flow, state)
    closed = session("closed", outcome="incomplete", outcome_missing=["npwp"])
    assert flow.handle(SessionChanged(closed)) == [EndCall()]
    assert flow.state == State.FINISHED
    assert flow.session["outcome_missing"] == ["npwp"]


@pytest.mark.parametrize("state", sorted(CALL_STATES))
def test_session_cancelled_during_the_call_hangs_up_and_wipes(flow, state):
    reach(flow, state)
    assert flow.handle(SessionChanged(session("cancelled"))) == [EndCall(), Wipe()]
    assert flow.state == State.ATTRACT


def test_session_ended_by_the_hub_during_headset_check_stops_the_check(flow):
    to_headset_check(flow)
    assert flow.handle(SessionChanged(session("cancelled"))) == [StopHeadsetCheck(), Wipe()]
    assert flow.state == State.ATTRACT


def test_hub_saying_no_open_session_while_we_hold_one_wipes(flow):
    to_waiting(flow)
    assert flow.handle(SessionChanged(None)) == [Wipe()]
    assert flow.state == State.ATTRACT


def test_session_changed_for_another_session_is_ignored(flow):
    to_waiting(flow)
    assert flow.handle(SessionChanged(session("assigned", sid="s2"))) == []
    assert flow.handle(SessionChanged(session("closed", sid="s2"))) == []
    assert flow.state == State.WAITING
    assert flow.session["id"] == "s1"


@pytest.mark.parametrize("state", [State.ASSIGNED, State.IN_CALL])
def test_session_handed_back_to_the_queue_hangs_up_and_returns_to_waiting(flow, state):
    reach(flow, state)
    assert flow.handle(SessionChanged(session("waiting", position=1))) == [EndCall()]
    assert flow.state == State.WAITING


@pytest.mark.parametrize("state", [State.VERIFYING, State.CHECKING_IN])
def test_session_stream_is_ignored_while_our_own_request_is_in_flight(flow, state):
    reach(flow, state)
    assert flow.handle(SessionChanged(session("checked_in"))) == []
    assert flow.state == state


def test_late_hub_answers_after_the_participant_left_are_ignored(flow):
    to_verifying(flow)
    flow.handle(HubDown())
    flow.handle(HubUp())
    assert flow.handle(LookupAnswered(TICKET)) == []
    assert flow.handle(CheckedIn(session(), TICKET)) == []
    assert flow.state == State.ATTRACT
    assert flow.ticket == {}


@pytest.mark.parametrize(
    ("hub_state", "to"), [("waiting", State.WAITING), ("in_call", State.ASSIGNED)]
)
def test_hub_moving_the_session_on_during_the_headset_check_stops_the_check(flow, hub_state, to):
    to_headset_check(flow)
    assert flow.handle(SessionChanged(session(hub_state))) == [StopHeadsetCheck()]
    assert flow.state == to


# --- the call -----------------------------------------------------------------------------------


def test_focus_elsewhere_puts_the_booth_on_hold_and_back(flow):
    to_in_call(flow)
    assert flow.handle(SessionChanged(session("in_call", on_hold=True))) == []
    assert flow.state == State.ON_HOLD
    assert flow.handle(SessionChanged(session("in_call", on_hold=False))) == []
    assert flow.state == State.IN_CALL


def test_call_connecting_while_on_hold_shows_on_hold(flow):
    to_assigned(flow)
    flow.handle(SessionChanged(session("connecting", on_hold=True)))
    assert flow.handle(CallConnected()) == []
    assert flow.state == State.ON_HOLD


def test_lost_media_reconnects_and_comes_back(flow):
    to_in_call(flow)
    assert flow.handle(CallLost("ice")) == []
    assert flow.state == State.RECONNECTING
    assert flow.handle(CallConnected()) == []
    assert flow.state == State.IN_CALL


def test_document_still_is_captured_after_the_countdown_then_back_to_the_call(flow, clock):
    to_in_call(flow)
    flow.handle(StillRequested("r7", "kk"))
    assert flow.state == State.CAPTURING_DOCUMENT
    assert flow.still_request == ("r7", "kk")
    assert flow.capture_seconds_left(clock.now) == pytest.approx(3.0)
    assert wait(flow, clock, 1.0) == []
    assert wait(flow, clock, 2.1) == [CaptureStill("s1", "r7")]
    assert wait(flow, clock, 0.5) == []  # one capture per request
    assert flow.handle(StillDone(ok=True)) == []
    assert flow.state == State.IN_CALL


def test_failed_still_is_reported_and_the_call_goes_on(flow, clock):
    to_on_hold(flow)
    flow.handle(StillRequested("r8", "npwp"))
    wait(flow, clock, 3.5)
    assert flow.handle(StillDone(ok=False, detail="camera")) == []
    assert flow.state == State.ON_HOLD
    assert flow.still_problem == "camera"


def test_still_request_outside_a_call_is_ignored(flow):
    to_waiting(flow)
    assert flow.handle(StillRequested("r1", "ektp")) == []
    assert flow.state == State.WAITING


def test_nothing_times_out_during_the_call(flow, clock):
    to_in_call(flow)
    assert wait(flow, clock, IDLE * 10) == []
    assert flow.state == State.IN_CALL


def test_outcome_screen_times_out_to_a_wipe_without_cancelling(flow, clock):
    to_finished(flow)
    assert wait(flow, clock, 31) == [Wipe()]
    assert flow.state == State.ATTRACT


def test_restarted_booth_with_a_call_in_progress_waits_for_the_cs_to_call_again(flow):
    flow.start()
    assert flow.handle(SessionChanged(session("in_call", agent={"id": "a1"}))) == []
    assert flow.state == State.ASSIGNED


# --- maintenance --------------------------------------------------------------------------------


def test_maintenance_needs_the_pin_before_any_admin_action(flow):
    to_maintenance(flow)
    assert flow.state == State.MAINTENANCE
    assert flow.handle(Touch("restart")) == []  # locked
    assert flow.handle(PinChecked(ok=True)) == []
    assert flow.maintenance_unlocked
    assert flow.handle(Touch("restart")) == [QuitApp(0)]
    assert flow.handle(Touch("exit_to_desktop")) == [QuitApp(EXIT_TO_DESKTOP)]


def test_three_wrong_pins_send_the_booth_back_to_the_start(flow):
    to_maintenance(flow)
    flow.handle(PinChecked(ok=False))
    flow.handle(PinChecked(ok=False))
    assert flow.state == State.MAINTENANCE
    flow.handle(PinChecked(ok=False))
    assert flow.state == State.ATTRACT
    assert not flow.maintenance_unlocked


@pytest.mark.parametrize("state", [State.SCANNING, State.CONFIRM, State.WAITING, State.IN_CALL])
def test_maintenance_cannot_open_while_a_participant_is_at_the_booth(flow, state):
    reach(flow, state)
    assert flow.handle(Touch("maintenance")) == []
    assert flow.state == state


def test_maintenance_opened_while_out_of_service_returns_there(flow):
    to_out_of_service(flow)
    to_maintenance(flow)
    assert flow.state == State.MAINTENANCE
    flow.handle(HubUp())  # the cause goes away while branch IT works
    flow.handle(HubDown("again"))  # and comes back: maintenance stays open
    assert flow.state == State.MAINTENANCE
    assert flow.handle(Touch("maintenance_close")) == []
    assert flow.state == State.OUT_OF_SERVICE


def test_forgotten_maintenance_screen_closes_itself(flow, clock):
    to_maintenance(flow)
    flow.handle(PinChecked(ok=True))
    assert wait(flow, clock, 121) == []
    assert flow.state == State.ATTRACT
    assert not flow.maintenance_unlocked
