"""The video call: the CS full screen, the participant's own picture small in a corner.

Also shown while the CS is serving another booth (on hold) and while the media reconnects; those
are overlays on the same screen so the participant keeps seeing the CS's last picture.
"""

from kivy.properties import ObjectProperty, StringProperty

from kiosk.flow import Flow
from kiosk.screens.base import BoothScreen, load_kv


class CallScreen(BoothScreen):
    #: Textures set by the app's video loop: the CS (remote) and the booth camera (self view).
    remote = ObjectProperty(None, allownone=True)
    self_view = ObjectProperty(None, allownone=True)
    #: "in_call", "on_hold" or "reconnecting".
    mode = StringProperty("in_call")
    agent_name = StringProperty("")
    still_problem = StringProperty("")
    #: "microphone" or "earphones" when that part of the headset failed during the call.
    device_problem = StringProperty("")

    def present(self, flow: Flow) -> None:
        self.mode = flow.state.value
        agent = (flow.session or {}).get("agent") or {}
        self.agent_name = agent.get("name", "")
        self.still_problem = flow.still_problem

    def on_leave(self, *args) -> None:
        self.remote = self.self_view = None  # no picture of anyone outlives the call
        self.device_problem = ""


load_kv(__file__)
