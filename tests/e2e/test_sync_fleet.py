"""Four kiosks, each its own SQLite file and processes, sync to one hub through kill -9s of the
hub, of the sync workers and of the kiosks' own writers; at the end the hub's counts equal the
kiosks' counts exactly, event id for event id."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from data.store import Store
from hub.db import HubDB
from kiosk.sync.status import read_status
from tests.support.procs import SyncProcess, env, wait_until

pytestmark = pytest.mark.e2e

KIOSKS = 4
EVENTS_EACH = 500


def writer(db_path):
    """A kiosk's counter program writing sales and their events (stderr kept in a file)."""
    with open(f"{db_path}.writer.log", "ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.kiosk_writer",
                str(db_path),
                str(EVENTS_EACH),
                "--delay",
                "0.01",
            ],
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def test_four_kiosks_sync_through_kills_and_restarts(hub, tmp_path):
    hub.start()
    rng = random.Random(6)
    paths = [tmp_path / f"k{i}.db" for i in range(KIOSKS)]
    names = [f"dg-{i:02d}" for i in range(KIOSKS)]
    for p in paths:
        Store.open(p).close()  # schema in place before the processes race to open it
    creds = [hub.enrol(n) for n in names]
    writers = [writer(p) for p in paths]
    syncs = [SyncProcess(p, hub.url, c).start() for p, c in zip(paths, creds, strict=True)]
    dbs = [Store.open(p).db for p in paths]

    def written(i):
        return dbs[i].conn.execute("SELECT count(*) FROM outbox").fetchone()[0]

    try:
        for _round in range(2):
            # Let some traffic flow, then kill the hub mid-stream and bring it back.
            base = sum(written(i) for i in range(KIOSKS))
            wait_until(
                lambda b=base: (
                    sum(written(i) for i in range(KIOSKS)) > b + 150
                    or all(w.poll() is not None for w in writers)
                ),
                30,
                "the kiosks to write more",
            )
            hub.kill()
            victim = rng.randrange(KIOSKS)
            syncs[victim].kill()  # a kiosk's sync worker dies mid-send
            if writers[victim].poll() is None:
                writers[victim].kill()  # and its counter program too
                writers[victim].wait(5)
            hub.start()
            syncs[victim].start()
            writers[victim] = writer(paths[victim])
        for w in writers:
            assert w.wait(60) == 0, w.args
        wait_until(
            lambda: all(read_status(db).pending == 0 for db in dbs),
            60,
            "every kiosk's queue to drain",
        )
    finally:
        for s in syncs:
            s.stop()
        for w in writers:
            if w.poll() is None:
                w.kill()

    hubdb = HubDB(hub.db_url)
    with hubdb.transaction() as tx:
        for name, db in zip(names, dbs, strict=True):
            kiosk_ids = sorted(r[0] for r in db.conn.execute("SELECT event_id FROM outbox"))
            sales = db.conn.execute("SELECT count(*) FROM sales").fetchone()[0]
            hub_ids = sorted(
                r[0] for r in tx.all("SELECT event_id FROM events WHERE kiosk = ?", (name,))
            )
            assert sales == len(kiosk_ids) == EVENTS_EACH
            assert hub_ids == kiosk_ids
        assert tx.one("SELECT count(*) FROM events")[0] == KIOSKS * EVENTS_EACH
