"""Judging a parsed record: may the kiosk accept this card today?

Checks, each failing with its own named error:

- the ID number is 17 digits and a check character (GB 11643-1999, ISO 7064 MOD 11-2);
- the birth date embedded in the number (digits 7-14) equals the card's birth field;
- the sex field agrees with the number's sequence digit (odd male, even female);
- sex and nation codes are known (GB/T 2261.1, GB 3304: 01-56, 97, 98; a 'J' permit has none);
- today (Asia/Shanghai) lies inside the validity period, end day included; 长期 never ends.

The number's rules are the domain's (``kiosk.domain.identifiers``): only the province of the
area code is checked, never the county against the holder's birth year (the code names where
the number was issued, which can be younger than its holder; permits use 81/82/83).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

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
from kiosk.domain.clock import utc_now
from kiosk.domain.identifiers import (
    check_id_card_period,
    parse_resident_id,
    resident_id_check_char,
)
from kiosk.errors import IdentifierError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_shanghai(now: dt.datetime | None = None) -> dt.date:
    """The calendar date at the counter (Asia/Shanghai), whatever the host's time zone."""
    now = now or utc_now()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(SHANGHAI).date()


def check_id_number(number: str, today: dt.date | None = None) -> dt.date:
    """Check an ID number's form and check character; return its embedded birth date.

    The rules are the domain's (:func:`kiosk.domain.identifiers.parse_resident_id`); this
    translates its refusals into the reader's named errors.

    Args:
        number: 18 characters; a lower-case ``x`` is accepted as ``X``.
        today: when given, a birth date after it is refused.

    Returns:
        The birth date in digits 7-14.

    Raises:
        BadIdNumber: not 17 digits and a check character, an unknown province, or an impossible
            embedded birth date.
        BadCheckCharacter: the check character does not match.
    """
    try:
        return parse_resident_id(number, today).birth_date
    except IdentifierError as e:
        if e.code == "id.checksum":
            clean = number.strip().upper()
            raise BadCheckCharacter(
                f"The ID number's check character is {clean[17]} but should be "
                f"{resident_id_check_char(clean[:17])}; the number was misread or is forged. "
                "Call counter staff."
            ) from e
        raise BadIdNumber(f"The ID number is not valid: {e.message}. Call counter staff.") from e


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
    embedded = check_id_number(record.id_number, today)
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
    try:
        check_id_card_period(record.valid_from, record.valid_to, today)
    except IdentifierError as e:
        if e.code == "id.card_not_yet_valid":
            raise CardNotYetValid(
                f"This card is valid only from {record.valid_from.isoformat()}. Call counter staff."
            ) from e
        raise CardExpired(
            f"This ID card expired on {record.valid_to}. An expired card cannot be "
            "used; bring a valid one (or a temporary ID card)."
        ) from e
    return record
