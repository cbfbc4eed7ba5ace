"""The visit screens' port onto the flow engine (kiosk.visits): open, resume, run a step, read.

The screens never hold flow logic: they collect a step's inputs, call :meth:`VisitDesk.run` in
a thread worker and show the state the engine returns (or its refusal, by code). This adapter
shares the app's parts with the engine (one store file, the app's payments and print queue, and
in training mode the rig's printer stand-in and loopback hub), so a visit on screen is exactly a
headless ``kiosk visit run`` visit.

No textual import here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import KioskError

if TYPE_CHECKING:  # the engine is imported on first use (the app starts without it)
    from kiosk.domain.fees import Quote
    from kiosk.domain.materials import Material
    from kiosk.visits.engine import VisitFlow
    from kiosk.visits.lookup import EarlierVisit, KeyStatus, RefundWords
    from kiosk.visits.paying import PaymentStatus
    from kiosk.visits.resources import Resources
    from kiosk.visits.state import Unit, VisitData, VisitView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenVisit:
    """A visit not finished, for staff to resume."""

    order: str
    service: str
    program: str
    kind: str
    next_step: str | None
    failure: str | None


class VisitDesk:
    """Visits for the screen.

    Args:
        settings: kiosk settings.
        base: the run's data folder (``DataPaths.base``).
        training: visits are marked training (and use the stand-ins).
        money: the app's payments wiring (shared so one print worker prints).
        rig: training mode's :class:`kiosk.shell.training.TrainingRig` (printer, hub), or None.
        staff_no: who serves (recorded by payments and keys).
        open_resources: builds the engine's :class:`~kiosk.visits.Resources` (the shell's
            builder, sharing the app's money, the rig's printer and hub); called once, on first
            use, in a worker thread.
    """

    def __init__(
        self,
        settings: Any,
        base: Path,
        *,
        training: bool,
        money: Any = None,
        rig: Any = None,
        staff_no: str = "kiosk",
        staff: Any = None,
        open_resources: Callable[[], Resources] | None = None,
    ):
        self.settings = settings
        self.base = Path(base)
        self.training = training
        self.money = money
        self.rig = rig
        self.staff_no = staff_no
        #: the staff area (``kiosk.shell.staff_desk.StaffService``): confirms transfers on screen.
        self.staff = staff
        #: seconds the pay step shows a QR code before it closes the trade unpaid.
        self.qr_wait_s = float(getattr(settings.payments, "qr_wait_s", 120.0))
        #: seconds between asking the provider about an open QR code.
        self.qr_poll_s = float(settings.payments.poll_interval_s)
        self._open_resources = open_resources
        self._res: Resources | None = None
        self._lock = threading.Lock()

    def resources(self) -> Resources:
        """The engine's Resources, opened on first use (in a worker thread: it opens the store
        and, in training, waits for the rig's hub).

        Raises:
            KioskError: ``visit.no_resources`` (the desk was made without a builder).
        """
        with self._lock:
            if self._res is None:
                if self._open_resources is None:
                    raise KioskError("visits are not wired here", code="visit.no_resources")
                self._res = self._open_resources()
            return self._res

    def close(self) -> None:
        """Release what the builder opened for the engine (the rig and money close
        themselves)."""
        res, self._res = self._res, None
        if res is not None:
            res.close()

    # -- visits ------------------------------------------------------------------------------

    def open(
        self,
        *,
        service: str,
        program: str,
        kind: str,
        years: int | None,
        seal: bool | None,
        order: str | None = None,
    ) -> VisitFlow:
        """Open a new visit.

        Raises:
            KioskError: the engine refused (``visit.order_required``, ``domain.choice`` …).
        """
        from kiosk.visits import VisitFlow

        return VisitFlow.open(
            self.resources(),
            service=service,
            program=program,
            kind=kind,
            years=years,
            seal=seal,
            order=order,
        )

    def resume(self, order: str) -> VisitFlow:
        """The unfinished visit ``order`` (``visit.unknown_order`` when there is none)."""
        from kiosk.visits import VisitFlow

        return VisitFlow.resume(self.resources(), order)

    def unfinished(self) -> list[OpenVisit]:
        """Visits of this kiosk not done (open or failed), newest first."""
        from kiosk.visits import VisitFlow

        res = self.resources()
        rows = res.store.db.execute(
            "SELECT order_no FROM visits WHERE state != 'done' ORDER BY id DESC LIMIT 20"
        ).fetchall()
        out = []
        for (order,) in rows:
            v = VisitFlow.resume(res, order).view()
            out.append(
                OpenVisit(
                    order,
                    v.service,
                    v.program,
                    v.kind,
                    v.next_step,
                    v.failure.code if v.failure else None,
                )
            )
        return out

    def run(self, flow: VisitFlow, step: str, inputs: dict[str, Any]) -> VisitView:
        """Run ``step`` with ``inputs``; returns the visit as it is afterwards.

        Raises:
            KioskError: the step refused or failed (the visit stays resumable at it).
        """
        flow.run_step(step, inputs)
        if self.rig is not None and self.rig.sync is not None:
            self.rig.sync.wake()
        return flow.view()

    def state(self, flow: VisitFlow) -> VisitView:
        """The visit as the engine reports it."""
        return flow.view()

    def data(self, flow: VisitFlow) -> VisitData:
        """The visit's journalled data (unit, quote items, key, handover)."""
        return flow.visit_data()

    def prefill(self, flow: VisitFlow, uscc: str) -> Unit | None:
        """The unit data the engine will reuse for this USCC (its latest earlier visit; None
        when there is none)."""
        from kiosk.visits.state import Unit

        known = self.resources().unit_prefill(uscc, exclude=flow.visit_id)
        return Unit.model_validate(known) if known else None

    def materials(self, flow: VisitFlow) -> list[Material]:
        """The materials checklist for this visit (kiosk.domain.materials)."""
        from kiosk.domain.materials import checklist
        from kiosk.domain.types import Kind, Service

        row = flow.row()
        program = self.settings.program(row["program"])
        return list(
            checklist(Service(row["service"]), Kind(row["kind"]), program, flow.visit_data().seal)
        )

    def quote(self, flow: VisitFlow) -> Quote:
        """The itemised quote (kiosk.domain.fees ``Quote``) the pay step charges: the engine's,
        so a change of an expired certificate shows its renewal's fees, not a free change."""
        return flow.quote()

    # -- the seal step (kiosk.visits.seal_camera) ----------------------------------------

    def seal_types(self, flow: VisitFlow) -> list[str]:
        """The seal types this visit's program makes (official first where it is offered)."""
        return list(self.settings.program(flow.row()["program"]).seal_types)

    def seal_station(
        self,
        flow: VisitFlow,
        seal_type: str,
        *,
        photo: str | None = None,
        staff_no: str | None = None,
    ) -> Any:
        """A started seal station on the camera (training: the simulator's imprint), or on a
        photo file for signed-in staff; it has given its first picture.

        Raises:
            KioskError: ``visit.no_camera`` (in words, with the next step),
                ``visit.photo_staff_only``, ``seal.*`` (a bad photo file).
        """
        from kiosk.visits.seal_camera import open_station

        unit = flow.visit_data().unit
        unit_type = (unit.unit_type if unit else None) or "enterprise"
        return open_station(
            self.settings,
            rig=self.rig,
            unit_type=unit_type,
            seal_type=seal_type,
            photo=photo,
            staff_no=staff_no,
        )

    def seal_inputs(
        self,
        flow: VisitFlow,
        acceptance: Any,
        seal_type: str,
        *,
        override_id: int | None = None,
        source: str = "camera",
    ) -> dict[str, Any]:
        """Save the accepted frame as the visit's evidence and give the seal step's inputs."""
        from kiosk.visits.seal_camera import seal_inputs

        return seal_inputs(
            self.base,
            flow.order_no,
            acceptance,
            seal_type,
            override_id=override_id,
            source=source,
        )

    def receipt_lines(self, order: str) -> list[str]:
        """The receipt as printed (the preview lines of the stored receipt)."""
        if self.money is None:
            return []
        try:
            return list(self.money.receipts.preview(order).preview_lines())
        except KioskError as e:
            log.warning("no receipt preview for %s: %s", order, e.message)
            return []

    # -- the pay step (kiosk.visits.paying), in worker threads --------------------------------

    def pay_methods(self) -> list[Any]:
        """Each payment method and whether it can be used now (offline: WeChat/Alipay off)."""
        return list(self._payments().methods())

    def pay_status(self, flow: VisitFlow) -> PaymentStatus | None:
        """The visit's current payment attempt (an open QR code is asked about once)."""
        from kiosk.visits import paying

        return paying.status(flow)

    def pay_qr(self, flow: VisitFlow, channel: str) -> PaymentStatus:
        """Open (or show again) the visit's QR code for ``channel``; ``url`` is its text."""
        from kiosk.visits import paying

        return paying.open_qr(flow, channel)

    def pay_cancel(self, flow: VisitFlow, reason: str) -> PaymentStatus | None:
        """Close the visit's open QR code (nothing charged), or find it paid meanwhile."""
        from kiosk.visits import paying

        return paying.cancel(flow, by=self.staff_no, reason=reason)

    def transfer_details(self, flow: VisitFlow) -> dict[str, str]:
        """What a transfer must carry: the payer (the unit, or the applicant) and the remark."""
        from kiosk.visits import paying

        program = self.settings.program(flow.row()["program"])
        return {
            "payer": paying.transfer_payer(flow),
            "remark": str(getattr(program, "transfer_remark", "") or ""),
        }

    def simulate_payer(self, out_trade_no: str) -> None:
        """Training only: the sandbox's payer scans the on-screen QR code and pays.

        Raises:
            KioskError: ``visit.not_training`` outside training mode.
        """
        gateway = getattr(self._payments(), "gateway", None)
        provider = getattr(gateway, "provider", gateway)
        simulate = getattr(provider, "simulate_scan", None)
        if not self.training or simulate is None:
            raise KioskError(
                "only the training sandbox has a simulated payer", code="visit.not_training"
            )
        simulate(out_trade_no)

    def can_issue(self, flow: VisitFlow) -> tuple[bool, str]:
        """Whether the money allows key work now (a transfer not confirmed does not)."""
        if not flow.visit_data().payment:
            return True, ""
        ok, why = self._payments().can_issue(flow.visit_id)
        return bool(ok), str(why)

    def confirm_transfer(self, flow: VisitFlow, staff_no: str, pin: str) -> VisitView:
        """Staff confirm the visit's bank transfer arrived (staff number and PIN, typed at the
        kiosk): :func:`kiosk.visits.paying.confirm_transfer`.

        Raises:
            KioskError: ``staff.*`` (wrong PIN, locked, not allowed), ``payment.state`` (no
                pending transfer), ``visit.no_staff`` (the staff area is not wired).
        """
        from kiosk.visits import paying

        if self.staff is None:
            raise KioskError("staff sign-in is not available here", code="visit.no_staff")
        paying.confirm_transfer(flow, self.staff.roster, staff_no, pin, store=self.staff.store)
        return flow.view()

    def _payments(self) -> Any:
        return self.resources().money().payments

    # -- services on an existing key (kiosk.visits.lookup) -------------------------------------

    def find_earlier(
        self,
        service: str,
        program: str,
        kind: str,
        *,
        agent_id_number: str | None = None,
        from_reader: bool = False,
    ) -> list[EarlierVisit]:
        """Earlier visits ``service`` can work on, by the agent's ID number and/or the keys in
        the reader (``kiosk.visits.lookup.EarlierVisit`` rows, newest first).

        Raises:
            KioskError: the key reader cannot be read (``token.*``).
        """
        from kiosk.visits import lookup as visit_lookup

        res = self.resources()
        serials = visit_lookup.keys_in_reader(res) if from_reader else []
        if from_reader and not serials:
            raise KioskError("no issued key in the reader", code="visit.no_key_inserted")
        return visit_lookup.find_earlier(
            res,
            service=service,
            program=program,
            kind=kind,
            agent_id_number=agent_id_number,
            key_serials=serials,
        )

    def key_status(self, flow: VisitFlow) -> KeyStatus:
        """The key and certificate the visit works on (``kiosk.visits.lookup.key_status``)."""
        from kiosk.visits import lookup as visit_lookup

        return visit_lookup.key_status(flow)

    def refund_decision(self, flow: VisitFlow) -> RefundWords:
        """The refund rule's answer, in words (``kiosk.visits.lookup.refund_decision``)."""
        from kiosk.visits import lookup as visit_lookup

        return visit_lookup.refund_decision(flow)
