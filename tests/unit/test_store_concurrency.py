"""Two connections writing (the kiosk and its print worker): a transaction that reads, then
writes while the other connection commits, must wait its turn, not fail with "locked"."""

from __future__ import annotations

import threading
from pathlib import Path

from data.store import Store, utc_now


def _visit(order_no: str) -> dict[str, str]:
    now = utc_now()
    return {"order_no": order_no, "service": "new", "created_at": now, "updated_at": now}


def test_read_then_write_while_another_connection_commits(tmp_path: Path) -> None:
    a = Store.open(tmp_path / "kiosk.db")
    b = Store.open(tmp_path / "kiosk.db")
    errors: list[BaseException] = []
    b_done = threading.Event()

    def other_writer() -> None:
        try:
            with b.atomic() as db:
                db.table("visits").insert(_visit("DG-20261121-0002"))
        except BaseException as e:  # recorded for the assertion below
            errors.append(e)
        b_done.set()

    with a.atomic() as db:
        assert db.execute("SELECT count(*) FROM visits").fetchone()[0] == 0  # a read first
        t = threading.Thread(target=other_writer)
        t.start()
        # Give the other writer the chance to commit now, as it could under a deferred BEGIN.
        assert not b_done.wait(0.3), "the other connection wrote inside this transaction"
        db.table("visits").insert(_visit("DG-20261121-0001"))  # then this one writes
    t.join(timeout=15)
    assert errors == []
    assert [r[0] for r in a.db.execute("SELECT order_no FROM visits ORDER BY order_no")] == [
        "DG-20261121-0001",
        "DG-20261121-0002",
    ]
    a.close()
    b.close()
