"""The payments ledger: the ``payments`` and ``refunds`` tables, their queries and the state
machine, written *before* any money moves (save first)::

    pending ──► paid ──► partially_refunded ──► refunded
       └──────► cancelled

Every move is a ``payment_transitions`` row and an event for the hub, in the same transaction.
A second "pay" for the same quote is refused while one is pending or paid (also a unique index);
a retried call with the same idempotency key returns the payment it made, never a second one.

When a payment becomes ``paid`` the ``on_paid`` hook runs inside that transaction: the receipts
area queues the receipt there, so "paid" and "receipt queued" commit together.

The channels that move money are in :mod:`kiosk.payments.charge`, refunds in
:mod:`kiosk.payments.refunds`, settling with the provider in :mod:`kiosk.payments.reconcile`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from data.outbox import emit
from data.store import Store, inserted_id, utc_now
from kiosk.domain import clock
from kiosk.domain.payment import PAYMENT_METHODS, PROVIDER_METHODS, STAFF_METHODS, PaymentMethod
from kiosk.errors import PaymentError, VisitError
from kiosk.payments.invoice import check_invoice
from kiosk.payments.money import QuoteLike, quote_json, quote_ref
from kiosk.staff.daylock import is_closed

#: A payment method (the domain's); kept under this name for the area's callers.
Method = PaymentMethod
METHODS: tuple[Method, ...] = PAYMENT_METHODS
LIVE_STATES = ("pending", "paid", "partially_refunded")


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment as stored."""

    id: int
    visit_id: int
    order_no: str
    method: Method
    amount_fen: int
    state: str
    idempotency_key: str
    out_trade_no: str | None
    reference: str | None
    payer_name: str | None
    staff_no: str | None
    quote: dict[str, Any]
    detail: dict[str, Any]
    created_at: str
    paid_at: str | None
    refunded_fen: int = 0

    @property
    def refundable_fen(self) -> int:
        """What may still be refunded."""
        return (
            self.amount_fen - self.refunded_fen
            if self.state in ("paid", "partially_refunded")
            else 0
        )


@dataclass(frozen=True, slots=True)
class Refund:
    """A refund: its own row, pointing at the payment."""

    id: int
    payment_id: int
    amount_fen: int
    state: str
    reason: str
    requested_by: str
    approved_by: str
    reference: str | None
    created_at: str
    done_at: str | None


class Ledger:
    """The payments of visits as stored, and every change of their state.

    Args:
        store: the kiosk's store.
        on_paid: called as ``on_paid(db, payment)`` inside the transaction that marks a payment
            paid (the receipts area queues the receipt).
        after_paid: called as ``after_paid(payment)`` once that transaction committed (wakes
            the print worker).
        allow_issue_on_pending_transfer: whether issuance may go ahead while a transfer waits
            for confirmation (kiosk.toml).
        timezone: the counter's zone: business dates (day close) are local.
    """

    def __init__(
        self,
        store: Store,
        *,
        on_paid: Callable[[sqlite_utils.Database, Payment], None] | None = None,
        after_paid: Callable[[Payment], None] | None = None,
        allow_issue_on_pending_transfer: bool = False,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.store = store
        self.timezone = timezone  # the counter's zone: business dates (day close) are local
        self.on_paid = on_paid
        self.after_paid = after_paid
        self.allow_issue_on_pending_transfer = allow_issue_on_pending_transfer
        self._just_paid: list[Payment] = []

    # -- reading -------------------------------------------------------------------------------
    def visit(self, visit_id: int) -> dict[str, Any]:
        rows = list(self.store.db.table("visits").rows_where("id = ?", [visit_id]))
        if not rows:
            raise VisitError(f"no visit {visit_id}", code="visit.unknown")
        return rows[0]

    def visit_id(self, order_no: str) -> int:
        """The visit of an order number.

        Raises:
            VisitError: unknown order number (``visit.unknown``).
        """
        row = self.store.db.execute(
            "SELECT id FROM visits WHERE order_no = ?", [order_no]
        ).fetchone()
        if row is None:
            raise VisitError(f"no visit with order number {order_no}", code="visit.unknown")
        return int(row[0])

    def payment_from_row(self, r: dict[str, Any]) -> Payment:
        order_no = self.store.db.execute(
            "SELECT order_no FROM visits WHERE id = ?", [r["visit_id"]]
        ).fetchone()[0]
        refunded = self.store.db.execute(
            "SELECT coalesce(sum(amount_fen), 0) FROM refunds "
            "WHERE payment_id = ? AND state = 'done'",
            [r["id"]],
        ).fetchone()[0]
        return Payment(
            id=r["id"],
            visit_id=r["visit_id"],
            order_no=order_no,
            method=PaymentMethod(r["method"]),
            amount_fen=r["amount_fen"],
            state=r["state"],
            idempotency_key=r["idempotency_key"],
            out_trade_no=r["out_trade_no"],
            reference=r["reference"],
            payer_name=r["payer_name"],
            staff_no=r["staff_no"],
            quote=json.loads(r["quote"]),
            detail=json.loads(r["detail"]),
            created_at=r["created_at"],
            paid_at=r["paid_at"],
            refunded_fen=int(refunded),
        )

    def payment(self, payment_id: int) -> Payment:
        """One payment.

        Raises:
            PaymentError: unknown id (``payment.unknown``).
        """
        rows = list(self.store.db.table("payments").rows_where("id = ?", [payment_id]))
        if not rows:
            raise PaymentError(f"no payment {payment_id}", code="payment.unknown")
        return self.payment_from_row(rows[0])

    def payments(self, visit_id: int) -> list[Payment]:
        """A visit's payments, oldest first."""
        return [
            self.payment_from_row(r)
            for r in self.store.db.table("payments").rows_where(
                "visit_id = ?", [visit_id], order_by="id"
            )
        ]

    def refunds(self, payment_id: int) -> list[Refund]:
        """A payment's refunds, oldest first."""
        return [
            Refund(
                id=r["id"],
                payment_id=r["payment_id"],
                amount_fen=r["amount_fen"],
                state=r["state"],
                reason=r["reason"],
                requested_by=r["requested_by"],
                approved_by=r["approved_by"],
                reference=r["reference"],
                created_at=r["created_at"],
                done_at=r["done_at"],
            )
            for r in self.store.db.table("refunds").rows_where(
                "payment_id = ?", [payment_id], order_by="id"
            )
        ]

    def transitions(self, payment_id: int) -> list[dict[str, Any]]:
        """Every state change of a payment, oldest first."""
        return list(
            self.store.db.table("payment_transitions").rows_where(
                "payment_id = ?", [payment_id], order_by="id"
            )
        )

    def paid_fen(self, visit_id: int) -> int:
        """Money kept for a visit: paid minus refunded."""
        return sum(
            p.amount_fen - p.refunded_fen
            for p in self.payments(visit_id)
            if p.state != "pending" and p.state != "cancelled"
        )

    # -- writing helpers -----------------------------------------------------------------------
    def transition(
        self,
        db: sqlite_utils.Database,
        payment_id: int,
        from_state: str | None,
        to_state: str,
        *,
        by: str | None,
        reason: str | None = None,
        **fields: Any,
    ) -> None:
        now = utc_now()
        if from_state is not None:
            cur = db.execute(
                "UPDATE payments SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                [to_state, now, payment_id, from_state],
            )
            if cur.rowcount != 1:
                raise PaymentError(
                    f"payment {payment_id} is no longer {from_state}", code="payment.state_changed"
                )
        if fields:
            db.table("payments").update(payment_id, {**fields, "updated_at": now})
        db.table("payment_transitions").insert(
            {
                "payment_id": payment_id,
                "from_state": from_state,
                "to_state": to_state,
                "by_staff": by,
                "reason": reason,
                "at": now,
            }
        )

    def refuse_closed_day(self, now: str, what: str) -> None:
        """Refuse to book money onto a business day that is already closed (locked).

        The Z-report of a closed day is final: a late payment or refund goes to the next open
        day as an adjusting entry, never into the closed one.

        Raises:
            PaymentError: ``payment.day_closed``.
        """
        day = clock.local_today(clock.from_storage(now), self.timezone)
        if is_closed(self.store, day):
            raise PaymentError(
                f"business day {day.isoformat()} is already closed: the {what} cannot be booked "
                "onto it; record it on the next open day as an adjusting entry",
                code="payment.day_closed",
            )

    def existing_for_key(self, key: str) -> Payment | None:
        rows = list(self.store.db.table("payments").rows_where("idempotency_key = ?", [key]))
        return self.payment_from_row(rows[0]) if rows else None

    def create(
        self,
        visit_id: int,
        quote: QuoteLike,
        method: Method,
        amount_fen: int,
        *,
        staff_no: str | None,
        idempotency_key: str | None,
        reference: str | None = None,
        payer_name: str | None = None,
        detail: dict[str, Any] | None = None,
        then_paid: bool = False,
    ) -> tuple[Payment, bool]:
        """Insert a pending payment (and mark it paid at once for card). (payment, created)."""
        visit = self.visit(visit_id)
        ref = quote_ref(quote)
        key = idempotency_key or f"{visit['order_no']}:{ref}:{method}:{utc_now()}"
        existing = self.existing_for_key(key)
        if existing is not None:
            if (
                existing.method != method
                or existing.amount_fen != amount_fen
                or existing.visit_id != visit_id
            ):
                raise PaymentError(
                    f"idempotency key {key!r} belongs to another payment (#{existing.id})",
                    code="payment.key_reused",
                )
            return existing, False
        live = self.store.db.execute(
            f"SELECT id, state FROM payments WHERE visit_id = ? AND quote_ref = ? "
            f"AND state IN {LIVE_STATES!r}",
            [visit_id, ref],
        ).fetchone()
        if live is not None:
            raise PaymentError(
                f"this quote already has a {live[1]} payment (#{live[0]}); a second one is refused",
                code="payment.duplicate",
            )
        if reference is not None and method in STAFF_METHODS:
            dup = self.store.db.execute(
                "SELECT id FROM payments WHERE method = ? AND reference = ?", [method, reference]
            ).fetchone()
            if dup is not None:
                raise PaymentError(
                    f"reference {reference} was already recorded (payment #{dup[0]}); "
                    "check the slip from the terminal or bank",
                    code="payment.duplicate_reference",
                )
        now = utc_now()
        self.refuse_closed_day(now, "payment")
        try:
            with self.store.atomic() as db:
                pid = inserted_id(
                    db.table("payments").insert(
                        {
                            "visit_id": visit_id,
                            "idempotency_key": key,
                            "quote_ref": ref,
                            "quote": quote_json(quote),
                            "method": method,
                            "amount_fen": amount_fen,
                            "state": "pending",
                            "reference": reference,
                            "payer_name": payer_name,
                            "staff_no": staff_no,
                            "detail": json.dumps(detail or {}, ensure_ascii=False),
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                )
                out_trade_no = None
                if method in PROVIDER_METHODS:
                    out_trade_no = f"{visit['order_no']}-{pid}"
                    db.table("payments").update(pid, {"out_trade_no": out_trade_no})
                self.transition(db, pid, None, "pending", by=staff_no)
                emit(
                    db,
                    kind="payment.created",
                    payload={
                        "payment_id": pid,
                        "order_no": visit["order_no"],
                        "method": method,
                        "amount_fen": amount_fen,
                        "out_trade_no": out_trade_no,
                        "reference": reference,
                        "created_at": now,
                    },
                    order_no=visit["order_no"],
                )
                if then_paid:
                    self.mark_paid(db, pid, by=staff_no, reference=reference)
        except sqlite3.IntegrityError as e:  # a racing second pay: the unique indexes decide
            raise PaymentError(
                f"a payment for this quote or reference already exists ({e})",
                code="payment.duplicate",
            ) from e
        self.notify_paid()
        return self.payment(pid), True

    def mark_paid(
        self,
        db: sqlite_utils.Database,
        payment_id: int,
        *,
        by: str | None,
        reference: str | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        now = utc_now()
        fields: dict[str, Any] = {"paid_at": now}
        if reference is not None:
            fields["reference"] = reference
        if detail:
            row = db.table("payments").get(payment_id)
            fields["detail"] = json.dumps(
                {**json.loads(row["detail"]), **detail}, ensure_ascii=False
            )
        self.transition(db, payment_id, "pending", "paid", by=by, **fields)
        payment = self.payment_from_row(db.table("payments").get(payment_id))
        emit(
            db,
            kind="payment.paid",
            payload={
                "payment_id": payment_id,
                "order_no": payment.order_no,
                "method": payment.method,
                "amount_fen": payment.amount_fen,
                "reference": payment.reference,
                "out_trade_no": payment.out_trade_no,
                "paid_at": now,
                "quote": payment.quote,
                "staff_no": payment.staff_no,
            },
            order_no=payment.order_no,
        )
        if self.on_paid is not None:
            self.on_paid(db, payment)
        self._just_paid.append(payment)

    def notify_paid(self) -> None:
        """Run ``after_paid`` for payments whose paid transaction has committed."""
        done, self._just_paid = self._just_paid, []
        if self.after_paid is not None:
            for p in done:
                self.after_paid(p)

    def cancel_local(self, payment_id: int, *, by: str | None, reason: str) -> None:
        with self.store.atomic() as db:
            self.transition(db, payment_id, "pending", "cancelled", by=by, reason=reason)
            p = self.payment_from_row(db.table("payments").get(payment_id))
            emit(
                db,
                kind="payment.cancelled",
                payload={"payment_id": payment_id, "order_no": p.order_no, "reason": reason},
                order_no=p.order_no,
            )

    def can_issue(self, visit_id: int) -> tuple[bool, str]:
        """Whether issuance may proceed as far as money goes, and why not."""
        ps = [p for p in self.payments(visit_id) if p.state in LIVE_STATES]
        if any(p.state in ("paid", "partially_refunded") for p in ps):
            return True, ""
        if any(p.method is PaymentMethod.TRANSFER and p.state == "pending" for p in ps):
            if self.allow_issue_on_pending_transfer:
                return True, "transfer not yet confirmed (allowed by configuration)"
            return False, "the bank transfer is not confirmed yet"
        return False, "not paid"

    # -- invoice -------------------------------------------------------------------------------
    def record_invoice(
        self, visit_id: int, *, title: str, taxpayer_no: str, phone: str, email: str
    ) -> int:
        """Collect invoice details (发票: title, taxpayer number, phone, e-mail) for the hub.

        Raises:
            PaymentError: a field is missing or malformed (``invoice.invalid``), naming it.
        """
        fields = check_invoice(title=title, taxpayer_no=taxpayer_no, phone=phone, email=email)
        visit = self.visit(visit_id)
        with self.store.atomic() as db:
            iid = inserted_id(
                db.table("invoice_requests").insert(
                    {"visit_id": visit_id, **fields, "created_at": utc_now()}
                )
            )
            emit(
                db,
                kind="invoice.requested",
                payload={"order_no": visit["order_no"], **fields},
                order_no=visit["order_no"],
            )
        return iid

    # -- report --------------------------------------------------------------------------------
    def status(self, visit_id: int) -> dict[str, Any]:
        """A visit's money as JSON-ready data (``kiosk pay status ORDER --json``)."""
        visit = self.visit(visit_id)
        pays = []
        for p in self.payments(visit_id):
            pays.append(
                {
                    "id": p.id,
                    "method": p.method,
                    "amount_fen": p.amount_fen,
                    "state": p.state,
                    "reference": p.reference,
                    "out_trade_no": p.out_trade_no,
                    "payer_name": p.payer_name,
                    "staff_no": p.staff_no,
                    "created_at": p.created_at,
                    "paid_at": p.paid_at,
                    "refunded_fen": p.refunded_fen,
                    "refunds": [
                        {
                            "id": r.id,
                            "amount_fen": r.amount_fen,
                            "state": r.state,
                            "reason": r.reason,
                            "approved_by": r.approved_by,
                            "reference": r.reference,
                            "done_at": r.done_at,
                        }
                        for r in self.refunds(p.id)
                    ],
                    "transitions": [
                        {
                            "from": t["from_state"],
                            "to": t["to_state"],
                            "by": t["by_staff"],
                            "reason": t["reason"],
                            "at": t["at"],
                        }
                        for t in self.transitions(p.id)
                    ],
                }
            )
        receipts = [
            {
                "job_id": r[0],
                "state": r[1],
                "reprint": bool(r[2]),
                "last_error": r[3],
                "printed_at": r[4],
            }
            for r in self.store.db.execute(
                "SELECT id, state, reprint, last_error, printed_at FROM print_jobs "
                "WHERE visit_id = ? AND kind = 'receipt' ORDER BY id",
                [visit_id],
            )
        ]
        can, why = self.can_issue(visit_id)
        return {
            "order_no": visit["order_no"],
            "visit_id": visit_id,
            "paid_fen": self.paid_fen(visit_id),
            "can_issue": can,
            "can_issue_reason": why,
            "payments": pays,
            "receipts": receipts,
        }
