"""What a visit flow works with: settings, the store, and (lazily) the key service over the hub,
payments/receipts, and in training mode the stand-ins (SoftHSM2 keys, hub on loopback, printer).

Stand-ins are started by the first step that needs them and stopped by :meth:`Resources.close`
(headless runs start them per run; their data stays in the data directory between runs).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from data.store import Store
from kiosk.domain.clock import SYSTEM_CLOCK, Clock


class Resources:
    """The flow's world.

    Args:
        settings: kiosk ``Settings``.
        base: the data folder (``DataPaths.base``).
        training: stand-ins instead of devices; visits marked training.
        staff_no: who is recorded as serving (headless: ``"headless"``).
        key_algorithm: overrides ``devices.token.key_algorithm`` (tests: ``ec-p256``).
        clock: where the visit's "now" comes from (tests move it).
    """

    def __init__(
        self,
        settings: Any,
        base: Path,
        *,
        training: bool,
        staff_no: str = "headless",
        key_algorithm: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.settings = settings
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.training = training
        self.staff_no = staff_no
        self.key_algorithm = key_algorithm
        self.clock = clock
        self.store = Store.open(self.base / "kiosk.db")
        self._money: Any = None
        self._keys: Any = None
        self._hub: Any = None
        self._hub_pid: int | None = None
        self._printer: Any = None
        self._client: Any = None
        self.hub_url: str | None = None
        self.hub_credential: str | None = None
        #: seconds a from-reader identify waits for the card (None: [devices.reader] timeout_s)
        self.card_timeout_s: float | None = None
        #: where a headless run says what it waits for ("place the ID card …"); the CLI: stderr
        self.notice: Any = lambda _text: None
        self._card_reader: Any = None

    def now(self) -> dt.datetime:
        return self.clock.now()

    # -- journal reads -------------------------------------------------------------------------
    def visit_row(self, order_no: str) -> dict[str, Any] | None:
        cur = self.store.db.execute("SELECT * FROM visits WHERE order_no = ?", [order_no])
        r = cur.fetchone()
        if r is None:
            return None
        return dict(zip([c[0] for c in cur.description], r, strict=True))

    def visit_data(self, order_no: str) -> dict[str, Any]:
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

    def training_card_reader(self) -> Any:
        """Training: the stand-in card reader (its pcscd reused or started for this run)."""
        if self._card_reader is None:
            from kiosk.visits.idreader import TrainingCardReader

            self._card_reader = TrainingCardReader(self.base, [self.base, self.base.parent])
        return self._card_reader

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

    def hub(self) -> tuple[str, str]:
        """(url, credential) of the hub: the training hub on loopback, or kiosk.toml's."""
        if self.hub_url is None:
            if self.training:
                self.hub_url, self.hub_credential = self._training_hub()
            else:
                self.hub_url = self.settings.hub.url
                self.hub_credential = self.settings.hub.credential
        assert self.hub_url is not None
        return self.hub_url, self.hub_credential or ""

    def _training_hub(self) -> tuple[str, str]:
        """Reuse the training hub already running for this data directory (its pid and URL are
        in ``hub/flows-hub.json``; it is left running), else start one that this run stops at
        its end. A run killed with -9 leaves its hub running; the next run reuses it."""
        import os

        import httpx

        from kiosk.shell.training_hub import LocalHub

        marker = self.base / "hub" / "flows-hub.json"
        hub = LocalHub(self.base / "hub")
        if marker.exists():
            m = json.loads(marker.read_text())
            try:
                os.kill(int(m["pid"]), 0)
                if httpx.get(m["url"] + "/health", timeout=1.0).status_code == 200:
                    self._hub_pid = int(m["pid"])
                    return str(m["url"]), hub.credential()
            except (OSError, httpx.HTTPError):
                pass
        self._hub = hub
        url, cred = hub.start()
        assert hub.proc is not None
        self._hub_pid = hub.proc.pid
        marker.write_text(json.dumps({"pid": hub.proc.pid, "url": url}))
        return url, cred

    def client(self) -> Any:
        if self._client is None:
            from kiosk.sync.client import HubClient

            url, cred = self.hub()
            self._client = HubClient(url, cred, timeout=self.settings.hub.timeout_s)
        return self._client

    def keys(self) -> Any:
        """The key service over the hub (``HubIssuer``)."""
        if self._keys is None:
            from hardware.token import KeyAlgorithm
            from kiosk.keys import wiring
            from kiosk.keys.repository import KeyRepository
            from kiosk.keys.service import KeyService
            from kiosk.sync.hub_issuer import HubIssuer
            from kiosk.visits.offline import FallbackIssuer

            alg = self.key_algorithm or self.settings.devices.token.key_algorithm
            escrow = None
            if self.escrow_mode() == "hub":
                from kiosk.sync.hub_escrow import HubEscrow

                escrow = HubEscrow(self.client())
            self._keys = KeyService(
                wiring.reader_for(self.settings, self.base, training=self.training),
                KeyRepository(self.store.db, clock=self.clock),
                wiring.vault_for(self.base),
                FallbackIssuer(HubIssuer(self.client()), self.store.db),
                algorithm=KeyAlgorithm(alg),
                clock=self.clock,
                escrow=escrow,
            )
        return self._keys

    def escrow_mode(self) -> str:
        """``[flows] key_escrow``: ``"hub"`` (the hub's KMC) or ``"none"``."""
        return str(getattr(getattr(self.settings, "flows", None), "key_escrow", "none"))

    def standin(self) -> Any:
        """The SoftHSM2 stand-in (training), else None."""
        return getattr(self.keys().tokens, "standin", None) if self.training else None

    def printer_uri(self) -> str | None:
        if not self.training:
            return None
        if self._printer is None:
            from hardware.sim.printer import PrinterSim

            self._printer = PrinterSim(self.base / "printer").start()
        return str(self._printer.uri)

    def printer_jobs(self) -> list[bytes]:
        return self._printer.jobs() if self._printer is not None else []

    def captured(self, order_no: str, marker: str, timeout: float = 5.0) -> list[str] | None:
        """The lines of the printer stand-in's capture that mentions ``order_no`` and
        ``marker`` (training), waiting up to ``timeout`` for it to be saved; None if none."""
        import time

        from hardware.sim.escpos_decode import decode

        if self._printer is None:
            return None
        end = time.monotonic() + timeout
        while True:
            # the newest few captures only: this visit's paper is among the last ones out
            for job in reversed(self._printer.jobs()[-4:]):
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

    def money(self) -> Any:
        if self._money is None:
            from kiosk.payments.wiring import build_money, make_gateway, make_printer

            uri = self.printer_uri()
            self._money = build_money(
                self.settings,
                self.store,
                printer=make_printer(self.settings, uri) if uri else None,
                gateway=make_gateway(self.settings, training=self.training),
            )
        return self._money

    def sync_once(self) -> Any:
        """Send the outbox to the hub once (training hubs only take training visits)."""
        from kiosk.sync.worker import SyncWorker

        return SyncWorker(self.store.db, self.client(), training_hub=self.training).drain_once()

    def close(self) -> None:
        """Stop the stand-ins this run started and close the store."""
        if self._keys is not None:
            self._keys.tokens.close()
        if self._client is not None:
            self._client.close()
        if self._hub is not None:
            self._hub.stop()
            (self.base / "hub" / "flows-hub.json").unlink(missing_ok=True)
        if self._printer is not None:
            self._printer.stop()
        if self._card_reader is not None:
            self._card_reader.close()
        self.store.close()
