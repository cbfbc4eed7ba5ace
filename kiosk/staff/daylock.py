"""The day lock: whether a business day is closed (日结), read by every area that books onto it.

The close itself (``kiosk.dayclose.close``) writes the ``day_closes`` row; the payments area
refuses to book money onto a locked day. The read lives here, below both, so neither area
imports the other for it (the table is the staff area's, migration 0040, beside the audit log
that records the close).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from data.store import Store


def closed_report(store: Store, day: date) -> dict[str, Any] | None:
    """The stored Z-report of a closed day, or None while the day is open."""
    row = store.db.execute(
        "SELECT report FROM day_closes WHERE business_date = ?", [day.isoformat()]
    ).fetchone()
    return None if row is None else json.loads(row[0])


def is_closed(store: Store, day: date) -> bool:
    """True once the day has been closed (it is then locked)."""
    return closed_report(store, day) is not None
