"""The outcome in the participant's language, a 1–5 rating, then the booth wipes itself."""

from kivy.properties import NumericProperty, StringProperty

from kiosk.flow import Flow
from kiosk.i18n import tr
from kiosk.messages import outcome_text
from kiosk.screens.base import BoothScreen, load_kv


class FinishedScreen(BoothScreen):
    outcome = StringProperty("")
    title = StringProperty("")
    body = StringProperty("")
    #: 0 until the participant rates.
    rating = NumericProperty(0)

    def present(self, flow: Flow) -> None:
        self._session = dict(flow.session or {})
        self.outcome = self._session.get("outcome") or ""
        self.rating = flow.rating or 0
        self.on_language()

    def on_language(self, *args) -> None:
        self.title, self.body = outcome_text(getattr(self, "_session", {}), tr._)


load_kv(__file__)
