"""Receipts: the kiosk's build + send to the stand-in printer, beside bare python-escpos.

Same run, same stand-in, same text. The baseline is what a minimal script does with python-escpos
alone: ``Network(...)``, ``textln`` per line, a native QR, a cut, close (no status queries, no
Chinese-mode switch, no job record). The kiosk's figures add what it does on top: the layout, its
own GB18030 encoding, a status query before and after the bytes, and (for the queue) the SQLite
job row saved before and updated after printing.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from escpos.printer import Dummy, Network

from data.store import Store, utc_now
from hardware.printer.device import EscposPrinter, parse_uri
from hardware.printer.render import PrinterModel, render
from hardware.sim.printer import PrinterSim
from kiosk.receipts.layout import ReceiptData, ReceiptItem, build_receipt
from kiosk.receipts.queue import PrintQueue

ROUNDS = 25


def _receipt() -> ReceiptData:
    return ReceiptData(
        counter_name="广东省电子商务认证有限公司 东莞办事处",
        counter_address="东莞市莞城区东城西路92号通联大厦一楼电子认证中心",
        order_no="DG-20261121-0007",
        paid_at=utc_now(),
        service_zh="新申请",
        program_zh="东莞市住房公积金",
        kind_zh="机构证书",
        years=3,
        items=(
            ReceiptItem("证书服务费", "Certificate", 60000, 3),
            ReceiptItem("电子印章", "Seal", 60000, 3),
        ),
        total_fen=120000,
        method="wechat",
        reference="4200000000000000001",
        staff_no="S001",
        payer="东莞市网证通示例科技有限公司",
        hotline="020-89524338",
    )


def _median_ms(fn, rounds: int = ROUNDS) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up (imports, font and profile caches)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def run() -> list[dict[str, object]]:
    """Median milliseconds per receipt."""
    data = _receipt()
    model = PrinterModel("TM-T88V", "gb18030")
    raster = PrinterModel("TM-T88V", "raster")
    doc = build_receipt(data, columns=model.columns)
    lines = doc.preview_lines()
    text_lines = [ln for ln in lines if not ln.startswith("[QR]") and "✂" not in ln]

    def bare_build() -> bytes:
        p = Dummy(profile="TM-T88V")
        for ln in text_lines:
            p.textln(ln)
        p.qr(data.order_no, native=True, size=6)
        p.cut()
        return bytes(p.output)

    def kiosk_build() -> bytes:
        return render(build_receipt(data, columns=model.columns), model)

    rows: list[dict[str, object]] = []
    build = _median_ms(kiosk_build)
    bare = _median_ms(bare_build)
    rows.append(
        {
            "name": "receipt build (layout + GB18030 render)",
            "value": round(build, 3),
            "unit": "ms",
            "baseline_name": "python-escpos Dummy textln of the same lines",
            "baseline_value": round(bare, 3),
            "note": f"{len(kiosk_build())} bytes vs {len(bare_build())} bytes",
        }
    )
    with tempfile.TemporaryDirectory() as tmp, PrinterSim(Path(tmp) / "printer") as sim:
        printer = EscposPrinter(parse_uri(sim.uri), model)
        raster_printer = EscposPrinter(parse_uri(sim.uri), raster)

        def bare_send() -> None:
            p = Network("127.0.0.1", sim.port, timeout=5, profile="TM-T88V")
            p.open()
            for ln in text_lines:
                p.textln(ln)
            p.qr(data.order_no, native=True, size=6)
            p.cut()
            p.close()

        def kiosk_send() -> None:
            printer.send(render(build_receipt(data, columns=model.columns), model))

        def raster_send() -> None:
            raster_printer.send(render(build_receipt(data, columns=model.columns), raster))

        bare_net = _median_ms(bare_send)
        kiosk_net = _median_ms(kiosk_send)
        raster_net = _median_ms(raster_send, rounds=10)
        store = Store.open(Path(tmp) / "kiosk.db")
        queue = PrintQueue(store, printer)

        def queued() -> None:
            queue.enqueue_receipt(data, visit_id=None)
            assert len(queue.run_once().printed) == 1

        queue_net = _median_ms(queued)
        store.close()
        jobs = len(sim.jobs())
    common = "python-escpos Network: textln lines + QR + cut"
    rows += [
        {
            "name": "receipt build + send to stand-in (status before/after)",
            "value": round(kiosk_net, 3),
            "unit": "ms",
            "baseline_name": common,
            "baseline_value": round(bare_net, 3),
            "note": "",
        },
        {
            "name": "receipt via print queue (save job, print, mark printed)",
            "value": round(queue_net, 3),
            "unit": "ms",
            "baseline_name": common,
            "baseline_value": round(bare_net, 3),
            "note": f"stand-in stored {jobs} jobs in this run",
        },
        {
            "name": "raster receipt build + send (Pillow lines)",
            "value": round(raster_net, 3),
            "unit": "ms",
            "baseline_name": common,
            "baseline_value": round(bare_net, 3),
            "note": f"{len(render(doc, raster))} bytes",
        },
    ]
    return rows
