"""``kiosk print …``: the receipt printer without the screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kiosk.shell.cli import CliContext

if TYPE_CHECKING:
    from kiosk.receipts.queue import PrintQueue

# Heavy imports (python-escpos loads its capability database) happen inside the commands, so
# `kiosk --help` and other areas' commands stay quick.

_URI_HELP = (
    "Printer URI, overriding kiosk.toml: tcp://HOST:PORT, usb://VID:PID, serial:///dev/ttyS0, "
    "file:///dev/usb/lp0"
)


@click.group("print")
def print_group() -> None:
    """The receipt printer: test page, status, queue."""


@print_group.command("test")
@click.option("--printer", "uri", metavar="URI", help=_URI_HELP)
@click.pass_obj
def test(obj: CliContext, uri: str | None) -> None:
    """Print a test receipt: Chinese text, full-width punctuation, a QR code and a cut."""
    from data.store import utc_now
    from hardware.printer.render import render
    from kiosk.receipts.layout import build_test_page
    from kiosk.receipts.wiring import make_printer

    settings = obj.settings()
    printer = make_printer(settings, uri)
    model = printer.model
    doc = build_test_page(
        columns=model.columns,
        printer=f"{model.profile} {model.chinese}",
        now_utc=utc_now(),
        timezone=settings.counter.timezone,
    )
    data = render(doc, model)
    printer.send(data)
    click.echo(f"printed a test page ({len(data)} bytes) on {printer.target.uri}")  # type: ignore[attr-defined]


@print_group.command("status")
@click.option("--printer", "uri", metavar="URI", help=_URI_HELP)
@click.pass_obj
def status(obj: CliContext, uri: str | None) -> None:
    """Ask the printer for its state (exit 1 when it cannot print)."""
    from kiosk.receipts.wiring import make_printer

    printer = make_printer(obj.settings(), uri)
    st = printer.status()
    click.echo(f"{st.state}: {st.message}")
    if not st.ready:
        raise SystemExit(1)


def _queue(obj: CliContext, uri: str | None) -> PrintQueue:
    from data.store import Store
    from kiosk.receipts.queue import PrintQueue
    from kiosk.receipts.wiring import make_printer

    store = Store.open(obj.paths().ensure().database)
    return PrintQueue(store, make_printer(obj.settings(), uri))


@print_group.command("queue")
@click.option("--all", "show_all", is_flag=True, help="Also printed and failed jobs.")
@click.pass_obj
def queue(obj: CliContext, show_all: bool) -> None:
    """List print jobs waiting (or all with --all)."""
    q = _queue(obj, None)
    jobs = q.jobs() if show_all else [j for j in q.jobs() if j.state in ("queued", "printing")]
    for j in jobs:
        click.echo(
            f"#{j.id} {j.kind}{' reprint' if j.reprint else ''} visit={j.visit_id} {j.state} "
            f"attempts={j.attempts} {j.last_error or ''}".rstrip()
        )
    click.echo(f"{len(jobs)} job(s)")


@print_group.command("drain")
@click.option("--printer", "uri", metavar="URI", help=_URI_HELP)
@click.pass_obj
def drain(obj: CliContext, uri: str | None) -> None:
    """Print every queued job now (exit 1 if some still wait on the printer)."""
    q = _queue(obj, uri)
    q.recover()
    result = q.run_once()
    click.echo(f"printed {len(result.printed)}, failed {len(result.failed)}, waiting {q.depth()}")
    if result.waiting is not None:
        click.echo(f"waiting: {result.waiting.message}", err=True)
        raise SystemExit(1)
