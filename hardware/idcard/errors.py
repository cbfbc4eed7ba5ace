"""The named errors of the ID card reader, one per thing that can go wrong.

Every failure of reading or checking a card is one of these (all :class:`kiosk.errors.IdCardError`
with a stable ``code``). Screens pick their zh-CN text by ``code``; the English ``message`` says
what happened and what to do next. pyscard and pyserial exceptions are translated into these at
the adapter boundary and never leave ``hardware.idcard``.
"""

from __future__ import annotations

from kiosk.errors import IdCardError

__all__ = [
    "BadCheckCharacter",
    "BadIdNumber",
    "BadResponse",
    "BirthMismatch",
    "CardExpired",
    "CardNotYetValid",
    "CardRemoved",
    "CorruptRecord",
    "IdCardError",
    "NoCard",
    "NoReader",
    "NotAnIdCard",
    "PcscUnavailable",
    "ReaderLost",
    "SamFrameError",
    "SamStatusError",
    "SamTimeout",
    "SexMismatch",
    "UnknownNation",
    "UnknownSex",
    "UnsupportedCardType",
]

_AGAIN = "Place the card on the reader again."
_STAFF = "Call counter staff."


class _Named(IdCardError):
    default_message = "The ID card could not be read."

    def __init__(self, message: str | None = None, *, code: str | None = None):
        super().__init__(message or self.default_message, code=code)


class NoReader(_Named):
    """No reader (or none matching the configured name pattern) is connected."""

    code = "idcard.no_reader"
    title = "No ID card reader"
    default_message = f"No ID card reader is connected. {_STAFF}"


class PcscUnavailable(_Named):
    """The PC/SC service (pcscd) is not running or refused the connection."""

    code = "idcard.pcsc_unavailable"
    title = "Card service not running"
    default_message = f"The smart card service (pcscd) is not running. {_STAFF}"


class ReaderLost(_Named):
    """The reader disappeared (unplugged, or its driver stopped) during the operation."""

    code = "idcard.reader_lost"
    title = "Reader disconnected"
    default_message = f"The ID card reader was disconnected. Check its cable; {_STAFF.lower()}"


class NoCard(_Named):
    """No card was placed before the timeout."""

    code = "idcard.no_card"
    title = "No card"
    default_message = f"No ID card was placed on the reader in time. {_AGAIN}"


class CardRemoved(_Named):
    """The card left the reader before the record was read completely."""

    code = "idcard.card_removed"
    title = "Card removed"
    default_message = f"The card was taken away before it was read. {_AGAIN} Hold it still."


class NotAnIdCard(_Named):
    """The card answered, but it is not a resident ID card (SELECT refused, SAM: unknown card)."""

    code = "idcard.not_id_card"
    title = "Not an ID card"
    default_message = "This card is not a resident ID card. Place your resident ID card."


class UnsupportedCardType(_Named):
    """A genuine card of a type this counter does not take (foreign permanent residence card)."""

    code = "idcard.unsupported_card_type"
    title = "Card type not accepted"
    default_message = (
        "This is a foreign permanent residence card; the kiosk takes resident ID cards and "
        f"Hong Kong/Macau/Taiwan residence permits. {_STAFF}"
    )


class BadResponse(_Named):
    """The card or reader answered outside the protocol: short, over-long, unknown status word."""

    code = "idcard.bad_response"
    title = "Card answered badly"
    default_message = f"The card gave an unexpected answer. {_AGAIN}"


class CorruptRecord(_Named):
    """The text record read from the card cannot be decoded (bad UTF-16, non-digit dates …)."""

    code = "idcard.corrupt_record"
    title = "Card data unreadable"
    default_message = (
        f"The data on the card could not be read correctly. {_AGAIN} "
        f"If it fails again, {_STAFF.lower()}"
    )


class BadIdNumber(_Named):
    """The ID number is not 17 digits and a check character."""

    code = "idcard.bad_id_number"
    title = "Invalid ID number"
    default_message = f"The ID number on the card is not valid. {_STAFF}"


class BadCheckCharacter(_Named):
    """The ID number's check character (GB 11643, ISO 7064 MOD 11-2) does not match."""

    code = "idcard.bad_check_char"
    title = "Invalid ID number"
    default_message = f"The ID number's check character is wrong. {_STAFF}"


class BirthMismatch(_Named):
    """The birth date inside the ID number differs from the card's birth date field."""

    code = "idcard.birth_mismatch"
    title = "Birth date mismatch"
    default_message = f"The birth date does not match the ID number. {_STAFF}"


class SexMismatch(_Named):
    """The sex field disagrees with the ID number's sequence digit (odd male, even female)."""

    code = "idcard.sex_mismatch"
    title = "Sex mismatch"
    default_message = f"The sex on the card does not match the ID number. {_STAFF}"


class UnknownSex(_Named):
    """The sex code is not one of GB/T 2261.1's."""

    code = "idcard.unknown_sex"
    title = "Unknown sex code"
    default_message = f"The card carries an unknown sex code. {_STAFF}"


class UnknownNation(_Named):
    """The nation code is not one of GB 3304's (01-56, 97, 98)."""

    code = "idcard.unknown_nation"
    title = "Unknown nation code"
    default_message = f"The card carries an unknown nation code. {_STAFF}"


class CardExpired(_Named):
    """The card's validity ended before today (Asia/Shanghai)."""

    code = "idcard.expired"
    title = "ID card expired"
    default_message = "This ID card has expired. An expired card cannot be used; bring a valid one."


class CardNotYetValid(_Named):
    """The card's validity starts after today (Asia/Shanghai)."""

    code = "idcard.not_yet_valid"
    title = "ID card not yet valid"
    default_message = f"This ID card's validity has not started yet. {_STAFF}"


class SamFrameError(_Named):
    """A SAM frame has a bad preamble, length or check byte."""

    code = "idcard.sam_frame"
    title = "Reader communication error"
    default_message = (
        f"The reader's answer was garbled. {_AGAIN} If it keeps failing, {_STAFF.lower()}"
    )


class SamTimeout(_Named):
    """The SAM (the reader's security module) did not answer in time."""

    code = "idcard.sam_timeout"
    title = "Reader not answering"
    default_message = (
        f"The ID card reader does not answer. Check it is switched on; {_STAFF.lower()}"
    )


class SamStatusError(_Named):
    """The SAM answered with a failure status (authentication failed, read failed, …)."""

    code = "idcard.sam_status"
    title = "Reader refused"
    default_message = f"The reader could not read the card. {_AGAIN}"
