"""The app's sync service: drains in the background, wakes on demand, reports its errors."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from data import outbox
from data.store import Store
from hub import kiosks
from hub.app import create_app
from hub.db import HubDB
from hub.events import counts_by_kiosk
from kiosk.sync.service import StatusReader, SyncService
from kiosk.sync.worker import SyncLock, SyncLocked
from tests.support.procs import threaded_hub, wait_until

pytestmark = pytest.mark.e2e


def settings(url, cred):
    return SimpleNamespace(
        url=url,
        credential=cred,
        timeout_s=2.0,
        batch_size=100,
        poll_interval_s=30.0,
        backoff_base_s=0.05,
        backoff_cap_s=0.2,
    )


def test_service_drains_when_woken_and_the_status_bar_sees_it(tmp_path):
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-01")
    db = Store.open(tmp_path / "kiosk.db").db
    results = []
    with threaded_hub(create_app(hubdb)) as url:
        svc = SyncService(tmp_path / "kiosk.db", settings(url, cred), on_result=results.append)
        svc.start()
        try:
            wait_until(lambda: results, 10, "the first pass")
            with db.atomic():
                for i in range(250):
                    outbox.enqueue(db, kind="payment.recorded", payload={"i": i})
            svc.wake()  # the poll interval is 30 s: only the wake can drain this in time
            status = StatusReader(tmp_path / "kiosk.db")
            wait_until(lambda: status.read().pending == 0, 10, "the woken drain")
            st = status.read()
            assert st.online is True and st.last_success is not None
        finally:
            svc.stop()
        assert not svc.running
    assert counts_by_kiosk(hubdb) == {"dg-01": 250}


def test_service_reports_when_another_process_holds_the_queue(tmp_path):
    errors = []
    got = threading.Event()

    def on_error(e):
        errors.append(e)
        got.set()

    with SyncLock(tmp_path / "kiosk.db"):
        svc = SyncService(
            tmp_path / "kiosk.db", settings("http://127.0.0.1:9", "x:y"), on_error=on_error
        )
        svc.start()
        assert got.wait(10)
        svc.stop()
    assert isinstance(errors[0], SyncLocked)
