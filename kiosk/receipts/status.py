"""The printer's cell of the status bar, from the print queue (no I/O of its own).

The print worker asks the printer on every pass (and every ``idle_s`` when idle); this probe
reads the queue's last known status and depth, so the status bar's 2-second poll does not open
a connection to the printer (except once, if it runs before the worker's first pass).
"""

from __future__ import annotations

from kiosk.receipts.queue import NOT_ASKED, PrintQueue
from kiosk.status import Device, DeviceProbe, DeviceState, DeviceStatus

_STATE = {
    "ready": DeviceState.READY,
    "paper_low": DeviceState.READY,
    "unknown": DeviceState.READY,  # a file or USB printer that cannot report: the write decides
    "paper_out": DeviceState.FAULT,
    "cover_open": DeviceState.FAULT,
    "error": DeviceState.FAULT,
    "offline": DeviceState.MISSING,
}


def printer_probe(queue: PrintQueue) -> DeviceProbe:
    """A status-bar probe for the printer behind ``queue``."""

    def probe() -> DeviceStatus:
        if queue.last_status is NOT_ASKED:  # before the worker's first pass: ask once here
            queue.refresh_status()
        st = queue.status()
        zh, en = st.printer.message_zh, st.printer.message
        if st.printer.state == "ready":
            zh, en = "", ""
        if st.queued:
            zh = f"{zh}（待打印 {st.queued}）" if zh else f"待打印 {st.queued}"
            en = f"{en} ({st.queued} waiting)" if en else f"{st.queued} receipt(s) waiting"
        return DeviceStatus(Device.PRINTER, _STATE[st.printer.state], zh, en)

    return probe
