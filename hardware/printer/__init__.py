"""The receipt printer (ESC/POS through python-escpos): document model, renderer, device.

Public surface:
    Doc, Line, Qr, Feed, Cut, pair, wrap     what goes on paper (:mod:`.doc`)
    PrinterModel, render                       a Doc into ESC/POS bytes (:mod:`.render`)
    parse_uri, EscposPrinter, PrinterStatus    the device (:mod:`.device`)
"""

from hardware.printer.device import (
    EscposPrinter,
    Printer,
    PrinterStatus,
    PrinterTarget,
    parse_uri,
    status_from_bytes,
)
from hardware.printer.doc import PLACEHOLDER, Cut, Doc, Feed, Line, Qr, pair, printable_text, wrap
from hardware.printer.render import PrinterModel, render

__all__ = [
    "PLACEHOLDER",
    "Cut",
    "Doc",
    "EscposPrinter",
    "Feed",
    "Line",
    "Printer",
    "PrinterModel",
    "PrinterStatus",
    "PrinterTarget",
    "Qr",
    "pair",
    "parse_uri",
    "printable_text",
    "render",
    "status_from_bytes",
    "wrap",
]
