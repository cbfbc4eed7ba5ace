"""What the staff screen for sync needs, as one object the app hands to it (``SyncDesk``).

The screen never touches SQL (import-linter forbids it): it calls these methods from thread
workers and gets plain dicts and dataclasses back.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data import outbox
from kiosk.sync import issuance
from kiosk.sync.status import SyncStatus, read_status

if TYPE_CHECKING:
    import sqlite_utils


class SyncDesk:
    """Queue, quarantine and waiting keys of one kiosk database.

    Args:
        db_path: the kiosk's SQLite file.
        export_dir: where :meth:`export_quarantined` writes (default ``<db folder>/exports``).
    """

    def __init__(self, db_path: str | Path, export_dir: str | Path | None = None):
        self.db_path = Path(db_path)
        self.export_dir = Path(export_dir) if export_dir else self.db_path.parent / "exports"
        self._db: sqlite_utils.Database | None = None
        self._lock = threading.Lock()

    def _open(self) -> sqlite_utils.Database:
        if self._db is None:
            from kiosk.sync.localdb import open_kiosk_db

            self._db = open_kiosk_db(self.db_path)
        return self._db

    def status(self) -> SyncStatus:
        """Online/offline, queue depth, quarantined count, last success, keys waiting."""
        with self._lock:
            return read_status(self._open())

    def pending(self, limit: int = 200) -> list[dict[str, Any]]:
        """The oldest pending events (``seq, event_id, visit_id, kind, created_at, attempts,
        last_error``)."""
        with self._lock:
            return outbox.list_events(self._open(), "pending", limit)

    def quarantined(self, limit: int = 200) -> list[dict[str, Any]]:
        """Events the hub rejected, with its reason in ``last_error``."""
        with self._lock:
            return outbox.list_events(self._open(), "quarantined", limit)

    def keys_waiting(self) -> list[dict[str, Any]]:
        """Keys kept at the counter (see :func:`kiosk.sync.issuance.keys_waiting`)."""
        with self._lock:
            return issuance.keys_waiting(self._open())

    def retry(self, event_ids: list[str] | None = None) -> int:
        """Put quarantined events (all, or these) back in the queue; returns how many."""
        with self._lock:
            return outbox.retry_quarantined(self._open(), event_ids)

    def export_quarantined(self) -> tuple[Path, int]:
        """Write every quarantined event to a new JSON-lines file; returns (path, count)."""
        with self._lock:
            rows = outbox.list_events(self._open(), "quarantined", limit=1_000_000)
        self.export_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self.export_dir / f"quarantined-{stamp}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return path, len(rows)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._db is not None:
                self._db.conn.close()
                self._db = None
