"""The contract between hub, booth and console: states, error codes, NIK and ticket payloads.

Both `hub/` and `kiosk/` import this package; it imports neither, nor FastAPI, nor Kivy, so a
change of a state or an error code is made once and both sides see it.
"""
