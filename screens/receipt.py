"""收费凭证 Receipt preview: the very lines the printer prints, and a reprint button."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.errors import KioskError


class ReceiptsPort(Protocol):
    """What this screen needs of ``kiosk.receipts.service.ReceiptService``."""

    def preview(self, order_no: str, *, reprint: bool = False) -> Any: ...
    def reprint(self, order_no: str, *, requested_by: str | None) -> int: ...


class ReceiptPreview(Static):
    """A receipt as text, one printer column per cell (CJK takes two, as on paper)."""

    DEFAULT_CSS = """
    ReceiptPreview { width: auto; height: auto; border: round $primary; padding: 0 1;
                     background: $surface; }
    """

    def __init__(self, lines: list[str], **kw: Any) -> None:
        super().__init__("\n".join(lines), markup=False, **kw)
        self.lines = lines

    def show(self, lines: list[str]) -> None:
        """Replace the receipt shown."""
        self.lines = lines
        self.update("\n".join(lines))


class ReceiptScreen(Screen[None]):
    """A visit's receipt as it prints; staff can queue a reprint (marked 重打).

    Args:
        receipts: the receipt service (see :class:`ReceiptsPort`).
        order_no: the visit's order number.
        staff_no: the signed-in staff member (recorded on a reprint).
    """

    DEFAULT_CSS = """
    ReceiptScreen { align: center top; padding: 1; }
    #buttons { height: auto; margin-top: 1; }
    #buttons Button { margin-right: 1; }
    #message { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "back", "返回 Back")]

    def __init__(self, receipts: ReceiptsPort, *, order_no: str, staff_no: str | None) -> None:
        super().__init__()
        self.receipts = receipts
        self.order_no = order_no
        self.staff_no = staff_no

    def compose(self) -> ComposeResult:
        try:
            lines = self.receipts.preview(self.order_no).preview_lines()
            note = ""
        except KioskError as e:
            lines, note = [], f"{e.message}"
        with VerticalScroll():
            yield ReceiptPreview(lines, id="preview")
            with Horizontal(id="buttons"):
                yield Button("重打 Reprint", id="reprint", disabled=not lines)
                yield Button("返回 Back", id="back")
            yield Static(note, id="message")

    @on(Button.Pressed, "#reprint")
    def reprint(self) -> None:
        self._reprint()

    @work(thread=True, exclusive=True, exit_on_error=False, group="receipt")
    def _reprint(self) -> None:
        try:
            job = self.receipts.reprint(self.order_no, requested_by=self.staff_no)
        except KioskError as e:
            self.app.call_from_thread(self._say, e.message)
            return
        self.app.call_from_thread(self._say, f"已加入打印队列 Reprint queued (job #{job})")

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(None)
