"""Settling with the provider: a WeChat Pay / Alipay trade queried until it settles, and
reversed when it is not confirmed in time, so a payer is never charged for a payment the kiosk
did not record; after a crash, pending payments brought in line with the provider by their
``out_trade_no`` (:meth:`Reconciler.reconcile`, :meth:`Reconciler.resume_pending`)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from kiosk.contracts.payments import ProviderError, Trade, TradeState
from kiosk.errors import PaymentError
from kiosk.payments.gateway import Gateway
from kiosk.payments.ledger import Ledger, Payment

log = logging.getLogger(__name__)


class Reconciler:
    """Brings pending provider payments to a final state.

    Args:
        ledger: the payments.
        gateway: the payment provider (None: WeChat Pay / Alipay unavailable).
        poll_interval_s: seconds between queries of a trade that is not settled.
        max_wait_s: how long a payer may take to confirm before the trade is reversed.
        sleep: waits between queries (tests pass a fake).
    """

    def __init__(
        self,
        ledger: Ledger,
        gateway: Gateway | None,
        *,
        poll_interval_s: float = 2.0,
        max_wait_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ledger = ledger
        self.store = ledger.store
        self.gateway = gateway
        self.poll_interval_s = poll_interval_s
        self.max_wait_s = max_wait_s
        self._sleep = sleep

    def settle(self, payment: Payment, trade: Trade | None, *, by: str | None) -> Payment:
        """Query until the trade settles or the wait ends; reverse what is not confirmed."""
        assert self.gateway is not None and payment.out_trade_no is not None
        no = payment.out_trade_no
        deadline = time.monotonic() + self.max_wait_s
        while True:
            if trade is not None:
                if trade.state.paid:
                    with self.store.atomic() as db:
                        self.ledger.mark_paid(
                            db,
                            payment.id,
                            by=by,
                            reference=trade.transaction_id,
                            detail={"trade_state": trade.state.value},
                        )
                    self.ledger.notify_paid()
                    return self.ledger.payment(payment.id)
                if trade.state.final:
                    self.ledger.cancel_local(
                        payment.id, by=by, reason=f"provider: {trade.state.value}"
                    )
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
                self.ledger.cancel_local(payment.id, by=by, reason="no trade at the provider")
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
        self.ledger.cancel_local(
            payment.id,
            by=by,
            reason=f"not confirmed in time; provider: {reversed_trade.state.value}",
        )
        raise PaymentError(
            "the payer did not confirm in time; the payment was reversed (nothing is charged)",
            code="payment.not_confirmed",
        )

    def reconcile(self, payment_id: int) -> Payment:
        """Bring a pending WeChat/Alipay payment in line with the provider (after a crash).

        A code payment that is not paid is settled (queried, then reversed); a QR payment that
        is still open stays pending.
        """
        p = self.ledger.payment(payment_id)
        if p.state != "pending" or not p.method.through_provider:
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
            self.ledger.cancel_local(p.id, by=None, reason="no trade at the provider")
            return self.ledger.payment(p.id)
        assert trade is not None
        if p.detail.get("flow") == "qr" and trade.state in (
            TradeState.NOT_PAID,
            TradeState.USER_PAYING,
        ):
            return p
        try:
            return self.settle(p, trade, by=p.staff_no)
        except PaymentError:
            return self.ledger.payment(p.id)

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
