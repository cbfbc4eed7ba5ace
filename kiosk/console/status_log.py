"""The status bar's device states, recorded in the store for the supervisor console.

The kiosk's status worker polls its devices every couple of seconds (:mod:`kiosk.status`); the
supervisor console (``kiosk supervise``) must never open a device itself (it would fight the
counter's kiosk for the ID card reader, the key reader, the camera and the printer), so the kiosk
writes what it saw into ``device_status`` (migration 0005) and the console reads that.

A write happens when a device's state or reason changed, and otherwise at most every
``heartbeat_s`` seconds, so a kiosk that stopped shows up as a stale ``checked_at`` rather than as
old states passed off as current. The recorder opens its own connection (it runs in the status
worker's thread) and never raises into the status bar: a failed write is logged and retried on
the next poll.

No textual import here.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from data.outbox import Db, connection
from kiosk.domain import clock
from kiosk.status import KioskStatus

log = logging.getLogger(__name__)

HEARTBEAT_S = 30.0
"""Seconds between rewrites when nothing changed (the console's sign of a running kiosk)."""


@dataclass(frozen=True, slots=True)
class RecordedDevice:
    """One device's state as the kiosk last recorded it.

    Attributes:
        device: ``reader``, ``token``, ``camera`` or ``printer``.
        state: ``ready``, ``missing`` or ``fault``.
        reason_zh: why, for the counter, in Chinese.
        reason_en: why, in English.
        since: when it entered this state (UTC).
        checked_at: the last poll that saw it (UTC).
    """

    device: str
    state: str
    reason_zh: str
    reason_en: str
    since: datetime
    checked_at: datetime


class StatusLog:
    """Writes the polled device states into the kiosk's store.

    Args:
        database: the kiosk's SQLite file (migrated: the kiosk opened it first).
        heartbeat_s: the longest gap between writes when nothing changes.
        clock: "now" in UTC (tests move it).
    """

    def __init__(
        self,
        database: Path,
        *,
        heartbeat_s: float = HEARTBEAT_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = Path(database)
        self.heartbeat = timedelta(seconds=heartbeat_s)
        self.clock = clock
        self._conn: sqlite3.Connection | None = None
        self._last: dict[str, tuple[str, str, str]] = {}
        self._written_at: datetime | None = None
        self._lock = threading.Lock()

    def record(self, status: KioskStatus) -> bool:
        """Record one poll's device states if they changed or the heartbeat is due.

        Returns:
            Whether a write happened. Never raises: a failure is logged and the next poll
            writes again (the in-memory copy is only updated after a commit).
        """
        now = self.clock()
        seen = {d.device.value: (d.state.value, d.reason_zh, d.reason_en) for d in status.devices}
        with self._lock:
            due = self._written_at is None or now - self._written_at >= self.heartbeat
            if seen == self._last and not due:
                return False
            try:
                self._write(seen, now)
            except sqlite3.Error as e:
                log.warning("cannot record device states for the supervisor console: %s", e)
                self._close()
                return False
            self._last = seen
            self._written_at = now
            return True

    def _write(self, seen: dict[str, tuple[str, str, str]], now: datetime) -> None:
        if self._conn is None:
            conn = sqlite3.connect(
                str(self.database), timeout=10.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout = 10000")
            # As the kiosk's own store connections: WAL commits without an fsync each time
            # (a status write must never stall a visit step waiting for the disk).
            conn.execute("PRAGMA synchronous = NORMAL")
            self._conn = conn
        conn = self._conn
        at = clock.to_storage(now)
        conn.execute("BEGIN IMMEDIATE")
        try:
            for device, (state, zh, en) in seen.items():
                # ``since`` moves only when the state itself changes.
                conn.execute(
                    "INSERT INTO device_status (device, state, reason_zh, reason_en, since,"
                    " checked_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET"
                    " since = CASE WHEN device_status.state = excluded.state"
                    " THEN device_status.since ELSE excluded.since END,"
                    " state = excluded.state, reason_zh = excluded.reason_zh,"
                    " reason_en = excluded.reason_en, checked_at = excluded.checked_at",
                    (device, state, zh, en, at, at),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._close()


def read_devices(db: Db) -> list[RecordedDevice]:
    """The recorded device states, in the status bar's order (empty when never recorded).

    Args:
        db: a ``sqlite3.Connection`` or ``sqlite_utils.Database`` (read-only is enough).
    """
    from kiosk.status import Device

    rows = (
        connection(db)
        .execute("SELECT device, state, reason_zh, reason_en, since, checked_at FROM device_status")
        .fetchall()
    )
    order = [d.value for d in Device]
    rows.sort(key=lambda r: order.index(r[0]) if r[0] in order else len(order))
    return [
        RecordedDevice(r[0], r[1], r[2], r[3], clock.from_storage(r[4]), clock.from_storage(r[5]))
        for r in rows
    ]
