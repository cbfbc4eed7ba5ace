"""A virtual ID card for the PC/SC path: a vpcd client answering APDUs from a person's card image.

``vsmartcard-vpcd`` is a pcscd reader driver that listens on TCP (35963 for ``Virtual PCD 00 00``).
The card is the client: connecting means *inserted*, closing means *removed*. Each message is a
2-byte big-endian length and a payload; 1-byte payloads are controls (``00`` power off, ``01`` on,
``02`` reset, ``04`` ATR request), longer ones are APDUs the card answers.

The card implements the default reader profile (:mod:`hardware.idcard.profile`): SELECT by AID,
SELECT EF, READ BINARY with offsets, ``61xx`` chaining (GET RESPONSE) and ``6Cxx`` length
corrections. :class:`CardBehaviour` makes it misbehave in the ways tests need.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.idcard.profile import DEFAULT_AID
from hardware.sim.person import CardImage
from kiosk.errors import DeviceError

log = logging.getLogger(__name__)

VPCD_PORT = 35963
#: T=0/T=1 minimal ATR (TS 3B, T0 80, TD1 80, TD2 01, TCK 01).
DEFAULT_ATR = bytes.fromhex("3B80800101")


class SimError(DeviceError):
    """A stand-in cannot run (vpcd not listening, pty unavailable)."""

    title = "Stand-in"
    code = "sim.error"


@dataclass
class CardBehaviour:
    """How the virtual card answers; defaults are a well-behaved ID card.

    Attributes:
        aid: the application the card accepts in SELECT (another AID: "not an ID card").
        text_file: file id of the text record.
        photo_file: file id of the photo record.
        max_response: longest answer sent at once; longer ones are chained with ``61xx``.
        max_le: longest READ BINARY accepted; a larger Le gets ``6Cxx`` (xx = max_le).
        extra: bytes appended beyond what READ BINARY asked (an over-long answer).
        answers: fixed raw answers by INS byte (e.g. ``{0xB0: b"\\x6f\\x00"}``), sent instead.
        vanish_after: close the connection (card taken away) on this many-th APDU, unanswered.
        on_apdu: called with the APDU's number before each answer (tests pull the plug here).
        atr: the ATR.
    """

    aid: bytes = DEFAULT_AID
    text_file: bytes = b"\x01\x01"
    photo_file: bytes = b"\x01\x02"
    max_response: int = 256
    max_le: int = 256
    extra: int = 0
    answers: dict[int, bytes] = field(default_factory=dict)
    vanish_after: int | None = None
    on_apdu: Callable[[int], None] | None = None
    atr: bytes = DEFAULT_ATR


SW_OK = b"\x90\x00"


class CardLogic:
    """The card's APDU state machine, separate from the socket so it can be tested alone."""

    def __init__(self, image: CardImage, behaviour: CardBehaviour | None = None):
        self.image = image
        self.behaviour = behaviour or CardBehaviour()
        self.reset()

    def reset(self) -> None:
        """Power-on state: nothing selected, nothing pending."""
        self._app = False
        self._file: bytes | None = None
        self._pending = b""

    def _files(self) -> dict[bytes, bytes]:
        b = self.behaviour
        return {b.text_file: self.image.text, b.photo_file: self.image.photo}

    def answer(self, apdu: bytes) -> bytes:
        """The response APDU (data and status word) to one command APDU."""
        b = self.behaviour
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = apdu[:4]
        if ins in b.answers:
            return b.answers[ins]
        if cla != 0x00:
            return b"\x6e\x00"
        body = apdu[4:]
        data, le = b"", None
        if len(body) == 1:
            le = body[0] or 256
        elif len(body) > 1:
            lc = body[0]
            data = body[1 : 1 + lc]
            if len(data) != lc or len(body) > lc + 2:
                return b"\x67\x00"
            if len(body) == lc + 2:
                le = body[-1] or 256
        if ins == 0xA4:
            return self._select(p1, p2, data)
        if ins == 0xB0:
            return self._read_binary(p1, p2, le or 256)
        if ins == 0xC0:
            return self._get_response(le or 256)
        return b"\x6d\x00"

    def _select(self, p1: int, p2: int, data: bytes) -> bytes:
        self._pending = b""
        if p1 == 0x04:
            if data == self.behaviour.aid:
                self._app, self._file = True, None
                return SW_OK
            return b"\x6a\x82"
        if p1 == 0x02:
            if self._app and data in self._files():
                self._file = data
                return SW_OK
            return b"\x6a\x82"
        return b"\x6a\x86"

    def _read_binary(self, p1: int, p2: int, ne: int) -> bytes:
        b = self.behaviour
        if self._file is None:
            return b"\x69\x86"
        if p1 & 0x80:
            return b"\x6a\x81"
        if ne > b.max_le:
            return bytes((0x6C, b.max_le & 0xFF))
        content = self._files()[self._file]
        offset = (p1 << 8) | p2
        if offset > len(content):
            return b"\x6b\x00"
        chunk = content[offset : offset + ne] + b"\xa5" * b.extra
        sw = SW_OK if len(chunk) >= ne else b"\x62\x82"
        return self._send(chunk, sw)

    def _send(self, data: bytes, sw: bytes) -> bytes:
        limit = self.behaviour.max_response
        if len(data) <= limit:
            return data + sw
        self._pending, self._pending_sw = data[limit:], sw
        return data[:limit] + bytes((0x61, min(len(self._pending), 256) & 0xFF))

    def _get_response(self, ne: int) -> bytes:
        if not self._pending:
            return b"\x69\x85"
        data, sw = self._pending, self._pending_sw
        self._pending = b""
        part, rest = data[:ne], data[ne:]
        if rest:
            self._pending, self._pending_sw = rest, sw
            return self._send(part, bytes((0x61, min(len(rest), 256) & 0xFF)))
        return self._send(part, sw)


class VirtualCard:
    """A card "inserted" into vpcd's virtual reader while connected.

    Args:
        image: what the card holds.
        port: vpcd's port (35963 = reader ``Virtual PCD 00 00``; our pcscd fixtures choose others).
        host: where vpcd listens.
        behaviour: faults to play.
    """

    def __init__(
        self,
        image: CardImage,
        port: int = VPCD_PORT,
        host: str = "127.0.0.1",
        behaviour: CardBehaviour | None = None,
    ):
        self.logic = CardLogic(image, behaviour)
        self.port = port
        self.host = host
        self.apdu_count = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        #: Set when the connection ended (removed, or vpcd went away).
        self.gone = threading.Event()

    @property
    def inserted(self) -> bool:
        """True while connected to vpcd."""
        return self._thread is not None and self._thread.is_alive()

    def insert(self, timeout: float = 5.0) -> None:
        """Connect to vpcd: the reader now sees a card.

        Raises:
            SimError: vpcd does not listen (pcscd not running with the vpcd driver).
        """
        if self.inserted:
            return
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as e:
            raise SimError(
                f"Cannot reach vpcd at {self.host}:{self.port} ({e}); is pcscd running with "
                "vsmartcard-vpcd?",
                code="sim.vpcd_unreachable",
            ) from e
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._stopping.clear()
        self.gone.clear()
        self.logic.reset()
        self.apdu_count = 0
        self._thread = threading.Thread(target=self._serve, name="vicc", daemon=True)
        self._thread.start()

    def remove(self, timeout: float = 5.0) -> None:
        """Disconnect: the reader sees the card leave."""
        self._stopping.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _recv_exact(self, sock: socket.socket, n: int) -> bytes | None:
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            # Delayed ACKs cost ~40 ms per APDU on loopback; re-arm QUICKACK after each receive.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            if not chunk:
                return None
            buf += chunk
        return buf

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        try:
            while not self._stopping.is_set():
                head = self._recv_exact(sock, 2)
                if head is None:
                    return
                (length,) = struct.unpack(">H", head)
                payload = self._recv_exact(sock, length)
                if payload is None:
                    return
                if length == 1:
                    reply = self._control(payload[0])
                    if reply is None:
                        continue
                else:
                    self.apdu_count += 1
                    if self.logic.behaviour.on_apdu is not None:
                        self.logic.behaviour.on_apdu(self.apdu_count)
                    vanish = self.logic.behaviour.vanish_after
                    if vanish is not None and self.apdu_count >= vanish:
                        return  # taken away mid-read: close without answering
                    reply = self.logic.answer(payload)
                sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError as e:
            if not self._stopping.is_set():
                log.info("virtual card connection ended: %s", e)
        finally:
            self._sock = None
            try:
                sock.close()
            finally:
                self.gone.set()

    def _control(self, code: int) -> bytes | None:
        if code == 0x04:
            return self.logic.behaviour.atr
        if code in (0x00, 0x01, 0x02):
            self.logic.reset()
        return None
