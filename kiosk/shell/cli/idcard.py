"""``kiosk idcard …``: read the agent's resident ID card without the screen."""

from __future__ import annotations

import json

import click

from hardware.idcard import read_validated, reader_from_settings
from hardware.idcard.record import IdCardRecord
from kiosk.shell.cli import CliContext, pass_cli

_LABELS = (
    ("name", "Name"),
    ("sex", "Sex"),
    ("nation", "Nation"),
    ("birth_date", "Born"),
    ("address", "Address"),
    ("id_number", "ID number"),
    ("authority", "Authority"),
    ("valid_from", "Valid from"),
    ("valid_to", "Valid to"),
    ("card_type", "Card type"),
    ("pass_number", "Pass number"),
    ("issue_count", "Issue count"),
    ("photo_bytes", "Photo bytes"),
)


def format_record(record: IdCardRecord, *, full: bool) -> str:
    """The record as aligned ``label: value`` lines."""
    data = record.to_dict(full=full)
    return "\n".join(f"{label + ':':<13}{data[key]}" for key, label in _LABELS if key in data)


@click.group("idcard")
def idcard() -> None:
    """Read the agent's resident ID card."""


@idcard.command("read")
@click.option(
    "--transport",
    type=click.Choice(["pcsc", "sam"]),
    default=None,
    help="PC/SC reader or the SAM serial protocol (default: [devices.reader] backend).",
)
@click.option(
    "--device",
    metavar="READER-OR-PATH",
    default=None,
    help="PC/SC reader name, or serial device path (e.g. a pty); overrides kiosk.toml.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=600),
    default=None,
    help="Seconds to wait for a card (default: [devices.reader] timeout_s).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@click.option("--full", is_flag=True, help="Show the ID number unmasked.")
@pass_cli
def read(
    cli: CliContext,
    transport: str | None,
    device: str | None,
    timeout: float | None,
    as_json: bool,
    full: bool,
) -> None:
    """Wait for a card, read and validate it, print the record (ID number masked).

    Exits 1 with the reason when no card comes, the card cannot be read, or it is not valid.
    """
    settings = cli.settings().devices.reader
    reader = reader_from_settings(settings, transport, device)
    reader.open()
    try:
        record = read_validated(reader, timeout if timeout is not None else settings.timeout_s)
    finally:
        reader.close()
    if as_json:
        click.echo(json.dumps(record.to_dict(full=full), ensure_ascii=False))
    else:
        click.echo(format_record(record, full=full))
