"""On-screen keypad for a booking code (8 letters/digits) or a NIK (16 digits).

No system keyboard: the booth has only a touch screen, and a keypad of big keys is easier for
people who rarely type. The entry stays on this screen; the flow only sees it when submitted.
"""

from kivy.properties import StringProperty

from kiosk.screens.base import BoothScreen, load_kv
from kiosk.screens.keypad import build_keypad

MAX_LENGTH = 20  # a NIK with a few separators; longer input is certainly a mistake
KEY_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


class ManualEntryScreen(BoothScreen):
    entry = StringProperty("")

    def on_kv_post(self, base_widget) -> None:
        build_keypad(self.ids.keypad, KEY_ROWS, self.key, self.ids, "key_")

    def key(self, char: str) -> None:
        if len(self.entry) < MAX_LENGTH:
            self.entry += char

    def backspace(self) -> None:
        self.entry = self.entry[:-1]

    def clear(self) -> None:
        self.entry = ""

    def on_leave(self, *args) -> None:
        self.clear()  # typed codes and NIKs never outlive the screen


load_kv(__file__)
