"""The dual-control approval modal (复核): a second staff member approves on the kiosk.

Shown over the screen where an operator started an override that needs a supervisor (unlock,
fee waiver, refund, accepting a failed seal), or where the clerk's counted figures differ beyond
the threshold. The supervisor types their own staff number and PIN; the check (supervisor role,
never the initiator, PIN lockout) happens in the staff area through the ``decide`` callable, in a
thread worker. Dismisses with what ``decide`` returned, or None when cancelled.
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
from textual.widgets import Button, Input, Static

from kiosk.errors import KioskError
from screens.staff_signin import error_text

#: decide(staff_no, pin, approve) -> result; raises KioskError when refused.
Decide = Callable[[str, str, bool], Any]


class ApprovalDecided(Message):
    """The approver's decision went through."""

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class ApprovalRefused(Message):
    """The approver was refused (wrong PIN, not a supervisor, the initiator, …)."""

    def __init__(self, error: KioskError) -> None:
        super().__init__()
        self.error = error


class ApprovalModal(ModalScreen[Any]):
    """复查员审批 Supervisor approval."""

    DEFAULT_CSS = """
    ApprovalModal { align: center middle; }
    #approval { width: 70; height: auto; border: thick $warning; background: $surface;
                padding: 1 2; }
    #approval Input { margin-bottom: 1; }
    #approval-summary { margin-bottom: 1; }
    #approval-message { height: auto; min-height: 2; color: $error; }
    #approval-buttons { height: auto; }
    #approval-buttons Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(
        self, title: str, summary: Sequence[str], decide: Decide, *, can_reject: bool = True
    ):
        super().__init__()
        self.title_text = title
        self.summary = list(summary)
        self.decide = decide
        self.can_reject = can_reject

    def compose(self) -> ComposeResult:
        with Vertical(id="approval"):
            yield Static(self.title_text, id="approval-title")
            yield Static("\n".join(self.summary), id="approval-summary")
            yield Static("复查员工号 Supervisor's staff number")
            yield Input(id="approver-number", max_length=16, restrict=r"[0-9A-Za-z_-]*")
            yield Static("复查员密码 Supervisor's PIN")
            yield Input(id="approver-pin", password=True, max_length=12, restrict=r"[0-9]*")
            yield Static("", id="approval-message")
            with Horizontal(id="approval-buttons"):
                yield Button("批准 Approve", id="approve", variant="success")
                if self.can_reject:
                    yield Button("驳回 Reject", id="reject", variant="error")
                yield Button("取消 Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#approver-number", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "approver-number":
            self.query_one("#approver-pin", Input).focus()
        else:
            self._go(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self._go(event.button.id == "approve")

    def _go(self, approve: bool) -> None:
        number = self.query_one("#approver-number", Input).value.strip()
        pin = self.query_one("#approver-pin", Input).value
        if not number or not pin:
            self.query_one("#approval-message", Static).update(
                "请复查员输入工号和密码\nThe supervisor enters their staff number and PIN"
            )
            return
        for b in self.query(Button):
            b.disabled = b.id != "cancel"
        self._decide(number, pin, approve)

    @work(thread=True, exclusive=True, exit_on_error=False, group="approval")
    def _decide(self, number: str, pin: str, approve: bool) -> None:
        try:
            result = self.decide(number, pin, approve)
        except KioskError as e:
            self.post_message(ApprovalRefused(e))
        else:
            self.post_message(ApprovalDecided(result))

    def on_approval_refused(self, message: ApprovalRefused) -> None:
        for b in self.query(Button):
            b.disabled = False
        self.query_one("#approver-pin", Input).value = ""
        self.query_one("#approval-message", Static).update(error_text(message.error))

    def on_approval_decided(self, message: ApprovalDecided) -> None:
        self.dismiss(message.result)

    def action_cancel(self) -> None:
        """Close without a decision."""
        self.dismiss(None)


def override_summary(ov: dict[str, Any]) -> list[str]:
    """The lines the modal shows for an override (from ``StaffService.describe_override``)."""
    lines = [
        f"事项 Override: {ov['kind_zh']} ({ov['kind']})",
        f"受理 Visit: {ov['visit_id']}    发起人 Started by: {ov['initiator_no']}",
        f"原因 Reason: {ov['reason_code']}"
        + (f" — {ov['reason_note']}" if ov["reason_note"] else ""),
    ]
    if ov.get("before") is not None:
        lines.append(f"原值 Before: {ov['before']}")
    if ov.get("after") is not None:
        lines.append(f"新值 After: {ov['after']}")
    return lines
