"""The channels that take money: bank card on the counter's terminal (刷卡), the payer's
payment code read by the scanner (付款码), a QR code on screen the payer scans (扫码), and bank
transfer (对公转账); whether WeChat Pay and Alipay can be used now; cancelling a pending
payment. Each saves the pending payment in the ledger first, then moves money."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from kiosk.contracts.payments import Channel, ProviderError, ProviderUnavailable, Trade
from kiosk.domain.payment import PROVIDER_METHODS, PaymentMethod
from kiosk.errors import PaymentError
from kiosk.payments.gateway import Gateway
from kiosk.payments.ledger import METHODS, Ledger, Method, Payment
from kiosk.payments.money import (
    QuoteLike,
    check_fen,
    check_quote,
    check_reference,
    normalise_name,
    payment_code_channel,
)
from kiosk.payments.reconcile import Reconciler

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MethodAvailability:
    """Whether a method can be used now, and if not, why (for the payment screen)."""

    method: Method
    available: bool
    reason: str = ""
    reason_zh: str = ""


class Charges:
    """Takes money for quotes through the four channels.

    Args:
        ledger: the payments.
        reconciler: settles provider trades (its gateway is the one charged).
    """

    def __init__(self, ledger: Ledger, reconciler: Reconciler) -> None:
        self.ledger = ledger
        self.store = ledger.store
        self.reconciler = reconciler
        self.gateway = reconciler.gateway
        self._online = self.gateway is not None
        self.offline_reason = "" if self.gateway is not None else "no payment provider configured"
        # After a failed call the methods are off for this long, then the next attempt may try
        # again (the sync worker's set_online() word holds until it speaks again).
        self.retry_offline_s = 30.0
        self._retry_at: float | None = None

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

    def went_offline(self, reason: str) -> None:
        """A call found the provider unreachable: methods off, retried after a while."""
        self.set_online(False, reason)
        self._retry_at = time.monotonic() + self.retry_offline_s

    def methods(self) -> list[MethodAvailability]:
        """Each method and whether it can be used now."""
        out = []
        for m in METHODS:
            if m.through_provider and not self.provider_online:
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

    def check_amount(self, amount_fen: object, quote: QuoteLike) -> int:
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

    def gateway_or_refuse(self) -> Gateway:
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
        amount = self.check_amount(amount_fen, quote)
        ref = check_reference(terminal_ref, what="terminal reference")
        payment, _ = self.ledger.create(
            visit_id,
            quote,
            PaymentMethod.CARD,
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
        amount = self.check_amount(amount_fen, quote)
        serial = check_reference(bank_serial, what="bank serial")
        visit = self.ledger.visit(visit_id)
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
        payment, _ = self.ledger.create(
            visit_id,
            quote,
            PaymentMethod.TRANSFER,
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
        p = self.ledger.payment(payment_id)
        if p.method is not PaymentMethod.TRANSFER or p.state != "pending":
            raise PaymentError(
                f"payment {payment_id} is a {p.state} {p.method} payment, not a pending transfer",
                code="payment.state",
            )
        with self.store.atomic() as db:
            self.ledger.mark_paid(
                db, payment_id, by=confirmed_by, reference=None, detail={"confirmed_by": source}
            )
        self.ledger.notify_paid()
        return self.ledger.payment(payment_id)

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
        gw = self.gateway_or_refuse()
        payment, created = self.ledger.create(
            visit_id,
            quote,
            PaymentMethod(channel),
            quote.total_fen,
            staff_no=staff_no,
            idempotency_key=idempotency_key,
            detail={"flow": "code"},
        )
        if not created:
            if payment.state == "pending":  # a retry after a crash: the provider knows the truth
                payment = self.reconciler.reconcile(payment.id)
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
            self.went_offline(e.message)
            self.ledger.cancel_local(
                payment.id, by=staff_no, reason=f"provider unreachable: {e.message}"
            )
            raise PaymentError(
                f"WeChat Pay and Alipay are unavailable: {e.message}; use bank card or transfer",
                code="payment.provider_offline",
            ) from e
        except ProviderError as e:
            if not e.unclear:
                self.ledger.cancel_local(payment.id, by=staff_no, reason=f"{e.code}: {e.message}")
                raise PaymentError(
                    f"the payment was refused ({e.code}: {e.message}); nothing was charged",
                    code="payment.refused",
                ) from e
            log.warning("payment %d: unclear answer %s; querying", payment.id, e.code)
            first = None
        return self.reconciler.settle(payment, first, by=staff_no)

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
        if channel not in PROVIDER_METHODS:
            raise PaymentError(f"no QR payment by {channel!r}", code="payment.bad_method")
        gw = self.gateway_or_refuse()
        payment, _ = self.ledger.create(
            visit_id,
            quote,
            PaymentMethod(channel),
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
            self.ledger.cancel_local(payment.id, by=staff_no, reason=f"{e.code}: {e.message}")
            if isinstance(e, ProviderUnavailable):
                self.went_offline(e.message)
            raise PaymentError(
                f"the QR code could not be created ({e.message})", code="payment.refused"
            ) from e
        return payment, url

    def check(self, payment_id: int) -> Payment:
        """Ask the provider once about a pending QR payment; marks it paid when it is."""
        p = self.ledger.payment(payment_id)
        if p.state != "pending" or not p.method.through_provider:
            return p
        assert p.out_trade_no is not None
        trade = self.gateway_or_refuse().query(p.out_trade_no)
        if trade.state.paid:
            with self.store.atomic() as db:
                self.ledger.mark_paid(
                    db,
                    p.id,
                    by=p.staff_no,
                    reference=trade.transaction_id,
                    detail={"trade_state": trade.state.value},
                )
        elif trade.state.final:
            self.ledger.cancel_local(p.id, by=p.staff_no, reason=f"provider: {trade.state.value}")
        self.ledger.notify_paid()
        return self.ledger.payment(payment_id)

    # -- cancel and refund ---------------------------------------------------------------------
    def cancel(self, payment_id: int, *, by: str, reason: str) -> Payment:
        """Cancel a pending payment (closing or reversing its trade at the provider first).

        Raises:
            PaymentError: not pending (``payment.state``), or the provider says it was paid
                meanwhile (the payment is then recorded paid; ``payment.already_paid``).
        """
        p = self.ledger.payment(payment_id)
        if p.state != "pending":
            raise PaymentError(
                f"payment {payment_id} is {p.state}; only pending ones can be cancelled",
                code="payment.state",
            )
        if p.method.through_provider and p.out_trade_no:
            gw = self.gateway_or_refuse()
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
        self.ledger.cancel_local(payment_id, by=by, reason=reason)
        return self.ledger.payment(payment_id)
