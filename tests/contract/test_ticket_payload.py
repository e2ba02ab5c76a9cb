import pytest

from contract.ticket_payload import MalformedPayload, TicketQuery, parse_scan, parse_typed

CODE = "TGC4K7QX"
TOKEN = f"BLK1.{CODE}.MFRGGZDFMZTWQ2LK"
NIK = "3201011508850001"


def reason_of(parse, text: str) -> str:
    with pytest.raises(MalformedPayload) as err:
        parse(text)
    return err.value.reason


# --- scanned QR payloads ---------------------------------------------------------------------


def test_signed_token_gives_code_and_keeps_the_whole_token_for_the_hub():
    assert parse_scan(TOKEN) == TicketQuery(booking_code=CODE, token=TOKEN)


def test_signed_token_with_scanner_newline_is_accepted():
    assert parse_scan(TOKEN + "\r\n").token == TOKEN


def test_check_in_body_sends_only_the_fields_that_are_set():
    assert parse_scan(TOKEN).as_json() == {"booking_code": CODE, "token": TOKEN}
    assert TicketQuery(nik=NIK).as_json() == {"nik": NIK}


@pytest.mark.parametrize(
    "bad_token",
    [
        f"BLK1.{CODE}.MFRGGZDF",  # signature too short
        f"BLK1.{CODE}.mfrggzdfmztwq2lk",  # lower case is not base32 as the hub writes it
        f"BLK1.{CODE}.MFRGGZDFMZTWQ2L1",  # 1 is not a base32 letter
        f"BLK2.{CODE}.MFRGGZDFMZTWQ2LK",  # unknown version
    ],
)
def test_token_look_alikes_are_malformed(bad_token):
    assert reason_of(parse_scan, bad_token) == "malformed"


@pytest.mark.parametrize("raw", ["TGC4K7QX", "tgc4k7qx", "TGC4-K7QX", "tgc4 k7qx", " TGC4K7QX\n"])
def test_bare_booking_code_ignores_case_spaces_and_dashes(raw):
    assert parse_scan(raw) == TicketQuery(booking_code=CODE)


@pytest.mark.parametrize("raw", ["TGC4K7Q", "TGC4K7QXY", "TGC4K7Q!"])
def test_code_of_wrong_length_or_characters_is_malformed(raw):
    assert reason_of(parse_scan, raw) == "malformed"


@pytest.mark.parametrize(
    "url",
    [
        f"https://antrian.bpjsketenagakerjaan.go.id/t/{CODE}",
        "https://antrian.example/t/tgc4-k7qx/",
        f"http://hub.local/booking/t/{CODE}",
        f"https://antrian.example/cek?code={CODE}",
        f"https://antrian.example/cek?booking={CODE}&lang=id",
        "https://antrian.example/?kode=tgc4k7qx",
        f"HTTPS://antrian.example/t/{CODE}",
        f"https://antrian.example/?code=xyz&kode={CODE}",
        f"https://antrian.example/t/{CODE}?code=bad",
        f"HTTPS://ANTRIAN.EXAMPLE/T/{CODE}",  # QR alphanumeric mode upper-cases whole URLs
        f"HTTPS://ANTRIAN.EXAMPLE/CEK?CODE={CODE}",
    ],
)
def test_url_carrying_a_code_gives_the_code(url):
    assert parse_scan(url) == TicketQuery(booking_code=CODE)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.tokopedia.com/",
        f"https://example.com/promo?id={CODE}",  # a code under a key we do not know
        f"https://example.com/{CODE}",  # no /t/ before it
        f"https://example.com/t/{CODE}/details",  # the code is not the last segment
        "https://example.com/t/",
        "https://example.com/?code=",
    ],
)
def test_url_without_a_ticket_code_is_refused(url):
    assert reason_of(parse_scan, url) == "malformed"


@pytest.mark.parametrize(
    "payload",
    [
        "WIFI:T:WPA;S:BPJS-Tamu;P:rahasia123;;",
        # QRIS (EMVCo merchant-presented) payment code
        "00020101021126650013ID.CO.QRIS.WWW01189360091500000000000215ID1020021181745"
        "0303UME5204581253033605802ID5913TOKO SEMBAKO6007JAKARTA6105123406304ABCD",
        "BEGIN:VCARD\nVERSION:3.0\nFN:Budi\nEND:VCARD",
        "mailto:cs@bpjsketenagakerjaan.go.id",
        "otpauth://totp/bilik?secret=ABCDEFGH",
        "",
        "   \n",
        NIK,  # a NIK is typed, never scanned
    ],
)
def test_qr_codes_that_are_not_tickets_are_malformed(payload):
    assert reason_of(parse_scan, payload) == "malformed"


def test_payload_longer_than_512_characters_is_refused_even_if_it_holds_a_code():
    url = f"https://antrian.example/t/{CODE}?pad="
    assert parse_scan(url + "x" * (512 - len(url))).booking_code == CODE
    assert reason_of(parse_scan, url + "x" * (513 - len(url))) == "malformed"


# --- keypad entries ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [NIK, "3201 0115 0885 0001", "3201-0115-0885-0001"])
def test_typed_sixteen_digits_is_a_nik(typed):
    assert parse_typed(typed) == TicketQuery(nik=NIK)


@pytest.mark.parametrize("typed", ["tgc4k7qx", "TGC4-K7QX", " TGC4 K7QX "])
def test_typed_booking_code_ignores_case_spaces_and_dashes(typed):
    assert parse_typed(typed) == TicketQuery(booking_code=CODE)


def test_typed_eight_digits_is_a_booking_code_not_a_short_nik():
    assert parse_typed("12345678") == TicketQuery(booking_code="12345678")


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("320101150885", "nik_length"),  # 12 digits: a NIK with digits missing
        ("320101150885000", "nik_length"),
        ("32010115088500011", "nik_length"),
        ("9901011508850001", "nik_province"),
        ("3200011508850001", "nik_region"),
        ("3201013102850001", "nik_birth_date"),  # 31 Feb
        ("3201011508850000", "nik_serial"),
        ("３２０１０１１５０８８５０００１", "nik_digits"),  # full-width digits
    ],
)
def test_invalid_typed_nik_is_refused_with_the_nik_reason(typed, reason):
    assert reason_of(parse_typed, typed) == reason


@pytest.mark.parametrize("typed", ["", "TGC4K7Q", "123456789", "halo", "TGC4K7QX!"])
def test_typed_text_that_is_neither_is_refused_as_booking_code(typed):
    assert reason_of(parse_typed, typed) == "booking_code"
