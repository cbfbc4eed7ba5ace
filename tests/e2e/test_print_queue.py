"""Save first, then print: the persisted queue against the stand-in printer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from data.store import Store
from hardware.sim.escpos_decode import decode
from hardware.sim.printer import PrinterSim
from kiosk.errors import PrinterError, VisitError
from kiosk.receipts.queue import PrintQueue, PrintWorker, QueueStatus
from tests.money_helpers import dg_new_quote, make_visit, stand_in_printer, wire

pytestmark = pytest.mark.e2e


@pytest.fixture
def sim(tmp_path: Path):
    with PrinterSim(tmp_path / "printer") as s:
        yield s


def _pay_card(money, store: Store, order_no: str, ref: str) -> int:
    visit = make_visit(store, order_no)
    money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref=ref, amount_fen=120000, staff_no="S001"
    )
    return visit


def _wait(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)


def test_paid_receipt_is_saved_before_it_prints(store: Store, sim: PrinterSim) -> None:
    money = wire(store, sim.uri)
    visit = _pay_card(money, store, "DG-20261121-0001", "T0001")
    (job,) = money.queue.jobs(visit_id=visit)
    assert job.state == "queued" and sim.jobs() == []
    result = money.queue.run_once()
    assert result.printed == (job.id,)
    assert money.queue.job(job.id).state == "printed"
    assert decode(sim.wait_for_jobs(1)[0]).find("DG-20261121-0001")


def test_out_of_paper_then_back_prints_every_queued_job_exactly_once(
    store: Store, sim: PrinterSim
) -> None:
    statuses: list[QueueStatus] = []
    seen = threading.Event()

    def on_status(st: QueueStatus) -> None:
        statuses.append(st)
        if st.waiting_reason:
            seen.set()

    sim.set_state("paper-out")
    money = wire(store, sim.uri)
    worker = PrintWorker(money.queue, on_status=on_status, retry_s=0.05, idle_s=0.05)
    money.receipts.worker = worker
    worker.start()
    try:
        orders = [f"DG-20261121-00{n:02d}" for n in range(1, 4)]
        for n, order in enumerate(orders):
            _pay_card(money, store, order, f"T10{n:02d}")
        assert seen.wait(10), "the status bar never heard why receipts wait"
        waiting = next(s for s in statuses if s.waiting_reason)
        assert "out of paper" in waiting.waiting_reason  # type: ignore[operator]
        assert waiting.waiting_reason_zh == "打印机缺纸：请装入新纸卷"
        assert waiting.queued >= 1
        assert sim.jobs() == []
        # The worker keeps trying (a job may be mid-attempt), but nothing is printed or dropped.
        assert all(j.state in ("queued", "printing") for j in money.queue.jobs())
        assert {j.last_error for j in money.queue.jobs()} <= {"printer.paper_out", None}
        sim.set_state("ready")
        jobs = sim.wait_for_jobs(3)
        _wait(lambda: money.queue.depth() == 0)
    finally:
        worker.stop()
    assert len(sim.jobs()) == 3  # no extra copies after the queue emptied
    printed_orders = sorted(
        next(ln for ln in decode(j).lines if ln.startswith("订单号")).split()[-1] for j in jobs
    )
    assert printed_orders == orders
    assert all(j.state == "printed" for j in money.queue.jobs())


def test_offline_printer_keeps_the_job_and_says_why(store: Store, tmp_path: Path) -> None:
    with PrinterSim(tmp_path / "gone") as gone:
        uri = gone.uri
    money = wire(store, uri)
    visit = _pay_card(money, store, "DG-20261121-0009", "T0009")
    result = money.queue.run_once()
    assert result.waiting is not None and result.waiting.state == "offline"
    (job,) = money.queue.jobs(visit_id=visit)
    assert job.state == "queued" and job.last_error == "printer.offline" and job.attempts == 1
    assert money.queue.status().waiting_reason_zh == "打印机离线：请检查电源和连线"


def test_printing_job_left_by_a_crash_is_queued_again(store: Store, sim: PrinterSim) -> None:
    money = wire(store, sim.uri)
    visit = _pay_card(money, store, "DG-20261121-0010", "T0010")
    (job,) = money.queue.jobs(visit_id=visit)
    with store.atomic() as db:
        db["print_jobs"].update(job.id, {"state": "printing"})
    assert money.queue.recover() == [job.id]
    assert money.queue.run_once().printed == (job.id,)
    assert len(sim.wait_for_jobs(1)) == 1


def test_reprint_is_marked_and_a_visit_without_receipt_is_refused(
    store: Store, sim: PrinterSim
) -> None:
    money = wire(store, sim.uri)
    _pay_card(money, store, "DG-20261121-0011", "T0011")
    money.queue.run_once()
    money.receipts.reprint("DG-20261121-0011", requested_by="S002")
    money.queue.run_once()
    first, second = (decode(j) for j in sim.wait_for_jobs(2))
    assert not first.find("重打")
    assert second.find("重打") == "** 重打 REPRINT **"
    assert [ln for ln in second.lines if "重打" not in ln] == first.lines
    other = make_visit(store, "DG-20261121-0012")
    with pytest.raises(VisitError) as e:
        money.queue.reprint(other, requested_by="S002")
    assert e.value.code == "receipt.none"


def test_pin_slip_prints_once_and_is_never_stored(
    store: Store, sim: PrinterSim, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    money = wire(store, sim.uri)
    visit = make_visit(store, "DG-20261121-0013")
    pin = "Kx7#91qZ"
    money.queue.print_pin_slip(
        visit_id=visit,
        order_no="DG-20261121-0013",
        token_serial="SN123",
        pin=pin,
        printed_by="S001",
    )
    (job,) = sim.wait_for_jobs(1)
    paper = decode(job)
    assert paper.find(pin)
    assert paper.find("10") and any("锁" in ln for ln in paper.lines)
    assert any("修改" in ln for ln in paper.lines)
    with pytest.raises(VisitError) as e:
        money.queue.print_pin_slip(
            visit_id=visit,
            order_no="DG-20261121-0013",
            token_serial="SN123",
            pin=pin,
            printed_by="S001",
        )
    assert e.value.code == "receipt.pin_slip_once"
    assert money.queue.jobs() == []  # never queued
    store.db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    for f in Path(store.path).parent.glob("kiosk.db*"):  # type: ignore[arg-type]
        assert pin.encode() not in f.read_bytes(), f"PIN found in {f.name}"
    assert caplog.records and not any(pin in r.getMessage() for r in caplog.records)


def test_pin_slip_on_a_printer_without_paper_raises_and_records_nothing(
    store: Store, sim: PrinterSim
) -> None:
    sim.set_state("paper-out")
    queue = PrintQueue(store, stand_in_printer(sim.uri))
    visit = make_visit(store, "DG-20261121-0014")
    with pytest.raises(PrinterError):
        queue.print_pin_slip(
            visit_id=visit, order_no="X", token_serial="SN9", pin="12345678", printed_by=None
        )
    assert store.db["pin_slips"].count == 0


def test_raster_receipt_prints_images_and_the_qr(store: Store, sim: PrinterSim) -> None:
    money = wire(store, sim.uri, chinese="raster")
    _pay_card(money, store, "DG-20261121-0015", "T0015")
    money.queue.run_once()
    paper = decode(sim.wait_for_jobs(1)[0])
    assert paper.lines == [] and paper.qr_codes == ["DG-20261121-0015"]
    # Read the paper: each image is exactly the drawing of the receipt's next line of text.
    from hardware.printer.doc import Line, align_text
    from hardware.printer.render import raster_line

    model = money.queue.printer.model
    doc = money.receipts.preview("DG-20261121-0015")
    expected = [
        raster_line(
            align_text(el.text, model.columns // (2 if el.big else 1), el.align),
            width_px=model.width_px,
            bold=el.bold,
            big=el.big,
        ).tobytes()
        for el in doc.elements
        if isinstance(el, Line)
    ]
    assert [img.to_pil().tobytes() for img in paper.images] == expected


def test_two_drainers_never_print_a_job_twice(store: Store, sim: PrinterSim) -> None:
    money = wire(store, sim.uri)
    for n in range(6):
        _pay_card(money, store, f"DG-20261121-01{n:02d}", f"T20{n:02d}")
    queues = [PrintQueue(Store.open(store.path), stand_in_printer(sim.uri)) for _ in range(2)]  # type: ignore[arg-type]
    printed: list[tuple[int, ...]] = []
    threads = [
        threading.Thread(target=lambda q=q: printed.append(q.run_once().printed)) for q in queues
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ids = [i for batch in printed for i in batch]
    assert sorted(ids) == sorted(j.id for j in money.queue.jobs())  # each job once, none lost
    assert len(sim.wait_for_jobs(6)) == 6
    for q in queues:
        q.store.close()


def test_status_bar_probe_reports_the_printer_and_waiting_receipts(
    store: Store, sim: PrinterSim
) -> None:
    from kiosk.receipts.status import printer_probe
    from kiosk.status import Device, DeviceState

    money = wire(store, sim.uri)
    probe = printer_probe(money.queue)
    first = probe()  # before any worker pass: the probe asks once itself
    assert (first.device, first.state, first.reason_zh) == (Device.PRINTER, DeviceState.READY, "")
    sim.set_state("paper-out")
    _pay_card(money, store, "DG-20261121-0020", "T3000")
    money.queue.run_once()
    st = probe()
    assert st.state is DeviceState.FAULT
    assert st.reason_zh == "打印机缺纸：请装入新纸卷（待打印 1）"
    assert "1 waiting" in st.reason_en
    sim.set_state("offline")
    money.queue.run_once()
    assert probe().state is DeviceState.MISSING


def test_a_job_that_cannot_be_rendered_fails_and_the_rest_still_print(
    store: Store, sim: PrinterSim
) -> None:
    money = wire(store, sim.uri)
    visit = _pay_card(money, store, "DG-20261121-0030", "T4000")
    (job,) = money.queue.jobs(visit_id=visit)
    with store.atomic() as db:  # a stored payload that no longer fits the receipt's fields
        db["print_jobs"].update(job.id, {"payload": '{"order_no": "broken"}'})
    _pay_card(money, store, "DG-20261121-0031", "T4001")
    result = money.queue.run_once()
    assert result.failed == (job.id,) and len(result.printed) == 1
    failed = money.queue.job(job.id)
    assert failed.state == "failed" and failed.last_error == "receipt.render"
    assert len(sim.wait_for_jobs(1)) == 1
