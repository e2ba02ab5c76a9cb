"""A CS agent has taken the session; the video call (next issue) starts from here."""

from kivy.properties import StringProperty

from kiosk.flow import Flow
from kiosk.screens.base import BoothScreen, load_kv


class AssignedScreen(BoothScreen):
    agent_name = StringProperty("")

    def present(self, flow: Flow) -> None:
        agent = (flow.session or {}).get("agent") or {}
        self.agent_name = agent.get("name", "")


load_kv(__file__)
