"""The 256-byte text record: layout, parsing, and the named errors of a corrupt one."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hardware.idcard.errors import CorruptRecord, UnsupportedCardType
from hardware.idcard.record import (
    FIELDS,
    TEXT_LENGTH,
    CardType,
    encode_text_record,
    mask_id_number,
    parse_text_record,
)
from hardware.sim.person import load_card, load_person, sample_people


def _put(text: bytes, offset: int, value: bytes) -> bytes:
    return text[:offset] + value + text[offset + len(value) :]


def test_fields_tile_the_256_bytes_in_the_published_order() -> None:
    offset = 0
    for _name, start, length in FIELDS:
        assert start == offset
        offset += length
    assert offset == TEXT_LENGTH
    assert dict((n, (o, n2)) for n, o, n2 in FIELDS)["id_number"] == (122, 36)
    assert dict((n, (o, n2)) for n, o, n2 in FIELDS)["type_flag"] == (248, 2)


@pytest.mark.parametrize("person", sorted(sample_people()))
def test_every_sample_person_survives_encode_and_parse(person: str) -> None:
    record = load_person(person)
    card = load_card(person)
    assert parse_text_record(card.text, card.photo) == record
    assert len(card.photo) == 1024


def test_text_is_ucs2_little_endian_at_the_published_offsets() -> None:
    text = load_card("zhang_wei").text
    assert text[0:4] == "张伟".encode("utf-16-le")
    assert text[4:6] == b" \x00"  # padded with spaces
    assert text[30:32] == b"1\x00"
    assert text[32:36] == "01".encode("utf-16-le")
    assert text[122:158] == "44190019880615231X".encode("utf-16-le")
    assert text[248:250] == b" \x00"


def test_long_term_validity_parses_as_no_end() -> None:
    record = load_person("chen_guiying_long_term")
    card = load_card("chen_guiying_long_term")
    assert card.text[204:208] == "长期".encode("utf-16-le")
    parsed = parse_text_record(card.text)
    assert parsed.valid_to is None and parsed.long_term
    assert parsed.to_dict()["valid_to"] == "long-term"
    assert record.valid_to is None


def test_hk_macau_taiwan_permit_carries_pass_number_and_issue_count() -> None:
    card = load_card("liang_jiahao_hk_permit")
    assert card.text[248:250] == "J".encode("utf-16-le")
    record = parse_text_record(card.text)
    assert record.card_type is CardType.HMT_PERMIT
    assert record.pass_number == "H60123456"
    assert record.issue_count == 1
    assert record.nation == ""
    assert record.id_number.startswith("810000")


def test_rare_extension_a_character_in_the_name_is_kept() -> None:
    record = parse_text_record(load_card("wang_yan_rare_char").text)
    assert record.name == "王䶮"
    assert "\u4dae" in record.name


@pytest.mark.parametrize("flag", ["I", "Y"])
def test_foreign_permanent_residence_cards_are_refused_by_name(flag: str) -> None:
    text = _put(load_card("zhang_wei").text, 248, flag.encode("utf-16-le"))
    with pytest.raises(UnsupportedCardType) as e:
        parse_text_record(text)
    assert e.value.code == "idcard.unsupported_card_type"


def test_unknown_type_flag_is_a_corrupt_record() -> None:
    text = _put(load_card("zhang_wei").text, 248, "Q".encode("utf-16-le"))
    with pytest.raises(CorruptRecord, match="type flag"):
        parse_text_record(text)


@pytest.mark.parametrize("size", [0, 1, 255, 257, 1024])
def test_wrong_length_is_a_corrupt_record(size: int) -> None:
    with pytest.raises(CorruptRecord, match=f"{size} bytes"):
        parse_text_record(b"\x20\x00" * (size // 2) + b"\x20" * (size % 2))


def test_lone_surrogate_in_the_name_is_invalid_utf16() -> None:
    text = _put(load_card("zhang_wei").text, 0, b"\x00\xd8")  # U+D800 alone
    with pytest.raises(CorruptRecord, match="name field is not valid UTF-16"):
        parse_text_record(text)


@pytest.mark.parametrize(
    ("offset", "value", "what"),
    [
        (36, "1988O615", "birth date"),
        (36, "19880230", "birth date"),
        (188, "2019-3-1", "validity start"),
        (204, "永久    ", "validity end"),
    ],
)
def test_dates_that_are_not_dates_are_named(offset: int, value: str, what: str) -> None:
    text = _put(load_card("zhang_wei").text, offset, value.encode("utf-16-le"))
    with pytest.raises(CorruptRecord, match=what):
        parse_text_record(text)


def test_control_characters_are_refused() -> None:
    text = _put(load_card("zhang_wei").text, 52, "\x07".encode("utf-16-le"))
    with pytest.raises(CorruptRecord, match="control character"):
        parse_text_record(text)


def test_nul_padding_is_accepted_like_space_padding() -> None:
    text = load_card("zhang_wei").text
    text = _put(text, 4, b"\x00" * 26)
    assert parse_text_record(text).name == "张伟"


def test_masked_id_shows_first_six_and_last_four() -> None:
    assert mask_id_number("44190019880615231X") == "441900********231X"
    record = load_person("zhang_wei")
    assert record.to_dict()["id_number"] == "441900********231X"
    assert record.to_dict(full=True)["id_number"] == "44190019880615231X"


def test_json_keys_are_the_cli_contract() -> None:
    d = load_person("zhang_wei").to_dict()
    assert list(d) == [
        "name", "sex", "nation", "birth_date", "address", "id_number", "authority",
        "valid_from", "valid_to", "card_type", "photo_bytes",
    ]  # fmt: skip
    assert d["birth_date"] == "1988-06-15" and d["photo_bytes"] == 1024


def test_a_value_too_long_for_its_field_cannot_be_encoded() -> None:
    record = dataclasses.replace(load_person("zhang_wei"), name="张" * 16)
    with pytest.raises(ValueError, match="field has 30"):
        encode_text_record(record)


def test_birth_date_field_is_a_date() -> None:
    assert load_person("zhang_wei").birth_date == dt.date(1988, 6, 15)
