"""Printing the Z-report (or an X-report) on the receipt printer, through the print queue.

The report goes through the payments area's persisted print queue (``kiosk.receipts.queue``,
job kinds ``z_report`` / ``x_report``): saved as a job first, then printed. A printer that is
out of paper, offline or has its cover open leaves the job ``queued`` with the reason; the kiosk's
print worker (or ``kiosk print drain``) prints it exactly once when the printer is back. The
CSV, JSON and PDF are written either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from data.store import Store
from kiosk.dayclose.render import receipt_lines

if TYPE_CHECKING:
    from kiosk.config import Settings


def report_doc(report: Mapping[str, Any], columns: int) -> Any:
    """The report as a ``hardware.printer.Doc``: one text line per receipt line, then a cut."""
    from hardware.printer import Cut, Doc, Feed, Line

    lines = receipt_lines(report, width=columns)
    elements: list[Any] = [Line(lines[0], align="center", bold=True)]
    elements += [Line(t) for t in lines[1:]]
    elements += [Feed(3), Cut()]
    return Doc(columns, tuple(elements))


def print_report(
    settings: Settings,
    report: Mapping[str, Any],
    store: Store,
    printer: Any = None,
    *,
    requested_by: str | None = None,
) -> str:
    """Queue the report for printing and try once now; returns one line saying what happened.

    Args:
        settings: the whole ``Settings`` (``[devices.printer]``; unused when ``printer`` is given).
        report: the Z- or X-report.
        store: the kiosk's store (the print queue lives there).
        printer: a ``hardware.printer.Printer`` (default: the configured one).
        requested_by: staff number recorded on the job.

    Raises:
        ConfigError: the configured printer is malformed.
        PrinterError: the job failed for good (it could not be laid out).
    """
    from kiosk.errors import PrinterError
    from kiosk.receipts.queue import PrintQueue

    if printer is None:
        from kiosk.payments.wiring import make_printer

        printer = make_printer(settings)
    queue = PrintQueue(store, printer)
    job_id = queue.enqueue_report(report, requested_by=requested_by)
    result = queue.run_once()
    name = f"{report['report']}-report"
    if job_id in result.printed:
        return f"{name} printed"
    job = queue.job(job_id)
    if job.state == "failed":
        raise PrinterError(
            f"{name} print job #{job_id} failed: {job.last_error_text}", code="printer.job_failed"
        )
    why = (result.waiting.message if result.waiting else None) or job.last_error_text or "busy"
    return (
        f"{name} queued as print job #{job_id} ({why}); it prints once when the printer is "
        "back (the kiosk's print worker, or `kiosk print drain`)"
    )
