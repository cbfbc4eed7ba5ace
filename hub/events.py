"""Ingest of kiosk events: each event id is stored once, enforced by a unique constraint.

A batch is validated event by event and written in one transaction; the answer says, per event,
``stored`` (new), ``duplicate`` (already stored: the kiosk resent after a lost answer) or
``rejected`` with a reason (the kiosk quarantines it and goes on). The hub commits before it
answers, so an answer always describes stored state; a batch cut short by a crash is rolled back
as a whole and resent whole.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime
from typing import Any

from hub.db import HubDB
from hub.issuing import STATION_CLASH
from kiosk.domain.clock import storage_now

MAX_BATCH = 1000
MAX_PAYLOAD_BYTES = 64 * 1024
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# The canonical form the kiosks send; anything else goes through uuid.UUID to be normalised.
CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _check(event: Any) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """(event_id, reason, normalised row): reason is None when the event is acceptable."""
    if not isinstance(event, dict):
        return None, "event is not an object", None
    raw_id = event.get("event_id")
    if isinstance(raw_id, str) and CANONICAL_UUID.match(raw_id):
        event_id: str | None = raw_id
    else:
        try:
            event_id = str(uuid.UUID(raw_id)) if isinstance(raw_id, str) else None
        except ValueError:
            event_id = None
    if event_id is None:
        return (raw_id if isinstance(raw_id, str) else None), "event_id is not a UUID", None
    kind = event.get("kind")
    if not isinstance(kind, str) or len(kind) > 64 or not KIND_PATTERN.match(kind):
        return event_id, "kind is not a dotted lower-case name", None
    visit_id = event.get("visit_id")
    if visit_id is not None and (not isinstance(visit_id, str) or len(visit_id) > 64):
        return event_id, "visit_id must be a string of at most 64 characters", None
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return event_id, "payload is not an object", None
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        return event_id, f"payload is over {MAX_PAYLOAD_BYTES} bytes", None
    created = event.get("created_at")
    # Kiosk clocks may be skewed: any well-formed UTC time is accepted and kept as sent; the
    # hub's own received_at is what orders arrivals here.
    if not _is_utc_time(created):
        return event_id, "created_at is not a UTC ISO-8601 time", None
    row = {
        "event_id": event_id,
        "visit_id": visit_id,
        "kind": kind,
        "payload": text,
        "created_at": created,
    }
    return event_id, None, row


_UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


def _is_utc_time(value: Any) -> bool:
    if not isinstance(value, str) or not _UTC_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def ingest(db: HubDB, kiosk: str, events: list[Any]) -> list[dict[str, Any]]:
    """Store a batch; return one result per event, in the batch's order.

    Each result is ``{"event_id", "status": "stored"|"duplicate"|"rejected"[, "reason"]}``.

    The unique constraint on ``event_id`` decides: new rows go in with ``ON CONFLICT DO
    NOTHING`` in one ``executemany``; when fewer rows went in than were new a moment before
    (another hub process won a race), the batch is classified again row by row.
    """
    received = storage_now()
    results: list[dict[str, Any]] = []
    valid: list[tuple[Any, ...]] = []
    for event in events:
        event_id, reason, row = _check(event)
        if reason is not None or row is None:
            results.append({"event_id": event_id, "status": "rejected", "reason": reason})
            continue
        digest = hashlib.sha256(
            "\x1f".join(
                (kiosk, row["kind"], row["visit_id"] or "", row["payload"], row["created_at"])
            ).encode()
        ).hexdigest()
        results.append({"event_id": event_id, "status": "stored"})
        valid.append(
            (
                event_id,
                kiosk,
                row["visit_id"],
                row["kind"],
                row["payload"],
                row["created_at"],
                received,
                digest,
            )
        )
    if not valid:
        return results
    try:
        with db.transaction() as tx:
            existing = _existing(tx, [v[0] for v in valid])
            fresh = [v for v in valid if v[0] not in existing]
            if fresh and tx.executemany(_INSERT, fresh) != len(fresh):
                raise _Raced
    except _Raced:
        existing = _row_by_row(db, valid)
    by_id = {v[0]: v for v in valid}
    for res in results:
        if res["status"] != "stored":
            continue
        stored = existing.get(res["event_id"])
        if stored is None:
            continue
        digest, owner = stored
        if digest == by_id[res["event_id"]][7]:
            res["status"] = "duplicate"
        elif owner != kiosk:
            res.update(
                status="rejected",
                reason="event_id already stored with different content" + STATION_CLASH,
            )
        else:
            res.update(status="rejected", reason="event_id already stored with different content")
    return results


_INSERT = (
    "INSERT INTO events (event_id, kiosk, visit_id, kind, payload, created_at, received_at, "
    "digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING"
)


class _Raced(Exception):
    """Another writer stored some of the batch between our look and our insert."""


def _row_by_row(db: HubDB, valid: list[tuple[Any, ...]]) -> dict[str, tuple[str, str]]:
    # Each row's own INSERT tells whether it went in; the ones that did not were there already.
    existing: dict[str, tuple[str, str]] = {}
    with db.transaction() as tx:
        for row in valid:
            if not tx.execute(_INSERT, row):
                found = tx.one("SELECT digest, kiosk FROM events WHERE event_id = ?", (row[0],))
                existing[row[0]] = (found[0], found[1]) if found else ("", "")
    return existing


def _existing(tx: Any, ids: list[str]) -> dict[str, tuple[str, str]]:
    """event id -> (digest, kiosk) of the ones already stored."""
    out: dict[str, tuple[str, str]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = tx.all(
            f"SELECT event_id, digest, kiosk FROM events WHERE event_id IN ({marks})", chunk
        )
        out.update((r[0], (r[1], r[2])) for r in rows)
    return out


def counts_by_kiosk(db: HubDB) -> dict[str, int]:
    """Stored events per kiosk (for the tests' final count and `kiosk hub stats`)."""
    with db.transaction() as tx:
        return dict(tx.all("SELECT kiosk, count(*) FROM events GROUP BY kiosk"))
