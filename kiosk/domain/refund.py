"""Refund eligibility (平安采购's rule, the counter's default).

Refundable: an online application NETCA never accepted; or an accepted one whose key has not
been activated within ``refund_days`` (14) days of delivery, inclusive. Never after activation,
never after the window. The window counts days the way Chinese law counts periods (民法典 第二百
零一条: the starting day is not counted): delivered on 1 March, the 14th day is 15 March, still
refundable; on 16 March (day 15) it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from kiosk.errors import DomainError

DEFAULT_REFUND_DAYS = 14


class RefundReason(StrEnum):
    """Why a refund is or is not allowed."""

    NOT_ACCEPTED = "not_accepted"  # eligible: the online application was never accepted
    NOT_DELIVERED = "not_delivered"  # eligible: accepted, key not yet delivered
    WITHIN_WINDOW = "within_window"  # eligible: delivered, not activated, day <= refund_days
    ACTIVATED = "activated"  # refused: the key has been activated
    WINDOW_PASSED = "window_passed"  # refused: more than refund_days since delivery


_ELIGIBLE = frozenset(
    {RefundReason.NOT_ACCEPTED, RefundReason.NOT_DELIVERED, RefundReason.WITHIN_WINDOW}
)


@dataclass(frozen=True, slots=True)
class RefundDecision:
    """The answer, with its reason code and words for the screen and the CLI.

    Attributes:
        reason: the rule that decided.
        last_day: the last day a refund may be asked for (delivered keys only).
        day: days since delivery (the delivery day is day 0), when delivered.
    """

    reason: RefundReason
    last_day: date | None = None
    day: int | None = None
    zh: str = ""
    en: str = ""

    @property
    def eligible(self) -> bool:
        """The refund may be paid back (to the paying account)."""
        return self.reason in _ELIGIBLE


def refund_eligibility(
    today: date,
    *,
    accepted: bool,
    delivered_on: date | None = None,
    activated: bool = False,
    refund_days: int = DEFAULT_REFUND_DAYS,
) -> RefundDecision:
    """Decide a refund request.

    Args:
        today: the counter's date.
        accepted: NETCA accepted the (online) application.
        delivered_on: the day the key was signed for (courier) or handed over (counter).
        activated: the key has been activated in the program's system.
        refund_days: the program's window (``Program.refund_days``).

    Raises:
        DomainError: a delivery date after today, or a negative window.
    """
    if refund_days < 0:
        raise DomainError(f"refund window {refund_days} days is negative", code="refund.window")
    if not accepted:
        return RefundDecision(
            RefundReason.NOT_ACCEPTED,
            zh="网上申请尚未受理：可以退费",
            en="The online application was never accepted: refundable",
        )
    if activated:
        return RefundDecision(
            RefundReason.ACTIVATED,
            zh="证书已激活：不予退费",
            en="The key has been activated: no refund",
        )
    if delivered_on is None:
        return RefundDecision(
            RefundReason.NOT_DELIVERED,
            zh="证书尚未交付：可以退费",
            en="The key has not been delivered yet: refundable",
        )
    if delivered_on > today:
        raise DomainError(
            f"delivery date {delivered_on.isoformat()} is after today {today.isoformat()}",
            code="refund.future_delivery",
        )
    day = (today - delivered_on).days
    last = delivered_on + timedelta(days=refund_days)
    if day <= refund_days:
        return RefundDecision(
            RefundReason.WITHIN_WINDOW,
            last_day=last,
            day=day,
            zh=f"签收后第 {day} 天，未激活：可以退费（最后一天 {last.isoformat()}）",
            en=f"Day {day} after delivery, not activated: refundable (last day {last.isoformat()})",
        )
    return RefundDecision(
        RefundReason.WINDOW_PASSED,
        last_day=last,
        day=day,
        zh=f"签收已超过 {refund_days} 天（第 {day} 天）：不予退费",
        en=f"More than {refund_days} days since delivery (day {day}): no refund",
    )
