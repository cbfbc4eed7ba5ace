"""The visit journal: visits + visit_steps rows, order numbers, and the flow's outbox events.

Every journal write and its outbox event share one transaction, so the back office sees exactly
the steps the kiosk recorded (no event without its row, no row without its event).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from data import outbox
from kiosk.domain import clock


def now_utc(at: clock.Clock = clock.SYSTEM_CLOCK) -> str:
    """Storage time (UTC, ``…Z``) of the clock ``at``."""
    return clock.storage_now(at)


def next_order_no(db: Any, counter_id: str, tz: str, at: dt.datetime | None = None) -> str:
    """The next order number ``DG-YYYYMMDD-NNNN`` (counter's local date; ``counter_id`` is the
    counter's code and station, ``DG2`` for station 2); call inside the transaction that inserts
    the visit, so a number is never used twice nor skipped."""
    at = at or clock.utc_now()
    prefix = f"{counter_id}-{at.astimezone(ZoneInfo(tz)):%Y%m%d}"
    db.execute(
        "INSERT INTO order_counters (prefix, last) VALUES (?, 1) "
        "ON CONFLICT(prefix) DO UPDATE SET last = last + 1",
        [prefix],
    )
    (n,) = db.execute("SELECT last FROM order_counters WHERE prefix = ?", [prefix]).fetchone()
    return f"{prefix}-{n:04d}"


def emit(
    db: Any, order_no: str, kind: str, payload: dict[str, Any], what: str, training: bool
) -> None:
    """Queue one flow event, once per ``what`` (training visits are marked so; docs/FLOWS.md)."""
    payload = {**payload, "order_no": order_no, "training": bool(training)}
    outbox.emit(db, kind, payload, order_no=order_no, once=what)


def step_rows(db: Any, visit_id: int) -> list[dict[str, Any]]:
    """Every journal row of a visit, oldest first."""
    cur = db.execute(
        "SELECT step, state, detail, at FROM visit_steps WHERE visit_id = ? ORDER BY id",
        [visit_id],
    )
    return [
        {"step": s, "state": st, "detail": json.loads(d or "{}"), "at": at}
        for s, st, d, at in cur.fetchall()
    ]


def done_steps(db: Any, visit_id: int) -> set[str]:
    """Steps journalled ``done``."""
    cur = db.execute(
        "SELECT DISTINCT step FROM visit_steps WHERE visit_id = ? AND state = 'done'", [visit_id]
    )
    return {r[0] for r in cur.fetchall()}
