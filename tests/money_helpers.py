"""Shared builders for the payments and receipts tests: visits, quotes, wired services."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from data import outbox
from data.store import Store, utc_now
from hardware.printer.device import EscposPrinter, parse_uri
from hardware.printer.render import PrinterModel
from hub.payments.sandbox import SandboxProvider
from kiosk.config import Settings, default_config_text, parse_settings
from kiosk.payments.gateway import DirectGateway, Gateway
from kiosk.payments.money import QuoteLine, SimpleQuote
from kiosk.receipts.wiring import Money, build_money

UNIT = "东莞市网证通示例科技有限公司"
AGENT = "张三"
# Payment codes for the sandbox (see hub/payments/sandbox.py): the suffix picks the behaviour.
WECHAT_OK = "134567890123459999"
ALIPAY_OK = "28765432101234569999"


def settings(**payments: object) -> Settings:
    """The shipped kiosk.toml, with [payments] keys replaced."""
    s = parse_settings(default_config_text(), "<test>")
    if payments:
        s = s.model_copy(update={"payments": s.payments.model_copy(update=payments)})
    return s


def events(db: Any, visit_id: int) -> list[tuple[str, dict[str, Any]]]:
    """The events queued for the visit row ``visit_id``: keyed by its order number, whichever
    area queued them."""
    order_no = outbox.order_no_of(db, visit_id)
    assert order_no is not None, f"no visit row {visit_id}"
    return outbox.visit_events(db, order_no)


def open_store(path: Path) -> Store:
    """A fresh store file."""
    return Store.open(path / "kiosk.db")


def make_visit(
    store: Store,
    order_no: str = "DG-20261121-0007",
    *,
    service: str = "new",
    program: str = "dongguan-hpf",
    kind: str = "org",
    unit_name: str | None = UNIT,
    agent_name: str = AGENT,
    years: int | None = 3,
) -> int:
    """A visit row as the visit flow would have it by the pay step."""
    now = utc_now()
    with store.atomic() as db:
        return int(
            db["visits"]
            .insert(
                {
                    "order_no": order_no,
                    "service": service,
                    "program": program,
                    "kind": kind,
                    "agent_name": agent_name,
                    "unit_name": unit_name,
                    "data": json.dumps({"years": years}),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            .last_pk
        )


def dg_new_quote(years: int = 3) -> SimpleQuote:
    """东莞公积金 new certificate + seal: 200 + 200 yuan a year (3 years: 1200 yuan)."""
    return SimpleQuote(
        (
            QuoteLine("cert", "Certificate", "证书服务费", 20000 * years, years),
            QuoteLine("seal", "Electronic seal", "电子印章", 20000 * years, years),
        ),
        40000 * years,
    )


def stand_in_printer(
    uri: str, *, profile: str = "TM-T88V", chinese: str = "gb18030"
) -> EscposPrinter:
    """The real adapter pointed at a stand-in."""
    return EscposPrinter(parse_uri(uri), PrinterModel(profile, chinese), timeout=3.0)  # type: ignore[arg-type]


def wire(
    store: Store,
    printer_uri: str,
    *,
    provider: SandboxProvider | None = None,
    gateway: Gateway | None = None,
    chinese: str = "gb18030",
    **payments: object,
) -> Money:
    """Payments + receipts on a store, the stand-in printer and a sandbox provider."""
    if gateway is None:
        gateway = DirectGateway(provider if provider is not None else SandboxProvider())
    payments.setdefault("poll_interval_s", 0.01)
    payments.setdefault("max_wait_s", 0.3)
    return build_money(
        settings(**payments),
        store,
        printer=stand_in_printer(printer_uri, chinese=chinese),
        gateway=gateway,
    )
