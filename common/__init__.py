"""Small pieces both the booth (`kiosk/`) and the hub (`hub/`) run: no Kivy, no FastAPI."""
