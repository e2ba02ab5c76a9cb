import datetime as dt

import pytest

from contract.nik import mask_name, mask_nik, normalize_nik, validate_nik

TODAY = dt.date(2025, 6, 1)
MALE = "3201011508850001"  # Kab. Bogor, born 15 Aug 1985
FEMALE = "3201015508850002"  # same date, day + 40


def check(nik: str):
    return validate_nik(nik, today=TODAY)


def test_valid_male_nik_gives_birth_date_and_sex():
    result = check(MALE)
    assert result.ok and result.reason == ""
    assert result.birth_date == dt.date(1985, 8, 15)
    assert result.female is False


def test_valid_female_nik_has_forty_added_to_the_day():
    result = check(FEMALE)
    assert result.ok
    assert result.birth_date == dt.date(1985, 8, 15)
    assert result.female is True


def test_spaces_dots_and_dashes_people_type_are_ignored():
    assert check("3201 0115-0885.0001").ok
    assert normalize_nik(" 3201.01-15\t08850001 ") == MALE


@pytest.mark.parametrize("nik", ["320101150885000A", "3201011508850O01", "", "+201011508850001"])
def test_non_digits_are_refused_as_digits(nik):
    assert check(nik).reason == "digits"


@pytest.mark.parametrize(
    "nik",
    [
        "３２０１０１１５０８８５０００１",  # full-width digits: isdigit() but not a NIK
        "320101²508850001",  # superscript two: isdigit() but int() fails
    ],
)
def test_non_ascii_digits_are_refused_as_digits_not_accepted_or_crashing(nik):
    assert check(nik).reason == "digits"


@pytest.mark.parametrize("nik", ["320101150885001", "32010115088500011", "3201"])
def test_wrong_length_is_refused_as_length(nik):
    assert check(nik).reason == "length"


@pytest.mark.parametrize("province", ["00", "10", "20", "37", "99"])
def test_unknown_province_is_refused(province):
    assert check(province + MALE[2:]).reason == "province"


@pytest.mark.parametrize("province", ["11", "31", "36", "65", "91", "96"])
def test_known_provinces_including_the_2022_papua_ones_pass(province):
    assert check(province + MALE[2:]).ok


@pytest.mark.parametrize("nik", ["3200011508850001", "3201001508850001"])
def test_regency_or_district_00_is_refused_as_region(nik):
    assert check(nik).reason == "region"


@pytest.mark.parametrize(
    "ddmmyy",
    [
        "310285",  # 31 Feb
        "710285",  # 31 Feb for a woman (day + 40)
        "000185",  # day 0
        "320185",  # day 32: neither a man's day nor a woman's
        "400185",  # day 40
        "720185",  # woman's day 32
        "150085",  # month 0
        "151385",  # month 13
        "290201",  # 29 Feb in a non-leap year
    ],
)
def test_impossible_birth_dates_are_refused(ddmmyy):
    assert check("320101" + ddmmyy + "0001").reason == "birth_date"


def test_29_february_of_a_leap_year_is_a_birth_date():
    assert check("3201012902000001").birth_date == dt.date(2000, 2, 29)


def test_birth_date_later_this_year_is_refused_as_in_the_future():
    # today 1 June 2025; "151225" can only mean 15 Dec 2025.
    assert check("3201011512250001").reason == "birth_date"


def test_born_today_is_accepted():
    assert check("3201010106250001").birth_date == TODAY


def test_two_digit_year_in_the_future_means_last_century():
    assert check("3201011508300001").birth_date == dt.date(1930, 8, 15)
    assert check("3201011508240001").birth_date == dt.date(2024, 8, 15)


def test_serial_0000_is_refused():
    assert check("3201011508850000").reason == "serial"


def test_masked_nik_keeps_first_and_last_four():
    assert mask_nik(MALE) == "3201********0001"
    assert mask_nik("3201 0115 0885 0001") == "3201********0001"


def test_short_values_are_masked_completely():
    assert mask_nik("12345678") == "********"
    assert mask_nik("") == ""


def test_masked_name_keeps_two_letters_of_each_word():
    assert mask_name("Budi Santoso") == "Bu** Sa*****"
    assert mask_name("  Ani  ") == "An*"
    assert mask_name("Jo") == "Jo"
