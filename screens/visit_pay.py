"""The visit's pay step on screen, every method the counter takes, and the transfer wait.

:class:`VisitPayPanel` sits in the visit screen's step area at the ``pay`` step. It collects
what the engine's pay step needs (``kiosk.visits.paying``) and hands it to the visit screen as
:class:`VisitPayPanel.Submit`; the visit screen runs the step like any other, so the money is
taken once, by the engine, under the visit's idempotency key:

- 刷卡 card: the POS terminal's reference (Enter in the field goes on);
- 微信支付 / 支付宝: the scanner types the payer's 付款码 and Enter into the code field; or the
  main button shows a QR code for the payer to scan, asked about every few seconds until the
  provider says paid (then the step runs), the wait runs out, or the clerk cancels (both close
  the trade: nothing charged);
- 对公转账 transfer: payer account name (the unit's, or the applicant's) and bank serial; the
  step records it pending, and :class:`TransferWaitPanel` holds the key step until staff confirm
  the money arrived (staff number and PIN), or the visit is resumed later.

Keys: the method tabs are one Shift+Tab above the first field; ←/→ change the method, Enter
goes to its field. Every provider and store call runs in a thread worker.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Input, Static, Tab, Tabs

from kiosk.domain.fees import format_fen
from kiosk.domain.payment import PAYMENT_METHODS, PROVIDER_METHODS
from kiosk.errors import KioskError
from screens.host import current_lang
from screens.i18n import Bi, Lang, bi, t
from screens.widgets.text import LangButton, LangText, follow_language

if TYPE_CHECKING:  # what the screen reads of the engine's answers (no visit code)
    from screens.visit_view import PaymentStatusView, PaymentView, VisitView


class PayPort(Protocol):
    """What the pay step asks of ``kiosk.visits.desk.VisitDesk`` (blocking: workers only)."""

    training: bool
    qr_wait_s: float
    qr_poll_s: float

    def pay_methods(self) -> list[Any]: ...
    def pay_status(self, flow: Any) -> PaymentStatusView | None: ...
    def pay_qr(self, flow: Any, channel: str) -> PaymentStatusView: ...
    def pay_cancel(self, flow: Any, reason: str) -> PaymentStatusView | None: ...
    def transfer_details(self, flow: Any) -> dict[str, str]: ...
    def simulate_payer(self, out_trade_no: str) -> None: ...
    def can_issue(self, flow: Any) -> tuple[bool, str]: ...
    def confirm_transfer(self, flow: Any, staff_no: str, pin: str) -> VisitView: ...


METHODS = PAYMENT_METHODS
METHOD_KEYS = {
    "card": "visit.pay_m_card",
    "wechat": "visit.pay_m_wechat",
    "alipay": "visit.pay_m_alipay",
    "transfer": "visit.pay_m_transfer",
}
_SECTION = {
    "card": "sec-card",
    "wechat": "sec-code",
    "alipay": "sec-code",
    "transfer": "sec-transfer",
}
_FIRST = {"sec-card": "#pay-ref", "sec-code": "#pay-code", "sec-transfer": "#pay-payer"}
PAID = ("paid", "partially_refunded", "refunded")


def _code(area: str, what: str) -> str:
    return f"{area}.{what}"  # two parts, so a code is not mistaken for a catalogue key


#: Refusal codes of the pay step and the transfer wait, worded on screen (visit.ERROR_KEYS).


def qr_text(data: str) -> str:
    """A QR code drawn with half-block characters (the payment screen's drawing)."""
    from screens.payment import qr_text as draw

    return draw(data)


class VisitPayPanel(Vertical):
    """The pay step: choose the method, then take the money through the engine.

    Args:
        port: the visit desk.
        flow: the open visit.
        total_fen: the amount due.
        order: the visit's order number (a training terminal reference is made from it).
    """

    DEFAULT_CSS = """
    VisitPayPanel { height: auto; }
    VisitPayPanel Tabs { width: 80; }
    VisitPayPanel ContentSwitcher { height: auto; }
    VisitPayPanel ContentSwitcher > Vertical { height: auto; }
    VisitPayPanel Input { width: 60; }
    VisitPayPanel #pay-qr { width: auto; height: auto; }
    VisitPayPanel .pay-row { height: auto; }
    VisitPayPanel #pay-offline { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "to_field", show=False)]

    class Submit(Message):
        """Run the engine's pay step with ``inputs``."""

        def __init__(self, inputs: dict[str, Any]) -> None:
            super().__init__()
            self.inputs = inputs

    class Label(Message):
        """The step's main button should read the catalogue text ``key``."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Say(Message):
        """Show a refusal in words (None clears it)."""

        def __init__(self, error: KioskError | None) -> None:
            super().__init__()
            self.error = error

    class MethodsLoaded(Message):
        def __init__(
            self,
            methods: list[Any],
            details: dict[str, str],
            open_qr: PaymentStatusView | None,
        ) -> None:
            super().__init__()
            self.methods, self.details, self.open_qr = methods, details, open_qr

    class QrOpened(Message):
        def __init__(self, info: PaymentStatusView | None, error: KioskError | None = None) -> None:
            super().__init__()
            self.info, self.error = info, error

    def __init__(self, port: PayPort, flow: Any, *, total_fen: int, order: str) -> None:
        super().__init__(id="pay-panel")
        self.port = port
        self.flow = flow
        self.total_fen = total_fen
        self.order = order
        self.method = "card"
        self.qr: PaymentStatusView | None = None  # the open QR trade
        self._qr_deadline = 0.0
        self._next_poll = 0.0
        self._ticker: Timer | None = None
        self._asking = False

    def compose(self) -> ComposeResult:
        total = format_fen(self.total_fen)
        yield LangText(bi("visit.pay_amount").format(total=total), id="visit-amount")
        yield LangText("visit.pay_keys_hint", classes="hint")
        yield Tabs(*(Tab(t(METHOD_KEYS[m], "zh-CN"), id=f"pay-m-{m}") for m in METHODS))
        yield LangText(Bi("", ""), id="pay-offline")
        ref = f"T{self.order.replace('-', '')[-8:]}" if self.port.training else ""
        with ContentSwitcher(initial="sec-card"):
            with Vertical(id="sec-card"):
                yield LangText("visit.pay_hint", classes="hint")
                yield Input(ref, id="pay-ref", max_length=40)
            with Vertical(id="sec-code"):
                yield LangText("visit.pay_code_hint", classes="hint")
                yield Input(id="pay-code", max_length=64, password=False)
                yield LangText(Bi("", ""), id="pay-qr-note", classes="hint")
                with Horizontal(classes="pay-row"):  # above the code: in view on a small screen
                    yield LangButton("visit.pay_qr_cancel", id="pay-qr-cancel")
                    yield LangButton("visit.pay_simulate", id="pay-simulate")
                yield Static("", id="pay-qr", markup=False)
            with Vertical(id="sec-transfer"):
                yield LangText(Bi("", ""), id="pay-transfer-note", classes="hint")
                yield LangText("visit.pay_payer", classes="field-label")
                yield Input(id="pay-payer", max_length=80)
                yield LangText("visit.pay_serial", classes="field-label")
                yield Input(id="pay-serial", max_length=40)

    def on_mount(self) -> None:
        self._relabel(current_lang(self))
        follow_language(self, self._relabel)
        self._show_qr_controls(False)
        self._load()

    def _relabel(self, lang: Lang) -> None:
        for m in METHODS:
            self.query_one(f"#pay-m-{m}", Tab).label = t(METHOD_KEYS[m], lang)

    # -- loading: methods available now, transfer details, a QR code left open -----------------

    @work(thread=True, exclusive=True, group="pay-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            methods = self.port.pay_methods()
            details = self.port.transfer_details(self.flow)
            open_qr = self.port.pay_status(self.flow)
        except KioskError as e:
            self.post_message(self.Say(e))
            return
        self.post_message(self.MethodsLoaded(methods, details, open_qr))

    def on_visit_pay_panel_methods_loaded(self, event: MethodsLoaded) -> None:
        event.stop()
        tabs = self.query_one(Tabs)
        offline = Bi("", "")
        for m in event.methods:
            if m.method in PROVIDER_METHODS:
                if m.available:
                    tabs.enable(f"pay-m-{m.method}")
                else:
                    tabs.disable(f"pay-m-{m.method}")
                    offline = Bi(m.reason_zh or m.reason, m.reason or m.reason_zh)
        self.query_one("#pay-offline", LangText).set_text(_lit(offline))
        payer, remark = event.details.get("payer", ""), event.details.get("remark", "")
        self.query_one("#pay-payer", Input).value = payer
        self.query_one("#pay-transfer-note", LangText).set_text(
            bi("visit.pay_transfer_note").format(payer=payer or "-", remark=remark or "-")
        )
        q = event.open_qr
        if q is not None and q.qr and q.state == "pending":
            # A QR code left open (the visit was left, or resumed): show it again.
            self._choose(q.method)
            self._open_qr(q.method)
        elif q is not None and q.state in PAID:
            self.post_message(self.Submit({"payment": {"method": q.method, "qr": q.qr}}))

    # -- choosing the method ---------------------------------------------------------------------

    @on(Tabs.TabActivated)
    def _tab(self, event: Tabs.TabActivated) -> None:
        event.stop()
        method = (event.tab.id or "").removeprefix("pay-m-")
        if method in METHODS:
            self._choose(method, focus=False)

    def _choose(self, method: str, *, focus: bool = True) -> None:
        self.method = method
        tabs = self.query_one(Tabs)
        if tabs.active != f"pay-m-{method}":
            tabs.active = f"pay-m-{method}"
        section = _SECTION[method]
        self.query_one(ContentSwitcher).current = section
        self.post_message(self.Label(self._label_key()))
        if focus:
            self.query_one(_FIRST[section], Input).focus()

    def _label_key(self) -> str:
        if self.method == "card":
            return "visit.pay_card"
        if self.method == "transfer":
            return "visit.pay_transfer_go"
        return "visit.pay_qr_check" if self.qr else "visit.pay_qr_show"

    def action_to_field(self) -> None:
        """Enter on the method tabs: go to the method's first field."""
        self.query_one(_FIRST[_SECTION[self.method]], Input).focus()

    # -- going on ----------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in the payer field goes to the bank serial; in any other field it goes on.
        event.stop()
        if event.input.id == "pay-payer":
            self.query_one("#pay-serial", Input).focus()
        else:
            self.submit()

    def submit(self) -> None:
        """The step's main button (or Enter): take the money the chosen way."""
        self.post_message(self.Say(None))
        value = self._value
        if self.method == "card":
            self.post_message(
                self.Submit({"payment": {"method": "card", "reference": value("#pay-ref")}})
            )
        elif self.method == "transfer":
            self.post_message(
                self.Submit(
                    {
                        "payment": {
                            "method": "transfer",
                            "reference": value("#pay-serial"),
                            "payer_name": value("#pay-payer"),
                        }
                    }
                )
            )
        elif value("#pay-code"):
            code = value("#pay-code")
            self.query_one("#pay-code", Input).value = ""  # a 付款码 is good for one charge
            self.post_message(self.Submit({"payment": {"method": self.method, "reference": code}}))
        elif self.qr is None:
            self._open_qr(self.method)
        else:
            self._ask()

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    # -- the QR code on screen -----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="pay-qr", exit_on_error=False)
    def _open_qr(self, channel: str) -> None:
        try:
            info = self.port.pay_qr(self.flow, channel)
        except KioskError as e:
            self.post_message(self.QrOpened(None, e))
            return
        self.post_message(self.QrOpened(info))

    def on_visit_pay_panel_qr_opened(self, event: QrOpened) -> None:
        event.stop()
        if event.error is not None:
            self.post_message(self.Say(event.error))
            if event.error.code == _code("payment", "provider_offline"):
                self._load()  # the methods go off with the reason
            return
        info = event.info
        if info is None:
            return
        if info.state in PAID:
            self._paid(info)
            return
        self.qr = info
        self.query_one("#pay-qr", Static).update(qr_text(str(info.url)))
        self._qr_deadline = monotonic() + self.port.qr_wait_s
        self._next_poll = monotonic() + self.port.qr_poll_s
        self._show_qr_controls(True)
        self._tick()
        if self._ticker is None:
            self._ticker = self.set_interval(1.0, self._tick)
        self.post_message(self.Label(self._label_key()))

    def _show_qr_controls(self, shown: bool) -> None:
        self.query_one("#pay-qr").display = shown
        self.query_one("#pay-qr-cancel").display = shown
        self.query_one("#pay-simulate").display = shown and self.port.training
        self.query_one(Tabs).disabled = shown  # one attempt at a time: cancel it first
        if not shown:
            self.query_one("#pay-qr-note", LangText).set_text(Bi("", ""))

    def _tick(self) -> None:
        if self.qr is None:
            return
        left = max(0, int(self._qr_deadline - monotonic() + 0.999))
        channel = bi(METHOD_KEYS[self.qr.method])
        self.query_one("#pay-qr-note", LangText).set_text(
            bi("visit.pay_qr_wait").format(
                channel_zh=channel.zh, channel_en=channel.en, seconds=left
            )
        )
        if left <= 0:
            self._cancel_qr(t("visit.pay_qr_timeout_reason", "en"), timed_out=True)
        elif monotonic() >= self._next_poll:
            self._next_poll = monotonic() + self.port.qr_poll_s
            self._ask()

    def _ask(self) -> None:
        if not self._asking:
            self._asking = True
            self._check()

    @work(thread=True, exclusive=True, group="pay-check", exit_on_error=False)
    def _check(self) -> None:
        try:
            info = self.port.pay_status(self.flow)
        except KioskError as e:
            self.post_message(self.QrChecked(None, e))
            return
        self.post_message(self.QrChecked(info, None))

    class QrChecked(Message):
        def __init__(self, info: PaymentStatusView | None, error: KioskError | None) -> None:
            super().__init__()
            self.info, self.error = info, error

    def on_visit_pay_panel_qr_checked(self, event: QrChecked) -> None:
        event.stop()
        self._asking = False
        if event.error is not None:
            self.post_message(self.Say(event.error))  # asked again at the next poll
            return
        info = event.info
        if info is not None and info.state in PAID:
            self._paid(info)
        elif info is not None and info.state == "cancelled" and self.qr is not None:
            self._qr_closed(timed_out=False)

    def _paid(self, info: PaymentStatusView) -> None:
        self._stop_qr()
        self.post_message(self.Submit({"payment": {"method": info.method, "qr": True}}))

    def _stop_qr(self) -> None:
        self.qr = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self._show_qr_controls(False)
        self.query_one("#pay-qr", Static).update("")
        self.post_message(self.Label(self._label_key()))

    def _qr_closed(self, *, timed_out: bool) -> None:
        self._stop_qr()
        key = "visit.pay_qr_timed_out" if timed_out else "visit.pay_qr_closed"
        self.query_one("#pay-qr-note", LangText).set_text(key)
        self.query_one("#pay-code", Input).focus()  # ready for the scanner, or Enter for a new QR

    @on(LangButton.Pressed, "#pay-qr-cancel")
    def _cancel_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        self._cancel_qr(t("visit.pay_qr_cancel_reason", "en"), timed_out=False)

    def _cancel_qr(self, reason: str, *, timed_out: bool) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self._cancel(reason, timed_out)

    @work(thread=True, exclusive=True, group="pay-qr", exit_on_error=False)
    def _cancel(self, reason: str, timed_out: bool) -> None:
        try:
            info = self.port.pay_cancel(self.flow, reason)
        except KioskError as e:
            self.post_message(self.QrCancelled(None, e, timed_out))
            return
        self.post_message(self.QrCancelled(info, None, timed_out))

    class QrCancelled(Message):
        def __init__(
            self, info: PaymentStatusView | None, error: KioskError | None, timed_out: bool
        ) -> None:
            super().__init__()
            self.info, self.error, self.timed_out = info, error, timed_out

    def on_visit_pay_panel_qr_cancelled(self, event: QrCancelled) -> None:
        event.stop()
        if event.error is not None:
            self.post_message(self.Say(event.error))
            if self.qr is not None and self._ticker is None:  # still open: keep asking
                self._qr_deadline = monotonic() + self.port.qr_poll_s * 3
                self._ticker = self.set_interval(1.0, self._tick)
            return
        info = event.info
        if info is not None and info.state in PAID:  # the payer paid just before the close
            self._paid(info)
        else:
            self._qr_closed(timed_out=event.timed_out)

    @on(LangButton.Pressed, "#pay-simulate")
    def _simulate_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if self.qr is not None:
            self._simulate(str(self.qr.out_trade_no))

    @work(thread=True, exclusive=True, group="pay-sim", exit_on_error=False)
    def _simulate(self, out_trade_no: str) -> None:
        try:
            self.port.simulate_payer(out_trade_no)
        except KioskError as e:
            self.post_message(self.Say(e))
            return
        self.app.call_from_thread(self._ask)

    def on_unmount(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        if self.qr is not None:
            # The screen is left (Esc, start over, the idle timeout) with a QR code open: close
            # the trade so nobody pays a code no longer shown. The app's worker outlives this
            # panel; a payer who paid just now is recorded paid (the step finds it on resume).
            port, flow = self.port, self.flow
            reason = t("visit.pay_qr_cancel_reason", "en")
            self.app.run_worker(
                lambda: port.pay_cancel(flow, reason),
                thread=True,
                group="pay-leave",
                exit_on_error=False,
            )


class TransferWaitPanel(Vertical):
    """The key step while the visit's bank transfer waits for confirmation.

    Staff who saw the money arrive type their staff number and PIN: the desk records a
    ``confirm_transfer`` override and marks the payment paid, and the key step goes on. Where
    the counter allows issuing on a pending transfer (kiosk.toml), the panel only says so.
    """

    DEFAULT_CSS = """
    TransferWaitPanel { height: auto; }
    TransferWaitPanel Input { width: 40; }
    """

    class Confirmed(Message):
        """The transfer is confirmed (or need not be): show the key step with ``state``."""

        def __init__(self, state: VisitView | None) -> None:
            super().__init__()
            self.state = state

    class IssueAllowed(Message):
        def __init__(self, ok: bool) -> None:
            super().__init__()
            self.ok = ok

    def __init__(self, port: PayPort, flow: Any, payment: PaymentView) -> None:
        super().__init__(id="transfer-wait")
        self.port = port
        self.flow = flow
        self.payment = payment
        #: True while key work must wait for a staff confirmation.
        self.waiting = True
        self.busy = False

    def compose(self) -> ComposeResult:
        yield LangText("visit.transfer_wait", id="transfer-wait-note")
        yield LangText("visit.transfer_staff", classes="field-label")
        yield Input(id="tw-staff", max_length=16)
        yield LangText("visit.transfer_pin", classes="field-label")
        yield Input(id="tw-pin", max_length=16, password=True)

    def on_mount(self) -> None:
        self._allowed()

    @work(thread=True, exclusive=True, group="transfer", exit_on_error=False)
    def _allowed(self) -> None:
        try:
            ok, _why = self.port.can_issue(self.flow)
        except KioskError:
            ok = False
        self.post_message(self.IssueAllowed(ok))

    def on_transfer_wait_panel_issue_allowed(self, event: IssueAllowed) -> None:
        event.stop()
        if event.ok:  # the counter issues on a pending transfer (kiosk.toml)
            self.waiting = False
            self.query_one("#transfer-wait-note", LangText).set_text("visit.transfer_allowed")
            for node in self.query("Input, .field-label"):
                node.display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "tw-staff":
            self.query_one("#tw-pin", Input).focus()
        else:
            self.submit()

    def submit(self) -> None:
        """Confirm the transfer with the typed staff number and PIN."""
        if self.busy:
            return
        staff_no = self.query_one("#tw-staff", Input).value.strip()
        pin = self.query_one("#tw-pin", Input).value
        if not staff_no or not pin:
            self.query_one("#tw-staff" if not staff_no else "#tw-pin", Input).focus()
            self.post_message(
                VisitPayPanel.Say(
                    KioskError("staff number and PIN", code=_code("staff", "unknown"))
                )
            )
            return
        self.busy = True
        self.post_message(VisitPayPanel.Say(None))
        self._confirm(staff_no, pin)

    @work(thread=True, exclusive=True, group="transfer", exit_on_error=False)
    def _confirm(self, staff_no: str, pin: str) -> None:
        try:
            state = self.port.confirm_transfer(self.flow, staff_no, pin)
        except KioskError as e:
            self.app.call_from_thread(self._refused, e)
            return
        self.post_message(self.Confirmed(state))

    def _refused(self, error: KioskError) -> None:
        self.busy = False
        self.query_one("#tw-pin", Input).value = ""
        self.post_message(VisitPayPanel.Say(error))


def _lit(text: Bi) -> Bi:
    return Bi(
        text.zh.replace("{", "{{").replace("}", "}}"), text.en.replace("{", "{{").replace("}", "}}")
    )
