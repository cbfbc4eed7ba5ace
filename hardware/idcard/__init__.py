"""The agent's resident ID card: one small interface, two transports (PC/SC, SAM serial).

Typical use::

    from hardware.idcard import make_reader, read_validated
    reader = make_reader("pcsc", ReaderOptions(reader_pattern="Virtual PCD 00 00"))
    reader.open()
    try:
        record = read_validated(reader, timeout=30)
    finally:
        reader.close()

Every failure is a named :class:`kiosk.errors.IdCardError` (see :mod:`hardware.idcard.errors`).
"""

from hardware.idcard.base import CardEvent, CardMonitor, IdCardReader, read_validated
from hardware.idcard.codes import NATIONS, SEXES, nation_full_name
from hardware.idcard.factory import (
    BACKENDS,
    ReaderConfig,
    ReaderOptions,
    make_reader,
    reader_from_settings,
)
from hardware.idcard.profile import ApduProfile
from hardware.idcard.record import (
    CardType,
    IdCardRecord,
    encode_text_record,
    mask_id_number,
    parse_text_record,
)
from hardware.idcard.validation import check_id_number, today_in_shanghai, validate_record

__all__ = [
    "BACKENDS",
    "NATIONS",
    "SEXES",
    "ApduProfile",
    "CardEvent",
    "CardMonitor",
    "CardType",
    "IdCardReader",
    "IdCardRecord",
    "ReaderConfig",
    "ReaderOptions",
    "check_id_number",
    "encode_text_record",
    "make_reader",
    "mask_id_number",
    "nation_full_name",
    "parse_text_record",
    "read_validated",
    "reader_from_settings",
    "today_in_shanghai",
    "validate_record",
]
