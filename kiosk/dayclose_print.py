"""Printing the Z-report on the receipt printer (the payments area's printer module).

The receipt printer adapter lives in ``hardware.printer`` (payments area). Until it is present
the report is not printed and the caller is told so in one line; the CSV, JSON and PDF are
written either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.dayreport_render import receipt_lines


def print_report(settings: Any, report: Mapping[str, Any]) -> str:
    """Print the report's receipt lines; returns one line saying what happened."""
    try:
        from hardware import printer  # type: ignore[attr-defined]
    except ImportError:
        return "printer module not installed: Z-report not printed (CSV/PDF written)"
    lines = receipt_lines(report)
    sender = getattr(printer, "print_lines", None)
    if sender is None:
        return "printer module has no print_lines(): Z-report not printed (CSV/PDF written)"
    sender(settings.devices.printer, lines)
    return f"Z-report printed ({len(lines)} lines)"
