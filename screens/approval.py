"""The dual-control approval modal (复核): a second staff member approves on the kiosk.

Shown over the screen where an operator started an override that needs a supervisor (unlock,
fee waiver, refund, accepting a failed seal), or where the clerk's counted figures differ beyond
the threshold. The supervisor types their own staff number and PIN; the checks (supervisor role,
never the initiator, PIN lockout) happen in the staff area through ``decide``, in a thread
worker. Dismisses with what ``decide`` returned, or None when cancelled.

For an override: ``ApprovalModal.for_override(port, override_id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input

from kiosk.errors import KioskError
from kiosk.staff.texts import override_summary
from screens.i18n import Bi
from screens.staff import error_bi, literal_bi
from screens.staff_port import StaffPort
from screens.widgets.text import LangButton, LangText

#: decide(staff_no, pin, approve) -> result; raises KioskError when refused.
Decide = Callable[[str, str, bool], Any]


class ApprovalModal(ModalScreen[Any]):
    """复查员审批 Supervisor approval."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    class Decided(Message):
        """The approver's decision went through."""

        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Refused(Message):
        """The approver was refused (wrong PIN, not a supervisor, the initiator, ...)."""

        def __init__(self, error: KioskError) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        heading: str,
        summary: Sequence[Bi],
        decide: Decide,
        *,
        can_reject: bool = True,
    ) -> None:
        super().__init__()
        self.heading = heading
        self.summary = list(summary)
        self.decide = decide
        self.can_reject = can_reject

    @classmethod
    def for_override(cls, port: StaffPort, override_id: int) -> ApprovalModal:
        """The modal for a pending dual-control override."""
        lines = [
            literal_bi(zh, en) for zh, en in override_summary(port.describe_override(override_id))
        ]
        return cls(
            "staff.approval_heading",
            lines,
            lambda no, pin, ok: port.decide_override(override_id, no, pin, ok),
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="approval"):
            yield LangText(self.heading, id="approval-heading", classes="heading")
            for i, line in enumerate(self.summary):
                yield LangText(line, id=f"approval-line-{i}", classes="approval-line")
            yield LangText("staff.approver_number", classes="field-label")
            yield Input(id="approver-number", max_length=16, restrict=r"[0-9A-Za-z_-]*")
            yield LangText("staff.approver_pin", classes="field-label")
            yield Input(id="approver-pin", password=True, max_length=12, restrict=r"[0-9]*")
            yield LangText("staff.approver_fill", id="approval-message", classes="notice")
            with Horizontal(id="nav"):
                yield LangButton("staff.approve", id="approve", classes="nav", variant="success")
                if self.can_reject:
                    yield LangButton("staff.reject", id="reject", classes="nav", variant="error")
                yield LangButton("staff.cancel", id="cancel", classes="nav")

    def on_mount(self) -> None:
        self.query_one("#approver-number", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "approver-number":
            self.query_one("#approver-pin", Input).focus()
        else:
            self._go(True)

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self._go(event.button.id == "approve")

    def _go(self, approve: bool) -> None:
        number = self.query_one("#approver-number", Input).value.strip()
        pin = self.query_one("#approver-pin", Input).value
        if not number or not pin:
            self.query_one("#approval-message", LangText).set_text("staff.approver_fill")
            return
        for b in self.query(LangButton):
            b.disabled = b.id != "cancel"
        self._decide(number, pin, approve)

    @work(thread=True, exclusive=True, exit_on_error=False, group="approval")
    def _decide(self, number: str, pin: str, approve: bool) -> None:
        try:
            result = self.decide(number, pin, approve)
        except KioskError as e:
            self.post_message(self.Refused(e))
        else:
            self.post_message(self.Decided(result))

    def on_approval_modal_refused(self, message: Refused) -> None:
        for b in self.query(LangButton):
            b.disabled = False
        self.query_one("#approver-pin", Input).value = ""
        self.query_one("#approval-message", LangText).set_text(error_bi(message.error))

    def on_approval_modal_decided(self, message: Decided) -> None:
        self.dismiss(message.result)

    def action_cancel(self) -> None:
        """Close without a decision."""
        self.dismiss(None)
