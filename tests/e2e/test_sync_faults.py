"""Faults between a kiosk and the hub lose and double nothing: real processes on loopback.

Each test ends by counting: every event the kiosk queued is stored on the hub exactly once.
"""

from __future__ import annotations

import threading
import time

import pytest

from data import outbox
from data.store import Store
from hub.db import HubDB
from kiosk.domain import clock
from kiosk.domain.clock import SettableClock
from kiosk.sync.client import HubClient, HubUnauthorized
from kiosk.sync.status import read_status
from kiosk.sync.worker import SyncLocked, SyncWorker
from tests.support.faultproxy import FaultProxy
from tests.support.procs import SyncProcess, env, kiosk_cli, wait_until

pytestmark = pytest.mark.e2e


def fill(db, n, kind="payment.recorded"):
    with db.atomic():
        return [
            outbox.enqueue(db, kind=kind, visit_id=f"V{i % 50}", payload={"i": i}) for i in range(n)
        ]


def hub_ids(hub, kiosk):
    db = HubDB(hub.db_url)
    try:
        with db.transaction() as tx:
            return [r[0] for r in tx.all("SELECT event_id FROM events WHERE kiosk = ?", (kiosk,))]
    finally:
        db.close()


def assert_stored_exactly_once(hub, kiosk, ids):
    stored = hub_ids(hub, kiosk)
    assert len(stored) == len(set(stored))  # the unique constraint holds
    assert sorted(stored) == sorted(ids)


@pytest.fixture
def kiosk_db(tmp_path):
    return Store.open(tmp_path / "kiosk.db").db


def test_lost_answers_are_resent_and_stored_once(shared_hub, kiosk_db, kiosk_name):
    hub = shared_hub
    cred = hub.enrol(kiosk_name)
    ids = fill(kiosk_db, 1200)
    proxy = FaultProxy(hub.port, mode="lose_answer")
    try:
        worker = SyncWorker(kiosk_db, HubClient(proxy.url, cred, timeout=2))
        first = worker.drain_once()
        assert not first.ok and first.sent == 0
        assert len(hub_ids(hub, kiosk_name)) == 500  # the hub committed the first batch
        assert read_status(kiosk_db).pending == 1200  # but the kiosk never heard it
        proxy.mode = "pass"
        second = worker.drain_once()
        assert second.ok and second.sent == 1200 and second.duplicates == 500
    finally:
        proxy.close()
    assert read_status(kiosk_db).pending == 0
    assert_stored_exactly_once(hub, kiosk_name, ids)


@pytest.mark.parametrize("mode", ["html", "garbage", "refuse"])
def test_error_pages_and_garbage_change_nothing_then_drain(shared_hub, kiosk_db, mode, kiosk_name):
    hub = shared_hub
    cred = hub.enrol(kiosk_name)
    ids = fill(kiosk_db, 300)
    proxy = FaultProxy(hub.port, mode=mode)
    try:
        worker = SyncWorker(kiosk_db, HubClient(proxy.url, cred, timeout=2))
        res = worker.drain_once()
        assert not res.ok and res.sent == 0
        st = read_status(kiosk_db)
        assert st.online is False and st.pending == 300 and st.last_error
        assert hub_ids(hub, kiosk_name) == []
        proxy.mode = "pass"
        assert worker.drain_once().sent == 300
    finally:
        proxy.close()
    assert_stored_exactly_once(hub, kiosk_name, ids)


def test_slow_hub_times_out_and_status_stays_instant(shared_hub, tmp_path, kiosk_db, kiosk_name):
    hub = shared_hub
    cred = hub.enrol(kiosk_name)
    ids = fill(kiosk_db, 50)
    proxy = FaultProxy(hub.port, mode="slow")
    proxy.slow_seconds = 5
    try:
        client = HubClient(proxy.url, cred, timeout=0.5)
        done = threading.Event()
        outcome = {}

        def drain():
            # The worker thread has its own connection, as the app's sync worker does.
            worker = SyncWorker(Store.open(tmp_path / "kiosk.db").db, client)
            outcome["res"] = worker.drain_once()
            done.set()

        t0 = time.monotonic()
        threading.Thread(target=drain, daemon=True).start()
        # While the worker waits on the slow hub, the screen's status read answers at once.
        screen_db = Store.open(tmp_path / "kiosk.db").db
        t1 = time.monotonic()
        assert read_status(screen_db).pending == 50
        assert time.monotonic() - t1 < 0.2
        assert done.wait(4), "the drain did not give up on a slow hub"
        assert time.monotonic() - t0 < 4
        assert not outcome["res"].ok and "in time" in outcome["res"].error
        proxy.mode = "pass"
        assert SyncWorker(kiosk_db, client).drain_once().sent == 50
    finally:
        proxy.close()
    assert_stored_exactly_once(hub, kiosk_name, ids)


def test_hub_killed_mid_batch_and_restarted(hub, tmp_path, kiosk_db, kiosk_name):
    hub.start()
    cred = hub.enrol(kiosk_name)
    ids = fill(kiosk_db, 3000)
    sync = SyncProcess(tmp_path / "kiosk.db", hub.url, cred, "--batch-size", "200").start()
    try:
        wait_until(lambda: len(hub_ids(hub, kiosk_name)) > 0, 15, "the first batches to arrive")
        hub.kill()
        stored_at_kill = len(hub_ids(hub, kiosk_name))
        assert stored_at_kill < 3000
        wait_until(lambda: read_status(kiosk_db).online is False, 10, "the kiosk to notice")
        hub.start()
        wait_until(lambda: read_status(kiosk_db).pending == 0, 40, "the queue to drain")
    finally:
        sync.stop()
    assert_stored_exactly_once(hub, kiosk_name, ids)


def test_kiosk_killed_mid_send_and_restarted(shared_hub, tmp_path, kiosk_db, kiosk_name):
    hub = shared_hub
    cred = hub.enrol(kiosk_name)
    ids = fill(kiosk_db, 2500)
    for _ in range(2):
        sync = SyncProcess(tmp_path / "kiosk.db", hub.url, cred, "--batch-size", "100").start()
        before = read_status(kiosk_db).pending
        wait_until(lambda b=before: read_status(kiosk_db).pending < b, 15, "progress")
        sync.kill()
    assert read_status(kiosk_db).pending > 0
    sync = SyncProcess(tmp_path / "kiosk.db", hub.url, cred).start()
    try:
        wait_until(lambda: read_status(kiosk_db).pending == 0, 40, "the queue to drain")
    finally:
        sync.stop()
    assert_stored_exactly_once(hub, kiosk_name, ids)


def test_network_flapping_every_half_second_through_a_10k_drain(
    shared_hub, tmp_path, kiosk_db, kiosk_name
):
    hub = shared_hub
    cred = hub.enrol(kiosk_name)
    ids = fill(kiosk_db, 10_000)
    proxy = FaultProxy(hub.port, mode="flap")
    proxy.flap_period = 0.5
    sync = SyncProcess(
        tmp_path / "kiosk.db", proxy.url, cred, "--batch-size", "250", "--backoff-cap", "0.2"
    ).start()
    try:
        wait_until(lambda: read_status(kiosk_db).pending == 0, 60, "the drain through flapping")
    finally:
        sync.stop()
        proxy.close()
    assert proxy.stats["connections"] > 1
    assert_stored_exactly_once(hub, kiosk_name, ids)


def test_clock_skew_between_kiosk_and_hub(shared_hub, kiosk_db, kiosk_name):
    hub = shared_hub
    cred = hub.enrol(kiosk_name)
    ahead = "2031-06-01T00:00:00.000000Z"  # the kiosk's clock is years ahead of the hub's
    with kiosk_db.atomic():
        ids = [
            outbox.enqueue(kiosk_db, kind="visit.opened", payload={"i": i}, created_at=ahead)
            for i in range(20)
        ]
    worker = SyncWorker(
        kiosk_db, HubClient(hub.url, cred), clock=SettableClock(clock.from_storage(ahead))
    )
    assert worker.drain_once().sent == 20
    assert read_status(kiosk_db).last_success == ahead
    assert_stored_exactly_once(hub, kiosk_name, ids)


def test_a_rejected_event_is_quarantined_and_the_rest_flow(
    shared_hub, tmp_path, kiosk_db, kiosk_name
):
    hub = shared_hub
    cred = hub.enrol(kiosk_name)
    good = fill(kiosk_db, 10)
    # A row an older kiosk build wrote with a local time: the hub refuses it.
    kiosk_db.conn.execute(
        "INSERT INTO outbox (event_id, kind, payload, created_at) VALUES "
        "('00000000-0000-4000-8000-0000000000aa', 'visit.opened', '{}', '2026-11-21 11:00')"
    )
    good += fill(kiosk_db, 10)
    res = SyncWorker(kiosk_db, HubClient(hub.url, cred)).drain_once()
    assert res.ok and res.sent == 20 and res.quarantined == 1
    assert_stored_exactly_once(hub, kiosk_name, good)
    import json
    import subprocess

    out = subprocess.run(
        kiosk_cli(
            "sync", "status", "--json", "--db", str(tmp_path / "kiosk.db"), "--hub-url", hub.url
        ),
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    st = json.loads(out.stdout)
    assert {k: st[k] for k in ("online", "pending", "quarantined")} == {
        "online": True,
        "pending": 0,
        "quarantined": 1,
    }
    assert st["last_success"]
    exported = tmp_path / "q.jsonl"
    subprocess.run(
        kiosk_cli("sync", "export", str(exported), "--db", str(tmp_path / "kiosk.db")),
        env=env(),
        check=True,
        capture_output=True,
    )
    assert "0000000000aa" in exported.read_text()


def test_wrong_credential_stores_nothing(shared_hub, kiosk_db, kiosk_name):
    hub = shared_hub
    hub.enrol(kiosk_name)
    fill(kiosk_db, 5)
    with pytest.raises(HubUnauthorized):
        SyncWorker(kiosk_db, HubClient(hub.url, "dg-01:not-the-secret")).drain_once()
    assert hub_ids(hub, kiosk_name) == []
    assert read_status(kiosk_db).pending == 5


def test_one_sync_writer_per_kiosk(shared_hub, tmp_path, kiosk_db, kiosk_name):
    import subprocess

    hub = shared_hub
    cred = hub.enrol(kiosk_name)
    first = SyncProcess(tmp_path / "kiosk.db", hub.url, cred).start()
    try:
        wait_until(lambda: read_status(kiosk_db).online, 10, "the first worker to run")
        second = subprocess.run(
            kiosk_cli(
                "sync", "run", "--once", "--db", str(tmp_path / "kiosk.db"), "--hub-url", hub.url
            ),
            env=env() | {"KIOSK_HUB_CREDENTIAL": cred},
            capture_output=True,
            text=True,
        )
        assert second.returncode == 1
        assert "already sending" in second.stderr and "Traceback" not in second.stderr
        first.kill()  # the OS drops a killed holder's lock
        from kiosk.sync.worker import SyncLock

        SyncLock(tmp_path / "kiosk.db").acquire().release()
    finally:
        first.stop()
    with pytest.raises(SyncLocked), SyncLock(tmp_path / "kiosk.db"):
        SyncLock(tmp_path / "kiosk.db").acquire()


def test_hub_process_on_postgresql_stores_once_through_lost_answers(pg_cluster, tmp_path, kiosk_db):
    from tests.support.procs import HubProcess

    hub = HubProcess(tmp_path / "unused.db")
    hub.db_url = pg_cluster.fresh()
    hub.start()
    try:
        db = HubDB(hub.db_url)
        from hub import kiosks

        cred = kiosks.enrol(db, "dg-pg")
        ids = fill(kiosk_db, 1500)
        proxy = FaultProxy(hub.port, mode="lose_answer")
        try:
            worker = SyncWorker(kiosk_db, HubClient(proxy.url, cred, timeout=5))
            assert not worker.drain_once().ok
            proxy.mode = "pass"
            res = worker.drain_once()
            assert res.ok and res.sent == 1500 and res.duplicates == 500
        finally:
            proxy.close()
        with db.transaction() as tx:
            stored = [r[0] for r in tx.all("SELECT event_id FROM events WHERE kiosk = 'dg-pg'")]
        assert sorted(stored) == sorted(ids)
    finally:
        hub.stop()
