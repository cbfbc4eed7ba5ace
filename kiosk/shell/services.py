"""What the kiosk app is given to work with (STYLE.md #9: an app factory with injected parts).

:class:`Services` is the container :class:`kiosk.shell.app.KioskApp` receives beside the settings:
the
open store, the status source the status bar polls, the clock, and the counter rules the screens
show (the materials checklist). :func:`build_services` assembles the real ones from the CLI's
global options; tests build their own with stand-ins, a temporary store and a frozen clock.

Later issues plug in here: each device adapter replaces its ``not_connected`` probe in
:func:`device_probes`, the sync worker replaces :func:`hub_probe`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import data  # noqa: F401  (bound now: see below)
from kiosk.config import CounterSettings, Settings
from kiosk.domain.clock import SYSTEM_CLOCK, Clock
from kiosk.domain.types import Kind, Program, Service
from kiosk.status import (
    CounterProbe,
    CounterState,
    Device,
    DeviceProbe,
    HubStatus,
    ProbeStatusSource,
    StatusSource,
    not_connected,
)

if TYPE_CHECKING:
    from data.store import Store
    from hardware.sim.printer import PrinterSim
    from kiosk.receipts.wiring import Money
    from kiosk.shell.context import CliContext
    from kiosk.shell.training import TrainingRig
    from kiosk.visits.resources import Resources

log = logging.getLogger(__name__)


Checklist = Callable[[Service, Kind, Program, bool], list[Any]]
"""``checklist(service, kind, program, seal) -> list[Material]`` (kiosk.domain.materials)."""


def domain_checklist(service: Service, kind: Kind, program: Program, seal: bool) -> list[Any]:
    """The counter's materials rule (``kiosk.domain.materials.checklist``).

    Raises:
        KioskError: the rule refuses the combination.
    """
    from kiosk.domain.materials import checklist

    return list(checklist(service, kind, program, seal))


@dataclass
class Services:
    """Everything the app needs from outside the screen.

    Args:
        status: polled by the status bar in a thread worker.
        store: the open local store (None only in screen tests that never write).
        training: training mode (stand-in devices; the staff screen may end the program).
        clock: the current UTC time; the status bar's clock reads it.
        checklist: the materials rule the checklist screen shows.
        status_interval_s: seconds between status polls.
        staff: the staff area for the staff screens (``kiosk.shell.staff_desk.StaffService``);
            None where the kiosk has no store (screen tests of the applicant's screens).
        money: payments, receipts, the print queue and its (started) worker.
        printer_sim: the stand-in printer training mode started (stopped on close).
        sync: the background sync worker (``kiosk.sync.service.SyncService``), started by
            :func:`build_services` and stopped by :meth:`close`; None without a credential.
    """

    status: StatusSource
    store: Store | None = None
    training: bool = False
    clock: Clock = SYSTEM_CLOCK
    checklist: Checklist = domain_checklist
    status_interval_s: float = 2.0
    staff: Any = None
    idcard: Any = None
    """The ID card reader for the screen (``kiosk.shell.idcard_bridge.IdCardDevice``), or None."""
    manual_entry: Any = None
    """Staff manual entry of the agent (``kiosk.shell.idcard_bridge.ManualEntry``), or None."""
    money: Money | None = None
    printer_sim: PrinterSim | None = None
    sync: Any = None
    """The background sync worker (``kiosk.sync.service.SyncService``), or None."""
    training_rig: Any = None
    """Training mode's stand-ins (``kiosk.shell.training.TrainingRig``): the app starts them in a
    thread worker; :meth:`close` stops them."""
    database: Path | None = None
    """The kiosk's SQLite file (the staff sync screen reads it)."""
    visits: Any = None
    """The visit screens' port onto the flow engine (``kiosk.visits.desk.VisitDesk``)."""
    status_log: Any = None
    """Records each poll's device states for the supervisor console
    (``kiosk.console.status_log.StatusLog``), or None."""

    _closing: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Release what the services hold (stand-ins, sync and print workers, store).

        Once only, whichever comes first: the end of ``run_app`` or a signal's last resort.
        """
        with self._closing:
            if self._closed:
                return
            self._closed = True
        if self.visits is not None:
            self.visits.close()
        if self.status_log is not None:
            self.status_log.close()
        if self.training_rig is not None:
            self.training_rig.stop()
        if self.sync is not None:
            self.sync.stop()
        if self.money is not None:
            self.money.worker.stop()
        if self.printer_sim is not None:
            self.printer_sim.stop()
        if self.store is not None:
            self.store.close()


# The status bar names the device; the reason says only what is missing about it.
_STAND_IN_LATER = ("模拟设备尚未接入", "stand-in not wired yet")
_ADAPTER_LATER = ("驱动尚未接入", "no adapter yet")


def device_probes(settings: Settings, training: bool) -> dict[Device, DeviceProbe]:
    """One probe per device. Until a device's issue lands, its probe says honestly that the
    device is missing and why (never a pretended "ready")."""
    zh, en = _STAND_IN_LATER if training else _ADAPTER_LATER
    probes = {d: not_connected(d, zh, en) for d in Device}
    from kiosk.shell.idcard_probe import reader_probe

    probes[Device.READER] = reader_probe(settings.devices.reader)
    return probes


def hub_probe(
    settings: Settings, training: bool, database: Path | None = None
) -> Callable[[], HubStatus]:
    """The back office link, read from the kiosk's own database (no network): what the sync
    worker last saw, the queue depth, quarantined events and keys waiting for certificates."""
    if database is None:

        def unknown() -> HubStatus:
            return HubStatus(None, None, "同步尚未接入", "sync not wired yet")

        return unknown
    from kiosk.sync.service import StatusReader

    reader = StatusReader(database)

    def probe() -> HubStatus:
        st = reader.read()
        if st.quarantined:
            zh, en = f"已隔离 {st.quarantined} 条，请工作人员处理", f"{st.quarantined} quarantined"
        elif st.keys_waiting:
            zh, en = f"待证书密钥 {st.keys_waiting} 个", f"{st.keys_waiting} key(s) waiting"
        elif st.online is False:
            zh, en = "离线办理，联机后自动上传", "working offline; sends when back"
        elif st.online is None:
            zh, en = "尚未联系后台", "not in touch yet"
        else:
            zh, en = "", ""
        return HubStatus(st.online, st.pending, zh, en)

    return probe


def counter_probe(counter: CounterSettings) -> CounterProbe:
    """Open or closed now, by the counter's hours and the holiday calendar (kiosk.domain.hours).

    The hours module (and the holiday tables it loads) is imported on the first poll, in the
    status worker's thread, not while the welcome screen is being drawn.
    """
    rules = counter.to_hours_rules()

    def probe(at: datetime) -> CounterState:
        from kiosk.domain.hours import counter_status

        st = counter_status(at, rules, counter.timezone)
        return CounterState(st.open, st.zh, st.en)

    return probe


def build_services(
    cli_ctx: CliContext, *, probes: Mapping[Device, DeviceProbe] | None = None
) -> Services:
    """The real services for ``kiosk`` without a subcommand.

    Raises:
        ConfigError: kiosk.toml is wrong.
        StoreError: the data directory or the store cannot be opened.
    """
    # The store (sqlite-utils, which pulls numpy in) loads here, in the app's start-up worker
    # after the welcome screen is drawn, not when the app module is imported. Its package
    # ``data`` is imported with this module, before the kiosk creates ``./data`` (the default
    # data directory): imported after that, a ``data`` directory in the working directory
    # would be taken for it and the migrations not found.
    from data.store import Store
    from kiosk.shell import builder

    settings = cli_ctx.settings()
    paths = cli_ctx.paths().ensure()
    store = Store.open(paths.database)
    money, sim = builder.start_money(settings, store, paths.run, training=cli_ctx.training)
    from kiosk.console.status_log import StatusLog
    from kiosk.visits.desk import VisitDesk

    rig = None
    if cli_ctx.training:
        from kiosk.shell.training import TrainingRig

        # Built now (it points the PC/SC client at its private pcscd before anything reads a
        # card); started by the app in a thread worker, so the welcome screen shows at once.
        rig = TrainingRig(paths.base, settings, paths.database, printer_sim=sim, money=money)
    if probes is None:
        from kiosk.receipts.status import printer_probe

        probes = {
            **device_probes(settings, cli_ctx.training),
            **(rig.probes() if rig is not None else {}),
            Device.PRINTER: printer_probe(money.queue),
        }
    source = ProbeStatusSource(
        device_probes=probes,
        hub_probe=hub_probe(settings, cli_ctx.training, paths.database),
        counter_probe=counter_probe(settings.counter),
    )
    from kiosk.shell.staff_desk import StaffService

    staff = StaffService.from_settings(
        store, settings, training=cli_ctx.training, data_base=paths.base
    )
    idcard, manual = idcard_services(settings)
    # Training syncs with its own hub on loopback (the rig starts that worker): a training
    # visit never reaches a production hub, whatever kiosk.toml's [hub] says.
    sync = None if cli_ctx.training else builder.sync_service(settings, paths.database)
    if sync is not None:
        sync.start()
    return Services(
        status=source,
        store=store,
        training=cli_ctx.training,
        staff=staff,
        idcard=idcard,
        manual_entry=manual,
        money=money,
        printer_sim=sim,
        sync=sync,
        training_rig=rig,
        database=paths.database,
        visits=VisitDesk(
            settings,
            paths.base,
            training=cli_ctx.training,
            money=money,
            rig=rig,
            staff=staff,
            open_resources=visit_resources(settings, paths.base, cli_ctx.training, money, sim, rig),
        ),
        status_log=StatusLog(paths.database),
    )


def visit_resources(
    settings: Settings,
    base: Path,
    training: bool,
    money: Money,
    printer: PrinterSim | None,
    rig: TrainingRig | None,
) -> Callable[[], Resources]:
    """How the visit desk opens the engine's Resources (on its first use, in a worker thread):
    the builder's, sharing the app's money and printer stand-in, and in training the rig's
    loopback hub once the rig got past it (without it, the builder's own training hub)."""
    from kiosk.shell import builder

    def open_resources() -> Resources:
        hub = rig.hub_address(timeout=30.0) if rig is not None else None
        return builder.build_visit_resources(
            settings,
            base,
            training=training,
            staff_no="kiosk",
            money=money,
            printer=printer,
            hub=hub,
        )

    return open_resources


def idcard_services(settings: Settings) -> tuple[Any, Any]:
    """The ID card reader wiring and the manual-entry port (imported here, not at module load:
    they pull in the screen's messages, and this module stays free of Textual)."""
    from hardware.idcard import reader_from_settings
    from kiosk.shell.idcard_bridge import IdCardDevice, ManualEntry

    reader = settings.devices.reader
    return IdCardDevice(lambda: reader_from_settings(reader)), ManualEntry()
