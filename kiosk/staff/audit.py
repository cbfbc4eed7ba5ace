"""The append-only, hash-chained audit log.

Every privileged act (sign-in, an override and its approval, a refusal, the day close) is one row:
who, role, action, outcome, visit, reason, before and after, approver, time, and the hash of the
previous row. ``row_hash`` is SHA-256 over the row's canonical JSON (every column except
``row_hash`` itself, ``prev_hash`` included), so changing any stored byte of a row breaks that row's
hash, and removing or reordering rows breaks the link of the next one. :func:`verify` walks the
chain and names the first broken row.

SQLite triggers refuse UPDATE and DELETE on the table as a second line of defence; the chain is
what :func:`verify` trusts (whoever can edit the file can also drop a trigger). Each row is also an
outbox event (``audit.appended``) written in the same transaction, so the hub holds a copy and can
notice a rewritten tail that the local chain alone cannot.

Usage (inside the transaction of the change being audited)::

    with store.atomic() as db:
        ...  # the change
        audit.append(db, action="override.fee_waiver", actor=actor, visit_id=7, ...)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from data.store import utc_now
from kiosk.staff import events

if TYPE_CHECKING:
    import sqlite_utils

#: prev_hash of the first row.
GENESIS = "0" * 64

Outcome = Literal["done", "requested", "refused"]

# Column order of the hashed content (row_hash excluded). Changing it breaks every stored chain.
HASHED_COLUMNS = (
    "seq",
    "at",
    "staff_no",
    "role",
    "action",
    "outcome",
    "visit_id",
    "reason_code",
    "reason_note",
    "before",
    "after",
    "approver_no",
    "approver_role",
    "prev_hash",
)


@dataclass(frozen=True, slots=True)
class Actor:
    """A staff member acting (or approving): what the audit row records of them."""

    staff_no: str
    role: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One stored audit row."""

    seq: int
    at: str
    staff_no: str | None
    role: str | None
    action: str
    outcome: str
    visit_id: int | None
    reason_code: str | None
    reason_note: str | None
    before: str | None
    after: str | None
    approver_no: str | None
    approver_role: str | None
    prev_hash: str
    row_hash: str

    def as_dict(self) -> dict[str, Any]:
        """The row as a plain dict (the outbox payload and the CLI's JSON)."""
        return {c: getattr(self, c) for c in (*HASHED_COLUMNS, "row_hash")}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What :func:`verify` found.

    Attributes:
        ok: the whole chain holds.
        rows: rows checked.
        broken_seq: the first broken row's seq (None when ok).
        problem: what is wrong with it, in words.
        head_hash: row_hash of the last row (GENESIS when empty): compare with the hub's copy.
    """

    ok: bool
    rows: int
    broken_seq: int | None = None
    problem: str = ""
    head_hash: str = GENESIS


def canonical_json(value: Any) -> str | None:
    """JSON text as stored and hashed: sorted keys, no spaces, UTF-8 kept (None stays None)."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a row's hashed columns in canonical JSON."""
    content = {c: row.get(c) for c in HASHED_COLUMNS}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _head(db: sqlite_utils.Database) -> tuple[int, str]:
    row = db.execute("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def append(
    db: sqlite_utils.Database,
    *,
    action: str,
    actor: Actor | None,
    outcome: Outcome = "done",
    visit_id: int | None = None,
    reason_code: str | None = None,
    reason_note: str | None = None,
    before: Any = None,
    after: Any = None,
    approver: Actor | None = None,
) -> AuditEntry:
    """Append one row to the chain and queue it for the hub, in one transaction.

    Joins the caller's transaction when there is one (a savepoint), so the row commits with the
    change it records, or not at all.

    Args:
        db: the ``sqlite_utils.Database`` (``store.db``).
        action: dotted action name (``staff.sign_in``, ``override.refund``).
        actor: who acted (None: the kiosk itself).
        outcome: ``done``, ``requested`` (waiting for approval) or ``refused``.
        visit_id: the visit concerned.
        reason_code: the typed reason.
        reason_note: free text beside it.
        before: JSON-serialisable state before.
        after: JSON-serialisable state after.
        approver: the second staff member, for dual control.

    Returns:
        The stored row.
    """
    with db.atomic():
        last_seq, prev = _head(db)
        row: dict[str, Any] = {
            "seq": last_seq + 1,
            "at": utc_now(),
            "staff_no": actor.staff_no if actor else None,
            "role": actor.role if actor else None,
            "action": action,
            "outcome": outcome,
            "visit_id": visit_id,
            "reason_code": reason_code,
            "reason_note": reason_note,
            "before": canonical_json(before),
            "after": canonical_json(after),
            "approver_no": approver.staff_no if approver else None,
            "approver_role": approver.role if approver else None,
            "prev_hash": prev,
        }
        row["row_hash"] = row_hash(row)
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        # seq is the primary key: a concurrent writer that read the same head fails here
        # instead of forking the chain.
        db.execute(f"INSERT INTO audit_log ({cols}) VALUES ({marks})", list(row.values()))
        events.publish(db, "audit.appended", row, visit_id=visit_id)
    return AuditEntry(**row)


def entries(
    db: sqlite_utils.Database, *, visit_id: int | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Rows in chain order (optionally one visit's, optionally only the last ``limit``)."""
    sql = "SELECT * FROM audit_log"
    args: list[Any] = []
    if visit_id is not None:
        sql += " WHERE visit_id = ?"
        args.append(visit_id)
    sql += " ORDER BY seq"
    cols = _columns(db)
    rows = [AuditEntry(**dict(zip(cols, r, strict=True))) for r in _iter(db, sql, args)]
    return rows[-limit:] if limit else rows


def _iter(db: sqlite_utils.Database, sql: str, args: list[Any]) -> Iterator[tuple[Any, ...]]:
    cur = db.execute(sql, args)
    yield from cur


def _columns(db: sqlite_utils.Database) -> list[str]:
    return [r[1] for r in db.execute("PRAGMA table_info(audit_log)").fetchall()]


def verify(db: sqlite_utils.Database) -> VerifyResult:
    """Walk the chain from the first row; stop at the first broken one.

    A row is broken when its seq is not the next number (a row was removed or inserted), its
    prev_hash is not the previous row's row_hash (rows removed, reordered or replaced), or its
    row_hash does not match its content (the row was edited).
    """
    cols = _columns(db)
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for values in db.execute(f"SELECT {', '.join(cols)} FROM audit_log ORDER BY seq"):
        row = dict(zip(cols, values, strict=True))
        seq = row["seq"]
        count += 1
        if seq != expected_seq:
            return VerifyResult(
                False,
                count,
                seq,
                f"row {seq}: expected row {expected_seq} here; rows "
                f"{expected_seq}..{seq - 1} are missing",
                expected_prev,
            )
        if row["prev_hash"] != expected_prev:
            return VerifyResult(
                False,
                count,
                seq,
                f"row {seq}: prev_hash does not match row {seq - 1}'s hash "
                "(a row before it was removed, replaced or reordered)",
                expected_prev,
            )
        if row_hash(row) != row["row_hash"]:
            return VerifyResult(
                False,
                count,
                seq,
                f"row {seq}: content does not match its hash (the row was edited)",
                expected_prev,
            )
        expected_prev = row["row_hash"]
        expected_seq = seq + 1
    return VerifyResult(True, count, None, "", expected_prev)
