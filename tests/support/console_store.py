"""A kiosk store holding real visits, for the supervisor console's tests.

The visits run in-process through the flow engine in training mode (``kiosk.visits``: SoftHSM2
keys, the hub on loopback, the printer stand-in, the payment sandbox), exactly as ``kiosk visit
run --training`` runs them: one finished (new 机构 certificate with a seal, paid by card), one
failed at the payment step (no payment given), one open after its first step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data.store import Store
from kiosk.config import load_settings
from kiosk.shell.builder import build_visit_resources
from kiosk.staff.roster import Roster, StaffPolicy
from kiosk.visits import FlowError, VisitFlow
from tests.flows_helpers import inputs

SUPERVISOR = ("2001", "李强", "135790")
OPERATOR = ("1001", "王敏", "246810")


@dataclass(frozen=True)
class Visits:
    """The orders made, and what the console should show of them."""

    done: str
    done_fen: int
    failed: str
    failed_code: str
    open: str
    database: Path


def populate(base: Path) -> Visits:
    """Run the three visits into ``<base>/kiosk.db`` (``base`` = ``DataPaths.base``)."""
    res = build_visit_resources(load_settings(None), base, training=True, key_algorithm="ec-p256")
    try:
        done = VisitFlow.open(
            res, service="new", program="dongguan-hpf", kind="org", years=1, seal=True
        )
        done.run_all(inputs("org"))
        failed = VisitFlow.open(res, service="new", program="dongguan-hpf", kind="org", years=1)
        doc = inputs("org")
        del doc["payment"]
        code = ""
        try:
            failed.run_all(doc)
        except FlowError as e:
            code = e.code
        opened = VisitFlow.open(res, service="new", program="dongguan-hpf", kind="org", years=1)
        opened.run_step("identify", inputs("org"))
        st = done.state()
        assert st["state"] == "done", st
        assert failed.state()["state"] == "failed" and code == "visit.payment_missing", code
        return Visits(
            done=st["order"],
            done_fen=int(st["total_fen"]),
            failed=failed.state()["order"],
            failed_code=code,
            open=opened.state()["order"],
            database=base / "kiosk.db",
        )
    finally:
        res.close()


def add_staff(database: Path, policy: StaffPolicy | None = None) -> None:
    """A supervisor and an operator in the store's roster."""
    with Store.open(database) as store:
        roster = Roster(store, policy or StaffPolicy())
        roster.add(SUPERVISOR[0], SUPERVISOR[1], "supervisor", SUPERVISOR[2])
        roster.add(OPERATOR[0], OPERATOR[1], "operator", OPERATOR[2])
