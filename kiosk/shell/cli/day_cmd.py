"""``kiosk day report`` (X-report, or a closed day's stored Z-report), ``close`` and ``export``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from kiosk.dayclose import render as dayreport_render
from kiosk.dayclose.bill import qr_from_bill
from kiosk.dayclose.close import (
    Counted,
    DayCloseRules,
    close_day,
    day_report,
    local_today,
    parse_counted,
    parse_date,
    record_key_movement,
)
from kiosk.errors import KioskError, UsageError
from kiosk.shell.cli import CliContext
from kiosk.shell.cli.staff_cmd import open_roster, open_store
from kiosk.shell.staff_desk import hub_bill


def _day(obj: CliContext, text: str | None) -> date:
    if text is None:
        return local_today(obj.settings().counter.timezone)
    return parse_date(text)


@click.group()
def day() -> None:
    """End-of-day close (日结)."""


@day.command("report")
@click.option(
    "--date", "date_text", default=None, help="Business date YYYY-MM-DD (default: today)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.pass_obj
def report(obj: CliContext, date_text: str | None, fmt: str) -> None:
    """Print the day's report: an X-report while open, the Z-report once closed."""
    settings = obj.settings()
    the_day = _day(obj, date_text)
    with open_store(obj) as store:
        r = day_report(store, DayCloseRules.from_settings(settings), the_day, training=obj.training)
    render = {
        "table": dayreport_render.to_table,
        "csv": dayreport_render.to_csv,
        "json": dayreport_render.to_json,
    }
    click.echo(render[fmt](r), nl=fmt == "json")


def _read_counted(path: Path) -> Counted:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e}", code="day.bad_counted") from e
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not JSON: {e}", code="day.bad_counted") from e
    return parse_counted(raw, source=str(path))


@day.command("close")
@click.option(
    "--date", "date_text", default=None, help="Business date YYYY-MM-DD (default: today)."
)
@click.option(
    "--counted",
    "counted_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON of counted figures: methods (fen), keys_in_stock, note, carry_over.",
)
@click.option("--staff", "staff_no", required=True, help="The clerk closing (staff number).")
@click.option(
    "--pin", prompt=True, hide_input=True, envvar="KIOSK_STAFF_PIN", help="The clerk's PIN."
)
@click.option(
    "--approver", default=None, help="Supervisor approving differences over the threshold."
)
@click.option(
    "--approver-pin",
    default=None,
    envvar="KIOSK_APPROVER_PIN",
    help="Prompted when --approver is given.",
)
@click.option(
    "--print/--no-print",
    "do_print",
    default=True,
    help="Print the Z-report on the receipt printer.",
)
@click.option(
    "--qr-from-hub/--qr-typed",
    "qr_from_hub",
    default=True,
    help="Take WeChat Pay / Alipay figures from the provider's bill through the hub (default; "
    "falls back to the typed figures when the hub does not answer).",
)
@click.pass_obj
def close(
    obj: CliContext,
    date_text: str | None,
    counted_path: Path,
    staff_no: str,
    pin: str,
    approver: str | None,
    approver_pin: str | None,
    do_print: bool,
    qr_from_hub: bool,
) -> None:
    """Close the day: store the Z-report, lock the day, write CSV/JSON/PDF, print the Z-report."""
    settings = obj.settings()
    the_day = _day(obj, date_text)
    counted = _read_counted(counted_path)
    if qr_from_hub and not obj.training:
        counted = _qr_from_hub(obj, the_day, counted)
    with open_store(obj) as store:
        roster = open_roster(obj, store)
        clerk = roster.authenticate(staff_no, pin)
        approving = None
        if approver:
            if approver_pin is None:
                approver_pin = click.prompt("Approver PIN", hide_input=True)
            approving = roster.authenticate(approver, approver_pin, purpose="approve")
        z = close_day(
            store,
            DayCloseRules.from_settings(settings),
            the_day,
            counted,
            clerk,
            approver=approving,
            training=obj.training,
        )
    click.echo(
        f"closed {z['business_date']}: expected "
        f"{dayreport_render.yuan(z['totals']['expected_fen'])} yuan"
    )
    for d in z["differences"]:
        if d["difference"]:
            click.echo(f"  difference {d['item']}: {d['difference']:+d}")
    _write(obj, z)
    if do_print:
        _print(obj, z, requested_by=staff_no)


def _qr_from_hub(obj: CliContext, the_day: date, counted: Counted) -> Counted:
    """The counted figures with QR totals from the provider's bill (or typed, with a note)."""

    fetch = hub_bill(obj.settings().hub)
    figures = qr_from_bill(counted, lambda: fetch(the_day))
    for note in figures.notes:
        click.echo(f"  {note}")
    return figures.counted


def _print(obj: CliContext, report: dict[str, Any], requested_by: str | None = None) -> None:
    # Imported here: the printer stack (python-escpos, PIL, qrcode) loads only to print; `kiosk
    # --help` imports every area module for its one-line help.
    from kiosk.dayclose.printing import print_report
    from kiosk.receipts.wiring import make_printer

    try:
        with open_store(obj) as store:
            printer = make_printer(obj.settings())
            click.echo(print_report(report, store, printer, requested_by=requested_by))
    except KioskError as e:
        raise KioskError(
            f"{report['business_date']}: report not printed: {e.message}; when the printer is "
            f"back, run `kiosk day print --date {report['business_date']}`",
            code=e.code,
        ) from e


@day.command("print")
@click.option(
    "--date", "date_text", default=None, help="Business date YYYY-MM-DD (default: today)."
)
@click.pass_obj
def print_(obj: CliContext, date_text: str | None) -> None:
    """Print the day's report on the receipt printer (Z-report once closed, else an X-report)."""
    the_day = _day(obj, date_text)
    with open_store(obj) as store:
        r = day_report(
            store, DayCloseRules.from_settings(obj.settings()), the_day, training=obj.training
        )
    _print(obj, r)


def _write(obj: CliContext, report: dict[str, Any]) -> None:
    settings = obj.settings()
    folder = Path(settings.day_close.reports_dir)
    if not folder.is_absolute():
        folder = obj.paths().base / folder
    try:
        files = dayreport_render.write_files(report, folder, settings.day_close.pdf_font)
    except KioskError as e:
        raise KioskError(
            f"{report['business_date']} is closed, but its report files were not written: "
            f"{e.message}; fix it, then run `kiosk day export --date {report['business_date']}`",
            code=e.code,
        ) from e
    for kind, p in files.items():
        click.echo(f"  {kind}: {p}")


@day.command("export")
@click.option(
    "--date", "date_text", default=None, help="Business date YYYY-MM-DD (default: today)."
)
@click.pass_obj
def export(obj: CliContext, date_text: str | None) -> None:
    """(Re)write the day's CSV, JSON and PDF (the Z-report once closed, else an X-report)."""
    the_day = _day(obj, date_text)
    with open_store(obj) as store:
        r = day_report(
            store, DayCloseRules.from_settings(obj.settings()), the_day, training=obj.training
        )
    _write(obj, r)


@day.command("keys")
@click.argument("movement", type=click.Choice(["received", "spoiled", "issued"]))
@click.argument("quantity", type=click.IntRange(min=1))
@click.option("--staff", "staff_no", required=True, help="Who records it (staff number).")
@click.option("--pin", prompt=True, hide_input=True, envvar="KIOSK_STAFF_PIN", help="Their PIN.")
@click.option("--reference", default="", help="Delivery note number, key serial, ...")
@click.option("--note", default="", help="Why (spoiled keys: what happened).")
@click.pass_obj
def keys(
    obj: CliContext,
    movement: str,
    quantity: int,
    staff_no: str,
    pin: str,
    reference: str,
    note: str,
) -> None:
    """Record blank keys RECEIVED (a delivery) or SPOILED at the counter (the close counts them)."""

    with open_store(obj) as store:
        member = open_roster(obj, store).authenticate(staff_no, pin)
        mid = record_key_movement(store, member, movement, quantity, reference=reference, note=note)
    click.echo(f"key stock: {movement} {quantity} (movement {mid})")
