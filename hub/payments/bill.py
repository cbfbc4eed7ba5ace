"""A kiosk's WeChat Pay / Alipay day totals from the provider's bill (对账单).

The day close compares the clerk's QR figures with what the provider says it took. Rule: a
trade counts on the counter's local (Asia/Shanghai) day on which the provider marked it
successful, and a refund subtracts on the local day the provider made it (as the kiosk's own
day close counts them), so ``net_fen = paid_fen - refunded_fen`` per method, in fen. Only
trades this kiosk created through the hub count (the hub records who created each trade).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.contracts.payments import ProviderError
from kiosk.domain.payment import PROVIDER_METHODS

QR_METHODS = tuple(m.value for m in PROVIDER_METHODS)
RULE = (
    "per method, successful trades on the local day minus refunds made on the local day "
    "(Asia/Shanghai), in fen; only this kiosk's trades"
)


def parse_day(text: str | None) -> date:
    """The ``date`` query parameter.

    Raises:
        ProviderError: ``PARAM_ERROR`` for anything but ``YYYY-MM-DD``.
    """
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise ProviderError("PARAM_ERROR", f"date {text!r}: expected YYYY-MM-DD") from None


def day_totals(
    provider: Any, day: date, owned: Container[str], timezone: str = "Asia/Shanghai"
) -> dict[str, Any]:
    """The kiosk's per-method totals for ``day`` from ``provider.bill(start, end)``.

    Raises:
        ProviderError: the provider has no bill (``NOT_SUPPORTED``, 501).
        ProviderUnavailable: the provider cannot be reached.
    """
    bill = getattr(provider, "bill", None)
    if bill is None:
        raise ProviderError("NOT_SUPPORTED", "this provider gives no bill", status=501)
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tz)
    rows = bill(start, start + timedelta(days=1))
    methods: dict[str, dict[str, int]] = {
        m: {"paid_fen": 0, "refunded_fen": 0, "net_fen": 0, "count": 0} for m in QR_METHODS
    }
    for r in rows:
        if r["out_trade_no"] not in owned or r["channel"] not in methods:
            continue
        m = methods[r["channel"]]
        if r["type"] == "pay":
            m["paid_fen"] += r["amount_fen"]
            m["count"] += 1
        else:
            m["refunded_fen"] += r["amount_fen"]
        m["net_fen"] = m["paid_fen"] - m["refunded_fen"]
    return {"date": day.isoformat(), "timezone": timezone, "rule": RULE, "methods": methods}


def net_by_method(answer: Mapping[str, Any]) -> dict[str, int]:
    """``{"wechat": net_fen, "alipay": net_fen}`` from a bill answer."""
    return {m: int(answer["methods"][m]["net_fen"]) for m in QR_METHODS}
