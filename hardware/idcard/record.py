"""The card's record: the 256-byte text layout, its parser, and the value both transports return.

Layout of the text record (UCS-2 little endian, fields padded with spaces), as certified readers
deliver it after the SAM has authenticated the card:

=========  =====  ==============================================================
offset     bytes  field
=========  =====  ==============================================================
0          30     name (15 characters)
30         2      sex code (GB/T 2261.1)
32         4      nation code (GB 3304), blank on a HK/Macau/Taiwan permit
36         16     birth date YYYYMMDD
52         70     address (35 characters)
122        36     ID number (18 characters)
158        30     issuing authority
188        16     valid from YYYYMMDD
204        16     valid to YYYYMMDD, or 长期 (long-term)
220        18     permit ('J'): pass number (港澳台居民来往内地通行证号码, 9 characters)
238        4      permit ('J'): issue count (签发次数, 2 digits)
242        6      reserved
248        2      card type flag: blank = resident ID, ``J`` = HK/Macau/Taiwan residence
                  permit, ``I`` = foreign permanent residence card (2017), ``Y`` = (2023)
250        6      reserved
=========  =====  ==============================================================

The foreign permanent residence cards reuse the 256 bytes with another layout (English name
first); only the type flag at offset 248 is shared, which is how they are recognised.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from hardware.idcard.codes import NATIONS, SEXES
from hardware.idcard.errors import CorruptRecord, UnsupportedCardType

TEXT_LENGTH = 256
PHOTO_LENGTH = 1024
LONG_TERM = "长期"

#: (name, offset, length in bytes) of every field of the resident ID / 'J' permit layout.
FIELDS: tuple[tuple[str, int, int], ...] = (
    ("name", 0, 30),
    ("sex", 30, 2),
    ("nation", 32, 4),
    ("birth", 36, 16),
    ("address", 52, 70),
    ("id_number", 122, 36),
    ("authority", 158, 30),
    ("valid_from", 188, 16),
    ("valid_to", 204, 16),
    ("pass_number", 220, 18),
    ("issue_count", 238, 4),
    ("reserved1", 242, 6),
    ("type_flag", 248, 2),
    ("reserved2", 250, 6),
)
_LAYOUT = {name: (offset, length) for name, offset, length in FIELDS}


class CardType(enum.StrEnum):
    """What kind of card the record came from."""

    RESIDENT_ID = "resident_id"
    """居民身份证, the resident identity card."""
    HMT_PERMIT = "hmt_permit"
    """港澳台居民居住证 (type flag ``J``): residence permit for HK, Macau and Taiwan residents."""


@dataclass(frozen=True)
class IdCardRecord:
    """What an ID card says, parsed but not yet judged (see :mod:`hardware.idcard.validation`).

    Attributes:
        name: the holder's name (may hold Ext-A characters such as 䶮).
        sex: sex code, ``"1"`` male, ``"2"`` female.
        nation: nation code ``"01"``-``"56"``, ``"97"``, ``"98"``; ``""`` on a 'J' permit.
        birth_date: from the birth field.
        address: household address.
        id_number: 17 digits and a check character.
        authority: the issuing authority (签发机关).
        valid_from: first day of validity.
        valid_to: last day of validity, ``None`` for 长期 (long-term).
        card_type: resident ID or HK/Macau/Taiwan permit.
        pass_number: the permit's travel pass number ('J' only).
        issue_count: how many times the permit was issued ('J' only).
        photo: the raw photo record (WLT-compressed on a real card; decoding needs the
            vendor's licensed library, so the kiosk keeps the bytes as they are).
    """

    name: str
    sex: str
    nation: str
    birth_date: dt.date
    address: str
    id_number: str
    authority: str
    valid_from: dt.date
    valid_to: dt.date | None
    card_type: CardType = CardType.RESIDENT_ID
    pass_number: str | None = None
    issue_count: int | None = None
    photo: bytes = field(default=b"", repr=False)

    @property
    def long_term(self) -> bool:
        """True when the validity ends in 长期."""
        return self.valid_to is None

    @property
    def sex_name(self) -> str:
        """The sex as printed (男/女), or ``""`` for an unknown code."""
        return SEXES.get(self.sex, "")

    @property
    def nation_name(self) -> str:
        """The nation as printed on the card (汉, 蒙古 …), or ``""``."""
        return NATIONS.get(self.nation, "")

    @property
    def masked_id_number(self) -> str:
        """The ID number with only the first 6 and last 4 characters shown."""
        return mask_id_number(self.id_number)

    def to_dict(self, *, full: bool = False) -> dict[str, object]:
        """The record as JSON-ready data (the CLI's ``--json`` keys).

        Args:
            full: show the ID number (and pass number) in full instead of masked.
        """
        data: dict[str, object] = {
            "name": self.name,
            "sex": self.sex_name or self.sex,
            "nation": self.nation_name or self.nation,
            "birth_date": self.birth_date.isoformat(),
            "address": self.address,
            "id_number": self.id_number if full else self.masked_id_number,
            "authority": self.authority,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": "long-term" if self.valid_to is None else self.valid_to.isoformat(),
            "card_type": self.card_type.value,
            "photo_bytes": len(self.photo),
        }
        if self.card_type is CardType.HMT_PERMIT:
            data["pass_number"] = (
                self.pass_number if full else mask_middle(self.pass_number or "", 1, 2)
            )
            data["issue_count"] = self.issue_count
        return data


def mask_id_number(number: str) -> str:
    """Mask an ID number for screen and paper: first 6 and last 4 shown (``441900********123X``)."""
    return mask_middle(number, 6, 4)


def mask_middle(text: str, head: int, tail: int) -> str:
    """Replace all but ``head`` leading and ``tail`` trailing characters with ``*``."""
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]


def _decode(text: bytes, name: str) -> str:
    offset, length = _LAYOUT[name]
    raw = text[offset : offset + length]
    try:
        value = raw.decode("utf-16-le", errors="strict")
    except UnicodeDecodeError as e:
        raise CorruptRecord(
            f"The card's {name.replace('_', ' ')} field is not valid UTF-16 text. "
            "Place the card on the reader again."
        ) from e
    # Fields are padded with spaces; some readers pad with NUL instead.
    value = value.rstrip(" \x00").lstrip(" ")
    for ch in value:
        if ch < " " or ch == "\x7f":
            raise CorruptRecord(
                f"The card's {name.replace('_', ' ')} field holds a control character "
                f"U+{ord(ch):04X}. Place the card on the reader again."
            )
    return value


def parse_date(value: str, what: str) -> dt.date:
    """Parse a YYYYMMDD field.

    Raises:
        CorruptRecord: not eight ASCII digits, or not a calendar date.
    """
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise CorruptRecord(
            f"The card's {what} is {value!r}, not a date of eight digits (YYYYMMDD). "
            "Place the card on the reader again."
        )
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as e:
        raise CorruptRecord(
            f"The card's {what} {value} is not a calendar date. Place the card on the reader again."
        ) from e


def parse_text_record(text: bytes, photo: bytes = b"") -> IdCardRecord:
    """Parse the 256-byte text record (and keep the photo bytes as they are).

    Only the structure is checked here: text decodes, dates are dates, the type flag is
    known. Whether the card may be accepted is decided by
    :func:`hardware.idcard.validation.validate_record`.

    Args:
        text: exactly 256 bytes, UCS-2LE.
        photo: the photo record (any length; 1024 bytes on a real card).

    Returns:
        The parsed record.

    Raises:
        CorruptRecord: wrong length, invalid UTF-16, control characters, non-digit or impossible
            dates, unknown card type flag.
        UnsupportedCardType: a foreign permanent residence card (flag ``I`` or ``Y``).
    """
    if not isinstance(text, bytes | bytearray) or len(text) != TEXT_LENGTH:
        size = len(text) if isinstance(text, bytes | bytearray) else "no"
        raise CorruptRecord(
            f"The card's text record has {size} bytes instead of {TEXT_LENGTH}. "
            "Place the card on the reader again."
        )
    text = bytes(text)
    flag = _decode(text, "type_flag")
    if flag in ("I", "Y"):
        raise UnsupportedCardType()
    if flag not in ("", "J"):
        raise CorruptRecord(
            f"The card's type flag {flag!r} is unknown. Place the card on the reader again."
        )
    card_type = CardType.HMT_PERMIT if flag == "J" else CardType.RESIDENT_ID
    fields = {name: _decode(text, name) for name, _o, _l in FIELDS}
    valid_to_text = fields["valid_to"]
    valid_to = None if valid_to_text == LONG_TERM else parse_date(valid_to_text, "validity end")
    pass_number: str | None = None
    issue_count: int | None = None
    if card_type is CardType.HMT_PERMIT:
        pass_number = fields["pass_number"]
        count = fields["issue_count"]
        if not (count.isascii() and count.isdigit()):
            raise CorruptRecord(
                f"The permit's issue count {count!r} is not a number. "
                "Place the card on the reader again."
            )
        issue_count = int(count)
    return IdCardRecord(
        name=fields["name"],
        sex=fields["sex"],
        nation=fields["nation"],
        birth_date=parse_date(fields["birth"], "birth date"),
        address=fields["address"],
        id_number=fields["id_number"],
        authority=fields["authority"],
        valid_from=parse_date(fields["valid_from"], "validity start"),
        valid_to=valid_to,
        card_type=card_type,
        pass_number=pass_number,
        issue_count=issue_count,
        photo=bytes(photo),
    )


def _encode_field(value: str, length: int) -> bytes:
    raw = value.encode("utf-16-le")
    if len(raw) > length:
        raise ValueError(f"{value!r} needs {len(raw)} bytes; the field has {length}")
    return raw + " ".encode("utf-16-le") * ((length - len(raw)) // 2)


def encode_text_record(record: IdCardRecord) -> bytes:
    """Build the 256-byte text record a card carries for ``record`` (used by the stand-ins).

    Raises:
        ValueError: a value does not fit its field.
    """
    values = {
        "name": record.name,
        "sex": record.sex,
        "nation": record.nation,
        "birth": record.birth_date.strftime("%Y%m%d"),
        "address": record.address,
        "id_number": record.id_number,
        "authority": record.authority,
        "valid_from": record.valid_from.strftime("%Y%m%d"),
        "valid_to": LONG_TERM if record.valid_to is None else record.valid_to.strftime("%Y%m%d"),
        "pass_number": record.pass_number or "",
        "issue_count": "" if record.issue_count is None else f"{record.issue_count:02d}",
        "reserved1": "",
        "type_flag": "J" if record.card_type is CardType.HMT_PERMIT else "",
        "reserved2": "",
    }
    return b"".join(_encode_field(values[name], length) for name, _o, length in FIELDS)
