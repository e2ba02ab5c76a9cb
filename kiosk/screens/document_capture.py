"""The CS asked for a document: a guide frame over the camera picture and a 3-2-1 countdown.

The still itself is taken from the shared camera at full resolution (kiosk.call) and uploaded;
this screen only helps the participant hold the document still inside the frame.
"""

from kivy.properties import NumericProperty, ObjectProperty, StringProperty

from kiosk.flow import Flow
from kiosk.i18n import tr
from kiosk.messages import document_name
from kiosk.screens.base import BoothScreen, load_kv


class DocumentCaptureScreen(BoothScreen):
    preview = ObjectProperty(None, allownone=True)
    document = StringProperty("")
    document_label = StringProperty("")
    #: Whole seconds before the still is taken (0: taking it now).
    seconds = NumericProperty(3)

    def present(self, flow: Flow) -> None:
        self.document = flow.still_request[1]
        self.on_language()

    def on_language(self, *args) -> None:
        self.document_label = document_name(self.document, tr._)

    def on_leave(self, *args) -> None:
        self.preview = None


load_kv(__file__)
