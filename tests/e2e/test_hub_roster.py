"""The hub's staff roster reaches the local roster through the sync worker; sign-in then works
offline."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from data.store import Store
from hub import configdocs, kiosks
from hub.app import create_app
from hub.db import HubDB
from kiosk.errors import StaffError
from kiosk.staff.roster import Roster
from kiosk.sync.client import HubClient
from kiosk.sync.worker import SyncWorker
from tests.support.faultproxy import FaultProxy
from tests.support.procs import threaded_hub
from tests.unit.staff_support import FAST_POLICY

pytestmark = pytest.mark.e2e

HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash


def entry(no: str, name: str, role: str, pin: str) -> dict:
    return {"staff_no": no, "name": name, "role": role, "pin_hash": HASH(pin)}


def test_worker_caches_the_hub_roster_for_offline_sign_in(tmp_path):
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-01")
    configdocs.put(
        hubdb,
        "staff_roster",
        {
            "staff": [
                entry("5001", "孙七", "supervisor", "778899"),
                entry("5002", "周八", "clerk", "112244"),
            ]
        },
    )
    with Store.open(tmp_path / "kiosk.db") as store, threaded_hub(create_app(hubdb)) as url:
        proxy = FaultProxy(int(url.rsplit(":", 1)[1]))
        try:
            worker = SyncWorker(store.db, HubClient(proxy.url, cred), config_every=1)
            result = worker.drain_once()
            assert result.ok and result.config_updated and result.roster_imported == 2
            roster = Roster(store, FAST_POLICY)
            assert roster.authenticate("5001", "778899").role.value == "supervisor"
            # 5002 leaves: the next roster no longer lists them, so they are disabled locally.
            configdocs.put(hubdb, "staff_roster", [entry("5001", "孙七", "supervisor", "778899")])
            assert worker.drain_once().roster_imported == 1
            with pytest.raises(StaffError) as e:
                roster.authenticate("5002", "112244")
            assert e.value.code == "staff.disabled"
            # A roster the kiosk refuses is reported; the local copy stays and sync goes on.
            configdocs.put(
                hubdb,
                "staff_roster",
                [{"staff_no": "5003", "name": "x", "role": "king", "pin_hash": HASH("1")}],
            )
            bad = worker.drain_once()
            assert bad.ok and bad.roster_error and "king" in bad.roster_error
            # Offline: the cached roster still signs people in.
            proxy.mode = "refuse"
            proxy.cut_all()
            assert not worker.drain_once().ok
            assert roster.authenticate("5001", "778899").staff_no == "5001"
        finally:
            proxy.close()
