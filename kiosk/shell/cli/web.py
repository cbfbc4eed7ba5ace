"""``kiosk serve-web``: the supervisor console in a browser (textual-serve), two gates deep.

Each browser session runs its own **supervisor console** (``kiosk supervise --via web``, with
this command's ``--config``, ``--data-dir`` and ``--training``), never the kiosk itself: the
console opens no device and reads the store read-only, so a browser cannot take the counter's ID
card reader, USB key reader, camera or printer, nor act as the counter.

Two gates, each enough to keep a stranger out and both needed to get in: the HTTP supervisor
token (``kiosk.shell.web``: nothing of textual-serve, not even a process, is reached without it),
then
the console's own sign-in with a supervisor's staff number and PIN (audited, with lockout).
Bound to loopback by default; reach it from another machine through an SSH tunnel
(``ssh -L 8765:127.0.0.1:8765 kiosk@counter``) rather than binding it to the network.
"""

from __future__ import annotations

import shlex
import sys

import click

from kiosk.shell.cli import CliContext
from kiosk.shell.web import load_or_create_token, make_server, parse_bind, token_check


def console_command(obj: CliContext, refresh_s: float = 5.0) -> str:
    """The shell command each browser session runs: the supervisor console on this data."""
    args = [sys.executable, "-m", "kiosk"]
    if obj.config_path is not None:
        args += ["--config", str(obj.config_path.resolve())]
    args += ["--data-dir", str(obj.paths().root.resolve())]
    if obj.training:
        args.append("--training")
    args += ["supervise", "--via", "web", "--refresh", f"{refresh_s:g}"]
    return shlex.join(args)


@click.command("serve-web")
@click.option(
    "--bind",
    default="127.0.0.1:8765",
    show_default=True,
    help="HOST:PORT to listen on (keep it on loopback; tunnel to reach it).",
)
@click.option(
    "--public-url",
    default=None,
    help="The address the browser uses, when it differs from --bind (a tunnel's local port).",
)
@click.option(
    "--max-sessions",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Browser sessions (console processes) at once; more are refused.",
)
@click.option(
    "--refresh",
    "refresh_s",
    type=click.FloatRange(1.0, 300.0),
    default=5.0,
    show_default=True,
    help="Seconds between the console's reads of the counter's records.",
)
@click.option("--show-token", is_flag=True, help="Print the supervisor token and exit.")
@click.pass_obj
def serve_web(
    obj: CliContext,
    bind: str,
    public_url: str | None,
    max_sessions: int,
    refresh_s: float,
    show_token: bool,
) -> None:
    """Serve the supervisor console to a browser (token, then a supervisor's sign-in)."""
    # Imported here: sqlite-utils and argon2 load only to serve; `kiosk --help` imports every
    # area module for its one-line help.
    from kiosk.console.views import ConsoleDesk

    host, port = parse_bind(bind)
    if not show_token:
        # A wrong --data-dir fails now, in words (and writes nothing there), rather than in
        # each browser session.
        desk = ConsoleDesk(obj.paths().database, obj.settings(), training=obj.training)
        try:
            desk.check()
        finally:
            desk.close()
    token, path, created = load_or_create_token(obj.paths().base)
    if show_token:
        click.echo(token)
        return
    if created:
        click.echo(f"A new supervisor token was written to {path} (mode 0600).")
    url = public_url or f"http://{host}:{port}"
    click.echo(
        f"Supervisor console on {url}/ : open {url}/?token=<token from {path}> once, "
        "or sign in with any user name and the token as password; then a supervisor's "
        "staff number and PIN."
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}, not loopback; plain HTTP.", err=True)
    server = make_server(
        console_command(obj, refresh_s),
        host,
        port,
        token_check(token),
        public_url=url,
        max_sessions=max_sessions,
    )
    server.serve()
