"""`kiosk hub …` and `kiosk sync …` as a person runs them: exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import subprocess

import pytest

from data import outbox
from data.store import Store
from tests.support.procs import env, free_port, kiosk_cli

pytestmark = pytest.mark.e2e


def run(*args, extra_env=None):
    return subprocess.run(
        kiosk_cli(*args),
        env=env() | (extra_env or {}),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_enrol_prints_the_credential_once_and_refuses_a_second_enrolment(tmp_path):
    db = f"sqlite:///{tmp_path}/hub.db"
    first = run("hub", "enrol-kiosk", "dg-07", "--db", db)
    assert first.returncode == 0
    name, _, secret = first.stdout.strip().partition(":")
    assert name == "dg-07" and len(secret) >= 40
    again = run("hub", "enrol-kiosk", "dg-07", "--db", db)
    assert again.returncode == 2 and "--rotate" in again.stderr and "Traceback" not in again.stderr
    bad = run("hub", "enrol-kiosk", "dg 07!", "--db", db)
    assert bad.returncode == 2 and "kiosk name" in bad.stderr


def test_sync_status_json_and_run_once_offline(tmp_path):
    kdb = tmp_path / "kiosk.db"
    db = Store.open(kdb).db
    outbox.enqueue(db, kind="visit.opened", payload={"order_no": "DG-20261121-0001"})
    nobody = f"http://127.0.0.1:{free_port()}"  # no hub listens there
    st = run("sync", "status", "--json", "--db", str(kdb), "--hub-url", nobody)
    assert st.returncode == 0
    data = json.loads(st.stdout)
    assert {"online", "pending", "quarantined", "last_success"} <= data.keys()
    assert data["online"] is False and data["pending"] == 1 and data["last_success"] is None
    once = run(
        "sync",
        "run",
        "--once",
        "--db",
        str(kdb),
        "--hub-url",
        nobody,
        extra_env={"KIOSK_HUB_CREDENTIAL": "dg-01:x"},
    )
    assert once.returncode == 1
    assert once.stderr.count("\n") == 1 and "cannot be reached" in once.stderr
    text = run("sync", "status", "--db", str(kdb), "--hub-url", nobody)
    assert "OFFLINE" in text.stdout and "pending:      1" in text.stdout


def test_retry_needs_ids_or_all(tmp_path):
    r = run("sync", "retry", "--db", str(tmp_path / "kiosk.db"))
    assert r.returncode == 2 and "--all" in r.stderr
