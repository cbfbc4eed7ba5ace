"""Validation of what was read: check character, birth date, sex, nation, validity period."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hardware.idcard.codes import NATIONS, SEXES, nation_full_name
from hardware.idcard.errors import (
    BadCheckCharacter,
    BadIdNumber,
    BirthMismatch,
    CardExpired,
    CardNotYetValid,
    SexMismatch,
    UnknownNation,
    UnknownSex,
)
from hardware.idcard.record import IdCardRecord
from hardware.idcard.validation import check_id_number, today_in_shanghai, validate_record
from hardware.sim.person import load_person, sample_people

TODAY = dt.date(2026, 11, 21)


def rec(**changes: object) -> IdCardRecord:
    return dataclasses.replace(load_person("zhang_wei"), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("person", [p for p in sorted(sample_people()) if "expired" not in p])
def test_sample_people_are_valid_cards(person: str) -> None:
    assert validate_record(load_person(person), TODAY)


def test_expired_sample_is_refused_as_expired() -> None:
    with pytest.raises(CardExpired, match="2025-08-10") as e:
        validate_record(load_person("huang_zhiqiang_expired"), TODAY)
    assert e.value.code == "idcard.expired"


def test_check_character_x_is_accepted_and_lowercase_too() -> None:
    assert check_id_number("44190019880615231X") == dt.date(1988, 6, 15)
    assert check_id_number("44190019880615231x") == dt.date(1988, 6, 15)


@pytest.mark.parametrize(
    "wrong", ["441900198806152310", "441900198806152311", "441900198806152319"]
)
def test_wrong_check_character_is_named(wrong: str) -> None:
    with pytest.raises(BadCheckCharacter, match="should be X"):
        validate_record(rec(id_number=wrong), TODAY)


@pytest.mark.parametrize(
    "number",
    ["", "4419001988061523", "44190019880615231XX", "4419001988O615231X", "44190019880615231Y"],
)
def test_malformed_numbers_are_bad_id_numbers(number: str) -> None:
    with pytest.raises(BadIdNumber):
        check_id_number(number)


def test_message_of_a_malformed_number_does_not_echo_the_digits() -> None:
    with pytest.raises(BadIdNumber) as e:
        check_id_number("4419001988061523")
    assert "4419001988061523" not in e.value.message


def test_impossible_embedded_birth_date_is_a_bad_number() -> None:
    from stdnum.cn import ric

    base = "44190019880230231"
    number = base + ric.calc_check_digit(base + "0")
    with pytest.raises(BadIdNumber, match="19880230"):
        check_id_number(number)


def test_birth_field_must_match_the_number() -> None:
    with pytest.raises(BirthMismatch, match="1988-06-15"):
        validate_record(rec(birth_date=dt.date(1988, 6, 16)), TODAY)


def test_sex_must_match_the_sequence_digit() -> None:
    with pytest.raises(SexMismatch):
        validate_record(rec(sex="2"), TODAY)


@pytest.mark.parametrize("sex", ["3", "", "男", "x"])
def test_unknown_sex_code_is_named(sex: str) -> None:
    with pytest.raises(UnknownSex):
        validate_record(rec(sex=sex), TODAY)


def test_all_56_nations_and_97_98_are_known() -> None:
    codes = [f"{i:02d}" for i in range(1, 57)] + ["97", "98"]
    assert sorted(NATIONS) == codes
    assert len(set(NATIONS.values())) == 58
    assert NATIONS["01"] == "汉" and NATIONS["56"] == "基诺" and NATIONS["46"] == "德昂"
    assert nation_full_name("01") == "汉族" and nation_full_name("98") == "外国血统中国籍人士"
    assert SEXES["1"] == "男" and SEXES["2"] == "女"


@pytest.mark.parametrize("code", [f"{i:02d}" for i in range(1, 57)] + ["97", "98"])
def test_every_nation_code_is_accepted(code: str) -> None:
    record = validate_record(rec(nation=code), TODAY)
    assert record.nation_name == NATIONS[code]


@pytest.mark.parametrize("code", ["00", "57", "96", "99", "1", "", "汉"])
def test_other_nation_codes_are_refused(code: str) -> None:
    with pytest.raises(UnknownNation):
        validate_record(rec(nation=code), TODAY)


def test_permit_may_have_no_nation_but_not_a_wrong_one() -> None:
    permit = load_person("liang_jiahao_hk_permit")
    assert validate_record(permit, TODAY)
    with pytest.raises(UnknownNation):
        validate_record(dataclasses.replace(permit, nation="77"), TODAY)


def test_last_day_of_validity_is_still_valid_and_the_next_is_not() -> None:
    card = rec(valid_to=TODAY)
    assert validate_record(card, TODAY)
    with pytest.raises(CardExpired):
        validate_record(card, TODAY + dt.timedelta(days=1))


def test_not_yet_valid_card_is_named() -> None:
    with pytest.raises(CardNotYetValid):
        validate_record(rec(valid_from=TODAY + dt.timedelta(days=1)), TODAY)


def test_long_term_card_never_expires() -> None:
    assert validate_record(load_person("chen_guiying_long_term"), dt.date(2090, 1, 1))


def test_area_code_younger_than_its_holder_is_accepted() -> None:
    # 441900 (Dongguan, a city since 1988) on someone born in 1958: DOMAIN.md says accept.
    record = load_person("chen_guiying_long_term")
    assert record.id_number.startswith("441900") and record.birth_date.year == 1958
    assert validate_record(record, TODAY)


def test_today_is_the_date_in_shanghai_not_on_the_host() -> None:
    late_utc = dt.datetime(2026, 11, 21, 17, 30, tzinfo=dt.UTC)  # 01:30 on the 22nd in Dongguan
    assert today_in_shanghai(late_utc) == dt.date(2026, 11, 22)
    card = rec(valid_to=dt.date(2026, 11, 21))
    with pytest.raises(CardExpired):
        validate_record(card, today_in_shanghai(late_utc))


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        today_in_shanghai(dt.datetime(2026, 1, 1))


def test_unknown_province_is_a_bad_number_through_the_domain_rules() -> None:
    from kiosk.domain.identifiers import resident_id_check_char

    base = "99190019880615231"
    with pytest.raises(BadIdNumber, match="province"):
        check_id_number(base + resident_id_check_char(base))


def test_birth_after_today_is_a_bad_number() -> None:
    from kiosk.domain.identifiers import resident_id_check_char

    base = "44190020300101231"
    with pytest.raises(BadIdNumber, match="not possible"):
        check_id_number(base + resident_id_check_char(base), TODAY)
