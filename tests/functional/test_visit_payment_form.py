"""The visit's pay step takes every method, and its form asks what the visit needs.

Pilot on the training app (``build_services``: pcscd + vpcd with the virtual ID card, SoftHSM2
keys, the loopback hub, the printer stand-in, the payment sandbox): whole 机构 visits paid by a
WeChat QR code on screen (the sandbox's payer pays; the screen finds out by asking), by a
scanned Alipay 付款码, and by bank transfer (pending; no key until staff confirm); validity
years chosen on the checklist reach the quote and the certificate; a bad address or unit type
is refused in words. Money is counted in the store: one payment per visit, never two.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, Tabs

from kiosk.domain import clock, validity
from kiosk.domain.types import Service
from kiosk.shell.app import KioskApp
from kiosk.shell.cli import CliContext
from kiosk.shell.services import Services
from screens.checklist import ChecklistScreen
from screens.visit_form import UnitTypeList
from screens.visit_pay import TransferWaitPanel, VisitPayPanel
from screens.widgets.text import LangText
from tests.functional.test_visit_screens import (  # noqa: F401 (fixtures)
    SIZE,
    STAFF_NO,
    STAFF_PIN,
    Counter,
    error_of,
    step_of,
    training,
    until,
    visit,
)
from tests.money_helpers import ALIPAY_OK

TZ = "Asia/Shanghai"


@pytest.fixture
def app(training: tuple[CliContext, Services]) -> KioskApp:  # noqa: F811 (the imported fixture)
    ctx, services = training
    return KioskApp(ctx.settings(), services)


ADDRESS = "东莞市南城街道元美路8号"


def _uscc(n: int) -> str:
    from tests.flows_helpers import uscc_with_check

    return uscc_with_check(f"91441900MA{n:07d}")


async def _to_pay(c: Counter, program: str, uscc: str, name: str) -> None:
    """From the welcome screen to the visit's pay step of a new 机构 certificate."""
    await c.start("new", program, "org")
    await c.identify()
    await c.go("form", **{"unit-uscc": uscc, "unit-name": name, "unit-address": ADDRESS})
    while (step := step_of(c.app)) != "pay":
        if step is None:
            await c.pilot.pause(0.05)
            continue
        await (c.seal() if step == "seal" else c.go(step))
    await until(c.pilot, lambda: bool(c.app.screen.query(VisitPayPanel)), "the pay panel")


async def _method(pilot: Pilot, rights: int) -> None:
    """Keyboard: Shift+Tab to the method tabs, → ``rights`` times, Enter to its field."""
    app = pilot.app
    await until(pilot, lambda: app.screen.query_one("#pay-ref", Input).has_focus, "card field")
    await pilot.press("shift+tab")
    assert isinstance(app.focused, Tabs)
    for _ in range(rights):
        await pilot.press("right")
    await pilot.press("enter")


def _payments(app: KioskApp, order: str) -> list:
    pay = app.services.money.payments
    return pay.payments(pay.visit_id(order))


async def test_whole_visit_paid_by_a_wechat_qr_code_on_screen(app: KioskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        await _to_pay(c, "foshan-yzt", _uscc(9101), "佛山市二维码测试有限公司")
        order = visit(app).visit.order
        await _method(pilot, 1)  # 微信支付
        assert app.screen.query_one("#pay-code", Input).has_focus
        await pilot.press("enter")  # no 付款码 scanned: show the QR code
        panel = app.screen.query_one(VisitPayPanel)
        await until(pilot, lambda: panel.qr is not None, "the QR code shown")
        qr = app.screen.query_one("#pay-qr", Static)
        assert qr.display and "█" in str(qr.render())
        assert "用微信支付扫描二维码" in app.screen.query_one("#pay-qr-note", LangText).shown
        assert app.screen.query_one(Tabs).disabled  # one attempt at a time
        assert "出示" not in str(app.screen.query_one("#visit-next").label)
        [p] = _payments(app, order)
        assert (p.method, p.state, p.detail["flow"]) == ("wechat", "pending", "qr")
        assert p.idempotency_key == f"{order}:pay"
        # The payer scans and pays at the sandbox; the screen finds out by asking it.
        await asyncio.to_thread(app.services.visits.simulate_payer, p.out_trade_no)
        await until(pilot, lambda: step_of(app) not in (None, "pay"), "paid: the step ran")
        assert not error_of(app)
        order = await c.finish()
    [p] = _payments(app, order)
    assert (p.method, p.state) == ("wechat", "paid")
    st = app.services.visits.resume(order).state()
    assert st["payment"]["method"] == "wechat" and st["certificate"], st
    assert st["state"] == "done"


async def test_qr_codes_cancelled_or_timed_out_then_a_scanned_alipay_code_pays(
    app: KioskApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        await _to_pay(c, "foshan-yzt", _uscc(9102), "佛山市付款码测试有限公司")
        order = visit(app).visit.order
        # A QR code first, which the payer does not use: cancelled, nothing charged.
        await _method(pilot, 2)  # 支付宝
        await pilot.press("enter")
        panel = app.screen.query_one(VisitPayPanel)
        await until(pilot, lambda: panel.qr is not None, "the QR code shown")
        await pilot.click("#pay-qr-cancel")
        await until(pilot, lambda: panel.qr is None, "closed")
        assert "未扣款" in app.screen.query_one("#pay-qr-note", LangText).shown
        assert [p.state for p in _payments(app, order)] == ["cancelled"]
        # A second QR code is left unpaid until the wait runs out: closed, nothing charged.
        desk = app.services.visits
        desk.qr_wait_s, wait = 2.0, desk.qr_wait_s
        try:
            await pilot.press("enter")  # Enter in the empty code field: a new QR code
            await until(pilot, lambda: panel.qr is not None, "a new QR code shown")
            await until(pilot, lambda: panel.qr is None, "timed out", deadline=15)
        finally:
            desk.qr_wait_s = wait
        assert "超时" in app.screen.query_one("#pay-qr-note", LangText).shown
        assert [p.state for p in _payments(app, order)] == ["cancelled", "cancelled"]
        # The payer shows their 付款码: the scanner types it and Enter (the field has the focus).
        assert app.screen.query_one("#pay-code", Input).has_focus
        assert not app.screen.query_one(Tabs).disabled
        app.screen.query_one("#pay-code", Input).value = ALIPAY_OK
        await pilot.press("enter")
        await until(pilot, lambda: step_of(app) not in (None, "pay"), "paid by code")
        assert not error_of(app), error_of(app)
        order = await c.finish()
    ps = _payments(app, order)
    assert [(p.method, p.state) for p in ps] == [
        ("alipay", "cancelled"),
        ("alipay", "cancelled"),
        ("alipay", "paid"),
    ]
    # Each attempt had its own key, moved on only after one ended with nothing charged.
    assert [p.idempotency_key for p in ps] == [f"{order}:pay", f"{order}:pay:2", f"{order}:pay:3"]


async def test_a_transfer_waits_for_staff_before_any_key(app: KioskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        name = "佛山市转账测试有限公司"
        await _to_pay(c, "foshan-yzt", _uscc(9103), name)
        order = visit(app).visit.order
        await _method(pilot, 3)  # 对公转账: the payer must be the unit
        payer = app.screen.query_one("#pay-payer", Input)
        await until(pilot, lambda: payer.value == name, "payer prefilled with the unit")
        # Another account is refused in words.
        payer.value = "张三"
        app.screen.query_one("#pay-serial", Input).value = "BANK2026112201"
        await pilot.click("#visit-next")
        await until(pilot, lambda: bool(error_of(app)), "refused")
        assert "转账须从本单位" in error_of(app)
        payer.value = name
        app.screen.query_one("#pay-serial", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: step_of(app) == "keys", "recorded: the key step")
        await until(pilot, lambda: bool(app.screen.query(TransferWaitPanel)), "waiting")
        assert "尚未确认到账" in app.screen.query_one("#transfer-wait-note", LangText).shown
        assert [p.state for p in _payments(app, order)] == ["pending"]
        assert visit(app).visit.key is None
        # A wrong PIN is refused in words; nothing moves.
        app.screen.query_one("#tw-staff", Input).value = STAFF_NO
        app.screen.query_one("#tw-pin", Input).value = "000000"
        await pilot.click("#visit-next")
        await until(pilot, lambda: bool(error_of(app)), "wrong PIN refused")
        assert "工号或密码不正确" in error_of(app)
        assert [p.state for p in _payments(app, order)] == ["pending"]
        # Staff confirm the money arrived: the key step goes on.
        app.screen.query_one("#tw-pin", Input).value = STAFF_PIN
        app.screen.query_one("#tw-pin", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: not app.screen.query(TransferWaitPanel), "confirmed")
        assert [p.state for p in _payments(app, order)] == ["paid"]
        order = await c.finish()
    st = app.services.visits.resume(order).state()
    assert st["payment"] == {"id": st["payment"]["id"], "state": "paid", "method": "transfer"}
    assert st["certificate"] and st["key"]["state"] == "active", st
    row = app.services.store.db.execute(
        "SELECT initiator_no FROM overrides WHERE kind = 'confirm_transfer' AND visit_id = ?",
        [app.services.money.payments.visit_id(order)],
    ).fetchall()
    assert row == [(STAFF_NO,)]


async def test_three_years_are_quoted_and_the_certificate_runs_three_years(
    app: KioskApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        # The checklist offers the years with the total; ←/→ and digits change them.
        await until(pilot, lambda: len(app.screen_stack) == 1, "welcome")
        await pilot.click("#service-new")
        await until(pilot, lambda: app.screen.name == "program", "program screen")
        await pilot.click("#program-dongguan-hpf")
        await until(pilot, lambda: app.screen.name == "kind", "kind screen")
        await pilot.click("#kind-org")
        await until(pilot, lambda: isinstance(app.screen, ChecklistScreen), "checklist")
        line = app.screen.query_one("#years-text", LangText)
        assert app.screen.years == 3 and "推荐" in line.shown
        await pilot.press("left")
        assert app.screen.years == 2 and "¥ 800.00" in line.shown
        await pilot.press("9")  # beyond the range: the most there is
        assert app.screen.years == 5
        await pilot.press("3")
        # 东莞公积金 new + seal, 3 years = 3×200 + 3×200 (DOMAIN.md's worked example).
        assert app.screen.years == 3 and "¥ 1,200.00" in line.shown
        await pilot.press("f2")
        assert "Valid 3 year(s) (recommended)" in line.shown
        await pilot.press("f2")
        await pilot.click("#identify")
        await until(pilot, lambda: step_of(app) == "identify", "identify step")
        await c.identify()
        await c.go(
            "form",
            **{
                "unit-uscc": _uscc(9104),
                "unit-name": "东莞市三年测试有限公司",
                "unit-address": ADDRESS,
            },
        )
        await c.go("materials")
        await c.seal()  # the live seal screen, as at the counter
        await until(pilot, lambda: step_of(app) == "quote", "quote")
        await until(pilot, lambda: bool(app.screen.query("#visit-quote")), "quote shown")
        assert "¥ 1,200.00" in app.screen.query_one("#visit-quote", LangText).shown
        order = await c.finish()
    st = app.services.visits.resume(order).state()
    assert st["total_fen"] == 120000
    issued = clock.from_storage(st["certificate"]["not_before"])
    want = validity.after_service(Service.NEW, clock.local_today(issued, TZ), years=3).not_after
    got = clock.local_today(clock.from_storage(st["certificate"]["not_after"]), TZ)
    assert got == want and want.year == clock.local_today(issued, TZ).year + 3


async def test_a_bad_address_or_unit_type_is_refused_in_words(app: KioskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        await c.start("new", "foshan-yzt", "org")
        await c.identify()
        await until(pilot, lambda: step_of(app) == "form", "form")
        await until(pilot, lambda: bool(app.screen.query("#unit-address")), "the form's fields")
        s = app.screen
        uscc = _uscc(9105)
        s.query_one("#unit-uscc", Input).value = uscc
        s.query_one("#unit-name", Input).value = "佛山市地址测试有限公司"
        types = s.query_one("#unit-type", UnitTypeList)
        assert types.value == "enterprise"  # 9 1…: an enterprise, suggested by the code
        # Keyboard: Enter in the name goes to the unit type; ↓ chooses the next, Enter keeps it.
        s.query_one("#unit-name", Input).focus()
        await pilot.press("enter")
        assert types.has_focus
        await pilot.press("down", "enter")
        assert types.value == "institution" and s.query_one("#unit-address", Input).has_focus
        s.query_one("#unit-address", Input).value = "No. 8 Road"
        await pilot.click("#visit-next")
        await until(pilot, lambda: bool(error_of(app)), "address refused")
        assert "单位地址不正确" in error_of(app) and "address.not_chinese" in error_of(app)
        await pilot.press("f2")
        assert "The unit address is wrong" in error_of(app)
        await pilot.press("f2")
        assert step_of(app) == "form"
        # A unit type that is not on the list (as a tampered or stale value would be).
        s.query_one("#unit-address", Input).value = ADDRESS
        types.value = "factory"
        await pilot.click("#visit-next")
        await until(pilot, lambda: "单位性质" in error_of(app), "unit type refused")
        assert "unit.type" in error_of(app) and step_of(app) == "form"
        # Chosen from the list again: the form is accepted, type and address kept.
        types.choose("institution")
        await pilot.click("#visit-next")
        await until(pilot, lambda: step_of(app) not in (None, "form"), "form accepted")
        assert not error_of(app), error_of(app)
        unit = app.services.visits.data(visit(app).flow).unit
        assert unit is not None and (unit.unit_type, unit.address) == ("institution", ADDRESS)
        app.go_home()
        await until(pilot, lambda: len(app.screen_stack) == 1, "home")
        assert app.agent is None


async def test_the_idle_timeout_clears_the_screen_and_closes_an_open_qr_code(app: KioskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        await _to_pay(c, "foshan-yzt", _uscc(9106), "佛山市空闲测试有限公司")
        order = visit(app).visit.order
        await _method(pilot, 1)
        await pilot.press("enter")
        panel = app.screen.query_one(VisitPayPanel)
        await until(pilot, lambda: panel.qr is not None, "the QR code shown")
        app.idle_timeout_s = 2.0  # the agent walks away from the QR code
        try:
            await until(pilot, lambda: len(app.screen_stack) == 1, "cleared to welcome", 15)
        finally:
            app.idle_timeout_s = float(app.settings.ui.idle_timeout_s)
        assert app.agent is None
        await until(
            pilot,
            lambda: [p.state for p in _payments(app, order)] == ["cancelled"],
            "the open QR trade closed",
        )
    # The visit stays resumable at its pay step (staff resume it; a new code is shown then).
    assert app.services.visits.resume(order).next_step() == "pay"
