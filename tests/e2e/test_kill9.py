"""kill -9 between "paid" and "printed": a paid payment, a queued receipt, never a second charge."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.sim.escpos_decode import decode
from hardware.sim.printer import PrinterSim
from hub.payments.sandbox import SandboxProvider
from kiosk.payments.gateway import HubGateway
from tests.e2e.test_money_e2e import LoopbackHub
from tests.money_helpers import WECHAT_OK, dg_new_quote, make_visit, open_store, wire

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def _read_line(proc: subprocess.Popen[str], prefix: str) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:  # blocks until the child says it (or dies: then EOF)
        if line.startswith(prefix):
            return line.strip()
    raise AssertionError(
        f"child ended before {prefix!r}: {proc.stderr.read() if proc.stderr else ''}"
    )


def test_kill_9_after_paid_before_printed(tmp_path: Path) -> None:
    key = "DG-20261121-0007:pay:1"
    with (
        LoopbackHub(SandboxProvider()) as hub,
        PrinterSim(tmp_path / "printer", state="paper-out") as sim,
    ):
        store = open_store(tmp_path)
        visit = make_visit(store)
        store.close()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.e2e.crash_child",
                str(tmp_path),
                hub.url,
                sim.uri,
                str(visit),
                key,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert _read_line(proc, "PAID").endswith("paid")
            assert _read_line(proc, "WAITING") == "WAITING paper_out"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL

        # The kiosk comes back.
        store = open_store(tmp_path)
        money = wire(store, sim.uri, gateway=HubGateway(hub.url))
        (payment,) = money.payments.payments(visit)
        assert payment.state == "paid"
        (job,) = money.queue.jobs(visit_id=visit)
        assert job.state == "queued" and job.last_error == "printer.paper_out"
        assert money.payments.resume_pending() == []

        # The visit flow repeats its pay step with the same key: the same payment, no new charge.
        again = money.payments.pay_code(
            visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001", idempotency_key=key
        )
        assert again.id == payment.id
        assert [op for op, _ in hub.provider.calls].count("micropay") == 1
        assert hub.provider.query(payment.out_trade_no).amount_fen == 120000  # type: ignore[arg-type]

        # Paper back: the receipt prints exactly once.
        sim.set_state("ready")
        money.queue.recover()
        assert money.queue.run_once().printed == (job.id,)
        assert money.queue.run_once().printed == ()
        (printed,) = sim.wait_for_jobs(1)
        assert decode(printed).find(payment.order_no)
        store.close()
