"""Shown while the hub looks up or checks in the ticket (both are quick on a branch LAN)."""

from kivy.properties import BooleanProperty

from kiosk.flow import Flow, State
from kiosk.screens.base import BoothScreen, load_kv


class VerifyingScreen(BoothScreen):
    checking_in = BooleanProperty(False)

    def present(self, flow: Flow) -> None:
        self.checking_in = flow.state == State.CHECKING_IN


load_kv(__file__)
