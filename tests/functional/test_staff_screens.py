"""Pilot tests of the staff sign-in screen, the approval modal and the clerk's day-close screen."""

from __future__ import annotations

import time
from datetime import date

import pytest
from textual.app import App
from textual.widgets import Button, Checkbox, Input, Static

from data.store import Store
from kiosk import audit, overrides
from kiosk.dayclose import DayCloseRules, is_closed
from kiosk.errors import DeviceError, UsageError
from kiosk.overrides import Reason
from kiosk.staff_service import StaffService
from screens.approval import ApprovalModal, override_summary
from screens.dayclose import DayCloseScreen, yuan_to_fen
from screens.staff_signin import StaffSignInScreen
from tests.unit.dayclose_support import Ledger
from tests.unit.staff_support import FAST_POLICY

DAY = date(2026, 11, 20)
SIZE = (110, 42)


class FakeCardReader:
    """Above the adapter: the PC/SC path itself is tested in tests/e2e/test_staffcard_pcsc.py."""

    def __init__(self, uid: str | None):
        self.uid = uid

    def read_uid(self, timeout_s=None):
        if self.uid is None:
            raise DeviceError("no staff card was placed", code="staffcard.timeout")
        return self.uid


class Host(App[None]):
    """A bare app that shows one screen and keeps what it dismissed with."""

    def __init__(self, make):
        super().__init__()
        self.make = make
        self.result = "pending"

    def on_mount(self) -> None:
        self.push_screen(self.make(), self._done)

    def _done(self, result) -> None:
        self.result = result


@pytest.fixture
def service():
    with Store.open(":memory:") as store:
        svc = StaffService(store, FAST_POLICY, DayCloseRules(), FakeCardReader("04A1B2C3D4E5F6"))
        svc.roster.add("1001", "王敏", "operator", "246810")
        svc.roster.add("1002", "黄磊", "operator", "246811")
        svc.roster.add("2001", "李强", "supervisor", "135790", card_uid="04A1B2C3D4E5F6")
        svc.roster.add("3001", "陈静", "clerk", "112233")
        yield svc


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    """Wait for a condition with a deadline (workers are threads; their messages need a tick)."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            shown = [str(w.render()) for w in pilot.app.screen.query("Static") if w.id]
            raise AssertionError(f"condition not met within the deadline; screen: {shown}")
        await pilot.pause(0.02)


async def press(pilot, selector: str) -> None:
    """Press a button by id (it may be scrolled out of the 42-row view, so no click by position)."""
    pilot.app.screen.query_one(selector, Button).press()
    await pilot.pause()


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_sign_in_with_number_and_pin(service):
    app = Host(lambda: StaffSignInScreen(service))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        screen.query_one("#staff-number", Input).value = "1001"
        screen.query_one("#staff-pin", Input).value = "246810"
        await press(pilot, "#sign-in")
        await until(pilot, lambda: app.result != "pending")
    assert app.result.staff_no == "1001" and app.result.role == "operator"
    assert service.current().staff_no == "1001"


async def test_wrong_pin_says_so_and_clears_the_pin(service):
    app = Host(lambda: StaffSignInScreen(service))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        screen.query_one("#staff-number", Input).value = "1001"
        screen.query_one("#staff-pin", Input).value = "000000"
        await press(pilot, "#sign-in")
        await until(pilot, lambda: "密码错误" in text(screen, "#staff-message"))
        assert "4 tries left" in text(screen, "#staff-message")
        assert screen.query_one("#staff-pin", Input).value == ""
        assert app.result == "pending"


async def test_staff_card_then_pin(service):
    app = Host(lambda: StaffSignInScreen(service))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await press(pilot, "#card")
        await until(pilot, lambda: screen.card_uid is not None)
        assert screen.query_one("#staff-number", Input).value == "2001"
        assert "李强" in text(screen, "#staff-message")
        screen.query_one("#staff-pin", Input).value = "135790"
        await pilot.press("enter")
        await until(pilot, lambda: app.result != "pending")
    assert app.result.staff_no == "2001"


async def test_unknown_card_is_refused_on_screen(service):
    service.card_reader = FakeCardReader("DEADBEEF")
    app = Host(lambda: StaffSignInScreen(service))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await press(pilot, "#card")
        await until(pilot, lambda: "未登记" in text(screen, "#staff-message"))
        assert screen.card_uid is None


async def test_approval_modal_refuses_operator_and_initiator_then_supervisor_approves(service):
    op = service.roster.get("1001")
    ov = overrides.request(
        service.store,
        op,
        "fee_waiver",
        visit_id=12,
        reason=Reason("goodwill"),
        before={"amount_fen": 60000},
        after={"amount_fen": 0},
    )
    desc = service.describe_override(ov.id)

    def make():
        return ApprovalModal(
            "复核 Approval",
            override_summary(desc),
            lambda no, pin, ok: service.decide_override(ov.id, no, pin, ok),
        )

    app = Host(make)
    async with app.run_test(size=SIZE) as pilot:
        modal = app.screen
        assert "减免费用" in text(modal, "#approval-summary")
        for number, pin in (("1002", "246811"), ("1001", "246810")):
            modal.query_one("#approver-number", Input).value = number
            modal.query_one("#approver-pin", Input).value = pin
            await press(pilot, "#approve")
            await until(
                pilot, lambda n=number: f"{n} is operator" in text(modal, "#approval-message")
            )
            assert "无此操作权限" in text(modal, "#approval-message")
            await until(pilot, lambda: not modal.query_one("#approve", Button).disabled)
        modal.query_one("#approver-number", Input).value = "2001"
        modal.query_one("#approver-pin", Input).value = "135790"
        await press(pilot, "#approve")
        await until(pilot, lambda: app.result != "pending")
    assert app.result == "approved"
    refused = [e for e in audit.entries(service.store.db, visit_id=12) if e.outcome == "refused"]
    # the person who tried to approve is the actor of each refused row
    assert {e.staff_no for e in refused} == {"1001", "1002"}


@pytest.fixture
def day_service(service):
    led = Ledger(service.store)
    for hh, method, fen in (
        (9, "card", 120000),
        (10, "wechat", 40000),
        (11, "alipay", 20000),
        (14, "transfer", 100000),
    ):
        v, _ = led.visit(DAY, hh)
        led.pay(v, DAY, hh, method, fen)
    led.keys(DAY, 8, "received", 10)
    service.desk.sign_in("3001", "112233")
    return service


def test_yuan_to_fen():
    assert yuan_to_fen("1234.5", "card") == 123450
    assert yuan_to_fen("1,200", "card") == 120000
    for bad in ("-1", "1.234", "abc", ""):
        with pytest.raises(UsageError) as e:
            yuan_to_fen(bad, "card")
        assert e.value.code == "day.bad_counted"


async def _fill(screen, card="1200.00", keys="10", note=""):
    for method, value in (
        ("card", card),
        ("wechat", "400"),
        ("alipay", "200"),
        ("transfer", "1000"),
    ):
        screen.query_one(f"#count-{method}", Input).value = value
    screen.query_one("#count-keys", Input).value = keys
    screen.query_one("#day-note", Input).value = note


async def test_day_close_screen_with_difference_needs_note_and_supervisor(day_service):
    app = Host(lambda: DayCloseScreen(day_service, DAY))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.report is not None)
        await _fill(screen, card="1190.00")
        await press(pilot, "#check")
        await until(pilot, lambda: "Difference card: -10.00 !" in text(screen, "#day-message"))
        await press(pilot, "#close")
        await until(pilot, lambda: "请填写说明" in text(screen, "#day-message"))
        screen.query_one("#day-note", Input).value = "card slip missing"
        await press(pilot, "#close")
        await until(pilot, lambda: isinstance(app.screen, ApprovalModal))
        modal = app.screen
        modal.query_one("#approver-number", Input).value = "3001"  # the clerk: not a supervisor
        modal.query_one("#approver-pin", Input).value = "112233"
        await press(pilot, "#approve")
        await until(pilot, lambda: "无此操作权限" in text(modal, "#approval-message"))
        modal.query_one("#approver-number", Input).value = "2001"
        modal.query_one("#approver-pin", Input).value = "135790"
        await press(pilot, "#approve")
        await until(pilot, lambda: "已日结" in text(screen, "#day-message"))
    assert is_closed(day_service.store, DAY)
    z = day_service.day_report(DAY)
    assert z["approver"] == "2001" and z["clerk"] == "3001"


async def test_day_close_screen_blocks_in_flight_until_ticked(day_service):
    led = Ledger(day_service.store)
    led.n = 100
    _, order = led.visit(DAY, 16, state="open")
    app = Host(lambda: DayCloseScreen(day_service, DAY))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await until(pilot, lambda: len(screen.query(Checkbox)) == 1)
        await _fill(screen)
        await press(pilot, "#close")
        await until(pilot, lambda: order in text(screen, "#day-message"))
        screen.query_one(Checkbox).value = True
        await press(pilot, "#close")
        await until(pilot, lambda: "已日结" in text(screen, "#day-message"))
        assert screen.query_one("#close", Button).disabled
    assert day_service.day_report(DAY)["counted"]["carry_over"]["visits"] == [order]


async def test_bad_amount_is_named_on_screen(day_service):
    app = Host(lambda: DayCloseScreen(day_service, DAY))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.report is not None)
        await _fill(screen, card="12.345")
        await press(pilot, "#check")
        await until(pilot, lambda: "清点金额有误" in text(screen, "#day-message"))
    assert not is_closed(day_service.store, DAY)
