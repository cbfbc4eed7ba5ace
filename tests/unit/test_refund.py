"""Refunds: 14 days inclusive from delivery, never after activation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiosk.domain.refund import RefundReason, refund_eligibility
from kiosk.errors import DomainError

DELIVERED = date(2026, 3, 1)


def test_never_accepted_online_application_is_refundable() -> None:
    d = refund_eligibility(date(2026, 12, 1), accepted=False)
    assert d.eligible and d.reason is RefundReason.NOT_ACCEPTED


def test_day_14_after_delivery_is_still_refundable() -> None:
    d = refund_eligibility(DELIVERED + timedelta(days=14), accepted=True, delivered_on=DELIVERED)
    assert d.eligible
    assert (d.reason, d.day, d.last_day) == (RefundReason.WITHIN_WINDOW, 14, date(2026, 3, 15))


def test_day_15_after_delivery_is_refused() -> None:
    d = refund_eligibility(DELIVERED + timedelta(days=15), accepted=True, delivered_on=DELIVERED)
    assert not d.eligible
    assert (d.reason, d.day) == (RefundReason.WINDOW_PASSED, 15)


def test_delivery_day_itself_is_refundable() -> None:
    assert refund_eligibility(DELIVERED, accepted=True, delivered_on=DELIVERED).eligible


def test_window_across_the_leap_day() -> None:
    delivered = date(2028, 2, 20)
    assert refund_eligibility(date(2028, 3, 5), accepted=True, delivered_on=delivered).eligible
    assert not refund_eligibility(date(2028, 3, 6), accepted=True, delivered_on=delivered).eligible


def test_activated_key_is_never_refunded_even_on_day_one() -> None:
    d = refund_eligibility(
        DELIVERED + timedelta(days=1), accepted=True, delivered_on=DELIVERED, activated=True
    )
    assert not d.eligible and d.reason is RefundReason.ACTIVATED


def test_accepted_but_not_yet_delivered_is_refundable() -> None:
    d = refund_eligibility(DELIVERED, accepted=True)
    assert d.eligible and d.reason is RefundReason.NOT_DELIVERED


def test_the_programs_window_is_used() -> None:
    on_day_8 = DELIVERED + timedelta(days=8)
    assert not refund_eligibility(
        on_day_8, accepted=True, delivered_on=DELIVERED, refund_days=7
    ).eligible


def test_delivery_in_the_future_is_an_error() -> None:
    with pytest.raises(DomainError) as e:
        refund_eligibility(DELIVERED, accepted=True, delivered_on=DELIVERED + timedelta(days=1))
    assert e.value.code == "refund.future_delivery"
