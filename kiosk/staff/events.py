"""The one place staff, audit and day-close code hands an event to the back office.

Every event is written in the same SQLite transaction as the change it reports (the
transactional outbox of ARCHITECTURE.md), by calling :func:`publish` inside the caller's
``with store.atomic():``. It delegates to ``data.outbox.enqueue``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from data import outbox

if TYPE_CHECKING:
    import sqlite_utils


def publish(
    db: sqlite_utils.Database,
    kind: str,
    payload: Mapping[str, Any],
    visit_id: int | str | None = None,
) -> None:
    """Queue one event for the hub, inside the caller's transaction.

    Args:
        db: the ``sqlite_utils.Database`` of the open transaction.
        kind: dotted event name (``audit.appended``, ``day.closed``).
        payload: JSON-serialisable content.
        visit_id: the visit the event belongs to, if any.
    """
    # The outbox keys visits as text (events of one visit are sent in order).
    vid = None if visit_id is None else str(visit_id)
    outbox.enqueue(db, kind=kind, payload=dict(payload), visit_id=vid)
