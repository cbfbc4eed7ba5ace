"""The end-of-day close: X-report, counted figures, differences, the lock, adjustments."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from kiosk.dayclose import render as dayreport_render
from kiosk.dayclose.close import (
    DayCloseRules,
    add_adjustment,
    close_day,
    day_report,
    parse_counted,
    preview_close,
)
from kiosk.errors import DomainError, StaffError, UsageError
from kiosk.staff import audit
from kiosk.staff.roster import Roster
from tests.unit.dayclose_support import Ledger
from tests.unit.staff_support import FAST_POLICY, FakeClock

DAY = date(2026, 11, 20)
NEXT = date(2026, 11, 23)
RULES = DayCloseRules(difference_threshold_fen=0, key_difference_threshold=0)


@pytest.fixture
def roster(store):
    r = Roster(store, FAST_POLICY, clock=FakeClock())
    r.add("1001", "王敏", "operator", "246810")
    r.add("2001", "李强", "supervisor", "135790")
    r.add("3001", "陈静", "clerk", "112233")
    return r


@pytest.fixture
def day(store):
    """A day with every payment method, a refund, key movements, and noise on other days."""
    led = Ledger(store)
    led.keys(date(2026, 11, 19), 9, "received", 50)
    led.keys(date(2026, 11, 19), 10, "issued", 10)  # opening on DAY: 40
    v1, _ = led.visit(DAY, 9, "new", "dongguan-hpf")
    led.pay(v1, DAY, 9, "card", 120000)
    v2, _ = led.visit(DAY, 10, "renew", "gd-procurement")
    led.pay(v2, DAY, 10, "wechat", 40000)
    v3, _ = led.visit(DAY, 11, "replace", "gd-procurement")
    p3 = led.pay(v3, DAY, 11, "alipay", 20000)
    v4, _ = led.visit(DAY, 14, "new", "pingan-procurement")
    led.pay(v4, DAY, 14, "transfer", 100000)
    v5, _ = led.visit(DAY, 15, "unlock", "dongguan-hpf")
    led.pay(v5, DAY, 15, "card", 5000, state="cancelled")  # never counts
    led.refund(p3, DAY, 16, 20000)
    led.keys(DAY, 8, "received", 20)
    led.keys(DAY, 9, "issued", 1)
    led.keys(DAY, 14, "issued", 1)
    led.keys(DAY, 11, "spoiled", 1)
    # 23:30 local on DAY is the same UTC date as DAY+1 early morning: the local day decides.
    v6, _ = led.visit(DAY, 23, "new", "foshan-yzt")
    led.pay(v6, DAY, 23, "card", 20000)
    # The day before and after do not leak in.
    v7, _ = led.visit(date(2026, 11, 19), 10, "new")
    led.pay(v7, date(2026, 11, 19), 10, "card", 99900)
    v8, _ = led.visit(date(2026, 11, 21), 0, "new")
    led.pay(v8, date(2026, 11, 21), 0, "card", 77700)
    return led


def counted(**over):
    base = {
        "methods": {"card": 140000, "wechat": 40000, "alipay": 0, "transfer": 100000},
        "keys_in_stock": 57,
        "note": "",
    }
    base.update(over)
    return parse_counted(json.loads(json.dumps(base)))


def test_x_report_expected_totals(store, day):
    r = day_report(store, RULES, DAY)
    assert r["report"] == "X" and r["business_date"] == "2026-11-20"
    by = {m["method"]: m for m in r["methods"]}
    assert by["card"]["expected_fen"] == 140000 and by["card"]["payments"] == 2
    assert by["wechat"]["expected_fen"] == 40000
    assert (
        by["alipay"]["paid_fen"],
        by["alipay"]["refunded_fen"],
        by["alipay"]["expected_fen"],
    ) == (
        20000,
        20000,
        0,
    )
    assert by["transfer"]["expected_fen"] == 100000
    assert r["totals"] == {
        "paid_fen": 300000,
        "refunded_fen": 20000,
        "adjusted_fen": 0,
        "expected_fen": 280000,
    }
    assert r["visits"]["total"] == 6
    # per service and per program add up to the same net total
    assert sum(s["net_fen"] for s in r["by_service"]) == 280000
    assert sum(p["net_fen"] for p in r["by_program"]) == 280000
    svc = {s["service"]: s for s in r["by_service"]}
    assert svc["new"]["visits"] == 3 and svc["new"]["net_fen"] == 240000
    assert svc["replace"]["net_fen"] == 0
    assert r["keys"] == {
        "opening": 40,
        "received": 20,
        "issued": 2,
        "spoiled": 1,
        "adjusted": 0,
        "expected_closing": 57,
    }
    assert r["missing_sources"] == [] or set(r["missing_sources"]) <= {
        "payments",
        "refunds",
        "key_stock",
    }


def test_matching_count_closes_and_locks_the_day(store, roster, day):
    z = close_day(store, RULES, DAY, counted(), roster.get("3001"))
    assert z["report"] == "Z" and z["approver"] is None
    assert all(d["difference"] == 0 for d in z["differences"])
    # the closed day's report is the stored Z, not a recomputation
    assert day_report(store, RULES, DAY) == z
    last = audit.entries(store.db)[-1]
    assert (last.action, last.staff_no) == ("day.close", "3001")
    with pytest.raises(DomainError) as e:
        close_day(store, RULES, DAY, counted(), roster.get("3001"))
    assert e.value.code == "day.already_closed"
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError, match="closed day"):
        store.db.execute("UPDATE day_closes SET note = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="reopened"):
        store.db.execute("DELETE FROM day_closes")


def test_difference_needs_a_note_and_a_supervisor(store, roster, day):
    short = {"card": 139000, "wechat": 40000, "alipay": 0, "transfer": 100000}
    with pytest.raises(DomainError) as e:
        close_day(store, RULES, DAY, counted(methods=short), roster.get("3001"))
    assert e.value.code == "day.note_required" and "card -1000" in e.value.message
    noted = counted(methods=short, note="10 yuan short: card slip missing")
    with pytest.raises(StaffError) as e:
        close_day(store, RULES, DAY, noted, roster.get("3001"))
    assert e.value.code == "day.approval_required"
    with pytest.raises(StaffError) as e:
        close_day(store, RULES, DAY, noted, roster.get("3001"), approver=roster.get("1001"))
    assert e.value.code == "staff.forbidden"
    assert audit.entries(store.db)[-1].outcome == "refused"
    z = close_day(store, RULES, DAY, noted, roster.get("3001"), approver=roster.get("2001"))
    assert z["approver"] == "2001" and z["note"].startswith("10 yuan")
    diff = {d["item"]: d for d in z["differences"]}
    assert diff["card"]["difference"] == -1000 and diff["card"]["over_threshold"]
    assert audit.entries(store.db)[-1].approver_no == "2001"


def test_supervisor_closing_cannot_approve_their_own_difference(store, roster, day):
    noted = counted(keys_in_stock=56, note="one key missing")
    with pytest.raises(StaffError) as e:
        close_day(store, RULES, DAY, noted, roster.get("2001"), approver=roster.get("2001"))
    assert e.value.code == "day.self_approval"


def test_difference_within_threshold_needs_nothing(store, roster, day):
    rules = DayCloseRules(difference_threshold_fen=100)
    m = {"card": 139950, "wechat": 40000, "alipay": 0, "transfer": 100000}
    z = close_day(store, rules, DAY, counted(methods=m), roster.get("3001"))
    assert z["approver"] is None


def test_operator_cannot_close(store, roster, day):
    with pytest.raises(StaffError) as e:
        close_day(store, RULES, DAY, counted(), roster.get("1001"))
    assert e.value.code == "staff.forbidden"


def test_in_flight_work_blocks_unless_carried_over(store, roster, day):
    vid, order = day.visit(DAY, 16, "new", state="open")
    pid = day.pay(vid, DAY, 16, "wechat", 20000, state="pending")
    with pytest.raises(DomainError) as e:
        close_day(store, RULES, DAY, counted(), roster.get("3001"))
    assert e.value.code == "day.in_flight"
    assert order in e.value.message and f"payment {pid}" in e.value.message
    with pytest.raises(DomainError):
        close_day(store, RULES, DAY, counted(carry_over={"visits": [order]}), roster.get("3001"))
    with pytest.raises(UsageError) as e:
        counted_bad = counted(carry_over={"visits": [order, "DG-X"], "payments": [pid]})
        close_day(store, RULES, DAY, counted_bad, roster.get("3001"))
    assert e.value.code == "day.bad_carry_over"
    z = close_day(
        store,
        RULES,
        DAY,
        counted(carry_over={"visits": [order], "payments": [pid]}),
        roster.get("3001"),
    )
    assert z["counted"]["carry_over"] == {"visits": [order], "payments": [pid]}


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"methods": {"card": -1, "wechat": 0, "alipay": 0, "transfer": 0}}, "methods.card"),
        ({"methods": {"card": 10.5, "wechat": 0, "alipay": 0, "transfer": 0}}, "integer of fen"),
        ({"methods": {"card": 100.0, "wechat": 0, "alipay": 0, "transfer": 0}}, "integer of fen"),
        ({"methods": {"card": "100", "wechat": 0, "alipay": 0, "transfer": 0}}, "integer of fen"),
        ({"methods": {"card": True, "wechat": 0, "alipay": 0, "transfer": 0}}, "integer of fen"),
        ({"methods": {"card": 0, "wechat": 0, "alipay": 0}}, "missing transfer"),
        ({"methods": {"card": 0, "wechat": 0, "alipay": 0, "transfer": 0, "cash": 5}}, "cash"),
        (
            {"methods": {"card": 0, "wechat": 0, "alipay": 0, "transfer": 0}, "keys_in_stock": -2},
            "keys_in_stock",
        ),
        ({"methods": {}, "tips": 1}, "unknown keys"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_counted_figures_are_named(raw, words):
    with pytest.raises(UsageError) as e:
        parse_counted(raw)
    assert e.value.code == "day.bad_counted" and words in e.value.message


def test_future_day_cannot_close(store, roster):
    with pytest.raises(DomainError) as e:
        preview_close(store, RULES, date(2999, 1, 1), counted())
    assert e.value.code == "day.future"


def test_correction_after_close_is_an_adjusting_entry_on_a_later_day(store, roster, day):
    close_day(store, RULES, DAY, counted(), roster.get("3001"))
    with pytest.raises(DomainError):
        add_adjustment(
            store,
            roster.get("3001"),
            refers_to=DAY,
            method="card",
            amount_fen=-500,
            reason="duplicate slip",
            on=DAY,
        )
    add_adjustment(
        store,
        roster.get("3001"),
        refers_to=DAY,
        method="card",
        amount_fen=-500,
        reason="duplicate slip",
        on=NEXT,
    )
    r = day_report(store, RULES, NEXT)
    card = next(m for m in r["methods"] if m["method"] == "card")
    assert card["adjusted_fen"] == -500 and card["expected_fen"] == -500
    assert r["adjustments"][0]["refers_to"] == "2026-11-20"
    assert day_report(store, RULES, DAY)["totals"]["expected_fen"] == 280000  # untouched


def test_csv_and_table_carry_the_same_figures(store, roster, day):
    z = close_day(store, RULES, DAY, counted(), roster.get("3001"))
    rows = list(csv.DictReader(io.StringIO(dayreport_render.to_csv(z))))
    fig = {(r["section"], r["item"]): r["figure"] for r in rows}
    assert fig[("method", "card")] == "140000"
    assert fig[("totals", "expected_fen")] == "280000"
    assert fig[("keys", "expected_closing")] == "57"
    assert "280000" in dayreport_render.to_table(z)


def test_pdf_embeds_a_cjk_font(store, roster, day, tmp_path):
    from pathlib import Path

    font = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    if not font.exists():
        pytest.skip("fonts-wqy-zenhei not installed (make test installs it)")
    z = close_day(store, RULES, DAY, counted(), roster.get("3001"))
    out = dayreport_render.write_files(z, tmp_path, font)
    data = out["pdf"].read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"FontFile2" in data  # the TrueType font is embedded (subset)
    assert json.loads(out["json"].read_text()) == z


def test_key_movements_recorded_by_staff_feed_the_stock(store, roster):
    from kiosk.dayclose.close import local_today, record_key_movement

    record_key_movement(store, roster.get("3001"), "received", 30, reference="DN-0042")
    record_key_movement(store, roster.get("1001"), "spoiled", 1, note="cracked casing")
    r = day_report(store, RULES, local_today(RULES.timezone))
    assert (r["keys"]["received"], r["keys"]["spoiled"], r["keys"]["expected_closing"]) == (
        30,
        1,
        29,
    )
    assert [e.action for e in audit.entries(store.db)[-2:]] == [
        "keys.stock_received",
        "keys.stock_spoiled",
    ]
    for movement, qty, code in (
        ("stolen", 1, "day.bad_movement"),
        ("received", 0, "day.bad_quantity"),
    ):
        with pytest.raises(UsageError) as e:
            record_key_movement(store, roster.get("3001"), movement, qty)
        assert e.value.code == code
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError, match="never edited"):
        store.db.execute("UPDATE key_stock SET quantity = 3")


def test_training_visits_are_reported_apart(store, roster):
    led = Ledger(store)
    v, _ = led.visit(DAY, 9, training=1)
    led.pay(v, DAY, 9, "card", 50000)
    real = day_report(store, RULES, DAY)
    practice = day_report(store, RULES, DAY, training=True)
    assert real["totals"]["expected_fen"] == 0 and real["visits"]["total"] == 0
    assert practice["totals"]["expected_fen"] == 50000 and practice["training"] is True
