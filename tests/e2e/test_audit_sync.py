"""Audit rows and the day close reach the hub through the outbox: the hub holds a copy of the
chain (real hub on loopback, the real sync service)."""

from __future__ import annotations

import itertools
import json
from datetime import date
from types import SimpleNamespace

import pytest

from data.store import Store
from hub import kiosks
from hub.app import create_app
from hub.db import HubDB
from kiosk.dayclose.close import DayCloseRules, close_day, parse_counted
from kiosk.staff import audit, overrides
from kiosk.staff.overrides import Reason
from kiosk.staff.roster import Roster, StaffDesk
from kiosk.sync.service import StatusReader, SyncService
from tests.support.procs import threaded_hub, wait_until
from tests.unit.dayclose_support import Ledger
from tests.unit.staff_support import FAST_POLICY

pytestmark = pytest.mark.e2e
DAY = date(2026, 11, 20)


def _sync_settings(url: str, cred: str) -> SimpleNamespace:
    return SimpleNamespace(
        url=url,
        credential=cred,
        timeout_s=2.0,
        batch_size=100,
        poll_interval_s=30.0,
        backoff_base_s=0.05,
        backoff_cap_s=0.2,
    )


def test_the_hub_holds_the_audit_chain_and_the_closed_day(tmp_path):
    path = tmp_path / "kiosk.db"
    with Store.open(path) as store:
        roster = Roster(store, FAST_POLICY)
        roster.add("1001", "王敏", "operator", "246810")
        roster.add("2001", "李强", "supervisor", "135790")
        roster.add("3001", "陈静", "clerk", "112233")
        session = StaffDesk(roster).sign_in("1001", "246810")
        led = Ledger(store)
        v, _ = led.visit(DAY, 9)
        led.pay(v, DAY, 9, "card", 60000)
        ov = overrides.request(
            store, session, "fee_waiver", visit_id=v, reason=Reason("goodwill"),
            before={"amount_fen": 60000}, after={"amount_fen": 30000},
        )  # fmt: skip
        overrides.approve(store, ov.id, roster.get("2001"))
        counted = parse_counted(
            {"methods": {"card": 60000, "wechat": 0, "alipay": 0, "transfer": 0},
             "keys_in_stock": 0}
        )  # fmt: skip
        close_day(store, DayCloseRules(), DAY, counted, roster.get("3001"))
        local = [e.row_hash for e in audit.entries(store.db)]

    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-01")
    with threaded_hub(create_app(hubdb)) as url:
        svc = SyncService(path, _sync_settings(url, cred))
        svc.start()
        try:
            svc.wake()
            status = StatusReader(path)
            wait_until(lambda: status.read().pending == 0, 15, "the outbox drained")
        finally:
            svc.stop()
    with hubdb.transaction() as tx:
        rows = tx.all("SELECT kind, payload FROM events WHERE kiosk = ? ORDER BY id", ["dg-01"])
    chain = [json.loads(p) for k, p in rows if k == "audit.appended"]
    assert sorted(c["row_hash"] for c in chain) == sorted(local)
    by_seq = sorted(chain, key=lambda c: c["seq"])
    assert all(b["prev_hash"] == a["row_hash"] for a, b in itertools.pairwise(by_seq))
    closed = [json.loads(p) for k, p in rows if k == "day.closed"]
    assert closed[0]["business_date"] == "2026-11-20"
    assert closed[0]["report"]["report"] == "Z"
