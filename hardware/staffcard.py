"""Staff cards on a PC/SC reader: read the card's UID (pyscard), for sign-in by card + PIN.

The UID comes from the reader's pseudo-APDU GET DATA ``FF CA 00 00 00`` (PC/SC part 3), which
contactless readers answer for any card. pyscard's exceptions never leave this module: they are
translated to :class:`~kiosk.errors.DeviceError` with a ``staffcard.*`` code.

The stand-in is :mod:`hardware.sim.staffcard` (a virtual card for pcscd + vsmartcard-vpcd).
"""

from __future__ import annotations

import contextlib
import re
from typing import Protocol

from kiosk.errors import DeviceError

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]


class StaffCardReader(Protocol):
    """Reads the UID of the staff card placed on the reader."""

    def read_uid(self, timeout_s: float | None = None) -> str:
        """Wait for a card (up to ``timeout_s``) and return its UID as upper-case hex.

        Raises:
            DeviceError: ``staffcard.no_service`` (no pcscd), ``staffcard.no_reader``,
                ``staffcard.timeout`` (no card placed), ``staffcard.removed`` (taken off too
                early), ``staffcard.no_uid`` (the card or reader refused GET DATA).
        """
        ...


class PcscStaffCardReader:
    """A PC/SC reader through pyscard.

    Args:
        reader_pattern: regular expression matched against reader names; the first match is used.
        timeout_s: default wait for a card.
    """

    contactless = True

    def __init__(self, reader_pattern: str = ".*", timeout_s: float = 30.0):
        self.pattern = re.compile(reader_pattern)
        self.timeout_s = timeout_s

    def reader_name(self) -> str:
        """The name of the reader used.

        Raises:
            DeviceError: ``staffcard.no_service`` or ``staffcard.no_reader``.
        """
        from smartcard.Exceptions import SmartcardException
        from smartcard.System import readers

        try:
            names = [str(r) for r in readers()]
        except SmartcardException as e:
            raise DeviceError(
                f"the smart card service (pcscd) is not running: {e}", code="staffcard.no_service"
            ) from e
        for name in names:
            if self.pattern.search(name):
                return name
        raise DeviceError(
            f"no staff card reader matches {self.pattern.pattern!r} (readers: {names or 'none'})",
            code="staffcard.no_reader",
        )

    def read_uid(self, timeout_s: float | None = None) -> str:
        """Wait for a card and read its UID (see :class:`StaffCardReader`)."""
        from smartcard.CardRequest import CardRequest
        from smartcard.CardType import AnyCardType
        from smartcard.Exceptions import (
            CardConnectionException,
            CardRequestTimeoutException,
            NoCardException,
            SmartcardException,
        )

        name = self.reader_name()
        wait = self.timeout_s if timeout_s is None else timeout_s
        request = None
        try:
            request = CardRequest(timeout=wait, readers=[name], cardType=AnyCardType())
            service = request.waitforcard()
        except CardRequestTimeoutException as e:
            raise DeviceError(
                f"no staff card was placed on {name} within {wait:g} s", code="staffcard.timeout"
            ) from e
        except SmartcardException as e:
            raise DeviceError(f"{name}: {e}", code="staffcard.reader_error") from e
        finally:
            # Release the PC/SC contexts now: pyscard otherwise frees them in __del__, which
            # raises (and prints) when pcscd has gone away in the meantime.
            inner = getattr(request, "pcsccardrequest", None)
            with contextlib.suppress(SmartcardException):
                if inner is not None:
                    inner.release()
        conn = service.connection
        try:
            conn.connect()
            data, sw1, sw2 = conn.transmit(GET_UID)
        except (NoCardException, CardConnectionException) as e:
            raise DeviceError(
                "the staff card was taken off the reader too early; place it again",
                code="staffcard.removed",
            ) from e
        finally:
            with contextlib.suppress(SmartcardException):
                conn.disconnect()
            with contextlib.suppress(SmartcardException):
                conn.release()
        if (sw1, sw2) != (0x90, 0x00) or not 4 <= len(data) <= 10:
            raise DeviceError(
                f"this card gave no UID (status {sw1:02X}{sw2:02X}); is it a staff card?",
                code="staffcard.no_uid",
            )
        return bytes(data).hex().upper()
