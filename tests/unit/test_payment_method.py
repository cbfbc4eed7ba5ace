"""The domain's payment methods: one list, the names the receipts print, and who moves the money."""

from __future__ import annotations

import json

from kiosk.domain.payment import (
    PAYMENT_METHODS,
    PROVIDER_METHODS,
    STAFF_METHODS,
    PaymentMethod,
)
from kiosk.receipts.layout import METHOD_LABELS


def test_the_counter_lists_four_methods_in_report_order() -> None:
    assert [m.value for m in PAYMENT_METHODS] == ["card", "wechat", "alipay", "transfer"]
    assert set(PROVIDER_METHODS) | set(STAFF_METHODS) == set(PAYMENT_METHODS)
    assert not set(PROVIDER_METHODS) & set(STAFF_METHODS)


def test_only_wechat_and_alipay_go_through_the_provider() -> None:
    assert [m for m in PaymentMethod if m.through_provider] == [
        PaymentMethod.WECHAT,
        PaymentMethod.ALIPAY,
    ]
    # stored and sent as plain strings
    assert "wechat" in PROVIDER_METHODS
    assert json.dumps({"m": PaymentMethod.CARD}) == '{"m": "card"}'


def test_receipts_name_each_method_from_the_domain() -> None:
    assert METHOD_LABELS["transfer"] == ("对公转账", "Bank transfer")
    assert dict(METHOD_LABELS) == {m.value: (m.zh, m.en) for m in PaymentMethod}
