"""Receipts of visits: built from the visit and its payment, queued when the payment is paid.

:meth:`ReceiptService.on_paid` is the payment service's ``on_paid`` hook: it runs inside the
transaction that marks a payment paid, so the receipt job is saved with the payment (save first,
then print). :meth:`ReceiptService.after_paid` (the ``after_paid`` hook, after commit) wakes the
print worker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from data.store import Store
from hardware.printer.doc import Doc
from kiosk.domain.types import Kind, Service
from kiosk.errors import VisitError
from kiosk.receipts.layout import ReceiptData, ReceiptItem, build_receipt
from kiosk.receipts.queue import PrintQueue, PrintWorker


@dataclass(frozen=True, slots=True)
class CounterInfo:
    """The counter as a receipt names it."""

    name_zh: str
    address_zh: str
    hotline: str = ""
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    """A program as a receipt names it."""

    name_zh: str
    transfer_remark: str = ""


class ReceiptService:
    """Receipts: content, queueing on payment, preview, reprint.

    Args:
        store: the kiosk's store.
        queue: the print queue.
        counter: the counter's name, address, hotline, time zone.
        programs: program id → its name and transfer remark.
        worker: the print worker to wake when a receipt is queued (optional).
    """

    def __init__(
        self,
        store: Store,
        queue: PrintQueue,
        counter: CounterInfo,
        programs: Mapping[str, ProgramInfo],
        worker: PrintWorker | None = None,
    ):
        self.store = store
        self.queue = queue
        self.counter = counter
        self.programs = dict(programs)
        self.worker = worker

    def _visit(self, visit_id: int) -> dict[str, Any]:
        rows = list(self.store.db.table("visits").rows_where("id = ?", [visit_id]))
        if not rows:
            raise VisitError(f"no visit {visit_id}", code="visit.unknown")
        return rows[0]

    def visit_id(self, order_no: str) -> int:
        """The visit of an order number (``VisitError`` ``visit.unknown`` if none)."""
        row = self.store.db.execute(
            "SELECT id FROM visits WHERE order_no = ?", [order_no]
        ).fetchone()
        if row is None:
            raise VisitError(f"no visit with order number {order_no}", code="visit.unknown")
        return int(row[0])

    def receipt_data(self, payment: Any) -> ReceiptData:
        """The receipt of a payment (a :class:`kiosk.payments.service.Payment`)."""
        visit = self._visit(payment.visit_id)
        data = json.loads(visit.get("data") or "{}")
        program = self.programs.get(
            visit.get("program") or "", ProgramInfo(visit.get("program") or "")
        )
        try:
            service_zh = Service(visit["service"]).zh
        except ValueError:
            service_zh = visit["service"]
        kind_zh = ""
        if visit.get("kind"):
            try:
                kind_zh = Kind(visit["kind"]).zh
            except ValueError:
                kind_zh = visit["kind"]
        items = tuple(
            ReceiptItem(i["label_zh"], i["label_en"], i["amount_fen"], i.get("quantity", 1))
            for i in payment.quote["items"]
        )
        years = data.get("years") or max((i.quantity for i in items), default=None)
        payer = payment.payer_name or (
            visit.get("agent_name") if visit.get("kind") == "individual" else visit.get("unit_name")
        )
        return ReceiptData(
            counter_name=self.counter.name_zh,
            counter_address=self.counter.address_zh,
            order_no=visit["order_no"],
            paid_at=payment.paid_at or payment.created_at,
            service_zh=service_zh,
            program_zh=program.name_zh,
            kind_zh=kind_zh,
            years=years if visit["service"] in ("new", "renew") else None,
            items=items,
            total_fen=payment.quote["total_fen"],
            method=payment.method,
            reference=payment.reference or "",
            staff_no=payment.staff_no or "",
            state="paid",
            payer=payer or "",
            transfer_remark=program.transfer_remark,
            hotline=self.counter.hotline,
            timezone=self.counter.timezone,
        )

    def on_paid(self, db: sqlite_utils.Database, payment: Any) -> None:
        """Payment hook (inside its transaction): queue the receipt."""
        self.queue.enqueue_receipt(
            self.receipt_data(payment), visit_id=payment.visit_id, requested_by=payment.staff_no
        )

    def after_paid(self, payment: Any) -> None:
        """Payment hook (after commit): print now rather than at the worker's next poll."""
        if self.worker is not None:
            self.worker.wake()

    def latest(self, visit_id: int) -> ReceiptData:
        """The visit's receipt as last queued.

        Raises:
            VisitError: no receipt yet (``receipt.none``).
        """
        jobs = [j for j in self.queue.jobs(visit_id=visit_id) if j.kind == "receipt"]
        if not jobs:
            raise VisitError("this visit has no receipt yet (is it paid?)", code="receipt.none")
        return jobs[-1].receipt()

    def preview(self, order_no: str, *, reprint: bool = False) -> Doc:
        """The receipt as it prints, for the screen or ``kiosk receipt show``."""
        return build_receipt(
            self.latest(self.visit_id(order_no)), columns=self.queue.columns, reprint=reprint
        )

    def reprint(self, order_no: str, *, requested_by: str | None) -> int:
        """Queue a 重打 copy of a visit's receipt; the job id."""
        job = self.queue.reprint(self.visit_id(order_no), requested_by=requested_by)
        if self.worker is not None:
            self.worker.wake()
        return job
