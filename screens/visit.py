"""One visit on screen: each step of the flow engine's plan, with the progress always visible.

The screen holds no flow logic. It asks its :class:`VisitPort` (``kiosk.visits.desk.VisitDesk``)
to open or resume the visit, shows the step the engine says is next, collects that step's
inputs and hands them to ``port.run`` in a thread worker; the engine's answer (the visit's
state, or a refusal with a code) comes back as a message. A refusal is shown in words with what
to do next, and the visit stays at that step (resumable, also after the idle timeout cleared it
from the screen).

Identification reuses the ID card screen: this screen posts :class:`VisitScreen.IdentifyNeeded`,
the app pushes ``IdCardScreen`` and hands the agent back through :meth:`agent_identified`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, LoadingIndicator, OptionList, Static

from kiosk.domain import identifiers
from kiosk.domain import unit as unit_rules
from kiosk.domain.fees import format_fen
from kiosk.errors import KioskError
from screens.host import current_lang, host
from screens.i18n import Bi, bi, t
from screens.visit_errors import _code, _lit, error_text
from screens.visit_form import UnitTypeList
from screens.visit_pay import PayPort, TransferWaitPanel, VisitPayPanel
from screens.visit_seal import SealStep
from screens.visit_services import ServiceSteps, step_label
from screens.widgets.text import LangButton, LangText, follow_language

if TYPE_CHECKING:  # what the screen reads of the engine's answers (no visit code)
    from screens.visit_view import (
        KeyStatusView,
        RefundRuleView,
        UnitView,
        VisitDataView,
        VisitView,
    )


class VisitPort(PayPort, Protocol):
    """What the visit screen asks of the flow engine (``kiosk.visits.desk.VisitDesk``); the pay
    step's calls are :class:`screens.visit_pay.PayPort`'s."""

    training: bool

    def run(self, flow: Any, step: str, inputs: dict[str, Any]) -> VisitView: ...
    def state(self, flow: Any) -> VisitView: ...
    def data(self, flow: Any) -> VisitDataView: ...
    def prefill(self, flow: Any, uscc: str) -> UnitView | None: ...
    def materials(self, flow: Any) -> list[Any]: ...
    def quote(self, flow: Any) -> Any: ...
    def seal_types(self, flow: Any) -> list[str]: ...
    def seal_station(
        self, flow: Any, seal_type: str, *, photo: str | None = ..., staff_no: str | None = ...
    ) -> Any: ...
    def seal_inputs(
        self,
        flow: Any,
        acceptance: Any,
        seal_type: str,
        *,
        override_id: int | None = ...,
        source: str = ...,
    ) -> dict[str, Any]: ...
    def receipt_lines(self, order: str) -> list[str]: ...
    def find_earlier(
        self,
        service: str,
        program: str,
        kind: str,
        *,
        agent_id_number: str | None = None,
        from_reader: bool = False,
    ) -> list[Any]: ...
    def key_status(self, flow: Any) -> KeyStatusView: ...
    def refund_decision(self, flow: Any) -> RefundRuleView: ...


log = logging.getLogger(__name__)

Opener = Callable[[str | None], Any]
"""``opener(earlier_order) -> VisitFlow`` (raises KioskError when the engine refuses)."""

STEP_KEYS = {
    "identify": "visit.step_identify",
    "form": "visit.step_form",
    "materials": "visit.step_materials",
    "seal": "visit.step_seal",
    "quote": "visit.step_quote",
    "pay": "visit.step_pay",
    "keys": "visit.step_keys",
    "handover": "visit.step_handover",
    "receipt": "visit.step_receipt",
}


class VisitProgress(Static):
    """The visit's steps, done ones ticked, the current one marked; always on screen."""

    def __init__(self, **kw: Any) -> None:
        super().__init__("", markup=False, **kw)
        self.steps: list[str] = []
        self.done: list[str] = []
        self.current: str | None = None
        self.service: str | None = None

    def on_mount(self) -> None:
        follow_language(self, lambda _lang: self.refresh_text())

    def show(self, steps: list[str], done: list[str], current: str | None) -> None:
        """Show the plan, what is done and where the visit is."""
        self.steps, self.done, self.current = list(steps), list(done), current
        self.refresh_text()

    def refresh_text(self) -> None:
        lang = current_lang(self)
        parts = []
        for i, step in enumerate(self.steps, 1):
            name = t(
                step_label(self.service, step) or STEP_KEYS.get(step, "visit.step_other"), lang
            )
            mark = "✓" if step in self.done else ("▶" if step == self.current else " ")
            parts.append(f"{mark}{i}.{name}")
        self.update(" → ".join(parts))


class VisitScreen(SealStep):
    """A visit from its first step to the receipt.

    Args:
        port: the flow engine's port.
        opener: opens (or resumes) the visit in a worker thread; given the earlier visit's
            order number when ``needs_order``.
        needs_order: the service works on an existing key: ask the earlier order number first.
        subject: the service/program line shown above the progress.
        choice: (service, program, kind) of a new visit, to find the earlier visit by the ID
            card or the inserted key when the agent has no order number.
    """

    # Enter on no field and no button (the step's widgets are still being swapped in) is the
    # step's main button; a focused field or button takes Enter itself first.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", show=False),
        Binding("enter", "next", show=False),
    ]

    class IdentifyNeeded(Message):
        """The identify step wants the agent's ID card read (the app opens the card screen)."""

    class Answered(Message):
        """The engine answered (state after a step, or a refusal)."""

        def __init__(
            self, state: VisitView | None, error: KioskError | None, extra: Any = None
        ) -> None:
            super().__init__()
            self.state = state
            self.error = error
            self.extra = extra

    def __init__(
        self,
        port: VisitPort,
        opener: Opener,
        *,
        needs_order: bool = False,
        subject: Bi | None = None,
        choice: tuple[str, str, str] | None = None,
    ) -> None:
        super().__init__(name="visit")
        self.port = port
        self.opener = opener
        self.needs_order = needs_order
        self.subject = subject or Bi("", "")
        self.flow: Any = None
        self.visit: VisitView | None = None
        self.agent: dict[str, Any] | None = None
        self.busy = False
        self._swap_lock = asyncio.Lock()
        self.choice = choice
        self.svc = ServiceSteps(self)  # the services on an existing key (visit_services.py)

    # -- layout ------------------------------------------------------------------------------

    def compose_body(self) -> Iterable[Widget]:
        yield LangText(self.subject, id="visit-subject", classes="subject")
        yield VisitProgress(id="visit-progress")
        yield LangText(Bi("", ""), id="visit-heading", classes="heading")
        yield VerticalScroll(id="visit-step")
        yield LoadingIndicator(id="visit-busy")
        yield LangText(Bi("", ""), id="visit-error", classes="notice")
        with Horizontal(id="nav"):
            yield LangButton("nav.home", id="visit-home", classes="nav")
            yield LangButton("visit.next", id="visit-next", classes="nav", variant="success")

    def on_mount(self) -> None:
        self.query_one("#visit-busy").display = False
        # A Button ignores presses while its 0.2 s "pressed" look lasts; a quick step answers
        # sooner than that, and the next step's Enter must not be swallowed.
        self.query_one("#visit-next", LangButton).active_effect_duration = 0
        if self.needs_order:
            self._show_order_entry()
        else:
            self._open(None)

    # -- the engine, in workers ----------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#visit-busy").display = busy
        button = self.query_one("#visit-next", LangButton)
        if busy and button.has_focus:
            # A disabled button hands its focus on (to 回到首页): a second Enter while the step
            # runs would then leave the visit. No focus: Enter is the screen's, ignored busy.
            self.set_focus(None)
        button.disabled = busy

    def _open(self, earlier: str | None) -> None:
        self._set_busy(True)
        self._open_worker(earlier)

    @work(thread=True, exclusive=True, group="visit", exit_on_error=False)
    def _open_worker(self, earlier: str | None) -> None:
        try:
            flow = self.opener(earlier)
            self.flow = flow
            state = self.port.state(flow)
        except KioskError as e:
            self.post_message(self.Answered(None, e))
            return
        except Exception as e:  # a bug below must still end in words, not a stuck screen
            log.exception("opening the visit failed")
            self.post_message(
                self.Answered(None, KioskError(str(e), code=_code("visit", "internal")))
            )
            return
        self.post_message(self.Answered(state, None))

    def _run(self, step: str, inputs: dict[str, Any]) -> None:
        if self.busy or self.flow is None:
            return
        self._say_error(None)
        self._set_busy(True)
        self._run_worker(step, inputs)

    @work(thread=True, exclusive=True, group="visit", exit_on_error=False)
    def _run_worker(self, step: str, inputs: dict[str, Any]) -> None:
        try:
            state = self.port.run(self.flow, step, inputs)
        except KioskError as e:
            self.post_message(self.Answered(self._safe_state(), e))
            return
        except Exception as e:  # a bug below must still end in words, not a stuck screen
            log.exception("visit step %s failed", step)
            error = KioskError(f"{type(e).__name__}: {e}", code=_code("visit", "internal"))
            self.post_message(self.Answered(self._safe_state(), error))
            return
        extra = None
        if state.next_step is None:
            extra = self.port.receipt_lines(state.order)
        self.post_message(self.Answered(state, None, extra))

    def _post_answer(self, state: VisitView | None, error: KioskError | None) -> None:
        """From a worker: the engine's answer (state, or a refusal) reaches the screen."""
        self.post_message(self.Answered(state, error))

    def _safe_state(self) -> VisitView | None:
        try:
            return self.port.state(self.flow) if self.flow is not None else None
        except KioskError:
            return None

    def on_visit_screen_answered(self, event: VisitScreen.Answered) -> None:
        event.stop()
        self._set_busy(False)
        if event.state is not None:
            same = self.visit is not None and event.state.next_step == self.visit.next_step
            self.visit = event.state
            if event.error is not None and same and self.query("#visit-step > *"):
                # Refused: the step stays as it was (what was typed, the method chosen).
                self.query_one("#visit-progress", VisitProgress).show(
                    event.state.steps, event.state.done, event.state.next_step
                )
            else:
                self._show_step(event.state, event.extra)  # its body takes the focus when in
        else:
            self._focus_first()  # nothing opened: the order field takes the typing again
        if event.error is not None:
            self._say_error(event.error)

    # -- showing a step ----------------------------------------------------------------------

    def _say_error(self, error: KioskError | None) -> None:
        box = self.query_one("#visit-error", LangText)
        box.set_text(Bi("", "") if error is None else error_text(error.code, error.message))
        self.error_code = None if error is None else error.code

    error_code: str | None = None

    def _heading(self, key: str, **values: object) -> None:
        self.query_one("#visit-heading", LangText).set_text(key, values)

    def _body(self, *widgets: Widget) -> None:
        # Removing children completes later: swap in an async task, one swap at a time, so the
        # next step's fields never meet the last step's (same ids) in the tree.
        self.run_worker(self._swap(list(widgets)), group="visit-body")

    async def _swap(self, widgets: list[Widget]) -> None:
        async with self._swap_lock:
            body = self.query_one("#visit-step", VerticalScroll)
            # The focused field goes with the old body: Textual would hand the focus to the
            # next widget (回到首页 among them) and an Enter typed meanwhile would press it. With
            # no focus, Enter is the screen's "next" for the step already shown above.
            self.set_focus(None)
            # Nothing of the new body is drawn before its first field has the focus: text typed
            # as soon as the step shows lands in that field (a person, and the tmux test).
            with self.app.batch_update():
                await body.remove_children()
                await body.mount_all(widgets)
                self._focus_first()

    def _next_label(self, key: str) -> None:
        button = self.query_one("#visit-next", LangButton)
        button._text = bi(key)
        button._show(current_lang(self))
        button.display = True

    def _focus_first(self) -> None:
        """Enter goes on: the step's first field has the focus, or else the main button."""
        fields = self.query("#visit-step Input, #visit-step .svc-choice")
        button = self.query_one("#visit-next", LangButton)
        # set_focus at once (Widget.focus() is deferred): keys typed as soon as the step is
        # drawn land in its first field.
        if fields:
            self.set_focus(fields.first())
        elif button.display:
            self.set_focus(button)
        else:
            self.set_focus(self.query_one("#visit-home", LangButton))

    def _show_order_entry(self) -> None:
        self.query_one("#visit-progress", VisitProgress).show([], [], None)
        self._heading("visit.order_heading")
        self._body(
            LangText("visit.order_hint", classes="hint"),
            Input(id="visit-order", max_length=32, placeholder="DG-…"),
            *self.svc.order_widgets(),
        )
        self._next_label("visit.next")

    def _show_step(self, state: VisitView, extra: Any = None) -> None:
        step = state.next_step
        # The busy button gave its focus away (to 回到首页): take it back now, not only after
        # the step's widgets are swapped in, so an Enter in between never leaves the visit.
        button = self.query_one("#visit-next", LangButton)
        if step is not None and self.focused in (None, self.query_one("#visit-home")):
            # At once, not button.focus() (deferred): a deferred focus could land after the
            # new body's first field took it, and the agent's typing would go to the button.
            self.set_focus(button)
        progress = self.query_one("#visit-progress", VisitProgress)
        progress.service = state.service
        progress.show(state.steps, state.done, step)
        self.query_one("#visit-subject", LangText).set_text(
            _lit(
                f"{self.subject.zh}　{t('visit.order', 'zh-CN', order=state.order)}",
                f"{self.subject.en} · {t('visit.order', 'en', order=state.order)}",
            )
        )
        if step and self.svc.show(step, state):
            return
        show = getattr(self, f"_show_{step}", None) if step else self._show_done
        if show is None:
            self._heading(STEP_KEYS.get(step or "", "visit.step_other"))
            self._body()
            return
        show(state, extra) if step is None else show(state)

    def _show_identify(self, state: VisitView) -> None:
        self._heading("visit.identify_heading")
        widgets: list[Widget] = [LangText("visit.identify_hint", classes="hint")]
        if self.agent is not None:
            widgets.append(
                LangText(
                    bi("visit.agent_read").format(
                        name=self.agent["name"], number=_mask(self.agent["id_number"])
                    ),
                    id="visit-agent",
                )
            )
            self._next_label("visit.identify_go")
        else:
            self._next_label("visit.identify_read")
        self._body(*widgets)

    def _show_form(self, state: VisitView) -> None:
        self._heading("visit.form_heading")
        kind = state.kind
        if kind == "individual":
            self._body(LangText("visit.form_individual", classes="hint"))
        else:
            unit = self.port.data(self.flow).unit
            uscc, name, legal_rep, unit_type, address, phone = (
                (unit.uscc, unit.name, unit.legal_rep, unit.unit_type, unit.address, unit.phone)
                if unit is not None
                else (None, None, None, None, None, None)
            )
            fields: list[Widget] = [
                LangText("visit.form_uscc", classes="field-label"),
                Input(uscc or "", id="unit-uscc", max_length=18),
                LangText(Bi("", ""), id="unit-prefilled", classes="hint"),
                LangText("visit.form_name", classes="field-label"),
                Input(name or "", id="unit-name", max_length=80),
            ]
            if kind == "legal-rep":
                fields += [
                    LangText("visit.form_legal_rep", classes="field-label"),
                    Input(legal_rep or "", id="unit-legal-rep", max_length=40),
                ]
            fields += [
                LangText("visit.form_unit_type", classes="field-label"),
                UnitTypeList(unit_type, id="unit-type"),
                LangText("visit.form_address", classes="field-label"),
                Input(address or "", id="unit-address", max_length=100),
                LangText("visit.form_phone", classes="field-label"),
                Input(phone or "", id="unit-phone", max_length=20),
            ]
            self._body(*fields)
        self._next_label("visit.next")

    def _show_materials(self, state: VisitView) -> None:
        self._heading("visit.materials_heading")
        lines = []
        try:
            items = self.port.materials(self.flow)
        except KioskError:
            items = []
        for i, m in enumerate(items, 1):
            name = Bi(m.zh, m.en)
            lines.append((i, name))
        text = _lit(
            "\n".join(f"{i}. {n.zh}" for i, n in lines) or t("checklist.empty", "zh-CN"),
            "\n".join(f"{i}. {n.en}" for i, n in lines) or t("checklist.empty", "en"),
        )
        self._body(
            LangText("visit.materials_hint", classes="hint"),
            LangText(text, id="visit-materials"),
        )
        self._next_label("visit.materials_ok")

    def _show_quote(self, state: VisitView) -> None:
        self._heading("visit.quote_heading")
        try:
            q = self.port.quote(self.flow)
        except KioskError as e:
            self._say_error(e)
            self._body()
            return
        zh, en = [], []
        for item in q.items:
            amount = format_fen(item.amount_fen)
            zh.append(f"{item.label_zh}　{amount}")
            en.append(f"{item.label_en}  {amount}")
        total = format_fen(q.total_fen)
        zh.append(t("visit.quote_total", "zh-CN", total=total))
        en.append(t("visit.quote_total", "en", total=total))
        self._body(LangText(_lit("\n".join(zh), "\n".join(en)), id="visit-quote"))
        self._next_label("visit.quote_ok")

    def _show_pay(self, state: VisitView) -> None:
        # Every method (card, 付款码, QR on screen, transfer): screens/visit_pay.py.
        self._heading("visit.pay_heading")
        total = state.total_fen
        self._body(VisitPayPanel(self.port, self.flow, total_fen=total, order=state.order))
        self._next_label("visit.pay_card")

    def on_visit_pay_panel_submit(self, event: VisitPayPanel.Submit) -> None:
        event.stop()
        self._run("pay", event.inputs)

    def on_visit_pay_panel_label(self, event: VisitPayPanel.Label) -> None:
        event.stop()
        self._next_label(event.key)

    def on_visit_pay_panel_say(self, event: VisitPayPanel.Say) -> None:
        event.stop()
        self._say_error(event.error)

    def on_transfer_wait_panel_confirmed(self, event: TransferWaitPanel.Confirmed) -> None:
        event.stop()
        if event.state is not None:
            self.visit = event.state
            self._show_step(event.state)

    def _show_keys(self, state: VisitView) -> None:
        self._heading("visit.keys_heading")
        pay = state.payment
        if pay is not None and pay.method == "transfer" and pay.state == "pending":
            # No key before the money: staff confirm the transfer here (or resume later).
            self._body(TransferWaitPanel(self.port, self.flow, pay))
            self._next_label("visit.transfer_confirm")
            return
        widgets: list[Widget] = [LangText("visit.keys_hint", classes="hint")]
        if state.service in ("renew", "change", "seal"):
            widgets += [
                LangText("visit.keys_pin", classes="field-label"),
                Input(id="key-pin", password=True, max_length=16),
            ]
        self._body(*widgets)
        self._next_label("visit.keys_go")

    def _show_handover(self, state: VisitView) -> None:
        self._heading("visit.handover_heading")
        key = (state.key.serial if state.key else None) or "-"
        self._body(
            LangText(bi("visit.handover_hint").format(serial=key), id="visit-handover"),
        )
        self._next_label("visit.handover_ok")

    def _show_receipt(self, state: VisitView) -> None:
        self._heading("visit.receipt_heading")
        self._body(LangText("visit.receipt_hint", classes="hint"))
        self._next_label("visit.receipt_go")

    def _show_done(self, state: VisitView, receipt: Any = None) -> None:
        self._heading("visit.done_heading")
        widgets: list[Widget] = [
            LangText(bi("visit.done_hint").format(order=state.order), id="visit-done"),
        ]
        if receipt:
            text = "\n".join(receipt).replace("{", "{{").replace("}", "}}")
            widgets.append(LangText(Bi(text, text), id="visit-receipt"))
        widgets[1:1] = self.svc.done_widgets(state)
        self._body(*widgets)
        self.query_one("#visit-next", LangButton).display = False

    # -- input -------------------------------------------------------------------------------

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        bid = event.button.id
        if bid == "visit-home":
            event.stop()
            host(self).go_home()
        elif bid == "visit-next":
            event.stop()
            self.action_next()
        elif bid and bid.startswith("seal-type-"):
            event.stop()
            self.seal_type_chosen(bid.removeprefix("seal-type-"))
        elif self.svc.on_button(bid):
            event.stop()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter moves to the step's next field; on the last one it goes on.
        event.stop()
        self._field_done(event.input)

    def _field_done(self, field: Widget) -> None:
        fields = list(self.query("#visit-step Input, #visit-step UnitTypeList"))
        if field in fields and fields.index(field) < len(fields) - 1:
            self.set_focus(fields[fields.index(field) + 1])  # at once: typing goes on
        else:
            self.action_next()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Enter on the unit type keeps the highlighted one and moves on, like a field.
        if isinstance(event.option_list, UnitTypeList):
            event.stop()
            self._field_done(event.option_list)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "unit-uscc" and len(event.value.strip()) == 18 and self.flow:
            self._prefill(event.value.strip().upper())
            self._suggest_unit_type(event.value.strip().upper())

    def _suggest_unit_type(self, uscc: str) -> None:
        # The credit code's registration type points to the unit type (the agent may change it).
        try:
            suggested = unit_rules.suggest_unit_type(identifiers.parse_uscc(uscc))
        except KioskError:
            return
        found = self.query("#unit-type")
        if suggested and found:
            found.first(UnitTypeList).choose(suggested)

    @work(thread=True, exclusive=True, group="prefill", exit_on_error=False)
    def _prefill(self, uscc: str) -> None:
        try:
            unit = self.port.prefill(self.flow, uscc)
        except KioskError:
            return
        if unit:
            self.app.call_from_thread(self._apply_prefill, unit)

    def _apply_prefill(self, unit: UnitView) -> None:
        filled = []
        for key, value, selector in (
            ("name", unit.name, "#unit-name"),
            ("legal_rep", unit.legal_rep, "#unit-legal-rep"),
            ("phone", unit.phone, "#unit-phone"),
            ("address", unit.address, "#unit-address"),
        ):
            found = self.query(selector)
            if found and value and not found.first(Input).value:
                found.first(Input).value = value
                filled.append(key)
        types = self.query("#unit-type")
        if types and unit.unit_type:
            types.first(UnitTypeList).choose(unit.unit_type)
            filled.append("unit_type")
        if filled:
            self.query_one("#unit-prefilled", LangText).set_text("visit.form_prefilled")

    def _value(self, selector: str) -> str:
        found = self.query(selector)
        return found.first(Input).value.strip() if found else ""

    def action_next(self) -> None:
        """The step's main button: collect the inputs and hand them to the engine."""
        if self.busy:
            return
        if self.flow is None:
            if self.needs_order:
                order = self._value("#visit-order")
                if not order:
                    self._say_error(
                        KioskError("no order number", code=_code("visit", "unknown_order"))
                    )
                    return
                self._open(order)
            return
        state = self.visit
        if state is None:
            return
        step = state.next_step
        if step is None and state.state == "done":
            host(self).go_home()  # Enter on the done screen: the next agent's turn
            return
        if step == "identify":
            if self.agent is None:
                self.post_message(self.IdentifyNeeded())
            else:
                self._run("identify", {"agent": self.agent})
        elif step == "form":
            unit = {
                "uscc": self._value("#unit-uscc").upper(),
                "name": self._value("#unit-name"),
                "legal_rep": self._value("#unit-legal-rep"),
                "phone": self._value("#unit-phone"),
            }
            given: dict[str, Any] = {k: v for k, v in unit.items() if v}
            types = self.query("#unit-type")
            if types:  # the engine checks both and says what is wrong in words
                given["unit_type"] = types.first(UnitTypeList).value
                given["address"] = self._value("#unit-address")
            self._run("form", {"unit": given})
        elif step == "seal":
            self.seal_next(self._value("#seal-photo"))
        elif step == "pay":
            panels = self.query(VisitPayPanel)
            if panels:
                panels.first().submit()
        elif step == "keys" and self._transfer_waiting():
            self.query_one(TransferWaitPanel).submit()
        elif step == "keys":
            inputs = self.svc.keys_inputs(state)
            if inputs is not None:
                self._run("keys", inputs)
        elif step is not None:
            self._run(step, {})

    def _transfer_waiting(self) -> bool:
        found = self.query(TransferWaitPanel)
        return bool(found) and found.first().waiting

    def agent_identified(self, name: str, id_number: str, valid_to: str | None) -> None:
        """The card screen read the agent: keep it for the identify step and run it."""
        self.agent = {"name": name, "id_number": id_number}
        if valid_to:
            self.agent["id_valid_to"] = valid_to
        if self.flow is None and self.needs_order:
            self.svc.agent_read(self.agent)  # no order number: find the agent's earlier visits
            return
        if self.visit is not None and self.visit.next_step == "identify":
            self._show_identify(self.visit)
            self._run("identify", {"agent": self.agent})

    def action_back(self) -> None:
        """Esc leaves the visit on screen (it stays resumable in the journal)."""
        if not self.busy:
            super().action_back()


def _mask(number: str) -> str:
    return number[:6] + "********" + number[-4:] if len(number) > 10 else number
