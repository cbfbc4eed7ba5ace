"""The staff screen's day close takes QR figures from the provider's bill when the hub answers."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.dayclose.close import DayCloseRules
from kiosk.shell.staff_desk import StaffService, hub_bill
from kiosk.sync.client import HubUnavailable
from tests.unit.dayclose_support import Ledger
from tests.unit.staff_support import FAST_POLICY

DAY = date(2026, 11, 20)
TYPED = {
    "methods": {"card": 0, "wechat": 1000, "alipay": 20000, "transfer": 0},
    "keys_in_stock": 0,
    "note": "",
}


@pytest.fixture
def store(store):
    """The shared fresh store, with two QR payments on DAY."""
    led = Ledger(store)
    v, _ = led.visit(DAY, 10)
    led.pay(v, DAY, 10, "wechat", 40000)
    v, _ = led.visit(DAY, 11)
    led.pay(v, DAY, 11, "alipay", 20000)
    return store


def service(store, qr_bill):
    svc = StaffService(store, FAST_POLICY, DayCloseRules(), qr_bill=qr_bill)
    svc.roster.add("3001", "陈静", "clerk", "112233")
    svc.desk.sign_in("3001", "112233")
    return svc


def test_preview_and_close_use_the_bill_when_the_hub_answers(store):
    asked: list[date] = []

    def bill(day):
        asked.append(day)
        return {"wechat": 40000, "alipay": 20000}

    svc = service(store, bill)
    pv = svc.preview_close(DAY, TYPED)
    assert not pv.needs_approval  # the mistyped 10.00 was replaced by the bill's 400.00
    assert any("wechat: typed 10.00, provider bill 400.00" in n for n in svc.qr_notes)
    z = svc.close_day(DAY, TYPED)
    assert z["counted"]["qr_source"] == "provider_bill" and asked == [DAY, DAY]


def test_offline_the_typed_figures_stand_with_a_note(store):
    def down(day):
        raise HubUnavailable("connection refused")

    svc = service(store, down)
    pv = svc.preview_close(DAY, TYPED)
    assert pv.needs_approval  # typed wechat 10.00 against 400.00 expected
    (note,) = svc.qr_notes
    assert "connection refused" in note and "typed WeChat/Alipay figures are used" in note


def test_no_credential_means_no_bill():
    class Hub:
        url, credential, timeout_s = "http://127.0.0.1:9/api/v1", "", 1.0

    with pytest.raises(HubUnavailable, match="no hub credential"):
        hub_bill(Hub())(DAY)
