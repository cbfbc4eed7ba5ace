"""The Z-report goes through the persisted print queue to the receipt printer stand-in.

Decoded back from the stand-in's capture it matches the JSON report; with the stand-in out of
paper it waits in the queue and prints exactly once when paper is back.
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pytest

from data.store import Store
from hardware.printer import EscposPrinter, PrinterModel
from hardware.sim import escpos_decode as decode_mod
from hardware.sim import printer as sim_mod
from kiosk.dayclose.close import DayCloseRules, close_day, parse_counted
from kiosk.dayclose.printing import print_report
from kiosk.dayclose.render import yuan
from kiosk.receipts.queue import PrintQueue, PrintWorker
from kiosk.staff.roster import Roster
from tests.unit.dayclose_support import Ledger
from tests.unit.staff_support import FAST_POLICY

pytestmark = pytest.mark.e2e
DAY = date(2026, 11, 20)


def _closed_day(store: Store) -> dict:
    """Close DAY with a card difference approved by a supervisor; the Z-report."""
    roster = Roster(store, FAST_POLICY)
    roster.add("3001", "陈静", "clerk", "112233")
    roster.add("2001", "李强", "supervisor", "135790")
    led = Ledger(store)
    led.keys(DAY, 8, "received", 20)
    for hh, method, fen in (
        (9, "card", 120000),
        (10, "wechat", 40000),
        (11, "alipay", 20000),
        (14, "transfer", 100000),
    ):
        v, _ = led.visit(DAY, hh)
        p = led.pay(v, DAY, hh, method, fen)
    led.refund(p, DAY, 15, 20000)
    counted = parse_counted(
        {
            "methods": {"card": 119000, "wechat": 40000, "alipay": 20000, "transfer": 80000},
            "keys_in_stock": 20,
            "note": "card slip missing",
        }
    )
    return close_day(
        store, DayCloseRules(), DAY, counted, roster.get("3001"), approver=roster.get("2001")
    )


def _wait(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)


def test_z_report_on_paper_matches_the_json(tmp_path: Path) -> None:
    with (
        Store.open(tmp_path / "kiosk.db") as store,
        sim_mod.PrinterSim(tmp_path / "printer") as sim,
    ):
        z = _closed_day(store)
        printer = EscposPrinter.from_uri(sim.uri, PrinterModel("TM-T88V", "gb18030"))
        assert print_report(z, store, printer, requested_by="3001") == "Z-report printed"
        (job,) = sim.wait_for_jobs(1)
        (row,) = PrintQueue(store, printer).jobs()
        assert (row.kind, row.state, row.attempts) == ("z_report", "printed", 1)
    paper = decode_mod.decode(job)
    lines = paper.lines
    assert lines[0].strip() == "日结报表 Z-REPORT"
    assert f"日期 DATE {z['business_date']}" in lines
    by_method = {}
    for line in lines:
        m = re.match(r"^\S+ (CARD|WECHAT|ALIPAY|TRANSFER) ￥([\d,]+\.\d\d)$", line)
        if m:
            by_method[m.group(1).lower()] = m.group(2)
    assert by_method == {m["method"]: yuan(m["expected_fen"]) for m in z["methods"]}
    assert f"合计 TOTAL ￥{yuan(z['totals']['expected_fen'])}" in lines
    k = z["keys"]
    assert (
        f"介质 KEYS {k['opening']}+{k['received']}-{k['issued']}-{k['spoiled']}"
        f"={k['expected_closing']}" in lines
    )
    assert "差异 DIFF CARD ￥-10.00" in lines
    assert "复查员 APPROVER 2001" in lines
    assert len(paper.cuts) == 1


def test_z_report_waits_for_paper_in_the_queue_and_prints_exactly_once(tmp_path: Path) -> None:
    with (
        Store.open(tmp_path / "kiosk.db") as store,
        sim_mod.PrinterSim(tmp_path / "printer", state="paper-out") as sim,
    ):
        z = _closed_day(store)
        printer = EscposPrinter.from_uri(sim.uri, PrinterModel("TM-T88V", "gb18030"))
        said = print_report(z, store, printer, requested_by="3001")
        assert said.startswith("Z-report queued as print job #")
        assert "out of paper" in said and "prints once when the printer is back" in said
        queue = PrintQueue(store, printer)
        (job,) = queue.jobs()
        assert (job.kind, job.state, job.last_error) == ("z_report", "queued", "printer.paper_out")
        assert sim.jobs() == []
        worker = PrintWorker(queue, retry_s=0.05, idle_s=0.05).start()
        try:
            _wait(lambda: queue.job(job.id).attempts >= 2)  # the worker retried, still no paper
            assert sim.jobs() == [] and queue.job(job.id).state in ("queued", "printing")
            sim.set_state("ready")
            (paper,) = sim.wait_for_jobs(1)
            _wait(lambda: queue.depth() == 0)
        finally:
            worker.stop()
        assert len(sim.jobs()) == 1  # exactly once, no copy after the queue emptied
        assert queue.job(job.id).state == "printed"
    lines = decode_mod.decode(paper).lines
    assert lines[0].strip() == "日结报表 Z-REPORT"
    assert f"合计 TOTAL ￥{yuan(z['totals']['expected_fen'])}" in lines
