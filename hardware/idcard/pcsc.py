"""PC/SC transport through pyscard: choose a reader by name, watch it, read the record by APDUs.

Uses pyscard's thin ``smartcard.scard`` layer so that every PC/SC result code can be translated
into a named error (pcscd down, no reader, reader gone, card gone …) at this boundary.
"""

from __future__ import annotations

import re
import threading
import time
from typing import ClassVar

from smartcard import scard

from hardware.idcard.errors import (
    BadResponse,
    CardRemoved,
    IdCardError,
    NoCard,
    NoReader,
    NotAnIdCard,
    PcscUnavailable,
    ReaderLost,
)
from hardware.idcard.profile import ApduProfile
from hardware.idcard.record import IdCardRecord, parse_text_record

_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}
_READER_GONE = {
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_NO_READERS_AVAILABLE,
    scard.SCARD_F_COMM_ERROR,
}
_CARD_GONE = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_W_UNRESPONSIVE_CARD,
}
#: Most APDUs one read may take: a card that chains forever is refused, not followed.
MAX_APDUS = 64

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
_NOT_THERE = {
    0x6A82: "file or application not found",
    0x6A81: "function not supported",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
    0x6999: "applet selection failed",
}


def _msg(hresult: int) -> str:
    try:
        return str(scard.SCardGetErrorMessage(hresult)).strip()
    except Exception:  # pragma: no cover - pyscard formats every code it knows
        return f"0x{hresult & 0xFFFFFFFF:08X}"


def translate(hresult: int, doing: str) -> IdCardError:
    """Turn a PC/SC result code into the named error for what was being done."""
    code = f"{_msg(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"
    if hresult in _NO_SERVICE:
        return PcscUnavailable(
            f"The smart card service (pcscd) is not running ({doing}: {code}). Call counter staff."
        )
    if hresult in _READER_GONE:
        return ReaderLost(
            f"The ID card reader went away while {doing} ({code}). "
            "Check its cable; call counter staff."
        )
    if hresult in _CARD_GONE:
        return CardRemoved(
            f"The card left the reader while {doing} ({code}). "
            "Place it on the reader again and hold it still."
        )
    if hresult in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
        return NoCard()
    return BadResponse(
        f"The reader failed while {doing}: {code}. Place the card on the reader again."
    )


def _sw_text(sw: int) -> str:
    return f"{sw:04X}"


class PcscReader:
    """An ID card reader reached through pcscd.

    Args:
        pattern: regular expression searched (case-insensitively) in the reader names; the first
            match is used. ``""`` takes the first reader.
        profile: the APDUs to read the record with.
    """

    transport: ClassVar[str] = "pcsc"
    reports_removal: ClassVar[bool] = True

    def __init__(self, pattern: str = "", profile: ApduProfile | None = None):
        try:
            self._pattern = re.compile(pattern, re.IGNORECASE)
        except re.error as e:
            raise NoReader(
                f"The reader name pattern {pattern!r} is not a valid regular expression: {e}."
            ) from e
        self.profile = profile or ApduProfile()
        self.reader_name: str | None = None
        self._ctx: int | None = None
        self._state: int = scard.SCARD_STATE_UNAWARE
        self._lock = threading.Lock()
        #: APDUs sent in the last :meth:`read` (for the bench and logs).
        self.apdu_count = 0

    @property
    def description(self) -> str:
        """The chosen reader's name, or the pattern before :meth:`open`."""
        return self.reader_name or f"PC/SC reader matching {self._pattern.pattern!r}"

    # -- connection -------------------------------------------------------------------------
    def open(self) -> None:
        """Connect to pcscd and choose the reader.

        Raises:
            PcscUnavailable: pcscd is not running.
            NoReader: no reader, or none whose name matches the pattern.
        """
        if self._ctx is None:
            hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hr != scard.SCARD_S_SUCCESS:
                raise (
                    translate(hr, "connecting to pcscd")
                    if hr in _NO_SERVICE
                    else PcscUnavailable(
                        f"Cannot connect to the smart card service: {_msg(hr)}. Call counter staff."
                    )
                )
            self._ctx = ctx
        hr, readers = scard.SCardListReaders(self._ctx, [])
        if hr == scard.SCARD_E_NO_READERS_AVAILABLE or (
            hr == scard.SCARD_S_SUCCESS and not readers
        ):
            self.close()
            raise NoReader()
        if hr != scard.SCARD_S_SUCCESS:
            self.close()
            raise translate(hr, "listing readers")
        for name in readers:
            if self._pattern.search(name):
                self.reader_name = name
                self._state = scard.SCARD_STATE_UNAWARE
                return
        self.close()
        raise NoReader(
            f"No ID card reader matches {self._pattern.pattern!r}; connected: "
            f"{', '.join(readers)}. Check [devices.reader] reader_pattern in kiosk.toml."
        )

    def close(self) -> None:
        """Release the PC/SC context."""
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            scard.SCardReleaseContext(ctx)

    def cancel(self) -> None:
        """Wake a blocked wait (SCardCancel is safe from another thread)."""
        ctx = self._ctx
        if ctx is not None:
            scard.SCardCancel(ctx)

    def _require(self) -> tuple[int, str]:
        if self._ctx is None or self.reader_name is None:
            self.open()
        assert self._ctx is not None and self.reader_name is not None  # set by open()
        return self._ctx, self.reader_name

    # -- presence ---------------------------------------------------------------------------
    def _status_change(self, timeout: float) -> int:
        """Wait up to ``timeout`` for the reader's state to differ from the last seen one."""
        ctx, name = self._require()
        hr, states = scard.SCardGetStatusChange(
            ctx, max(0, int(timeout * 1000)), [(name, self._state)]
        )
        if hr in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
            return self._state
        if hr != scard.SCARD_S_SUCCESS:
            raise translate(hr, "watching the reader")
        state = int(states[0][1])
        if state & (
            scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE
        ):
            raise ReaderLost(f"The reader {name!r} went away. Check its cable; call counter staff.")
        self._state = state & ~scard.SCARD_STATE_CHANGED
        return self._state

    def _present(self, state: int) -> bool:
        return bool(state & scard.SCARD_STATE_PRESENT) and not state & scard.SCARD_STATE_MUTE

    def wait_for_card(self, timeout: float) -> None:
        """Block until a card is present (see :class:`~hardware.idcard.base.IdCardReader`)."""
        deadline = time.monotonic() + timeout
        state = self._status_change(0)
        while not self._present(state):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoCard()
            before = state
            state = self._status_change(left)
            if state == before and time.monotonic() < deadline:
                # cancelled: report as no card so the caller re-checks its stop flag
                raise NoCard()

    def card_present(self) -> bool:
        """Whether a card is on the reader now."""
        return self._present(self._status_change(0))

    def wait_for_removal(self, timeout: float) -> bool:
        """Block until the card leaves; False on timeout."""
        deadline = time.monotonic() + timeout
        state = self._status_change(0)
        while self._present(state):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            before = state
            state = self._status_change(left)
            if state == before:
                return False
        return True

    # -- reading ----------------------------------------------------------------------------
    def read(self) -> IdCardRecord:
        """Read and parse the record of the card on the reader (not validated)."""
        with self._lock:
            ctx, name = self._require()
            hr, hcard, proto = scard.SCardConnect(
                ctx,
                name,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            if hr != scard.SCARD_S_SUCCESS:
                raise translate(hr, "connecting to the card")
            self.apdu_count = 0
            try:
                text, photo = self._read_files(hcard, proto)
            finally:
                scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
        return parse_text_record(text, photo)

    def _read_files(self, hcard: int, proto: int) -> tuple[bytes, bytes]:
        p = self.profile
        _data, sw = self._command(hcard, proto, p.select_aid(), "selecting the ID application")
        if sw in _NOT_THERE:
            raise NotAnIdCard(
                f"The card refused the ID application (status {_sw_text(sw)}: {_NOT_THERE[sw]}). "
                "This is not a resident ID card, or the reader profile is wrong."
            )
        if sw != SW_OK:
            raise BadResponse(
                f"SELECT of the ID application answered status {_sw_text(sw)}. "
                "Place the card again."
            )
        text = self._read_file(hcard, proto, p.text_file, p.text_length, "text record")
        photo = self._read_file(hcard, proto, p.photo_file, p.photo_length, "photo record")
        return text, photo

    def _read_file(self, hcard: int, proto: int, fid: bytes, length: int, what: str) -> bytes:
        p = self.profile
        _d, sw = self._command(hcard, proto, p.select_file(fid), f"selecting the {what}")
        if sw in _NOT_THERE:
            raise NotAnIdCard(
                f"The card has no {what} (status {_sw_text(sw)}). This is not a resident ID card."
            )
        if sw != SW_OK:
            raise BadResponse(
                f"SELECT of the {what} answered status {_sw_text(sw)}. Place the card again."
            )
        out = bytearray()
        while len(out) < length:
            want = min(p.chunk, length - len(out))
            data, sw = self._command(
                hcard, proto, p.read_binary(len(out), want), f"reading the {what}"
            )
            if sw not in (SW_OK, SW_END_OF_FILE):
                raise BadResponse(
                    f"Reading the {what} at byte {len(out)} answered status {_sw_text(sw)}. "
                    "Place the card again."
                )
            if len(data) > want:
                raise BadResponse(
                    f"The card sent {len(data)} bytes of the {what} where {want} were asked. "
                    "Place the card again."
                )
            if not data or (sw == SW_END_OF_FILE and len(out) + len(data) < length):
                raise BadResponse(
                    f"The {what} ended after {len(out) + len(data)} of {length} bytes. "
                    "Place the card again."
                )
            out += data
        return bytes(out)

    def _transmit(self, hcard: int, proto: int, apdu: list[int], doing: str) -> tuple[bytes, int]:
        self.apdu_count += 1
        if self.apdu_count > MAX_APDUS:
            raise BadResponse(
                f"The card needed more than {MAX_APDUS} commands while {doing}. "
                "Place the card again."
            )
        hr, resp = scard.SCardTransmit(hcard, proto, apdu)
        if hr != scard.SCARD_S_SUCCESS:
            raise self._transmit_error(hr, doing)
        # vpcd (and some real readers) answer a command the card never finished with nothing;
        # the reader's state, polled briefly, tells a card taken away from a mute one.
        if not resp and self.wait_for_removal(1.0):
            raise CardRemoved(
                f"The card left the reader while {doing}. "
                "Place it on the reader again and hold it still."
            )
        if len(resp) < 2:
            raise BadResponse(
                f"The card's answer while {doing} had {len(resp)} bytes, no status word. "
                "Place the card again."
            )
        return bytes(resp[:-2]), (resp[-2] << 8) | resp[-1]

    def _transmit_error(self, hr: int, doing: str) -> IdCardError:
        # A failed transmit often carries a generic code; the reader's state says what happened.
        error = translate(hr, doing)
        if isinstance(error, CardRemoved | ReaderLost | PcscUnavailable):
            return error
        try:
            present = self.card_present()
        except IdCardError as e:
            return e
        if not present:
            return CardRemoved(
                f"The card left the reader while {doing}. "
                "Place it on the reader again and hold it still."
            )
        return error

    def _command(self, hcard: int, proto: int, apdu: list[int], doing: str) -> tuple[bytes, int]:
        """Send one command, following ``61xx`` chains and ``6Cxx`` length corrections."""
        data, sw = self._transmit(hcard, proto, apdu, doing)
        if sw >> 8 == 0x6C and len(apdu) >= 5:
            retry = [*apdu[:-1], sw & 0xFF]
            data, sw = self._transmit(hcard, proto, retry, doing)
            if sw >> 8 == 0x6C:
                raise BadResponse(
                    f"The card asked twice for another length while {doing}. Place the card again."
                )
        out = bytearray(data)
        while sw >> 8 == 0x61:
            more, sw = self._transmit(hcard, proto, self.profile.get_response(sw & 0xFF), doing)
            out += more
        return bytes(out), sw
