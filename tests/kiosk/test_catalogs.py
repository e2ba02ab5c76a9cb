"""Every on-screen text exists in both languages, with the same placeholders."""

from __future__ import annotations

import gettext
import string

import pytest

from contract.errors import NOT_FOR_PARTICIPANTS, ErrorCode
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
    """Every code of the shared contract a participant can meet has its own wording."""
    participant_facing = {code.value for code in ErrorCode} - NOT_FOR_PARTICIPANTS
    assert {"too_early", "wrong_branch", "rate_limited"} <= participant_facing
    assert participant_facing - set(REFUSALS) == set()
