"""The one place payments and receipts hand events to the back office.

Every event is written inside the caller's ``with store.atomic():`` so the change and its event
commit together (the transactional outbox, ``data.outbox.enqueue``).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from data.outbox import enqueue

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
    # The outbox keeps visit ids as text (events of one visit are sent in order).
    enqueue(db, kind=kind, payload=payload, visit_id=None if visit_id is None else str(visit_id))


def events(db: sqlite_utils.Database, visit_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Events recorded for a visit, oldest first, as (kind, payload) (for tests and the CLI)."""
    rows = db.execute(
        "SELECT kind, payload FROM outbox WHERE visit_id = ? ORDER BY seq", [str(visit_id)]
    ).fetchall()
    return [(k, json.loads(p)) for k, p in rows]
