"""SAM serial transport: the frame protocol of certified ID readers' security modules (GA 467).

A command frame is ``AA AA AA 96 69 | LEN(2, big endian) | CMD | PARA | DATA | CHK`` and an answer
``AA AA AA 96 69 | LEN | SW1 SW2 SW3 | DATA | CHK``. ``LEN`` counts everything after itself
(including ``CHK``); ``CHK`` is the XOR of every byte after the preamble. ``SW3`` is the module's
status (``0x90`` done, ``0x9F`` card found; failures listed in :data:`SW3_MEANING`).

Commands used: find card (``20 01``), select card (``20 02``), read text and photo (``30 01``,
answer data: text length (2) | photo length (2) | text | photo), read the module's id (``12 FF``).
"""

from __future__ import annotations

import contextlib
import struct
import termios
import threading
import time
from dataclasses import dataclass
from typing import ClassVar

import serial

from hardware.idcard.errors import (
    CardRemoved,
    IdCardError,
    NoCard,
    NoReader,
    NotAnIdCard,
    ReaderLost,
    SamFrameError,
    SamStatusError,
    SamTimeout,
)
from hardware.idcard.record import IdCardRecord, parse_text_record

PREAMBLE = bytes.fromhex("AAAAAA9669")
#: The longest answer the protocol knows: text, photo and fingerprint (3+6+256+1024+1024+1).
MAX_LENGTH = 0x0A00

CMD_FIND = (0x20, 0x01)
CMD_SELECT = (0x20, 0x02)
CMD_READ = (0x30, 0x01)
CMD_SAM_ID = (0x12, 0xFF)
CMD_STATUS = (0x11, 0xFF)

SW3_OK = 0x90
SW3_FOUND = 0x9F
SW3_MEANING: dict[int, str] = {
    0x10: "check byte of the command was wrong",
    0x11: "length of the command was wrong",
    0x21: "command unknown or its values inconsistent",
    0x23: "operation not permitted",
    0x24: "unknown error",
    0x31: "card failed to authenticate the module",
    0x32: "module failed to authenticate the card",
    0x33: "information verification failed",
    0x40: "unknown card type",
    0x41: "reading the card failed",
    0x47: "key extraction failed",
    0x60: "module self-test failed",
    0x66: "module not authorised",
    0x80: "no card found",
    0x81: "selecting the card failed",
    0x91: "no such content",
}


def checksum(body: bytes) -> int:
    """XOR of ``body`` (the bytes between the preamble and the check byte)."""
    c = 0
    for b in body:
        c ^= b
    return c


def build_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A command frame for ``cmd``/``para`` with ``data``."""
    body = struct.pack(">H", len(data) + 3) + bytes((cmd, para)) + data
    return PREAMBLE + body + bytes((checksum(body),))


def build_answer(sw1: int, sw2: int, sw3: int, data: bytes = b"") -> bytes:
    """An answer frame (used by the simulated module)."""
    body = struct.pack(">H", len(data) + 4) + bytes((sw1, sw2, sw3)) + data
    return PREAMBLE + body + bytes((checksum(body),))


@dataclass(frozen=True)
class Frame:
    """A decoded frame: ``head`` is CMD+PARA (2 bytes) or SW1+SW2+SW3 (3 bytes)."""

    head: bytes
    data: bytes

    @property
    def sw3(self) -> int:
        """The module's status byte (answers)."""
        return self.head[2]


def parse_frame(raw: bytes, head_size: int = 3) -> Frame:
    """Decode one complete frame.

    Args:
        raw: the frame, preamble to check byte.
        head_size: 3 for answers (SW1 SW2 SW3), 2 for commands (CMD PARA).

    Raises:
        SamFrameError: bad preamble, length field disagreeing with the bytes, too short or too long,
            or a wrong check byte.
    """
    raw = bytes(raw)
    if raw[:5] != PREAMBLE:
        raise SamFrameError(
            "The reader's answer does not start with the SAM preamble. Place the card again."
        )
    if len(raw) < 7:
        raise SamFrameError(
            f"The reader's answer is cut short ({len(raw)} bytes). Place the card again."
        )
    (length,) = struct.unpack(">H", raw[5:7])
    if length < head_size + 1 or length > MAX_LENGTH:
        raise SamFrameError(
            f"The reader's answer declares an impossible length {length}. Place the card again."
        )
    if len(raw) != 7 + length:
        raise SamFrameError(
            f"The reader's answer declares {length} bytes but carries {len(raw) - 7}. "
            "Place the card again."
        )
    body = raw[5:-1]
    if checksum(body) != raw[-1]:
        raise SamFrameError(
            f"The reader's answer has a wrong check byte ({raw[-1]:02X}, expected "
            f"{checksum(body):02X}). Place the card again."
        )
    return Frame(head=raw[7 : 7 + head_size], data=raw[7 + head_size : -1])


def read_frame(port: serial.Serial, timeout: float, head_size: int = 3) -> bytes:
    """Read one frame from ``port``, skipping noise before the preamble.

    Raises:
        SamTimeout: nothing (or not a whole frame) arrived within ``timeout`` seconds.
        SamFrameError: the length field is impossible.
        ReaderLost: the serial device failed.
    """
    deadline = time.monotonic() + timeout
    buf = bytearray()

    def need(n: int) -> None:
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 and len(buf) > 7 and bytes(buf[:5]) == PREAMBLE:
                (declared,) = struct.unpack(">H", bytes(buf[5:7]))
                raise SamFrameError(
                    f"The reader's answer declares {declared} bytes but only {len(buf) - 7} came. "
                    "Place the card again."
                )
            if left <= 0:
                raise SamTimeout(
                    "The ID card reader's security module did not answer"
                    + (f" completely ({len(buf)} bytes)" if buf else "")
                    + ". Check it is switched on and connected; call counter staff."
                )
            port.timeout = min(left, 0.5)
            try:
                chunk = port.read(n - len(buf))
            except (serial.SerialException, OSError, termios.error) as e:
                raise ReaderLost(
                    f"The serial reader failed: {e}. Check its cable; call counter staff."
                ) from e
            buf.extend(chunk)

    # Find the preamble: drop bytes until the buffer starts with it.
    while True:
        need(len(PREAMBLE))
        if bytes(buf[:5]) == PREAMBLE:
            break
        idx = bytes(buf).find(PREAMBLE[:1], 1)
        del buf[: idx if idx > 0 else len(buf)]
    need(7)
    (length,) = struct.unpack(">H", bytes(buf[5:7]))
    if length < head_size + 1 or length > MAX_LENGTH:
        raise SamFrameError(
            f"The reader's answer declares an impossible length {length}. Place the card again."
        )
    need(7 + length)
    return bytes(buf[: 7 + length])


class SamReader:
    """A certified ID reader's security module on a serial line (or a pty in tests).

    Args:
        device: serial device path (``/dev/ttyUSB0``) or pyserial URL.
        baudrate: the module's line speed (115200 on most readers).
        answer_timeout: how long one command may take to be answered (seconds).
        poll: pause between find-card polls (seconds).
    """

    transport: ClassVar[str] = "sam"
    reports_removal: ClassVar[bool] = False

    def __init__(
        self, device: str, *, baudrate: int = 115200, answer_timeout: float = 2.0, poll: float = 0.1
    ):
        self.device = device
        self.baudrate = baudrate
        self.answer_timeout = answer_timeout
        self.poll = poll
        self._port: serial.Serial | None = None
        self._cancel = threading.Event()
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        """The serial device."""
        return f"SAM on {self.device}"

    def open(self) -> None:
        """Open the serial device and check the module answers.

        Raises:
            NoReader: the device cannot be opened.
            SamTimeout: the module does not answer.
        """
        if self._port is None:
            try:
                self._port = serial.serial_for_url(self.device, baudrate=self.baudrate, timeout=0.5)
            except (serial.SerialException, OSError, termios.error, ValueError) as e:
                raise NoReader(
                    f"Cannot open the ID card reader's serial device {self.device}: {e}. "
                    "Check the cable and [devices.reader] serial_device in kiosk.toml."
                ) from e
        self._cancel.clear()
        self.command(*CMD_STATUS)

    def close(self) -> None:
        """Close the serial device."""
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError, termios.error):
                port.close()

    def cancel(self) -> None:
        """Wake a polling wait."""
        self._cancel.set()

    def command(self, cmd: int, para: int, data: bytes = b"") -> Frame:
        """Send one command and return the module's answer (any status).

        Raises:
            SamTimeout, SamFrameError, ReaderLost.
        """
        if self._port is None:
            self.open()
        port = self._port
        assert port is not None
        with self._lock:
            try:
                port.reset_input_buffer()
                port.write(build_command(cmd, para, data))
                port.flush()
            except (serial.SerialException, OSError, termios.error) as e:
                raise ReaderLost(
                    f"The serial reader failed: {e}. Check its cable; call counter staff."
                ) from e
            return parse_frame(read_frame(port, self.answer_timeout))

    def sam_id(self) -> str:
        """The module's id, formatted as printed on readers "
        "(``05.01-20201231-0000000001-1234567890``)."""
        frame = self.command(*CMD_SAM_ID)
        self._expect(frame, SW3_OK, "reading the module id")
        if len(frame.data) != 16:
            raise SamFrameError(f"The module id has {len(frame.data)} bytes instead of 16.")
        a, b, c, d, e = struct.unpack("<HHIII", frame.data)
        return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"

    def _expect(self, frame: Frame, ok: int, doing: str) -> None:
        if frame.sw3 == ok:
            return
        meaning = SW3_MEANING.get(frame.sw3, "unknown status")
        if frame.sw3 == 0x40:
            raise NotAnIdCard(
                f"The reader says this is not an ID card ({meaning}). Place your resident ID card."
            )
        raise SamStatusError(
            f"The reader failed {doing}: status {frame.sw3:02X} ({meaning}). "
            "Place the card on the reader again."
        )

    def card_present(self) -> bool:
        """Find the card (``20 01``): True when the module sees one."""
        frame = self.command(*CMD_FIND)
        if frame.sw3 == SW3_FOUND:
            return True
        if frame.sw3 == 0x80:
            return False
        self._expect(frame, SW3_FOUND, "finding the card")
        return False  # pragma: no cover - _expect raised

    def wait_for_card(self, timeout: float) -> None:
        """Poll find-card until a card is there."""
        deadline = time.monotonic() + timeout
        self._cancel.clear()
        while not self.card_present():
            left = deadline - time.monotonic()
            if left <= 0 or self._cancel.wait(min(self.poll, left)):
                raise NoCard()

    def wait_for_removal(self, timeout: float) -> bool:
        """Poll find-card until it fails; False if the card is still there after ``timeout``."""
        deadline = time.monotonic() + timeout
        self._cancel.clear()
        while self.card_present():
            left = deadline - time.monotonic()
            if left <= 0 or self._cancel.wait(min(self.poll, left)):
                return False
        return True

    def read(self) -> IdCardRecord:
        """Select the card and read text and photo (``20 02``, ``30 01``)."""
        frame = self.command(*CMD_SELECT)
        if frame.sw3 == 0x81:
            raise CardRemoved(
                "The card left the reader before it was read. "
                "Place it on the reader again and hold it still."
            )
        self._expect(frame, SW3_OK, "selecting the card")
        frame = self.command(*CMD_READ)
        if frame.sw3 in (0x41, 0x80):
            raise CardRemoved(
                "The card left the reader while it was read. "
                "Place it on the reader again and hold it still."
            )
        self._expect(frame, SW3_OK, "reading the card")
        return parse_read_answer(frame.data)


def parse_read_answer(data: bytes) -> IdCardRecord:
    """Split the read answer's data (text length, photo length, text, photo) and parse the text.

    Raises:
        SamFrameError: the lengths disagree with the data (short or over-long).
        CorruptRecord, UnsupportedCardType: from the text record.
    """
    if len(data) < 4:
        raise SamFrameError(
            f"The reader's card data is cut short ({len(data)} bytes). Place the card again."
        )
    text_len, photo_len = struct.unpack(">HH", data[:4])
    if 4 + text_len + photo_len > len(data):
        raise SamFrameError(
            f"The reader announced {text_len} text and {photo_len} photo bytes but sent "
            f"{len(data) - 4}. Place the card again."
        )
    if 4 + text_len + photo_len < len(data):
        raise SamFrameError(
            f"The reader sent {len(data) - 4 - text_len - photo_len} bytes more than the "
            f"{text_len} text and {photo_len} photo bytes it announced. Place the card again."
        )
    text = data[4 : 4 + text_len]
    photo = data[4 + text_len : 4 + text_len + photo_len]
    return parse_text_record(text, photo)


__all__ = [
    "IdCardError",
    "SamReader",
    "build_answer",
    "build_command",
    "parse_frame",
    "parse_read_answer",
    "read_frame",
]
