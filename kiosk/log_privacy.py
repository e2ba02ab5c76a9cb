"""Logs never carry a NIK: a filter masks any 16-digit run, whatever code logged it.

Names cannot be recognised by a pattern, so the booth's code never logs them; this filter is the
safety net for the one identifier that can be.

Under systemd (`JOURNAL_STREAM` set) or with BILIK_LOG_JSON=1 the booth logs one JSON object
per line to stderr, which journald stores and `journalctl -o cat` shows; Kivy then writes no
log files of its own (KIVY_LOG_MODE=PYTHON, set by kiosk.kivy_env), so nothing piles up on disk.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys

from contract.nik import mask_nik

NIK_LIKE = re.compile(r"(?<!\d)\d{16}(?!\d)")


def mask_text(text: str) -> str:
    return NIK_LIKE.sub(lambda m: mask_nik(m.group(0)), text)


class MaskNikFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of `logger` (root by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskNikFilter) for f in handler.filters):
            handler.addFilter(MaskNikFilter())


def structured_logging_wanted() -> bool:
    return bool(os.environ.get("JOURNAL_STREAM") or os.environ.get("BILIK_LOG_JSON"))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (masked), exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": mask_text(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_structured(level: int = logging.INFO) -> None:
    """Root logger → stderr as JSON lines, NIK masked (Kivy must be in PYTHON log mode)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskNikFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
