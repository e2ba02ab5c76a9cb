"""On-screen keypad for a booking code (8 letters/digits) or a NIK (16 digits).

No system keyboard: the booth has only a touch screen, and a keypad of big keys is easier for
people who rarely type. The entry stays on this screen; the flow only sees it when submitted.
"""

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.screens.base import BoothScreen, load_kv

MAX_LENGTH = 20  # a NIK with a few separators; longer input is certainly a mistake
KEY_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


class ManualEntryScreen(BoothScreen):
    entry = StringProperty("")

    def on_kv_post(self, base_widget) -> None:
        for keys in KEY_ROWS:
            row = BoxLayout(spacing=dp(8))
            for char in keys:
                button = Factory.KeyButton(text=char)
                button.bind(on_release=lambda b: self.key(b.text))
                self.ids[f"key_{char}"] = button
                row.add_widget(button)
            self.ids.keypad.add_widget(row)

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
