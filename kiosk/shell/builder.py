"""The one builder of the kiosk's services: what each entry point works with, built once from
the settings and the run's data folder, and handed in already built.

Used by the Textual app (:func:`kiosk.shell.services.build_services`), the headless visits
(``kiosk visit …``), ``kiosk pay``, the tests and the bench. The supervisor console builds none
of these (it opens the store read-only: ``kiosk.shell.console_app.run_console``; an
import-linter contract keeps it away from this module's imports). The parts:

- :func:`payment_gateway` / :func:`build_money`: payments, receipts, the print queue and its
  worker (training: the payment sandbox and the printer stand-in);
- :func:`hub_address` / :func:`training_hub`: the hub this run talks to (training: the hub on
  loopback, reused across headless runs through ``<base>/hub/flows-hub.json``);
- :func:`build_key_service`: the key reader (training: SoftHSM2), the PIN vault and the
  certificate issuer over the hub, falling back to the offline queue; the hub's KMC as escrow;
- :func:`sync_service`: the app's background sync worker;
- :func:`build_visit_resources`: all of the above as :class:`kiosk.visits.Resources`, with what
  it started registered for :meth:`~kiosk.visits.Resources.close`.

Only this package (``kiosk.shell``) imports the hub: the training hub, the payment sandbox.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from data.store import Store
from kiosk.config import Settings
from kiosk.domain.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from hardware.idcard.base import IdCardReader
    from hardware.sim.printer import PrinterSim
    from hardware.token import KeyAlgorithm, Pkcs11Tokens
    from kiosk.keys.issuer import CertificateIssuer
    from kiosk.keys.service import KeyService
    from kiosk.payments.gateway import Gateway
    from kiosk.receipts.wiring import Money
    from kiosk.shell.training_hub import LocalHub
    from kiosk.sync.client import HubClient
    from kiosk.sync.service import SyncService
    from kiosk.visits.resources import PrintCapture, Resources

#: where a headless training run notes the loopback hub it started (pid and URL), for the next
#: run to reuse (relative to the data folder)
HUB_MARKER = Path("hub") / "flows-hub.json"


# -- payments and receipts ---------------------------------------------------------------------


def payment_gateway(settings: Settings, *, training: bool) -> Gateway | None:
    """The payment gateway the settings ask for; training mode (and ``provider = "sandbox"``)
    the in-process sandbox provider."""
    from kiosk.receipts.wiring import make_gateway

    if training or settings.payments.provider == "sandbox":
        from hub.payments.sandbox import SandboxProvider
        from kiosk.payments.gateway import DirectGateway

        return DirectGateway(SandboxProvider())
    return make_gateway(settings)


def build_money(
    settings: Settings, store: Store, *, training: bool, printer_uri: str | None = None
) -> Money:
    """Payments, receipts, the print queue and its worker (not started).

    Args:
        printer_uri: print there instead of kiosk.toml's printer (training: the stand-in).
    """
    from kiosk.receipts import wiring

    return wiring.build_money(
        settings,
        store,
        printer=wiring.make_printer(settings, printer_uri) if printer_uri else None,
        gateway=payment_gateway(settings, training=training),
    )


def start_money(
    settings: Settings, store: Store, run_dir: Path, *, training: bool
) -> tuple[Money, PrinterSim | None]:
    """The app's payments, receipts and print worker (started, pending payments resumed);
    training prints to a :class:`~hardware.sim.printer.PrinterSim` on a free loopback port
    keeping its jobs in ``<run>/printer`` (``kiosk sim printer-read`` shows them)."""
    sim = None
    if training:
        from hardware.sim.printer import PrinterSim

        sim = PrinterSim(run_dir / "printer").start()
    money = build_money(
        settings, store, training=training, printer_uri=sim.uri if sim is not None else None
    )
    money.payments.resume_pending()
    money.worker.start()
    return money, sim


# -- the hub ---------------------------------------------------------------------------------------


def training_hub(base: Path) -> tuple[str, str, LocalHub | None]:
    """The training hub on loopback for this data folder: (API URL, credential, the hub this
    call started or None).

    The one already running is reused (its pid and URL in ``<base>/hub/flows-hub.json``; it is
    left running), else one is started that the caller stops. A run killed with -9 leaves its
    hub running; the next run reuses it.

    Raises:
        SyncError: the hub did not start.
    """
    import httpx

    from kiosk.shell.training_hub import LocalHub

    marker = base / HUB_MARKER
    hub = LocalHub(base / "hub")
    if marker.exists():
        m = json.loads(marker.read_text())
        try:
            os.kill(int(m["pid"]), 0)
            if httpx.get(m["url"] + "/health", timeout=1.0).status_code == 200:
                return str(m["url"]), hub.credential(), None
        except (OSError, httpx.HTTPError):
            pass
    url, cred = hub.start()
    assert hub.proc is not None
    marker.write_text(json.dumps({"pid": hub.proc.pid, "url": url}))
    return url, cred, hub


def hub_client(settings: Settings, url: str, credential: str) -> HubClient:
    """A client of the hub at ``url`` with the ``[hub]`` timeout."""
    from kiosk.sync.client import HubClient

    return HubClient(url, credential, timeout=settings.hub.timeout_s)


def sync_service(settings: Settings, database: Path) -> SyncService | None:
    """The background sync worker for this kiosk, or None while it has no hub credential
    (``[hub] credential`` or ``KIOSK_HUB_CREDENTIAL``): events then wait in the outbox."""
    from kiosk.sync.service import SyncService

    credential = os.environ.get("KIOSK_HUB_CREDENTIAL") or settings.hub.credential
    if not credential:
        return None
    hub = settings.hub.model_copy(update={"credential": credential})
    return SyncService(database, hub)


# -- keys ------------------------------------------------------------------------------------------


def key_escrow_mode(settings: Settings) -> str:
    """``[flows] key_escrow``: ``"hub"`` (the hub's KMC) or ``"none"``."""
    return str(settings.flows.key_escrow)


def build_key_service(
    settings: Settings,
    base: Path,
    store: Store,
    client: HubClient,
    *,
    training: bool,
    key_algorithm: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> KeyService:
    """The key service: the key reader (training: the SoftHSM2 stand-in under
    ``<base>/tokens``), the PIN vault, the hub's CA (the offline queue when the hub cannot be
    reached) and, with ``[flows] key_escrow = "hub"``, the hub's KMC. Close its ``tokens``."""
    from hardware.token import KeyAlgorithm
    from kiosk.keys import wiring
    from kiosk.keys.repository import KeyRepository
    from kiosk.keys.service import KeyService
    from kiosk.sync.hub_issuer import HubIssuer
    from kiosk.visits.offline import FallbackIssuer

    escrow = None
    if key_escrow_mode(settings) == "hub":
        from kiosk.sync.hub_escrow import HubEscrow

        escrow = HubEscrow(client)
    return KeyService(
        wiring.reader_for(settings, base, training=training),
        KeyRepository(store.db, clock=clock),
        wiring.vault_for(base),
        FallbackIssuer(HubIssuer(client), store.db),
        algorithm=KeyAlgorithm(key_algorithm or settings.devices.token.key_algorithm),
        escrow=escrow,
        clock=clock,
    )


def standalone_keys(
    base: Path,
    issuer: CertificateIssuer,
    *,
    algorithm: KeyAlgorithm,
    blank_slots: int = 4,
) -> tuple[Pkcs11Tokens, Store, KeyService]:
    """A self-contained key side in ``base``: the SoftHSM2 stand-in, a store and the given
    issuer (tests and the benchmark: the hub's CA in-process, ``hub.ca.inprocess``). Close the
    reader and the store when done."""
    from hardware.token import open_tokens
    from kiosk.keys import wiring
    from kiosk.keys.repository import KeyRepository
    from kiosk.keys.service import KeyService

    base.mkdir(parents=True, exist_ok=True)
    tokens = open_tokens(
        "/usr/lib/softhsm/libsofthsm2.so", standin_dir=base / "tokens", blank_slots=blank_slots
    )
    store = Store.open(base / "kiosk.db")
    service = KeyService(
        tokens, KeyRepository(store.db), wiring.vault_for(base), issuer, algorithm=algorithm
    )
    return tokens, store, service


# -- visits ----------------------------------------------------------------------------------------


def id_reader(settings: Settings) -> Callable[[], IdCardReader]:
    """Makes the ID card reader kiosk.toml configures (a headless from-reader identify)."""

    def make() -> IdCardReader:
        from hardware.idcard import reader_from_settings

        return reader_from_settings(settings.devices.reader)

    return make


def build_visit_resources(
    settings: Settings,
    base: Path,
    *,
    training: bool,
    staff_no: str = "headless",
    key_algorithm: str | None = None,
    keys: bool = True,
    payments: bool = True,
    money: Money | None = None,
    printer: PrintCapture | None = None,
    hub: tuple[str, str] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Resources:
    """A visit's world, built: the store (``<base>/kiosk.db``), the key service over the hub,
    payments and receipts, the sync worker and, in training, the stand-ins.

    What this call starts, :meth:`Resources.close` stops; what it is given (``money``,
    ``printer``, ``hub``) belongs to the caller.

    Args:
        settings: kiosk settings.
        base: the data folder (``DataPaths.base``); made if missing.
        training: stand-ins instead of devices; visits marked training.
        staff_no: who is recorded as serving.
        key_algorithm: overrides ``devices.token.key_algorithm`` (tests: ``ec-p256``).
        keys: build the hub link, the key service and the sync worker (``kiosk visit show``
            needs none of them).
        payments: build payments and receipts (training: with the printer stand-in), unless
            ``money`` is given.
        money: the caller's payments wiring (the app's: one print worker prints).
        printer: the caller's printer capture (the app's stand-in printer).
        hub: the hub's (API URL, credential) the caller already has (the app's training hub);
            else the training hub on loopback, or kiosk.toml's ``[hub]``.
        clock: the visit's and the key service's "now" (tests move it).

    Raises:
        StoreError: the store cannot be opened.
        SyncError: training: the loopback hub did not start.
        TokenError: the key reader's module does not load.
    """
    from kiosk.visits.resources import Resources

    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    store = Store.open(base / "kiosk.db")
    res = Resources(
        settings,
        base,
        store,
        training,
        staff_no=staff_no,
        key_escrow=key_escrow_mode(settings),
        id_reader=id_reader(settings),
        clock=clock,
    )
    res.on_close.append(store.close)
    try:
        if training:
            from kiosk.visits.idreader import TrainingCardReader

            cards = TrainingCardReader(base, [base, base.parent])
            res.card_stand_in = cards
            res.on_close.append(cards.close)
        if money is not None:
            res.money_service, res.printer = money, printer
        elif payments:
            sim = None
            if training:
                from hardware.sim.printer import PrinterSim

                sim = PrinterSim(base / "printer").start()
                res.on_close.append(sim.stop)
            res.printer = sim
            res.money_service = build_money(
                settings, store, training=training, printer_uri=sim.uri if sim else None
            )
        if keys:
            _link_hub(res, settings, base, training=training, hub=hub)
            ks = build_key_service(
                settings,
                base,
                store,
                res.client(),
                training=training,
                key_algorithm=key_algorithm,
                clock=clock,
            )
            res.key_service = ks
            res.key_stand_in = ks.tokens.standin if training else None
            res.on_close.append(ks.tokens.close)
    except BaseException:
        res.close()
        raise
    return res


def _link_hub(
    res: Resources, settings: Settings, base: Path, *, training: bool, hub: tuple[str, str] | None
) -> None:
    from kiosk.sync.worker import SyncWorker

    if hub is not None and hub[0]:
        url, cred = hub
    elif training:
        url, cred, started = training_hub(base)
        if started is not None:

            def stop_hub() -> None:
                started.stop()
                (base / HUB_MARKER).unlink(missing_ok=True)

            res.on_close.append(stop_hub)
    else:
        url, cred = settings.hub.url, settings.hub.credential or ""
    client = hub_client(settings, url, cred)
    res.hub_url, res.hub_client = url, client
    res.on_close.append(client.close)
    # config_every=1: each pass fetches the hub's documents (a 304 when unchanged), as a
    # worker made per pass did; training hubs only take training visits
    res.sync = SyncWorker(res.store.db, client, training_hub=training, config_every=1)
