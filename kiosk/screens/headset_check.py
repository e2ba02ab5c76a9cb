"""Headset check before queueing: a level meter for the microphone and a test tone.

A participant who cannot hear the CS wastes both their slot and the CS's; one minute here saves it.
"""

from kivy.properties import NumericProperty, StringProperty

from kiosk.flow import Flow
from kiosk.screens.base import BoothScreen, load_kv


class HeadsetCheckScreen(BoothScreen):
    #: Microphone level 0..1, pushed by the app from the audio thread via the Clock.
    level = NumericProperty(0.0)
    #: Non-empty when the headset is missing or failed: shown instead of the instructions.
    problem = StringProperty("")

    def present(self, flow: Flow) -> None:
        self.problem = flow.headset_problem

    def on_leave(self, *args) -> None:
        self.level = 0.0


load_kv(__file__)
