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

from kiosk.ticket_payload import MalformedPayload, TicketQuery, parse_scan, parse_typed


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
    OUT_OF_SERVICE = "out_of_service"


#: States where a participant may have walked away: they time out, wipe and go back to attract.
IDLE_TIMEOUT_STATES = frozenset(
    {State.SCANNING, State.MANUAL_ENTRY, State.CONFIRM, State.HEADSET_CHECK, State.REFUSED}
)
#: States that hold a session on the hub.
SESSION_STATES = frozenset({State.HEADSET_CHECK, State.WAITING, State.ASSIGNED})


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
class Tick:
    """Clock tick with the current monotonic time, for idle timeouts."""

    now: float


Event = (
    Touch | Scanned | Typed | LookupAnswered | CheckedIn | Refused | HubDown | HubUp | DeviceHealth
    | HeadsetResult | SessionChanged | Tick
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
class Wipe:
    """Forget everything about the participant (the app also clears its caches and images)."""


Effect = (
    LookupTicket | CheckIn | Enqueue | CancelSession | FetchOpenSession | StartHeadsetCheck
    | StopHeadsetCheck | Wipe
)  # fmt: skip


# --- the machine ----------------------------------------------------------------------------


@dataclass
class Timeouts:
    """Seconds of inactivity before a participant screen gives up; `warn` = countdown shown."""

    idle: float = 60.0
    refused: float = 30.0
    warn: float = 15.0


class Flow:
    """One booth's session. Call `handle(event)`; read `state` and the participant data."""

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
        if action in ("cancel", "home") and state in IDLE_TIMEOUT_STATES | {State.WAITING}:
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
        if session is None or session.get("state") in ("closed", "cancelled"):
            if self.session and (session is None or session.get("id") == self.session.get("id")):
                if self.state == State.OUT_OF_SERVICE:
                    self.session = None  # forgotten; the booth stays down until the cause is gone
                    return []
                return self._wipe_to(State.ATTRACT)
            return []
        if self.session and session.get("id") != self.session.get("id"):
            return []  # an update about a session this booth no longer holds
        self.session = session
        if self.state == State.OUT_OF_SERVICE:
            return []  # remembered; shown again when the booth recovers
        if session["state"] == "assigned" or session["state"] == "in_call":
            return self._go(State.ASSIGNED) if self.state != State.ASSIGNED else []
        if session["state"] == "waiting" and self.state != State.WAITING:
            return self._go(State.WAITING)
        if session["state"] == "checked_in" and self.state not in SESSION_STATES:
            return self._go(State.HEADSET_CHECK, [StartHeadsetCheck()])
        return []

    def _on_Tick(self, event: Tick) -> list[Effect]:
        if self.deadline is not None and event.now >= self.deadline:
            return self._end_session()
        return []

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
        if self.state == State.OUT_OF_SERVICE:
            return []
        return self._go(State.OUT_OF_SERVICE, [Wipe()], wipe=True)

    def _mark_up(self, cause: str) -> list[Effect]:
        self.down.pop(cause, None)
        if self.state != State.OUT_OF_SERVICE or self.down:
            return []
        return self._go(State.ATTRACT, [FetchOpenSession()])

    def _end_session(self) -> list[Effect]:
        """Participant left, cancelled or timed out: give the ticket back and forget them."""
        effects: list[Effect] = []
        if self.session and self.session.get("id"):
            effects.append(CancelSession(self.session["id"]))
        return self._wipe_to(State.ATTRACT, effects)

    def _wipe_to(self, state: State, effects: list[Effect] | None = None) -> list[Effect]:
        return self._go(state, (effects or []) + [Wipe()], wipe=True)

    def _wipe_data(self) -> None:
        self.query: TicketQuery | None = None
        self.ticket: dict[str, Any] = {}
        self.session: dict[str, Any] | None = None
        self.refusal: tuple[str, dict[str, Any]] = ("", {})
        self.came_from = State.SCANNING
        self.headset_problem = ""

    def _arm(self) -> None:
        if self.state in IDLE_TIMEOUT_STATES:
            limit = self.timeouts.refused if self.state == State.REFUSED else self.timeouts.idle
            self.deadline = self._clock() + limit
        else:
            self.deadline = None

    def _go(
        self, state: State, effects: list[Effect] | None = None, wipe: bool = False
    ) -> list[Effect]:
        effects = list(effects or [])
        if self.state == State.HEADSET_CHECK and state != State.HEADSET_CHECK:
            effects.insert(0, StopHeadsetCheck())  # however we leave, mic and tone must stop
        if wipe:
            self._wipe_data()
        old, self.state = self.state, state
        self._arm()
        if self._on_state and old != state:
            self._on_state(old, state)
        return effects
