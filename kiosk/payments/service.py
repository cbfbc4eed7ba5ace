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

:class:`PaymentService` is the public face of the area; the work is in
:mod:`kiosk.payments.ledger` (tables, queries, state machine), :mod:`kiosk.payments.charge`
(card, payment code, QR on screen, transfer), :mod:`kiosk.payments.reconcile` (settling with
the provider), :mod:`kiosk.payments.refunds` and :mod:`kiosk.payments.invoice`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

import sqlite_utils

from data.store import Store
from kiosk.contracts.payments import Channel
from kiosk.payments.charge import Charges, MethodAvailability
from kiosk.payments.gateway import Gateway
from kiosk.payments.ledger import LIVE_STATES, METHODS, Ledger, Method, Payment, Refund
from kiosk.payments.money import QuoteLike
from kiosk.payments.reconcile import Reconciler
from kiosk.payments.refunds import Refunder, default_role_check


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
    ) -> None:
        self.store = store
        self.ledger = Ledger(
            store,
            on_paid=on_paid,
            after_paid=after_paid,
            allow_issue_on_pending_transfer=allow_issue_on_pending_transfer,
            timezone=timezone,
        )
        self.reconciler = Reconciler(
            self.ledger,
            gateway,
            poll_interval_s=poll_interval_s,
            max_wait_s=max_wait_s,
            sleep=sleep,
        )
        self.charges = Charges(self.ledger, self.reconciler)
        self.refunder = Refunder(
            self.ledger, self.charges, role_check=role_check, refund_rule=refund_rule
        )

    # -- configuration the callers read or set -------------------------------------------------
    @property
    def gateway(self) -> Gateway | None:
        """The payment provider (None: WeChat Pay / Alipay unavailable)."""
        return self.charges.gateway

    @property
    def role_check(self) -> Callable[[str, str], None]:
        """Who may approve a refund (the staff area's check)."""
        return self.refunder.role_check

    @role_check.setter
    def role_check(self, check: Callable[[str, str], None]) -> None:
        self.refunder.role_check = check

    @property
    def refund_rule(self) -> Callable[[Payment], str | None] | None:
        """Why a refund is not allowed, or None (the domain's refund rule)."""
        return self.refunder.refund_rule

    @refund_rule.setter
    def refund_rule(self, rule: Callable[[Payment], str | None] | None) -> None:
        self.refunder.refund_rule = rule

    # -- reading (ledger) ----------------------------------------------------------------------
    def visit_id(self, order_no: str) -> int:
        """The visit of an order number; see :meth:`Ledger.visit_id`."""
        return self.ledger.visit_id(order_no)

    def payment(self, payment_id: int) -> Payment:
        """One payment; see :meth:`Ledger.payment`."""
        return self.ledger.payment(payment_id)

    def payments(self, visit_id: int) -> list[Payment]:
        """A visit's payments, oldest first."""
        return self.ledger.payments(visit_id)

    def refunds(self, payment_id: int) -> list[Refund]:
        """A payment's refunds, oldest first."""
        return self.ledger.refunds(payment_id)

    def transitions(self, payment_id: int) -> list[dict[str, Any]]:
        """Every state change of a payment, oldest first."""
        return self.ledger.transitions(payment_id)

    def paid_fen(self, visit_id: int) -> int:
        """Money kept for a visit: paid minus refunded."""
        return self.ledger.paid_fen(visit_id)

    def can_issue(self, visit_id: int) -> tuple[bool, str]:
        """Whether issuance may proceed as far as money goes, and why not."""
        return self.ledger.can_issue(visit_id)

    def status(self, visit_id: int) -> dict[str, Any]:
        """A visit's money as JSON-ready data (``kiosk pay status ORDER --json``)."""
        return self.ledger.status(visit_id)

    # -- availability (charge) -----------------------------------------------------------------
    @property
    def provider_online(self) -> bool:
        """Whether WeChat Pay / Alipay can be tried now."""
        return self.charges.provider_online

    @property
    def offline_reason(self) -> str:
        """Why WeChat Pay / Alipay cannot be used now ("" when they can)."""
        return self.charges.offline_reason

    def set_online(self, online: bool, reason: str = "") -> None:
        """The sync worker's word on whether the hub (and so the providers) can be reached."""
        self.charges.set_online(online, reason)

    def methods(self) -> list[MethodAvailability]:
        """Each method and whether it can be used now."""
        return self.charges.methods()

    # -- taking money (charge) -----------------------------------------------------------------
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
        """A card payment (刷卡), paid at once; see :meth:`Charges.pay_card`."""
        return self.charges.pay_card(
            visit_id,
            quote,
            terminal_ref=terminal_ref,
            amount_fen=amount_fen,
            staff_no=staff_no,
            idempotency_key=idempotency_key,
        )

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
        """A bank transfer (对公转账), pending; see :meth:`Charges.record_transfer`."""
        return self.charges.record_transfer(
            visit_id,
            quote,
            payer_name=payer_name,
            bank_serial=bank_serial,
            amount_fen=amount_fen,
            staff_no=staff_no,
            idempotency_key=idempotency_key,
        )

    def confirm_transfer(
        self, payment_id: int, *, confirmed_by: str, source: Literal["clerk", "hub"] = "clerk"
    ) -> Payment:
        """A pending transfer is confirmed; see :meth:`Charges.confirm_transfer`."""
        return self.charges.confirm_transfer(payment_id, confirmed_by=confirmed_by, source=source)

    def pay_code(
        self,
        visit_id: int,
        quote: QuoteLike,
        *,
        scanned: str,
        staff_no: str | None,
        idempotency_key: str | None = None,
    ) -> Payment:
        """Charge the payer's payment code (付款码); see :meth:`Charges.pay_code`."""
        return self.charges.pay_code(
            visit_id, quote, scanned=scanned, staff_no=staff_no, idempotency_key=idempotency_key
        )

    def pay_qr(
        self,
        visit_id: int,
        quote: QuoteLike,
        *,
        channel: Channel,
        staff_no: str | None,
        idempotency_key: str | None = None,
    ) -> tuple[Payment, str]:
        """Open a trade paid by scanning the kiosk's QR code; see :meth:`Charges.pay_qr`."""
        return self.charges.pay_qr(
            visit_id, quote, channel=channel, staff_no=staff_no, idempotency_key=idempotency_key
        )

    def check(self, payment_id: int) -> Payment:
        """Ask the provider once about a pending QR payment; marks it paid when it is."""
        return self.charges.check(payment_id)

    def cancel(self, payment_id: int, *, by: str, reason: str) -> Payment:
        """Cancel a pending payment; see :meth:`Charges.cancel`."""
        return self.charges.cancel(payment_id, by=by, reason=reason)

    # -- settling with the provider (reconcile) ------------------------------------------------
    def reconcile(self, payment_id: int) -> Payment:
        """Bring a pending WeChat/Alipay payment in line with the provider (after a crash)."""
        return self.reconciler.reconcile(payment_id)

    def resume_pending(self) -> list[Payment]:
        """Reconcile every pending WeChat/Alipay payment (at start-up); the results."""
        return self.reconciler.resume_pending()

    # -- refunds -------------------------------------------------------------------------------
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
        """Refund part or all of a paid payment; see :meth:`Refunder.refund`."""
        return self.refunder.refund(
            payment_id,
            amount_fen,
            reason=reason,
            requested_by=requested_by,
            approved_by=approved_by,
            reference=reference,
            idempotency_key=idempotency_key,
        )

    def retry_refund(self, refund_id: int) -> Refund:
        """Send a pending (unclear) refund again; see :meth:`Refunder.retry_refund`."""
        return self.refunder.retry_refund(refund_id)

    # -- invoice -------------------------------------------------------------------------------
    def record_invoice(
        self, visit_id: int, *, title: str, taxpayer_no: str, phone: str, email: str
    ) -> int:
        """Collect invoice details (发票) for the hub; see :meth:`Ledger.record_invoice`."""
        return self.ledger.record_invoice(
            visit_id, title=title, taxpayer_no=taxpayer_no, phone=phone, email=email
        )


__all__ = [
    "LIVE_STATES",
    "METHODS",
    "Method",
    "MethodAvailability",
    "Payment",
    "PaymentService",
    "Refund",
    "default_role_check",
]
