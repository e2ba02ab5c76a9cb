"""What a scanned QR or a typed entry means, decided on the booth before asking the hub.

The booth accepts: the hub's signed ticket token (`BLK1.<code>.<sig>`), a bare booking code,
a URL carrying a code (`…/t/<code>`, `?code=`, `?booking=`, `?kode=`), or a NIK. Anything else
(a Wi-Fi QR, a payment QR, a random link) is refused here with `malformed`, so it never costs
a hub look-up. The signature is checked by the hub, which holds the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from contract.nik import normalize_nik, validate_nik

BOOKING_CODE = re.compile(r"^[A-Z0-9]{8}$")
TOKEN = re.compile(r"^BLK1\.([A-Z0-9]{8})\.([A-Z2-7]{16,32})$")
URL_QUERY_KEYS = ("code", "booking", "kode")


@dataclass(frozen=True)
class TicketQuery:
    """A check-in request body for the hub: exactly one way of naming the ticket."""

    booking_code: str | None = None
    token: str | None = None
    nik: str | None = None

    def as_json(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


class MalformedPayload(ValueError):
    """Not a ticket: `reason` is a stable code (`malformed`, or a NIK reason)."""

    def __init__(self, reason: str = "malformed") -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_booking_code(raw: str) -> str:
    """Case, spaces and dashes do not matter when people type or read out a code."""
    return re.sub(r"[\s\-]", "", raw).upper()


def parse_scan(payload: str) -> TicketQuery:
    """Interpret a QR payload (camera or scanner)."""
    text = payload.strip()
    if not text or len(text) > 512:
        raise MalformedPayload()
    match = TOKEN.match(text)
    if match:
        return TicketQuery(booking_code=match.group(1), token=text)
    if text.lower().startswith(("http://", "https://")):
        return TicketQuery(booking_code=_code_from_url(text))
    code = normalize_booking_code(text)
    if BOOKING_CODE.match(code):
        return TicketQuery(booking_code=code)
    raise MalformedPayload()


def parse_typed(entry: str) -> TicketQuery:
    """Interpret keypad input: 16 digits is a NIK, otherwise a booking code."""
    digits = normalize_nik(entry)
    if digits.isdigit() and len(digits) >= 12:
        check = validate_nik(digits)
        if not check.ok:
            raise MalformedPayload(f"nik_{check.reason}")
        return TicketQuery(nik=digits)
    code = normalize_booking_code(entry)
    if BOOKING_CODE.match(code):
        return TicketQuery(booking_code=code)
    raise MalformedPayload("booking_code")


def _code_from_url(url: str) -> str:
    """Case-insensitive: QR generators upper-case URLs to fit the compact alphanumeric mode."""
    parts = urlsplit(url)
    query = {key.lower(): values for key, values in parse_qs(parts.query).items()}
    for key in URL_QUERY_KEYS:
        for value in query.get(key, []):
            code = normalize_booking_code(value)
            if BOOKING_CODE.match(code):
                return code
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[-2].lower() == "t":
        code = normalize_booking_code(segments[-1])
        if BOOKING_CODE.match(code):
            return code
    raise MalformedPayload()
