"""The Z-report printed on the receipt printer stand-in and decoded back matches the JSON report.

Needs the payments area's printer module, TCP stand-in and ESC/POS decoder
(``hardware.printer``, ``hardware.sim.printer``, ``hardware.sim.escpos_decode``); skipped until
they are on main.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from data.store import Store
from kiosk.dayclose import DayCloseRules, close_day, parse_counted
from kiosk.dayreport_render import yuan
from kiosk.staff import Roster
from tests.unit.dayclose_support import Ledger
from tests.unit.staff_support import FAST_POLICY

pytest.importorskip("hardware.printer")
decode_mod = pytest.importorskip("hardware.sim.escpos_decode")
sim_mod = pytest.importorskip("hardware.sim.printer")

pytestmark = pytest.mark.e2e
DAY = date(2026, 11, 20)


def test_z_report_on_paper_matches_the_json(tmp_path):
    from hardware.printer import EscposPrinter, PrinterModel
    from kiosk.dayclose_print import print_report

    with Store.open(":memory:") as store:
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
        z = close_day(
            store, DayCloseRules(), DAY, counted, roster.get("3001"), approver=roster.get("2001")
        )
    with sim_mod.PrinterSim(tmp_path / "printer") as sim:
        printer = EscposPrinter.from_uri(sim.uri, PrinterModel("TM-T88V", "gb18030"))
        assert print_report(None, z, printer) == "Z-report printed"
        (job,) = sim.wait_for_jobs(1)
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
