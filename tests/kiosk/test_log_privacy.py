"""Whatever code logs a NIK, the log shows it masked: plain and JSON (journald) output."""

from __future__ import annotations

import io
import json
import logging

from kiosk.log_privacy import JsonFormatter, MaskNikFilter, mask_text

NIK = "3201014512900001"


def test_sixteen_digit_runs_are_masked_but_other_numbers_are_not():
    assert mask_text(f"nik={NIK} session 42 phone 081234567890") == (
        "nik=3201********0001 session 42 phone 081234567890"
    )
    assert mask_text("12345678901234567") == "12345678901234567"  # 17 digits: not a NIK


def test_json_lines_carry_the_masked_message_and_exception():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskNikFilter())
    logger = logging.getLogger("test.privacy")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("lookup for %s failed", NIK)
        try:
            raise ValueError(f"bad ticket for {NIK}")
        except ValueError:
            logger.exception("crash")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines()[:2])
    assert first["msg"] == "lookup for 3201********0001 failed"
    assert first["level"] == "WARNING" and first["logger"] == "test.privacy"
    assert NIK not in second["exc"] and "3201********0001" in second["exc"]
