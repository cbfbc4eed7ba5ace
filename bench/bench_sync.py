"""Outbox drain to the hub on loopback, beside raw SQLite inserts of the same rows (same run).

A real hub process (``kiosk hub serve``, SQLite) on 127.0.0.1; a kiosk database with 10,000
queued events; the sync worker drains them in batches. The baseline is plain ``executemany``
inserts of the same 10,000 rows into a table of the same shape, in one transaction: the floor a
local write costs, so the figure reads as "how many times slower than writing locally".
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

N = 10_000
BATCH = 500
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rows(n: int) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            str(uuid.uuid4()),
            f"DG-20261121-{i // 5:04d}",
            "payment.recorded",
            f'{{"amount_fen":20000,"method":"wechat","n":{i}}}',
            "2026-11-21T03:00:00.000000Z",
        )
        for i in range(n)
    ]


def _raw_insert(path: Path, rows: list[tuple[str, str, str, str, str]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE t (seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE, visit_id TEXT, "
        "kind TEXT, payload TEXT, created_at TEXT)"
    )
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO t (event_id, visit_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)", rows
    )
    conn.execute("COMMIT")
    dt = time.perf_counter() - t0
    conn.close()
    return dt


def run() -> list[dict]:
    """Measure the drain, the enqueue and the raw-insert baseline; return the rows."""
    from data import outbox
    from data.store import Store
    from hub import kiosks
    from hub.db import HubDB
    from kiosk.sync import issuance  # noqa: F401 - imported before timing, as in a running kiosk
    from kiosk.sync.client import HubClient
    from kiosk.sync.worker import SyncWorker

    with tempfile.TemporaryDirectory(prefix="bench_sync_") as tmp:
        tmpdir = Path(tmp)
        rows = _rows(N)
        raw_s = _raw_insert(tmpdir / "raw.db", rows)
        raw_rate = N / raw_s

        kdb = Store.open(tmpdir / "kiosk.db").db
        t0 = time.perf_counter()
        with kdb.atomic():
            for i, (eid, visit, kind, _text, created) in enumerate(rows):
                outbox.enqueue(
                    kdb,
                    kind=kind,
                    visit_id=visit,
                    event_id=eid,
                    created_at=created,
                    payload={"amount_fen": 20000, "method": "wechat", "n": i},
                )
        enqueue_rate = N / (time.perf_counter() - t0)

        hub_db = f"sqlite:///{tmpdir}/hub.db"
        credential = kiosks.enrol(HubDB(hub_db), "bench-01")
        port = _free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        hub = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk",
                "hub",
                "serve",
                "--db",
                hub_db,
                "--bind",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(url + "/api/v1/health", timeout=0.5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the hub did not start")
                time.sleep(0.05)
            with HubClient(url, credential, timeout=30) as client:
                worker = SyncWorker(kdb, client, batch_size=BATCH)
                t0 = time.perf_counter()
                result = worker.drain_once()
                drain_s = time.perf_counter() - t0
            if not result.ok or result.sent != N:
                raise RuntimeError(f"drain incomplete: {result}")
        finally:
            hub.send_signal(signal.SIGTERM)
            hub.wait(10)
        drain_rate = N / drain_s
    goal = "meets" if drain_rate >= 5000 else "BELOW"
    return [
        {
            "name": f"sync: drain {N} events to the hub (loopback, batch {BATCH})",
            "value": round(drain_rate),
            "unit": "events/s",
            "baseline_name": "raw SQLite insert of the same rows",
            "baseline_value": round(raw_rate),
            "goal": ">= 5000 events/s",
            "note": f"goal >= 5000 events/s: {goal}; {drain_s:.2f} s total; hub on SQLite",
        },
        {
            "name": f"sync: outbox.enqueue of {N} events in one transaction",
            "value": round(enqueue_rate),
            "unit": "events/s",
            "baseline_name": "raw SQLite insert of the same rows",
            "baseline_value": round(raw_rate),
            "note": "validation + JSON encoding per event",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
