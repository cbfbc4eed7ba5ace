"""The clerk's end-of-day close (日结): X-report, Z-report, counted figures, the day lock.

:func:`day_report` computes a business day's expected figures (visits; payments, refunds and net
per method, per service and per program; key stock opening + received − issued − spoiled =
expected closing; adjusting entries booked on the day; overrides; what is still in flight). An
open day's report is an **X-report**: the same calculation, nothing locked. :func:`close_day`
compares the clerk's counted figures with it and, when everything holds, stores the
**Z-report**, locks the day (``day_closes`` refuses changes; later corrections are
:func:`add_adjustment` rows booked on a later open day), audits the close and queues it for the
hub, all in one transaction. A closed day's report is the stored Z-report, never recomputed.

Rules of the close:
- every counted figure is a non-negative integer of fen (keys: a count);
- a difference beyond ``[day_close] difference_threshold_fen`` (keys:
  ``key_difference_threshold``) needs a note and a supervisor's approval (not the clerk);
- a visit still open or a payment still pending blocks the close unless listed in
  ``carry_over`` (each one, explicitly);
- a day closes once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from data import outbox
from data.store import Store, utc_now
from kiosk.dayclose.source import METHODS, load_day
from kiosk.domain import clock
from kiosk.domain.services import NAMES_ZH
from kiosk.errors import DomainError, StaffError, StoreError, UsageError
from kiosk.staff import audit
from kiosk.staff.audit import canonical_json
from kiosk.staff.daylock import closed_report, is_closed
from kiosk.staff.roster import Role, StaffMember, StaffSession, require_role

if TYPE_CHECKING:
    import sqlite3

    import sqlite_utils

    from kiosk.config import Settings

METHOD_ZH = {"card": "刷卡", "wechat": "微信支付", "alipay": "支付宝", "transfer": "转账"}
SERVICE_ZH = NAMES_ZH  # the services' names, defined once in the domain


@dataclass(frozen=True, slots=True)
class DayCloseRules:
    """What the close checks against (``[day_close]`` of kiosk.toml)."""

    counter_id: str = "DG"
    timezone: str = "Asia/Shanghai"
    difference_threshold_fen: int = 0
    key_difference_threshold: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> DayCloseRules:
        """From the whole ``Settings``."""
        return cls(
            counter_id=settings.counter.id,
            timezone=settings.counter.timezone,
            difference_threshold_fen=settings.day_close.difference_threshold_fen,
            key_difference_threshold=settings.day_close.key_difference_threshold,
        )


@dataclass(frozen=True, slots=True)
class Counted:
    """The clerk's counted figures (validated).

    Attributes:
        methods: fen counted per payment method (card terminal settlement, QR bills, transfers).
        keys_in_stock: blank keys counted, or None when the kiosk does not track key stock yet.
        note: the clerk's explanation of differences.
        carry_over_visits: order numbers of open visits carried to the next day.
        carry_over_payments: ids of pending payments carried to the next day.
        qr_source: where the WeChat Pay / Alipay figures came from (``kiosk.dayclose.bill``):
            empty (typed, nobody asked the hub), ``provider_bill`` or ``clerk_typed: why``.
    """

    methods: dict[str, int]
    keys_in_stock: int | None = None
    note: str = ""
    carry_over_visits: list[str] = field(default_factory=list)
    carry_over_payments: list[int] = field(default_factory=list)
    qr_source: str = ""

    def as_dict(self) -> dict[str, Any]:
        """As stored in ``day_closes.counted`` and shown in the Z-report."""
        extra = {"qr_source": self.qr_source} if self.qr_source else {}
        return {
            **extra,
            "methods": dict(self.methods),
            "keys_in_stock": self.keys_in_stock,
            "note": self.note,
            "carry_over": {
                "visits": list(self.carry_over_visits),
                "payments": list(self.carry_over_payments),
            },
        }


def _is_fen(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse_counted(raw: Any, *, source: str = "counted figures") -> Counted:
    """Validate the counted figures (the JSON of ``kiosk day close --counted FILE``).

    Shape::

        {"methods": {"card": 123400, "wechat": 0, "alipay": 60000, "transfer": 140000},
         "keys_in_stock": 37, "note": "",
         "carry_over": {"visits": ["DG-20261121-0012"], "payments": [41]}}

    Raises:
        UsageError: ``day.bad_counted`` naming the key and what is allowed.
    """

    def bad(msg: str) -> UsageError:
        return UsageError(f"{source}: {msg}", code="day.bad_counted")

    if not isinstance(raw, Mapping):
        raise bad("must be a JSON object with 'methods'")
    unknown = set(raw) - {"methods", "keys_in_stock", "note", "carry_over"}
    if unknown:
        raise bad(
            f"unknown keys {sorted(unknown)}; allowed: methods, keys_in_stock, note, carry_over"
        )
    methods = raw.get("methods")
    if not isinstance(methods, Mapping):
        raise bad("'methods' must be an object of method -> fen")
    for m, v in methods.items():
        if m not in METHODS:
            raise bad(f"methods.{m}: unknown payment method; valid: {', '.join(METHODS)}")
        if not _is_fen(v):
            raise bad(f"methods.{m}: {v!r} is not a non-negative integer of fen (1 yuan = 100 fen)")
    missing = [m for m in METHODS if m not in methods]
    if missing:
        raise bad(f"methods: count every method; missing {', '.join(missing)} (0 when none)")
    keys = raw.get("keys_in_stock")
    if keys is not None and not _is_fen(keys):
        raise bad(f"keys_in_stock: {keys!r} is not a non-negative whole number of keys")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise bad("note must be text")
    carry = raw.get("carry_over", {}) or {}
    if not isinstance(carry, Mapping) or set(carry) - {"visits", "payments"}:
        raise bad("carry_over must be {'visits': [order numbers], 'payments': [payment ids]}")
    visits = carry.get("visits", []) or []
    payments = carry.get("payments", []) or []
    if not all(isinstance(v, str) for v in visits):
        raise bad("carry_over.visits: order numbers as text")
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in payments):
        raise bad("carry_over.payments: payment ids as integers")
    return Counted(
        methods={m: int(methods[m]) for m in METHODS},
        keys_in_stock=keys,
        note=note.strip(),
        carry_over_visits=list(visits),
        carry_over_payments=list(payments),
    )


def day_bounds(day: date, timezone: str) -> tuple[str, str]:
    """The business day's UTC bounds [start, end) as stored-time strings."""
    tz = clock.zone(timezone)
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return clock.to_storage(start), clock.to_storage(end)


def local_today(timezone: str) -> date:
    """Today at the counter."""
    return clock.local_today(clock.utc_now(), timezone)


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` business date.

    Raises:
        UsageError: ``day.bad_date``.
    """
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise UsageError(f"date {text!r}: expected YYYY-MM-DD", code="day.bad_date") from None


def day_report(
    store: Store, rules: DayCloseRules, day: date, *, training: bool = False
) -> dict[str, Any]:
    """The day's report: the stored Z-report once closed, otherwise a fresh X-report.

    Args:
        store: the local store.
        rules: counter id, time zone and thresholds.
        day: the business date (the counter's local date).
        training: report training-mode visits.

    Returns:
        A JSON-serialisable dict (see the module docstring); ``report`` is ``"X"`` or ``"Z"``.
    """
    stored = closed_report(store, day)
    if stored is not None:
        return stored
    return _compute(store, rules, day, training=training)


def _compute(store: Store, rules: DayCloseRules, day: date, *, training: bool) -> dict[str, Any]:
    start, end = day_bounds(day, rules.timezone)
    db = store.db
    data = load_day(db, start, end, training=training)
    adjustments = [
        {
            "id": r[0],
            "refers_to": r[1],
            "method": r[2],
            "amount_fen": r[3],
            "reason": r[4],
            "staff_no": r[5],
        }
        for r in db.execute(
            "SELECT id, refers_to, method, amount_fen, reason, staff_no FROM day_adjustments"
            " WHERE business_date = ? ORDER BY id",
            [day.isoformat()],
        )
    ]
    adjust: dict[str, int] = {}
    for a in adjustments:
        adjust[a["method"]] = adjust.get(a["method"], 0) + a["amount_fen"]
    methods = []
    for m in METHODS:
        n_paid, paid = data.paid.get(m, (0, 0))
        n_ref, refunded = data.refunded.get(m, (0, 0))
        methods.append(
            {
                "method": m,
                "name_zh": METHOD_ZH[m],
                "payments": n_paid,
                "paid_fen": paid,
                "refunds": n_ref,
                "refunded_fen": refunded,
                "adjusted_fen": adjust.get(m, 0),
                "expected_fen": paid - refunded + adjust.get(m, 0),
            }
        )
    unknown_methods = sorted(set(data.paid) - set(METHODS))
    keys: dict[str, Any] | None = None
    if "key_stock" not in data.missing:
        k = data.keys
        keys = {
            "opening": k["opening"],
            "received": k["received"],
            "issued": k["issued"],
            "spoiled": k["spoiled"],
            "adjusted": adjust.get("keys", 0),
            "expected_closing": k["opening"]
            + k["received"]
            - k["issued"]
            - k["spoiled"]
            + adjust.get("keys", 0),
        }
    override_counts = {
        kind: n
        for kind, n in db.execute(
            "SELECT kind, count(*) FROM overrides WHERE requested_at >= ? AND requested_at < ?"
            " AND state IN ('done', 'approved') GROUP BY kind ORDER BY kind",
            [start, end],
        )
    }
    return {
        "report": "X",
        "business_date": day.isoformat(),
        "counter": rules.counter_id,
        "timezone": rules.timezone,
        "training": training,
        "generated_at": utc_now(),
        "visits": {"total": sum(data.visits_by_state.values()), "by_state": data.visits_by_state},
        "methods": methods,
        "unknown_methods": unknown_methods,
        "totals": {
            "paid_fen": sum(r["paid_fen"] for r in methods),
            "refunded_fen": sum(r["refunded_fen"] for r in methods),
            "adjusted_fen": sum(r["adjusted_fen"] for r in methods),
            "expected_fen": sum(r["expected_fen"] for r in methods),
        },
        "by_service": [
            {"service": s, "name_zh": SERVICE_ZH.get(s, s), "visits": n, "net_fen": fen}
            for s, (n, fen) in data.by_service.items()
        ],
        "by_program": [
            {"program": p, "visits": n, "net_fen": fen} for p, (n, fen) in data.by_program.items()
        ],
        "keys": keys,
        "adjustments": adjustments,
        "overrides": override_counts,
        "in_flight": {"visits": data.open_visits, "payments": data.pending_payments},
        "missing_sources": data.missing,
    }


def differences(
    report: Mapping[str, Any], counted: Counted, rules: DayCloseRules
) -> list[dict[str, Any]]:
    """Counted minus expected, per method and for the key stock, with the threshold verdict."""
    out = []
    for row in report["methods"]:
        got = counted.methods[row["method"]]
        diff = got - row["expected_fen"]
        out.append(
            {
                "item": row["method"],
                "expected": row["expected_fen"],
                "counted": got,
                "difference": diff,
                "over_threshold": abs(diff) > rules.difference_threshold_fen,
            }
        )
    keys = report.get("keys")
    if keys is not None:
        if counted.keys_in_stock is None:
            raise UsageError(
                "keys_in_stock: count the blank keys in stock (the kiosk tracks them)",
                code="day.bad_counted",
            )
        diff = counted.keys_in_stock - keys["expected_closing"]
        out.append(
            {
                "item": "keys",
                "expected": keys["expected_closing"],
                "counted": counted.keys_in_stock,
                "difference": diff,
                "over_threshold": abs(diff) > rules.key_difference_threshold,
            }
        )
    return out


@dataclass(frozen=True, slots=True)
class ClosePreview:
    """What closing would do: the X-report, the differences, and what blocks it."""

    report: dict[str, Any]
    differences: list[dict[str, Any]]
    needs_approval: bool
    blocking: list[str]


def preview_close(
    store: Store, rules: DayCloseRules, day: date, counted: Counted, *, training: bool = False
) -> ClosePreview:
    """Check a close without doing it (the clerk screen shows this before confirming).

    Raises:
        DomainError: ``day.already_closed``, ``day.future``.
        UsageError: bad counted figures or a carry-over that is not in flight.
    """
    if is_closed(store, day):
        raise DomainError(
            f"{day} is already closed; a correction is an adjusting entry on an open day",
            code="day.already_closed",
        )
    if day > local_today(rules.timezone):
        raise DomainError(f"{day} has not happened yet", code="day.future")
    report = _compute(store, rules, day, training=training)
    flight = report["in_flight"]
    extra_v = sorted(set(counted.carry_over_visits) - set(flight["visits"]))
    extra_p = sorted(set(counted.carry_over_payments) - set(flight["payments"]))
    if extra_v or extra_p:
        raise UsageError(
            f"carry_over lists what is not in flight on {day}: "
            f"visits {extra_v}, payments {extra_p}",
            code="day.bad_carry_over",
        )
    blocking = [
        f"visit {v} is still open" for v in flight["visits"] if v not in counted.carry_over_visits
    ]
    blocking += [
        f"payment {p} is still pending"
        for p in flight["payments"]
        if p not in counted.carry_over_payments
    ]
    diffs = differences(report, counted, rules)
    needs = any(d["over_threshold"] for d in diffs)
    return ClosePreview(report, diffs, needs, blocking)


def _member(actor: StaffSession | StaffMember) -> StaffMember:
    return actor.member if isinstance(actor, StaffSession) else actor


def close_day(
    store: Store,
    rules: DayCloseRules,
    day: date,
    counted: Counted,
    clerk: StaffSession | StaffMember,
    *,
    approver: StaffMember | None = None,
    training: bool = False,
) -> dict[str, Any]:
    """Close a business day: store the Z-report, lock the day, audit it, queue it for the hub.

    Args:
        store: the local store.
        rules: thresholds, counter and time zone.
        day: the business date.
        counted: the clerk's figures (:func:`parse_counted`).
        clerk: the clerk (or supervisor) closing.
        approver: a supervisor, not the clerk, authenticated on the kiosk; needed when a
            difference is over the threshold.
        training: close the training-mode figures.

    Returns:
        The Z-report (also stored in ``day_closes``).

    Raises:
        StaffError: ``staff.forbidden`` (an operator closing), ``day.approval_required``,
            ``day.self_approval``; audited.
        DomainError: ``day.already_closed``, ``day.future``, ``day.in_flight``,
            ``day.note_required``.
        UsageError: bad counted figures.
    """
    member = _member(clerk)
    require_role(store, member, "day.close", (Role.CLERK, Role.SUPERVISOR))
    pv = preview_close(store, rules, day, counted, training=training)
    if pv.blocking:
        raise DomainError(
            "the day cannot close while work is in flight: "
            + "; ".join(pv.blocking)
            + " (finish it, or list it under carry_over)",
            code="day.in_flight",
        )
    if pv.needs_approval:
        over = ", ".join(
            f"{d['item']} {d['difference']:+d}" for d in pv.differences if d["over_threshold"]
        )
        if not counted.note:
            raise DomainError(
                f"counted figures differ beyond the threshold ({over}): write a note saying why",
                code="day.note_required",
            )
        if approver is None:
            raise StaffError(
                f"differences beyond the threshold ({over}) need a supervisor's approval",
                code="day.approval_required",
            )
        require_role(store, approver, "day.approve_difference", (Role.SUPERVISOR,))
        if approver.staff_no == member.staff_no:
            with store.atomic() as db:
                audit.append(
                    db,
                    action="day.approve_difference",
                    actor=member.actor,
                    outcome="refused",
                    reason_code="self_approval",
                    approver=approver.actor,
                )
            raise StaffError(
                "the clerk closing cannot approve their own differences", code="day.self_approval"
            )
    report = dict(pv.report)
    with store.atomic() as db:
        head = _audit_head(db)
        report.update(
            {
                "report": "Z",
                "closed_at": utc_now(),
                "clerk": member.staff_no,
                "approver": approver.staff_no if pv.needs_approval and approver else None,
                "counted": counted.as_dict(),
                "differences": pv.differences,
                "note": counted.note,
                "audit_head": head,
            }
        )
        text = canonical_json(report) or ""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        db.execute(
            "INSERT INTO day_closes (business_date, closed_at, clerk_no, approver_no, note,"
            " counted, report, report_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                day.isoformat(),
                report["closed_at"],
                member.staff_no,
                report["approver"],
                counted.note,
                canonical_json(counted.as_dict()),
                text,
                digest,
            ],
        )
        audit.append(
            db,
            action="day.close",
            actor=member.actor,
            reason_note=counted.note or None,
            after={
                "business_date": day.isoformat(),
                "report_sha256": digest,
                "expected_fen": report["totals"]["expected_fen"],
                "differences": {
                    d["item"]: d["difference"] for d in pv.differences if d["difference"]
                },
            },
            approver=approver.actor if approver is not None and report["approver"] else None,
        )
        outbox.emit(db, "day.closed", {"business_date": day.isoformat(), "report": report})
    return report


def _rowid(cur: sqlite3.Cursor) -> int:
    rowid = cur.lastrowid
    if rowid is None:  # an INSERT always sets it; this keeps the type honest
        raise StoreError("the store did not return the new row's id", code="store.no_rowid")
    return int(rowid)


def _audit_head(db: sqlite_utils.Database) -> str:
    row = db.execute("SELECT row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return audit.GENESIS if row is None else row[0]


def add_adjustment(
    store: Store,
    actor: StaffSession | StaffMember,
    *,
    refers_to: date,
    method: str,
    amount_fen: int,
    reason: str,
    on: date | None = None,
    timezone: str = "Asia/Shanghai",
) -> int:
    """Book a correction of a closed day as an adjusting entry on an open day (default today).

    Args:
        store: the local store.
        actor: a clerk or supervisor.
        refers_to: the closed day being corrected.
        method: a payment method, or ``keys`` (then ``amount_fen`` is a number of keys).
        amount_fen: signed correction.
        reason: why (required).
        on: the open day it is booked on (default: today at the counter).
        timezone: the counter's time zone, for "today".

    Returns:
        The adjustment's id.

    Raises:
        DomainError: ``day.not_closed`` (correct an open day directly) or ``day.already_closed``
            (the booking day is closed too).
    """
    member = _member(actor)
    require_role(store, member, "day.adjust", (Role.CLERK, Role.SUPERVISOR))
    on = on or local_today(timezone)
    if method not in (*METHODS, "keys"):
        raise UsageError(
            f"method {method!r}; valid: {', '.join((*METHODS, 'keys'))}", code="day.bad_method"
        )
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen == 0:
        raise UsageError("an adjustment is a non-zero integer of fen", code="day.bad_amount")
    if not reason.strip():
        raise UsageError("an adjustment needs a reason", code="day.reason_required")
    if not is_closed(store, refers_to):
        raise DomainError(f"{refers_to} is still open: no adjustment needed", code="day.not_closed")
    if is_closed(store, on) or on <= refers_to:
        raise DomainError(
            f"book the adjustment on an open day after {refers_to}", code="day.already_closed"
        )
    with store.atomic() as db:
        cur = db.execute(
            "INSERT INTO day_adjustments (business_date, refers_to, method, amount_fen, reason,"
            " staff_no, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                on.isoformat(),
                refers_to.isoformat(),
                method,
                amount_fen,
                reason.strip(),
                member.staff_no,
                utc_now(),
            ],
        )
        adj_id = _rowid(cur)
        audit.append(
            db,
            action="day.adjust",
            actor=member.actor,
            reason_note=reason.strip(),
            after={
                "id": adj_id,
                "business_date": on.isoformat(),
                "refers_to": refers_to.isoformat(),
                "method": method,
                "amount_fen": amount_fen,
            },
        )
    return adj_id


def record_key_movement(
    store: Store,
    actor: StaffSession | StaffMember,
    movement: str,
    quantity: int,
    *,
    reference: str = "",
    note: str = "",
) -> int:
    """Record blank keys received (a delivery) or spoiled (broken or lost at the counter).

    ``issued`` is accepted only for kiosks without the keys area's transitions (then the flow
    that takes a blank key from stock records it). Movements are never edited: a mistake is
    corrected by the opposite movement or an adjustment on the day close.

    Raises:
        UsageError: ``day.bad_movement`` / ``day.bad_quantity``.
        StaffError: ``staff.forbidden`` for a role that may not (all three roles may).
    """
    member = _member(actor)
    if movement not in ("received", "issued", "spoiled"):
        raise UsageError(
            f"movement {movement!r}; valid: received, issued, spoiled", code="day.bad_movement"
        )
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise UsageError("quantity is a whole number of keys, at least 1", code="day.bad_quantity")
    require_role(store, member, "keys.stock", (Role.CLERK, Role.SUPERVISOR, Role.OPERATOR))
    with store.atomic() as db:
        cur = db.execute(
            "INSERT INTO key_stock (movement, quantity, at, staff_no, reference, note)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [movement, quantity, utc_now(), member.staff_no, reference, note],
        )
        mid = _rowid(cur)
        audit.append(
            db,
            action=f"keys.stock_{movement}",
            actor=member.actor,
            reason_note=note or None,
            after={"id": mid, "movement": movement, "quantity": quantity, "reference": reference},
        )
    return mid
