"""Keeping participants' NIK and names (and bearer tokens) out of logs and the audit trail.

The masking rules themselves live in `contract.nik` so booth and hub mask the same way. Hub code
masks explicitly when it logs or audits a person; `MaskingFilter` is the safety net under every
log handler: any 16-digit run is masked as a NIK and `token=` query values (the booth event
stream's URL, which uvicorn's access log prints) are redacted.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from contract.nik import mask_name, mask_nik

__all__ = [
    "MaskingFilter",
    "logging_config",
    "mask_name",
    "mask_nik",
    "mask_nik_like",
    "mask_text",
]

_NIK_RUN = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
# 16 digits, also written in groups: "3171 2345 6789 0001", "3171.2345.6789.0001", "3171-..."
_NIK_LIKE = re.compile(r"(?<!\d)\d(?:[ .\-]{0,3}\d){15}(?!\d)")
_TOKEN_QUERY = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)


def mask_text(text: str) -> str:
    """Mask NIK-shaped digit runs and token values inside free text."""
    text = mask_nik_like(_NIK_RUN.sub(r"\1********\2", text))
    text = _TOKEN_QUERY.sub(r"\1***", text)
    return _BEARER.sub(r"\1***", text)


def mask_nik_like(text: str) -> str:
    """Mask every NIK-like number in free text (a CS's close reason, a note): 16 digits, with or
    without spaces, dots or dashes between groups, become `3171********0001`."""
    return _NIK_LIKE.sub(lambda m: mask_nik("".join(c for c in m.group() if c.isdigit())), text)


def _mask_arg(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else value


class MaskingFilter(logging.Filter):
    """Masks the message and its string arguments in place; never drops a record.

    Arguments are masked one by one (not merged into the message) because uvicorn's access
    formatter unpacks `record.args` itself.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask_arg(v) for k, v in record.args.items()}
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the hub and uvicorn with the mask on every handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask": {"()": MaskingFilter}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["mask"],
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "hub": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
