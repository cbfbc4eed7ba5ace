"""The one place staff, audit and day-close code hands an event to the back office.

Every event is written in the same SQLite transaction as the change it reports (the
transactional outbox of ARCHITECTURE.md), by calling :func:`publish` inside the caller's
``with store.atomic():``. It delegates to ``data.outbox.enqueue`` (the sync engineer's module).
Until that module is present (branches landing in parallel), events are not queued and a
warning is logged once; the audit log itself still holds every row, and nothing else changes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

try:  # the outbox lands from the sync branch; this module is the only seam that knows.
    from data import outbox as _outbox  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on what has been merged
    _outbox = None

_warned = False


def outbox_available() -> bool:
    """True when events really reach the outbox table."""
    return _outbox is not None


def publish(db: Any, kind: str, payload: Mapping[str, Any], visit_id: Any = None) -> None:
    """Queue one event for the hub, inside the caller's transaction.

    Args:
        db: the ``sqlite_utils.Database`` of the open transaction.
        kind: dotted event name (``audit.appended``, ``day.closed``).
        payload: JSON-serialisable content.
        visit_id: the visit the event belongs to, if any.
    """
    global _warned
    if _outbox is None:
        if not _warned:
            log.info("data.outbox is not installed: %s events are kept locally only", kind)
            _warned = True
        return
    # The outbox keys visits as text (events of one visit are sent in order).
    vid = None if visit_id is None else str(visit_id)
    _outbox.enqueue(db, kind=kind, payload=dict(payload), visit_id=vid)
