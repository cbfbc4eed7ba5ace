"""收费 Payment: choose the method, take the money once, hand the paid payment back.

The screen talks to the payment service through the small port below (duck-typed, so screens
import neither ``data`` nor ``hardware``); every provider or store call runs in a thread worker
and its outcome comes back as a message. A keyboard-wedge scanner "types" the payer's payment
code (付款码) and Enter into the scan field: that Enter is the trigger.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Input, Label, Static

from kiosk.domain.payment import PROVIDER_METHODS
from kiosk.errors import KioskError
from kiosk.payments.money import parse_yuan, yuan

# zh-CN words for the codes a clerk meets most (English is the error's own message).
ERROR_ZH: dict[str, str] = {
    "payment.bad_code": "这不是微信或支付宝付款码，请让付款人刷新付款码后重新扫描",
    "payment.refused": "支付被拒绝，未扣款",
    "payment.not_confirmed": "付款人未在规定时间内确认，交易已撤销，未扣款",
    "payment.unclear": "支付结果不明，交易保持待确认，稍后自动核对",
    "payment.provider_offline": "离线：微信支付和支付宝不可用，请改用刷卡或对公转账",
    "payment.duplicate": "该报价已有收款记录，不能重复收费",
    "payment.duplicate_reference": "该参考号已登记过，请核对终端或银行凭条",
    "payment.over_quote": "金额超过应收金额",
    "payment.amount_mismatch": "金额与应收金额不符",
    "payment.fractional": "金额最多两位小数",
    "payment.not_positive": "金额必须大于零",
    "payment.bad_amount": "请输入金额（元）",
    "payment.bad_reference": "参考号为4到40位字母或数字",
    "payment.payer_mismatch": "付款账户名称须与单位（或个人证书的申请人）一致",
    "payment.payer_missing": "请填写付款账户名称",
}

METHOD_BUTTONS = (
    ("card", "刷卡 Card"),
    ("wechat", "微信支付 WeChat"),
    ("alipay", "支付宝 Alipay"),
    ("transfer", "对公转账 Transfer"),
)


class PaymentsPort(Protocol):
    """What this screen needs of ``kiosk.payments.service.PaymentService``."""

    def methods(self) -> list[Any]: ...
    def pay_card(self, visit_id: int, quote: Any, **kw: Any) -> Any: ...
    def pay_code(self, visit_id: int, quote: Any, **kw: Any) -> Any: ...
    def pay_qr(self, visit_id: int, quote: Any, **kw: Any) -> tuple[Any, str]: ...
    def check(self, payment_id: int) -> Any: ...
    def record_transfer(self, visit_id: int, quote: Any, **kw: Any) -> Any: ...


def qr_text(data: str) -> str:
    """A QR code drawn with half-block characters (two modules per character cell)."""
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(data)
    qr.make(fit=True)
    m = qr.get_matrix()
    if len(m) % 2:
        m.append([False] * len(m[0]))
    rows = []
    for top, bottom in zip(m[0::2], m[1::2], strict=True):
        rows.append(
            "".join(
                "█" if t and b else "▀" if t else "▄" if b else " "
                for t, b in zip(top, bottom, strict=True)
            )
        )
    return "\n".join(rows)


class PaymentScreen(Screen[Any]):
    """Take payment for a visit's quote; dismisses with the payment when it is paid or recorded.

    Args:
        payments: the payment service (see :class:`PaymentsPort`).
        visit_id: the visit.
        quote: the visit's quote (``items``, ``total_fen``).
        order_no: shown in the title.
        staff_no: the signed-in staff member taking the money.
        transfer_remark: the program's remark a transfer must carry.
        transfer_payer: who must pay a transfer (the unit, or the applicant).
        simulate_scan: training mode only: ``simulate_scan(out_trade_no)`` makes the sandbox's
            payer pay the on-screen QR code (a button appears beside the code).
    """

    DEFAULT_CSS = """
    PaymentScreen { padding: 1 2; }
    #title { text-style: bold; }
    #due { color: $warning; text-style: bold; margin-bottom: 1; }
    #methods Button { margin-right: 1; }
    #offline { color: $error; }
    #panels { height: auto; margin-top: 1; }
    #panels Input { width: 60; }
    #qr { width: auto; }
    #result { margin-top: 1; }
    #result.error { color: $error; }
    #result.ok { color: $success; }
    .hidden { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "back", "返回 Back")]

    class Settled(Message):
        """A payment was paid (or a transfer recorded as pending)."""

        def __init__(self, payment: Any) -> None:
            super().__init__()
            self.payment = payment

    class Failed(Message):
        """A payment attempt was refused; nothing was charged unless the code says unclear."""

        def __init__(self, error: KioskError) -> None:
            super().__init__()
            self.error = error

    class QrReady(Message):
        """A QR trade is open: show its code."""

        def __init__(self, payment: Any, url: str) -> None:
            super().__init__()
            self.payment = payment
            self.url = url

    def __init__(
        self,
        payments: PaymentsPort,
        *,
        visit_id: int,
        quote: Any,
        order_no: str,
        staff_no: str,
        transfer_remark: str = "",
        transfer_payer: str = "",
        simulate_scan: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__()
        self.simulate_scan = simulate_scan
        self.payments = payments
        self.visit_id = visit_id
        self.quote = quote
        self.order_no = order_no
        self.staff_no = staff_no
        self.transfer_remark = transfer_remark
        self.transfer_payer = transfer_payer
        self.channel = "wechat"
        self.qr_payment: Any = None

    def compose(self) -> ComposeResult:
        yield Static(f"收费 Payment · {self.order_no}", id="title")
        yield Static(f"应收 Amount due  {yuan(self.quote.total_fen)}", id="due")
        with Horizontal(id="methods"):
            for method, label in METHOD_BUTTONS:
                yield Button(label, id=f"m-{method}")
        yield Static("", id="offline")
        with ContentSwitcher(initial="p-code", id="panels"):
            with Vertical(id="p-code"):
                yield Label("请付款人出示付款码，用扫码枪扫描 · Scan the payer's payment code")
                yield Input(placeholder="付款码 Payment code", id="scan")
                yield Button("出示收款码 Show QR code", id="show-qr")
                yield Static("", id="qr")
                yield Button(
                    "培训：模拟付款人扫码 Training: payer scans", id="simulate", classes="hidden"
                )
            with Vertical(id="p-card"):
                yield Label("刷卡后录入终端参考号和金额 · Terminal reference and amount")
                yield Input(placeholder="终端参考号 Terminal reference", id="card-ref")
                yield Input(placeholder="金额（元） Amount (yuan)", id="card-amount")
                yield Button("确认收款 Confirm", id="card-ok", variant="primary")
            with Vertical(id="p-transfer"):
                remark = self.transfer_remark or "（无 none）"
                yield Static(
                    f"转账备注 Remark: {remark}\n"
                    f"付款方须为 Payer must be: {self.transfer_payer or '-'}\n"
                    "对公转账待确认后方可出证（视配置） · Pending until confirmed",
                    id="transfer-details",
                )
                yield Input(placeholder="付款账户名称 Payer account name", id="tr-payer")
                yield Input(placeholder="银行流水号 Bank serial", id="tr-serial")
                yield Input(placeholder="金额（元） Amount (yuan)", id="tr-amount")
                yield Button("登记转账 Record transfer", id="tr-ok", variant="primary")
        yield Static("", id="result")

    def on_mount(self) -> None:
        self.refresh_methods()
        self.query_one("#scan", Input).focus()

    def refresh_methods(self) -> None:
        """Disable methods that cannot be used now and say why."""
        reasons = []
        for m in self.payments.methods():
            button = self.query_one(f"#m-{m.method}", Button)
            button.disabled = not m.available
            if not m.available and m.reason_zh not in reasons:
                reasons.append(m.reason_zh)
        self.query_one("#offline", Static).update("\n".join(reasons))

    def _say(self, text: str, *, ok: bool) -> None:
        result = self.query_one("#result", Static)
        result.set_class(ok, "ok")
        result.set_class(not ok, "error")
        result.update(text)

    def _error(self, e: KioskError) -> None:
        zh = ERROR_ZH.get(e.code, e.title)
        self._say(f"{zh}\n{e.message}", ok=False)

    # -- choosing ------------------------------------------------------------------------------
    @on(Button.Pressed, "#methods Button")
    def choose(self, event: Button.Pressed) -> None:
        method = (event.button.id or "").removeprefix("m-")
        panel = {"card": "p-card", "transfer": "p-transfer"}.get(method, "p-code")
        if method in PROVIDER_METHODS:
            self.channel = method
        self.query_one(ContentSwitcher).current = panel
        first = {"p-code": "#scan", "p-card": "#card-ref", "p-transfer": "#tr-payer"}[panel]
        self.query_one(first, Input).focus()

    # -- scanner -------------------------------------------------------------------------------
    @on(Input.Submitted, "#scan")
    def scanned(self, event: Input.Submitted) -> None:
        code = event.value
        event.input.value = ""
        if not code.strip():
            return
        self._say("正在收款… Charging…", ok=True)
        self._pay_code(code)

    @work(thread=True, exclusive=True, exit_on_error=False, group="payment")
    def _pay_code(self, code: str) -> None:
        try:
            p = self.payments.pay_code(
                self.visit_id, self.quote, scanned=code, staff_no=self.staff_no
            )
        except KioskError as e:
            self.post_message(self.Failed(e))
            return
        self.post_message(self.Settled(p))

    # -- QR on screen --------------------------------------------------------------------------
    @on(Button.Pressed, "#show-qr")
    def show_qr(self) -> None:
        self._open_qr(self.channel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="payment")
    def _open_qr(self, channel: str) -> None:
        try:
            p, url = self.payments.pay_qr(
                self.visit_id, self.quote, channel=channel, staff_no=self.staff_no
            )
        except KioskError as e:
            self.post_message(self.Failed(e))
            return
        self.post_message(self.QrReady(p, url))

    def on_payment_screen_qr_ready(self, message: QrReady) -> None:
        self.qr_payment = message.payment
        self.query_one("#qr", Static).update(qr_text(message.url))
        self._say("请付款人扫描屏幕上的二维码 · Payer scans the QR code", ok=True)
        self.set_interval(2.0, self._poll_qr, name="qr-poll")
        if self.simulate_scan is not None:
            self.query_one("#simulate", Button).remove_class("hidden")

    @on(Button.Pressed, "#simulate")
    def simulate(self) -> None:
        if self.simulate_scan is not None and self.qr_payment is not None:
            self._simulate(self.qr_payment.out_trade_no)

    @work(thread=True, exclusive=True, exit_on_error=False, group="simulate")
    def _simulate(self, out_trade_no: str) -> None:
        assert self.simulate_scan is not None
        self.simulate_scan(out_trade_no)
        self._check_qr(self.qr_payment.id)

    def _poll_qr(self) -> None:
        if self.qr_payment is not None:
            self._check_qr(self.qr_payment.id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="qr-poll")
    def _check_qr(self, payment_id: int) -> None:
        try:
            p = self.payments.check(payment_id)
        except KioskError as e:
            self.post_message(self.Failed(e))
            return
        if p.state == "paid":
            self.post_message(self.Settled(p))

    # -- card ----------------------------------------------------------------------------------
    @on(Button.Pressed, "#card-ok")
    @on(Input.Submitted, "#card-amount")
    def card(self) -> None:
        ref = self.query_one("#card-ref", Input).value
        try:
            amount = parse_yuan(self.query_one("#card-amount", Input).value)
        except KioskError as e:
            self._error(e)
            return
        self._pay_card(ref, amount)

    @work(thread=True, exclusive=True, exit_on_error=False, group="payment")
    def _pay_card(self, ref: str, amount: int) -> None:
        try:
            p = self.payments.pay_card(
                self.visit_id,
                self.quote,
                terminal_ref=ref,
                amount_fen=amount,
                staff_no=self.staff_no,
            )
        except KioskError as e:
            self.post_message(self.Failed(e))
            return
        self.post_message(self.Settled(p))

    # -- transfer ------------------------------------------------------------------------------
    @on(Button.Pressed, "#tr-ok")
    @on(Input.Submitted, "#tr-amount")
    def transfer(self) -> None:
        try:
            amount = parse_yuan(self.query_one("#tr-amount", Input).value)
        except KioskError as e:
            self._error(e)
            return
        self._record_transfer(
            self.query_one("#tr-payer", Input).value,
            self.query_one("#tr-serial", Input).value,
            amount,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="payment")
    def _record_transfer(self, payer: str, serial: str, amount: int) -> None:
        try:
            p = self.payments.record_transfer(
                self.visit_id,
                self.quote,
                payer_name=payer,
                bank_serial=serial,
                amount_fen=amount,
                staff_no=self.staff_no,
            )
        except KioskError as e:
            self.post_message(self.Failed(e))
            return
        self.post_message(self.Settled(p))

    # -- outcomes ------------------------------------------------------------------------------
    def on_payment_screen_failed(self, message: Failed) -> None:
        self._error(message.error)
        self.refresh_methods()  # an offline provider disables its methods now

    def on_payment_screen_settled(self, message: Settled) -> None:
        p = message.payment
        if p.state == "pending":
            self._say(f"已登记，待确认 Recorded, pending confirmation ({p.reference})", ok=True)
        else:
            amount = yuan(p.amount_fen)
            self._say(f"已收款 Paid {amount} · {p.reference or ''}", ok=True)
        self.dismiss(p)

    def action_back(self) -> None:
        self.dismiss(None)


class InvoicePort(Protocol):
    """What :class:`InvoiceScreen` needs of the payment service."""

    def record_invoice(
        self, visit_id: int, *, title: str, taxpayer_no: str, phone: str, email: str
    ) -> int: ...


class InvoiceScreen(Screen[int | None]):
    """开票信息 Invoice details: title, taxpayer number, phone, e-mail; sent to the hub.

    Dismisses with the stored request's id, or None when skipped (Esc).
    """

    DEFAULT_CSS = """
    InvoiceScreen { padding: 1 2; }
    InvoiceScreen Input { width: 60; }
    #inv-result { margin-top: 1; color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "back", "跳过 Skip")]

    def __init__(self, payments: InvoicePort, *, visit_id: int, title: str = "") -> None:
        super().__init__()
        self.payments = payments
        self.visit_id = visit_id
        self.default_title = title

    def compose(self) -> ComposeResult:
        yield Static("开票信息 Invoice details（增值税电子普通发票，1-2个工作日内发送）")
        yield Input(self.default_title, placeholder="发票抬头 Invoice title", id="inv-title")
        yield Input(placeholder="纳税人识别号 Taxpayer number (USCC)", id="inv-taxpayer")
        yield Input(placeholder="手机 Phone", id="inv-phone")
        yield Input(placeholder="电子邮箱 E-mail", id="inv-email")
        yield Button("提交 Submit", id="inv-ok", variant="primary")
        yield Static("", id="inv-result")

    @on(Button.Pressed, "#inv-ok")
    @on(Input.Submitted, "#inv-email")
    def submit(self) -> None:
        values = {
            key: self.query_one(f"#inv-{key.split('_')[0]}", Input).value
            for key in ("title", "taxpayer_no", "phone", "email")
        }
        self._record(values)

    @work(thread=True, exclusive=True, exit_on_error=False, group="invoice")
    def _record(self, values: dict[str, str]) -> None:
        try:
            request_id = self.payments.record_invoice(self.visit_id, **values)
        except KioskError as e:
            self.app.call_from_thread(self._say, e.message)
            return
        self.app.call_from_thread(self.dismiss, request_id)

    def _say(self, text: str) -> None:
        self.query_one("#inv-result", Static).update(f"请检查 Please check: {text}")

    def action_back(self) -> None:
        self.dismiss(None)
