"""Configuration handed out by the hub reaches the kiosk and stays there while offline."""

from __future__ import annotations

import pytest

from data.store import Store
from hub import configdocs, kiosks
from hub.app import create_app
from hub.db import HubDB
from kiosk.sync import hubconfig
from kiosk.sync.client import HubClient
from kiosk.sync.worker import SyncWorker
from tests.support.faultproxy import FaultProxy
from tests.support.procs import threaded_hub

pytestmark = pytest.mark.e2e

ROSTER = {"staff": [{"no": "0007", "role": "operator", "pin_hash": "$argon2id$v=19$..."}]}


def test_config_documents_reach_the_kiosk_and_survive_an_outage(tmp_path):
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-01")
    configdocs.put(hubdb, "fee_tables", {"dg_gjj": {"new_per_year_fen": 20000}})
    configdocs.put(hubdb, "staff_roster", ROSTER)
    db = Store.open(tmp_path / "kiosk.db").db
    with threaded_hub(create_app(hubdb)) as url:
        proxy = FaultProxy(int(url.rsplit(":", 1)[1]))
        try:
            worker = SyncWorker(db, HubClient(proxy.url, cred), config_every=1)
            assert worker.drain_once().config_updated
            assert hubconfig.document(db, "staff_roster") == ROSTER
            assert not worker.drain_once().config_updated  # 304: nothing new
            configdocs.put(hubdb, "fee_tables", {"dg_gjj": {"new_per_year_fen": 25000}})
            assert worker.drain_once().config_updated
            proxy.mode = "refuse"  # offline: the last copy stays in force
            proxy.cut_all()
            assert not worker.drain_once().ok
            assert hubconfig.document(db, "fee_tables") == {"dg_gjj": {"new_per_year_fen": 25000}}
            assert hubconfig.document(db, "blocklists") is None
        finally:
            proxy.close()
