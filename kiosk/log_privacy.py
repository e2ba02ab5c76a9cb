"""Logs never carry a NIK: a filter masks any 16-digit run, whatever code logged it.

Names cannot be recognised by a pattern, so the booth's code never logs them; this filter is the
safety net for the one identifier that can be.
"""

from __future__ import annotations

import logging
import re

from kiosk.nik import mask_nik

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
