"""No key PIN (user or SO) appears in any log, in the journal, or in the store's files."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from kiosk.errors import TokenError
from kiosk.keys import IssueRequest
from tests.keys_support import UNIT, KeyEnv, now, seal_request

pytestmark = [pytest.mark.e2e, pytest.mark.needs_softhsm]


def test_no_pin_in_logs_journal_or_database(
    env: KeyEnv, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    log_file = tmp_path / "kiosk.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    try:
        t = now()
        r = env.service.issue_new(
            IssueRequest(
                "DG-20261121-0001", "org", UNIT, t, t + dt.timedelta(days=365), seal=seal_request()
            ),
            actor="op-07",
        )
        with pytest.raises(TokenError):  # a wrong PIN attempt is logged as such, not echoed
            env.service.renew(
                order_no="DG-20261121-0002", actor="op-07", user_pin="99999999", years=1
            )
        env.service.renew(order_no="DG-20261121-0002", actor="op-07", user_pin=r.user_pin, years=1)
        new_pin, _ = env.service.unlock(order_no="DG-20261121-0003", actor="op-07")
    finally:
        root.removeHandler(handler)
        handler.close()
    rec = env.service.repo.get(r.serial)
    so_pin = env.service.vault.open(rec.so_pin_enc, r.serial)
    secrets_ = {
        "user PIN": r.user_pin,
        "unlock PIN": new_pin,
        "SO PIN": so_pin,
        "wrong PIN": "99999999",
    }

    texts = {"caplog": caplog.text, "log file": log_file.read_text()}
    assert "step verify done" in texts["log file"]  # the logs did record the work
    db = env.store.db
    texts["journal"] = json.dumps(
        [list(db.query(f"SELECT * FROM {t}")) for t in ("key_job_steps", "key_transitions")],
        ensure_ascii=False,
        default=str,
    )
    texts["jobs"] = json.dumps(
        list(db.query("SELECT id, order_no, params FROM key_jobs")), ensure_ascii=False
    )
    env.store.db.execute("PRAGMA wal_checkpoint(FULL)")
    raw = b"".join(p.read_bytes() for p in env.base.glob("kiosk.db*"))
    for what, pin in secrets_.items():
        for where, text in texts.items():
            assert pin not in text, f"{what} found in {where}"
        assert pin.encode() not in raw, f"{what} found in the database file"
