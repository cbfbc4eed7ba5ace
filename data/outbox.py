"""The transactional outbox: record an event for the hub in the same transaction as a change.

Every part of the kiosk that changes something the hub must learn (a payment, a visit step, an
issued key, a refund) calls :func:`enqueue` inside the same ``with db.atomic():`` block as the
change itself. Either both are committed or neither is, so the hub never learns of a change that
was rolled back, and never misses one that was kept::

    from data import outbox

    with db.atomic():
        db["payments"].insert(row)
        outbox.enqueue(db, kind="payment.recorded", payload=row, visit_id=row["visit_id"])

The sync worker (:mod:`kiosk.sync.worker`) reads pending rows in ``seq`` order, sends them in
batches, and marks each one sent only when the hub acknowledges it; an event the hub rejects is
quarantined (kept, shown to staff, retryable) so the rest keep flowing.

This module knows SQL and nothing of HTTP; it takes a ``sqlite_utils.Database`` (or anything with
a ``conn`` attribute holding a ``sqlite3.Connection``, or the connection itself).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TypeAlias

from kiosk.errors import StoreError, UsageError

#: Event kinds are dotted lower-case names, ``area.what_happened`` (``payment.recorded``).
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
#: The hub refuses larger payloads; refusing them here keeps a bad event out of the queue.
MAX_PAYLOAD_BYTES = 64 * 1024

State = Literal["pending", "sent", "quarantined"]


def utc_now() -> str:
    """Now in UTC as ISO-8601 with a ``Z`` (the storage format of every time in the project)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class HasConnection(Protocol):
    """A ``sqlite_utils.Database``, or anything else that holds its connection as ``conn``."""

    @property
    def conn(self) -> sqlite3.Connection: ...


#: What every function here takes: a database object with a connection, or the connection.
Db: TypeAlias = HasConnection | sqlite3.Connection


def connection(db: Db) -> sqlite3.Connection:
    """The ``sqlite3.Connection`` behind ``db`` (TypeError for anything else)."""
    conn = getattr(db, "conn", db)
    if not isinstance(conn, sqlite3.Connection):
        raise TypeError(f"expected a sqlite_utils.Database or sqlite3.Connection, got {type(db)!r}")
    return conn


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One queued event, as the worker sends it.

    Attributes:
        seq: local order of the event (send order).
        event_id: the UUID the hub deduplicates on.
        visit_id: the visit the event belongs to, or None for kiosk-wide events.
        kind: dotted event name (``payment.recorded``).
        payload: the JSON text of the payload (already serialised).
        created_at: kiosk time (UTC, ``Z``) when the change was committed.
        attempts: how many times it was sent without an acknowledgement.
    """

    seq: int
    event_id: str
    visit_id: str | None
    kind: str
    payload: str
    created_at: str
    attempts: int

    def wire(self) -> dict[str, Any]:
        """The event as the hub's ingest endpoint expects it."""
        return {
            "event_id": self.event_id,
            "visit_id": self.visit_id,
            "kind": self.kind,
            "payload": json.loads(self.payload),
            "created_at": self.created_at,
        }


def enqueue(
    db: Db,
    *,
    kind: str,
    payload: Mapping[str, Any],
    visit_id: str | None = None,
    event_id: str | None = None,
    created_at: str | None = None,
) -> str:
    """Queue one event for the hub, inside the caller's transaction.

    Call it inside the same ``with db.atomic():`` block as the change it reports; it opens no
    transaction of its own (outside one, the single INSERT commits by itself).

    Args:
        db: the kiosk's ``sqlite_utils.Database`` (or its ``sqlite3.Connection``).
        kind: dotted lower-case event name, e.g. ``"payment.recorded"``.
        payload: a JSON-serialisable mapping (money in integer fen, times UTC ISO with ``Z``).
        visit_id: the visit the event belongs to (events of one visit are sent in order).
        event_id: a UUID to reuse (a step that may run twice passes the same id, so the event is
            queued once); default a new UUID4.
        created_at: override the kiosk time (tests); default now, UTC.

    Returns:
        The event id.

    Raises:
        UsageError: kind is malformed, payload is not a JSON object or is over 64 KiB, or
            event_id is not a UUID.
        StoreError: the outbox table is missing (migrations not applied) or the write failed.
    """
    if not isinstance(kind, str) or not KIND_PATTERN.match(kind) or len(kind) > 64:
        raise UsageError(
            f"outbox event kind {kind!r} is not a dotted lower-case name like 'payment.recorded'",
            code="outbox.bad_kind",
        )
    if not isinstance(payload, Mapping):
        raise UsageError(
            "outbox payload must be a JSON object (a mapping)", code="outbox.bad_payload"
        )
    try:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError) as e:
        raise UsageError(
            f"outbox payload for {kind} is not JSON-serialisable: {e}", code="outbox.bad_payload"
        ) from e
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise UsageError(
            f"outbox payload for {kind} is over {MAX_PAYLOAD_BYTES} bytes; store large data "
            "locally and send a reference",
            code="outbox.payload_too_large",
        )
    if event_id is None:
        event_id = str(uuid.uuid4())
    else:
        try:
            event_id = str(uuid.UUID(event_id))
        except (ValueError, AttributeError, TypeError) as e:
            raise UsageError(f"event id {event_id!r} is not a UUID", code="outbox.bad_id") from e
    try:
        connection(db).execute(
            "INSERT INTO outbox (event_id, visit_id, kind, payload, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            (event_id, visit_id, kind, text, created_at or utc_now()),
        )
    except sqlite3.Error as e:
        raise StoreError(f"could not queue event {kind}: {e}", code="outbox.write_failed") from e
    return event_id


def next_batch(db: Db, limit: int) -> list[OutboxEvent]:
    """The oldest pending events, in send order (``seq``), at most ``limit`` of them."""
    rows = connection(db).execute(
        "SELECT seq, event_id, visit_id, kind, payload, created_at, attempts FROM outbox "
        "WHERE state = 'pending' ORDER BY seq LIMIT ?",
        (limit,),
    )
    return [OutboxEvent(*row) for row in rows]


def record_results(
    db: Db,
    acknowledged: Iterable[str],
    rejected: Mapping[str, str],
    *,
    now: str | None = None,
) -> None:
    """Apply the hub's answer to a batch in one transaction.

    Args:
        db: the kiosk database.
        acknowledged: event ids the hub stored now or had stored already (``stored`` and
            ``duplicate`` answers): marked sent.
        rejected: event id -> the hub's reason: quarantined, with the reason kept.
        now: the time to record as ``sent_at`` (default now, UTC).
    """
    conn = connection(db)
    stamp = now or utc_now()
    own_tx = not conn.in_transaction
    if own_tx:
        conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL "
            "WHERE event_id = ? AND state = 'pending'",
            [(stamp, eid) for eid in acknowledged],
        )
        conn.executemany(
            "UPDATE outbox SET state = 'quarantined', attempts = attempts + 1, last_error = ? "
            "WHERE event_id = ? AND state = 'pending'",
            [(reason, eid) for eid, reason in rejected.items()],
        )
    except BaseException:
        if own_tx:
            conn.execute("ROLLBACK")
        raise
    if own_tx:
        conn.execute("COMMIT")


def record_failed_attempt(db: Db, event_ids: Iterable[str], error: str) -> None:
    """Count one unacknowledged send of these events (the hub did not answer usefully)."""
    conn = connection(db)
    ids = list(event_ids)
    own_tx = not conn.in_transaction
    if own_tx:
        conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ? "
            "WHERE event_id = ? AND state = 'pending'",
            [(error[:500], eid) for eid in ids],
        )
    except BaseException:
        if own_tx:
            conn.execute("ROLLBACK")
        raise
    if own_tx:
        conn.execute("COMMIT")


def counts(db: Db) -> dict[State, int]:
    """How many events are pending, sent and quarantined (one indexed query)."""
    result: dict[State, int] = {"pending": 0, "sent": 0, "quarantined": 0}
    for state, n in connection(db).execute("SELECT state, count(*) FROM outbox GROUP BY state"):
        result[state] = n
    return result


def queue_depth(db: Db) -> tuple[int, int]:
    """(pending, quarantined), cheap enough for a status bar: two index-only counts."""
    conn = connection(db)
    pending = conn.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
    quarantined = conn.execute(
        "SELECT count(*) FROM outbox WHERE state = 'quarantined'"
    ).fetchone()[0]
    return pending, quarantined


def list_events(db: Db, state: State, limit: int = 100) -> list[dict[str, Any]]:
    """Events in one state, oldest first, as plain dicts (for the staff screen and export)."""
    cur = connection(db).execute(
        "SELECT seq, event_id, visit_id, kind, payload, created_at, attempts, sent_at, last_error "
        "FROM outbox WHERE state = ? ORDER BY seq LIMIT ?",
        (state, limit),
    )
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]


def retry_quarantined(db: Db, event_ids: Iterable[str] | None = None) -> int:
    """Put quarantined events back in the queue (all of them, or the given ids).

    Returns:
        How many events went back to pending.
    """
    conn = connection(db)
    if event_ids is None:
        cur = conn.execute("UPDATE outbox SET state = 'pending' WHERE state = 'quarantined'")
        return cur.rowcount
    n = 0
    for eid in event_ids:
        n += conn.execute(
            "UPDATE outbox SET state = 'pending' WHERE event_id = ? AND state = 'quarantined'",
            (eid,),
        ).rowcount
    return n


def prune_sent(db: Db, before: str, *, chunk: int = 5000) -> int:
    """Delete events the hub acknowledged before ``before`` (UTC ISO, the ``sent_at`` format).

    Only ``sent`` rows go: pending and quarantined events are kept whatever their age (they are
    the records not yet safe on the hub). The facts behind a sent event stay in the kiosk's own
    tables (visits, payments, keys); the hub keeps the event. Deleted in chunks, each its own
    short transaction, so the print worker and the visit flow never wait long for the write lock.

    Returns:
        How many events were deleted.
    """
    conn = connection(db)
    if conn.in_transaction:
        raise StoreError("prune the outbox outside a transaction", code="outbox.in_transaction")
    total = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            n = conn.execute(
                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox "
                "WHERE state = 'sent' AND sent_at < ? ORDER BY seq LIMIT ?)",
                (before, chunk),
            ).rowcount
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        total += n
        if n < chunk:
            return total


def cutoff(days: float, *, now: datetime | None = None) -> str:
    """The ``sent_at`` value ``days`` before ``now`` (UTC), for :func:`prune_sent`."""
    moment = (now or datetime.now(UTC)) - timedelta(days=days)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def get_state(db: Db, key: str) -> str | None:
    """One value of the ``sync_state`` table (``last_success``, ``last_error``, ``online``...)."""
    row = connection(db).execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def set_state(db: Db, values: Mapping[str, str | None]) -> None:
    """Write values of the ``sync_state`` table (upsert)."""
    connection(db).executemany(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )
