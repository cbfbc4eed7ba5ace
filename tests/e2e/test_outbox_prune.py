"""Acknowledged events leave the outbox after [hub] keep_sent_days; nothing unsent ever does."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from data import outbox
from hub import kiosks
from hub.app import create_app
from hub.db import HubDB
from kiosk.errors import StoreError
from kiosk.sync.client import HubClient
from kiosk.sync.localdb import open_kiosk_db
from kiosk.sync.worker import SyncWorker
from tests.support.procs import env, kiosk_cli, threaded_hub

pytestmark = pytest.mark.e2e


def _stamp(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _queue(db, n: int, prefix: str) -> list[str]:
    return [
        outbox.enqueue(db, kind="visit.step", payload={"n": i}, visit_id=f"{prefix}{i}")
        for i in range(n)
    ]


@pytest.fixture
def db(tmp_path):
    return open_kiosk_db(tmp_path / "kiosk.db")


def test_only_old_acknowledged_events_are_deleted(db):
    old_sent = _queue(db, 12, "A")
    new_sent = _queue(db, 3, "B")
    old_pending = _queue(db, 2, "C")
    old_bad = _queue(db, 2, "D")
    outbox.record_results(db, old_sent, {}, now=_stamp(100))
    outbox.record_results(db, new_sent, {}, now=_stamp(10))
    outbox.record_results(db, [], {e: "rejected" for e in old_bad}, now=_stamp(100))
    db.execute("UPDATE outbox SET created_at = ?", [_stamp(200)])  # everything is old
    db.conn.commit()

    # Chunks smaller than the work: every old acknowledged event still goes.
    assert outbox.prune_sent(db, outbox.cutoff(90), chunk=5) == 12
    left = {r[0] for r in db.execute("SELECT event_id FROM outbox").fetchall()}
    assert left == set(new_sent + old_pending + old_bad)
    assert outbox.counts(db) == {"pending": 2, "sent": 3, "quarantined": 2}
    assert outbox.prune_sent(db, outbox.cutoff(90)) == 0


def test_pruning_inside_someone_elses_transaction_is_refused(db):
    _queue(db, 1, "A")
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as err:
            outbox.prune_sent(db, outbox.cutoff(0))
        assert err.value.code == "outbox.in_transaction"
    finally:
        db.conn.execute("ROLLBACK")


def test_the_worker_prunes_after_a_good_pass_at_most_once_an_interval(tmp_path, db):
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-prune")
    with threaded_hub(create_app(hubdb)) as url, HubClient(url, cred) as client:
        _queue(db, 4, "E")
        worker = SyncWorker(db, client, config_every=0, keep_sent_days=30, prune_every_s=3600)
        first = worker.drain_once()
        assert (first.sent, first.pruned) == (4, 0)  # just acknowledged: kept
        # Pretend they were acknowledged 40 days ago; new events arrive.
        db.execute("UPDATE outbox SET sent_at = ?", [_stamp(40)])
        db.conn.commit()
        later = _queue(db, 2, "F")
        second = worker.drain_once()
        assert (second.sent, second.pruned) == (2, 0)  # within the hour: no second prune
        worker._last_prune = None  # the hour has passed
        third = worker.drain_once()
        assert third.pruned == 4
        left = [r[0] for r in db.execute("SELECT event_id FROM outbox ORDER BY seq")]
        assert left == later
        # The hub kept every event: pruning is local only.
        with hubdb.transaction() as tx:
            assert tx.one("SELECT count(*) FROM events") == (6,)


def test_a_worker_that_cannot_reach_the_hub_does_not_prune(tmp_path, db):
    ids = _queue(db, 3, "G")
    outbox.record_results(db, ids, {}, now=_stamp(400))
    worker = SyncWorker(db, HubClient("http://127.0.0.1:9", "x", timeout=0.5), keep_sent_days=30)
    assert not worker.drain_once().ok
    assert outbox.counts(db)["sent"] == 3


def _prune(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        kiosk_cli("sync", "prune", *args), env=env(), capture_output=True, text=True, timeout=60
    )


def test_cli_prune_reports_what_is_left(tmp_path, db):
    ids = _queue(db, 5, "H")
    outbox.record_results(db, ids[:3], {}, now=_stamp(120))
    outbox.record_results(db, ids[3:4], {}, now=_stamp(1))
    res = _prune("--db", str(tmp_path / "kiosk.db"))
    assert res.returncode == 0, res.stderr
    assert "pruned 3 acknowledged event(s) older than 90 day(s)" in res.stdout
    assert "left: 1 pending, 1 sent, 0 quarantined" in res.stdout
    res = _prune("--db", str(tmp_path / "kiosk.db"), "--older-than", "0")
    assert res.returncode == 0 and "pruned 1 " in res.stdout
    assert outbox.counts(db) == {"pending": 1, "sent": 0, "quarantined": 0}
    bad = _prune("--db", str(tmp_path / "kiosk.db"), "--older-than", "-3")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_standalone_prune_uses_the_hub_defaults(tmp_path, db):
    # `python -m kiosk.shell.cli.sync` has no root command and so no kiosk.toml: [hub]'s
    # defaults apply (it used to fail on a missing settings object).
    ids = _queue(db, 2, "J")
    outbox.record_results(db, ids[:1], {}, now=_stamp(120))
    res = subprocess.run(
        [sys.executable, "-m", "kiosk.shell.cli.sync", "prune", "--db", str(tmp_path / "kiosk.db")],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert "pruned 1 acknowledged event(s) older than 90 day(s)" in res.stdout
