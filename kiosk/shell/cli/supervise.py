"""``kiosk supervise``: the supervisor console, read-only, in this terminal.

The same console ``kiosk serve-web`` serves to a browser. It signs a supervisor in against the
staff roster (audited), then shows the counter's day from the kiosk's store: visits, unfinished
and failed visits, money by method, key stock, the outbox, and the devices as the kiosk recorded
them. It opens no device and changes no record.
"""

from __future__ import annotations

import click

from kiosk.shell.cli import CliContext


@click.command("supervise")
@click.option(
    "--refresh",
    "refresh_s",
    type=click.FloatRange(1.0, 300.0),
    default=5.0,
    show_default=True,
    help="Seconds between reads of the counter's records.",
)
@click.option(
    "--via",
    type=click.Choice(["terminal", "web"]),
    default="terminal",
    show_default=True,
    help="How the console is reached (recorded with each sign-in in the audit log).",
)
@click.pass_context
def supervise(ctx: click.Context, refresh_s: float, via: str) -> None:
    """The supervisor console: today's visits, money, keys, sync and devices (read-only)."""
    # Imported here: Textual loads only to run the console.
    from kiosk.shell.console_app import run_console

    obj: CliContext = ctx.obj
    ctx.exit(run_console(obj, refresh_s=refresh_s, via=via))
