"""Bilik branch hub: check-in, dispatch, sessions and audit for the booths (docs/hub-api.md)."""
