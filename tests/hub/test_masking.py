"""No NIK, name or token in log lines."""

from __future__ import annotations

import io
import logging

from hub.domain.masking import MaskingFilter, mask_name, mask_nik, mask_text


def test_nik_and_name_masks_have_the_documented_shape():
    assert mask_nik("3201234567890001") == "3201********0001"
    assert mask_name("Budi Santoso") == "Bu** Sa*****"


def test_free_text_loses_niks_and_tokens():
    text = "nik=3671011508850001 url=/events?token=demo-booth-tgc-01&x=1 Bearer abc.def"
    assert mask_text(text) == "nik=3671********0001 url=/events?token=***&x=1 Bearer ***"


def test_filter_masks_message_and_arguments_of_every_record():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("tests.hub.masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("lookup %s from %s", "3671011508850001", "/x?token=secret-value")
        logger.warning("inline 3671011508850001")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "3671011508850001" not in output and "secret-value" not in output
    assert output.count("3671********0001") == 2
