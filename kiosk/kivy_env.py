"""Kivy settings that must be in place before Kivy is first imported (it reads them then).

- KIVY_NO_ARGS: Kivy must not parse the booth's command line as its own.
- No multisampling: booth screens are flat boxes and text that gain nothing from anti-aliasing,
  and on a booth PC without a GPU (Mesa llvmpipe) it made every frame ~5x slower: frames of
  30–60 ms instead of 6–12 ms, which broke "no UI frame over 50 ms" and the check-in latency
  target (measured with bench/checkin_latency.py).
- Logging: see kiosk.log_privacy (JSON lines for journald, NIK masked).
"""

from __future__ import annotations

import logging
import os

from kiosk.log_privacy import configure_structured, structured_logging_wanted
from kiosk.log_privacy import install as install_mask


def prepare_kivy() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KCFG_GRAPHICS_MULTISAMPLES", "0")
    if structured_logging_wanted():  # journald: our JSON lines, no Kivy log files on disk
        os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")


def configure_logging() -> None:
    """After Kivy is imported: JSON lines for journald, or Kivy's own logger plus the mask."""
    if os.environ.get("KIVY_LOG_MODE") == "PYTHON":
        configure_structured()
    else:
        install_mask()
        logging.getLogger().setLevel(logging.INFO)
