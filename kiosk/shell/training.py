"""Training mode's stand-ins, started together and driven from the simulator panel (F9).

:class:`TrainingRig` owns every stand-in under the data directory: a private pcscd with vpcd
and the virtual ID card, SoftHSM2 blank keys, the hub on loopback (and the sync worker pointed
at it), the seal camera from the sample imprint files; the printer stand-in and the payment
sandbox are started by :func:`kiosk.shell.builder.start_money` and are only reported here.

:meth:`TrainingRig.start` is slow (pcscd, the hub process): the app calls it in a thread worker
so the welcome screen shows at once; each stand-in's state is readable at any time
(:meth:`TrainingRig.parts`) and the status bar's probes (:meth:`TrainingRig.probes`) answer from
the real stand-ins. The simulator panel calls the ``sim_*`` methods (also from a thread worker);
each one really drives its stand-in. Screens reach this only through :class:`SimulatorPort`
(``screens`` never import ``hardware``).

No textual import here.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import KioskError
from kiosk.status import Device, DeviceProbe, DeviceState, DeviceStatus

if TYPE_CHECKING:
    from hardware.sim.pcscd import PcscdProcess
    from hardware.sim.printer import PrinterSim
    from hardware.sim.softhsm import SoftHsm2
    from hardware.sim.vicc import VirtualCard
    from kiosk.config import Settings
    from kiosk.receipts.wiring import Money
    from kiosk.shell.training_hub import LocalHub
    from kiosk.sync.service import SyncService

log = logging.getLogger(__name__)

# The stand-ins in the order they come up, with their names for the status bar and the panel.
PARTS: dict[str, tuple[str, str]] = {
    "pcscd": ("读卡服务", "card service"),
    "softhsm": ("介质", "USB keys"),
    "printer": ("打印机", "printer"),
    "payment": ("支付沙箱", "payment sandbox"),
    "hub": ("后台", "hub"),
    "camera": ("印章摄像头", "seal camera"),
}

#: Sample imprints the panel offers: good, and the bad ones the check must refuse.
IMPRINTS = (
    "good.jpg",
    "bad_blurred.jpg",
    "bad_incomplete.jpg",
    "bad_two_seals.jpg",
    "bad_faint.jpg",
    "bad_deformed.jpg",
)


@dataclass
class PartState:
    """One stand-in's state: ``starting``, ``ready``, ``stopped`` or ``fault`` (with why)."""

    state: str = "starting"
    detail: str = ""


@dataclass
class SimSnapshot:
    """What the simulator panel shows: each stand-in's state and what it holds now."""

    parts: dict[str, PartState]
    people: list[tuple[str, str]]
    card_person: str | None
    blank_in_reader: bool
    blanks_left: int
    keys_in_reader: list[str]
    keys_in_drawer: list[str]
    imprint: str
    printer_state: str
    network_up: bool
    hub_url: str = ""
    names: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(PARTS))


class TrainingRig:
    """Every training stand-in for one data directory.

    Args:
        data_dir: the folder this run writes in (training: ``<data>/training``); the stand-ins
            live in its ``stand-ins`` folder.
        settings: the kiosk settings (token stock, reader pattern).
        database: the kiosk's SQLite file (the sync worker's queue).
        printer_sim: the printer stand-in :func:`kiosk.shell.services.build_services` started.
        money: payments wiring (its gateway is the sandbox in training).
    """

    def __init__(
        self,
        data_dir: Path,
        settings: Settings,
        database: Path | None = None,
        *,
        printer_sim: PrinterSim | None = None,
        money: Money | None = None,
        start_hub: bool = True,
    ):
        from hardware.sim.pcscd import PcscdProcess, can_isolate

        self.base = Path(data_dir) / "stand-ins"
        self.base.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.database = database
        self.printer_sim = printer_sim
        self.money = money
        self.start_hub = start_hub
        self._lock = threading.RLock()
        self.parts: dict[str, PartState] = {k: PartState() for k in PARTS}
        isolate = can_isolate()
        self.pcscd = PcscdProcess(self.base / "pcscd", isolate=isolate)
        self._own_pcscd = True
        # libpcsclite reads the socket's name once, on its first use: point it at our pcscd
        # now (before any reader probe runs), not when the daemon is up.
        if isolate:
            os.environ["PCSCLITE_CSOCK_NAME"] = str(self.pcscd.socket_path)
        self.softhsm: SoftHsm2 | None = None
        self.card: VirtualCard | None = None
        self.card_person: str | None = None
        self.hub: LocalHub | None = None
        self.hub_url = ""
        self.hub_port: int | None = None
        self.sync: SyncService | None = None
        self.network_up = True
        self.imprint = "good.jpg"
        self.on_change: Callable[[], None] | None = None
        self.hub_credential = ""
        self._hub_settled = threading.Event()
        self._started = False
        # stop() may come while start() is bringing a part up in its worker (the kiosk told to
        # close during its first seconds): it waits for that part, and start() brings up no
        # more, so no pcscd or hub outlives the kiosk.
        self._stopping = False
        self._idle = threading.Event()
        self._idle.set()

    # -- start and stop ------------------------------------------------------------------------

    def _set(self, part: str, state: str, detail: str = "") -> None:
        with self._lock:
            self.parts[part] = PartState(state, detail)
        log.info("training stand-in %s: %s %s", part, state, detail)
        if self.on_change is not None:
            self.on_change()

    def start(self) -> None:
        """Bring every stand-in up, one after another; a failing one is marked ``fault`` with
        its reason and the rest still start (the kiosk works without the one that failed).

        Once per rig: a second call (a new app on the same services) only reports again.
        """
        if self._started:
            if self.on_change is not None:
                self.on_change()
            return
        self._started = True
        self._idle.clear()
        try:
            self._step("pcscd", self._start_pcscd)
            self._step("softhsm", self._start_softhsm)
            self._step("printer", self._check_printer)
            self._step("payment", self._check_payment)
            if self.start_hub:
                self._step("hub", self._start_hub)
            else:
                self._set("hub", "stopped", "not started")
            self._hub_settled.set()
            self._step("camera", self._check_camera)
        finally:
            self._hub_settled.set()
            self._idle.set()

    def _step(self, part: str, fn: Callable[[], str]) -> None:
        if self._stopping:
            return
        try:
            detail = fn()
        except KioskError as e:
            self._set(part, "fault", e.message)
        except Exception as e:  # a stand-in's own bug must not stop the others coming up
            log.exception("training stand-in %s failed", part)
            self._set(part, "fault", f"{type(e).__name__}: {e}")
        else:
            self._set(part, "ready", detail)

    def use_pcscd(self, process: PcscdProcess) -> None:
        """Use a pcscd already running (a test session's, whose socket this process's PC/SC
        library already knows) instead of starting one; it is not stopped by :meth:`stop`."""
        self.pcscd = process
        self._own_pcscd = False
        if process.isolate:
            os.environ["PCSCLITE_CSOCK_NAME"] = str(process.socket_path)

    def _start_pcscd(self) -> str:
        if self._own_pcscd:
            self.pcscd.start()
        elif not self.pcscd.running:
            raise KioskError("the given pcscd is not running", code="training.pcscd")
        return f"vpcd port {self.pcscd.port}"

    def _start_softhsm(self) -> str:
        from hardware.sim.softhsm import SoftHsm2

        token = self.settings.devices.token
        self.softhsm = SoftHsm2(
            self.base.parent / "tokens",  # where the key service looks (shell.builder)
            blank_slots=token.training_blank_slots,
            module_path=token.module_path,
        ).prepare()
        return f"{self.softhsm.blanks_left()} blank key(s) in stock"

    def _check_printer(self) -> str:
        if self.printer_sim is None:
            raise KioskError("the printer stand-in is not running", code="training.printer")
        return str(self.printer_sim.uri)

    def _check_payment(self) -> str:
        if self.money is None:
            raise KioskError("payments are not wired", code="training.payment")
        gateway = self.money.payments.gateway
        return type(getattr(gateway, "provider", gateway)).__name__

    def _start_hub(self) -> str:
        from kiosk.shell.training_hub import LocalHub
        from kiosk.sync.service import SyncService

        self.hub = LocalHub(self.base / "hub")
        self.hub_url, credential = self.hub.start(port=self.hub_port)
        self.hub_credential = credential
        self.hub_port = int(self.hub_url.split(":")[2].split("/")[0])
        self.network_up = True
        if self.database is not None and self.sync is None:
            hub = self.settings.hub.model_copy(
                update={"url": self.hub_url, "credential": credential}
            )
            # Training visits' events go to this loopback hub only (a production hub's worker
            # quarantines them: kiosk.sync.worker).
            self.sync = SyncService(self.database, hub, training_hub=True)
            self.sync.start()
        return self.hub_url

    def _check_camera(self) -> str:
        from hardware.sim.seal_samples import sample, training_video

        video = training_video()
        if not video.is_file():
            raise KioskError(f"no sample camera video at {video}", code="training.camera")
        sample(self.imprint)
        return self.imprint

    def hub_address(self, timeout: float = 30.0) -> tuple[str, str]:
        """The loopback hub's (API URL, credential) once :meth:`start` got past it ("" when it
        did not come up: the engine then works offline, as on a cut network)."""
        self._hub_settled.wait(timeout)
        return self.hub_url, self.hub_credential

    def stop(self) -> None:
        """Stop what :meth:`start` started (the printer belongs to the services)."""
        self._stopping = True
        # A part still coming up (pcscd: at most its 10 s readiness wait) is stopped once up.
        self._idle.wait(60.0)
        if self.card is not None:
            self.card.remove()
            self.card = None
        if self.sync is not None:
            self.sync.stop()
            self.sync = None
        if self.hub is not None:
            self.hub.stop()
        if self._own_pcscd and self.pcscd.running:
            self.pcscd.stop()
        for part in ("pcscd", "hub"):
            self._set(part, "stopped")

    # -- the status bar -------------------------------------------------------------------------

    def probes(self) -> dict[Device, DeviceProbe]:
        """Status bar probes answering from the stand-ins (reader through pcscd for real)."""
        from kiosk.shell.idcard_probe import reader_probe

        real_reader = reader_probe(self.settings.devices.reader)

        def reader() -> DeviceStatus:
            part = self.parts["pcscd"]
            if part.state == "starting":
                return DeviceStatus(
                    Device.READER, DeviceState.MISSING, "模拟读卡器启动中", "stand-in starting"
                )
            if part.state == "fault":
                return DeviceStatus(Device.READER, DeviceState.FAULT, "模拟读卡器故障", part.detail)
            return real_reader()

        def token() -> DeviceStatus:
            part = self.parts["softhsm"]
            if part.state == "starting":
                return DeviceStatus(
                    Device.TOKEN, DeviceState.MISSING, "模拟介质启动中", "stand-in starting"
                )
            if part.state == "fault" or self.softhsm is None:
                return DeviceStatus(Device.TOKEN, DeviceState.FAULT, "模拟介质故障", part.detail)
            if self.softhsm.blank_present() or self.softhsm.inserted():
                return DeviceStatus(Device.TOKEN, DeviceState.READY)
            return DeviceStatus(Device.TOKEN, DeviceState.MISSING, "请插入介质", "insert a key")

        def camera() -> DeviceStatus:
            part = self.parts["camera"]
            if part.state == "starting":
                return DeviceStatus(
                    Device.CAMERA, DeviceState.MISSING, "模拟摄像头启动中", "stand-in starting"
                )
            if part.state == "fault":
                return DeviceStatus(Device.CAMERA, DeviceState.FAULT, "模拟摄像头故障", part.detail)
            return DeviceStatus(Device.CAMERA, DeviceState.READY)

        return {Device.READER: reader, Device.TOKEN: token, Device.CAMERA: camera}

    # -- the simulator panel --------------------------------------------------------------------

    def people(self) -> list[tuple[str, str]]:
        """The sample people: (key, name on the card)."""
        from hardware.sim.person import load_person, sample_people

        out = []
        for key, path in sample_people().items():
            try:
                out.append((key, load_person(path).name))
            except KioskError:
                out.append((key, key))
        return out

    def snapshot(self) -> SimSnapshot:
        """What the panel shows now."""
        hsm = self.softhsm
        with self._lock:
            parts = {k: PartState(v.state, v.detail) for k, v in self.parts.items()}
        return SimSnapshot(
            parts=parts,
            people=self.people(),
            card_person=self.card_person if self.card is not None and self.card.inserted else None,
            blank_in_reader=bool(hsm and hsm.blank_present()),
            blanks_left=hsm.blanks_left() if hsm else 0,
            keys_in_reader=hsm.inserted() if hsm else [],
            keys_in_drawer=hsm.pulled() if hsm else [],
            imprint=self.imprint,
            printer_state=self.printer_sim.state if self.printer_sim is not None else "offline",
            network_up=self.network_up and self.hub is not None,
            hub_url=self.hub_url,
        )

    def sim_place_card(self, person: str) -> str:
        """Place the card of a sample person on the virtual reader (removes any card first).

        Raises:
            KioskError: the person is unknown, or vpcd is not running.
        """
        from hardware.sim.person import load_card, sample_people
        from hardware.sim.vicc import VirtualCard

        people = sample_people()
        if person not in people:
            raise KioskError(
                f"no sample person {person!r}; known: {', '.join(sorted(people))}",
                code="training.unknown_person",
            )
        self.sim_remove_card()
        card = VirtualCard(load_card(people[person]), port=self.pcscd.port)
        card.insert()
        self.card, self.card_person = card, person
        return person

    def sim_remove_card(self) -> None:
        """Take the card off the reader."""
        if self.card is not None:
            self.card.remove()
        self.card = self.card_person = None

    def _hsm(self) -> SoftHsm2:
        if self.softhsm is None:
            raise KioskError("the SoftHSM2 stand-in is not up", code="training.softhsm")
        return self.softhsm

    def sim_insert_blank(self) -> None:
        """Put a blank key from stock into the reader."""
        hsm = self._hsm()
        if hsm.blanks_left() <= 0:
            raise KioskError("no blank keys left in stock", code="training.no_blanks")
        hsm.insert_blank()

    def sim_insert_key(self, serial: str) -> None:
        """Put an issued key (from the drawer) back into the reader."""
        self._hsm().insert(serial)

    def sim_pull_keys(self) -> list[str]:
        """Pull every key out of the reader (blank and issued); returns the issued serials."""
        hsm = self._hsm()
        hsm.pull_blank()
        pulled: list[str] = list(hsm.inserted())
        for serial in pulled:
            hsm.pull(serial)
        return pulled

    def sim_imprint(self, name: str) -> str:
        """Which sample imprint the camera shows next (``good.jpg`` or a ``bad_*.jpg``)."""
        from hardware.sim.seal_samples import sample

        sample(name)
        self.imprint = name
        return name

    def camera_source(self) -> str:
        """The file the seal camera plays: the session video for a good imprint, the chosen
        still for a bad one."""
        from hardware.sim.seal_samples import sample, training_video

        return str(training_video() if self.imprint == "good.jpg" else sample(self.imprint))

    def sim_printer(self, state: str) -> str:
        """Set the printer stand-in's state (``ready``, ``paper-out``, ``cover-open`` …)."""
        if self.printer_sim is None:
            raise KioskError("the printer stand-in is not running", code="training.printer")
        try:
            self.printer_sim.set_state(state)
        except ValueError as e:
            raise KioskError(str(e), code="training.printer_state") from e
        return state

    def sim_network(self, up: bool) -> bool:
        """Cut (stop the loopback hub) or restore (start it again on the same port)."""
        if up == self.network_up and self.hub is not None and (self.hub.proc is not None) == up:
            return up
        if not up:
            if self.hub is not None:
                self.hub.stop()
            self.network_up = False
            self._set("hub", "stopped", "network cut")
        else:
            self._step("hub", self._start_hub)
        if self.sync is not None:
            self.sync.wake()
        return self.network_up
