"""Resident ID numbers (GB 11643), credit codes (GB 32100), mobile numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kiosk.domain.identifiers import (
    USCC_ALPHABET,
    check_id_card_period,
    parse_card_date,
    parse_mobile,
    parse_resident_id,
    parse_uscc,
    resident_id_check_char,
    uscc_check_char,
)
from kiosk.errors import IdentifierError

# --- resident ID ---------------------------------------------------------------------------


def with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def test_known_valid_number_from_python_stdnum_docs() -> None:
    rid = parse_resident_id("360426199101010071")
    assert (rid.area_code, rid.birth_date, rid.sex) == ("360426", date(1991, 1, 1), "M")


def test_area_code_younger_than_the_holder_is_accepted() -> None:
    # Dongguan became a city (441900) in 1988; someone born in 1958 who registered there
    # carries it. python-stdnum's own validate() refuses this person; we must not.
    rid = parse_resident_id(with_check("44190019580315002"))
    assert rid.birth_date == date(1958, 3, 15)
    assert rid.area_code == "441900"
    assert rid.sex == "F"
    assert rid.area_name == "广东省东莞市"


def test_lower_case_x_and_spaces_are_tolerated() -> None:
    number = "11010519491231002X"
    assert resident_id_check_char(number[:17]) == "X"
    assert parse_resident_id("110105 19491231 002x").number == number


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("36042619910101007", "id.length"),
        ("3604261991010100711", "id.length"),
        ("36042619910101A071", "id.format"),
        ("36042619910101007Y", "id.format"),
        ("990426199101010071", "id.area"),
        ("360426199113010071", "id.birth_date"),
        ("360426199102300071", "id.birth_date"),
        ("360426199101010072", "id.checksum"),
    ],
)
def test_resident_id_errors_name_the_rule(text: str, code: str) -> None:
    with pytest.raises(IdentifierError) as e:
        parse_resident_id(text)
    assert e.value.code == code
    assert e.value.message


def test_birth_date_in_the_future_is_refused() -> None:
    number = with_check("44190020300101001")
    with pytest.raises(IdentifierError) as e:
        parse_resident_id(number, today=date(2026, 11, 21))
    assert e.value.code == "id.birth_date"


def test_age_and_mask() -> None:
    rid = parse_resident_id(with_check("44190019580315002"))
    assert rid.age_on(date(2026, 3, 14)) == 67
    assert rid.age_on(date(2026, 3, 15)) == 68
    assert rid.masked == rid.number[:6] + "********" + rid.number[14:]


provinces = st.sampled_from(["11", "31", "44", "51", "65", "81"])
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    area = draw(provinces) + f"{draw(st.integers(0, 9999)):04d}"
    born = draw(births).strftime("%Y%m%d")
    seq = f"{draw(st.integers(0, 999)):03d}"
    return with_check(area + born + seq)


@settings(deadline=None)
@given(resident_ids())
def test_generated_valid_ids_are_accepted(number: str) -> None:
    rid = parse_resident_id(number)
    assert rid.number == number
    assert rid.sex == ("M" if int(number[16]) % 2 else "F")
    assert rid.birth_date.strftime("%Y%m%d") == number[6:14]


@settings(deadline=None)
@given(resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_changing_one_character_of_an_id_is_rejected(number: str, pos: int, char: str) -> None:
    assume(number[pos] != char)
    mutated = number[:pos] + char + number[pos + 1 :]
    with pytest.raises(IdentifierError):
        parse_resident_id(mutated)


# --- USCC ----------------------------------------------------------------------------------


def test_known_valid_code() -> None:
    u = parse_uscc("91110000600037341L")
    assert (u.registration_dept, u.org_type, u.area_code, u.org_code) == (
        "9",
        "1",
        "110000",
        "600037341",
    )
    assert u.org_type_zh == "企业"


def test_agricultural_collective_codes_starting_with_n_are_accepted() -> None:
    # python-stdnum wants digits in the first 8 characters; GB 32100 has department N.
    first17 = "N2441900MA0000001"
    u = parse_uscc(first17 + uscc_check_char(first17))
    assert u.registration_dept_zh == "农业"
    assert u.org_type_zh == "村级集体经济组织"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("91110000600037341", "uscc.length"),
        ("91110000600037341IL", "uscc.length"),
        ("91110000600037I41L", "uscc.format"),
        ("911100006000373O1L", "uscc.format"),
        ("9111A000600037341L", "uscc.format"),
        ("91110000600037341M", "uscc.checksum"),
    ],
)
def test_uscc_errors_name_the_rule(text: str, code: str) -> None:
    with pytest.raises(IdentifierError) as e:
        parse_uscc(text)
    assert e.value.code == code


@st.composite
def usccs(draw: st.DrawFn) -> str:
    dept = draw(st.sampled_from("123456789ANY"))
    org_type = draw(st.sampled_from("1239"))
    area = f"{draw(st.integers(0, 999999)):06d}"
    body = "".join(draw(st.lists(st.sampled_from(USCC_ALPHABET), min_size=9, max_size=9)))
    first17 = dept + org_type + area + body
    return first17 + uscc_check_char(first17)


@settings(deadline=None)
@given(usccs())
def test_generated_valid_usccs_are_accepted(code: str) -> None:
    assert parse_uscc(code).code == code


@settings(deadline=None)
@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET + "IOSVZ"))
def test_changing_one_character_of_a_uscc_is_rejected(code: str, pos: int, char: str) -> None:
    assume(code[pos] != char)
    mutated = code[:pos] + char + code[pos + 1 :]
    with pytest.raises(IdentifierError):
        parse_uscc(mutated)


# --- mobile --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
    ],
)
def test_mobile_numbers(text: str, number: str) -> None:
    assert parse_mobile(text) == number


@pytest.mark.parametrize("text", ["1380013800", "138001380001", "23800138000", "0769-22380830"])
def test_not_mobile_numbers(text: str) -> None:
    with pytest.raises(IdentifierError) as e:
        parse_mobile(text)
    assert e.value.code == "mobile.invalid"


# --- the card's validity period ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [("20360301", date(2036, 3, 1)), ("2036.03.01", date(2036, 3, 1)), ("长期", None)],
)
def test_card_dates(text: str, day: date | None) -> None:
    assert parse_card_date(text) == day


@pytest.mark.parametrize("text", ["2036", "20360230", "long", ""])
def test_bad_card_dates(text: str) -> None:
    with pytest.raises(IdentifierError) as e:
        parse_card_date(text)
    assert e.value.code == "id.card_date"


def test_expired_id_card_is_not_valid() -> None:
    start, end = date(2006, 3, 1), date(2026, 3, 1)
    check_id_card_period(start, end, date(2026, 3, 1))  # the last day is still valid
    with pytest.raises(IdentifierError) as e:
        check_id_card_period(start, end, date(2026, 3, 2))
    assert e.value.code == "id.card_expired"


def test_long_term_card_never_expires() -> None:
    check_id_card_period(date(2010, 1, 1), None, date(2099, 1, 1))


def test_card_not_yet_valid() -> None:
    with pytest.raises(IdentifierError) as e:
        check_id_card_period(date(2027, 1, 1), None, date(2026, 11, 21))
    assert e.value.code == "id.card_not_yet_valid"
