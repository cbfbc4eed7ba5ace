"""The status bar's printer cell: ready, or why receipts wait and how many."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class PrinterStatusBar(Static):
    """Shows a ``kiosk.receipts.queue.QueueStatus``.

    The print worker reports from its thread; the app forwards with
    ``app.call_from_thread(bar.show, status)``.
    """

    DEFAULT_CSS = """
    PrinterStatusBar { width: auto; padding: 0 1; }
    PrinterStatusBar.waiting { background: $error; color: $text; }
    """

    def show(self, status: Any) -> None:
        """Display a queue status (waiting reason first, then the printer's own state)."""
        waiting = status.waiting_reason_zh
        self.set_class(bool(waiting), "waiting")
        if waiting:
            self.update(f"🖨 {waiting} · 待打印 {status.queued}")
        elif status.queued:
            self.update(f"🖨 {status.printer.message_zh} · 待打印 {status.queued}")
        else:
            self.update(f"🖨 {status.printer.message_zh}")
