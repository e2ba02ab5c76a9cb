"""NIK (Nomor Induk Kependudukan) validation.

Checked on the booth before anything is sent, so a mistyped NIK gets an answer at once and never
costs the booth one of its rate-limited look-ups. The hub checks again with the same code.
Pure Python, no Kivy, no I/O: the hub imports it too.

Layout of the 16 digits: PP RR DD  DDMMYY  SSSS
province, regency/city, district; birth date (day + 40 for women); serial (0001 and up).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: Province codes issued by Dukcapil (Kemendagri), including the 2022 Papua provinces.
PROVINCE_CODES = frozenset(
    {
        11, 12, 13, 14, 15, 16, 17, 18, 19, 21,
        31, 32, 33, 34, 35, 36,
        51, 52, 53,
        61, 62, 63, 64, 65,
        71, 72, 73, 74, 75, 76,
        81, 82,
        91, 92, 93, 94, 95, 96,
    }
)  # fmt: skip


@dataclass(frozen=True)
class NikCheck:
    """Outcome of a validation: `reason` is a stable code the screens translate."""

    ok: bool
    reason: str = ""
    birth_date: dt.date | None = None
    female: bool | None = None


def normalize_nik(raw: str) -> str:
    """Drop spaces, dots and dashes people type or scanners add."""
    return "".join(ch for ch in raw if ch not in " .-\t")


def validate_nik(raw: str, today: dt.date | None = None) -> NikCheck:
    """Validate a NIK; reasons: length, digits, province, region, birth_date, serial."""
    nik = normalize_nik(raw)
    if not (nik.isascii() and nik.isdigit()):  # isdigit() alone accepts "３" and "²"
        return NikCheck(False, "digits")
    if len(nik) != 16:
        return NikCheck(False, "length")
    if int(nik[0:2]) not in PROVINCE_CODES:
        return NikCheck(False, "province")
    if nik[2:4] == "00" or nik[4:6] == "00":
        return NikCheck(False, "region")
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    today = today or dt.date.today()
    # Two-digit year: the most recent year that is not in the future.
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        birth = dt.date(year, month, day)
    except ValueError:
        return NikCheck(False, "birth_date")
    if birth > today:
        return NikCheck(False, "birth_date")
    if nik[12:16] == "0000":
        return NikCheck(False, "serial")
    return NikCheck(True, "", birth, female)


def mask_nik(nik: str) -> str:
    """`3201********0001`: enough for staff to match, useless to anyone who reads a log."""
    nik = normalize_nik(nik)
    if len(nik) <= 8:
        return "*" * len(nik)
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:]


def mask_name(name: str) -> str:
    """`Budi Santoso` → `Bu** Sa*****`: recognisable to its owner on the confirm screen."""
    return " ".join(w[:2] + "*" * max(0, len(w) - 2) for w in name.split())
