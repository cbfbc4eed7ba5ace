"""The sync status the status bar, the staff screen and ``kiosk sync status`` show.

:func:`read_status` reads only the local database (two index counts and the worker's last
result): cheap enough to call from a Textual worker every second, and it never touches the
network, so a dead hub never slows the screen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from data import outbox


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the counter needs to know about the link to the back office.

    Attributes:
        online: the last attempt reached the hub (None: no attempt yet).
        pending: events waiting to be sent.
        quarantined: events the hub rejected, waiting for staff.
        last_success: UTC time of the last complete drain, or None.
        last_error: why the last attempt failed, or None.
        keys_waiting: keys kept at the counter for a certificate or a pickup.
    """

    online: bool | None
    pending: int
    quarantined: int
    last_success: str | None
    last_error: str | None = None
    keys_waiting: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``kiosk sync status --json``)."""
        return asdict(self)


def read_status(db: outbox.Db) -> SyncStatus:
    """The current status from the local database alone (no network)."""
    pending, quarantined = outbox.queue_depth(db)
    online = outbox.get_state(db, "online")
    conn = outbox.connection(db)
    keys = conn.execute(
        "SELECT count(*) FROM cert_requests WHERE state IN ('waiting', 'ready', 'installed')"
    ).fetchone()[0]
    return SyncStatus(
        online=None if online is None else online == "1",
        pending=pending,
        quarantined=quarantined,
        last_success=outbox.get_state(db, "last_success"),
        last_error=outbox.get_state(db, "last_error"),
        keys_waiting=keys,
    )
