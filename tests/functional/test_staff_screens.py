"""Staff mode in the kiosk app (Pilot): sign-in by PIN or card, lockout messages, staff mode and
its timeout, the dual-control approval modal, and the clerk's day-close screen."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from textual.app import App
from textual.widgets import Checkbox, Input

from kiosk.dayclose.close import DayCloseRules, is_closed
from kiosk.errors import DeviceError, UsageError
from kiosk.shell.staff_desk import StaffService
from kiosk.staff import audit, overrides
from kiosk.staff.overrides import Reason
from kiosk.staff.roster import StaffDesk
from screens.approval import ApprovalModal
from screens.dayclose import DayCloseScreen, yuan_to_fen
from screens.staff import StaffSignInScreen
from screens.staff_home import StaffHomeScreen
from screens.welcome import WelcomeScreen
from screens.widgets.text import LangButton, LangText
from tests.functional.support import wait_for
from tests.unit.dayclose_support import Ledger
from tests.unit.staff_support import FAST_POLICY, FakeClock

DAY = date(2026, 11, 20)
SIZE = (120, 36)


class FakeCardReader:
    """Above the adapter: the PC/SC path itself is tested in tests/e2e/test_staffcard_pcsc.py."""

    def __init__(self, uid: str | None):
        self.uid = uid

    def read_uid(self, timeout_s=None):
        if self.uid is None:
            raise DeviceError("no staff card was placed", code="staffcard.timeout")
        return self.uid


@pytest.fixture
def clock():
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def service(store, clock):
    svc = StaffService(store, FAST_POLICY, DayCloseRules(), FakeCardReader("04A1B2C3D4E5F6"))
    svc.roster.clock = clock
    svc.desk = StaffDesk(svc.roster, clock)
    svc.roster.add("1001", "王敏", "operator", "246810")
    svc.roster.add("1002", "黄磊", "operator", "246811")
    svc.roster.add("2001", "李强", "supervisor", "135790", card_uid="04A1B2C3D4E5F6")
    svc.roster.add("3001", "陈静", "clerk", "112233")
    return svc


def shown(app, selector: str) -> str:
    return app.screen.query_one(selector, LangText).shown


async def press(pilot, selector: str) -> None:
    """Press a button by id (a long message can push it out of view: no click by position)."""
    pilot.app.screen.query_one(selector, LangButton).press()
    await pilot.pause()


async def sign_in(pilot, app, number: str, pin: str) -> None:
    await pilot.press("f12")
    await wait_for(pilot, lambda: isinstance(app.screen, StaffSignInScreen))
    app.screen.query_one("#staff-number", Input).value = number
    app.screen.query_one("#staff-pin", Input).value = pin
    await press(pilot, "#sign-in")


async def test_sign_in_opens_staff_mode_and_sign_out_closes_it(make_app, service):
    app = make_app(staff=service, training=False)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, app, "3001", "112233")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffHomeScreen))
        assert "陈静（日结员）" in shown(app, "#heading")
        assert app.screen.query("#day-close")  # a clerk closes the day
        assert not app.screen.query("#quit")  # only a supervisor ends the program
        await press(pilot, "#sign-out")
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
    assert service.current() is None


async def test_wrong_pin_says_how_many_tries_are_left_then_locks(make_app, service):
    app = make_app(staff=service)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, app, "1001", "000000")
        screen = app.screen
        await wait_for(pilot, lambda: "4 tries left" in shown(app, "#staff-message"))
        assert "密码错误" in shown(app, "#staff-message")
        assert screen.query_one("#staff-pin", Input).value == ""
        for left in ("3 tries", "2 tries", "1 tries", "locked"):
            screen.query_one("#staff-pin", Input).value = "000000"
            await press(pilot, "#sign-in")
            await wait_for(pilot, lambda w=left: w in shown(app, "#staff-message"))
        assert "已锁定" in shown(app, "#staff-message")
        await pilot.press("f2")
        await wait_for(pilot, lambda: shown(app, "#staff-message").startswith("wrong PIN"))
        assert isinstance(app.screen, StaffSignInScreen)


async def test_staff_card_then_pin(make_app, service):
    app = make_app(staff=service, training=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffSignInScreen))
        screen = app.screen
        await press(pilot, "#card")
        await wait_for(pilot, lambda: screen.card_uid is not None)
        assert screen.query_one("#staff-number", Input).value == "2001"
        assert "李强" in shown(app, "#staff-message")
        screen.query_one("#staff-pin", Input).value = "135790"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffHomeScreen))
        assert app.screen.query("#quit")  # a supervisor may end the program


async def test_unknown_card_is_refused_on_screen(make_app, service):
    service.card_reader = FakeCardReader("DEADBEEF")
    app = make_app(staff=service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffSignInScreen))
        await press(pilot, "#card")
        await wait_for(pilot, lambda: "未登记" in shown(app, "#staff-message"))
        assert app.screen.card_uid is None


async def test_staff_mode_times_out(make_app, service, clock):
    app = make_app(staff=service, training=False)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, app, "1001", "246810")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffHomeScreen))
        clock.advance(FAST_POLICY.session_timeout_s + 1)
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), timeout=5)
    last = audit.entries(service.store.db)[-1]
    assert (last.action, last.reason_code) == ("staff.sign_out", "timeout")


class Host(App[None]):
    """A bare app holding one modal; keeps what it dismissed with."""

    def __init__(self, make):
        super().__init__()
        self.make = make
        self.result = "pending"

    def on_mount(self) -> None:
        self.push_screen(self.make(), self._done)

    def _done(self, result) -> None:
        self.result = result


async def test_approval_refuses_operators_and_the_initiator_then_a_supervisor_approves(service):
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
    app = Host(lambda: ApprovalModal.for_override(service, ov.id))
    async with app.run_test(size=SIZE) as pilot:
        modal = app.screen
        assert "减免费用" in shown(app, "#approval-line-0")
        for number, pin in (("1002", "246811"), ("1001", "246810")):
            modal.query_one("#approver-number", Input).value = number
            modal.query_one("#approver-pin", Input).value = pin
            await press(pilot, "#approve")
            await wait_for(
                pilot, lambda n=number: f"{n} is operator" in shown(app, "#approval-message")
            )
            assert "无此操作权限" in shown(app, "#approval-message")
            await wait_for(pilot, lambda: not modal.query_one("#approve", LangButton).disabled)
        modal.query_one("#approver-number", Input).value = "2001"
        modal.query_one("#approver-pin", Input).value = "135790"
        await press(pilot, "#approve")
        await wait_for(pilot, lambda: app.result != "pending")
    assert app.result == "approved"
    refused = [e for e in audit.entries(service.store.db, visit_id=12) if e.outcome == "refused"]
    # the person who tried to approve is the actor of each refused row
    assert {e.staff_no for e in refused} == {"1001", "1002"}


def test_yuan_to_fen():
    assert yuan_to_fen("1234.5", "card") == 123450
    assert yuan_to_fen("1,200", "card") == 120000
    for bad in ("-1", "1.234", "abc", ""):
        with pytest.raises(UsageError) as e:
            yuan_to_fen(bad, "card")
        assert e.value.code == "day.bad_counted"


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


async def _open_day(pilot, app, svc) -> DayCloseScreen:
    app.push_screen(DayCloseScreen(svc, DAY))
    await wait_for(pilot, lambda: isinstance(app.screen, DayCloseScreen))
    await wait_for(pilot, lambda: app.screen.report is not None)
    return app.screen


def _fill(screen, card="1200.00", keys="10", note=""):
    for method, value in (
        ("card", card),
        ("wechat", "400"),
        ("alipay", "200"),
        ("transfer", "1000"),
    ):
        screen.query_one(f"#count-{method}", Input).value = value
    screen.query_one("#count-keys", Input).value = keys
    screen.query_one("#day-note", Input).value = note


async def test_day_close_with_a_difference_needs_a_note_and_a_supervisor(make_app, day_service):
    app = make_app(staff=day_service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_day(pilot, app, day_service)
        _fill(screen, card="1190.00")
        await press(pilot, "#check")
        await wait_for(pilot, lambda: "card：-10.00（超出阈值）" in shown(app, "#day-message"))
        await press(pilot, "#close")
        await wait_for(pilot, lambda: "说明" in shown(app, "#day-message"))
        screen.query_one("#day-note", Input).value = "card slip missing"
        await press(pilot, "#close")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalModal))
        modal = app.screen
        modal.query_one("#approver-number", Input).value = "3001"  # the clerk: not a supervisor
        modal.query_one("#approver-pin", Input).value = "112233"
        await press(pilot, "#approve")
        await wait_for(pilot, lambda: "无此操作权限" in shown(app, "#approval-message"))
        modal.query_one("#approver-number", Input).value = "2001"
        modal.query_one("#approver-pin", Input).value = "135790"
        await press(pilot, "#approve")
        await wait_for(pilot, lambda: isinstance(app.screen, DayCloseScreen))
        await wait_for(pilot, lambda: "已日结" in shown(app, "#day-message"))
    assert is_closed(day_service.store, DAY)
    z = day_service.day_report(DAY)
    assert z["approver"] == "2001" and z["clerk"] == "3001"


async def test_day_close_blocks_in_flight_work_until_ticked(make_app, day_service):
    led = Ledger(day_service.store)
    led.n = 100
    _, order = led.visit(DAY, 16, state="open")
    app = make_app(staff=day_service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_day(pilot, app, day_service)
        await wait_for(pilot, lambda: len(screen.query(Checkbox)) == 1)
        _fill(screen)
        await press(pilot, "#close")
        await wait_for(pilot, lambda: order in shown(app, "#day-message"))
        screen.query_one(Checkbox).value = True
        await press(pilot, "#close")
        await wait_for(pilot, lambda: "已日结" in shown(app, "#day-message"))
        assert screen.query_one("#close", LangButton).disabled
    assert day_service.day_report(DAY)["counted"]["carry_over"]["visits"] == [order]


async def test_bad_amount_is_named_on_screen(make_app, day_service):
    app = make_app(staff=day_service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_day(pilot, app, day_service)
        _fill(screen, card="12.345")
        await press(pilot, "#check")
        await wait_for(pilot, lambda: "清点金额有误" in shown(app, "#day-message"))
    assert not is_closed(day_service.store, DAY)


async def test_clerk_reaches_the_day_close_from_staff_mode(make_app, service):
    app = make_app(staff=service)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, app, "3001", "112233")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffHomeScreen))
        await press(pilot, "#day-close")
        await wait_for(pilot, lambda: isinstance(app.screen, DayCloseScreen))
        assert app.screen.day == service.today()


async def test_day_close_shows_what_the_provider_bill_said(make_app, day_service):
    from kiosk.sync.client import HubUnavailable

    day_service.qr_bill = lambda day: {"wechat": 40000, "alipay": 20000}
    app = make_app(staff=day_service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_day(pilot, app, day_service)
        _fill(screen)
        screen.query_one("#count-wechat", Input).value = "40"  # mistyped: the bill corrects it
        await press(pilot, "#check")
        await wait_for(pilot, lambda: "扫码收款核对" in shown(app, "#day-message"))
        assert "provider bill 400.00" in shown(app, "#day-message")

        def down(day):
            raise HubUnavailable("connection refused")

        day_service.qr_bill = down
        await press(pilot, "#check")
        await wait_for(pilot, lambda: "connection refused" in shown(app, "#day-message"))
        assert "wechat：-360.00" in shown(app, "#day-message")
