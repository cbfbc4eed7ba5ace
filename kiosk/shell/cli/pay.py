"""``kiosk pay …``: a visit's payments without the screen."""

from __future__ import annotations

import json

import click

from kiosk.shell.cli import CliContext


@click.group()
def pay() -> None:
    """Payments of visits."""


@pay.command("status")
@click.argument("order")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def status(obj: CliContext, order: str, as_json: bool) -> None:
    """ORDER's payments, refunds, transitions and receipt jobs."""
    from data.store import Store
    from kiosk.payments.layout_text import status_lines
    from kiosk.receipts.wiring import build_money

    settings = obj.settings()
    store = Store.open(obj.paths().ensure().database)
    money = build_money(settings, store, gateway=None)
    data = money.payments.status(money.payments.visit_id(order))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in status_lines(data):
            click.echo(line)


@pay.command("reconcile")
@click.pass_obj
def reconcile(obj: CliContext) -> None:
    """Check every pending WeChat/Alipay payment with the provider (paid, or reversed)."""
    from data.store import Store
    from kiosk.receipts.wiring import build_money
    from kiosk.shell.builder import payment_gateway

    settings = obj.settings()
    store = Store.open(obj.paths().ensure().database)
    gateway = payment_gateway(settings, training=obj.training)
    money = build_money(settings, store, gateway=gateway)
    results = money.payments.resume_pending()
    for p in results:
        click.echo(f"payment #{p.id} {p.order_no}: {p.state}")
    click.echo(f"{len(results)} pending payment(s) checked")
