"""How a visit is paid: the counter's payment methods and their names.

Pure: no project imports, no I/O. The payments area stores a method by its value; receipts,
the day close and the screens name it from here.
"""

from __future__ import annotations

from enum import StrEnum


class PaymentMethod(StrEnum):
    """A way the counter takes money (the value is what the store and the hub keep)."""

    CARD = "card"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    TRANSFER = "transfer"

    @property
    def zh(self) -> str:
        """The method's name on receipts and forms."""
        return _ZH[self]

    @property
    def en(self) -> str:
        """The method's English name."""
        return _EN[self]

    @property
    def through_provider(self) -> bool:
        """Whether the money moves through the payment provider (WeChat Pay, Alipay), as a
        trade the kiosk can query, reverse and refund; card and transfer are done by staff."""
        return self in PROVIDER_METHODS


_ZH = {
    PaymentMethod.CARD: "刷卡",
    PaymentMethod.WECHAT: "微信支付",
    PaymentMethod.ALIPAY: "支付宝",
    PaymentMethod.TRANSFER: "对公转账",
}
_EN = {
    PaymentMethod.CARD: "Bank card",
    PaymentMethod.WECHAT: "WeChat Pay",
    PaymentMethod.ALIPAY: "Alipay",
    PaymentMethod.TRANSFER: "Bank transfer",
}

#: Every method, in the order the counter lists them (and the day close reports them).
PAYMENT_METHODS: tuple[PaymentMethod, ...] = tuple(PaymentMethod)

#: The methods charged through the payment provider: a trade with an ``out_trade_no``.
PROVIDER_METHODS: tuple[PaymentMethod, ...] = (PaymentMethod.WECHAT, PaymentMethod.ALIPAY)

#: The methods staff take and refund themselves (terminal slip, bank serial as reference).
STAFF_METHODS: tuple[PaymentMethod, ...] = (PaymentMethod.CARD, PaymentMethod.TRANSFER)
