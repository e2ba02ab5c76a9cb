"""In the queue: position and estimated wait, updated live from the hub's event stream."""

from kivy.properties import NumericProperty

from kiosk.flow import Flow
from kiosk.screens.base import BoothScreen, load_kv


class WaitingScreen(BoothScreen):
    position = NumericProperty(0)
    #: Estimated wait in whole minutes (rounded up), -1 when the hub cannot tell.
    eta_minutes = NumericProperty(-1)

    def present(self, flow: Flow) -> None:
        session = flow.session or {}
        self.position = session.get("position") or 0
        eta = session.get("eta_seconds")
        self.eta_minutes = -1 if eta is None else max(1, -(-int(eta) // 60))


load_kv(__file__)
