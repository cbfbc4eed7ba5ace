"""The payment screen and the receipt preview, driven with Textual's Pilot on the real services."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from hub.payments.sandbox import SandboxProvider
from screens.payment import InvoiceScreen, PaymentScreen
from screens.receipt import ReceiptPreview, ReceiptScreen
from screens.widgets.printer_status import PrinterStatusBar
from tests.money_helpers import UNIT, WECHAT_OK, dg_new_quote, make_visit, open_store, wire

NOWHERE = "tcp://127.0.0.1:9"
SIZE = (120, 50)


class Host(App[None]):
    """Pushes one screen and keeps what it dismissed with."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.screen_under_test = screen
        self.result: Any = "not dismissed"

    def on_mount(self) -> None:
        self.push_screen(self.screen_under_test, callback=self._done)

    def _done(self, result: Any) -> None:
        self.result = result


async def until(pilot: Any, cond: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.05)


@pytest.fixture
def world(tmp_path: Path):
    store = open_store(tmp_path)
    sandbox = SandboxProvider()
    money = wire(store, NOWHERE, provider=sandbox)
    visit = make_visit(store)
    yield money, sandbox, visit
    store.close()


def payment_screen(money: Any, visit: int) -> PaymentScreen:
    return PaymentScreen(
        money.payments,
        visit_id=visit,
        quote=dg_new_quote(),
        order_no="DG-20261121-0007",
        staff_no="S001",
        transfer_remark="东莞公积金证书",
        transfer_payer=UNIT,
    )


async def test_scanner_types_the_code_and_enter_pays(world: Any) -> None:
    money, _sandbox, visit = world
    app = Host(payment_screen(money, visit))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "￥1,200.00" in str(screen.query_one("#due", Static).render())
        scan = screen.query_one("#scan", Input)
        assert scan.has_focus
        scan.value = WECHAT_OK  # the wedge scanner's digits…
        await pilot.press("enter")  # …and its Enter
        await until(pilot, lambda: app.result != "not dismissed")
    assert app.result.state == "paid" and app.result.method == "wechat"
    assert len(money.queue.jobs(visit_id=visit)) == 1


async def test_not_a_payment_code_is_explained_and_charges_nothing(world: Any) -> None:
    money, sandbox, visit = world
    app = Host(payment_screen(money, visit))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#scan", Input).value = "https://example.cn/not-a-code"
        await pilot.press("enter")
        result = app.screen.query_one("#result", Static)
        await until(pilot, lambda: "付款码" in str(result.render()))
        assert result.has_class("error")
    assert money.payments.payments(visit) == [] and sandbox.calls == []


async def test_offline_disables_wechat_and_alipay_with_the_reason(world: Any) -> None:
    money, _, visit = world
    money.payments.set_online(False, "hub unreachable")
    app = Host(payment_screen(money, visit))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        s = app.screen
        assert (
            s.query_one("#m-wechat", Button).disabled and s.query_one("#m-alipay", Button).disabled
        )
        assert not s.query_one("#m-card", Button).disabled
        assert "离线" in str(s.query_one("#offline", Static).render())


async def test_card_amount_checked_then_paid(world: Any) -> None:
    money, _, visit = world
    app = Host(payment_screen(money, visit))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#m-card")
        s = app.screen
        s.query_one("#card-ref", Input).value = "TRM-0001"
        s.query_one("#card-amount", Input).value = "1300"
        await pilot.click("#card-ok")
        result = s.query_one("#result", Static)
        await until(pilot, lambda: "超过" in str(result.render()))
        s.query_one("#card-amount", Input).value = "1,200.00"
        # Buttons ignore clicks during their 0.2 s press effect (double-click guard).
        await until(pilot, lambda: not s.query_one("#card-ok", Button).has_class("-active"))
        await pilot.click("#card-ok")
        await until(pilot, lambda: app.result != "not dismissed")
    assert app.result.state == "paid" and app.result.reference == "TRM-0001"


async def test_transfer_shows_remark_and_is_recorded_pending(world: Any) -> None:
    money, _, visit = world
    app = Host(payment_screen(money, visit))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#m-transfer")
        s = app.screen
        assert "东莞公积金证书" in str(s.query_one("#transfer-details", Static).render())
        s.query_one("#tr-payer", Input).value = UNIT
        s.query_one("#tr-serial", Input).value = "BK20261121001"
        s.query_one("#tr-amount", Input).value = "1200"
        await pilot.click("#tr-ok")
        await until(pilot, lambda: app.result != "not dismissed")
    assert app.result.state == "pending" and app.result.method == "transfer"


async def test_qr_on_screen_is_paid_when_the_payer_scans(world: Any) -> None:
    money, sandbox, visit = world
    app = Host(payment_screen(money, visit))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#m-alipay")
        await pilot.click("#show-qr")
        s = app.screen
        await until(pilot, lambda: s.qr_payment is not None)  # type: ignore[attr-defined]
        assert "█" in str(s.query_one("#qr", Static).render())
        sandbox.simulate_scan(s.qr_payment.out_trade_no)  # type: ignore[attr-defined]
        await until(pilot, lambda: app.result != "not dismissed")
    assert app.result.state == "paid" and app.result.method == "alipay"


async def test_training_button_makes_the_sandbox_payer_pay(world: Any) -> None:
    money, sandbox, visit = world
    screen = payment_screen(money, visit)
    screen.simulate_scan = sandbox.simulate_scan
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        simulate = app.screen.query_one("#simulate", Button)
        assert not simulate.display  # hidden until a QR code is shown
        await pilot.click("#show-qr")
        await until(pilot, lambda: simulate.display)
        await pilot.click("#simulate")
        await until(pilot, lambda: app.result != "not dismissed")
    assert app.result.state == "paid" and app.result.method == "wechat"


async def test_receipt_preview_shows_the_printed_lines_and_queues_a_reprint(world: Any) -> None:
    money, _, visit = world
    money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    expected = money.receipts.preview("DG-20261121-0007").preview_lines()
    app = Host(ReceiptScreen(money.receipts, order_no="DG-20261121-0007", staff_no="S002"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        preview = app.screen.query_one("#preview", ReceiptPreview)
        assert preview.lines == expected
        assert any("￥1,200.00" in ln for ln in preview.lines)
        await pilot.click("#reprint")
        msg = app.screen.query_one("#message", Static)
        await until(pilot, lambda: "Reprint queued" in str(msg.render()))
    jobs = money.queue.jobs(visit_id=visit)
    assert [j.reprint for j in jobs] == [False, True]


async def test_receipt_screen_for_an_unpaid_visit_says_so(world: Any) -> None:
    money, _, _ = world
    app = Host(ReceiptScreen(money.receipts, order_no="DG-20261121-0007", staff_no="S002"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#reprint", Button).disabled
        assert "no receipt" in str(app.screen.query_one("#message", Static).render())


async def test_status_bar_says_why_receipts_wait() -> None:
    from hardware.printer.device import PrinterStatus
    from kiosk.receipts.queue import QueueStatus

    class Bar(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield PrinterStatusBar(id="bar")

    app = Bar()
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(PrinterStatusBar)
        st = PrinterStatus("paper_out")
        bar.show(QueueStatus(st, 2, st.message, st.message_zh))
        await pilot.pause()
        assert "缺纸" in str(bar.render()) and "2" in str(bar.render()) and bar.has_class("waiting")
        bar.show(QueueStatus(PrinterStatus("ready"), 0))
        await pilot.pause()
        assert not bar.has_class("waiting") and "就绪" in str(bar.render())


async def test_invoice_details_are_checked_then_sent(world: Any) -> None:
    from tests.money_helpers import events

    money, _, visit = world
    app = Host(InvoiceScreen(money.payments, visit_id=visit, title=UNIT))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        s = app.screen
        s.query_one("#inv-taxpayer", Input).value = "91441900MA4UJ8K21X"  # wrong check character
        s.query_one("#inv-phone", Input).value = "13800138000"
        s.query_one("#inv-email", Input).value = "finance@example.cn"
        await pilot.click("#inv-ok")
        result = s.query_one("#inv-result", Static)
        await until(pilot, lambda: "USCC" in str(result.render()))
        s.query_one("#inv-taxpayer", Input).value = "91441900MA4UJ8K21H"
        await until(pilot, lambda: not s.query_one("#inv-ok", Button).has_class("-active"))
        await pilot.click("#inv-ok")
        await until(pilot, lambda: app.result != "not dismissed")
    assert isinstance(app.result, int)
    kinds = [k for k, _ in events(money.payments.store.db, visit)]
    assert kinds == ["invoice.requested"]
