"""The day close's QR figures come from the provider's bill, fetched over HTTP from the hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.store import utc_now
from hub import kiosks
from hub.app import create_app
from hub.db import HubDB
from hub.payments.sandbox import SandboxProvider
from kiosk.dayclose.bill import qr_from_bill
from kiosk.dayclose.close import DayCloseRules, close_day, parse_counted
from kiosk.domain import clock
from kiosk.payments.gateway import HubGateway
from kiosk.staff.roster import Roster
from kiosk.sync.client import HubClient, HubUnauthorized, HubUnavailable
from tests.money_helpers import ALIPAY_OK, WECHAT_OK, dg_new_quote, make_visit, open_store, wire
from tests.support.procs import free_port, threaded_hub
from tests.unit.staff_support import FAST_POLICY

pytestmark = pytest.mark.e2e
NOWHERE = "tcp://127.0.0.1:9"  # receipts are only queued here


def typed(wechat: int, alipay: int):
    return parse_counted(
        {
            "methods": {"card": 0, "wechat": wechat, "alipay": alipay, "transfer": 0},
            "keys_in_stock": 0,
            "note": "",
            "carry_over": {"visits": ["DG-20261121-0007"], "payments": []},
        }
    )


def test_bill_answers_each_kiosk_its_net_qr_totals_and_prefills_the_close(tmp_path: Path) -> None:
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    mine, other = kiosks.enrol(hubdb, "dg-01"), kiosks.enrol(hubdb, "dg-02")
    provider = SandboxProvider()
    today = clock.local_today(clock.from_storage(utc_now()), "Asia/Shanghai")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with threaded_hub(create_app(hubdb, provider=provider)) as url:
        store = open_store(tmp_path / "a")
        other_store = open_store(tmp_path / "b")
        try:
            money = wire(store, NOWHERE, gateway=HubGateway(url, credential=mine))
            p = money.payments.pay_code(
                make_visit(store), dg_new_quote(), scanned=WECHAT_OK, staff_no="S001"
            )
            assert p.state == "paid" and p.amount_fen == 120000
            money.payments.refund(
                p.id, 20000, reason="overcharged", requested_by="S001", approved_by="S002"
            )
            theirs = wire(other_store, NOWHERE, gateway=HubGateway(url, credential=other))
            theirs.payments.pay_code(
                make_visit(other_store, "DG-20261121-0101"),
                dg_new_quote(),
                scanned=ALIPAY_OK,
                staff_no="S009",
            )
            with HubClient(url, mine) as client:
                assert client.payment_bill(today) == {"wechat": 100000, "alipay": 0}
                figures = qr_from_bill(typed(90000, 0), lambda: client.payment_bill(today))
            with HubClient(url, other) as client:
                assert client.payment_bill(today) == {"wechat": 0, "alipay": 120000}
            with HubClient(url, "dg-01:wrong") as client, pytest.raises(HubUnauthorized):
                client.payment_bill(today)
            assert figures.from_bill
            assert figures.counted.methods["wechat"] == 100000
            assert figures.counted.qr_source == "provider_bill"
            assert any("typed 900.00" in n and "bill 1,000.00" in n for n in figures.notes)
            roster = Roster(store, FAST_POLICY)
            roster.add("3001", "陈静", "clerk", "112233")
            z = close_day(
                store,
                DayCloseRules(),
                today,
                figures.counted,
                roster.get("3001"),
            )
            qr = {d["item"]: d["difference"] for d in z["differences"] if d["item"] == "wechat"}
            assert qr == {"wechat": 0}
            assert z["counted"]["qr_source"] == "provider_bill"
        finally:
            store.close()
            other_store.close()


def test_offline_the_clerks_typed_qr_figures_stand_with_a_note() -> None:
    with HubClient(f"http://127.0.0.1:{free_port()}", "dg-01:x", timeout=2) as client:
        figures = qr_from_bill(
            typed(40000, 20000),
            lambda: client.payment_bill(clock.local_today(clock.from_storage(utc_now()))),
        )
    assert not figures.from_bill
    assert figures.counted.methods["wechat"] == 40000 and figures.counted.methods["alipay"] == 20000
    assert figures.counted.qr_source.startswith("clerk_typed: hub not reachable")
    (note,) = figures.notes
    assert "typed WeChat/Alipay figures are used" in note


def test_hub_without_a_provider_answers_503_and_the_client_says_unavailable(tmp_path: Path) -> None:
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-01")
    with threaded_hub(create_app(hubdb)) as url, HubClient(url, cred) as client:
        with pytest.raises(HubUnavailable) as e:
            client.payment_bill(clock.local_today(clock.from_storage(utc_now())))
        assert e.value.code == "sync.no_bill"
