"""Wire the payment and receipt services from settings (the shell's builder,
``kiosk.shell.builder``, chooses the gateway and the printer for each entry point)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from data.store import Store
from hardware.printer.device import EscposPrinter, Printer, parse_uri
from hardware.printer.render import PrinterModel
from kiosk.config import Settings
from kiosk.errors import ConfigError
from kiosk.payments.gateway import Gateway, HubGateway
from kiosk.payments.service import PaymentService, default_role_check
from kiosk.receipts.queue import PrintQueue, PrintWorker, QueueStatus
from kiosk.receipts.service import CounterInfo, ProgramInfo, ReceiptService

_SCHEME_OF_BACKEND = {"network": "tcp", "usb": "usb", "serial": "serial", "file": "file"}


@dataclass
class Money:
    """The wired services of this area."""

    payments: PaymentService
    receipts: ReceiptService
    queue: PrintQueue
    worker: PrintWorker


def make_printer(settings: Settings, uri: str | None = None) -> Printer:
    """The configured printer, or the one at ``uri`` (``--printer`` overrides kiosk.toml).

    Raises:
        ConfigError: a malformed URI, an unknown profile, or a backend that contradicts the URI.
    """
    ps = settings.devices.printer
    target = parse_uri(uri or ps.uri)
    if uri is None and _SCHEME_OF_BACKEND[ps.backend] != target.scheme:
        raise ConfigError(
            f"{settings.source}: key 'devices.printer.backend' is {ps.backend!r} but "
            f"'devices.printer.uri' is {ps.uri!r}; make them agree",
            code="config.printer_backend",
        )
    return EscposPrinter(target, PrinterModel(ps.profile, ps.chinese))


def make_gateway(settings: Settings) -> Gateway | None:
    """The payment gateway ``[payments] provider`` asks for: the hub's, or none.

    The sandbox (training mode, ``provider = "sandbox"``) is the hub's own code, so the shell
    chooses it (``kiosk.shell.builder.payment_gateway``): the payments area never imports hub.

    Raises:
        ConfigError: ``provider = "sandbox"`` asked of this function.
    """
    kind = settings.payments.provider
    if kind == "none":
        return None
    if kind == "sandbox":
        raise ConfigError(
            "the payment sandbox is wired by kiosk.shell.builder.payment_gateway",
            code="config.payments_sandbox",
        )
    return HubGateway(
        settings.hub.url, credential=settings.hub.credential, timeout=settings.hub.timeout_s
    )


def build_money(
    settings: Settings,
    store: Store,
    *,
    printer: Printer | None = None,
    gateway: Gateway | None = None,
    role_check: Callable[[str, str], None] = default_role_check,
    on_status: Callable[[QueueStatus], None] | None = None,
) -> Money:
    """Wire payments, receipts, the print queue and its worker (not started)."""
    queue = PrintQueue(store, printer or make_printer(settings))
    worker = PrintWorker(queue, on_status=on_status)
    c = settings.counter
    receipts = ReceiptService(
        store,
        queue,
        CounterInfo(c.name_zh, c.address_zh, c.hotline, c.timezone),
        {p.id: ProgramInfo(p.name_zh, p.transfer_remark) for p in settings.programs},
        worker=worker,
    )
    ps = settings.payments
    payments = PaymentService(
        store,
        gateway=gateway,
        on_paid=receipts.on_paid,
        after_paid=receipts.after_paid,
        role_check=role_check,
        allow_issue_on_pending_transfer=ps.allow_issue_on_pending_transfer,
        poll_interval_s=ps.poll_interval_s,
        max_wait_s=ps.max_wait_s,
        timezone=c.timezone,
    )
    return Money(payments, receipts, queue, worker)
