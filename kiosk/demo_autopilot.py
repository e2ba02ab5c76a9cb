"""Demo only: a participant who says yes. Presses the buttons a person would press, after a pause.

`kiosk run --demo-autopilot` (used by `make run`) lets the booth check in a demo ticket by itself,
from the QR on the demo camera to the queue. Never enabled by a config file, so it cannot end up
on a real booth by accident.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.clock import Clock

#: state → (seconds to wait, action to press)
STEPS = {
    "attract": (3.0, "start"),
    "confirm": (3.0, "confirm"),
    "headset_check": (4.0, "headset_ok"),
}


def autopilot(touch: Callable[[str], None], current_state: Callable[[], str]):
    """A state listener that presses the next button unless the state moved on meanwhile."""

    def on_state(_old: str, new: str) -> None:
        if new not in STEPS:
            return
        delay, action = STEPS[new]

        def press(_dt: float) -> None:
            if current_state() == new:
                touch(action)

        Clock.schedule_once(press, delay)

    return on_state
