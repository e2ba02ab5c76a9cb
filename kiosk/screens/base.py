"""What every booth screen shares: a view of the flow, the language toggle and the countdown.

Screens are thin: `present(flow)` copies what the screen shows into Kivy properties and the .kv
file lays it out. Buttons call `app.touch(action)`; the flow decides what happens.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.flow import Flow

KV_DIR = Path(__file__).parent


def load_kv(module_file: str) -> None:
    """Load the .kv file next to a screen module (once: Kivy warns on double loads)."""
    path = str(Path(module_file).with_suffix(".kv"))
    if path not in Builder.files:
        Builder.load_file(path)


class BoothScreen(Screen):
    """Base class; subclasses override `present` to copy flow data into their properties."""

    #: Seconds left before the idle timeout, or -1 when no countdown is shown.
    countdown = NumericProperty(-1)
    #: "id" or "en": the language toggle shows the other one.
    language = StringProperty("id")

    def present(self, flow: Flow) -> None:
        """Called on entering the screen and whenever the flow's data changes."""


load_kv(str(KV_DIR / "common.py"))
