"""The hub's payment provider interface (WeChat Pay, Alipay) and the trade model they share.

Both providers run a trade through the same states; this module names them once:

======================  ==========================  ==============================
state                   WeChat Pay ``trade_state``  Alipay ``trade_status``
======================  ==========================  ==============================
``NOT_PAID``            NOTPAY                      WAIT_BUYER_PAY (QR not scanned)
``USER_PAYING``         USERPAYING                  WAIT_BUYER_PAY (password asked)
``SUCCESS``             SUCCESS                     TRADE_SUCCESS
``CLOSED``              CLOSED                      TRADE_CLOSED (unpaid)
``REVERSED``            REVOKED                     TRADE_CLOSED (after cancel)
``REFUNDED``            REFUND                      TRADE_SUCCESS + refund / TRADE_CLOSED
``PAY_ERROR``           PAYERROR                    (failed micropay)
======================  ==========================  ==============================

The rules the kiosk follows (both providers document them for payment-code "micropay"):
a ``USER_PAYING`` answer is queried until it settles; an unclear answer (system error, timeout)
is queried, and when the trade has not succeeded by the deadline it is reversed, so the payer is
never charged for a payment the counter did not record. Real adapters implement
:class:`PaymentProvider`; :mod:`hub.payments.sandbox` is the training and test provider.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol

Channel = Literal["wechat", "alipay"]


class TradeState(StrEnum):
    """A trade's state at the provider."""

    NOT_PAID = "NOT_PAID"
    USER_PAYING = "USER_PAYING"
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"
    REVERSED = "REVERSED"
    REFUNDED = "REFUNDED"
    PAY_ERROR = "PAY_ERROR"

    @property
    def final(self) -> bool:
        """No further change without a new request (refunds aside)."""
        return self in (TradeState.CLOSED, TradeState.REVERSED, TradeState.PAY_ERROR)

    @property
    def paid(self) -> bool:
        """Money moved from the payer (possibly refunded since)."""
        return self in (TradeState.SUCCESS, TradeState.REFUNDED)


@dataclass(frozen=True, slots=True)
class Trade:
    """A trade as the provider reports it. Amounts in fen."""

    out_trade_no: str
    channel: Channel
    amount_fen: int
    state: TradeState
    transaction_id: str | None = None
    refunded_fen: int = 0
    error_code: str | None = None
    error_message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d = asdict(self)
        d["state"] = self.state.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trade:
        """From :meth:`to_dict`'s form."""
        return cls(**{**d, "state": TradeState(d["state"])})


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A refund as the provider reports it."""

    out_refund_no: str
    out_trade_no: str
    amount_fen: int
    refund_id: str
    state: Literal["SUCCESS", "PROCESSING"] = "SUCCESS"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


class ProviderError(Exception):
    """The provider refused or could not answer.

    Attributes:
        code: the provider's error code (``NOTENOUGH``, ``AUTH_CODE_INVALID``, ``SYSTEMERROR``…).
        unclear: True when the outcome is unknown (system error, timeout): query, then reverse.
    """

    def __init__(self, code: str, message: str, *, unclear: bool = False, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.unclear = unclear
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready error body."""
        return {"code": self.code, "message": self.message, "unclear": self.unclear}


class ProviderUnavailable(ProviderError):
    """The provider cannot be reached at all (nothing was sent): the method is offline."""

    def __init__(self, message: str = "payment provider unreachable"):
        super().__init__("UNAVAILABLE", message, unclear=False, status=503)


_WECHAT_CODE = re.compile(r"^1[0-5]\d{16}$")
_ALIPAY_CODE = re.compile(r"^(2[5-9]|30)\d{14,22}$")


def channel_of_code(auth_code: str) -> Channel | None:
    """Which provider a payment code (付款码) belongs to, or None when it is not one.

    WeChat Pay codes are 18 digits starting 10–15; Alipay codes 16–24 digits starting 25–30.
    """
    if _WECHAT_CODE.match(auth_code):
        return "wechat"
    if _ALIPAY_CODE.match(auth_code):
        return "alipay"
    return None


class PaymentProvider(Protocol):
    """What every provider adapter offers the hub (and, through it, the kiosks).

    ``out_trade_no`` is the kiosk's idempotency key at the provider: a repeated request with
    the same number never makes a second trade.
    """

    name: str

    def micropay(
        self, *, out_trade_no: str, auth_code: str, amount_fen: int, description: str
    ) -> Trade:
        """Charge a payer's payment code.

        Returns:
            The trade: ``SUCCESS``, or ``USER_PAYING`` (query until it settles).

        Raises:
            ProviderError: refused (``unclear=False``: nothing was charged) or unclear.
        """
        ...

    def precreate(
        self, *, out_trade_no: str, channel: Channel, amount_fen: int, description: str
    ) -> tuple[Trade, str]:
        """Open a trade the payer pays by scanning a QR code; returns it and the code's URL."""
        ...

    def query(self, out_trade_no: str) -> Trade:
        """The trade's current state (``ProviderError`` ``ORDERNOTEXIST`` when unknown)."""
        ...

    def reverse(self, out_trade_no: str) -> Trade:
        """Cancel a payment-code trade whatever its state (paid money goes back): ``REVERSED``."""
        ...

    def close(self, out_trade_no: str) -> Trade:
        """Close an unpaid trade (``CLOSED``); refused once paid."""
        ...

    def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundResult:
        """Refund part or all of a paid trade (idempotent on ``out_refund_no``)."""
        ...
