"""``kiosk receipt …``: a visit's receipt as it prints, and reprints."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kiosk.shell.cli import CliContext

if TYPE_CHECKING:
    from kiosk.receipts.wiring import Money


def _money(obj: CliContext) -> Money:
    from data.store import Store
    from kiosk.receipts.wiring import build_money

    settings = obj.settings()
    store = Store.open(obj.paths().ensure().database)
    return build_money(settings, store)


@click.group()
def receipt() -> None:
    """Receipts of visits."""


@receipt.command("show")
@click.argument("order")
@click.option("--reprint", is_flag=True, help="Show it as a reprint (marked 重打).")
@click.pass_obj
def show(obj: CliContext, order: str, reprint: bool) -> None:
    """Print ORDER's receipt to the terminal, laid out exactly as on paper."""
    doc = _money(obj).receipts.preview(order, reprint=reprint)
    for line in doc.preview_lines():
        click.echo(line)


@receipt.command("reprint")
@click.argument("order")
@click.option("--staff", required=True, help="Staff number asking for the reprint.")
@click.pass_obj
def reprint(obj: CliContext, order: str, staff: str) -> None:
    """Queue a copy of ORDER's receipt marked 重打 (printed by the kiosk's print worker)."""
    job = _money(obj).receipts.reprint(order, requested_by=staff)
    click.echo(f"queued reprint job #{job} for {order}")
