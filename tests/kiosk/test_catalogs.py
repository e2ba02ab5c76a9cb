"""Every on-screen text exists in both languages, with the same placeholders."""

from __future__ import annotations

import gettext
import re
import string

import pytest

from kiosk.i18n import DOMAIN, LOCALE_DIR
from kiosk.messages import REFUSALS
from scripts.extract_messages import LOCALE, collect, read_po

MSGIDS = collect()
ENGLISH = read_po(LOCALE / "en" / "LC_MESSAGES" / "bilik.po")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_extractor_finds_texts_in_python_and_kv_files():
    assert "NIK tidak valid" in MSGIDS  # kiosk/messages.py
    assert "Apakah ini Anda?" in MSGIDS  # kiosk/screens/confirm.kv
    assert "Tidak ada aktivitas. Kembali ke awal dalam {seconds} detik." in MSGIDS  # common.kv


@pytest.mark.parametrize("msgid", MSGIDS)
def test_every_text_has_an_english_translation_with_the_same_placeholders(msgid: str):
    english = ENGLISH.get(msgid, "")
    assert english, f"no English for {msgid!r}: run `python -m scripts.extract_messages`"
    assert fields(english) == fields(msgid)


def test_compiled_catalogs_match_the_sources():
    """`make install` compiles the .po files; a stale .mo would show old texts on the booth."""
    english = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=["en"])
    for msgid, text in ENGLISH.items():
        assert english.gettext(msgid) == text


def test_every_refusal_code_the_hub_can_send_has_a_message():
    hub_codes = set(
        re.findall(
            r"^\| `([a-z_]+)` \|", (LOCALE.parents[1] / "docs" / "hub-api.md").read_text(), re.M
        )
    )
    assert {"too_early", "wrong_branch", "rate_limited"} <= hub_codes  # the table was read
    participant_facing = hub_codes - {
        "unauthorized", "forbidden", "booth_mismatch", "not_found", "invalid_state",
        "invalid_request", "method_not_allowed",
    }  # fmt: skip
    assert participant_facing - set(REFUSALS) == set()
