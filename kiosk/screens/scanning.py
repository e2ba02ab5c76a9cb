"""Live camera preview with a guide box; QR decoding runs off the UI thread (kiosk.devices)."""

from kivy.properties import ListProperty, ObjectProperty

from kiosk.screens.base import BoothScreen, load_kv


class ScanningScreen(BoothScreen):
    #: Texture of the latest camera frame, set by the app's preview loop.
    preview = ObjectProperty(None, allownone=True)
    #: The decoder's region of interest (x0, y0, x1, y1 as fractions), drawn as the guide box.
    guide = ListProperty([0.2, 0.05, 0.8, 0.95])


load_kv(__file__)
