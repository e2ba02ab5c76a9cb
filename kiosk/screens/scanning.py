"""Live camera preview with a guide box; QR decoding runs off the UI thread (kiosk.devices)."""

from kivy.properties import ObjectProperty

from kiosk.screens.base import BoothScreen, load_kv


class ScanningScreen(BoothScreen):
    #: Texture of the latest camera frame, set by the app's preview loop.
    preview = ObjectProperty(None, allownone=True)


load_kv(__file__)
