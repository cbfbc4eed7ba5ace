"""The virtual card's APDU logic (the card side of the default reader profile)."""

from __future__ import annotations

from hardware.idcard.profile import ApduProfile
from hardware.sim.person import load_card
from hardware.sim.vicc import CardBehaviour, CardLogic

P = ApduProfile()
CARD = load_card("zhang_wei")


def tx(logic: CardLogic, apdu: list[int]) -> tuple[bytes, int]:
    r = logic.answer(bytes(apdu))
    return r[:-2], (r[-2] << 8) | r[-1]


def test_select_read_whole_text_record() -> None:
    card = CardLogic(CARD)
    assert tx(card, P.select_aid())[1] == 0x9000
    assert tx(card, P.select_file(P.text_file))[1] == 0x9000
    data, sw = tx(card, P.read_binary(0, 256))
    assert sw == 0x9000 and data == CARD.text


def test_wrong_aid_is_file_not_found() -> None:
    card = CardLogic(CARD, CardBehaviour(aid=b"\xa0\x00\x00\x00\x03"))
    assert tx(card, P.select_aid())[1] == 0x6A82


def test_reading_before_selecting_a_file_is_refused() -> None:
    assert tx(CardLogic(CARD), P.read_binary(0, 16))[1] == 0x6986


def test_long_answers_are_chained_with_61xx() -> None:
    card = CardLogic(CARD, CardBehaviour(max_response=100))
    tx(card, P.select_aid())
    tx(card, P.select_file(P.text_file))
    first, sw = tx(card, P.read_binary(0, 256))
    assert len(first) == 100 and sw == 0x619C
    second, sw = tx(card, P.get_response(0x9C))
    assert len(second) == 100 and sw == 0x6138
    third, sw = tx(card, P.get_response(0x38))
    assert sw == 0x9000 and first + second + third == CARD.text


def test_too_large_le_gets_6cxx() -> None:
    card = CardLogic(CARD, CardBehaviour(max_le=0xF0))
    tx(card, P.select_aid())
    tx(card, P.select_file(P.photo_file))
    assert tx(card, P.read_binary(0, 256))[1] == 0x6CF0
    data, sw = tx(card, P.read_binary(0, 0xF0))
    assert sw == 0x9000 and data == CARD.photo[:0xF0]


def test_reading_past_the_end_says_end_of_file() -> None:
    card = CardLogic(CARD)
    tx(card, P.select_aid())
    tx(card, P.select_file(P.text_file))
    data, sw = tx(card, P.read_binary(200, 256))
    assert sw == 0x6282 and data == CARD.text[200:]
    assert tx(card, P.read_binary(300, 16))[1] == 0x6B00
