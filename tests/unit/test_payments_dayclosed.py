"""A closed business day is locked for money: late payments and refunds go to the next day."""

from __future__ import annotations

from datetime import date

import pytest

from data.store import Store, utc_now
from kiosk.dayclose.close import DayCloseRules, close_day, is_closed, parse_counted
from kiosk.domain import clock
from kiosk.errors import PaymentError
from kiosk.receipts.wiring import Money
from kiosk.staff.roster import Roster
from tests.money_helpers import dg_new_quote, make_visit, wire
from tests.unit.staff_support import FAST_POLICY

NOWHERE = "tcp://127.0.0.1:9"  # receipts are only queued here


@pytest.fixture
def money(store: Store) -> Money:
    return wire(store, NOWHERE)


def today() -> date:
    return clock.local_today(clock.from_storage(utc_now()), "Asia/Shanghai")


def close_today(store: Store, card_fen: int) -> None:
    roster = Roster(store, FAST_POLICY)
    roster.add("3001", "陈静", "clerk", "112233")
    counted = parse_counted(
        {
            "methods": {"card": card_fen, "wechat": 0, "alipay": 0, "transfer": 0},
            "keys_in_stock": 0,
            "note": "",
            "carry_over": {"visits": ["DG-20261121-0007"], "payments": []},
        }
    )
    close_day(store, DayCloseRules(), today(), counted, roster.get("3001"))
    assert is_closed(store, today())


def test_payment_onto_a_closed_day_is_refused(money: Money, store: Store) -> None:
    visit = make_visit(store)
    close_today(store, 0)
    with pytest.raises(PaymentError) as e:
        money.payments.pay_card(
            visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
        )
    assert e.value.code == "payment.day_closed"
    assert "already closed" in e.value.message and "next open day" in e.value.message
    assert money.payments.payments(visit) == []


def test_refund_onto_a_closed_day_is_refused(money: Money, store: Store) -> None:
    visit = make_visit(store)
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0002", amount_fen=120000, staff_no="S001"
    )
    close_today(store, 120000)
    with pytest.raises(PaymentError) as e:
        money.payments.refund(
            p.id,
            20000,
            reason="overcharged",
            requested_by="S001",
            approved_by="S002",
            reference="RF-1",
        )
    assert e.value.code == "payment.day_closed"
    assert money.payments.refunds(p.id) == []


def test_open_day_still_takes_payments(money: Money, store: Store) -> None:
    visit = make_visit(store)
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0003", amount_fen=120000, staff_no="S001"
    )
    assert p.state == "paid"
