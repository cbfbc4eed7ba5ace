"""A simulated SAM (a certified reader's security module) on a pseudo-terminal.

It speaks the frame protocol of :mod:`hardware.idcard.sam` on the master side of a pty; the
kiosk opens the slave path (``/dev/pts/N``) as if it were the reader's serial port. A card is
"on the reader" while :meth:`SimulatedSam.place` has put one there. Faults for tests: a module
that stays silent, answers with a bad check byte or length, or loses the card between select and
read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import struct
import threading
import tty
from dataclasses import dataclass

from hardware.idcard.sam import (
    CMD_FIND,
    CMD_READ,
    CMD_SAM_ID,
    CMD_SELECT,
    CMD_STATUS,
    PREAMBLE,
    build_answer,
    checksum,
)
from hardware.sim.person import CardImage
from hardware.sim.vicc import SimError

log = logging.getLogger(__name__)

#: The simulated module's id bytes (formats as 05.01-20201231-0000000001-1234567890).
SAM_ID = struct.pack("<HHIII", 5, 1, 20201231, 1, 1234567890)


@dataclass
class SamBehaviour:
    """Faults the simulated module can play (defaults: none).

    Attributes:
        silent: never answer.
        bad_check: corrupt the check byte of answers to this command (CMD byte), e.g. ``0x30``.
        bad_length: declare a wrong length in answers to this command.
        lose_card_on_read: the card leaves between select and read (read answers 0x41).
        not_id_card: the card on the reader is not an ID card (select answers 0x40).
    """

    silent: bool = False
    bad_check: int | None = None
    bad_length: int | None = None
    lose_card_on_read: bool = False
    not_id_card: bool = False


class SimulatedSam:
    """A SAM answering on a pty.

    Args:
        behaviour: faults to play.
    """

    def __init__(self, behaviour: SamBehaviour | None = None):
        self.behaviour = behaviour or SamBehaviour()
        self.card: CardImage | None = None
        self.commands = 0
        self._master: int | None = None
        self._slave: int | None = None
        self._path = ""
        self._stop_r, self._stop_w = -1, -1
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        """The slave device path the reader opens."""
        return self._path

    def start(self) -> SimulatedSam:
        """Open the pty and start answering.

        Raises:
            SimError: no pseudo-terminals available.
        """
        try:
            master, slave = os.openpty()
        except OSError as e:
            raise SimError(f"Cannot open a pseudo-terminal: {e}.", code="sim.no_pty") from e
        # Raw, no echo: the line carries binary frames. We keep the slave open so the pty stays up
        # while readers open and close it.
        tty.setraw(slave)
        tty.setraw(master)
        self._master, self._slave = master, slave
        self._path = os.ttyname(slave)
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="sim-sam", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the pty."""
        if self._thread is not None:
            os.write(self._stop_w, b"x")
            self._thread.join(5)
            self._thread = None
        for fd in (self._master, self._slave, self._stop_r, self._stop_w):
            if fd is not None and fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        self._stop_r = self._stop_w = -1

    def __enter__(self) -> SimulatedSam:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def place(self, card: CardImage) -> None:
        """Put a card on the reader."""
        with self._lock:
            self.card = card

    def take_away(self) -> None:
        """Take the card off the reader."""
        with self._lock:
            self.card = None

    # -- protocol ----------------------------------------------------------------------------
    def _serve(self) -> None:
        master = self._master
        assert master is not None
        buf = bytearray()
        while True:
            ready, _w, _x = select.select([master, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            buf += chunk
            while True:
                frame = self._take_frame(buf)
                if frame is None:
                    break
                reply = self._answer(frame)
                if reply is not None:
                    os.write(master, reply)

    def _take_frame(self, buf: bytearray) -> bytes | None:
        start = bytes(buf).find(PREAMBLE)
        if start < 0:
            del buf[: max(0, len(buf) - len(PREAMBLE) + 1)]
            return None
        del buf[:start]
        if len(buf) < 7:
            return None
        (length,) = struct.unpack(">H", bytes(buf[5:7]))
        if length > 0x1000:
            del buf[:5]  # impossible length: resync on the next preamble
            return self._reply_status(0x11)
        if len(buf) < 7 + length:
            return None
        frame = bytes(buf[: 7 + length])
        del buf[: 7 + length]
        return frame

    def _reply_status(self, sw3: int) -> bytes:
        # A frame the module rejects before decoding; answered like a decoded one.
        return b"STATUS" + bytes((sw3,))

    def _answer(self, frame: bytes) -> bytes | None:
        b = self.behaviour
        self.commands += 1
        if b.silent:
            return None
        if frame.startswith(b"STATUS"):
            return build_answer(0, 0, frame[6])
        body = frame[5:-1]
        if len(body) < 4:
            return build_answer(0, 0, 0x11)
        if checksum(body) != frame[-1]:
            return build_answer(0, 0, 0x10)
        cmd = (body[2], body[3])
        reply = self._dispatch(cmd)
        if b.bad_check is not None and cmd[0] == b.bad_check:
            reply = reply[:-1] + bytes((reply[-1] ^ 0xFF,))
        if b.bad_length is not None and cmd[0] == b.bad_length:
            reply = (
                reply[:5] + struct.pack(">H", struct.unpack(">H", reply[5:7])[0] + 7) + reply[7:]
            )
        return reply

    def _dispatch(self, cmd: tuple[int, int]) -> bytes:
        with self._lock:
            card = self.card
        b = self.behaviour
        if cmd == CMD_STATUS or cmd == (0x10, 0xFF) or cmd == (0x61, 0xFF):
            return build_answer(0, 0, 0x90)
        if cmd == CMD_SAM_ID:
            return build_answer(0, 0, 0x90, SAM_ID)
        if cmd == CMD_FIND:
            return build_answer(0, 0, 0x9F, b"\x00" * 4) if card else build_answer(0, 0, 0x80)
        if cmd == CMD_SELECT:
            if card is None:
                return build_answer(0, 0, 0x81)
            if b.not_id_card:
                return build_answer(0, 0, 0x40)
            return build_answer(0, 0, 0x90, b"\x00" * 8)
        if cmd == CMD_READ:
            if card is None or b.lose_card_on_read:
                return build_answer(0, 0, 0x41)
            data = struct.pack(">HH", len(card.text), len(card.photo)) + card.text + card.photo
            return build_answer(0, 0, 0x90, data)
        if cmd == (0x30, 0x03):
            return build_answer(0, 0, 0x91)
        return build_answer(0, 0, 0x21)
