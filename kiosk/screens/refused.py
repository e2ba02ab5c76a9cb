"""One clear message for every wrong case (bad QR, wrong day, too early, …) and a way on."""

from kivy.properties import StringProperty

from kiosk.flow import Flow
from kiosk.i18n import tr
from kiosk.messages import refusal_text
from kiosk.screens.base import BoothScreen, load_kv


class RefusedScreen(BoothScreen):
    code = StringProperty("")
    title = StringProperty("")
    body = StringProperty("")

    def present(self, flow: Flow) -> None:
        self._refusal = flow.refusal
        self.code = flow.refusal[0]
        self.on_language()

    def on_language(self, *args) -> None:
        """Messages carry parameters (times, dates), so they are rebuilt on a language switch."""
        code, params = getattr(self, "_refusal", ("", {}))
        if code:
            self.title, self.body = refusal_text(code, params, tr._)


load_kv(__file__)
