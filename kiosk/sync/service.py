"""The sync worker as a background service for the app, and a cheap status reader for its screen.

The app owns one :class:`SyncService` (started with the screen, stopped on exit): a thread with
its own database connection and hub client that drains the outbox with backoff, holding the
kiosk's single-writer lock. A visit step that commits events may call :meth:`SyncService.wake`
so they leave at once instead of at the next poll. Results and failures reach the app through the
``on_result`` / ``on_error`` callbacks (called in the service's thread: the app posts a Message
from them, e.g. ``app.call_from_thread(app.post_message, OutboxDrained(result))``).

:class:`StatusReader` is what the status bar polls from a Textual thread worker: it reads the local
database only (no network), so a dead or slow hub never slows the screen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from kiosk.sync.status import SyncStatus, read_status

log = logging.getLogger("kiosk.sync")


class StatusReader:
    """Reads :class:`SyncStatus` from the kiosk database; one connection, opened on first use.

    Args:
        db_path: the kiosk's SQLite file.
    """

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path)
        self._db: Any = None
        self._lock = threading.Lock()

    def read(self) -> SyncStatus:
        """The current status (two index counts and a few rows; well under a millisecond)."""
        with self._lock:
            if self._db is None:
                # Imported here: sqlite-utils loads on the first status read (a worker thread),
                # not while the app starts.
                from kiosk.sync.localdb import open_kiosk_db

                self._db = open_kiosk_db(self.db_path)
            return read_status(self._db)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._db is not None:
                self._db.conn.close()
                self._db = None


class SyncService:
    """Runs :class:`~kiosk.sync.worker.SyncWorker` in a thread until stopped.

    Args:
        db_path: the kiosk's SQLite file.
        hub: the ``[hub]`` settings (``url``, ``credential``, ``timeout_s``, ``batch_size``,
            ``poll_interval_s``, ``backoff_base_s``, ``backoff_cap_s``).
        on_result: called after every drain pass with its ``DrainResult``.
        on_error: called once if the service stops on an error (refused credential, another
            process holding the queue); the outbox keeps everything meanwhile.
    """

    def __init__(
        self,
        db_path: str | Path,
        hub: Any,
        *,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[KioskError], None] | None = None,
        training_hub: bool = False,
    ):
        self.db_path = Path(db_path)
        self.hub = hub
        #: the hub is training mode's LocalHub: training visits' events may go to it
        self.training_hub = training_hub
        self.on_result = on_result
        self.on_error = on_error
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (the lock is taken inside it; failure goes to ``on_error``)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Drain now rather than at the next poll (after a visit step committed events)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its current request and stop; wait up to ``timeout``."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        # Imported here: httpx and sqlite-utils load in the sync thread, not while the app starts.
        from kiosk.sync.client import HubClient
        from kiosk.sync.localdb import open_kiosk_db
        from kiosk.sync.worker import Backoff, SyncLock, SyncWorker

        try:
            with SyncLock(self.db_path):
                db = open_kiosk_db(self.db_path)
                with HubClient(self.hub.url, self.hub.credential, timeout=self.hub.timeout_s) as c:
                    worker = SyncWorker(
                        db,
                        c,
                        batch_size=self.hub.batch_size,
                        training_hub=self.training_hub,
                        keep_sent_days=getattr(self.hub, "keep_sent_days", 0),
                    )
                    worker.run(
                        self._stop,
                        idle_interval=self.hub.poll_interval_s,
                        backoff=Backoff(base=self.hub.backoff_base_s, cap=self.hub.backoff_cap_s),
                        on_result=self.on_result,
                        wake=self._wake,
                    )
                db.conn.close()
        except KioskError as e:
            log.error("sync service stopped: %s", e)
            if self.on_error is not None:
                self.on_error(e)
