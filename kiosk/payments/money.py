"""Money and codes at the boundary: amounts in fen, quotes, payment codes, references.

Every amount inside the kiosk is an ``int`` of fen. Text typed by staff (``"1200"``,
``"1,200.50"``) becomes fen here or a clear :class:`~kiosk.errors.PaymentError`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from kiosk.contracts.payments import Channel, channel_of_code
from kiosk.errors import PaymentError


class QuoteItemLike(Protocol):
    """A fee line as ``kiosk.domain.fees`` produces it."""

    code: str
    label_en: str
    label_zh: str
    amount_fen: int
    quantity: int


class QuoteLike(Protocol):
    """A quote as ``kiosk.domain.fees.quote(...)`` produces it."""

    @property
    def items(self) -> tuple[QuoteItemLike, ...]: ...

    @property
    def total_fen(self) -> int: ...


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """A fee line (the payments area's own, for quotes built before the domain's lands)."""

    code: str
    label_en: str
    label_zh: str
    amount_fen: int
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class SimpleQuote:
    """A quote: lines and their total."""

    items: tuple[QuoteLine, ...]
    total_fen: int


def yuan(fen: int) -> str:
    """``￥1,200.00`` from 120000 fen (full-width yen: every GBK printer font has it)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}￥{whole:,}.{cents:02d}"


def check_fen(value: object, *, what: str = "amount") -> int:
    """``value`` as a positive int of fen.

    Raises:
        PaymentError: not an integer (``payment.fractional``), zero or negative
            (``payment.not_positive``).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float | Decimal) and value == int(value):
            value = int(value)
        else:
            raise PaymentError(
                f"{what} must be a whole number of fen, got {value!r}", code="payment.fractional"
            )
    if value <= 0:
        raise PaymentError(
            f"{what} must be more than zero, got {value}", code="payment.not_positive"
        )
    return value


def parse_yuan(text: str) -> int:
    """Staff-typed yuan (``"1200"``, ``"1,200.5"``, ``"￥1200.00"``) into fen.

    Raises:
        PaymentError: not a number (``payment.bad_amount``), more than two decimals
            (``payment.fractional``), zero or negative (``payment.not_positive``).
    """
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("￥¥").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise PaymentError(
            f"{text!r} is not an amount in yuan", code="payment.bad_amount"
        ) from None
    if not value.is_finite():
        raise PaymentError(f"{text!r} is not an amount in yuan", code="payment.bad_amount")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise PaymentError(
            f"{text!r} has fractions of a fen (at most two decimals)", code="payment.fractional"
        )
    return check_fen(int(fen))


def line_total(item: QuoteItemLike, quote: QuoteLike) -> int:
    """A line's total: ``amount_fen`` when the lines add up to the total, else amount × quantity."""
    if sum(i.amount_fen for i in quote.items) == quote.total_fen:
        return item.amount_fen
    return item.amount_fen * item.quantity


def check_quote(quote: QuoteLike) -> None:
    """A quote must be positive and add up.

    Raises:
        PaymentError: ``payment.bad_quote``.
    """
    check_fen(quote.total_fen, what="quote total")
    sums = (
        sum(i.amount_fen for i in quote.items),
        sum(i.amount_fen * i.quantity for i in quote.items),
    )
    if quote.total_fen not in sums:
        raise PaymentError(
            f"the quote's lines do not add up to its total {quote.total_fen}",
            code="payment.bad_quote",
        )


def quote_json(quote: QuoteLike) -> str:
    """The quote as stored with a payment (canonical JSON, line totals)."""
    data: dict[str, Any] = {
        "items": [
            {
                "code": i.code,
                "label_en": i.label_en,
                "label_zh": i.label_zh,
                "amount_fen": line_total(i, quote),
                "quantity": i.quantity,
            }
            for i in quote.items
        ],
        "total_fen": quote.total_fen,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def quote_ref(quote: QuoteLike) -> str:
    """A short fingerprint of the quote: two pays of the same quote share it."""
    return hashlib.sha256(quote_json(quote).encode()).hexdigest()[:16]


def payment_code_channel(scanned: str) -> tuple[Channel, str]:
    """A scanner's input as a payment code (付款码): (channel, code).

    A keyboard-wedge scanner types the digits and Enter; whitespace around them is dropped.

    Raises:
        PaymentError: not a WeChat Pay or Alipay payment code (``payment.bad_code``).
    """
    code = scanned.strip()
    channel = channel_of_code(code)
    if channel is None:
        shown = code if len(code) <= 30 else code[:27] + "..."
        raise PaymentError(
            f"{shown!r} is not a payment code: WeChat Pay codes are 18 digits starting 10-15, "
            "Alipay codes 16-24 digits starting 25-30; ask the payer to refresh the code and "
            "scan again",
            code="payment.bad_code",
        )
    return channel, code


_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/]{3,39}$")


def check_reference(ref: str, *, what: str) -> str:
    """A terminal reference or bank serial: 4-40 of letters, digits, ``-_/``.

    Raises:
        PaymentError: ``payment.bad_reference``.
    """
    ref = ref.strip()
    if not _REFERENCE.match(ref):
        raise PaymentError(
            f"{what} {ref!r} must be 4 to 40 letters, digits, '-', '_' or '/'",
            code="payment.bad_reference",
        )
    return ref


def normalise_name(name: str) -> str:
    """A payer or unit name compared loosely: spaces dropped, full-width brackets made ASCII."""
    table = str.maketrans({"（": "(", "）": ")", "　": ""})
    return "".join(name.translate(table).split()).upper()
