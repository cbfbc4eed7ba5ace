"""The keys' tables (migration 0010): key records, lifecycle history, issuance jobs and steps.

Takes a ``sqlite_utils.Database`` (``Store.db``); every write that belongs together runs in one
``db.atomic()`` block. Nothing here ever sees a clear PIN.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from kiosk.domain.clock import SYSTEM_CLOCK, Clock, storage_now
from kiosk.keys.lifecycle import KeyState, check_transition


@dataclass(frozen=True)
class KeyRecord:
    """One key as the kiosk knows it."""

    serial: str
    state: KeyState
    label: str
    so_pin_enc: bytes | None
    key_id: bytes | None
    algorithm: str | None
    kind: str | None
    subject: dict[str, str]
    unit_uscc: str | None
    cert_serial: str | None
    cert_not_after: datetime | None
    cert_der: bytes | None
    seal_es_id: str | None
    seal_der: bytes | None
    issuances: int
    renewals: int
    pin_resets: int
    #: the encryption certificate (key escrow, migration 0011), when the KMC delivered one.
    enc_cert_serial: str | None = None
    enc_cert_der: bytes | None = None

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> KeyRecord:
        return cls(
            serial=r["serial"],
            state=KeyState(r["state"]),
            label=r["label"],
            so_pin_enc=r["so_pin_enc"],
            key_id=bytes.fromhex(r["key_id"]) if r["key_id"] else None,
            algorithm=r["algorithm"],
            kind=r["kind"],
            subject=json.loads(r["subject"] or "{}"),
            unit_uscc=r["unit_uscc"],
            cert_serial=r["cert_serial"],
            cert_not_after=_parse(r["cert_not_after"]),
            cert_der=r["cert_der"],
            seal_es_id=r["seal_es_id"],
            seal_der=r["seal_der"],
            issuances=r["issuances"],
            renewals=r["renewals"],
            pin_resets=r["pin_resets"],
            enc_cert_serial=r.get("enc_cert_serial"),
            enc_cert_der=r.get("enc_cert_der"),
        )


@dataclass(frozen=True)
class KeyJob:
    """A service in progress on a key (one per order number and service)."""

    id: int
    order_no: str
    service: str
    state: str
    key_serial: str | None
    key_id: bytes | None
    so_pin_enc: bytes | None
    params: dict[str, Any]
    csr_der: bytes | None
    cert_der: bytes | None
    seal_der: bytes | None
    last_step: str
    enc_cert_der: bytes | None = None

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> KeyJob:
        return cls(
            id=r["id"],
            order_no=r["order_no"],
            service=r["service"],
            state=r["state"],
            key_serial=r["key_serial"],
            key_id=bytes.fromhex(r["key_id"]) if r["key_id"] else None,
            so_pin_enc=r["so_pin_enc"],
            params=json.loads(r["params"] or "{}"),
            csr_der=r["csr_der"],
            cert_der=r["cert_der"],
            seal_der=r["seal_der"],
            last_step=r["last_step"],
            enc_cert_der=r.get("enc_cert_der"),
        )


def _parse(s: str | None) -> datetime | None:
    if not s:
        return None
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def iso(t: datetime) -> str:
    """A UTC time as stored."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class KeyRepository:
    """Reads and writes the keys' tables.

    Args:
        db: an open database whose schema includes migration 0010 (``Store.open`` applies it).
        on_event: optional; see :attr:`on_event`.
        clock: where the stored times come from.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        *,
        on_event: Callable[[sqlite_utils.Database, str, dict[str, Any]], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.db = db
        self.clock = clock
        #: called inside the writing transaction with (db, event type, payload): the seam for
        #: the outbox (``key.transition`` events), so the change and its event commit together.
        self.on_event = on_event

    def _now(self) -> str:
        return storage_now(self.clock)

    # -- keys --------------------------------------------------------------------------------

    def _first(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        """The first row of a read on the hot path, straight from the connection.

        sqlite-utils' ``query`` wraps every read in a SAVEPOINT and its RELEASE (a transaction
        of its own outside ``atomic()``); an issuance reads its job about twenty times.
        """
        cur = self.db.conn.execute(sql, params)
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip((d[0] for d in cur.description), row, strict=True))

    def get(self, serial: str) -> KeyRecord | None:
        """The record of a key, or None when the kiosk never saw it."""
        row = self._first("SELECT * FROM keys WHERE serial = ?", [serial])
        return KeyRecord.from_row(row) if row is not None else None

    def all(self) -> list[KeyRecord]:
        """Every key the kiosk knows."""
        return [KeyRecord.from_row(r) for r in self.db.query("SELECT * FROM keys ORDER BY serial")]

    def upsert(self, serial: str, **fields: Any) -> None:
        """Create or update a key's record (state defaults to blank when new)."""
        now = self._now()
        for k in ("subject",):
            if k in fields and not isinstance(fields[k], str):
                fields[k] = json.dumps(fields[k], ensure_ascii=False)
        if "key_id" in fields and isinstance(fields["key_id"], bytes):
            fields["key_id"] = fields["key_id"].hex()
        if "cert_not_after" in fields and isinstance(fields["cert_not_after"], datetime):
            fields["cert_not_after"] = iso(fields["cert_not_after"])
        with self.db.atomic():
            if self.get(serial) is None:
                row = {
                    "serial": serial,
                    "state": KeyState.BLANK.value,
                    "label": "",
                    "created_at": now,
                    "updated_at": now,
                    **fields,
                }
                self._insert("keys", row)
            else:
                self._update("keys", "serial", serial, {**fields, "updated_at": now})

    def transition(
        self,
        serial: str,
        target: KeyState,
        *,
        actor: str,
        reason: str,
        order_no: str | None = None,
        wipe: bool = False,
        **fields: Any,
    ) -> None:
        """Move a key to ``target`` (checked against the allowed list) and record who/why/when.

        Extra ``fields`` are written in the same transaction.

        Raises:
            KeyStateError: the transition is not allowed.
        """
        with self.db.atomic():
            rec = self.get(serial)
            current = rec.state if rec else KeyState.BLANK
            check_transition(current, target, wipe=wipe)
            self.upsert(serial, state=target.value, **fields)
            self._insert(
                "key_transitions",
                {
                    "serial": serial,
                    "from_state": current.value,
                    "to_state": target.value,
                    "actor": actor,
                    "reason": reason,
                    "order_no": order_no,
                    "at": self._now(),
                },
            )
            if self.on_event is not None:
                self.on_event(
                    self.db,
                    "key.transition",
                    {
                        "serial": serial,
                        "from": current.value,
                        "to": target.value,
                        "actor": actor,
                        "reason": reason,
                        "order_no": order_no,
                    },
                )

    def bump(self, serial: str, counter: str) -> None:
        """Add one to a per-key counter: ``issuances``, ``renewals`` or ``pin_resets``."""
        if counter not in ("issuances", "renewals", "pin_resets"):
            raise ValueError(counter)
        self.db.execute(
            f"UPDATE keys SET {counter} = {counter} + 1, updated_at = ? WHERE serial = ?",
            [self._now(), serial],
        )

    def history(self, serial: str) -> list[dict[str, Any]]:
        """The key's transitions, oldest first."""
        return list(
            self.db.query(
                "SELECT from_state, to_state, actor, reason, order_no, at FROM key_transitions "
                "WHERE serial = ? ORDER BY id",
                [serial],
            )
        )

    # -- jobs --------------------------------------------------------------------------------

    def job(self, order_no: str, service: str) -> KeyJob | None:
        """The job of one visit's service, or None."""
        row = self._first(
            "SELECT * FROM key_jobs WHERE order_no = ? AND service = ?", [order_no, service]
        )
        return KeyJob.from_row(row) if row is not None else None

    def job_by_id(self, job_id: int) -> KeyJob:
        """A job by id."""
        row = self._first("SELECT * FROM key_jobs WHERE id = ?", [job_id])
        if row is None:
            raise LookupError(f"no key job {job_id}")
        return KeyJob.from_row(row)

    # Plain SQL for the hot path: sqlite-utils' insert/update introspect the schema on every
    # call, which costs more than the write itself (the issuance benchmark showed it).
    def _insert(self, table: str, row: dict[str, Any]) -> None:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))

    def _update(self, table: str, key: str, value: Any, fields: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = ?" for c in fields)
        self.db.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", [*fields.values(), value])

    def jobs_for_label(self, label: str) -> list[KeyJob]:
        """Jobs whose order number is the token label, newest first."""
        return [
            KeyJob.from_row(r)
            for r in self.db.query(
                "SELECT * FROM key_jobs WHERE order_no = ? ORDER BY id DESC", [label]
            )
        ]

    def running_jobs(self) -> list[KeyJob]:
        """Jobs started and not finished (to resume after a crash)."""
        return [
            KeyJob.from_row(r)
            for r in self.db.query("SELECT * FROM key_jobs WHERE state = 'running' ORDER BY id")
        ]

    def start_job(self, order_no: str, service: str, params: dict[str, Any]) -> KeyJob:
        """Create the job (or return the existing one: starting twice resumes)."""
        existing = self.job(order_no, service)
        if existing is not None:
            return existing
        now = self._now()
        with self.db.atomic():
            self._insert(
                "key_jobs",
                {
                    "order_no": order_no,
                    "service": service,
                    "state": "running",
                    "params": json.dumps(params, ensure_ascii=False),
                    "last_step": "",
                    "created_at": now,
                    "updated_at": now,
                },
            )
        job = self.job(order_no, service)
        assert job is not None
        return job

    def update_job(self, job_id: int, **fields: Any) -> KeyJob:
        """Write job fields (bytes ids as hex, params as JSON)."""
        if "key_id" in fields and isinstance(fields["key_id"], bytes):
            fields["key_id"] = fields["key_id"].hex()
        if "params" in fields and not isinstance(fields["params"], str):
            fields["params"] = json.dumps(fields["params"], ensure_ascii=False)
        self._update("key_jobs", "id", job_id, {**fields, "updated_at": self._now()})
        return self.job_by_id(job_id)

    def journal(self, job_id: int, step: str, state: str) -> None:
        """One journal row and nothing else (a step ``started``: the job row is unchanged)."""
        self._insert(
            "key_job_steps",
            {"job_id": job_id, "step": step, "state": state, "detail": "{}", "at": self._now()},
        )

    def record_step(
        self,
        job_id: int,
        step: str,
        state: str,
        detail: dict[str, Any] | None = None,
        *,
        then_start: str | None = None,
        **job_fields: Any,
    ) -> KeyJob:
        """Journal one step (and, when done, the job's ``last_step``) in one transaction.

        Args:
            then_start: the next step, journalled ``started`` in the same transaction (one
                commit instead of two between two steps). The rows are the ones two separate
                writes would make; a crash after the commit leaves the next step ``started``
                and not done, which a resume repeats as it repeats any step cut short.
        """
        now = self._now()
        with self.db.atomic():
            self._insert(
                "key_job_steps",
                {
                    "job_id": job_id,
                    "step": step,
                    "state": state,
                    "detail": json.dumps(detail or {}, ensure_ascii=False),
                    "at": now,
                },
            )
            if then_start is not None:
                self._insert(
                    "key_job_steps",
                    {
                        "job_id": job_id,
                        "step": then_start,
                        "state": "started",
                        "detail": "{}",
                        "at": now,
                    },
                )
            if state == "done":
                job_fields["last_step"] = step
            return self.update_job(job_id, **job_fields)

    def count_failed(self, job_id: int, step: str, needle: str) -> int:
        """How many times the journal has ``step`` failed with ``needle`` in its detail.

        One counting read on the hot path (a CA call's idempotency key) instead of the whole
        journal through sqlite-utils' savepoint-wrapped query.
        """
        row = self._first(
            "SELECT COUNT(*) AS n FROM key_job_steps"
            " WHERE job_id = ? AND step = ? AND state = 'failed' AND instr(detail, ?) > 0",
            [job_id, step, needle],
        )
        return int(row["n"]) if row is not None else 0

    def steps(self, job_id: int) -> list[dict[str, Any]]:
        """The journal of a job, oldest first."""
        return list(
            self.db.query(
                "SELECT step, state, detail, at FROM key_job_steps WHERE job_id = ? ORDER BY id",
                [job_id],
            )
        )
