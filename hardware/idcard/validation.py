"""Judging a parsed record: may the kiosk accept this card today?

Checks, each failing with its own named error:

- the ID number is 17 digits and a check character (GB 11643-1999, ISO 7064 MOD 11-2);
- the birth date embedded in the number (digits 7-14) equals the card's birth field;
- the sex field agrees with the number's sequence digit (odd male, even female);
- sex and nation codes are known (GB/T 2261.1, GB 3304: 01-56, 97, 98; a 'J' permit has none);
- today (Asia/Shanghai) lies inside the validity period, end day included; 长期 never ends.

The area code (digits 1-6) is deliberately not checked against a table: it names where the
number was issued, which can be younger than its holder (DOMAIN.md), and permits use 81/82/83.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from stdnum.cn import ric

from hardware.idcard.codes import NATIONS, SEXES
from hardware.idcard.errors import (
    BadCheckCharacter,
    BadIdNumber,
    BirthMismatch,
    CardExpired,
    CardNotYetValid,
    SexMismatch,
    UnknownNation,
    UnknownSex,
)
from hardware.idcard.record import CardType, IdCardRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_shanghai(now: dt.datetime | None = None) -> dt.date:
    """The calendar date at the counter (Asia/Shanghai), whatever the host's time zone."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(SHANGHAI).date()


def check_id_number(number: str) -> dt.date:
    """Check an ID number's form and check character; return its embedded birth date.

    Args:
        number: 18 characters; a lower-case ``x`` is accepted as ``X``.

    Returns:
        The birth date in digits 7-14.

    Raises:
        BadIdNumber: not 17 digits and a check character, or the embedded date is impossible.
        BadCheckCharacter: the check character does not match.
    """
    number = number.strip().upper()
    if len(number) != 18 or not (number[:17].isascii() and number[:17].isdigit()):
        raise BadIdNumber(
            f"The ID number {_show(number)} is not 17 digits and a check character. "
            "Call counter staff."
        )
    if not (number[17].isdigit() or number[17] == "X") or not number[17].isascii():
        raise BadIdNumber(
            f"The ID number's last character {number[17]!r} is not a digit or X. "
            "Call counter staff."
        )
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        raise BadCheckCharacter(
            f"The ID number's check character is {number[17]} but should be {expected}; "
            "the number was misread or is forged. Call counter staff."
        )
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as e:
        raise BadIdNumber(
            f"The ID number's birth date {number[6:14]} is not a calendar date. Call counter staff."
        ) from e


def validate_record(record: IdCardRecord, today: dt.date | None = None) -> IdCardRecord:
    """Accept or refuse a record read from a card.

    Args:
        record: as parsed from the card (or entered by staff).
        today: the counter's date; defaults to today in Asia/Shanghai.

    Returns:
        The same record, when every check passes.

    Raises:
        BadIdNumber, BadCheckCharacter, BirthMismatch, SexMismatch, UnknownSex, UnknownNation,
        CardExpired, CardNotYetValid: the first check that fails, in the order listed.
    """
    today = today or today_in_shanghai()
    embedded = check_id_number(record.id_number)
    if embedded != record.birth_date:
        raise BirthMismatch(
            f"The ID number says born {embedded.isoformat()} but the card says "
            f"{record.birth_date.isoformat()}. Call counter staff."
        )
    if record.sex not in SEXES:
        raise UnknownSex(f"The card's sex code {record.sex!r} is unknown. Call counter staff.")
    if record.sex in ("1", "2"):
        odd = int(record.id_number[16]) % 2 == 1
        if odd != (record.sex == "1"):
            raise SexMismatch()
    if record.card_type is CardType.HMT_PERMIT:
        if record.nation not in ("", *NATIONS):
            raise UnknownNation(
                f"The permit's nation code {record.nation!r} is unknown. Call counter staff."
            )
    elif record.nation not in NATIONS:
        raise UnknownNation(
            f"The card's nation code {record.nation!r} is not in GB 3304 (01-56, 97, 98). "
            "Call counter staff."
        )
    if today < record.valid_from:
        raise CardNotYetValid(
            f"This card is valid only from {record.valid_from.isoformat()}. Call counter staff."
        )
    if record.valid_to is not None and today > record.valid_to:
        raise CardExpired(
            f"This ID card expired on {record.valid_to.isoformat()}. An expired card cannot be "
            "used; bring a valid one (or a temporary ID card)."
        )
    return record


def _show(number: str) -> str:
    # An invalid number is still personal data: show its shape, not its digits.
    return f"({len(number)} characters)"
