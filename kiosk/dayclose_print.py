"""Printing the Z-report (or an X-report) on the receipt printer.

Uses the payments area's printer module (``hardware.printer``: ``Doc``, ``Line``, ``Cut``; and
``kiosk.payments.wiring.make_printer`` for the configured printer). Until that module is on main
the report is not printed and the caller is told so in one line; the CSV, JSON and PDF are
written either way, and ``kiosk day print --date D`` prints the stored Z-report later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.dayreport_render import receipt_lines

NOT_AVAILABLE = "printer module not installed: report not printed (CSV/JSON/PDF written)"


def printer_available() -> bool:
    """True when the payments area's printer module is present."""
    try:
        import hardware.printer  # noqa: F401
    except ImportError:
        return False
    return True


def report_doc(report: Mapping[str, Any], columns: int) -> Any:
    """The report as a ``hardware.printer.Doc``: one text line per receipt line, then a cut."""
    from hardware.printer import Cut, Doc, Feed, Line

    lines = receipt_lines(report, width=columns)
    elements: list[Any] = [Line(lines[0], align="center", bold=True)]
    elements += [Line(t) for t in lines[1:]]
    elements += [Feed(3), Cut()]
    return Doc(columns, tuple(elements))


def print_report(settings: Any, report: Mapping[str, Any], printer: Any = None) -> str:
    """Print the report; returns one line saying what happened.

    Args:
        settings: the whole ``Settings`` (``[devices.printer]``).
        report: the Z- or X-report.
        printer: a ``hardware.printer.Printer`` (default: the configured one).

    Raises:
        PrinterError: the printer is offline, out of paper or refused the job.
    """
    if not printer_available():
        return NOT_AVAILABLE
    if printer is None:
        from kiosk.payments.wiring import make_printer

        printer = make_printer(settings)
    columns = int(getattr(getattr(printer, "model", None), "columns", 42))
    printer.print_doc(report_doc(report, columns))
    return f"{report['report']}-report printed"
