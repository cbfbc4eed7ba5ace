"""Training mode's own hub: started on loopback, the kiosk enrolled once, events synced."""

from __future__ import annotations

import stat
from datetime import date
from types import SimpleNamespace

import pytest

from data import outbox
from data.store import Store
from hub.db import HubDB
from hub.events import counts_by_kiosk
from kiosk.shell.training_hub import TRAINING_KIOSK, LocalHub
from kiosk.sync.service import StatusReader, SyncService
from tests.support.procs import wait_until

pytestmark = pytest.mark.e2e


def test_training_hub_receives_the_training_kiosks_events(tmp_path):
    hub = LocalHub(tmp_path / "training" / "hub")
    url, cred = hub.start()
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v1")
        cred_file = tmp_path / "training" / "hub" / "credential"
        assert stat.S_IMODE(cred_file.stat().st_mode) == 0o600
        assert hub.credential() == cred  # kept, not re-enrolled
        db = Store.open(tmp_path / "training" / "kiosk.db").db
        for i in range(20):
            outbox.enqueue(db, kind="visit.opened", payload={"i": i})
        settings = SimpleNamespace(
            url=url,
            credential=cred,
            timeout_s=2.0,
            batch_size=500,
            poll_interval_s=0.05,
            backoff_base_s=0.05,
            backoff_cap_s=0.2,
        )
        svc = SyncService(tmp_path / "training" / "kiosk.db", settings)
        svc.start()
        try:
            reader = StatusReader(tmp_path / "training" / "kiosk.db")
            wait_until(lambda: reader.read().pending == 0, 20, "the training drain")
        finally:
            svc.stop()
    finally:
        hub.stop()
    assert counts_by_kiosk(HubDB(hub.db_url)) == {TRAINING_KIOSK: 20}


def test_training_hub_serves_the_payment_sandbox_and_its_bill(tmp_path):
    """`kiosk hub serve --payments sandbox` (what training starts) answers the provider's bill."""
    from kiosk.sync.client import HubClient

    hub = LocalHub(tmp_path / "training" / "hub")
    url, cred = hub.start()
    try:
        bill = HubClient(url, cred, timeout=5.0).payment_bill(date(2026, 11, 23))
    finally:
        hub.stop()
    assert bill == {"wechat": 0, "alipay": 0}
