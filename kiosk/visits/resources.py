"""What a visit flow works with: the already-built ports (settings, the store, the key service
over the hub or the offline queue, payments/receipts, the sync worker and, in training, the
stand-ins), handed in by the one builder (:mod:`kiosk.shell.builder`).

Nothing here builds or starts anything: a port the run does not have is ``None`` and asking for
it is a :class:`~kiosk.errors.VisitError` in words (``kiosk visit show`` builds no key service).
:meth:`Resources.close` runs what the builder registered to release (in reverse order), so the
visits layer never learns which stand-in, hub or reader it was given.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.domain.clock import SYSTEM_CLOCK, Clock
from kiosk.errors import VisitError

if TYPE_CHECKING:
    from data.store import Store
    from hardware.idcard.base import IdCardReader
    from hardware.sim.softhsm import SoftHsm2
    from kiosk.config import Settings
    from kiosk.keys.service import KeyService
    from kiosk.receipts.wiring import Money
    from kiosk.sync.client import HubClient
    from kiosk.sync.worker import DrainResult


class SyncPort(Protocol):
    """Sends the outbox to the hub once (``kiosk.sync.worker.SyncWorker``)."""

    def drain_once(self) -> DrainResult:
        """One pass: every pending event, then waiting certificate requests."""
        ...


class PrintCapture(Protocol):
    """The training printer stand-in's captured jobs (``hardware.sim.printer.PrinterSim``)."""

    def jobs(self) -> list[bytes]:
        """Every job the stand-in received, oldest first (raw ESC/POS)."""
        ...


class CardStandIn(Protocol):
    """Training's ID card reader stand-in (``kiosk.visits.idreader.TrainingCardReader``)."""

    def ensure(self) -> int:
        """Make sure its pcscd runs; returns vpcd's port."""
        ...

    def place(self, person: str) -> None:
        """Place a sample person's card on the reader."""
        ...

    def take_away(self) -> None:
        """Take the placed card back."""
        ...


def _silent(_text: str) -> None:
    """The default notice: a screen shows its own prompts."""


@dataclass
class Resources:
    """The flow's world, already built.

    Args:
        settings: kiosk ``Settings``.
        base: the data folder (``DataPaths.base``).
        store: the open local store.
        training: stand-ins instead of devices; visits marked training.
        staff_no: who is recorded as serving (headless: ``"headless"``).
        key_service: the key service over the hub (or the offline queue); None where the
            command does no key work.
        money_service: payments, receipts and the print queue; None where not needed.
        hub_client: the hub client the key service and the sync worker use (None: no hub).
        hub_url: the hub's API URL this run talks to ("" without one).
        sync: sends the outbox once (None: no hub).
        key_escrow: ``[flows] key_escrow``: ``"hub"`` (the hub's KMC) or ``"none"``.
        printer: training's printer capture (None on a counter).
        key_stand_in: training's SoftHSM2 key stand-in (None on a counter).
        card_stand_in: training's ID card reader stand-in (None on a counter).
        id_reader: makes the ID card reader kiosk.toml configures (a from-reader identify).
        card_timeout_s: seconds a from-reader identify waits for the card (None:
            ``[devices.reader] timeout_s``).
        notice: where a headless run says what it waits for ("place the ID card …").
        on_close: what :meth:`close` releases, in reverse order (the builder's registrations).
        clock: where the visit's "now" comes from (the builder gives the key service the same).
    """

    settings: Settings
    base: Path
    store: Store
    training: bool
    staff_no: str = "headless"
    key_service: KeyService | None = None
    money_service: Money | None = None
    hub_client: HubClient | None = None
    hub_url: str = ""
    sync: SyncPort | None = None
    key_escrow: str = "none"
    printer: PrintCapture | None = None
    key_stand_in: SoftHsm2 | None = None
    card_stand_in: CardStandIn | None = None
    id_reader: Callable[[], IdCardReader] | None = None
    card_timeout_s: float | None = None
    notice: Callable[[str], None] = _silent
    on_close: list[Callable[[], None]] = field(default_factory=list, repr=False)
    clock: Clock = SYSTEM_CLOCK

    def now(self) -> dt.datetime:
        """The current UTC time, from the visit's clock (tests move it)."""
        return self.clock.now()

    # -- the ports (absent ones refused in words) ---------------------------------------------
    def keys(self) -> KeyService:
        """The key service.

        Raises:
            VisitError: ``visit.no_key_service`` (this command built none).
        """
        if self.key_service is None:
            raise VisitError("this command does no key work", code="visit.no_key_service")
        return self.key_service

    def money(self) -> Money:
        """Payments, receipts and the print queue.

        Raises:
            VisitError: ``visit.no_payments`` (this command built none).
        """
        if self.money_service is None:
            raise VisitError("this command takes no payment", code="visit.no_payments")
        return self.money_service

    def client(self) -> HubClient:
        """The hub client.

        Raises:
            VisitError: ``visit.no_hub`` (this command talks to no hub).
        """
        if self.hub_client is None:
            raise VisitError("this command talks to no hub", code="visit.no_hub")
        return self.hub_client

    def sync_once(self) -> DrainResult:
        """Send the outbox to the hub once (training hubs only take training visits).

        Raises:
            VisitError: ``visit.no_hub`` (this command talks to no hub).
            SyncError: the hub's answer (``HubUnavailable`` …).
        """
        if self.sync is None:
            raise VisitError("this command talks to no hub", code="visit.no_hub")
        return self.sync.drain_once()

    def escrow_mode(self) -> str:
        """``[flows] key_escrow``: ``"hub"`` (the hub's KMC) or ``"none"``."""
        return self.key_escrow

    def standin(self) -> SoftHsm2 | None:
        """The SoftHSM2 stand-in (training), else None."""
        return self.key_stand_in

    def training_card_reader(self) -> CardStandIn:
        """Training: the stand-in card reader (its pcscd reused or started for this run).

        Raises:
            VisitError: ``visit.not_training`` (a counter has no stand-in).
        """
        if self.card_stand_in is None:
            raise VisitError("only training has a stand-in card reader", code="visit.not_training")
        return self.card_stand_in

    # -- journal reads -------------------------------------------------------------------------
    def visit_row(self, order_no: str) -> dict[str, Any] | None:
        """The ``visits`` row of ``order_no`` (None: no such visit)."""
        cur = self.store.db.execute("SELECT * FROM visits WHERE order_no = ?", [order_no])
        r = cur.fetchone()
        if r is None:
            return None
        return dict(zip([c[0] for c in cur.description], r, strict=True))

    def visit_data(self, order_no: str) -> dict[str, Any]:
        """The journalled data of ``order_no`` (empty when there is no such visit)."""
        row = self.visit_row(order_no)
        return {} if row is None else dict(json.loads(row["data"] or "{}"))

    def unit_prefill(self, uscc: str, *, exclude: int) -> dict[str, Any]:
        """The unit data of the latest earlier visit of the same USCC (empty when none)."""
        r = self.store.db.execute(
            "SELECT data FROM visits WHERE unit_uscc = ? AND id != ? ORDER BY id DESC LIMIT 1",
            [uscc, exclude],
        ).fetchone()
        if r is None:
            return {}
        return dict(json.loads(r[0] or "{}").get("unit") or {})

    # -- devices -------------------------------------------------------------------------------
    def read_id_card(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """The agent from the ID card reader, validated (``kiosk.visits.idreader``)."""
        from kiosk.visits.idreader import read_agent

        return read_agent(self, dict(given or {}))

    def check_seal(
        self,
        path: str,
        unit_type: str,
        seal_type: str,
        px_per_mm: float | None,
        *,
        overridden: bool = False,
    ) -> dict[str, Any]:
        """Analyse and extract an imprint photo (hardware/seal).

        A failing imprint is refused unless ``overridden`` (staff accepted it, see
        :meth:`seal_override`); even then the photo must hold exactly one seal to extract.
        """
        from hardware.seal import RuleTable, check_frame
        from hardware.seal.extract import extract_seal
        from hardware.seal.image import load_image
        from kiosk.errors import SealError

        img = load_image(path)
        rule = RuleTable.load().find(unit_type, seal_type)
        analysis, measured = check_frame(img, px_per_mm, rule)
        if analysis.count != 1 or (analysis.verdict != "pass" and not overridden):
            raise SealError(
                f"the imprint did not pass the check ({', '.join(analysis.reasons) or 'no seal'})"
                "; take a new photo (only staff on the kiosk screen may accept a failed one)",
                code="seal.check_failed",
            )
        ex = extract_seal(measured, analysis)
        return {
            "verdict": analysis.verdict,
            "reasons": list(analysis.reasons),
            "borderline": list(analysis.borderline_metrics),
            "width_mm": ex.picture_width_mm,
            "height_mm": ex.picture_height_mm,
            "png_hex": ex.png_bytes().hex(),
        }

    def seal_override(self, override_id: int, visit_id: int) -> dict[str, Any]:
        """The staff area's ``accept_seal`` override of this visit, if it is in force: who made
        it (and who approved it under dual control) and why.

        Raises:
            StaffError: ``override.mismatch`` (another kind or visit), ``override.not_approved``.
            UsageError: ``override.unknown``.
        """
        from kiosk.staff import overrides

        ov = overrides.require_effective(
            self.store, override_id, overrides.OverrideKind.ACCEPT_SEAL, visit_id=visit_id
        )
        before = ov.before if isinstance(ov.before, dict) else {}
        return {
            "id": ov.id,
            "staff_no": ov.initiator_no,
            "role": ov.initiator_role,
            "approver_no": ov.approver_no,
            "reason_code": ov.reason_code,
            "reason": ov.reason_note,
            "verdict": before.get("verdict"),
            "reasons": before.get("reasons") or [],
        }

    # -- the printer capture (training) ---------------------------------------------------------
    def printer_jobs(self) -> list[bytes]:
        """Every job the printer stand-in captured (empty on a counter)."""
        return self.printer.jobs() if self.printer is not None else []

    def captured(self, order_no: str, marker: str, timeout: float = 5.0) -> list[str] | None:
        """The lines of the printer stand-in's capture that mentions ``order_no`` and
        ``marker`` (training), waiting up to ``timeout`` for it to be saved; None if none."""
        from hardware.sim.escpos_decode import decode

        if self.printer is None:
            return None
        end = time.monotonic() + timeout
        while True:
            # the newest few captures only: this visit's paper is among the last ones out
            for job in reversed(self.printer.jobs()[-4:]):
                try:
                    lines = decode(job).lines
                except Exception:
                    continue
                if any(order_no in ln for ln in lines) and any(marker in ln for ln in lines):
                    return list(lines)
            if time.monotonic() > end:
                return None
            time.sleep(0.005)

    def receipt_lines(self, order_no: str, timeout: float = 5.0) -> list[str] | None:
        """The receipt of ``order_no`` decoded from the printer stand-in (training)."""
        return self.captured(order_no, "RECEIPT", timeout)

    def close(self) -> None:
        """Release what the builder registered (stand-ins this run started, the key reader,
        the hub client, the store), newest first; once."""
        closers, self.on_close = self.on_close, []
        for release in reversed(closers):
            release()
