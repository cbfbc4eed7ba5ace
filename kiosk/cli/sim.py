"""``kiosk sim …``: the stand-in devices, run by hand (training, trying things out)."""

from __future__ import annotations

import signal
from pathlib import Path

import click

# The stand-in's states (hardware.sim.printer.STATES), repeated so `kiosk --help` stays light.
PRINTER_STATES = ("ready", "paper-low", "paper-out", "cover-open", "error", "offline")


@click.group()
def sim() -> None:
    """Stand-in devices."""


@sim.command("printer")
@click.option("--port", type=click.IntRange(0, 65535), default=9100, show_default=True)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for job files (job-NNNN.bin) and the state control file.",
)
@click.option("--state", type=click.Choice(PRINTER_STATES), default="ready", show_default=True)
def printer(port: int, out: Path, state: str) -> None:
    """A receipt printer on 127.0.0.1:PORT that keeps every job's bytes in OUT."""
    from hardware.sim.printer import PrinterSim

    server = PrinterSim(out, port=port, state=state).start()
    click.echo(f"printer stand-in on {server.uri}, jobs in {out} (Ctrl-C stops)", err=True)
    signal.signal(signal.SIGTERM, lambda *_: server._stop.set())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


@sim.command("printer-state")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.argument("state", type=click.Choice(PRINTER_STATES))
def printer_state(out: Path, state: str) -> None:
    """Set a running printer stand-in's STATE (e.g. paper-out, then ready)."""
    if not out.is_dir():
        raise click.BadParameter(f"{out} is not a printer stand-in's folder", param_hint="--out")
    (out / "state").write_text(state + "\n", encoding="ascii")
    click.echo(f"printer stand-in in {out}: {state}")


@sim.command("printer-read")
@click.argument("job", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def printer_read(job: Path) -> None:
    """Decode a captured JOB file: its text lines, QR codes, images and cuts."""
    from hardware.sim.escpos_decode import CutMark, QrCode, RasterImage, TextLine, decode

    for item in decode(job.read_bytes()).items:
        if isinstance(item, TextLine):
            click.echo(item.text.rstrip())
        elif isinstance(item, QrCode):
            click.echo(f"[QR {item.data}]")
        elif isinstance(item, RasterImage):
            click.echo(f"[image {item.width}x{item.height}]")
        elif isinstance(item, CutMark):
            click.echo("[cut]" if not item.partial else "[partial cut]")
