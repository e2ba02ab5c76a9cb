"""Shown while the hub or a critical device is down; the booth recovers by itself."""

from kivy.properties import StringProperty

from kiosk.flow import Flow
from kiosk.i18n import tr
from kiosk.messages import outage_text
from kiosk.screens.base import BoothScreen, load_kv


class OutOfServiceScreen(BoothScreen):
    causes = StringProperty("")
    detail = StringProperty("")

    def present(self, flow: Flow) -> None:
        self._down = dict(flow.down)
        self.causes = ",".join(sorted(flow.down))
        self.on_language()

    def on_language(self, *args) -> None:
        self.detail = outage_text(getattr(self, "_down", {}), tr._)


load_kv(__file__)
