"""Idle screen: invites the next participant; a QR shown to the camera here starts at once."""

from kiosk.screens.base import BoothScreen, load_kv


class AttractScreen(BoothScreen):
    pass


load_kv(__file__)
