"""``kiosk sim …``: drive the stand-in devices (training mode, demos, manual tests)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import click

from kiosk.errors import DeviceError
from kiosk.shell.cli import CliContext, pass_cli

# The stand-ins load only when a command runs: `kiosk --help` stays quick.
VPCD_PORT = 35963


@click.group("sim")
def sim() -> None:
    """Stand-in devices: the virtual ID card and its pcscd, the receipt printer."""


@sim.group("card")
def card() -> None:
    """The virtual ID card (vpcd under pcscd, or the simulated SAM on a pty)."""


def _show(answer: dict[str, object]) -> None:
    if answer.get("inserted"):
        click.echo(f"inserted: {answer['person']} (reader: {answer['reader']})")
    else:
        click.echo("no card inserted")
    click.echo(f"SAM pty: {answer.get('sam_pty')}")


def _check(answer: dict[str, object] | None) -> dict[str, object]:
    if answer is None:
        raise DeviceError("The card stand-in is not running.", code="sim.daemon")
    if not answer.get("ok"):
        raise DeviceError(str(answer.get("error")), code=str(answer.get("code", "sim.error")))
    return answer


@card.command("insert")
@click.option(
    "--person",
    "person",
    required=True,
    metavar="FILE",
    help="Person file (JSON), or the name of a sample person in hardware/sim/people/ "
    "(e.g. zhang_wei).",
)
@click.option(
    "--reader",
    type=click.Choice(["pcsc", "sam"]),
    default="pcsc",
    show_default=True,
    help="Insert into vpcd's virtual PC/SC reader, or place on the simulated SAM.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=lambda: int(os.environ.get("KIOSK_VPCD_PORT", VPCD_PORT)),
    show_default=f"$KIOSK_VPCD_PORT or {VPCD_PORT}",
    help="vpcd's port.",
)
@pass_cli
def insert(cli: CliContext, person: str, reader: str, port: int) -> None:
    """Insert the card of PERSON (starts the background stand-in when needed)."""
    # Imported here (as the stand-ins below): each command loads only its own stand-in;
    # `kiosk --help` imports every area module for its one-line help.
    from hardware.sim import daemon
    from hardware.sim.person import resolve_person

    resolve_person(person)  # an unknown person is a usage error before anything starts
    run = cli.paths().ensure().run
    daemon.ensure_daemon(run)
    path = os.path.abspath(person) if os.path.exists(person) else person
    _show(
        _check(
            daemon.request(run, {"op": "insert", "person": path, "reader": reader, "port": port})
        )
    )


@card.command("remove")
@pass_cli
def remove(cli: CliContext) -> None:
    """Take the card away."""
    from hardware.sim import daemon  # lazy: see card_insert

    _show(_check(daemon.request(cli.paths().run, {"op": "remove"})))


@card.command("status")
@pass_cli
def status(cli: CliContext) -> None:
    """Say which card is inserted, and the SAM's pty."""
    from hardware.sim import daemon  # lazy: see card_insert

    _show(_check(daemon.request(cli.paths().run, {"op": "status"})))


@card.command("stop")
@pass_cli
def stop(cli: CliContext) -> None:
    """Stop the background stand-in (removing its card)."""
    from hardware.sim import daemon  # lazy: see card_insert

    answer = daemon.request(cli.paths().run, {"op": "stop"})
    click.echo("stopped" if answer else "not running")


@sim.group("pcscd")
def pcscd_group() -> None:
    """pcscd with vpcd's virtual readers, for training on a machine where none runs."""


def _pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
        # A zombie (exited, not yet reaped by its parent) answers kill(0) but is gone.
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return None
    except (OSError, ValueError, IndexError):
        return None
    return pid


@pcscd_group.command("start")
@pass_cli
def pcscd_start(cli: CliContext) -> None:
    """Start pcscd in the background on the standard socket, vpcd on port 35963."""
    from hardware.sim.pcscd import PcscdProcess  # lazy: see card_insert

    run = cli.paths().ensure().run
    pidfile = run / "pcscd.pid"
    pid = _pid_alive(pidfile)
    if pid is not None:
        click.echo(f"pcscd already running (pid {pid})")
        return
    daemon = PcscdProcess(run / "pcscd", isolate=False, port=VPCD_PORT).start()
    assert daemon.proc is not None
    pidfile.write_text(f"{daemon.proc.pid}\n")
    click.echo(
        f"pcscd started (pid {daemon.proc.pid}); readers: {', '.join(daemon.reader_names)}; "
        f"vpcd port {daemon.port}; log {daemon.log_path}"
    )


@pcscd_group.command("stop")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=60), default=5.0, show_default=True)
@pass_cli
def pcscd_stop(cli: CliContext, timeout: float) -> None:
    """Stop the pcscd that `kiosk sim pcscd start` started."""
    import signal
    import time

    pidfile = cli.paths().run / "pcscd.pid"
    pid = _pid_alive(pidfile)
    if pid is None:
        click.echo("not running")
        pidfile.unlink(missing_ok=True)
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pidfile) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    if _pid_alive(pidfile) is not None:
        os.killpg(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    click.echo(f"stopped pcscd (pid {pid})")


# The stand-in's states (hardware.sim.printer.STATES), repeated so `kiosk --help` stays light.
PRINTER_STATES = ("ready", "paper-low", "paper-out", "cover-open", "error", "offline")


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
    from hardware.sim.printer import PrinterSim  # lazy: see card_insert

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
    # lazy: see card_insert
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
