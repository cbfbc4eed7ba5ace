"""The sync worker: drains the outbox to the hub, in order, exactly once on the hub's side.

- Batches are the oldest pending events in ``seq`` order, so events of one visit reach the hub
  in the order they happened.
- An event is marked sent only after the hub's answer says ``stored`` or ``duplicate``; an event
  it ``rejected`` is quarantined (kept for staff; :func:`data.outbox.retry_quarantined`) and the
  rest keep flowing. No answer at all (down, timeout, HTML, garbage) changes nothing but the
  attempt counters: the batch is resent later and the hub's unique event id absorbs the repeat.
- While the hub is unreachable the worker waits with exponential backoff and full jitter, so a
  province of kiosks coming back at once does not hammer the hub in step.
- One writer per kiosk: :class:`SyncLock` (an ``flock`` beside the database, released by the OS
  even on ``kill -9``) keeps two processes from sending the same queue.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from data import outbox
from kiosk.errors import StoreError, SyncError
from kiosk.sync.client import HubClient, HubRefused, HubUnauthorized, HubUnavailable

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger("kiosk.sync")


class SyncLocked(SyncError):
    """Another process already runs the sync worker for this kiosk database."""

    code = "sync.locked"


class SyncLock:
    """An exclusive, non-blocking ``flock`` on ``<database>.sync.lock``.

    The OS releases it when the holder exits in any way (``kill -9`` included), so a crashed
    worker never blocks the next one.

    Raises:
        SyncLocked: on :meth:`acquire`, when another process holds it.
    """

    def __init__(self, db_path: str | Path):
        self.path = Path(f"{db_path}.sync.lock")
        self._fd: int | None = None

    def acquire(self) -> SyncLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SyncLocked(
                f"another sync worker (pid {holder}) is already sending this kiosk's queue",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SyncLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class Backoff:
    """Exponential backoff with full jitter: wait ``uniform(0, min(cap, base * 2**n))``.

    Args:
        base: first ceiling, seconds.
        cap: largest ceiling, seconds.
        rng: the random source (tests pass a seeded one).
    """

    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        """Count one failure and return how long to wait before the next try."""
        ceiling = min(self.cap, self.base * (2 ** min(self.failures, 30)))
        self.failures += 1
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        """The hub answered: start again from the smallest wait."""
        self.failures = 0


@dataclass
class DrainResult:
    """What one drain pass did."""

    sent: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batches: int = 0
    certificates: int = 0
    config_updated: bool = False
    roster_imported: int | None = None  # staff entries cached from the hub's roster this pass
    roster_error: str | None = None  # the hub's roster could not be imported (sync goes on)
    pruned: int = 0  # acknowledged events deleted after [hub] keep_sent_days
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class SyncWorker:
    """Sends one kiosk's outbox (and its waiting certificate requests) to the hub.

    Args:
        db: the kiosk's database (``sqlite_utils.Database``); the worker is its only sync writer.
        client: the hub client.
        batch_size: events per request (the hub takes at most 1000).
        clock: UTC ISO time source for the status rows (tests may skew it).
        config_every: fetch the hub's configuration documents on the first successful pass and
            every this many passes after it (0: never); a 304 costs one small request.
        keep_sent_days: after a successful pass, at most once every ``prune_every_s``, delete
            events the hub acknowledged more than this many days ago (0: keep them all).
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        client: HubClient,
        *,
        batch_size: int = 500,
        clock: Callable[[], str] = outbox.utc_now,
        config_every: int = 30,
        training_hub: bool = False,
        keep_sent_days: int = 0,
        prune_every_s: float = 3600.0,
    ):
        self.db = db
        self.keep_sent_days = keep_sent_days
        self.prune_every_s = prune_every_s
        self._last_prune: float | None = None
        #: only a training hub (kiosk.shell.training_hub.LocalHub) may receive training events
        self.training_hub = training_hub
        self.client = client
        self.batch_size = batch_size
        self.clock = clock
        self.config_every = config_every
        self._passes = 0

    def drain_once(self) -> DrainResult:
        """Send every pending event (batch after batch) and finish waiting certificate requests.

        Stops at the first batch without a usable answer and reports it in ``error``; raises
        only for a refused credential.

        Raises:
            HubUnauthorized: the hub refused the kiosk's credential.
        """
        result = DrainResult()
        try:
            while True:
                batch = outbox.next_batch(self.db, self.batch_size)
                if not batch:
                    break
                self._send(batch, result)
            # Imported here: issuance is optional for a kiosk that never prepares keys offline.
            from kiosk.sync import issuance

            result.certificates = issuance.complete_waiting(self.db, self.client, clock=self.clock)
            if self.config_every and self._passes % self.config_every == 0:
                from kiosk.sync import hubconfig

                result.config_updated = hubconfig.refresh(self.db, self.client)
                if result.config_updated:
                    self._import_roster(result)
            self._passes += 1
        except HubUnavailable as e:
            result.error = e.message
            outbox.set_state(
                self.db,
                {"online": "0", "last_attempt": self.clock(), "last_error": e.message},
            )
            return result
        except HubUnauthorized as e:
            outbox.set_state(
                self.db, {"online": "0", "last_attempt": self.clock(), "last_error": e.message}
            )
            raise
        now = self.clock()
        outbox.set_state(
            self.db, {"online": "1", "last_attempt": now, "last_success": now, "last_error": None}
        )
        self._prune(result)
        return result

    def _prune(self, result: DrainResult) -> None:
        """Delete long-acknowledged events (the outbox would otherwise grow for ever)."""
        if self.keep_sent_days <= 0:
            return
        tick = time.monotonic()
        if self._last_prune is not None and tick - self._last_prune < self.prune_every_s:
            return
        self._last_prune = tick
        try:
            result.pruned = outbox.prune_sent(self.db, outbox.cutoff(self.keep_sent_days))
        except (sqlite3.Error, StoreError) as e:
            # A busy database is no reason to stop sending; the next hour tries again.
            log.warning("could not prune the outbox: %s", e)
            return
        if result.pruned:
            log.info(
                "pruned %d event(s) acknowledged over %d days ago",
                result.pruned,
                self.keep_sent_days,
            )

    def _import_roster(self, result: DrainResult) -> None:
        """Cache the hub's ``staff_roster`` in the local roster, so sign-in works offline.

        The document is a list of entries or ``{"staff": [...]}`` (``Roster.import_from_hub``).
        A roster the kiosk refuses is reported in ``result.roster_error`` and logged; the
        previous local roster stays and the sync goes on.
        """
        from data.store import Store
        from kiosk.errors import KioskError
        from kiosk.staff.roster import Roster
        from kiosk.sync import hubconfig

        doc = hubconfig.document(self.db, "staff_roster")
        if doc is None:
            return
        entries = doc.get("staff", []) if isinstance(doc, dict) else doc
        try:
            result.roster_imported = Roster(Store(self.db, None)).import_from_hub(entries)
        except (KioskError, KeyError, TypeError, ValueError) as e:
            result.roster_error = f"the hub's staff roster was not imported: {e}"
            log.warning("%s", result.roster_error)

    def _hold_training(self, batch: list[outbox.OutboxEvent]) -> list[outbox.OutboxEvent]:
        """Quarantine events of training visits instead of sending them to a production hub.

        An event is a training one when its payload says ``"training": true`` or its visit
        (by order number or row id) is marked ``training = 1`` in the visit journal, so events
        other areas queue for a training visit are held too.
        """
        if self.training_hub:
            return batch
        held: dict[str, str] = {}
        for ev in batch:
            try:
                flagged = bool(json.loads(ev.payload).get("training"))
            except (ValueError, AttributeError):
                flagged = False
            if not flagged and ev.visit_id:
                try:
                    row = (
                        outbox.connection(self.db)
                        .execute(
                            "SELECT training FROM visits "
                            "WHERE order_no = ? OR CAST(id AS TEXT) = ?",
                            (ev.visit_id, ev.visit_id),
                        )
                        .fetchone()
                    )
                except sqlite3.Error:
                    row = None
                flagged = bool(row and row[0])
            if flagged:
                held[ev.event_id] = "training event: never sent to a production hub"
        if held:
            outbox.record_results(self.db, [], held, now=self.clock())
            log.warning("held %d training event(s) back from a production hub", len(held))
        return [ev for ev in batch if ev.event_id not in held]

    def _send(self, batch: list[outbox.OutboxEvent], result: DrainResult) -> None:
        batch = self._hold_training(batch)
        if not batch:
            return
        try:
            answers = self.client.send_outbox(batch)
        except (HubUnavailable, HubRefused) as e:
            # No per-event answer: nothing is known to be stored, so nothing is marked.
            outbox.record_failed_attempt(self.db, (ev.event_id for ev in batch), e.message)
            if isinstance(e, HubRefused):
                raise HubUnavailable(f"the hub refused the whole batch: {e.message}") from e
            raise
        acked = []
        rejected = {}
        for ans in answers:
            if ans.status == "rejected":
                rejected[ans.event_id] = ans.reason or "rejected by the hub"
            else:
                acked.append(ans.event_id)
                if ans.status == "duplicate":
                    result.duplicates += 1
        outbox.record_results(self.db, acked, rejected, now=self.clock())
        result.sent += len(acked)
        result.quarantined += len(rejected)
        result.batches += 1
        if rejected:
            log.warning("hub rejected %d event(s); quarantined", len(rejected))

    def run(
        self,
        stop: threading.Event,
        *,
        idle_interval: float = 1.0,
        backoff: Backoff | None = None,
        on_result: Callable[[DrainResult], None] | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        """Drain until ``stop`` is set: poll every ``idle_interval`` while healthy, back off with
        jitter while the hub is unreachable; ``wake`` (set it, and on stop too) drains at once.

        Raises:
            HubUnauthorized: the credential is refused (staff must enrol the kiosk again).
        """
        backoff = backoff or Backoff()
        while not stop.is_set():
            result = self.drain_once()
            if on_result is not None:
                on_result(result)
            if result.ok:
                backoff.reset()
                delay = idle_interval
            else:
                delay = backoff.next_delay()
                log.info("hub unavailable (%s); retrying in %.2fs", result.error, delay)
            # A wake (new events committed) cuts the wait short; stop sets it too.
            waiter = wake if wake is not None else stop
            waiter.wait(delay)
            if wake is not None:
                wake.clear()
