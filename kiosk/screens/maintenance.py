"""Branch IT's screen: a PIN keypad, then device health, restart and exit to the desktop.

Reached by five quick taps on the top-left corner of the start or out-of-service screen
(never while a participant is at the booth). The PIN is checked by the app, not here.
"""

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.flow import Flow
from kiosk.screens.base import BoothScreen, load_kv
from kiosk.screens.keypad import build_keypad

PIN_KEYS = ("123", "456", "789", "0")
MAX_PIN_LENGTH = 8


class MaintenanceScreen(BoothScreen):
    unlocked = BooleanProperty(False)
    pin = StringProperty("")
    failures = NumericProperty(0)
    #: One line per device/service, filled by the app when asked for diagnostics.
    report = StringProperty("")

    def on_kv_post(self, base_widget) -> None:
        build_keypad(self.ids.pinpad, PIN_KEYS, self.key, self.ids, "pin_")

    def present(self, flow: Flow) -> None:
        self.unlocked = flow.maintenance_unlocked
        self.failures = flow.pin_failures

    def key(self, char: str) -> None:
        if len(self.pin) < MAX_PIN_LENGTH:
            self.pin += char

    def on_leave(self, *args) -> None:
        self.pin, self.report = "", ""


load_kv(__file__)
