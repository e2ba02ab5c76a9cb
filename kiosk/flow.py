"""The booth session as a pure state machine: events in, state and effects out.

No Kivy, no network, no clock of its own: the app feeds it events (touches, scans, hub answers,
device health, clock ticks) and carries out the effects it returns (call the hub, start the headset
check, wipe). That keeps every rule about what the participant sees testable in plain Python.

States follow DESIGN.md; `refused` is added so that every wrong case gets a full screen of its own
with one clear message and one clear way on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contract.ticket_payload import MalformedPayload, TicketQuery, parse_scan, parse_typed


class State(enum.StrEnum):
    ATTRACT = "attract"
    SCANNING = "scanning"
    MANUAL_ENTRY = "manual_entry"
    VERIFYING = "verifying"
    CONFIRM = "confirm"
    CHECKING_IN = "checking_in"
    HEADSET_CHECK = "headset_check"
    WAITING = "waiting"
    ASSIGNED = "assigned"
    REFUSED = "refused"
    IN_CALL = "in_call"
    ON_HOLD = "on_hold"
    CAPTURING_DOCUMENT = "capturing_document"
    RECONNECTING = "reconnecting"
    FINISHED = "finished"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE = "maintenance"


#: States where a participant may have walked away: they time out, wipe and go back to attract.
IDLE_TIMEOUT_STATES = frozenset(
    {
        State.SCANNING, State.MANUAL_ENTRY, State.CONFIRM, State.HEADSET_CHECK, State.REFUSED,
        State.FINISHED, State.MAINTENANCE,
    }
)  # fmt: skip
#: States with a CS on the other end: leaving them for any other state ends the call.
CALL_STATES = frozenset(
    {State.ASSIGNED, State.IN_CALL, State.ON_HOLD, State.CAPTURING_DOCUMENT, State.RECONNECTING}
)
#: States that hold a session on the hub.
SESSION_STATES = frozenset({State.HEADSET_CHECK, State.WAITING}) | CALL_STATES


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    """A button on a screen: `action` is one of the names in `Flow.handle_touch`."""

    action: str


@dataclass(frozen=True)
class Scanned:
    """A QR payload from the camera or the HID scanner."""

    payload: str


@dataclass(frozen=True)
class Typed:
    """What the participant typed on the keypad and submitted."""

    text: str


@dataclass(frozen=True)
class LookupAnswered:
    ticket: dict[str, Any]


@dataclass(frozen=True)
class CheckedIn:
    session: dict[str, Any]
    ticket: dict[str, Any]


@dataclass(frozen=True)
class Refused:
    """The hub (or the booth's own parsing) said no: `code` and `params` pick the message."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HubDown:
    detail: str = ""


@dataclass(frozen=True)
class HubUp:
    pass


@dataclass(frozen=True)
class DeviceHealth:
    """A critical device (camera) changed health."""

    device: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class HeadsetResult:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class SessionChanged:
    """The hub's view of our session (event stream, poll, resume); None = no open session."""

    session: dict[str, Any] | None


@dataclass(frozen=True)
class CallConnected:
    """Media flows both ways with the CS."""


@dataclass(frozen=True)
class CallLost:
    """The media connection dropped; the call module is trying again."""

    detail: str = ""


@dataclass(frozen=True)
class StillRequested:
    """The CS asks for a sharp still of a document (e.g. `ektp`)."""

    request_id: str
    document: str


@dataclass(frozen=True)
class StillDone:
    """The still was captured and uploaded (ok), or why not."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class PinChecked:
    """The maintenance PIN typed on the booth was right (or not); the app compares it."""

    ok: bool


@dataclass(frozen=True)
class Tick:
    """Clock tick with the current monotonic time, for idle timeouts."""

    now: float


Event = (
    Touch | Scanned | Typed | LookupAnswered | CheckedIn | Refused | HubDown | HubUp | DeviceHealth
    | HeadsetResult | SessionChanged | CallConnected | CallLost | StillRequested | StillDone
    | PinChecked | Tick
)  # fmt: skip


# --- effects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupTicket:
    query: TicketQuery


@dataclass(frozen=True)
class CheckIn:
    query: TicketQuery


@dataclass(frozen=True)
class Enqueue:
    session_id: str


@dataclass(frozen=True)
class CancelSession:
    session_id: str


@dataclass(frozen=True)
class FetchOpenSession:
    """Ask the hub for this booth's open session (start-up and recovery)."""


@dataclass(frozen=True)
class StartHeadsetCheck:
    pass


@dataclass(frozen=True)
class StopHeadsetCheck:
    pass


@dataclass(frozen=True)
class EndCall:
    """Hang up the media connection, if any (the hub session is handled separately)."""


@dataclass(frozen=True)
class CaptureStill:
    """Capture a full-resolution still from the shared camera and upload it for the request."""

    session_id: str
    request_id: str


@dataclass(frozen=True)
class SendRating:
    session_id: str
    stars: int


@dataclass(frozen=True)
class QuitApp:
    """Maintenance: leave the booth app; systemd restarts it unless told otherwise by the code
    (0: restart, EXIT_TO_DESKTOP: stay down, see systemd/bilik-kiosk.service)."""

    exit_code: int


EXIT_TO_DESKTOP = 64


@dataclass(frozen=True)
class Wipe:
    """Forget everything about the participant (the app also clears its caches and images)."""


Effect = (
    LookupTicket | CheckIn | Enqueue | CancelSession | FetchOpenSession | StartHeadsetCheck
    | StopHeadsetCheck | EndCall | CaptureStill | SendRating | QuitApp | Wipe
)  # fmt: skip


# --- the machine ----------------------------------------------------------------------------


#: Wrong maintenance PINs before the booth goes back to the start screen.
MAX_PIN_FAILURES = 3


@dataclass
class Timeouts:
    """Seconds of inactivity before a participant screen gives up; `warn` = countdown shown."""

    idle: float = 60.0
    refused: float = 30.0
    finished: float = 30.0
    maintenance: float = 120.0
    warn: float = 15.0
    #: Seconds the document guide frame is shown before the still is taken.
    capture_countdown: float = 3.0


class Flow:
    """One booth's session. Call `handle(event)`; read `state` and the participant data."""

    # The participant data: all of it set again by `_wipe_data` when a participant leaves.
    query: TicketQuery | None
    ticket: dict[str, Any]
    session: dict[str, Any] | None
    refusal: tuple[str, dict[str, Any]]
    came_from: State
    headset_problem: str
    still_request: tuple[str, str]
    still_problem: str
    capture_at: float
    capturing: bool
    rating: int | None

    def __init__(
        self,
        clock: Callable[[], float],
        timeouts: Timeouts | None = None,
        on_state: Callable[[State, State], None] | None = None,
    ) -> None:
        self._clock = clock
        self.timeouts = timeouts or Timeouts()
        self._on_state = on_state
        self.state = State.ATTRACT
        self.deadline: float | None = None
        self.maintenance_unlocked = False
        self.pin_failures = 0
        self.down: dict[str, str] = {}  # cause → detail, for out_of_service
        self._wipe_data()

    # public read-only view ---------------------------------------------------------------

    def seconds_left(self, now: float) -> float | None:
        """Seconds before the idle timeout, or None when this state does not time out."""
        return None if self.deadline is None else max(0.0, self.deadline - now)

    def countdown_visible(self, now: float) -> bool:
        left = self.seconds_left(now)
        return left is not None and left <= self.timeouts.warn

    # dispatch ------------------------------------------------------------------------------

    def start(self) -> list[Effect]:
        """First call after the app starts: resume a session the hub still holds for us."""
        return [FetchOpenSession()]

    def handle(self, event: Event) -> list[Effect]:
        handler = getattr(self, "_on_" + type(event).__name__)
        return handler(event)

    # event handlers ----------------------------------------------------------------------

    def _on_Touch(self, event: Touch) -> list[Effect]:
        action, state = event.action, self.state
        if action == "still_here":
            self._arm()
            return []
        if action == "maintenance" and state in (State.ATTRACT, State.OUT_OF_SERVICE):
            self.maintenance_unlocked, self.pin_failures = False, 0
            return self._go(State.MAINTENANCE)  # only with nobody's data on the booth
        if state == State.MAINTENANCE:
            return self._maintenance_touch(action)
        if action == "start" and state in (State.ATTRACT, State.MANUAL_ENTRY):
            return self._go(State.SCANNING)
        if action == "type_code" and state in (State.ATTRACT, State.SCANNING, State.REFUSED):
            return self._go(State.MANUAL_ENTRY)
        if action == "scan" and state in (State.MANUAL_ENTRY, State.REFUSED):
            return self._go(State.SCANNING)
        if action == "retry" and state == State.REFUSED:
            back = State.MANUAL_ENTRY if self.came_from == State.MANUAL_ENTRY else State.SCANNING
            return self._go(back)
        if action == "confirm" and state == State.CONFIRM and self.query:
            return self._go(State.CHECKING_IN, [CheckIn(self.query)])
        if action == "not_me" and state == State.CONFIRM:
            return self._end_session()
        if action == "headset_retry" and state == State.HEADSET_CHECK:
            self.headset_problem = ""
            self._arm()
            return [StartHeadsetCheck()]
        if action == "headset_ok" and state == State.HEADSET_CHECK and self.session:
            return self._go(State.WAITING, [Enqueue(self.session["id"])])
        if action.startswith("rate_") and state == State.FINISHED and self.session:
            stars = int(action.removeprefix("rate_"))
            if 1 <= stars <= 5 and self.rating is None:
                self.rating = stars
                self._arm()
                return [SendRating(self.session["id"], stars)]
            return []
        if action in ("cancel", "home", "done") and state in IDLE_TIMEOUT_STATES | {State.WAITING}:
            return self._end_session()
        return []

    def _on_Scanned(self, event: Scanned) -> list[Effect]:
        if self.state not in (State.ATTRACT, State.SCANNING, State.MANUAL_ENTRY, State.REFUSED):
            return []  # a QR shown mid-session must not start another check-in
        try:
            query = parse_scan(event.payload)
        except MalformedPayload as err:
            return self._refuse(err.reason, {}, came_from=State.SCANNING)
        return self._lookup(query, came_from=State.SCANNING)

    def _on_Typed(self, event: Typed) -> list[Effect]:
        if self.state != State.MANUAL_ENTRY:
            return []
        try:
            query = parse_typed(event.text)
        except MalformedPayload as err:
            return self._refuse(err.reason, {}, came_from=State.MANUAL_ENTRY)
        return self._lookup(query, came_from=State.MANUAL_ENTRY)

    def _on_LookupAnswered(self, event: LookupAnswered) -> list[Effect]:
        if self.state != State.VERIFYING:
            return []
        self.ticket = event.ticket
        return self._go(State.CONFIRM)

    def _on_CheckedIn(self, event: CheckedIn) -> list[Effect]:
        if self.state != State.CHECKING_IN:
            return []
        self.session, self.ticket = event.session, event.ticket
        self.headset_problem = ""
        return self._go(State.HEADSET_CHECK, [StartHeadsetCheck()])

    def _on_Refused(self, event: Refused) -> list[Effect]:
        if self.state not in (State.VERIFYING, State.CHECKING_IN):
            return []
        return self._refuse(event.code, event.params, came_from=self.came_from)

    def _on_HubDown(self, event: HubDown) -> list[Effect]:
        return self._mark_down("hub", event.detail)

    def _on_HubUp(self, _event: HubUp) -> list[Effect]:
        return self._mark_up("hub")

    def _on_DeviceHealth(self, event: DeviceHealth) -> list[Effect]:
        if event.ok:
            return self._mark_up(event.device)
        return self._mark_down(event.device, event.detail)

    def _on_HeadsetResult(self, event: HeadsetResult) -> list[Effect]:
        if self.state != State.HEADSET_CHECK:
            return []
        self.headset_problem = "" if event.ok else (event.detail or "missing")
        return []

    def _on_SessionChanged(self, event: SessionChanged) -> list[Effect]:
        session = event.session
        if self.state in (State.VERIFYING, State.CHECKING_IN):
            return []  # the hub's answer to our own request is on its way and decides
        if self.session and session and session.get("id") != self.session.get("id"):
            return []  # an update about a session this booth no longer holds
        if session is None or session.get("state") in ("closed", "cancelled"):
            return self._session_over(session)
        self.session = session
        if self.state == State.OUT_OF_SERVICE:
            return []  # remembered; shown again when the booth recovers
        hub_state = session["state"]
        if hub_state in ("assigned", "connecting", "in_call"):
            if self.state not in CALL_STATES:
                return self._go(State.ASSIGNED)  # the call (re)starts when the CS offers
            if self.state == State.IN_CALL and session.get("on_hold"):
                return self._go(State.ON_HOLD)
            if self.state == State.ON_HOLD and not session.get("on_hold"):
                return self._go(State.IN_CALL)
            return []
        if hub_state == "waiting" and self.state != State.WAITING:
            return self._go(State.WAITING)
        if hub_state == "checked_in" and self.state not in SESSION_STATES:
            return self._go(State.HEADSET_CHECK, [StartHeadsetCheck()])
        return []

    def _session_over(self, session: dict[str, Any] | None) -> list[Effect]:
        """The hub closed or cancelled our session, or holds none for us."""
        if not self.session:
            return []
        if self.state == State.OUT_OF_SERVICE:
            self.session = None  # forgotten; the booth stays down until the cause is gone
            return []
        if session and session.get("state") == "closed" and self.state in CALL_STATES:
            self.session, self.rating = session, None
            return self._go(State.FINISHED)  # the outcome, a rating, then the wipe
        if self.state == State.FINISHED:
            return []
        return self._wipe_to(State.ATTRACT)

    def _on_CallConnected(self, _event: CallConnected) -> list[Effect]:
        if self.state not in (State.ASSIGNED, State.RECONNECTING):
            return []
        return self._go(State.ON_HOLD if self._on_hold() else State.IN_CALL)

    def _on_CallLost(self, _event: CallLost) -> list[Effect]:
        if self.state not in (State.IN_CALL, State.ON_HOLD, State.CAPTURING_DOCUMENT):
            return []
        return self._go(State.RECONNECTING)

    def _on_StillRequested(self, event: StillRequested) -> list[Effect]:
        if self.state not in (State.IN_CALL, State.ON_HOLD):
            return []
        self.still_request = (event.request_id, event.document)
        self.still_problem = ""
        self.capture_at = self._clock() + self.timeouts.capture_countdown
        self.capturing = False
        return self._go(State.CAPTURING_DOCUMENT)

    def _on_StillDone(self, event: StillDone) -> list[Effect]:
        if self.state != State.CAPTURING_DOCUMENT:
            return []
        self.still_problem = "" if event.ok else (event.detail or "failed")
        return self._go(State.ON_HOLD if self._on_hold() else State.IN_CALL)

    def _on_PinChecked(self, event: PinChecked) -> list[Effect]:
        if self.state != State.MAINTENANCE or self.maintenance_unlocked:
            return []
        if event.ok:
            self.maintenance_unlocked = True
            self._arm()
            return []
        self.pin_failures += 1
        if self.pin_failures >= MAX_PIN_FAILURES:
            return self._leave_maintenance()
        return []

    def _maintenance_touch(self, action: str) -> list[Effect]:
        if action == "maintenance_close":
            return self._leave_maintenance()
        if not self.maintenance_unlocked:
            return []
        if action == "restart":
            return [QuitApp(0)]
        if action == "exit_to_desktop":
            return [QuitApp(EXIT_TO_DESKTOP)]
        self._arm()  # any other button (diagnostics) is activity
        return []

    def _leave_maintenance(self) -> list[Effect]:
        self.maintenance_unlocked = False
        return self._go(State.OUT_OF_SERVICE if self.down else State.ATTRACT)

    def _on_Tick(self, event: Tick) -> list[Effect]:
        if self.deadline is not None and event.now >= self.deadline:
            if self.state == State.MAINTENANCE:
                return self._leave_maintenance()
            return self._end_session()
        if (
            self.state == State.CAPTURING_DOCUMENT
            and not self.capturing
            and event.now >= self.capture_at
            and self.session
        ):
            self.capturing = True
            return [CaptureStill(self.session["id"], self.still_request[0])]
        return []

    def capture_seconds_left(self, now: float) -> float:
        """Countdown shown over the document guide frame."""
        return max(0.0, self.capture_at - now)

    def _on_hold(self) -> bool:
        return bool(self.session and self.session.get("on_hold"))

    # helpers -------------------------------------------------------------------------------

    def _lookup(self, query: TicketQuery, came_from: State) -> list[Effect]:
        self.query, self.came_from = query, came_from
        return self._go(State.VERIFYING, [LookupTicket(query)])

    def _refuse(self, code: str, params: dict[str, Any], came_from: State) -> list[Effect]:
        self.refusal = (code, dict(params))
        self.came_from = came_from
        self.ticket, self.query = {}, None
        return self._go(State.REFUSED)

    def _mark_down(self, cause: str, detail: str) -> list[Effect]:
        """Hub or a critical device is gone. Local data is wiped; a session the hub holds is
        not cancelled, so the participant is resumed from the hub when the booth recovers."""
        self.down[cause] = detail
        if self.state in (State.OUT_OF_SERVICE, State.MAINTENANCE):
            return []  # branch IT in maintenance sees the cause there
        return self._go(State.OUT_OF_SERVICE, [Wipe()], wipe=True)

    def _mark_up(self, cause: str) -> list[Effect]:
        self.down.pop(cause, None)
        if self.state != State.OUT_OF_SERVICE or self.down:
            return []
        return self._go(State.ATTRACT, [FetchOpenSession()])

    def _end_session(self) -> list[Effect]:
        """Participant left, cancelled or timed out: give the ticket back and forget them."""
        effects: list[Effect] = []
        session = self.session or {}
        if session.get("id") and session.get("state") not in ("closed", "cancelled"):
            effects.append(CancelSession(session["id"]))
        return self._wipe_to(State.ATTRACT, effects)

    def _wipe_to(self, state: State, effects: list[Effect] | None = None) -> list[Effect]:
        return self._go(state, (effects or []) + [Wipe()], wipe=True)

    def _wipe_data(self) -> None:
        self.query = None
        self.ticket = {}
        self.session = None
        self.refusal = ("", {})
        self.came_from = State.SCANNING
        self.headset_problem = ""
        self.still_request = ("", "")
        self.still_problem = ""
        self.capture_at = 0.0
        self.capturing = False
        self.rating = None

    def _arm(self) -> None:
        if self.state in IDLE_TIMEOUT_STATES:
            limit = {
                State.REFUSED: self.timeouts.refused,
                State.FINISHED: self.timeouts.finished,
                State.MAINTENANCE: self.timeouts.maintenance,
            }
            self.deadline = self._clock() + limit.get(self.state, self.timeouts.idle)
        else:
            self.deadline = None

    def _go(
        self, state: State, effects: list[Effect] | None = None, wipe: bool = False
    ) -> list[Effect]:
        effects = list(effects or [])
        if self.state == State.HEADSET_CHECK and state != State.HEADSET_CHECK:
            effects.insert(0, StopHeadsetCheck())  # however we leave, mic and tone must stop
        if self.state in CALL_STATES and state not in CALL_STATES:
            effects.insert(0, EndCall())  # however the call ends, camera and mic leave the line
        if wipe:
            self._wipe_data()
        old, self.state = self.state, state
        self._arm()
        if self._on_state and old != state:
            self._on_state(old, state)
        return effects
