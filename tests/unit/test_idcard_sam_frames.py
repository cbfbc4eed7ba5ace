"""SAM frames: the bytes certified readers exchange, and the named errors of bad ones."""

from __future__ import annotations

import pytest
import serial

from hardware.idcard.errors import SamFrameError, SamTimeout
from hardware.idcard.sam import (
    CMD_FIND,
    CMD_READ,
    CMD_SELECT,
    build_answer,
    build_command,
    parse_frame,
    parse_read_answer,
    read_frame,
)
from hardware.sim.person import load_card


@pytest.mark.parametrize(
    ("cmd", "wire"),
    [
        # The frames public reader drivers send, byte for byte.
        (CMD_FIND, "AAAAAA96690003200122"),
        (CMD_SELECT, "AAAAAA96690003200221"),
        (CMD_READ, "AAAAAA96690003300132"),
        ((0x11, 0xFF), "AAAAAA9669000311FFED"),
    ],
)
def test_command_frames_match_the_protocol(cmd: tuple[int, int], wire: str) -> None:
    assert build_command(*cmd).hex().upper() == wire


def test_answer_roundtrip() -> None:
    frame = parse_frame(build_answer(0, 0, 0x9F, b"\x00" * 4))
    assert frame.sw3 == 0x9F and frame.data == b"\x00" * 4


def test_read_answer_carries_text_and_photo_lengths() -> None:
    card = load_card("zhang_wei")
    data = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big") + card.text + card.photo
    raw = build_answer(0, 0, 0x90, data)
    assert raw[5:7] == bytes.fromhex("0508")  # 3 + 4 + 256 + 1024 + 1
    record = parse_read_answer(parse_frame(raw).data)
    assert record.name == "张伟" and record.photo == card.photo


def test_bad_check_byte_is_named() -> None:
    raw = bytearray(build_answer(0, 0, 0x90))
    raw[-1] ^= 0x01
    with pytest.raises(SamFrameError, match="check byte"):
        parse_frame(bytes(raw))


@pytest.mark.parametrize("delta", [-1, 1, 5])
def test_length_field_disagreeing_with_the_bytes_is_named(delta: int) -> None:
    raw = bytearray(build_answer(0, 0, 0x90, b"abc"))
    raw[6] += delta
    with pytest.raises(SamFrameError, match="declares"):
        parse_frame(bytes(raw))


def test_impossible_lengths_are_named() -> None:
    with pytest.raises(SamFrameError, match="impossible length"):
        parse_frame(bytes.fromhex("AAAAAA9669FFFF"))
    with pytest.raises(SamFrameError, match="impossible length"):
        parse_frame(bytes.fromhex("AAAAAA96690001"))


def test_missing_preamble_is_named() -> None:
    with pytest.raises(SamFrameError, match="preamble"):
        parse_frame(b"\x00" * 12)


def test_read_answer_with_lengths_beyond_the_data_is_named() -> None:
    with pytest.raises(SamFrameError, match="announced"):
        parse_read_answer(b"\x01\x00\x04\x00" + b"\x00" * 10)


def test_read_answer_longer_than_announced_is_named() -> None:
    card = load_card("zhang_wei")
    data = bytes.fromhex("01000400") + card.text + card.photo + b"\x00\x00"
    with pytest.raises(SamFrameError, match="2 bytes more"):
        parse_read_answer(data)


def test_reader_skips_noise_before_the_preamble() -> None:
    port = serial.serial_for_url("loop://", timeout=0.1)
    answer = build_answer(0, 0, 0x90, b"hello")
    port.write(b"\x00\xaa\x13" + answer)
    assert read_frame(port, 1.0) == answer


def test_silence_is_a_timeout_and_half_a_frame_a_frame_error() -> None:
    port = serial.serial_for_url("loop://", timeout=0.05)
    with pytest.raises(SamTimeout):
        read_frame(port, 0.1)
    port.write(build_answer(0, 0, 0x90, b"x" * 40)[:20])
    with pytest.raises(SamFrameError, match="only 13 came"):
        read_frame(port, 0.1)
