"""Refunds: part or all of a paid payment back, approved by a supervisor, each its own
``refunds`` row (never an edit of the payment). WeChat Pay / Alipay refunds go back through the
provider to the paying account (idempotent per refund number); card and transfer refunds are
made by staff on the terminal or at the bank, and their reference is recorded."""

from __future__ import annotations

from collections.abc import Callable

from data.outbox import emit
from data.store import inserted_id, utc_now
from kiosk.contracts.payments import ProviderError
from kiosk.domain.payment import STAFF_METHODS
from kiosk.errors import PaymentError, StaffError
from kiosk.payments.charge import Charges
from kiosk.payments.ledger import Ledger, Payment, Refund
from kiosk.payments.money import check_fen, check_reference


def default_role_check(staff_no: str, role: str) -> None:
    """Until the staff area wires its roster: an approver must at least be named.

    Raises:
        StaffError: no staff number (``staff.role_required``).
    """
    if not staff_no or not staff_no.strip():
        raise StaffError(f"a {role} must approve this", code="staff.role_required")


class Refunder:
    """Refunds of paid payments.

    Args:
        ledger: the payments.
        charges: the channels (a provider refund needs the provider online).
        role_check: ``role_check(staff_no, role)`` raises ``StaffError`` unless the person has
            the role (the staff area's; default only requires a staff number).
        refund_rule: ``refund_rule(payment)`` returns why a refund is not allowed, or None (the
            domain's refund rule; default allows).
    """

    def __init__(
        self,
        ledger: Ledger,
        charges: Charges,
        *,
        role_check: Callable[[str, str], None] = default_role_check,
        refund_rule: Callable[[Payment], str | None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.store = ledger.store
        self.charges = charges
        self.role_check = role_check
        self.refund_rule = refund_rule

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
        p = self.ledger.payment(payment_id)
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
                return next(r for r in self.ledger.refunds(payment_id) if r.id == row[0])
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
        if p.method in STAFF_METHODS:
            if reference is None:
                raise PaymentError(
                    "record the terminal's or bank's refund reference", code="payment.bad_reference"
                )
            reference = check_reference(reference, what="refund reference")
        now = utc_now()
        self.ledger.refuse_closed_day(now, "refund")
        n = len(self.ledger.refunds(payment_id)) + 1
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
        return self.finish_refund(rid)

    def retry_refund(self, refund_id: int) -> Refund:
        """Send a pending (unclear) refund again with the same refund number; idempotent.

        Raises:
            PaymentError: as :meth:`refund` (``payment.refund_failed``, ``payment.unclear``).
        """
        row = self.store.db.table("refunds").get(refund_id)
        if row["state"] != "pending":
            return next(r for r in self.ledger.refunds(row["payment_id"]) if r.id == refund_id)
        return self.finish_refund(refund_id)

    def finish_refund(self, rid: int) -> Refund:
        """Move money back (provider methods) and record the refund done, or say why not."""
        row = self.store.db.table("refunds").get(rid)
        p = self.ledger.payment(row["payment_id"])
        amount, reference = row["amount_fen"], row["reference"]
        if p.method.through_provider:
            assert p.out_trade_no is not None
            try:
                result = self.charges.gateway_or_refuse().refund(
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
            self.ledger.transition(
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
        return next(r for r in self.ledger.refunds(p.id) if r.id == rid)
