"""Taking money exactly once: the payment service.

A payment belongs to a visit and the quote it pays; it is a ``payments`` row written *before*
any money moves (save first), carrying the caller's idempotency key and, for WeChat Pay and
Alipay, the ``out_trade_no`` the provider knows it by. States::

    pending ──► paid ──► partially_refunded ──► refunded
       └──────► cancelled

Every move is a ``payment_transitions`` row and an event for the hub, in the same transaction.
A second "pay" for the same quote is refused while one is pending or paid (also a unique index).
A retried call with the same idempotency key returns the payment it made, never a second charge;
a crash between the provider's answer and our record is repaired by :meth:`reconcile` (query
the provider by ``out_trade_no``; reverse what cannot be confirmed).

When a payment becomes ``paid`` the ``on_paid`` hook runs inside that transaction: the receipts
area queues the receipt there, so "paid" and "receipt queued" commit together.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from data.outbox import emit
from data.store import Store, inserted_id, utc_now
from kiosk.contracts.payments import Channel, ProviderError, ProviderUnavailable, Trade, TradeState
from kiosk.domain import clock
from kiosk.errors import PaymentError, StaffError, VisitError
from kiosk.payments.gateway import Gateway
from kiosk.payments.money import (
    QuoteLike,
    check_fen,
    check_quote,
    check_reference,
    normalise_name,
    payment_code_channel,
    quote_json,
    quote_ref,
)
from kiosk.staff.daylock import is_closed

log = logging.getLogger(__name__)

Method = Literal["card", "wechat", "alipay", "transfer"]
METHODS: tuple[Method, ...] = ("card", "wechat", "alipay", "transfer")
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


@dataclass(frozen=True, slots=True)
class MethodAvailability:
    """Whether a method can be used now, and if not, why (for the payment screen)."""

    method: Method
    available: bool
    reason: str = ""
    reason_zh: str = ""


def default_role_check(staff_no: str, role: str) -> None:
    """Until the staff area wires its roster: an approver must at least be named.

    Raises:
        StaffError: no staff number (``staff.role_required``).
    """
    if not staff_no or not staff_no.strip():
        raise StaffError(f"a {role} must approve this", code="staff.role_required")


class PaymentService:
    """Payments and refunds of visits.

    Args:
        store: the kiosk's store.
        gateway: the payment provider (None: WeChat Pay / Alipay unavailable).
        on_paid: called as ``on_paid(db, payment)`` inside the transaction that marks a payment
            paid (the receipts area queues the receipt).
        after_paid: called as ``after_paid(payment)`` once that transaction committed (wakes
            the print worker).
        role_check: ``role_check(staff_no, role)`` raises ``StaffError`` unless the person has
            the role (the staff area's; default only requires a staff number).
        refund_rule: ``refund_rule(payment)`` returns why a refund is not allowed, or None (the
            domain's refund rule; default allows).
        allow_issue_on_pending_transfer: whether issuance may go ahead while a transfer waits
            for confirmation (kiosk.toml).
        poll_interval_s: seconds between queries of a trade that is not settled.
        max_wait_s: how long a payer may take to confirm before the trade is reversed.
    """

    def __init__(
        self,
        store: Store,
        *,
        gateway: Gateway | None = None,
        on_paid: Callable[[sqlite_utils.Database, Payment], None] | None = None,
        after_paid: Callable[[Payment], None] | None = None,
        role_check: Callable[[str, str], None] = default_role_check,
        refund_rule: Callable[[Payment], str | None] | None = None,
        allow_issue_on_pending_transfer: bool = False,
        poll_interval_s: float = 2.0,
        max_wait_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        timezone: str = "Asia/Shanghai",
    ):
        self.store = store
        self.timezone = timezone  # the counter's zone: business dates (day close) are local
        self.gateway = gateway
        self.on_paid = on_paid
        self.after_paid = after_paid
        self.role_check = role_check
        self.refund_rule = refund_rule
        self.allow_issue_on_pending_transfer = allow_issue_on_pending_transfer
        self.poll_interval_s = poll_interval_s
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self._just_paid: list[Payment] = []
        self._online = gateway is not None
        self.offline_reason = "" if gateway is not None else "no payment provider configured"
        # After a failed call the methods are off for this long, then the next attempt may try
        # again (the sync worker's set_online() word holds until it speaks again).
        self.retry_offline_s = 30.0
        self._retry_at: float | None = None

    # -- reading -------------------------------------------------------------------------------
    def _visit(self, visit_id: int) -> dict[str, Any]:
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

    def _payment_from_row(self, r: dict[str, Any]) -> Payment:
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
            method=r["method"],
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
        return self._payment_from_row(rows[0])

    def payments(self, visit_id: int) -> list[Payment]:
        """A visit's payments, oldest first."""
        return [
            self._payment_from_row(r)
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

    # -- availability --------------------------------------------------------------------------
    @property
    def provider_online(self) -> bool:
        """Whether WeChat Pay / Alipay can be tried now."""
        if not self._online and self._retry_at is not None and time.monotonic() >= self._retry_at:
            self._online, self._retry_at, self.offline_reason = True, None, ""
        return self._online

    def set_online(self, online: bool, reason: str = "") -> None:
        """The sync worker's word on whether the hub (and so the providers) can be reached."""
        self._online = online and self.gateway is not None
        self._retry_at = None
        self.offline_reason = "" if self._online else (reason or "the back office is offline")

    def _went_offline(self, reason: str) -> None:
        """A call found the provider unreachable: methods off, retried after a while."""
        self.set_online(False, reason)
        self._retry_at = time.monotonic() + self.retry_offline_s

    def methods(self) -> list[MethodAvailability]:
        """Each method and whether it can be used now."""
        out = []
        for m in METHODS:
            if m in ("wechat", "alipay") and not self.provider_online:
                out.append(
                    MethodAvailability(
                        m,
                        False,
                        f"WeChat Pay and Alipay are unavailable offline ({self.offline_reason}); "
                        "use bank card or transfer",
                        "离线时无法使用微信支付和支付宝，请改用刷卡或对公转账",
                    )
                )
            else:
                out.append(MethodAvailability(m, True))
        return out

    # -- writing helpers -----------------------------------------------------------------------
    def _transition(
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

    def _refuse_closed_day(self, now: str, what: str) -> None:
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

    def _existing_for_key(self, key: str) -> Payment | None:
        rows = list(self.store.db.table("payments").rows_where("idempotency_key = ?", [key]))
        return self._payment_from_row(rows[0]) if rows else None

    def _create(
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
        visit = self._visit(visit_id)
        ref = quote_ref(quote)
        key = idempotency_key or f"{visit['order_no']}:{ref}:{method}:{utc_now()}"
        existing = self._existing_for_key(key)
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
        if reference is not None and method in ("card", "transfer"):
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
        self._refuse_closed_day(now, "payment")
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
                if method in ("wechat", "alipay"):
                    out_trade_no = f"{visit['order_no']}-{pid}"
                    db.table("payments").update(pid, {"out_trade_no": out_trade_no})
                self._transition(db, pid, None, "pending", by=staff_no)
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
                    self._mark_paid(db, pid, by=staff_no, reference=reference)
        except sqlite3.IntegrityError as e:  # a racing second pay: the unique indexes decide
            raise PaymentError(
                f"a payment for this quote or reference already exists ({e})",
                code="payment.duplicate",
            ) from e
        self._notify_paid()
        return self.payment(pid), True

    def _mark_paid(
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
        self._transition(db, payment_id, "pending", "paid", by=by, **fields)
        payment = self._payment_from_row(db.table("payments").get(payment_id))
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

    def _notify_paid(self) -> None:
        """Run ``after_paid`` for payments whose paid transaction has committed."""
        done, self._just_paid = self._just_paid, []
        if self.after_paid is not None:
            for p in done:
                self.after_paid(p)

    def _cancel_local(self, payment_id: int, *, by: str | None, reason: str) -> None:
        with self.store.atomic() as db:
            self._transition(db, payment_id, "pending", "cancelled", by=by, reason=reason)
            p = self._payment_from_row(db.table("payments").get(payment_id))
            emit(
                db,
                kind="payment.cancelled",
                payload={"payment_id": payment_id, "order_no": p.order_no, "reason": reason},
                order_no=p.order_no,
            )

    def _check_amount(self, amount_fen: object, quote: QuoteLike) -> int:
        amount = check_fen(amount_fen)
        if amount > quote.total_fen:
            raise PaymentError(
                f"amount {amount} fen is more than the quote's {quote.total_fen} fen",
                code="payment.over_quote",
            )
        if amount != quote.total_fen:
            raise PaymentError(
                f"amount {amount} fen differs from the quote's {quote.total_fen} fen",
                code="payment.amount_mismatch",
            )
        return amount

    def _gateway(self) -> Gateway:
        if self.gateway is None or not self.provider_online:
            raise PaymentError(
                f"WeChat Pay and Alipay are unavailable: {self.offline_reason}; "
                "use bank card or transfer",
                code="payment.provider_offline",
            )
        return self.gateway

    # -- bank card -----------------------------------------------------------------------------
    def pay_card(
        self,
        visit_id: int,
        quote: QuoteLike,
        *,
        terminal_ref: str,
        amount_fen: object,
        staff_no: str,
        idempotency_key: str | None = None,
    ) -> Payment:
        """Record a payment made on the counter's card terminal (刷卡): paid at once.

        Raises:
            PaymentError: amount not equal to the quote (``payment.over_quote``,
                ``payment.amount_mismatch``, ``payment.fractional``, ``payment.not_positive``),
                bad or already used terminal reference (``payment.bad_reference``,
                ``payment.duplicate_reference``), or the quote already paid (``payment.duplicate``).
        """
        check_quote(quote)
        amount = self._check_amount(amount_fen, quote)
        ref = check_reference(terminal_ref, what="terminal reference")
        payment, _ = self._create(
            visit_id,
            quote,
            "card",
            amount,
            staff_no=staff_no,
            idempotency_key=idempotency_key,
            reference=ref,
            then_paid=True,
        )
        return payment

    # -- bank transfer -------------------------------------------------------------------------
    def record_transfer(
        self,
        visit_id: int,
        quote: QuoteLike,
        *,
        payer_name: str,
        bank_serial: str,
        amount_fen: object,
        staff_no: str,
        idempotency_key: str | None = None,
    ) -> Payment:
        """Record a bank transfer (对公转账); it stays ``pending`` until confirmed.

        Organisation and legal-representative certificates must be paid by the unit (the payer
        name matches the unit's name); individual certificates by the applicant.

        Raises:
            PaymentError: ``payment.payer_mismatch``, amount or reference errors as for card.
        """
        check_quote(quote)
        amount = self._check_amount(amount_fen, quote)
        serial = check_reference(bank_serial, what="bank serial")
        visit = self._visit(visit_id)
        individual = (visit.get("kind") or "") == "individual"
        expected = visit.get("agent_name") if individual else visit.get("unit_name")
        who = "the applicant" if individual else "the unit"
        if not payer_name.strip():
            raise PaymentError(
                "the paying account's name is required", code="payment.payer_missing"
            )
        if not expected or normalise_name(payer_name) != normalise_name(expected):
            raise PaymentError(
                f"the transfer must come from {who} ({expected or 'not recorded'}), "
                f"not from {payer_name!r}: a transfer from another account is void",
                code="payment.payer_mismatch",
            )
        payment, _ = self._create(
            visit_id,
            quote,
            "transfer",
            amount,
            staff_no=staff_no,
            idempotency_key=idempotency_key,
            reference=serial,
            payer_name=payer_name.strip(),
        )
        return payment

    def confirm_transfer(
        self, payment_id: int, *, confirmed_by: str, source: Literal["clerk", "hub"] = "clerk"
    ) -> Payment:
        """A pending transfer is confirmed (the clerk saw it arrive, or the hub's bank check did).

        Raises:
            PaymentError: not a pending transfer (``payment.state``).
        """
        p = self.payment(payment_id)
        if p.method != "transfer" or p.state != "pending":
            raise PaymentError(
                f"payment {payment_id} is a {p.state} {p.method} payment, not a pending transfer",
                code="payment.state",
            )
        with self.store.atomic() as db:
            self._mark_paid(
                db, payment_id, by=confirmed_by, reference=None, detail={"confirmed_by": source}
            )
        self._notify_paid()
        return self.payment(payment_id)

    def can_issue(self, visit_id: int) -> tuple[bool, str]:
        """Whether issuance may proceed as far as money goes, and why not."""
        ps = [p for p in self.payments(visit_id) if p.state in LIVE_STATES]
        if any(p.state in ("paid", "partially_refunded") for p in ps):
            return True, ""
        if any(p.method == "transfer" and p.state == "pending" for p in ps):
            if self.allow_issue_on_pending_transfer:
                return True, "transfer not yet confirmed (allowed by configuration)"
            return False, "the bank transfer is not confirmed yet"
        return False, "not paid"

    # -- WeChat Pay / Alipay: payment code -----------------------------------------------------
    def pay_code(
        self,
        visit_id: int,
        quote: QuoteLike,
        *,
        scanned: str,
        staff_no: str | None,
        idempotency_key: str | None = None,
    ) -> Payment:
        """Charge the payer's payment code (付款码) read by the scanner.

        Saves the pending payment first, then charges through the provider; a payer who must
        confirm is waited for (queries every ``poll_interval_s`` up to ``max_wait_s``), and a
        trade that is unclear or unconfirmed by then is reversed.

        Returns:
            The payment, ``paid``.

        Raises:
            PaymentError: ``payment.bad_code``, ``payment.provider_offline``,
                ``payment.refused`` (the provider said no: nothing charged),
                ``payment.not_confirmed`` (payer did not confirm: reversed),
                ``payment.unclear`` (neither confirmed nor reversed: left pending for
                :meth:`reconcile`), ``payment.duplicate``.
        """
        check_quote(quote)
        channel, code = payment_code_channel(scanned)
        gw = self._gateway()
        payment, created = self._create(
            visit_id,
            quote,
            channel,
            quote.total_fen,
            staff_no=staff_no,
            idempotency_key=idempotency_key,
            detail={"flow": "code"},
        )
        if not created:
            if payment.state == "pending":  # a retry after a crash: the provider knows the truth
                payment = self.reconcile(payment.id)
                if payment.state == "pending":
                    raise PaymentError(
                        f"payment #{payment.id}'s result is still unclear; check again later "
                        "(kiosk pay reconcile)",
                        code="payment.unclear",
                    )
            if payment.state == "cancelled":
                raise PaymentError(
                    f"payment #{payment.id} was cancelled; start a new payment",
                    code="payment.cancelled",
                )
            return payment
        assert payment.out_trade_no is not None
        first: Trade | None
        try:
            first = gw.micropay(
                out_trade_no=payment.out_trade_no,
                auth_code=code,
                amount_fen=payment.amount_fen,
                description=f"NETCA {payment.order_no}",
            )
        except ProviderUnavailable as e:
            # Nothing reached the provider: the attempt simply did not happen.
            self._went_offline(e.message)
            self._cancel_local(payment.id, by=staff_no, reason=f"provider unreachable: {e.message}")
            raise PaymentError(
                f"WeChat Pay and Alipay are unavailable: {e.message}; use bank card or transfer",
                code="payment.provider_offline",
            ) from e
        except ProviderError as e:
            if not e.unclear:
                self._cancel_local(payment.id, by=staff_no, reason=f"{e.code}: {e.message}")
                raise PaymentError(
                    f"the payment was refused ({e.code}: {e.message}); nothing was charged",
                    code="payment.refused",
                ) from e
            log.warning("payment %d: unclear answer %s; querying", payment.id, e.code)
            first = None
        return self._settle(payment, first, by=staff_no)

    def _settle(self, payment: Payment, trade: Trade | None, *, by: str | None) -> Payment:
        """Query until the trade settles or the wait ends; reverse what is not confirmed."""
        assert self.gateway is not None and payment.out_trade_no is not None
        no = payment.out_trade_no
        deadline = time.monotonic() + self.max_wait_s
        while True:
            if trade is not None:
                if trade.state.paid:
                    with self.store.atomic() as db:
                        self._mark_paid(
                            db,
                            payment.id,
                            by=by,
                            reference=trade.transaction_id,
                            detail={"trade_state": trade.state.value},
                        )
                    self._notify_paid()
                    return self.payment(payment.id)
                if trade.state.final:
                    self._cancel_local(payment.id, by=by, reason=f"provider: {trade.state.value}")
                    raise PaymentError(
                        f"the provider ended the trade ({trade.state.value}); nothing was charged",
                        code="payment.refused",
                    )
            if time.monotonic() >= deadline:
                break
            self._sleep(self.poll_interval_s)
            try:
                trade = self.gateway.query(no)
            except ProviderError as e:
                log.warning("payment %d: query failed: %s %s", payment.id, e.code, e.message)
                trade = None
        # Not confirmed in time: reverse, so the payer is never charged for an unrecorded payment.
        try:
            reversed_trade = self.gateway.reverse(no)
        except ProviderError as e:
            if e.code == "ORDERNOTEXIST":
                self._cancel_local(payment.id, by=by, reason="no trade at the provider")
                raise PaymentError(
                    "the payment did not reach the provider; nothing was charged",
                    code="payment.not_confirmed",
                ) from e
            with self.store.atomic() as db:
                db.table("payments").update(
                    payment.id, {"detail": json.dumps({**payment.detail, "unclear": e.code})}
                )
            raise PaymentError(
                f"the payment's result is unclear and it could not be reversed ({e.code}); "
                "it stays pending and is checked again (kiosk pay reconcile)",
                code="payment.unclear",
            ) from e
        self._cancel_local(
            payment.id,
            by=by,
            reason=f"not confirmed in time; provider: {reversed_trade.state.value}",
        )
        raise PaymentError(
            "the payer did not confirm in time; the payment was reversed (nothing is charged)",
            code="payment.not_confirmed",
        )

    # -- WeChat Pay / Alipay: QR code on screen ------------------------------------------------
    def pay_qr(
        self,
        visit_id: int,
        quote: QuoteLike,
        *,
        channel: Channel,
        staff_no: str | None,
        idempotency_key: str | None = None,
    ) -> tuple[Payment, str]:
        """Open a trade the payer pays by scanning the kiosk's QR code.

        Returns:
            The pending payment and the URL to show as a QR code; poll :meth:`check`.
        """
        check_quote(quote)
        if channel not in ("wechat", "alipay"):
            raise PaymentError(f"no QR payment by {channel!r}", code="payment.bad_method")
        gw = self._gateway()
        payment, _ = self._create(
            visit_id,
            quote,
            channel,
            quote.total_fen,
            staff_no=staff_no,
            idempotency_key=idempotency_key,
            detail={"flow": "qr"},
        )
        assert payment.out_trade_no is not None
        try:
            _, url = gw.precreate(
                out_trade_no=payment.out_trade_no,
                channel=channel,
                amount_fen=payment.amount_fen,
                description=f"NETCA {payment.order_no}",
            )
        except ProviderError as e:
            self._cancel_local(payment.id, by=staff_no, reason=f"{e.code}: {e.message}")
            if isinstance(e, ProviderUnavailable):
                self._went_offline(e.message)
            raise PaymentError(
                f"the QR code could not be created ({e.message})", code="payment.refused"
            ) from e
        return payment, url

    def check(self, payment_id: int) -> Payment:
        """Ask the provider once about a pending QR payment; marks it paid when it is."""
        p = self.payment(payment_id)
        if p.state != "pending" or p.method not in ("wechat", "alipay"):
            return p
        assert p.out_trade_no is not None
        trade = self._gateway().query(p.out_trade_no)
        if trade.state.paid:
            with self.store.atomic() as db:
                self._mark_paid(
                    db,
                    p.id,
                    by=p.staff_no,
                    reference=trade.transaction_id,
                    detail={"trade_state": trade.state.value},
                )
        elif trade.state.final:
            self._cancel_local(p.id, by=p.staff_no, reason=f"provider: {trade.state.value}")
        self._notify_paid()
        return self.payment(payment_id)

    def reconcile(self, payment_id: int) -> Payment:
        """Bring a pending WeChat/Alipay payment in line with the provider (after a crash).

        A code payment that is not paid is settled (queried, then reversed); a QR payment that
        is still open stays pending.
        """
        p = self.payment(payment_id)
        if p.state != "pending" or p.method not in ("wechat", "alipay"):
            return p
        assert p.out_trade_no is not None and self.gateway is not None
        try:
            trade: Trade | None = self.gateway.query(p.out_trade_no)
        except ProviderError as e:
            if e.code != "ORDERNOTEXIST":
                raise PaymentError(
                    f"cannot reach the provider to check payment #{p.id}: {e.message}",
                    code="payment.unclear",
                ) from e
            self._cancel_local(p.id, by=None, reason="no trade at the provider")
            return self.payment(p.id)
        assert trade is not None
        if p.detail.get("flow") == "qr" and trade.state in (
            TradeState.NOT_PAID,
            TradeState.USER_PAYING,
        ):
            return p
        try:
            return self._settle(p, trade, by=p.staff_no)
        except PaymentError:
            return self.payment(p.id)

    def resume_pending(self) -> list[Payment]:
        """Reconcile every pending WeChat/Alipay payment (at start-up); the results."""
        rows = self.store.db.execute(
            "SELECT id FROM payments WHERE state = 'pending' AND method IN ('wechat', 'alipay')"
        ).fetchall()
        out = []
        for (pid,) in rows:
            try:
                out.append(self.reconcile(pid))
            except PaymentError as e:
                log.warning("payment %d still unclear: %s", pid, e.message)
        return out

    # -- cancel and refund ---------------------------------------------------------------------
    def cancel(self, payment_id: int, *, by: str, reason: str) -> Payment:
        """Cancel a pending payment (closing or reversing its trade at the provider first).

        Raises:
            PaymentError: not pending (``payment.state``), or the provider says it was paid
                meanwhile (the payment is then recorded paid; ``payment.already_paid``).
        """
        p = self.payment(payment_id)
        if p.state != "pending":
            raise PaymentError(
                f"payment {payment_id} is {p.state}; only pending ones can be cancelled",
                code="payment.state",
            )
        if p.method in ("wechat", "alipay") and p.out_trade_no:
            gw = self._gateway()
            try:
                trade = (
                    gw.close(p.out_trade_no)
                    if p.detail.get("flow") == "qr"
                    else gw.reverse(p.out_trade_no)
                )
            except ProviderError as e:
                if e.code == "ORDERPAID":
                    self.check(payment_id)
                    raise PaymentError(
                        "the payer has just paid; the payment is recorded as paid",
                        code="payment.already_paid",
                    ) from e
                if e.code != "ORDERNOTEXIST":
                    raise PaymentError(
                        f"the provider could not cancel it: {e.message}", code="payment.unclear"
                    ) from e
            else:
                log.info("payment %d: trade %s at the provider", payment_id, trade.state.value)
        self._cancel_local(payment_id, by=by, reason=reason)
        return self.payment(payment_id)

    def refund(
        self,
        payment_id: int,
        amount_fen: object,
        *,
        reason: str,
        requested_by: str,
        approved_by: str,
        reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        """Refund part or all of a paid payment: a new ``refunds`` row, never an edit.

        WeChat Pay / Alipay refunds go back through the provider to the paying account; card
        and transfer refunds are made by staff on the terminal or at the bank, and ``reference``
        records theirs.

        Raises:
            StaffError: the approver lacks the supervisor role.
            PaymentError: ``payment.refund_refused`` (the refund rule), ``payment.over_refund``,
                ``payment.state`` (not paid), amount errors, ``payment.bad_reference``.
        """
        self.role_check(approved_by, "supervisor")
        if not reason.strip():
            raise PaymentError("a refund needs a reason", code="payment.reason_required")
        p = self.payment(payment_id)
        if p.state not in ("paid", "partially_refunded"):
            raise PaymentError(
                f"payment {payment_id} is {p.state}: nothing to refund", code="payment.state"
            )
        amount = check_fen(amount_fen, what="refund")
        if self.refund_rule is not None:
            why = self.refund_rule(p)
            if why:
                raise PaymentError(f"refund not allowed: {why}", code="payment.refund_refused")
        if idempotency_key:
            row = self.store.db.execute(
                "SELECT id FROM refunds WHERE idempotency_key = ?", [idempotency_key]
            ).fetchone()
            if row is not None:
                return next(r for r in self.refunds(payment_id) if r.id == row[0])
        pending = self.store.db.execute(
            "SELECT coalesce(sum(amount_fen), 0) FROM refunds "
            "WHERE payment_id = ? AND state = 'pending'",
            [payment_id],
        ).fetchone()[0]
        room = p.amount_fen - p.refunded_fen - int(pending)
        if amount > room:
            raise PaymentError(
                f"refund of {amount} fen is more than the {room} fen left of payment {payment_id}",
                code="payment.over_refund",
            )
        if p.method in ("card", "transfer"):
            if reference is None:
                raise PaymentError(
                    "record the terminal's or bank's refund reference", code="payment.bad_reference"
                )
            reference = check_reference(reference, what="refund reference")
        now = utc_now()
        self._refuse_closed_day(now, "refund")
        n = len(self.refunds(payment_id)) + 1
        with self.store.atomic() as db:
            rid = inserted_id(
                db.table("refunds").insert(
                    {
                        "payment_id": payment_id,
                        "idempotency_key": idempotency_key
                        or f"{p.idempotency_key}:refund:{n}:{now}",
                        "amount_fen": amount,
                        "state": "pending",
                        "reason": reason.strip(),
                        "requested_by": requested_by,
                        "approved_by": approved_by,
                        "out_refund_no": f"{p.out_trade_no}-R{n}" if p.out_trade_no else None,
                        "reference": reference,
                        "created_at": now,
                    }
                )
            )
        return self._finish_refund(rid)

    def retry_refund(self, refund_id: int) -> Refund:
        """Send a pending (unclear) refund again with the same refund number; idempotent.

        Raises:
            PaymentError: as :meth:`refund` (``payment.refund_failed``, ``payment.unclear``).
        """
        row = self.store.db.table("refunds").get(refund_id)
        if row["state"] != "pending":
            return next(r for r in self.refunds(row["payment_id"]) if r.id == refund_id)
        return self._finish_refund(refund_id)

    def _finish_refund(self, rid: int) -> Refund:
        """Move money back (provider methods) and record the refund done, or say why not."""
        row = self.store.db.table("refunds").get(rid)
        p = self.payment(row["payment_id"])
        amount, reference = row["amount_fen"], row["reference"]
        if p.method in ("wechat", "alipay"):
            assert p.out_trade_no is not None
            try:
                result = self._gateway().refund(
                    out_trade_no=p.out_trade_no,
                    out_refund_no=row["out_refund_no"],
                    amount_fen=amount,
                )
            except ProviderError as e:
                if not e.unclear:
                    with self.store.atomic() as db:
                        db.table("refunds").update(rid, {"state": "failed", "done_at": utc_now()})
                    raise PaymentError(
                        f"the provider refused the refund ({e.code}: {e.message})",
                        code="payment.refund_failed",
                    ) from e
                raise PaymentError(
                    f"the refund's result is unclear ({e.code}); it stays pending: retry it "
                    f"(retry_refund {rid}) and the same refund number is sent again",
                    code="payment.unclear",
                ) from e
            reference = result.refund_id
        with self.store.atomic() as db:
            db.table("refunds").update(
                rid, {"state": "done", "done_at": utc_now(), "reference": reference}
            )
            refunded = p.refunded_fen + amount
            new_state = "refunded" if refunded >= p.amount_fen else "partially_refunded"
            self._transition(
                db, p.id, p.state, new_state, by=row["approved_by"], reason=row["reason"]
            )
            emit(
                db,
                kind="refund.done",
                payload={
                    "refund_id": rid,
                    "payment_id": p.id,
                    "order_no": p.order_no,
                    "amount_fen": amount,
                    "reason": row["reason"],
                    "requested_by": row["requested_by"],
                    "approved_by": row["approved_by"],
                    "reference": reference,
                    "method": p.method,
                },
                order_no=p.order_no,
            )
        return next(r for r in self.refunds(p.id) if r.id == rid)

    # -- invoice -------------------------------------------------------------------------------
    def record_invoice(
        self, visit_id: int, *, title: str, taxpayer_no: str, phone: str, email: str
    ) -> int:
        """Collect invoice details (发票: title, taxpayer number, phone, e-mail) for the hub.

        Raises:
            PaymentError: a field is missing or malformed (``invoice.invalid``), naming it.
        """
        from kiosk.payments.invoice import check_invoice

        fields = check_invoice(title=title, taxpayer_no=taxpayer_no, phone=phone, email=email)
        visit = self._visit(visit_id)
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
        visit = self._visit(visit_id)
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
