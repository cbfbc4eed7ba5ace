"""Fuzzing the parsers with hypothesis: whatever the bytes, only the named errors come out."""

from __future__ import annotations

import contextlib
import datetime as dt

import serial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.idcard.errors import IdCardError
from hardware.idcard.record import TEXT_LENGTH, IdCardRecord, parse_text_record
from hardware.idcard.sam import (
    PREAMBLE,
    build_answer,
    checksum,
    parse_frame,
    parse_read_answer,
    read_frame,
)
from hardware.idcard.validation import validate_record
from hardware.sim.person import load_card
from hardware.sim.vicc import CardBehaviour, CardLogic

TODAY = dt.date(2026, 11, 21)
CARD = load_card("zhang_wei")
GOOD_TEXT = CARD.text
# Thousands of cases in all (about 9,000), bounded so the suite stays fast on two shared cores.
FAST = settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_and_validate(text: bytes) -> None:
    try:
        record = parse_text_record(text)
    except IdCardError:
        return
    assert isinstance(record, IdCardRecord)
    with contextlib.suppress(IdCardError):
        validate_record(record, TODAY)


@FAST
@given(st.binary(min_size=TEXT_LENGTH, max_size=TEXT_LENGTH))
def test_random_256_byte_records(text: bytes) -> None:
    _parse_and_validate(text)


@FAST
@given(st.binary(max_size=600))
def test_records_of_any_length(text: bytes) -> None:
    _parse_and_validate(text)


@FAST
@given(st.lists(st.tuples(st.integers(0, TEXT_LENGTH - 1), st.integers(0, 255)), max_size=8))
def test_a_valid_record_with_bytes_flipped(changes: list[tuple[int, int]]) -> None:
    text = bytearray(GOOD_TEXT)
    for pos, value in changes:
        text[pos] = value
    _parse_and_validate(bytes(text))


_FIELD_TEXT = st.text(
    alphabet=st.characters(codec="utf-16", exclude_categories=["Cs"]), max_size=20
)


@FAST
@given(st.integers(0, 13), _FIELD_TEXT)
def test_a_valid_record_with_one_field_replaced(field_index: int, value: str) -> None:
    from hardware.idcard.record import FIELDS

    _name, offset, length = FIELDS[field_index]
    raw = value.encode("utf-16-le")[:length]
    raw += b" \x00" * ((length - len(raw)) // 2) + b" " * ((length - len(raw)) % 2)
    _parse_and_validate(GOOD_TEXT[:offset] + raw + GOOD_TEXT[offset + length :])


@FAST
@given(st.binary(max_size=64))
def test_random_sam_frames(raw: bytes) -> None:
    for candidate in (raw, PREAMBLE + raw):
        try:
            frame = parse_frame(candidate)
        except IdCardError:
            continue
        assert len(frame.head) == 3


@FAST
@given(st.integers(0, 0xFFFF), st.binary(max_size=40), st.booleans())
def test_sam_frames_with_a_plausible_header(length: int, body: bytes, fix_check: bool) -> None:
    head = PREAMBLE + length.to_bytes(2, "big")
    raw = head + body
    if fix_check and body:
        raw = head + body[:-1] + bytes((checksum(raw[5:-1]),))
    with contextlib.suppress(IdCardError):
        parse_frame(raw)


@FAST
@given(st.binary(max_size=1400))
def test_read_answers(data: bytes) -> None:
    with contextlib.suppress(IdCardError):
        parse_read_answer(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80), st.booleans())
def test_stream_reader_on_garbage(noise: bytes, then_frame: bool) -> None:
    port = serial.serial_for_url("loop://", timeout=0.01)
    answer = build_answer(0, 0, 0x90, b"ok")
    port.write(noise + (answer if then_frame else b""))
    with contextlib.suppress(IdCardError):
        read_frame(port, 0.02)


@FAST
@given(st.binary(max_size=300))
def test_virtual_card_answers_every_apdu_with_a_status_word(apdu: bytes) -> None:
    logic = CardLogic(CARD, CardBehaviour(max_response=100))
    logic.answer(bytes.fromhex("00A4040009D15600000549444331"))
    logic.answer(bytes.fromhex("00A4020C020101"))
    reply = logic.answer(apdu)
    assert len(reply) >= 2
