"""The services on an existing key, on the visit screen: what each one's key step asks and shows.

:class:`ServiceSteps` belongs to one :class:`screens.visit.VisitScreen` and adds, through small
hooks there:

- on the order-number step, finding the earlier visit without the receipt: by the agent's ID
  card or by the key in the reader (a list to choose from);
- on the key step, each service's own inputs and no others: change (the new unit data, shown
  before → after, and the PIN), replace (lost or damaged; the old key), unlock (the PIN's state
  first), cancel (the RFC 5280 reason and a confirmation: it cannot be undone), seal on an
  existing certificate (the PIN), refund (the refund rule's answer in words and the amount),
  key recovery (encryption keys only) and pickup;
- on the done screen, what the service left (certificate, key, refund);
- the words for these services' refusals (merged into the visit screen's table).

Device and store reads run in thread workers; the answers come back through
``call_from_thread``. No flow logic here: the engine decides, this only asks and shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input

from kiosk.domain.fees import format_fen
from kiosk.errors import KioskError
from screens.host import current_lang
from screens.i18n import CATALOGUE, Bi, bi, t
from screens.widgets.text import LangButton, LangText

if TYPE_CHECKING:  # what the screen reads of the engine's answers (no visit code)
    from screens.visit_view import KeyStatusView, RefundRuleView, VisitView

log = logging.getLogger(__name__)

_Info = TypeVar("_Info")


def _code(area: str, what: str) -> str:
    return f"{area}.{what}"


#: Refusal codes of these services → catalogue keys (merged into screens.visit.ERROR_KEYS).
ERROR_KEYS = {
    _code("visit", "no_escrow"): "svc.err_no_escrow",
    _code("visit", "signing_key_not_recoverable"): "svc.err_signing_key",
    _code("keys", "no_escrow"): "svc.err_no_escrow",
    _code("keys", "no_escrowed_key"): "svc.err_no_escrowed_key",
    _code("visit", "not_holder"): "svc.err_not_holder",
    _code("kmc", "cert_revoked"): "svc.err_kmc_refused",
    _code("kmc", "cert_expired"): "svc.err_kmc_refused",
    _code("kmc", "other_holder"): "svc.err_not_holder",
    _code("kmc", "unknown_key"): "svc.err_no_escrowed_key",
    _code("kmc", "unknown_certificate"): "svc.err_no_escrowed_key",
    _code("visit", "refund_refused"): "svc.err_refund_refused",
    _code("visit", "nothing_to_refund"): "svc.err_nothing_to_refund",
    _code("visit", "bad_condition"): "svc.err_condition",
    _code("visit", "bad_reason"): "svc.err_reason",
    _code("visit", "confirm_needed"): "svc.err_confirm",
    _code("visit", "no_key"): "svc.err_no_key",
    _code("visit", "seal_changed"): "svc.err_seal_changed",
    _code("visit", "reapply"): "svc.err_reapply",
    _code("visit", "no_key_inserted"): "svc.err_no_key_inserted",
    _code("visit", "none_found"): "svc.err_none_found",
    _code("keys", "bad_state"): "svc.err_bad_state",
    _code("keys", "expired"): "svc.err_expired",
    _code("keys", "wrong_key"): "svc.err_wrong_key",
    _code("token", "not_found"): "svc.err_wrong_key",
}

CONDITIONS = ("lost", "damaged")
CANCEL_REASONS = (
    "cessationOfOperation",
    "affiliationChanged",
    "superseded",
    "keyCompromise",
    "privilegeWithdrawn",
    "unspecified",
)
#: Services whose key step logs in to the key (the PIN is asked).
WITH_PIN = frozenset({"renew", "change", "seal", "key-recovery"})
#: Services whose key step shows the key and certificate first.
SHOWS_KEY = frozenset({"renew", "change", "replace", "unlock", "cancel", "seal", "key-recovery"})


#: The key step's name on the progress line, per service (new and renew write a key).
KEY_STEP_LABELS = {
    "change": "svc.step_change",
    "replace": "svc.step_replace",
    "unlock": "svc.step_unlock",
    "cancel": "svc.step_cancel",
    "key-recovery": "svc.step_recovery",
    "seal": "svc.step_seal",
    "pickup": "svc.step_pickup",
    "refund": "svc.step_refund",
}


def step_label(service: str | None, step: str) -> str | None:
    """The catalogue key naming ``step`` of ``service`` on the progress line, when the
    service names it its own way (None: the visit screen's general name)."""
    if step == "keys" and service is not None:
        return KEY_STEP_LABELS.get(service)
    return None


def _lit(zh: str, en: str) -> Bi:
    return Bi(zh.replace("{", "{{").replace("}", "}}"), en.replace("{", "{{").replace("}", "}}"))


def _both(key: str, **values: object) -> tuple[str, str]:
    return t(key, "zh-CN", **values), t(key, "en", **values)


class ChoiceButton(LangButton):
    """One answer of a choice (○ / ◉ before its words); Enter or a touch picks it."""

    def __init__(self, group: str, value: str, text: Bi, *, selected: bool = False) -> None:
        self.group, self.value, self.base = group, value, text
        super().__init__(
            self._marked(selected), id=f"choice-{group}-{value}", classes="svc-choice svc-line"
        )
        self.selected = selected
        if selected:
            self.variant = "primary"

    @staticmethod
    def _mark(on: bool) -> str:
        return "◉ " if on else "○ "

    def _marked(self, on: bool) -> Bi:
        return Bi(self._mark(on) + self.base.zh, self._mark(on) + self.base.en)

    def select(self, on: bool) -> None:
        """Show this answer picked (or not)."""
        self.selected = on
        self.variant = "primary" if on else "default"
        self._text = self._marked(on)
        if self.is_mounted:
            self._show(current_lang(self))


class InfoText(LangText):
    """A line filled by a worker's answer; shows the answer even when it came before mounting."""

    def __init__(self, steps: ServiceSteps, **kw: Any) -> None:
        super().__init__("svc.reading", **kw)
        self.steps = steps

    def on_mount(self) -> None:
        if self.steps.info_text is not None:
            self._text = self.steps.info_text
        super().on_mount()


class ServiceSteps:
    """The per-service parts of one visit screen (see the module docstring).

    Args:
        screen: the visit screen (``screens.visit.VisitScreen``).
    """

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.choices: dict[str, str] = {}
        self.confirmed = False
        #: what the key step's facts said (the key's status, or the refund rule's answer)
        self.info: KeyStatusView | RefundRuleView | None = None
        self.info_text: Bi | None = None
        self.found: list[Any] = []
        self._shown: tuple[str, str] | None = None  # (order, step) on screen

    # -- the order-number step: find the earlier visit ------------------------------------

    def order_widgets(self) -> list[Widget]:
        """Below the order number: find it by the ID card or by the key in the reader."""
        if self.screen.choice is None:
            return []
        found = Vertical(id="svc-found")
        found.styles.height = "auto"  # inside the step's scroll: as tall as its rows
        return [
            LangText("svc.find_hint", classes="hint"),
            LangButton("svc.find_card", id="svc-find-card", classes="svc-line"),
            LangButton("svc.find_key", id="svc-find-key", classes="svc-line"),
            found,
        ]

    def find(self, *, agent_id_number: str | None = None, from_reader: bool = False) -> None:
        """Look the earlier visits up in a worker; the list replaces the one shown."""
        scr = self.screen
        if scr.choice is None or scr.busy:
            return
        service, program, kind = scr.choice
        scr._say_error(None)
        scr._set_busy(True)

        def work() -> None:
            try:
                found = scr.port.find_earlier(
                    service,
                    program,
                    kind,
                    agent_id_number=agent_id_number,
                    from_reader=from_reader,
                )
                error = None
            except KioskError as e:
                found, error = [], e
            except Exception as e:  # a bug below must still end in words
                log.exception("finding earlier visits failed")
                found, error = [], KioskError(str(e), code=_code("visit", "internal"))
            scr.app.call_from_thread(self._show_found, found, error)

        scr.run_worker(work, thread=True, group="svc-find", exclusive=True, exit_on_error=False)

    def _show_found(self, found: list[Any], error: KioskError | None) -> None:
        scr = self.screen
        scr._set_busy(False)
        self.found = found
        if error is None and not found:
            error = KioskError("", code=_code("visit", "none_found"))
        if error is not None:
            scr._say_error(error)
            scr._focus_first()  # the order field takes the typing again
        boxes = scr.query("#svc-found")
        if not boxes:
            return
        box = boxes.first(Vertical)
        box.remove_children()
        if not found:
            return
        rows: list[Widget] = [LangText("svc.found_heading", classes="field-label")]
        for v in found:
            words = self._visit_words(v)
            rows.append(LangButton(words, id=f"svc-found-{v.order}", classes="svc-found svc-line"))
        box.mount_all(rows)
        scr.call_after_refresh(lambda: scr.set_focus(scr.query(".svc-found").first()))

    @staticmethod
    def _visit_words(v: Any) -> Bi:
        from kiosk.domain.types import Service

        svc = Service(v.service)
        key = v.key_serial or "-"
        return _lit(
            t("svc.found_row", "zh-CN", order=v.order, service=svc.zh, day=v.day, holder=v.holder)
            + t("svc.found_key", "zh-CN", serial=key),
            t("svc.found_row", "en", order=v.order, service=svc.en, day=v.day, holder=v.holder)
            + t("svc.found_key", "en", serial=key),
        )

    def agent_read(self, agent: dict[str, Any]) -> None:
        """The ID card was read on the order-number step: find the agent's earlier visits."""
        self.find(agent_id_number=agent["id_number"])

    # -- buttons ---------------------------------------------------------------------------

    def on_button(self, bid: str | None) -> bool:
        """Handle this part's buttons; False for a button that is not ours."""
        scr = self.screen
        if not bid:
            return False
        if bid == "svc-find-card":
            if scr.agent is not None:
                self.agent_read(scr.agent)
            else:
                scr.post_message(scr.IdentifyNeeded())
            return True
        if bid == "svc-find-key":
            self.find(from_reader=True)
            return True
        if bid.startswith("svc-found-"):
            order = bid.removeprefix("svc-found-")
            found = scr.query("#visit-order")
            if found:
                found.first(Input).value = order
            scr._open(order)
            return True
        if bid.startswith("choice-"):
            button = scr.query_one(f"#{bid}", ChoiceButton)
            self.choices[button.group] = button.value
            for other in scr.query(".svc-choice"):
                if isinstance(other, ChoiceButton) and other.group == button.group:
                    other.select(other is button)
            self._after_choice(button.group)
            return True
        if bid == "svc-confirm":
            self.confirmed = not self.confirmed
            scr.query_one("#svc-confirm", LangButton)._text = self._confirm_text()
            scr.query_one("#svc-confirm", LangButton)._show(current_lang(scr))
            if self.confirmed:
                scr.set_focus(scr.query_one("#visit-next"))
            return True
        return False

    def _after_choice(self, group: str) -> None:
        scr = self.screen
        if group == "condition":
            note = scr.query("#svc-condition-note")
            if note:
                serial = getattr(self.info, "serial", None) or "-"
                note.first(LangText).set_text(
                    bi(f"svc.replace_{self.choices['condition']}_note"), {"serial": serial}
                )
        # keyboard: on to the next thing to answer
        nxt = scr.query("#svc-confirm") if group == "reason" else scr.query("#visit-next")
        if nxt:
            scr.set_focus(nxt.first())

    def _confirm_text(self) -> Bi:
        mark = "☑ " if self.confirmed else "☐ "
        words = bi("svc.cancel_confirm")
        return Bi(mark + words.zh, mark + words.en)

    # -- the key step of each service -------------------------------------------------------

    def show(self, step: str, state: VisitView) -> bool:
        """Show this service's key step; False when the visit screen's own view serves."""
        service = state.service
        if step != "keys" or service == "new":
            return False
        scr = self.screen
        if self._shown != (state.order, step):
            # a new step: nothing answered yet (a refusal re-shows the step with its answers)
            self.choices, self.confirmed = {}, False
        self._shown = (state.order, step)
        self.info, self.info_text = None, None
        builder: Callable[[VisitView], list[Widget]] = getattr(
            self, "_keys_" + service.replace("-", "_")
        )
        scr._heading(f"svc.{service.replace('-', '_')}_heading")
        scr._body(*builder(state))
        scr._next_label(f"svc.{service.replace('-', '_')}_go")
        if service in SHOWS_KEY:
            self._load(lambda: scr.port.key_status(scr.flow), self._key_words)
        elif service == "refund":
            self._load(lambda: scr.port.refund_decision(scr.flow), self._refund_words)
        return True

    def _choice(self, group: str, value: str, key: str) -> ChoiceButton:
        return ChoiceButton(group, value, bi(key), selected=self.choices.get(group) == value)

    def _pin_field(self) -> list[Widget]:
        return [
            LangText("visit.keys_pin", classes="field-label"),
            Input(id="key-pin", password=True, max_length=16),
        ]

    def _keys_renew(self, state: VisitView) -> list[Widget]:
        return [
            InfoText(self, id="svc-info"),
            LangText("svc.renew_hint", classes="hint"),
            *self._pin_field(),
        ]

    def _keys_change(self, state: VisitView) -> list[Widget]:
        unit = self.screen.port.data(self.screen.flow).unit
        after = (unit.name or unit.person_name if unit else None) or "-"
        return [
            InfoText(self, id="svc-info"),
            LangText(bi("svc.change_after").format(name=after), id="svc-change-after"),
            LangText("svc.change_hint", classes="hint"),
            *self._pin_field(),
        ]

    def _keys_replace(self, state: VisitView) -> list[Widget]:
        return [
            InfoText(self, id="svc-info"),
            LangText("svc.replace_ask", classes="field-label"),
            *(self._choice("condition", c, f"svc.replace_{c}") for c in CONDITIONS),
            LangText("svc.replace_hint", id="svc-condition-note", classes="hint"),
        ]

    def _keys_unlock(self, state: VisitView) -> list[Widget]:
        return [InfoText(self, id="svc-info"), LangText("svc.unlock_hint", classes="hint")]

    def _keys_cancel(self, state: VisitView) -> list[Widget]:
        return [
            InfoText(self, id="svc-info"),
            LangText("svc.cancel_warning", id="svc-cancel-warning", classes="notice"),
            LangText("svc.cancel_ask", classes="field-label"),
            *(self._choice("reason", r, f"svc.reason_{r}") for r in CANCEL_REASONS),
            LangButton(self._confirm_text(), id="svc-confirm", classes="svc-line"),
        ]

    def _keys_seal(self, state: VisitView) -> list[Widget]:
        return [
            InfoText(self, id="svc-info"),
            LangText("svc.seal_hint", classes="hint"),
            *self._pin_field(),
        ]

    def _keys_refund(self, state: VisitView) -> list[Widget]:
        return [InfoText(self, id="svc-info"), LangText("svc.refund_hint", classes="hint")]

    def _keys_key_recovery(self, state: VisitView) -> list[Widget]:
        return [
            InfoText(self, id="svc-info"),
            LangText("svc.recovery_hint", id="svc-recovery-hint", classes="hint"),
            *self._pin_field(),
        ]

    def _keys_pickup(self, state: VisitView) -> list[Widget]:
        order = self.screen.port.data(self.screen.flow).earlier_order or "-"
        return [LangText(bi("svc.pickup_hint").format(order=order), id="svc-info")]

    def _load(self, read: Callable[[], _Info], words: Callable[[_Info], Bi]) -> None:
        scr = self.screen

        def work() -> None:
            info: _Info | None
            try:
                info = read()
                text = words(info)
            except KioskError as e:
                info, text = None, _lit(*_both("svc.info_failed", reason=e.message))
            except Exception as e:  # a bug below must still end in words
                log.exception("reading the key step's facts failed")
                info, text = None, _lit(*_both("svc.info_failed", reason=str(e)))
            scr.app.call_from_thread(self._show_info, info, text)

        scr.run_worker(work, thread=True, group="svc-info", exclusive=True, exit_on_error=False)

    def _show_info(self, info: KeyStatusView | RefundRuleView | None, text: Bi) -> None:
        self.info, self.info_text = info, text
        found = self.screen.query("#svc-info")
        if found and isinstance(found.first(), InfoText):
            found.first(InfoText).set_text(text)

    @staticmethod
    def _key_words(info: KeyStatusView) -> Bi:
        if not info.serial:
            return bi("svc.no_key_info")
        zh, en = _both(
            "svc.key_line",
            serial=info.serial,
            cert=info.cert_serial or "-",
            not_after=info.not_after or "-",
        )
        state = info.state or "unknown"
        known = f"svc.key_state_{state}" in CATALOGUE
        zs, es = _both(f"svc.key_state_{state}") if known else (state, state)
        zh += t("svc.key_state", "zh-CN", state=zs)
        en += t("svc.key_state", "en", state=es)
        if info.seal:
            zh += t("svc.key_seal", "zh-CN")
            en += t("svc.key_seal", "en")
        pin = info.pin
        pz, pe = _both(f"svc.pin_{pin}" if pin else "svc.pin_absent")
        zh += "\n" + t("svc.pin_line", "zh-CN", pin=pz)
        en += "\n" + t("svc.pin_line", "en", pin=pe)
        return _lit(zh, en)

    @staticmethod
    def _refund_words(info: RefundRuleView) -> Bi:
        amount = format_fen(info.refundable_fen)
        verdict = "svc.refund_yes" if info.eligible else "svc.refund_no"
        zh = f"{info.zh}\n" + t(verdict, "zh-CN", amount=amount)
        en = f"{info.en}\n" + t(verdict, "en", amount=amount)
        return _lit(zh, en)

    def keys_inputs(self, state: VisitView) -> dict[str, Any] | None:
        """The key step's inputs for the engine; None when something must be answered first
        (said on screen)."""
        scr = self.screen
        service = state.service
        key: dict[str, Any] = {}
        if service in WITH_PIN or service == "new":
            pin = scr._value("#key-pin")
            if pin:
                key["pin"] = pin
        if service == "replace":
            if "condition" not in self.choices:
                scr._say_error(KioskError("", code=_code("visit", "bad_condition")))
                return None
            key["condition"] = self.choices["condition"]
        if service == "cancel":
            if "reason" not in self.choices:
                scr._say_error(KioskError("", code=_code("visit", "bad_reason")))
                return None
            if not self.confirmed:
                scr._say_error(KioskError("", code=_code("visit", "confirm_needed")))
                return None
            key["reason"] = self.choices["reason"]
        return {"key": key} if key else {}

    # -- the done screen --------------------------------------------------------------------

    def done_widgets(self, state: VisitView) -> list[Widget]:
        """What the service left: the certificate and key, the cancellation, the refund."""
        service = state.service
        cert, refund = state.certificate, state.refund
        key_serial = (state.key.serial if state.key else None) or "-"
        if service == "refund" and refund:
            text = bi("svc.done_refund").format(amount=format_fen(refund.amount_fen))
            return [LangText(_lit(text.zh, text.en), id="svc-done")]
        elif service == "cancel":
            reason = self.choices.get("reason")
            words = bi(f"svc.reason_{reason}") if reason else Bi("-", "-")
            text = _lit(
                t("svc.done_cancel", "zh-CN", serial=key_serial, reason=words.zh),
                t("svc.done_cancel", "en", serial=key_serial, reason=words.en),
            )
            return [LangText(text, id="svc-done")]
        elif service == "key-recovery" and state.recovered:
            enc = state.recovered.encryption_serial or "-"
            text = bi("svc.done_recovered").format(enc=enc, serial=key_serial)
            return [LangText(_lit(text.zh, text.en), id="svc-done")]
        elif cert:
            not_after = str(cert.not_after or "-")[:10]
            text = bi("svc.done_cert").format(
                cert=cert.serial or "-",
                not_after=not_after,
                serial=key_serial,
            )
            return [LangText(_lit(text.zh, text.en), id="svc-done")]
        return []
