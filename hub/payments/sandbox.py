"""The sandbox provider: WeChat Pay / Alipay's state model without moving money.

For training and tests. It keeps trades in memory and follows the real providers' rules
(see :mod:`kiosk.contracts.payments`). What a payment code does is chosen by its last four digits,
the way the providers' own sandboxes use magic amounts:

=========  ===================================================================================
suffix     behaviour
=========  ===================================================================================
``0001``   ``USER_PAYING`` (the payer must confirm with a password); ``SUCCESS`` from the 2nd
           query on
``0002``   ``USER_PAYING`` forever (the payer walks away): the kiosk must reverse
``0003``   refused: ``NOTENOUGH`` (balance insufficient); nothing charged
``0004``   unclear: ``SYSTEMERROR`` is answered, but the trade did succeed (query finds it)
``0005``   unclear: ``SYSTEMERROR``, and the trade did not happen (query: ``NOT_PAID``)
``0006``   refused: ``AUTH_CODE_INVALID`` (an expired code)
other      ``SUCCESS`` at once
=========  ===================================================================================

Set ``refund_unclear_once`` to make the next refund happen but answer a system error (the
kiosk keeps it pending and retries it with the same refund number).

QR trades (:meth:`SandboxProvider.precreate`) stay ``NOT_PAID`` until
:meth:`SandboxProvider.simulate_scan` (the training screen's "payer pays" button).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kiosk.contracts.payments import (
    Channel,
    ProviderError,
    ProviderUnavailable,
    RefundResult,
    Trade,
    TradeState,
    channel_of_code,
)
from kiosk.domain.clock import SYSTEM_CLOCK, Clock


@dataclass
class _Entry:
    trade: Trade
    scenario: str = "ok"
    queries: int = 0
    refunds: dict[str, RefundResult] = field(default_factory=dict)
    paid_at: datetime | None = None  # when the trade succeeded (the bill's time for it)
    refunded_at: dict[str, datetime] = field(default_factory=dict)


class SandboxProvider:
    """An in-memory provider with the real state model. Thread-safe."""

    name = "sandbox"

    def __init__(self) -> None:
        self._trades: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.available = True
        # Training/tests: the next refund is made but answered with a system error (unclear).
        self.refund_unclear_once = False
        self.calls: list[tuple[str, str]] = []  # (operation, out_trade_no): for tests' eyes
        self.clock: Clock = SYSTEM_CLOCK  # the bill's times

    # -- helpers -------------------------------------------------------------------------------
    def _check(self, op: str, out_trade_no: str) -> None:
        if not self.available:
            raise ProviderUnavailable("sandbox provider switched off")
        self.calls.append((op, out_trade_no))

    def _txid(self, channel: Channel) -> str:
        n = next(self._ids)
        return f"{'4200' if channel == 'wechat' else '2026'}{n:016d}"

    def _get(self, out_trade_no: str) -> _Entry:
        entry = self._trades.get(out_trade_no)
        if entry is None:
            raise ProviderError("ORDERNOTEXIST", f"no trade {out_trade_no}", status=404)
        return entry

    @staticmethod
    def _validate(out_trade_no: str, amount_fen: int) -> None:
        if (
            not (1 <= len(out_trade_no) <= 32)
            or not out_trade_no.replace("-", "").replace("_", "").isalnum()
        ):
            raise ProviderError("PARAM_ERROR", "out_trade_no must be 1-32 of [A-Za-z0-9_-]")
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
            raise ProviderError("PARAM_ERROR", "amount must be a positive integer of fen")

    # -- the interface -------------------------------------------------------------------------
    def micropay(
        self, *, out_trade_no: str, auth_code: str, amount_fen: int, description: str
    ) -> Trade:
        """See :meth:`kiosk.contracts.payments.PaymentProvider.micropay`."""
        with self._lock:
            self._check("micropay", out_trade_no)
            self._validate(out_trade_no, amount_fen)
            channel = channel_of_code(auth_code)
            if channel is None:
                raise ProviderError("AUTH_CODE_INVALID", "not a WeChat Pay or Alipay payment code")
            existing = self._trades.get(out_trade_no)
            if existing is not None:
                if existing.trade.amount_fen != amount_fen:
                    raise ProviderError("OUT_TRADE_NO_USED", "out_trade_no used for another amount")
                return existing.trade  # a retry: the same trade, never a second charge
            scenario = {
                "0001": "confirm",
                "0002": "walk-away",
                "0003": "no-balance",
                "0004": "unclear-paid",
                "0005": "unclear-unpaid",
                "0006": "expired",
            }.get(auth_code[-4:], "ok")
            if scenario == "no-balance":
                raise ProviderError("NOTENOUGH", "balance insufficient (sandbox)")
            if scenario == "expired":
                raise ProviderError("AUTH_CODE_INVALID", "payment code expired (sandbox)")
            state = {
                "ok": TradeState.SUCCESS,
                "confirm": TradeState.USER_PAYING,
                "walk-away": TradeState.USER_PAYING,
                "unclear-paid": TradeState.SUCCESS,
                "unclear-unpaid": TradeState.NOT_PAID,
            }[scenario]
            trade = Trade(
                out_trade_no,
                channel,
                amount_fen,
                state,
                transaction_id=self._txid(channel) if state is TradeState.SUCCESS else None,
            )
            self._trades[out_trade_no] = _Entry(
                trade, scenario, paid_at=self.clock.now() if state is TradeState.SUCCESS else None
            )
            if scenario.startswith("unclear"):
                raise ProviderError(
                    "SYSTEMERROR", "system busy (sandbox)", unclear=True, status=502
                )
            return trade

    def precreate(
        self, *, out_trade_no: str, channel: Channel, amount_fen: int, description: str
    ) -> tuple[Trade, str]:
        """See :meth:`kiosk.contracts.payments.PaymentProvider.precreate`."""
        with self._lock:
            self._check("precreate", out_trade_no)
            self._validate(out_trade_no, amount_fen)
            if channel not in ("wechat", "alipay"):
                raise ProviderError("PARAM_ERROR", f"unknown channel {channel!r}")
            existing = self._trades.get(out_trade_no)
            if existing is None:
                existing = _Entry(
                    Trade(out_trade_no, channel, amount_fen, TradeState.NOT_PAID), "qr"
                )
                self._trades[out_trade_no] = existing
            scheme = (
                "weixin://wxpay/bizpayurl?pr=" if channel == "wechat" else "https://qr.alipay.com/"
            )
            return existing.trade, f"{scheme}sandbox-{out_trade_no}"

    def simulate_scan(self, out_trade_no: str, *, pay: bool = True) -> Trade:
        """Training: the payer scans the QR and pays (or scans and does not)."""
        with self._lock:
            entry = self._get(out_trade_no)
            if entry.trade.state in (TradeState.NOT_PAID, TradeState.USER_PAYING):
                entry.trade = replace(
                    entry.trade,
                    state=TradeState.SUCCESS if pay else TradeState.USER_PAYING,
                    transaction_id=self._txid(entry.trade.channel) if pay else None,
                )
                if pay:
                    entry.paid_at = self.clock.now()
            return entry.trade

    def query(self, out_trade_no: str) -> Trade:
        """See :meth:`kiosk.contracts.payments.PaymentProvider.query`."""
        with self._lock:
            self._check("query", out_trade_no)
            entry = self._get(out_trade_no)
            entry.queries += 1
            if (
                entry.scenario == "confirm"
                and entry.trade.state is TradeState.USER_PAYING
                and entry.queries >= 2
            ):
                entry.trade = replace(
                    entry.trade,
                    state=TradeState.SUCCESS,
                    transaction_id=self._txid(entry.trade.channel),
                )
                entry.paid_at = self.clock.now()
            return entry.trade

    def reverse(self, out_trade_no: str) -> Trade:
        """See :meth:`kiosk.contracts.payments.PaymentProvider.reverse`."""
        with self._lock:
            self._check("reverse", out_trade_no)
            entry = self._get(out_trade_no)
            if entry.trade.state is TradeState.REFUNDED:
                raise ProviderError("TRADE_REFUNDED", "a refunded trade cannot be reversed")
            if not entry.trade.state.final:
                entry.trade = replace(entry.trade, state=TradeState.REVERSED)
            return entry.trade

    def close(self, out_trade_no: str) -> Trade:
        """See :meth:`kiosk.contracts.payments.PaymentProvider.close`."""
        with self._lock:
            self._check("close", out_trade_no)
            entry = self._get(out_trade_no)
            if entry.trade.state.paid:
                raise ProviderError("ORDERPAID", "the trade is paid; refund it instead")
            if entry.trade.state in (TradeState.NOT_PAID, TradeState.USER_PAYING):
                entry.trade = replace(entry.trade, state=TradeState.CLOSED)
            return entry.trade

    def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundResult:
        """See :meth:`kiosk.contracts.payments.PaymentProvider.refund`."""
        with self._lock:
            self._check("refund", out_trade_no)
            entry = self._get(out_trade_no)
            if out_refund_no in entry.refunds:
                return entry.refunds[out_refund_no]
            if not entry.trade.state.paid:
                raise ProviderError("TRADE_NOT_PAID", f"trade is {entry.trade.state.value}")
            if not isinstance(amount_fen, int) or amount_fen <= 0:
                raise ProviderError("PARAM_ERROR", "refund must be a positive integer of fen")
            if entry.trade.refunded_fen + amount_fen > entry.trade.amount_fen:
                raise ProviderError("REFUND_FEE_INVALID", "refund exceeds what was paid")
            result = RefundResult(
                out_refund_no, out_trade_no, amount_fen, f"R{self._txid(entry.trade.channel)}"
            )
            entry.refunds[out_refund_no] = result
            entry.refunded_at[out_refund_no] = self.clock.now()
            entry.trade = replace(
                entry.trade,
                state=TradeState.REFUNDED,
                refunded_fen=entry.trade.refunded_fen + amount_fen,
            )
            if self.refund_unclear_once:
                self.refund_unclear_once = False
                raise ProviderError(
                    "SYSTEMERROR", "system busy (sandbox)", unclear=True, status=502
                )
            return result

    # -- the statement -------------------------------------------------------------------------
    def bill(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The provider's bill (对账单) for ``[start, end)``: one row per success and per refund.

        Rows: ``{"out_trade_no", "channel", "type": "pay"|"refund", "amount_fen", "at"}``
        (``at`` an aware UTC datetime), like the providers' downloadable daily statements.
        """
        rows: list[dict[str, Any]] = []
        with self._lock:
            if not self.available:
                raise ProviderUnavailable("sandbox provider switched off")
            for no, entry in self._trades.items():
                ch = entry.trade.channel
                if entry.paid_at is not None and start <= entry.paid_at < end:
                    rows.append(
                        {
                            "out_trade_no": no,
                            "channel": ch,
                            "type": "pay",
                            "amount_fen": entry.trade.amount_fen,
                            "at": entry.paid_at,
                        }
                    )
                for rno, at in entry.refunded_at.items():
                    if start <= at < end:
                        rows.append(
                            {
                                "out_trade_no": no,
                                "channel": ch,
                                "type": "refund",
                                "amount_fen": entry.refunds[rno].amount_fen,
                                "at": at,
                            }
                        )
        return rows
