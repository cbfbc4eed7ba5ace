"""``kiosk sim …``: drive the stand-in devices (training mode, demos, manual tests)."""

from __future__ import annotations

import os

import click

from kiosk.cli import CliContext, pass_cli
from kiosk.errors import DeviceError

# The stand-ins load only when a command runs: `kiosk --help` stays quick.
VPCD_PORT = 35963


@click.group("sim")
def sim() -> None:
    """Stand-in devices: the virtual ID card."""


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
    from hardware.sim import daemon

    _show(_check(daemon.request(cli.paths().run, {"op": "remove"})))


@card.command("status")
@pass_cli
def status(cli: CliContext) -> None:
    """Say which card is inserted, and the SAM's pty."""
    from hardware.sim import daemon

    _show(_check(daemon.request(cli.paths().run, {"op": "status"})))


@card.command("stop")
@pass_cli
def stop(cli: CliContext) -> None:
    """Stop the background stand-in (removing its card)."""
    from hardware.sim import daemon

    answer = daemon.request(cli.paths().run, {"op": "stop"})
    click.echo("stopped" if answer else "not running")
