"""The one place payments and receipts hand events to the back office.

Every event is written inside the caller's ``with store.atomic():`` so the change and its event
commit together (the transactional outbox). When ``data.outbox.enqueue`` exists it is used;
until then events land in the interim ``money_events`` table (migration 0032).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from data.store import utc_now

try:  # the sync area's outbox (branch hub); absent until it lands on main
    from data.outbox import enqueue as _outbox_enqueue
except ImportError:  # pragma: no cover - depends on what is merged
    _outbox_enqueue = None  # type: ignore[assignment]

# Event kinds this area emits (the hub's ingest handles each).
KINDS = (
    "payment.created",
    "payment.paid",
    "payment.cancelled",
    "refund.done",
    "invoice.requested",
    "receipt.printed",
)


def emit(
    db: sqlite_utils.Database, *, kind: str, payload: dict[str, Any], visit_id: int | None
) -> None:
    """Record one event for the hub, in the current transaction.

    Args:
        db: the store's database, inside ``store.atomic()``.
        kind: one of :data:`KINDS`.
        payload: JSON-serialisable facts (amounts in fen, times UTC); never a PIN.
        visit_id: the visit the event belongs to.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if _outbox_enqueue is not None:
        # The outbox keeps visit ids as text (events of one visit are sent in order).
        _outbox_enqueue(
            db, kind=kind, payload=payload, visit_id=None if visit_id is None else str(visit_id)
        )
        return
    db.table("money_events").insert(
        {
            "visit_id": visit_id,
            "kind": kind,
            "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
            "created_at": utc_now(),
        }
    )


def events(db: sqlite_utils.Database, visit_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Events recorded for a visit, oldest first, as (kind, payload) (for tests and the CLI)."""
    if _outbox_enqueue is not None:  # pragma: no cover - depends on what is merged
        rows = db.execute(
            "SELECT kind, payload FROM outbox WHERE visit_id = ? ORDER BY seq", [str(visit_id)]
        ).fetchall()
    else:
        rows = db.execute(
            "SELECT kind, payload FROM money_events WHERE visit_id = ? ORDER BY id", [visit_id]
        ).fetchall()
    return [(k, json.loads(p)) for k, p in rows]
