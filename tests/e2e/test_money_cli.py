"""``kiosk pay status``, ``kiosk receipt show`` and ``kiosk receipt reprint`` through the CLI's
entry point (in-process, for speed; the printer tests run the CLI as real processes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.money_helpers import dg_new_quote, make_visit, open_store, wire

pytestmark = pytest.mark.e2e
ORDER = "DG-20261121-0007"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def kiosk(capsys: pytest.CaptureFixture[str]):
    from kiosk.shell.cli import main

    def run(data_dir: Path, *args: str) -> Result:
        capsys.readouterr()
        code = main(["--data-dir", str(data_dir), *args])
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


@pytest.fixture
def paid(data_dir: Path) -> Path:
    store = open_store(data_dir)  # the CLI's database: <data-dir>/kiosk.db
    money = wire(store, "tcp://127.0.0.1:9")
    visit = make_visit(store, ORDER)
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="TRM-0001", amount_fen=120000, staff_no="S001"
    )
    money.payments.refund(
        p.id,
        20000,
        reason="seal not needed",
        requested_by="S001",
        approved_by="SUP1",
        reference="RF-0001",
    )
    store.close()
    return data_dir


def test_pay_status_json(paid: Path, kiosk) -> None:
    r = kiosk(paid, "pay", "status", ORDER, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["order_no"] == ORDER and data["paid_fen"] == 100000
    (p,) = data["payments"]
    assert (p["method"], p["state"], p["reference"]) == ("card", "partially_refunded", "TRM-0001")
    assert [t["to"] for t in p["transitions"]] == ["pending", "paid", "partially_refunded"]
    assert p["refunds"][0]["amount_fen"] == 20000
    assert data["receipts"][0]["state"] == "queued"


def test_unknown_order_is_one_line_exit_1(paid: Path, kiosk) -> None:
    r = kiosk(paid, "pay", "status", "DG-20991231-9999", "--json")
    assert r.returncode == 1
    assert r.stderr.strip() == "error: no visit with order number DG-20991231-9999"


def test_receipt_show_and_reprint(paid: Path, kiosk) -> None:
    r = kiosk(paid, "receipt", "show", ORDER)
    assert r.returncode == 0, r.stderr
    assert f"订单号 Order              {ORDER}" in r.stdout
    assert "￥1,200.00" in r.stdout and "重打" not in r.stdout
    again = kiosk(paid, "receipt", "show", ORDER, "--reprint")
    assert "** 重打 REPRINT **" in again.stdout
    queued = kiosk(paid, "receipt", "reprint", ORDER, "--staff", "S002")
    assert queued.returncode == 0 and "queued reprint job" in queued.stdout
    listing = kiosk(paid, "print", "queue")
    assert "receipt reprint" in listing.stdout and "2 job(s)" in listing.stdout
